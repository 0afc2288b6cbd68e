// bench/bench_optimizers.cc - Google Benchmark harness of the optimizer
// updates (DESIGN.md section 7, SPEC.md section 3).
//
// Benchmarks, registered programmatically, named <config>/<variant>/<n>:
//   config   sgd, sgd_momentum, rmsprop, adam, adamw, adam_amsgrad, and the
//            0.2 optimizers adagrad, adamax, nadam, radam, lion, lamb (their
//            _f32 calls, library defaults with lr 1e-4)
//   variant  every ISA in lossopt_supported_isas() (internal _isa entry
//            points; the 0.2 optimizers' _with_table calls on that ISA's
//            table), public (the dispatched API), plain_O3 and plain_native
//            (bench/plain_loops.c at -O3 and -O3 -march=native), and
//            plain_native_noerrno when built with LOSSOPT_BENCH_PLAIN_NOERRNO
//   n        4096, 65536, 1<<20, 16<<20 floats per buffer (--lossopt_quick:
//            65536 and 16<<20, shorter runs)
// plus stream_copy/<n> and stream_triad/<n>, the same-run bandwidth reference.
// The elementwise losses are registered by bench_losses.cc, the row-wise ones
// (cross-entropy, multi-margin) by bench_rowwise.cc; bench_main.cc holds
// main() and the options.
// Each reports items (elements) and bytes per second, bytes counted as in
// SPEC.md section 3; bench/summarize.py turns the JSON into markdown tables.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench_common.h"
#include "lossopt_internal.h"
#include "plain_loops.h"

namespace lossopt_bench {

// The value domains of the optimizer benchmarks (bench_common.h): 64 Ki
// values per kind from a fixed-seed xorshift, tiled over the buffers (with a
// per-buffer offset), so filling 16 M floats costs a copy, not RNG.
const std::vector<float> &fill_table(Fill kind)
{
    static std::vector<float> tables[4];
    std::vector<float> &t = tables[static_cast<int>(kind)];
    if (!t.empty())
        return t;
    uint64_t s = 0x9E3779B97F4A7C15ull * (static_cast<uint64_t>(kind) + 1);
    auto uniform = [&s]() {  // in [0, 1)
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        return static_cast<float>(s >> 40) * (1.0f / 16777216.0f);
    };
    t.resize(kFillTable);
    for (float &x : t) {
        float sign = uniform() < 0.5f ? -1.0f : 1.0f;
        switch (kind) {
        case Fill::param:  // ~N(0, 1): sum of four uniforms, unit variance
            x = (uniform() + uniform() + uniform() + uniform() - 2.0f) * 1.7320508f;
            break;
        case Fill::grad:  // small, never tiny: |g| in [1e-3, 1e-2)
            x = sign * (1e-3f + 9e-3f * uniform());
            break;
        case Fill::first_moment:  // exp_avg, momentum buffer: like a gradient
            x = sign * (1e-3f + 9e-3f * uniform());
            break;
        case Fill::square_avg:  // positive, ~g^2: [1e-6, 1e-4)
            x = 1e-6f + 9.9e-5f * uniform();
            break;
        }
    }
    return t;
}

namespace {

// ---- buffers -----------------------------------------------------------------

Buffer make_buffer(size_t n, Fill kind, size_t offset)
{
    Buffer b = allocate(n);
    const std::vector<float> &t = fill_table(kind);
    for (size_t i = 0; i < n; i++)
        b[i] = t[(i + offset * 7919) & (kFillTable - 1)];
    return b;
}

// ---- configurations ----------------------------------------------------------

enum class Config {
    sgd, sgd_momentum, rmsprop, adam, adamw, adam_amsgrad,
    adagrad, adamax, nadam, radam, lion, lamb
};

struct ConfigInfo {
    Config config;
    const char *name;
    int bytes_per_element;  // SPEC.md section 3
};

// Bytes per element as SPEC.md section 3 counts them: 4 per f32 buffer read
// plus 4 per buffer written (in place), no write-allocate traffic.
//   adagrad 20: p, g, sum read; p, sum written (like sgd_momentum)
//   adamax, nadam, radam 28: p, g and two states read; p and the states written
//   lion 20: p, g, exp_avg read; p, exp_avg written
//   lamb 40: two passes over the buffer, as the library moves them (and the
//        plain loop): pass 1 reads p, g, m, v and writes m, v (24), pass 2
//        reads p, m, v and writes p (16). LAMB cannot be one pass: the trust
//        ratio needs both norms before any parameter moves.
const ConfigInfo kConfigs[] = {
    {Config::sgd, "sgd", 12},
    {Config::sgd_momentum, "sgd_momentum", 20},
    {Config::rmsprop, "rmsprop", 20},
    {Config::adam, "adam", 28},
    {Config::adamw, "adamw", 28},
    {Config::adam_amsgrad, "adam_amsgrad", 36},
    {Config::adagrad, "adagrad", 20},
    {Config::adamax, "adamax", 28},
    {Config::nadam, "nadam", 28},
    {Config::radam, "radam", 28},
    {Config::lion, "lion", 20},
    {Config::lamb, "lamb", 40},
};

// Small learning rates keep parameters bounded over ~10^6 steps; values never
// approach denormals (|g| >= 1e-3, square averages >= ~1e-6).
constexpr float kLr = 1e-4f;

lossopt_sgd_config sgd_config(Config c)
{
    lossopt_sgd_config cfg = lossopt_sgd_defaults();
    cfg.lr = kLr;
    if (c == Config::sgd_momentum)
        cfg.momentum = 0.9f;
    return cfg;
}

lossopt_rmsprop_config rmsprop_config()
{
    lossopt_rmsprop_config cfg = lossopt_rmsprop_defaults();
    cfg.lr = kLr;
    return cfg;
}

lossopt_adam_config adam_config(Config c)
{
    lossopt_adam_config cfg = lossopt_adam_defaults();
    cfg.lr = kLr;
    if (c == Config::adamw) {
        cfg.decoupled_weight_decay = true;
        cfg.weight_decay = 1e-2f;
    }
    if (c == Config::adam_amsgrad)
        cfg.amsgrad = true;
    return cfg;
}

// The 0.2 optimizers: the library defaults (include/lossopt.h, "More
// optimizers"), lr kLr like the rows above and torch_compare.py (Lion's
// default is already 1e-4). LAMB keeps weight_decay 0.01, so its trust
// ratio is computed every step.
lossopt_adagrad_config adagrad_config()
{
    lossopt_adagrad_config cfg = lossopt_adagrad_defaults();
    cfg.lr = kLr;
    return cfg;
}

lossopt_adamax_config adamax_config()
{
    lossopt_adamax_config cfg = lossopt_adamax_defaults();
    cfg.lr = kLr;
    return cfg;
}

lossopt_nadam_config nadam_config()
{
    lossopt_nadam_config cfg = lossopt_nadam_defaults();
    cfg.lr = kLr;
    return cfg;
}

lossopt_radam_config radam_config()
{
    lossopt_radam_config cfg = lossopt_radam_defaults();
    cfg.lr = kLr;
    return cfg;
}

lossopt_lion_config lion_config()
{
    lossopt_lion_config cfg = lossopt_lion_defaults();
    cfg.lr = kLr;
    return cfg;
}

lossopt_lamb_config lamb_config()
{
    lossopt_lamb_config cfg = lossopt_lamb_defaults();
    cfg.lr = kLr;
    return cfg;
}

// NAdam's call multiplies *mu_product by this step's mu (~0.45-0.9), so over
// 10^5-10^6 timed steps the running product would reach 0 after ~1000 and
// stay there. Each timed call instead starts from this fixed product (one
// store before the call, in the lambda, for lossopt and the plain loop
// alike): a mid-training value in (0, 1], 1 - P ~ 1 as in training, the
// same coefficients work every step, and nothing depends on how many
// iterations Google Benchmark chose.
constexpr double kNadamMuProduct = 1e-6;

// ---- steps -------------------------------------------------------------------

// One optimizer step as a callable (step -> status), buffers and options bound.
struct State {
    Buffer param, grad, s1, s2, s3;
};

using StepFn = std::function<lossopt_status(int64_t)>;

StepFn make_step(Config config, const Variant &v, State &st, size_t n)
{
    float *p = st.param.get(), *g = st.grad.get();
    float *s1 = st.s1.get(), *s2 = st.s2.get(), *s3 = st.s3.get();
    const lossopt_isa isa = v.isa;
    const Kind kind = v.kind;
    const bool plain = kind != Kind::isa && kind != Kind::dispatched;

    switch (config) {
    case Config::sgd:
    case Config::sgd_momentum: {
        lossopt_sgd_config cfg = sgd_config(config);
        if (plain) {
            if (config == Config::sgd) {
                auto fn = PLAIN_PICK(kind, plain_sgd_step);
                return [=](int64_t) { fn(p, g, n, cfg.lr); return LOSSOPT_OK; };
            }
            auto fn = PLAIN_PICK(kind, plain_sgd_momentum_step);
            return [=](int64_t) {
                fn(p, g, s1, n, cfg.lr, cfg.momentum, cfg.dampening);
                return LOSSOPT_OK;
            };
        }
        float *buf = config == Config::sgd_momentum ? s1 : nullptr;
        if (kind == Kind::dispatched)
            return [=](int64_t step) { return lossopt_sgd_step_f32(p, g, buf, n, &cfg, step); };
        return [=](int64_t step) {
            return lossopt_sgd_step_f32_isa(isa, p, g, buf, n, &cfg, step);
        };
    }
    case Config::rmsprop: {
        lossopt_rmsprop_config cfg = rmsprop_config();
        if (plain) {
            auto fn = PLAIN_PICK(kind, plain_rmsprop_step);
            return [=](int64_t) { fn(p, g, s1, n, cfg.lr, cfg.alpha, cfg.eps); return LOSSOPT_OK; };
        }
        if (kind == Kind::dispatched)
            return [=](int64_t) {
                return lossopt_rmsprop_step_f32(p, g, s1, nullptr, nullptr, n, &cfg);
            };
        return [=](int64_t) {
            return lossopt_rmsprop_step_f32_isa(isa, p, g, s1, nullptr, nullptr, n, &cfg);
        };
    }
    case Config::adam:
    case Config::adamw:
    case Config::adam_amsgrad: {
        lossopt_adam_config cfg = adam_config(config);
        if (plain) {
            if (config == Config::adam) {
                auto fn = PLAIN_PICK(kind, plain_adam_step);
                return [=](int64_t step) {
                    fn(p, g, s1, s2, n, cfg.lr, cfg.beta1, cfg.beta2, cfg.eps, step);
                    return LOSSOPT_OK;
                };
            }
            if (config == Config::adamw) {
                auto fn = PLAIN_PICK(kind, plain_adamw_step);
                return [=](int64_t step) {
                    fn(p, g, s1, s2, n, cfg.lr, cfg.beta1, cfg.beta2, cfg.eps,
                       cfg.weight_decay, step);
                    return LOSSOPT_OK;
                };
            }
            auto fn = PLAIN_PICK(kind, plain_adam_amsgrad_step);
            return [=](int64_t step) {
                fn(p, g, s1, s2, s3, n, cfg.lr, cfg.beta1, cfg.beta2, cfg.eps, step);
                return LOSSOPT_OK;
            };
        }
        float *max_sq = config == Config::adam_amsgrad ? s3 : nullptr;
        if (kind == Kind::dispatched)
            return [=](int64_t step) {
                return lossopt_adam_step_f32(p, g, s1, s2, max_sq, n, &cfg, step);
            };
        return [=](int64_t step) {
            return lossopt_adam_step_f32_isa(isa, p, g, s1, s2, max_sq, n, &cfg, step);
        };
    }
    // The 0.2 optimizers: the public _f32 call, or the same call on one ISA's
    // kernel table (lossopt_*_step_f32_with_table: the same validation and
    // driver as the public call, dispatch/api_more_optimizers.c).
    case Config::adagrad: {
        lossopt_adagrad_config cfg = adagrad_config();
        if (plain) {
            auto fn = PLAIN_PICK(kind, plain_adagrad_step);
            return [=](int64_t step) {
                fn(p, g, s1, n, cfg.lr, cfg.lr_decay, cfg.eps, step);
                return LOSSOPT_OK;
            };
        }
        if (kind == Kind::dispatched)
            return [=](int64_t step) { return lossopt_adagrad_step_f32(p, g, s1, n, &cfg, step); };
        const lossopt_kernel_table *table = lossopt_kernel_table_for(isa);
        return [=](int64_t step) {
            return lossopt_adagrad_step_f32_with_table(table, p, g, s1, n, &cfg, step);
        };
    }
    case Config::adamax: {
        lossopt_adamax_config cfg = adamax_config();
        if (plain) {
            auto fn = PLAIN_PICK(kind, plain_adamax_step);
            return [=](int64_t step) {
                fn(p, g, s1, s2, n, cfg.lr, cfg.beta1, cfg.beta2, cfg.eps, step);
                return LOSSOPT_OK;
            };
        }
        if (kind == Kind::dispatched)
            return [=](int64_t step) {
                return lossopt_adamax_step_f32(p, g, s1, s2, n, &cfg, step);
            };
        const lossopt_kernel_table *table = lossopt_kernel_table_for(isa);
        return [=](int64_t step) {
            return lossopt_adamax_step_f32_with_table(table, p, g, s1, s2, n, &cfg, step);
        };
    }
    case Config::nadam: {
        lossopt_nadam_config cfg = nadam_config();
        if (plain) {
            auto fn = PLAIN_PICK(kind, plain_nadam_step);
            return [=](int64_t step) {
                double mu_product = kNadamMuProduct;
                benchmark::DoNotOptimize(fn(p, g, s1, s2, n, cfg.lr, cfg.beta1, cfg.beta2,
                                            cfg.eps, cfg.momentum_decay, mu_product, step));
                return LOSSOPT_OK;
            };
        }
        if (kind == Kind::dispatched)
            return [=](int64_t step) {
                double mu_product = kNadamMuProduct;
                return lossopt_nadam_step_f32(p, g, s1, s2, &mu_product, n, &cfg, step);
            };
        const lossopt_kernel_table *table = lossopt_kernel_table_for(isa);
        return [=](int64_t step) {
            double mu_product = kNadamMuProduct;
            return lossopt_nadam_step_f32_with_table(table, p, g, s1, s2, &mu_product, n, &cfg,
                                                     step);
        };
    }
    case Config::radam: {
        lossopt_radam_config cfg = radam_config();
        if (plain) {
            auto fn = PLAIN_PICK(kind, plain_radam_step);
            return [=](int64_t step) {
                fn(p, g, s1, s2, n, cfg.lr, cfg.beta1, cfg.beta2, cfg.eps, step);
                return LOSSOPT_OK;
            };
        }
        if (kind == Kind::dispatched)
            return [=](int64_t step) {
                return lossopt_radam_step_f32(p, g, s1, s2, n, &cfg, step);
            };
        const lossopt_kernel_table *table = lossopt_kernel_table_for(isa);
        return [=](int64_t step) {
            return lossopt_radam_step_f32_with_table(table, p, g, s1, s2, n, &cfg, step);
        };
    }
    case Config::lion: {
        lossopt_lion_config cfg = lion_config();
        if (plain) {
            auto fn = PLAIN_PICK(kind, plain_lion_step);
            return [=](int64_t) {
                fn(p, g, s1, n, cfg.lr, cfg.beta1, cfg.beta2);
                return LOSSOPT_OK;
            };
        }
        if (kind == Kind::dispatched)
            return [=](int64_t step) { return lossopt_lion_step_f32(p, g, s1, n, &cfg, step); };
        const lossopt_kernel_table *table = lossopt_kernel_table_for(isa);
        return [=](int64_t step) {
            return lossopt_lion_step_f32_with_table(table, p, g, s1, n, &cfg, step);
        };
    }
    case Config::lamb: {
        lossopt_lamb_config cfg = lamb_config();
        if (plain) {
            auto fn = PLAIN_PICK(kind, plain_lamb_step);
            return [=](int64_t step) {
                fn(p, g, s1, s2, n, cfg.lr, cfg.beta1, cfg.beta2, cfg.eps, cfg.weight_decay,
                   step);
                return LOSSOPT_OK;
            };
        }
        if (kind == Kind::dispatched)
            return [=](int64_t step) {
                return lossopt_lamb_step_f32(p, g, s1, s2, n, &cfg, step);
            };
        const lossopt_kernel_table *table = lossopt_kernel_table_for(isa);
        return [=](int64_t step) {
            return lossopt_lamb_step_f32_with_table(table, p, g, s1, s2, n, &cfg, step);
        };
    }
    }
    return nullptr;
}

State make_state(Config config, size_t n)
{
    State st;
    st.param = make_buffer(n, Fill::param, 0);
    st.grad = make_buffer(n, Fill::grad, 1);
    switch (config) {
    case Config::sgd:
        break;
    case Config::sgd_momentum:
        st.s1 = make_buffer(n, Fill::first_moment, 2);
        break;
    case Config::rmsprop:
        st.s1 = make_buffer(n, Fill::square_avg, 2);
        break;
    case Config::adam:
    case Config::adamw:
    case Config::adam_amsgrad:
        st.s1 = make_buffer(n, Fill::first_moment, 2);
        st.s2 = make_buffer(n, Fill::square_avg, 3);
        if (config == Config::adam_amsgrad)
            st.s3 = make_buffer(n, Fill::square_avg, 4);
        break;
    case Config::adagrad:  // sum: positive, ~g^2 (a few steps in)
        st.s1 = make_buffer(n, Fill::square_avg, 2);
        break;
    case Config::adamax:  // exp_inf: positive; the first step lifts it to |g| + eps
    case Config::nadam:
    case Config::radam:
    case Config::lamb:
        st.s1 = make_buffer(n, Fill::first_moment, 2);
        st.s2 = make_buffer(n, Fill::square_avg, 3);
        break;
    case Config::lion:
        st.s1 = make_buffer(n, Fill::first_moment, 2);
        break;
    }
    return st;
}

void bm_optimizer(benchmark::State &state, ConfigInfo info, Variant variant, size_t n)
{
    State st = make_state(info.config, n);
    StepFn step_fn = make_step(info.config, variant, st, n);
    // The step counter advances as in training; step 1 (SGD's momentum-buffer
    // initialisation) is the warm-up call, every timed step is > 1.
    int64_t step = 1;
    lossopt_status status = step_fn(step++);
    if (status != LOSSOPT_OK) {
        state.SkipWithError(lossopt_status_string(status));
        return;
    }
    for (auto _ : state) {
        step_fn(step++);
        benchmark::ClobberMemory();
    }
    set_counters(state, n, info.bytes_per_element);
    if (!std::isfinite(st.param[0]) || !std::isfinite(st.param[n - 1]))
        state.SkipWithError("parameters left the finite range");
}

void bm_stream_copy(benchmark::State &state, size_t n)
{
    Buffer a = make_buffer(n, Fill::param, 0), b = make_buffer(n, Fill::param, 1);
    bench_stream_copy(a.get(), b.get(), n);
    for (auto _ : state) {
        bench_stream_copy(a.get(), b.get(), n);
        benchmark::ClobberMemory();
    }
    set_counters(state, n, 8);
}

void bm_stream_triad(benchmark::State &state, size_t n)
{
    Buffer a = make_buffer(n, Fill::param, 0), b = make_buffer(n, Fill::param, 1);
    Buffer c = make_buffer(n, Fill::param, 2);
    bench_stream_triad(a.get(), b.get(), c.get(), 0.5f, n);
    for (auto _ : state) {
        bench_stream_triad(a.get(), b.get(), c.get(), 0.5f, n);
        benchmark::ClobberMemory();
    }
    set_counters(state, n, 12);
}

}  // namespace

void register_optimizers()
{
    std::vector<Variant> vs = variants();
    for (size_t n : options().sizes) {
        std::string size = std::to_string(n);
        configure(benchmark::RegisterBenchmark(("stream_copy/" + size).c_str(),
                                               [n](benchmark::State &s) { bm_stream_copy(s, n); }),
                  n);
        configure(benchmark::RegisterBenchmark(("stream_triad/" + size).c_str(),
                                               [n](benchmark::State &s) { bm_stream_triad(s, n); }),
                  n);
        for (const ConfigInfo &info : kConfigs)
            for (const Variant &v : vs) {
                std::string name = std::string(info.name) + "/" + v.name + "/" + size;
                configure(benchmark::RegisterBenchmark(
                              name.c_str(),
                              [info, v, n](benchmark::State &s) { bm_optimizer(s, info, v, n); }),
                          n);
            }
    }
    // Dispatch overhead (SPEC.md section 3: public within 10 ns of the
    // variant at n = 16): plain SGD at n = 16, every variant.
    for (const Variant &v : vs) {
        const ConfigInfo &info = kConfigs[0];
        configure(benchmark::RegisterBenchmark(
                      (std::string(info.name) + "/" + v.name + "/16").c_str(),
                      [info, v](benchmark::State &s) { bm_optimizer(s, info, v, 16); }),
                  16);
    }
}

}  // namespace lossopt_bench
