// bench/bench_losses.cc - the elementwise losses in lossopt_bench (DESIGN.md
// section 7, SPEC.md section 3).
//
// Benchmarks, named <loss>/<variant>/<n> like the optimizers:
//   loss     mse, l1, huber (delta 1), smooth_l1 (beta 1), hinge,
//            squared_hinge, bce, bce_logits, soft_margin (y +-1), poisson_nll
//            (PyTorch's defaults: log_input, eps 1e-8, no full), kl_div (n
//            rows of one column: log-probabilities against probabilities);
//            reduction MEAN, loss and gradient both requested, 8 bytes read
//            + 4 written per element
//   variant  every ISA in lossopt_supported_isas() (internal
//            lossopt_elementwise_loss_f32_with_table), public (the dispatched
//            lossopt_<loss>_f32), and for the bandwidth-bound mse, l1, huber
//            and hinge the plain loops (bench/plain_loops.c)
//   n        the run's sizes (bench_common.h), and n = 16 for mse
// plus margin_ranking (margin 0.3, y +-1) and gaussian_nll (eps 1e-6, var
// uniform (0, 2]) on every ISA and the public API: three inputs read, two
// gradients written (20 bytes per element);
// plus cosine_embedding (margin 0, y +-1) and triplet_margin (margin 1, p 2,
// eps 1e-6, no swap) on rows of 128 floats (n / 128 rows; n counts the
// elements of one input), every ISA and the public API: cosine reads two
// inputs and writes two gradients (16 bytes per element), triplet three and
// three (24);
// plus exp_pass/sleef_avx2/<n> and exp_pass/sleef_avx512/<n>: one SLEEF exp
// pass of that ISA over the array (bench/sleef_exp.h; 8 bytes/element), the
// floor of the transcendental losses (x86-64 only; skipped with a message
// where the CPU lacks the ISA).
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench_common.h"
#include "lossopt_internal.h"
#include "plain_loops.h"
#include "sleef_exp.h"

namespace lossopt_bench {
namespace {

struct LossInfo {
    lossopt_loss_kind kind;
    const char *name;
    float parameter;  // huber's delta, smooth_l1's beta, bce_logits' pos_weight, poisson's eps
    bool has_plain;   // a plain-loop baseline exists (the bandwidth-bound ones)
    unsigned flags;   // poisson_nll's LOSSOPT_LOSS_LOG_INPUT
};

const LossInfo kLosses[] = {
    {LOSSOPT_LOSS_MSE, "mse", 0.0f, true, 0u},
    {LOSSOPT_LOSS_L1, "l1", 0.0f, true, 0u},
    {LOSSOPT_LOSS_HUBER, "huber", 1.0f, true, 0u},
    {LOSSOPT_LOSS_SMOOTH_L1, "smooth_l1", 1.0f, false, 0u},
    {LOSSOPT_LOSS_HINGE, "hinge", 0.0f, true, 0u},
    {LOSSOPT_LOSS_SQUARED_HINGE, "squared_hinge", 0.0f, false, 0u},
    {LOSSOPT_LOSS_BCE, "bce", 0.0f, false, 0u},
    {LOSSOPT_LOSS_BCE_LOGITS, "bce_logits", 1.0f, false, 0u},
    {LOSSOPT_LOSS_SOFT_MARGIN, "soft_margin", 0.0f, false, 0u},
    {LOSSOPT_LOSS_POISSON_NLL, "poisson_nll", 1e-8f, false, LOSSOPT_LOSS_LOG_INPUT},
    {LOSSOPT_LOSS_KL_DIV, "kl_div", 0.0f, false, 0u},
};

constexpr int kLossBytesPerElement = 12;  // 8 read + 4 written (grad)

// Inputs and targets in each loss's domain, from a fixed-seed xorshift table
// of 64 Ki values tiled over the buffer (as the optimizer buffers are):
//   regression losses  input, target ~N(0, 1) (|d| < 1 and > 1 both common)
//   hinge losses       score ~N(0, 1), label +-1
//   bce                prob uniform in [0.001, 0.999], target uniform [0, 1]
//   bce_logits         logit ~N(0, 4), target 0 or 1
//   soft_margin        score ~N(0, 4), label +-1
//   poisson_nll        log-rate ~N(0, 1/4), count: an integer in [0, 5]
//   kl_div             log-probability uniform in [-9, 0), probability [0, 1)
struct LossData {
    Buffer input, target, grad;
};

LossData make_loss_data(lossopt_loss_kind kind, size_t n)
{
    constexpr size_t kTable = 1u << 16;
    uint64_t s = 0xD1B54A32D192ED03ull * (static_cast<uint64_t>(kind) + 1);
    auto uniform = [&s]() {  // in [0, 1)
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        return static_cast<float>(s >> 40) * (1.0f / 16777216.0f);
    };
    auto normal = [&uniform]() {
        return (uniform() + uniform() + uniform() + uniform() - 2.0f) * 1.7320508f;
    };
    std::vector<float> in(kTable), tg(kTable);
    for (size_t i = 0; i < kTable; i++) {
        switch (kind) {
        case LOSSOPT_LOSS_HINGE:
        case LOSSOPT_LOSS_SQUARED_HINGE:
            in[i] = normal();
            tg[i] = uniform() < 0.5f ? -1.0f : 1.0f;
            break;
        case LOSSOPT_LOSS_BCE:
            in[i] = 0.001f + 0.998f * uniform();
            tg[i] = uniform();
            break;
        case LOSSOPT_LOSS_BCE_LOGITS:
            in[i] = 2.0f * normal();
            tg[i] = uniform() < 0.5f ? 0.0f : 1.0f;
            break;
        case LOSSOPT_LOSS_SOFT_MARGIN:
            in[i] = 2.0f * normal();
            tg[i] = uniform() < 0.5f ? -1.0f : 1.0f;
            break;
        case LOSSOPT_LOSS_POISSON_NLL:
            in[i] = 0.5f * normal();
            tg[i] = std::floor(6.0f * uniform());
            break;
        case LOSSOPT_LOSS_KL_DIV:
            in[i] = -9.0f * uniform();
            tg[i] = uniform();
            break;
        default:
            in[i] = normal();
            tg[i] = normal();
            break;
        }
    }
    LossData d{allocate(n), allocate(n), allocate(n)};
    for (size_t i = 0; i < n; i++) {
        d.input[i] = in[i & (kTable - 1)];
        d.target[i] = tg[(i + 7919) & (kTable - 1)];
        d.grad[i] = 0.0f;
    }
    return d;
}

using LossFn = std::function<lossopt_status()>;

lossopt_status public_loss(const LossInfo &info, const float *x, const float *y, size_t n,
                           float *loss, float *grad)
{
    const lossopt_reduction r = LOSSOPT_MEAN;
    switch (info.kind) {
    case LOSSOPT_LOSS_MSE: return lossopt_mse_f32(x, y, n, r, loss, grad);
    case LOSSOPT_LOSS_L1: return lossopt_l1_f32(x, y, n, r, loss, grad);
    case LOSSOPT_LOSS_HUBER: return lossopt_huber_f32(x, y, n, info.parameter, r, loss, grad);
    case LOSSOPT_LOSS_SMOOTH_L1:
        return lossopt_smooth_l1_f32(x, y, n, info.parameter, r, loss, grad);
    case LOSSOPT_LOSS_HINGE: return lossopt_hinge_f32(x, y, n, r, loss, grad);
    case LOSSOPT_LOSS_SQUARED_HINGE: return lossopt_squared_hinge_f32(x, y, n, r, loss, grad);
    case LOSSOPT_LOSS_BCE: return lossopt_bce_f32(x, y, n, nullptr, r, loss, grad);
    case LOSSOPT_LOSS_BCE_LOGITS:
        return lossopt_bce_logits_f32(x, y, n, nullptr, info.parameter, r, loss, grad);
    case LOSSOPT_LOSS_SOFT_MARGIN: return lossopt_soft_margin_f32(x, y, n, r, loss, grad);
    case LOSSOPT_LOSS_POISSON_NLL:
        return lossopt_poisson_nll_f32(x, y, n, true, false, info.parameter, r, loss, grad);
    case LOSSOPT_LOSS_KL_DIV: return lossopt_kl_div_f32(x, y, n, 1, false, r, loss, grad);
    default: return LOSSOPT_ERR_ARG;
    }
}

LossFn make_loss(const LossInfo &info, const Variant &v, LossData &d, size_t n, float *loss)
{
    const float *x = d.input.get(), *y = d.target.get();
    float *g = d.grad.get();
    const Kind kind = v.kind;
    if (kind == Kind::isa) {
        const lossopt_kernel_table *table = lossopt_kernel_table_for(v.isa);
        lossopt_loss_kind k = info.kind;
        float p = info.parameter;
        unsigned flags = info.flags;
        return [=]() {
            return lossopt_elementwise_loss_ex_f32_with_table(table, k, x, y, nullptr, n, p,
                                                              flags, LOSSOPT_MEAN, loss, g);
        };
    }
    if (kind == Kind::dispatched)
        return [=]() { return public_loss(info, x, y, n, loss, g); };
    switch (info.kind) {  // plain loops
    case LOSSOPT_LOSS_MSE: {
        auto fn = PLAIN_PICK(kind, plain_mse_loss);
        return [=]() { *loss = fn(x, y, g, n); return LOSSOPT_OK; };
    }
    case LOSSOPT_LOSS_L1: {
        auto fn = PLAIN_PICK(kind, plain_l1_loss);
        return [=]() { *loss = fn(x, y, g, n); return LOSSOPT_OK; };
    }
    case LOSSOPT_LOSS_HUBER: {
        auto fn = PLAIN_PICK(kind, plain_huber_loss);
        float delta = info.parameter;
        return [=]() { *loss = fn(x, y, g, n, delta); return LOSSOPT_OK; };
    }
    case LOSSOPT_LOSS_HINGE: {
        auto fn = PLAIN_PICK(kind, plain_hinge_loss);
        return [=]() { *loss = fn(x, y, g, n); return LOSSOPT_OK; };
    }
    default:
        return nullptr;
    }
}

void bm_loss(benchmark::State &state, LossInfo info, Variant variant, size_t n)
{
    LossData d = make_loss_data(info.kind, n);
    float loss = 0.0f;
    LossFn fn = make_loss(info, variant, d, n, &loss);
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
    set_counters(state, n, kLossBytesPerElement);
    if (!std::isfinite(loss))
        state.SkipWithError("the loss is not finite");
}

void bm_sleef_exp(benchmark::State &state, const BenchExpPass &exp, size_t n)
{
    if (!exp.supported()) {
        state.SkipWithError(exp.unsupported);
        return;
    }
    LossData d = make_loss_data(LOSSOPT_LOSS_BCE_LOGITS, n);  // logits ~N(0, 4)
    exp.pass(d.grad.get(), d.input.get(), n);
    for (auto _ : state) {
        exp.pass(d.grad.get(), d.input.get(), n);
        benchmark::ClobberMemory();
    }
    set_counters(state, n, 8);
}

void register_loss(const LossInfo &info, const Variant &v, size_t n)
{
    std::string name = std::string(info.name) + "/" + v.name + "/" + std::to_string(n);
    configure(benchmark::RegisterBenchmark(
                  name.c_str(), [info, v, n](benchmark::State &s) { bm_loss(s, info, v, n); }),
              n);
}

bool applies(const LossInfo &info, const Variant &v)
{
    return v.kind == Kind::isa || v.kind == Kind::dispatched || info.has_plain;
}

// ---- three inputs, two gradients (margin_ranking, gaussian_nll) ------------

struct Loss3Info {
    lossopt_loss3_kind kind;
    const char *name;
    float parameter;  // margin, eps
};

const Loss3Info kLosses3[] = {
    {LOSSOPT_LOSS3_MARGIN_RANKING, "margin_ranking", 0.3f},
    {LOSSOPT_LOSS3_GAUSSIAN_NLL, "gaussian_nll", 1e-6f},
};

constexpr int kLoss3BytesPerElement = 20;  // 12 read + 8 written (two gradients)

void bm_loss3(benchmark::State &state, Loss3Info info, Variant v, size_t n)
{
    // a, b ~N(0, 1) from the regression table; c = y +-1 or var in (0, 2]
    LossData d = make_loss_data(LOSSOPT_LOSS_MSE, n);
    LossData e = make_loss_data(LOSSOPT_LOSS_HINGE, n);  // target +-1
    Buffer c = allocate(n), grad_b = allocate(n);
    for (size_t i = 0; i < n; i++)
        c[i] = info.kind == LOSSOPT_LOSS3_MARGIN_RANKING ? e.target[i]
                                                         : std::fabs(e.input[i]) + 0.05f;
    const float *a = d.input.get(), *b = d.target.get(), *cc = c.get();
    float *ga = d.grad.get(), *gb = grad_b.get();
    float loss = 0.0f;
    const lossopt_kernel_table *table =
        v.kind == Kind::isa ? lossopt_kernel_table_for(v.isa) : nullptr;
    auto run = [&]() {
        if (table)
            return lossopt_loss3_f32_with_table(table, info.kind, a, b, cc, n, info.parameter,
                                                false, LOSSOPT_MEAN, &loss, ga, gb);
        if (info.kind == LOSSOPT_LOSS3_MARGIN_RANKING)
            return lossopt_margin_ranking_f32(a, b, cc, n, info.parameter, LOSSOPT_MEAN, &loss,
                                              ga, gb);
        return lossopt_gaussian_nll_f32(a, b, cc, n, false, info.parameter, LOSSOPT_MEAN, &loss,
                                        ga, gb);
    };
    lossopt_status status = run();
    if (status != LOSSOPT_OK) {
        state.SkipWithError(lossopt_status_string(status));
        return;
    }
    for (auto _ : state) {
        run();
        benchmark::DoNotOptimize(loss);
        benchmark::ClobberMemory();
    }
    set_counters(state, n, kLoss3BytesPerElement);
    if (!std::isfinite(loss))
        state.SkipWithError("the loss is not finite");
}

// ---- embedding rows (cosine_embedding, triplet_margin) ---------------------

constexpr size_t kEmbeddingDim = 128;

void bm_embedding(benchmark::State &state, bool cosine, Variant v, size_t n)
{
    size_t dim = n < kEmbeddingDim ? n : kEmbeddingDim, rows = n / dim;
    LossData d = make_loss_data(LOSSOPT_LOSS_MSE, n);
    LossData e = make_loss_data(LOSSOPT_LOSS_HINGE, n);  // target +-1
    Buffer g2 = allocate(n), g3 = allocate(n);
    const float *x = d.input.get(), *y = d.target.get();
    const float *z = cosine ? e.target.get() : e.input.get();  // y +-1, or a negative
    float *g1 = d.grad.get();
    float loss = 0.0f;
    const lossopt_kernel_table *table =
        v.kind == Kind::isa ? lossopt_kernel_table_for(v.isa) : nullptr;
    auto run = [&]() {
        if (cosine)
            return table ? lossopt_cosine_embedding_f32_with_table(table, x, y, z, rows, dim, 0.0f,
                                                                   LOSSOPT_MEAN, &loss, g1,
                                                                   g2.get())
                         : lossopt_cosine_embedding_f32(x, y, z, rows, dim, 0.0f, LOSSOPT_MEAN,
                                                        &loss, g1, g2.get());
        return table ? lossopt_triplet_margin_f32_with_table(table, x, y, z, rows, dim, 1.0f, 2,
                                                             1e-6f, false, LOSSOPT_MEAN, &loss,
                                                             g1, g2.get(), g3.get())
                     : lossopt_triplet_margin_f32(x, y, z, rows, dim, 1.0f, 2, 1e-6f, false,
                                                  LOSSOPT_MEAN, &loss, g1, g2.get(), g3.get());
    };
    lossopt_status status = run();
    if (status != LOSSOPT_OK) {
        state.SkipWithError(lossopt_status_string(status));
        return;
    }
    for (auto _ : state) {
        run();
        benchmark::DoNotOptimize(loss);
        benchmark::ClobberMemory();
    }
    set_counters(state, rows * dim, cosine ? 16 : 24);
    if (!std::isfinite(loss))
        state.SkipWithError("the loss is not finite");
}

}  // namespace

void register_losses()
{
    std::vector<Variant> vs = variants();
    for (size_t n : options().sizes) {
        for (const BenchExpPass &exp : kBenchExpPasses) {
            if (!exp.name)
                continue;
            std::string name = "exp_pass/" + std::string(exp.name) + "/" + std::to_string(n);
            configure(benchmark::RegisterBenchmark(
                          name.c_str(),
                          [&exp, n](benchmark::State &s) { bm_sleef_exp(s, exp, n); }),
                      n);
        }
        for (const LossInfo &info : kLosses)
            for (const Variant &v : vs)
                if (applies(info, v))
                    register_loss(info, v, n);
        for (const Loss3Info &info : kLosses3)
            for (const Variant &v : vs)
                if (v.kind == Kind::isa || v.kind == Kind::dispatched) {
                    std::string name =
                        std::string(info.name) + "/" + v.name + "/" + std::to_string(n);
                    configure(benchmark::RegisterBenchmark(
                                  name.c_str(), [info, v, n](benchmark::State &s) {
                                      bm_loss3(s, info, v, n);
                                  }),
                              n);
                }
        for (int cosine = 1; cosine >= 0; cosine--)
            for (const Variant &v : vs)
                if (v.kind == Kind::isa || v.kind == Kind::dispatched) {
                    std::string name = std::string(cosine ? "cosine_embedding" : "triplet_margin") +
                                       "/" + v.name + "/" + std::to_string(n);
                    configure(benchmark::RegisterBenchmark(
                                  name.c_str(), [cosine, v, n](benchmark::State &s) {
                                      bm_embedding(s, cosine != 0, v, n);
                                  }),
                              n);
                }
    }
    // Dispatch overhead at n = 16 (SPEC.md section 3), as for SGD.
    for (const Variant &v : vs)
        if (applies(kLosses[0], v))
            register_loss(kLosses[0], v, 16);
}

}  // namespace lossopt_bench
