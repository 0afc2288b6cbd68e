// bench/bench_engine_step.cc - the engine step's rows (SPEC.md section 3,
// "Targets added in 0.2"): the tensor-list Adam call (lossopt_adam_step) over
// f32 and bf16 buffers, with and without unscale + clipping + skip, the
// statistics pass alone (lossopt_grad_stats), and the built-in thread pool,
// each next to a same-run reference that moves the same bytes
// (bench/stream.c, -O3 -march=native). bench/summarize.py prints them and
// checks the 0.2 targets; bench/torch_compare.py adds PyTorch's foreach Adam
// over the same 1000 tensors.
//
// Names are <config>/<variant>/<shape>; shape is <tensors>x<elements per
// tensor> for the lossopt rows and the element count for the references:
//
//   step_list_adam_f32   Adam, all f32, no options (28 B/element), over 1000
//                        tensors x 4096 elements (4096000 in all):
//       public/1000x4096      one lossopt_adam_step call over the list
//       one_call/1x4096000    one lossopt_adam_step_f32 call over 4096000
//       threads_1/1000x4096   the list call, no pool           (real time)
//       threads_2/1000x4096   the list call, lossopt_threads_create(2) pool
//                                                              (real time)
//   step_adam_f32        Adam, all f32 (28 B/element)               \  beyond
//   step_adam_mixed      bf16 grad, f32 param and states, bf16 param |  cache:
//                        copy (28 B: read 4+2+8, write 4+8+2)        |  256 x
//   step_adam_bf16       all bf16, round to nearest (14 B)           |  65536
//   step_adam_bf16_sr    all bf16, stochastic rounding (14 B)        |  = 16 Mi
//   step_adam_f32_opts   step_adam_f32 with loss_scale 1024,         |  elements
//                        max_grad_norm 0.01 (it clips) and           |
//                        skip_nonfinite: + one f32 grad read (32 B)  |
//   step_adam_f32_scaled step_adam_f32 with loss_scale 1024 alone:   |
//                        the multiplied step without the statistics  |
//                        pass, to split the options' cost (full run) |
//   step_adam_mixed_opts the same on step_adam_mixed (30 B; full run)|
//   step_grad_stats_f32  lossopt_grad_stats, f32 grads (4 B)         |
//   step_grad_stats_bf16 the same, bf16 grads (2 B; full run)        /
//       variants: public (the dispatched call, no pool), every supported
//       ISA's table (lossopt_*_with_table; full run only), and for
//       step_adam_f32 threads_1 / threads_2 as above (real time)
//   step_stream_adam_f32, step_stream_adam_mixed, step_stream_adam_bf16,
//   step_stream_read_f32, step_stream_read_bf16: the references of those
//       configurations at 16777216 elements, variant native (one thread), and
//       for adam_f32 threads_1 / threads_2 (the loop split in 65536-element
//       chunks handed out by an atomic counter to the calling thread and one
//       std::thread; real time)
//
// The beyond-cache rows use 256 tensors of 65536 elements rather than one
// 16 Mi tensor: the call cuts a tensor into 65536-element tasks anyway, so
// the two differ by 255 tensor descriptors, and 256 tensors is the shape of a
// real model. Tensors are consecutive slices of one page-aligned allocation
// per buffer (each slice starts on a page: 4096 x 4 B and 65536 x 2 B are
// page multiples), as bench_optimizers.cc's buffers, so lossopt and the
// references see the same layout.
//
// Timing: Google Benchmark's default per-thread CPU time, as every other row
// and torch_compare.py, except the threads_1 / threads_2 rows, which use wall
// time (a pool's work is not on the calling thread's clock). Every row runs
// in rounds, interleaved with the others (register_engine_step), on buffers
// shared with its reference (shared_buffer). Quick run (--lossopt_quick): the
// rows every target needs, public only, 2 rounds of min_time 0.05 s; full
// run: every row, 3 rounds of 0.2 s; summarize.py keeps the median.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench_common.h"
#include "lossopt_internal.h"
#include "plain_loops.h"

namespace lossopt_bench {

namespace {

// ---- buffers -----------------------------------------------------------------

constexpr size_t kListTensors = 1000, kListElements = 4096;     // 4096000
constexpr size_t kBigTensors = 256, kBigElements = 65536;       // 16 Mi
constexpr size_t kChunk = 65536;  // the library's task size, for the 2-thread stream

size_t dtype_bytes(lossopt_dtype d) { return d == LOSSOPT_F32 ? 4 : 2; }

Buffer allocate_bytes(size_t bytes) { return allocate((bytes + 3) / 4); }

uint16_t to_bf16(float f)  // round to nearest even (finite inputs)
{
    uint32_t b;
    std::memcpy(&b, &f, sizeof b);
    return static_cast<uint16_t>((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

// n values of kind in dtype, table tiled from offset (a page-aligned buffer).
Buffer make_buffer(size_t n, lossopt_dtype dtype, Fill kind, size_t offset)
{
    Buffer b = allocate_bytes(n * dtype_bytes(dtype));
    const std::vector<float> &t = fill_table(kind);
    if (dtype == LOSSOPT_F32) {
        for (size_t i = 0; i < n; i++)
            b[i] = t[(i + offset * 7919) & (kFillTable - 1)];
    } else {
        uint16_t *h = reinterpret_cast<uint16_t *>(b.get());
        for (size_t i = 0; i < n; i++)
            h[i] = to_bf16(t[(i + offset * 7919) & (kFillTable - 1)]);
    }
    return b;
}

// The buffers, made once per (kind, dtype, n) and shared by every row that
// moves that buffer: the lossopt rows and their references then run on the
// very same pages (same layout, no allocation or first-touch cost per run),
// and the repeated rounds (register_engine_step) cost no refill. Every user
// keeps the values in their domain (Adam's updates; stream.c's token
// arithmetic). About 0.5 GB in all.
void *shared_buffer(Fill kind, lossopt_dtype dtype, size_t n)
{
    struct Entry {
        Fill kind;
        lossopt_dtype dtype;
        size_t n;
        Buffer buffer;
    };
    static std::vector<Entry> entries;
    for (Entry &e : entries)
        if (e.kind == kind && e.dtype == dtype && e.n == n)
            return e.buffer.get();
    entries.push_back({kind, dtype, n, make_buffer(n, dtype, kind, static_cast<size_t>(kind))});
    return entries.back().buffer.get();
}

// The bf16 param copy (written only) is a buffer kind of its own.
void *shared_copy(size_t n)
{
    static std::vector<std::pair<size_t, Buffer>> copies;
    for (auto &c : copies)
        if (c.first == n)
            return c.second.get();
    copies.emplace_back(n, make_buffer(n, LOSSOPT_BF16, Fill::param, 0));
    return copies.back().second.get();
}

// ---- configurations ----------------------------------------------------------

struct Config {
    const char *name;
    lossopt_dtype param, grad, state;
    bool copy;                    // a bf16 param copy
    lossopt_rounding rounding;
    bool options;                 // loss_scale + max_grad_norm + skip_nonfinite
                                  // (else loss_scale alone for *_scaled)
    int bytes_per_element;
};

const Config kAdamF32 = {"step_adam_f32", LOSSOPT_F32, LOSSOPT_F32, LOSSOPT_F32, false,
                         LOSSOPT_ROUND_NEAREST, false, 28};
const Config kAdamMixed = {"step_adam_mixed", LOSSOPT_F32, LOSSOPT_BF16, LOSSOPT_F32, true,
                           LOSSOPT_ROUND_NEAREST, false, 28};
const Config kAdamBf16 = {"step_adam_bf16", LOSSOPT_BF16, LOSSOPT_BF16, LOSSOPT_BF16, false,
                          LOSSOPT_ROUND_NEAREST, false, 14};
const Config kAdamBf16Sr = {"step_adam_bf16_sr", LOSSOPT_BF16, LOSSOPT_BF16, LOSSOPT_BF16, false,
                            LOSSOPT_ROUND_STOCHASTIC, false, 14};
const Config kAdamF32Opts = {"step_adam_f32_opts", LOSSOPT_F32, LOSSOPT_F32, LOSSOPT_F32, false,
                             LOSSOPT_ROUND_NEAREST, true, 32};
const Config kAdamF32Scaled = {"step_adam_f32_scaled", LOSSOPT_F32, LOSSOPT_F32, LOSSOPT_F32,
                               false, LOSSOPT_ROUND_NEAREST, false, 28};
const Config kAdamMixedOpts = {"step_adam_mixed_opts", LOSSOPT_F32, LOSSOPT_BF16, LOSSOPT_F32,
                               true, LOSSOPT_ROUND_NEAREST, true, 30};
const Config kListF32 = {"step_list_adam_f32", LOSSOPT_F32, LOSSOPT_F32, LOSSOPT_F32, false,
                         LOSSOPT_ROUND_NEAREST, false, 28};

lossopt_adam_config adam_config()
{
    lossopt_adam_config cfg = lossopt_adam_defaults();
    cfg.lr = 1e-4f;  // as bench_optimizers.cc
    return cfg;
}

// Every buffer of one configuration, and the tensors slicing them.
struct Tensors {
    void *param, *grad, *m, *v, *copy;
    std::vector<lossopt_tensor> t;
    lossopt_precision precision{};
};

Tensors make_tensors(const Config &c, size_t count, size_t each)
{
    Tensors x;
    size_t n = count * each;
    x.param = shared_buffer(Fill::param, c.param, n);
    x.grad = shared_buffer(Fill::grad, c.grad, n);
    x.m = shared_buffer(Fill::first_moment, c.state, n);
    x.v = shared_buffer(Fill::square_avg, c.state, n);
    x.copy = c.copy ? shared_copy(n) : nullptr;
    x.precision.param = c.param;
    x.precision.grad = c.grad;
    x.precision.state = c.state;
    x.precision.param_copy = LOSSOPT_BF16;
    x.precision.rounding = c.rounding;
    x.precision.seed = 0x5EED;
    auto at = [each](void *base, lossopt_dtype d, size_t i) -> void * {
        return base == nullptr ? nullptr
                               : static_cast<unsigned char *>(base) + i * each * dtype_bytes(d);
    };
    x.t.resize(count);
    for (size_t i = 0; i < count; i++) {
        lossopt_tensor &t = x.t[i];
        t = lossopt_tensor{};
        t.param = at(x.param, c.param, i);
        t.grad = at(x.grad, c.grad, i);
        t.state[0] = at(x.m, c.state, i);
        t.state[1] = at(x.v, c.state, i);
        t.param_copy = at(x.copy, LOSSOPT_BF16, i);
        t.n = each;
    }
    return x;
}

// How a lossopt row runs: the public call or one ISA's table, and no pool or
// the built-in pool with `threads` threads.
struct StepVariant {
    std::string name;
    const lossopt_kernel_table *table;  // nullptr: the public call
    unsigned threads;                   // 0: no pool (threads_1 and public)
};

struct Pool {
    lossopt_parallel p{};
    lossopt_status status = LOSSOPT_OK;
    explicit Pool(unsigned threads)
    {
        if (threads > 1)
            status = lossopt_threads_create(threads, &p);
    }
    ~Pool() { lossopt_threads_destroy(&p); }
    const lossopt_parallel *get() const { return p.run != nullptr ? &p : nullptr; }
};

bool finite_bits(const void *buffer, lossopt_dtype d, size_t i)
{
    float f;
    if (d == LOSSOPT_F32) {
        std::memcpy(&f, static_cast<const float *>(buffer) + i, sizeof f);
    } else {
        uint32_t b = static_cast<uint32_t>(static_cast<const uint16_t *>(buffer)[i]) << 16;
        std::memcpy(&f, &b, sizeof f);
    }
    return std::isfinite(f);
}

void bm_step(benchmark::State &state, Config c, StepVariant v, size_t count, size_t each)
{
    Tensors x = make_tensors(c, count, each);
    Pool pool(v.threads);
    if (pool.status != LOSSOPT_OK) {
        state.SkipWithError(lossopt_status_string(pool.status));
        return;
    }
    lossopt_adam_config cfg = adam_config();
    lossopt_step_options opt{};
    opt.precision = &x.precision;
    opt.parallel = pool.get();
    if (c.options) {
        opt.loss_scale = 1024.0;
        opt.max_grad_norm = 0.01;  // below the grads' norm (~0.02): it clips
        opt.skip_nonfinite = true;
    } else if (std::strstr(c.name, "_scaled") != nullptr) {
        opt.loss_scale = 1024.0;  // the multiplier without the statistics pass
    }
    lossopt_step_report report;
    auto step_fn = [&](int64_t step) {
        return v.table != nullptr
                   ? lossopt_adam_step_with_table(v.table, &cfg, x.t.data(), count, step, &opt,
                                                  &report)
                   : lossopt_adam_step(&cfg, x.t.data(), count, step, &opt, &report);
    };
    int64_t step = 1;
    lossopt_status status = step_fn(step++);  // warm-up (and first touch)
    if (status != LOSSOPT_OK) {
        state.SkipWithError(lossopt_status_string(status));
        return;
    }
    if (report.skipped) {
        state.SkipWithError("the step was skipped");
        return;
    }
    for (auto _ : state) {
        step_fn(step++);
        benchmark::ClobberMemory();
    }
    size_t n = count * each;
    set_counters(state, n, c.bytes_per_element);
    state.counters["tensors"] = static_cast<double>(count);
    if (!finite_bits(x.param, c.param, 0) || !finite_bits(x.param, c.param, n - 1))
        state.SkipWithError("parameters left the finite range");
}

// One lossopt_adam_step_f32 call over the list's elements, one buffer each.
void bm_one_call(benchmark::State &state, size_t n)
{
    float *p = static_cast<float *>(shared_buffer(Fill::param, LOSSOPT_F32, n));
    const float *g = static_cast<const float *>(shared_buffer(Fill::grad, LOSSOPT_F32, n));
    float *m = static_cast<float *>(shared_buffer(Fill::first_moment, LOSSOPT_F32, n));
    float *v = static_cast<float *>(shared_buffer(Fill::square_avg, LOSSOPT_F32, n));
    lossopt_adam_config cfg = adam_config();
    int64_t step = 1;
    lossopt_status status = lossopt_adam_step_f32(p, g, m, v, nullptr, n, &cfg, step++);
    if (status != LOSSOPT_OK) {
        state.SkipWithError(lossopt_status_string(status));
        return;
    }
    for (auto _ : state) {
        lossopt_adam_step_f32(p, g, m, v, nullptr, n, &cfg, step++);
        benchmark::ClobberMemory();
    }
    set_counters(state, n, 28);
    state.counters["tensors"] = 1;
}

void bm_grad_stats(benchmark::State &state, lossopt_dtype dtype, StepVariant v, size_t count,
                   size_t each)
{
    size_t n = count * each;
    const unsigned char *g = static_cast<unsigned char *>(shared_buffer(Fill::grad, dtype, n));
    std::vector<lossopt_tensor> t(count);
    for (size_t i = 0; i < count; i++) {
        t[i] = lossopt_tensor{};
        t[i].grad = g + i * each * dtype_bytes(dtype);
        t[i].n = each;
    }
    double sum = 0.0;
    bool bad = false;
    auto stats = [&]() {
        return v.table != nullptr
                   ? lossopt_grad_stats_with_table(v.table, t.data(), count, dtype, nullptr, &sum,
                                                   &bad)
                   : lossopt_grad_stats(t.data(), count, dtype, nullptr, &sum, &bad);
    };
    lossopt_status status = stats();
    if (status != LOSSOPT_OK || bad || !(sum > 0.0)) {
        state.SkipWithError(status != LOSSOPT_OK ? lossopt_status_string(status)
                                                 : "unexpected statistics");
        return;
    }
    for (auto _ : state) {
        stats();
        benchmark::DoNotOptimize(sum);
        benchmark::ClobberMemory();
    }
    set_counters(state, n, static_cast<int>(dtype_bytes(dtype)));
    state.counters["tensors"] = static_cast<double>(count);
}

// ---- the same-byte references ---------------------------------------------------

enum class Stream { adam_f32, adam_mixed, adam_bf16, read_f32, read_bf16 };

struct StreamInfo {
    Stream kind;
    const char *name;
    int bytes_per_element;
};

const StreamInfo kStreamAdamF32 = {Stream::adam_f32, "step_stream_adam_f32", 28};
const StreamInfo kStreamAdamMixed = {Stream::adam_mixed, "step_stream_adam_mixed", 28};
const StreamInfo kStreamAdamBf16 = {Stream::adam_bf16, "step_stream_adam_bf16", 14};
const StreamInfo kStreamReadF32 = {Stream::read_f32, "step_stream_read_f32", 4};
const StreamInfo kStreamReadBf16 = {Stream::read_bf16, "step_stream_read_bf16", 2};

void bm_stream(benchmark::State &state, StreamInfo info, size_t n, unsigned threads)
{
    bool f32 = info.kind == Stream::adam_f32 || info.kind == Stream::adam_mixed;
    lossopt_dtype state_dtype = f32 ? LOSSOPT_F32 : LOSSOPT_BF16;
    lossopt_dtype grad_dtype = info.kind == Stream::adam_f32 || info.kind == Stream::read_f32
                                   ? LOSSOPT_F32
                                   : LOSSOPT_BF16;
    bool adam = info.kind != Stream::read_f32 && info.kind != Stream::read_bf16;
    // The lossopt rows' own buffers (shared_buffer): the same pages.
    void *g = shared_buffer(Fill::grad, grad_dtype, n);
    void *p = nullptr, *m = nullptr, *v = nullptr, *copy = nullptr;
    if (adam) {
        p = shared_buffer(Fill::param, state_dtype, n);
        m = shared_buffer(Fill::first_moment, state_dtype, n);
        v = shared_buffer(Fill::square_avg, state_dtype, n);
        if (info.kind == Stream::adam_mixed)
            copy = shared_copy(n);
    }
    auto f = [](void *b) { return static_cast<float *>(b); };
    auto h = [](void *b) { return static_cast<uint16_t *>(b); };
    uint32_t sink = 0;
    // Elements [begin, end) of the loop.
    auto range = [&](size_t begin, size_t end) {
        size_t k = end - begin;
        switch (info.kind) {
        case Stream::adam_f32:
            bench_stream_adam_f32(f(p) + begin, f(g) + begin, f(m) + begin, f(v) + begin, k);
            break;
        case Stream::adam_mixed:
            bench_stream_adam_mixed(f(p) + begin, h(g) + begin, f(m) + begin, f(v) + begin,
                                    h(copy) + begin, k);
            break;
        case Stream::adam_bf16:
            bench_stream_adam_bf16(h(p) + begin, h(g) + begin, h(m) + begin, h(v) + begin, k);
            break;
        case Stream::read_f32:
            sink += bench_stream_read_f32(f(g) + begin, k);
            break;
        case Stream::read_bf16:
            sink += bench_stream_read_bf16(h(g) + begin, k);
            break;
        }
    };
    // 2 threads: 65536-element chunks from an atomic counter, the calling
    // thread and one std::thread (started per pass: ~50 us against ~10 ms).
    auto pass = [&]() {
        if (threads <= 1) {
            range(0, n);
            return;
        }
        std::atomic<size_t> next{0};
        auto worker = [&]() {
            for (;;) {
                size_t begin = next.fetch_add(kChunk);
                if (begin >= n)
                    return;
                range(begin, begin + kChunk < n ? begin + kChunk : n);
            }
        };
        std::vector<std::thread> others;
        for (unsigned i = 1; i < threads; i++)
            others.emplace_back(worker);
        worker();
        for (std::thread &t : others)
            t.join();
    };
    // The read-only sums race on `sink` with 2 threads; no 2-thread read rows.
    pass();
    for (auto _ : state) {
        pass();
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(sink);
    set_counters(state, n, info.bytes_per_element);
}

// ---- registration ------------------------------------------------------------------

// Each row runs once per round (register_engine_step), at least min_time.
void configure_engine(benchmark::internal::Benchmark *b, bool real_time)
{
    b->MinTime(options().quick ? 0.05 : 0.2)->Repetitions(1);
    if (real_time)
        b->UseRealTime();
}

std::string shape(size_t count, size_t each)
{
    return std::to_string(count) + "x" + std::to_string(each);
}

void add_step(const Config &c, const StepVariant &v, size_t count, size_t each)
{
    std::string name = std::string(c.name) + "/" + v.name + "/" + shape(count, each);
    configure_engine(benchmark::RegisterBenchmark(name.c_str(),
                                                  [c, v, count, each](benchmark::State &s) {
                                                      bm_step(s, c, v, count, each);
                                                  }),
                     v.threads != 0 || v.name == "threads_1");
}

void add_stream(const StreamInfo &info, const char *variant, size_t n, unsigned threads,
                bool real_time)
{
    std::string name = std::string(info.name) + "/" + variant + "/" + std::to_string(n);
    configure_engine(benchmark::RegisterBenchmark(
                         name.c_str(),
                         [info, n, threads](benchmark::State &s) { bm_stream(s, info, n, threads); }),
                     real_time);
}

void add_grad_stats(lossopt_dtype dtype, const StepVariant &v)
{
    std::string name = std::string(dtype == LOSSOPT_F32 ? "step_grad_stats_f32"
                                                        : "step_grad_stats_bf16") +
                       "/" + v.name + "/" + shape(kBigTensors, kBigElements);
    configure_engine(benchmark::RegisterBenchmark(name.c_str(),
                                                  [dtype, v](benchmark::State &s) {
                                                      bm_grad_stats(s, dtype, v, kBigTensors,
                                                                    kBigElements);
                                                  }),
                     false);
}

// One round: every row once.
void register_round()
{
    const bool quick = options().quick;
    const size_t big = kBigTensors * kBigElements;
    const StepVariant pub = {"public", nullptr, 0};
    const StepVariant threads_1 = {"threads_1", nullptr, 0};
    const StepVariant threads_2 = {"threads_2", nullptr, 2};
    std::vector<StepVariant> tables;  // full run: every supported ISA's table
    if (!quick)
        for (lossopt_isa isa : {LOSSOPT_ISA_SCALAR, LOSSOPT_ISA_AVX2, LOSSOPT_ISA_AVX512,
                                LOSSOPT_ISA_NEON})
            if (const lossopt_kernel_table *t = lossopt_kernel_table_for(isa))
                tables.push_back({lossopt_isa_name(isa), t, 0});

    // 1. The tensor list against one call over as many elements.
    add_step(kListF32, pub, kListTensors, kListElements);
    {
        size_t n = kListTensors * kListElements;
        configure_engine(benchmark::RegisterBenchmark(
                             ("step_list_adam_f32/one_call/1x" + std::to_string(n)).c_str(),
                             [n](benchmark::State &s) { bm_one_call(s, n); }),
                         false);
    }

    // 2. Beyond cache: f32, bf16 grads + f32 master + bf16 copy, all bf16
    //    (nearest, stochastic), each against its stream.
    for (const Config *c : {&kAdamF32, &kAdamMixed, &kAdamBf16, &kAdamBf16Sr}) {
        add_step(*c, pub, kBigTensors, kBigElements);
        for (const StepVariant &v : tables)
            add_step(*c, v, kBigTensors, kBigElements);
    }
    add_stream(kStreamAdamF32, "native", big, 1, false);
    add_stream(kStreamAdamMixed, "native", big, 1, false);
    add_stream(kStreamAdamBf16, "native", big, 1, false);

    // 3. Unscale + clipping + skip check against the plain step.
    add_step(kAdamF32Opts, pub, kBigTensors, kBigElements);
    if (!quick) {
        add_step(kAdamF32Scaled, pub, kBigTensors, kBigElements);
        add_step(kAdamMixedOpts, pub, kBigTensors, kBigElements);
    }

    // 4. The statistics pass against a read-only stream.
    add_grad_stats(LOSSOPT_F32, pub);
    for (const StepVariant &v : tables)
        add_grad_stats(LOSSOPT_F32, v);
    add_stream(kStreamReadF32, "native", big, 1, false);
    if (!quick) {
        add_grad_stats(LOSSOPT_BF16, pub);
        for (const StepVariant &v : tables)
            add_grad_stats(LOSSOPT_BF16, v);
        add_stream(kStreamReadBf16, "native", big, 1, false);
    }

    // 5. One and two threads (wall time): beyond cache against a 2-thread
    //    stream of the same bytes, and the 1000 x 4096 list.
    add_step(kAdamF32, threads_1, kBigTensors, kBigElements);
    add_step(kAdamF32, threads_2, kBigTensors, kBigElements);
    add_stream(kStreamAdamF32, "threads_1", big, 1, true);
    add_stream(kStreamAdamF32, "threads_2", big, 2, true);
    add_step(kListF32, threads_1, kListTensors, kListElements);
    add_step(kListF32, threads_2, kListTensors, kListElements);
}

}  // namespace

// The rows are registered in rounds, every row once per round, under the same
// names: Google Benchmark runs them in registration order, so each row's runs
// are interleaved with its reference's, and bench/summarize.py takes the
// median of a name's runs. A ratio of two rows then sees the same drift of a
// shared machine (on a loaded 2-vCPU VM, back-to-back runs of one row moved by
// 10-20 %, more than the margins of the targets). Quick: 2 rounds of 0.05 s
// per row; full: 3 rounds of 0.2 s.
void register_engine_step()
{
    int rounds = options().quick ? 2 : 3;
    for (int r = 0; r < rounds; r++)
        register_round();
}

}  // namespace lossopt_bench
