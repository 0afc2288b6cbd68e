// bench/bench_rowwise.cc - the row-wise losses in lossopt_bench (DESIGN.md
// section 7, SPEC.md section 3: cross_entropy at 1000 and 32000 classes).
//
// Benchmarks, named <loss>/<variant>/<rows>x<classes>:
//   loss     cross_entropy        class-index labels, reduction MEAN
//            cross_entropy_ls     the same with label_smoothing = 0.1
//            cross_entropy_probs  soft targets (each row a distribution), MEAN
//            multi_margin         p = 1, margin 1, no class weights, MEAN
//            multilabel_soft_margin  the soft targets as multi-label targets
//                                 (each in [0, 1)), no class weights, MEAN
//            cross_entropy_bf16_in_place  cross_entropy's io form (issue 16):
//                                 bf16 logits (the f32 logits rounded to
//                                 nearest), int32 labels, the bf16 gradient
//                                 written over the logits, MEAN. From the
//                                 second iteration on the logits are the
//                                 previous gradient: the work per element
//                                 (max, exp, sums, gradient) is the same.
//            nll                  the logits as log-probabilities, MEAN (one
//                                 element read per row, the gradient row
//                                 written: 4 bytes per element)
//            all with loss and gradient requested
//   variant  every ISA in lossopt_supported_isas() (internal
//            lossopt_*_f32_with_table(lossopt_kernel_table_for(isa), ...)) and
//            public (the dispatched lossopt_*_f32)
//   shape    options().shapes: 64 x 1000 and 4 x 32000 (quick), plus
//            1024 x 1000 and 32 x 32000 (full)
// plus exp_pass/sleef_avx2/<rows>x<classes> and exp_pass/sleef_avx512/...: one
// SLEEF exp pass of that ISA (Sleef_expf8_u10avx2, Sleef_expf16_u10avx512f;
// bench/sleef_exp.h) over the same logits (rows * classes elements), the
// floor of cross_entropy (SPEC: <= 1.5x the pass of the same ISA; skipped
// with a message where the CPU lacks the ISA). The shape is in the name
// because two full-mode shapes have the same element count
// (1024 x 1000 = 32 x 32000 = 1024000).
//
// Counters: items = rows * classes (elements). Bytes per element: 8 (4 read
// from the logits + 4 written to the gradient) for cross_entropy,
// cross_entropy_ls and multi_margin (the labels, 8 bytes per row, are not
// counted); 12 for cross_entropy_probs and multilabel_soft_margin, which also
// read a target row of the same size; 4 for cross_entropy_bf16_in_place (2
// read, 2 written over them). The library reads each logits row twice (max, then exp), but
// the second read hits the cache; bytes count the unavoidable traffic only.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bench_common.h"
#include "lossopt_internal.h"
#include "plain_loops.h"
#include "sleef_exp.h"

namespace lossopt_bench {
namespace {

enum class RowLoss {
    cross_entropy,
    cross_entropy_ls,
    cross_entropy_probs,
    multi_margin,
    multilabel_soft_margin,
    cross_entropy_bf16_in_place,
    nll
};

struct RowLossInfo {
    RowLoss loss;
    const char *name;
    int bytes_per_element;
};

const RowLossInfo kRowLosses[] = {
    {RowLoss::cross_entropy, "cross_entropy", 8},
    {RowLoss::cross_entropy_ls, "cross_entropy_ls", 8},
    {RowLoss::cross_entropy_probs, "cross_entropy_probs", 12},
    {RowLoss::multi_margin, "multi_margin", 8},
    {RowLoss::multilabel_soft_margin, "multilabel_soft_margin", 12},
    {RowLoss::cross_entropy_bf16_in_place, "cross_entropy_bf16_in_place", 4},
    {RowLoss::nll, "nll", 4},
};

constexpr float kLabelSmoothing = 0.1f;

// Inputs, from a fixed-seed xorshift (buffers are small: at most 1 M floats):
//   logits / scores  ~N(0, 2) (a spread of a trained-ish classifier: the max
//                    is a few units above the rest, no row is one-hot)
//   labels           uniform in [0, classes)
//   target_probs     uniform [0, 1) per class, each row normalised to sum 1
struct RowData {
    Buffer logits, probs, grad;
    std::vector<int64_t> labels;
    Buffer logits_bf16;            // (n + 1) / 2 floats holding n bf16 values
    std::vector<int32_t> labels32;
};

// bf16 of a finite float, rounded to nearest even.
uint16_t bf16_of(float x)
{
    uint32_t b;
    std::memcpy(&b, &x, sizeof b);
    return static_cast<uint16_t>((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

RowData make_row_data(const Shape &s)
{
    const size_t n = s.rows * s.classes;
    uint64_t st = 0x94D049BB133111EBull;
    auto uniform = [&st]() {  // in [0, 1)
        st ^= st << 13; st ^= st >> 7; st ^= st << 17;
        return static_cast<float>(st >> 40) * (1.0f / 16777216.0f);
    };
    RowData d{allocate(n), allocate(n), allocate(n), std::vector<int64_t>(s.rows),
              allocate((n + 1) / 2), std::vector<int32_t>(s.rows)};
    for (size_t i = 0; i < n; i++) {
        d.logits[i] = (uniform() + uniform() + uniform() + uniform() - 2.0f) * 1.7320508f * 2.0f;
        d.grad[i] = 0.0f;
    }
    for (size_t r = 0; r < s.rows; r++) {
        d.labels[r] = static_cast<int64_t>(uniform() * static_cast<float>(s.classes)) %
                      static_cast<int64_t>(s.classes);
        double sum = 0.0;
        float *t = d.probs.get() + r * s.classes;
        for (size_t j = 0; j < s.classes; j++)
            sum += (t[j] = uniform());
        for (size_t j = 0; j < s.classes; j++)
            t[j] = static_cast<float>(t[j] / sum);
        d.labels32[r] = static_cast<int32_t>(d.labels[r]);
    }
    uint16_t *bf16 = reinterpret_cast<uint16_t *>(d.logits_bf16.get());
    for (size_t i = 0; i < n; i++)
        bf16[i] = bf16_of(d.logits[i]);
    return d;
}

using RowFn = std::function<lossopt_status()>;

RowFn make_row_loss(const RowLossInfo &info, const Variant &v, RowData &d, const Shape &s,
                    float *loss)
{
    const float *x = d.logits.get(), *t = d.probs.get();
    const int64_t *y = d.labels.data();
    float *g = d.grad.get();
    const size_t rows = s.rows, classes = s.classes;
    lossopt_ce_options opt{};
    opt.reduction = LOSSOPT_MEAN;
    if (info.loss == RowLoss::cross_entropy_ls)
        opt.label_smoothing = kLabelSmoothing;
    const lossopt_kernel_table *table =
        v.kind == Kind::isa ? lossopt_kernel_table_for(v.isa) : nullptr;
    const bool pub = v.kind == Kind::dispatched;
    void *xb = d.logits_bf16.get();
    const int32_t *y32 = d.labels32.data();
    lossopt_loss_io io{};
    io.input = LOSSOPT_BF16;
    io.grad = LOSSOPT_BF16;
    io.labels = LOSSOPT_LABELS_I32;
    switch (info.loss) {
    case RowLoss::cross_entropy:
    case RowLoss::cross_entropy_ls:
        if (pub)
            return [=]() { return lossopt_cross_entropy_f32(x, y, rows, classes, &opt, loss, g); };
        return [=]() {
            return lossopt_cross_entropy_f32_with_table(table, x, y, rows, classes, &opt, loss, g);
        };
    case RowLoss::cross_entropy_probs:
        if (pub)
            return [=]() {
                return lossopt_cross_entropy_probs_f32(x, t, rows, classes, &opt, loss, g);
            };
        return [=]() {
            return lossopt_cross_entropy_probs_f32_with_table(table, x, t, rows, classes, &opt,
                                                              loss, g);
        };
    case RowLoss::multi_margin:
        if (pub)
            return [=]() {
                return lossopt_multi_margin_f32(x, y, rows, classes, 1, 1.0f, nullptr,
                                                LOSSOPT_MEAN, loss, g);
            };
        return [=]() {
            return lossopt_multi_margin_f32_with_table(table, x, y, rows, classes, 1, 1.0f,
                                                       nullptr, LOSSOPT_MEAN, loss, g);
        };
    case RowLoss::multilabel_soft_margin:
        if (pub)
            return [=]() {
                return lossopt_multilabel_soft_margin_f32(x, t, rows, classes, nullptr,
                                                          LOSSOPT_MEAN, loss, g);
            };
        return [=]() {
            return lossopt_multilabel_soft_margin_f32_with_table(table, x, t, rows, classes,
                                                                 nullptr, LOSSOPT_MEAN, loss, g);
        };
    case RowLoss::nll:
        if (pub)
            return [=]() { return lossopt_nll_f32(x, y, rows, classes, &opt, loss, g); };
        return [=]() {
            return lossopt_nll_io_with_table(table, x, y, rows, classes, &opt, nullptr, loss, g);
        };
    case RowLoss::cross_entropy_bf16_in_place:
        if (pub)
            return [=]() {
                return lossopt_cross_entropy(xb, y32, rows, classes, &opt, &io, loss, xb);
            };
        return [=]() {
            return lossopt_cross_entropy_io_with_table(table, xb, y32, rows, classes, &opt, &io,
                                                       loss, xb);
        };
    }
    return nullptr;
}

void bm_row_loss(benchmark::State &state, RowLossInfo info, Variant variant, Shape s)
{
    RowData d = make_row_data(s);
    float loss = 0.0f;
    RowFn fn = make_row_loss(info, variant, d, s, &loss);
    lossopt_status status = fn();  // warm-up, and the check that it runs here
    if (status != LOSSOPT_OK) {
        state.SkipWithError(lossopt_status_string(status));
        return;
    }
    for (auto _ : state) {
        fn();
        benchmark::DoNotOptimize(loss);
        benchmark::ClobberMemory();
    }
    set_counters(state, s.rows * s.classes, info.bytes_per_element);
    if (!std::isfinite(loss))
        state.SkipWithError("the loss is not finite");
}

void bm_row_exp(benchmark::State &state, const BenchExpPass &exp, Shape s)
{
    if (!exp.supported()) {
        state.SkipWithError(exp.unsupported);
        return;
    }
    RowData d = make_row_data(s);
    const size_t n = s.rows * s.classes;
    exp.pass(d.grad.get(), d.logits.get(), n);
    for (auto _ : state) {
        exp.pass(d.grad.get(), d.logits.get(), n);
        benchmark::ClobberMemory();
    }
    set_counters(state, n, 8);
}

std::string shape_name(const Shape &s)
{
    return std::to_string(s.rows) + "x" + std::to_string(s.classes);
}

}  // namespace

void register_rowwise_losses()
{
    std::vector<Variant> vs;
    for (const Variant &v : variants())
        if (v.kind == Kind::isa || v.kind == Kind::dispatched)
            vs.push_back(v);
    for (const Shape &s : options().shapes) {
        const size_t n = s.rows * s.classes;
        for (const BenchExpPass &exp : kBenchExpPasses) {
            if (!exp.name)
                continue;
            std::string name = "exp_pass/" + std::string(exp.name) + "/" + shape_name(s);
            configure(benchmark::RegisterBenchmark(
                          name.c_str(),
                          [&exp, s](benchmark::State &st) { bm_row_exp(st, exp, s); }),
                      n);
        }
        for (const RowLossInfo &info : kRowLosses)
            for (const Variant &v : vs) {
                std::string name = std::string(info.name) + "/" + v.name + "/" + shape_name(s);
                configure(benchmark::RegisterBenchmark(
                              name.c_str(),
                              [info, v, s](benchmark::State &st) { bm_row_loss(st, info, v, s); }),
                          n);
            }
    }
}

}  // namespace lossopt_bench
