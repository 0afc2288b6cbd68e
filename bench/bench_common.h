// bench/bench_common.h - what the bench_*.cc files share:
// page-aligned buffers, the variant list, the counters, the run options
// (quick or full sweep) and the per-size run settings.
#ifndef LOSSOPT_BENCH_COMMON_H
#define LOSSOPT_BENCH_COMMON_H

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "lossopt_internal.h"

namespace lossopt_bench {

struct FreeDeleter {
    void operator()(float *p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float[], FreeDeleter>;

// Every buffer starts on a 4 KiB page boundary (so also 64-byte aligned), as
// large tensors from a 64-byte-aligning allocator do (glibc serves them with
// mmap, all at one page offset). A fixed layout keeps in-cache results
// comparable between variants and runs: with heap-packed buffers the offsets
// between buffers mod 4096 (4K aliasing, L1 set conflicts) depend on the
// allocation history of the benchmarks that ran before.
inline Buffer allocate(size_t n)
{
    size_t bytes = (n * sizeof(float) + 4095) / 4096 * 4096;
    return Buffer(static_cast<float *>(std::aligned_alloc(4096, bytes ? bytes : 4096)));
}

// isa: an ISA's internal entry point or kernel table; dispatched: the public
// call; plain_*: bench/plain_loops.c; table: an explicit kernel table
// (Variant::table; the avx512 table the dispatcher did not pick, see
// other_avx512_variants());
// plain_onediv_*: Adam's one-division plain loop (bench_optimizers.cc, adam
// rows only). variants() returns only the first five kinds.
enum class Kind {
    isa, dispatched, plain_O3, plain_native, plain_native_noerrno, table,
    plain_onediv_native, plain_onediv_native_noerrno
};

struct Variant {
    Kind kind;
    lossopt_isa isa;  // for Kind::isa (and Kind::table: the table's ISA)
    std::string name;
    const lossopt_kernel_table *table = nullptr;  // for Kind::table
};

// Every supported ISA, public, then the plain loops built into the binary.
inline std::vector<Variant> variants()
{
    std::vector<Variant> v;
    unsigned supported = lossopt_supported_isas();
    for (lossopt_isa isa : {LOSSOPT_ISA_SCALAR, LOSSOPT_ISA_AVX2, LOSSOPT_ISA_AVX512,
                            LOSSOPT_ISA_NEON})
        if (supported & (1u << isa))
            v.push_back({Kind::isa, isa, lossopt_isa_name(isa)});
    v.push_back({Kind::dispatched, LOSSOPT_ISA_INVALID, "public"});
    v.push_back({Kind::plain_O3, LOSSOPT_ISA_INVALID, "plain_O3"});
    v.push_back({Kind::plain_native, LOSSOPT_ISA_INVALID, "plain_native"});
#ifdef LOSSOPT_BENCH_HAVE_PLAIN_NOERRNO
    v.push_back({Kind::plain_native_noerrno, LOSSOPT_ISA_INVALID, "plain_native_noerrno"});
#endif
    return v;
}

// The avx512 table the dispatcher did not pick for this CPU (internal;
// dispatch.c picks "zmm", every kernel's 512-bit build, on AMD and "mixed",
// the divide/sqrt-bound kernels at 256 bits, on Intel): variant "avx512_zmm"
// or "avx512_mixed", Kind::table, so that the bench times both tables beside
// the pick ("avx512"); empty without AVX-512. Separate from variants() so that
// a file opts in to these rows.
inline std::vector<Variant> other_avx512_variants()
{
    std::vector<Variant> v;
    const lossopt_kernel_table *picked = lossopt_kernel_table_for(LOSSOPT_ISA_AVX512);
    const lossopt_kernel_table *zmm = lossopt_kernel_table_avx512_zmm();
    const lossopt_kernel_table *mixed = lossopt_kernel_table_avx512_mixed();
    if (zmm != nullptr && zmm != picked)
        v.push_back({Kind::table, LOSSOPT_ISA_AVX512, "avx512_zmm", zmm});
    if (mixed != nullptr && mixed != picked)
        v.push_back({Kind::table, LOSSOPT_ISA_AVX512, "avx512_mixed", mixed});
    return v;
}

// Pick the plain-loop function of a variant: PLAIN_PICK(kind, plain_adam_step).
#define PLAIN_PICK(kind, fn)                                                       \
    ((kind) == Kind::plain_O3 ? fn##_O3 : PLAIN_PICK_NOERRNO(kind, fn) fn##_native)
#ifdef LOSSOPT_BENCH_HAVE_PLAIN_NOERRNO
#define PLAIN_PICK_NOERRNO(kind, fn) (kind) == Kind::plain_native_noerrno ? fn##_native_noerrno :
#else
#define PLAIN_PICK_NOERRNO(kind, fn)
#endif

inline void set_counters(benchmark::State &state, size_t n, int bytes_per_element)
{
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n) *
                            bytes_per_element);
    state.counters["bytes_per_element"] = bytes_per_element;
}

// The run: the full sweep (default: 4096, 65536, 1<<20, 16<<20) or, with
// --lossopt_quick, 65536 (L2) and 16<<20 (DRAM) with shorter runs. The
// row-wise losses (cross-entropy, multi-margin) run on rows x classes shapes:
// 64 x 1000 and 4 x 32000 (quick), plus 1024 x 1000 and 32 x 32000 (full).
struct Shape {
    size_t rows, classes;
};

struct Options {
    bool quick = false;
    std::vector<size_t> sizes;
    std::vector<Shape> shapes;
};

const Options &options();

// Full sweep: cache-resident sizes repeat 3x (the JSON keeps the aggregates,
// summarize.py uses the median); the DRAM size, whose buffers take a while to
// allocate and fill, runs once, a little longer. Quick: the same shape with
// min_time 0.05 s (2 repetitions in cache), so that everything runs in about a
// minute on 2 cores.
inline void configure(benchmark::internal::Benchmark *b, size_t n)
{
    bool quick = options().quick;
    if (n >= (size_t(16) << 20))
        b->MinTime(quick ? 0.05 : 0.3)->Repetitions(1);
    else
        b->MinTime(quick ? 0.05 : 0.1)->Repetitions(quick ? 2 : 3)->ReportAggregatesOnly(true);
}

void register_optimizers();   // bench_optimizers.cc
void register_losses();       // bench_losses.cc
void register_rowwise_losses(); // bench_rowwise.cc
void register_engine_step();   // bench_engine_step.cc
void register_loss_streams();  // bench_optimizers.cc: the losses' own stream, after them


// The optimizer benchmarks' value domains (bench_optimizers.cc): a table of
// kFillTable values per kind, tiled over the buffers.
enum class Fill { param, grad, first_moment, square_avg };
constexpr size_t kFillTable = 1u << 16;
const std::vector<float> &fill_table(Fill kind);

}  // namespace lossopt_bench

#endif  // LOSSOPT_BENCH_COMMON_H
