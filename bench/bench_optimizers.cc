// bench/bench_optimizers.cc - Google Benchmark harness of the optimizer
// updates (DESIGN.md section 7, SPEC.md section 3).
//
// Benchmarks, registered programmatically, named <config>/<variant>/<n>:
//   config   sgd, sgd_momentum, rmsprop, adam, adamw, adam_amsgrad, and the
//            0.2 optimizers adagrad, adamax, nadam, radam, lion, lamb (their
//            _f32 calls, library defaults with lr 1e-4)
//   variant  every ISA in lossopt_supported_isas() (internal _isa entry
//            points; the 0.2 optimizers' _with_table calls on that ISA's
//            table; avx512 = the table the dispatcher picked), the other
//            avx512 table (avx512_zmm, all 512-bit, or avx512_mixed, the
//            divide/sqrt-bound kernels at 256 bits; on AVX-512 CPUs),
//            public (the dispatched API), plain_O3 and plain_native
//            (bench/plain_loops.c at -O3 and -O3 -march=native), and
//            plain_native_noerrno when built with LOSSOPT_BENCH_PLAIN_NOERRNO;
//            adam adds plain_onediv_native[_noerrno] (DeepSpeed's
//            one-division form); at 16 Mi, threads_2 = the public call on two
//            threads, each one half (a caller's pool; wall time)
//   n        4096, 65536, 1<<20, 16<<20 floats per buffer (--lossopt_quick:
//            65536 and 16<<20, shorter runs, and 4096 for adam)
// Adam's in-cache rows run in interleaved rounds (median of rounds).
// plus stream_<pattern>/threads_{1,2}/16777216: each kernel's own same-bytes
// stream (bench/stream.c, bench_stream_same_bytes; stream_of below), 1 and 2
// threads, registered around every configuration's 16 Mi rows (best run kept
// by summarize.py), and stream_r2w1, the elementwise losses' (before and
// after their rows: register_loss_streams, which also adds
// {mse,l1,huber,hinge}/threads_2/16777216, the public loss calls on two
// threads, each one half).
// The elementwise losses are registered by bench_losses.cc, the row-wise ones
// (cross-entropy, multi-margin) by bench_rowwise.cc; bench_main.cc holds
// main() and the options.
// Each reports items (elements) and bytes per second, bytes counted as in
// SPEC.md section 3; bench/summarize.py turns the JSON into markdown tables.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
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

// The buffers of one call: a State's, or a slice of them (the 2-thread rows).
struct Ptrs {
    float *p, *g, *s1, *s2, *s3;
};

Ptrs ptrs(State &st, size_t offset)
{
    auto at = [offset](Buffer &b) { return b ? b.get() + offset : nullptr; };
    return {at(st.param), at(st.grad), at(st.s1), at(st.s2), at(st.s3)};
}

StepFn make_step(Config config, const Variant &v, Ptrs bufs, size_t n)
{
    float *p = bufs.p, *g = bufs.g;
    float *s1 = bufs.s1, *s2 = bufs.s2, *s3 = bufs.s3;
    const lossopt_isa isa = v.isa;
    const Kind kind = v.kind;
    // An explicit table (avx512_zmm) or the ISA's; the public call ignores it.
    const lossopt_kernel_table *vtable =
        kind == Kind::table ? v.table : kind == Kind::isa ? lossopt_kernel_table_for(isa) : nullptr;
    const bool plain = kind != Kind::isa && kind != Kind::dispatched && kind != Kind::table;
    if (kind == Kind::plain_onediv_native || kind == Kind::plain_onediv_native_noerrno) {
        if (config != Config::adam)
            return nullptr;
        lossopt_adam_config cfg = adam_config(config);
        auto fn = plain_adam_onediv_step_native;
#ifdef LOSSOPT_BENCH_HAVE_PLAIN_NOERRNO
        if (kind == Kind::plain_onediv_native_noerrno)
            fn = plain_adam_onediv_step_native_noerrno;
#endif
        return [=](int64_t step) {
            fn(p, g, s1, s2, n, cfg.lr, cfg.beta1, cfg.beta2, cfg.eps, step);
            return LOSSOPT_OK;
        };
    }

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
        if (kind == Kind::table)
            return [=](int64_t step) {
                return lossopt_sgd_step_f32_with_table(vtable, p, g, buf, n, &cfg, step);
            };
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
        if (kind == Kind::table)
            return [=](int64_t) {
                return lossopt_rmsprop_step_f32_with_table(vtable, p, g, s1, nullptr, nullptr, n,
                                                           &cfg);
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
        if (kind == Kind::table)
            return [=](int64_t step) {
                return lossopt_adam_step_f32_with_table(vtable, p, g, s1, s2, max_sq, n, &cfg,
                                                        step);
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
        const lossopt_kernel_table *table = vtable;
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
        const lossopt_kernel_table *table = vtable;
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
        const lossopt_kernel_table *table = vtable;
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
        const lossopt_kernel_table *table = vtable;
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
        const lossopt_kernel_table *table = vtable;
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
        const lossopt_kernel_table *table = vtable;
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
    StepFn step_fn = make_step(info.config, variant, ptrs(st, 0), n);
    if (!step_fn) {
        state.SkipWithError("no such variant for this configuration");
        return;
    }
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

// ---- two threads: the caller's pool ---------------------------------------------
//
// What a caller with its own 2-thread pool does: the calling thread and one
// worker each run the same call on one half of every buffer (the halves are
// page-aligned: n / 2 floats, n a power of two). The worker is started once
// per benchmark and woken per pass; rows are timed by the wall clock.
class HalfPool {
public:
    HalfPool()
    {
        worker_ = std::thread([this] {
            uint64_t seen = 0;
            for (;;) {
                std::function<void()> job;
                {
                    std::unique_lock<std::mutex> lock(mu_);
                    wake_.wait(lock, [&] { return stop_ || posted_ != seen; });
                    if (stop_)
                        return;
                    seen = posted_;
                    job = job_;
                }
                job();
                {
                    std::lock_guard<std::mutex> lock(mu_);
                    finished_ = seen;
                }
                done_.notify_one();
            }
        });
    }
    ~HalfPool()
    {
        {
            std::lock_guard<std::mutex> lock(mu_);
            stop_ = true;
        }
        wake_.notify_one();
        worker_.join();
    }
    // mine on the calling thread, other on the worker; returns when both are done.
    void run(const std::function<void()> &mine, const std::function<void()> &other)
    {
        uint64_t ticket;
        {
            std::lock_guard<std::mutex> lock(mu_);
            job_ = other;
            ticket = ++posted_;
        }
        wake_.notify_one();
        mine();
        std::unique_lock<std::mutex> lock(mu_);
        done_.wait(lock, [&] { return finished_ == ticket; });
    }

private:
    std::thread worker_;
    std::mutex mu_;
    std::condition_variable wake_, done_;
    std::function<void()> job_;
    uint64_t posted_ = 0, finished_ = 0;
    bool stop_ = false;
};

// <config>/threads_2/<n>: the public call, each thread one half (LAMB: each
// half its own trust ratio - the same bytes, a per-half norm).
void bm_optimizer_2t(benchmark::State &state, ConfigInfo info, size_t n)
{
    State st = make_state(info.config, n);
    const Variant pub = {Kind::dispatched, LOSSOPT_ISA_INVALID, "public"};
    const size_t half = n / 2;
    StepFn a = make_step(info.config, pub, ptrs(st, 0), half);
    StepFn b = make_step(info.config, pub, ptrs(st, half), n - half);
    int64_t step = 1;
    lossopt_status sa = a(step), sb = b(step);
    step++;
    if (sa != LOSSOPT_OK || sb != LOSSOPT_OK) {
        state.SkipWithError(lossopt_status_string(sa != LOSSOPT_OK ? sa : sb));
        return;
    }
    HalfPool pool;
    for (auto _ : state) {
        int64_t s = step++;
        pool.run([&] { a(s); }, [&] { b(s); });
        benchmark::ClobberMemory();
    }
    set_counters(state, n, info.bytes_per_element);
    state.counters["threads"] = 2;
    if (!std::isfinite(st.param[0]) || !std::isfinite(st.param[n - 1]))
        state.SkipWithError("parameters left the finite range");
}

// ---- same-bytes streams ------------------------------------------------------------
//
// Every kernel's own stream (bench/stream.c, bench_stream_same_bytes): its
// bytes per element with its access pattern, as passes of (rw arrays read and
// written in place, r arrays read, w arrays written). Named
// stream_<pattern>/threads_<t>/<n>; bench/summarize.py has the same table
// (STREAM_OF) and reports each kernel at 16 Mi as its GB/s over the stream's,
// 1 thread (CPU time, as the kernel rows) and 2 threads (the caller's pool
// above, each thread one half; wall time). The stream rows are registered
// around each configuration's 16 Mi rows and run many times (patterns are
// shared: adam, adamw, adamax, nadam, radam are all rw3r1); summarize.py
// keeps the best run of a stream (each on its own fresh buffers), the median
// of a kernel.
struct StreamPass {
    int rw, r, w;
};

struct StreamPattern {
    const char *name;
    std::vector<StreamPass> passes;
};

int pattern_bytes(const StreamPattern &s)
{
    int b = 0;
    for (const StreamPass &p : s.passes)
        b += 4 * (2 * p.rw + p.r + p.w);
    return b;
}

const StreamPattern kStreamRw1R1 = {"stream_rw1r1", {{1, 1, 0}}};  // sgd
const StreamPattern kStreamRw2R1 = {"stream_rw2r1", {{2, 1, 0}}};  // momentum, rmsprop, ...
const StreamPattern kStreamRw3R1 = {"stream_rw3r1", {{3, 1, 0}}};  // adam and its kin
const StreamPattern kStreamRw4R1 = {"stream_rw4r1", {{4, 1, 0}}};  // amsgrad
// LAMB: pass 1 reads p, g, m, v and writes m, v; pass 2 reads p, m, v, writes p.
const StreamPattern kStreamLamb = {"stream_lamb", {{2, 2, 0}, {1, 2, 0}}};
const StreamPattern kStreamR2W1 = {"stream_r2w1", {{0, 2, 1}}};  // elementwise losses

const StreamPattern &stream_of(Config c)
{
    switch (c) {
    case Config::sgd:
        return kStreamRw1R1;
    case Config::sgd_momentum:
    case Config::rmsprop:
    case Config::adagrad:
    case Config::lion:
        return kStreamRw2R1;
    case Config::adam:
    case Config::adamw:
    case Config::adamax:
    case Config::nadam:
    case Config::radam:
        return kStreamRw3R1;
    case Config::adam_amsgrad:
        return kStreamRw4R1;
    case Config::lamb:
        return kStreamLamb;
    }
    return kStreamRw3R1;
}

// A stream row's buffers: allocated per row, like every kernel row's (whose
// buffers are fresh per row too), so that the best of a stream's N runs is
// also the best of N physical page placements: on this 2-vCPU VM two rows of
// identical code on fresh buffers (sgd's plain_native and
// plain_native_noerrno) differed by 10 %, and one fixed set of stream buffers
// sat ~10 % below sgd's rows run after run. Filled with 1e-3 (first touch),
// then warmed by one pass before timing.
struct StreamBuffers {
    std::vector<Buffer> slots;
    StreamBuffers(const StreamPattern &s, size_t n)
    {
        int count = 0;
        for (const StreamPass &p : s.passes)
            count = std::max(count, p.rw + p.r + p.w);
        for (int k = 0; k < count; k++) {
            slots.push_back(allocate(n));
            std::fill(slots.back().get(), slots.back().get() + n, 1e-3f);
        }
    }
};

void stream_pass(const StreamPattern &s, StreamBuffers &b, size_t begin, size_t end)
{
    for (const StreamPass &p : s.passes) {
        float *rw[4], *w[1];
        const float *r[2];
        int slot = 0;
        for (int k = 0; k < p.rw; k++)
            rw[k] = b.slots[slot++].get() + begin;
        for (int k = 0; k < p.r; k++)
            r[k] = b.slots[slot++].get() + begin;
        for (int k = 0; k < p.w; k++)
            w[k] = b.slots[slot++].get() + begin;
        bench_stream_same_bytes(rw, p.rw, r, p.r, w, p.w, end - begin);
    }
}

void bm_stream(benchmark::State &state, StreamPattern s, size_t n, int threads)
{
    const size_t half = n / 2;
    StreamBuffers b(s, n);
    stream_pass(s, b, 0, n);  // warm-up
    if (threads == 1) {
        for (auto _ : state) {
            stream_pass(s, b, 0, n);
            benchmark::ClobberMemory();
        }
    } else {
        HalfPool pool;
        for (auto _ : state) {
            pool.run([&] { stream_pass(s, b, 0, half); }, [&] { stream_pass(s, b, half, n); });
            benchmark::ClobberMemory();
        }
    }
    set_counters(state, n, pattern_bytes(s));
    state.counters["threads"] = threads;
}

void add_stream(const StreamPattern &s, size_t n, int threads)
{
    std::string name = std::string(s.name) + "/threads_" + std::to_string(threads) + "/" +
                       std::to_string(n);
    auto *b = benchmark::RegisterBenchmark(
        name.c_str(), [s, n, threads](benchmark::State &st) { bm_stream(st, s, n, threads); });
    b->MinTime(options().quick ? 0.05 : 0.2)->Repetitions(1);
    if (threads > 1)
        b->UseRealTime();
}

constexpr size_t kDram = size_t(16) << 20;

void add_optimizer(const ConfigInfo &info, const Variant &v, size_t n)
{
    std::string name = std::string(info.name) + "/" + v.name + "/" + std::to_string(n);
    configure(benchmark::RegisterBenchmark(
                  name.c_str(), [info, v, n](benchmark::State &s) { bm_optimizer(s, info, v, n); }),
              n);
}

// Adam in cache, against its plain loops: interleaved rounds (SPEC.md 0.2,
// "median of interleaved repetitions"), each row once per round under the
// same name; summarize.py takes the median of a name's runs.
void add_adam_rounds(const ConfigInfo &info, const std::vector<Variant> &vs, size_t n)
{
    const bool quick = options().quick;
    const int rounds = quick ? 3 : 5;
    for (int round = 0; round < rounds; round++)
        for (const Variant &v : vs) {
            std::string name = std::string(info.name) + "/" + v.name + "/" + std::to_string(n);
            benchmark::RegisterBenchmark(name.c_str(), [info, v, n](benchmark::State &s) {
                bm_optimizer(s, info, v, n);
            })->MinTime(quick ? 0.03 : 0.05)->Repetitions(1);
        }
}

}  // namespace

void register_optimizers()
{
    std::vector<Variant> vs = variants();
    for (const Variant &z : other_avx512_variants())  // after the ISAs, before public
        vs.insert(std::find_if(vs.begin(), vs.end(),
                               [](const Variant &v) { return v.kind == Kind::dispatched; }),
                  z);
    // Adam's rows add the one-division plain loop (DeepSpeed's form).
    std::vector<Variant> adam_vs = vs;
    adam_vs.push_back({Kind::plain_onediv_native, LOSSOPT_ISA_INVALID, "plain_onediv_native"});
#ifdef LOSSOPT_BENCH_HAVE_PLAIN_NOERRNO
    adam_vs.push_back({Kind::plain_onediv_native_noerrno, LOSSOPT_ISA_INVALID,
                       "plain_onediv_native_noerrno"});
#endif
    std::vector<size_t> sizes = options().sizes;
    // The quick run adds n = 4096 for Adam alone (the 0.2 in-cache target: 4K and 64K).
    const bool adam_4k_only = options().quick && std::find(sizes.begin(), sizes.end(),
                                                            size_t(4096)) == sizes.end();
    if (adam_4k_only)
        sizes.insert(sizes.begin(), 4096);
    for (size_t n : sizes) {
        const bool dram = n >= kDram;
        for (const ConfigInfo &info : kConfigs) {
            const bool adam = info.config == Config::adam;
            if (n == 4096 && adam_4k_only && !adam)
                continue;
            const StreamPattern &s = stream_of(info.config);
            if (dram)
                add_stream(s, n, 1);
            if (adam && !dram) {
                add_adam_rounds(info, adam_vs, n);
            } else {
                for (const Variant &v : adam ? adam_vs : vs)
                    add_optimizer(info, v, n);
            }
            if (dram) {  // 1T: before, after the 1T rows, after the 2T row; 2T: around it
                add_stream(s, n, 1);
                add_stream(s, n, 2);
                std::string name = std::string(info.name) + "/threads_2/" + std::to_string(n);
                benchmark::RegisterBenchmark(name.c_str(), [info, n](benchmark::State &st) {
                    bm_optimizer_2t(st, info, n);
                })->MinTime(options().quick ? 0.05 : 0.3)->Repetitions(1)->UseRealTime();
                add_stream(s, n, 2);
                add_stream(s, n, 1);
            }
        }
        if (dram)  // the elementwise losses' own stream, before their rows (and after:
            add_stream(kStreamR2W1, n, 1);  // register_loss_streams)
    }
    // Dispatch overhead (SPEC.md section 3: public within 10 ns of the
    // variant at n = 16): plain SGD at n = 16, every variant.
    for (const Variant &v : vs)
        add_optimizer(kConfigs[0], v, 16);
}

namespace {

// <loss>/threads_2/<n>: the bandwidth-bound losses' public calls (MEAN, loss
// and gradient) on two threads, each one half (a per-half mean: the same
// bytes), against the 2-thread stream_r2w1. 12 bytes per element.
enum class Loss2 { mse, l1, huber, hinge };

void bm_loss_2t(benchmark::State &state, Loss2 kind, size_t n)
{
    Buffer x = make_buffer(n, Fill::param, 5), y = make_buffer(n, Fill::param, 6);
    Buffer grad = make_buffer(n, Fill::grad, 7);
    if (kind == Loss2::hinge)  // labels +-1
        for (size_t i = 0; i < n; i++)
            y[i] = y[i] < 0.0f ? -1.0f : 1.0f;
    float loss[2];
    auto call = [&](size_t begin, size_t end, float *out) {
        const float *a = x.get() + begin, *b = y.get() + begin;
        float *g = grad.get() + begin;
        size_t k = end - begin;
        switch (kind) {
        case Loss2::mse:
            return lossopt_mse_f32(a, b, k, LOSSOPT_MEAN, out, g);
        case Loss2::l1:
            return lossopt_l1_f32(a, b, k, LOSSOPT_MEAN, out, g);
        case Loss2::huber:
            return lossopt_huber_f32(a, b, k, 1.0f, LOSSOPT_MEAN, out, g);
        case Loss2::hinge:
            return lossopt_hinge_f32(a, b, k, LOSSOPT_MEAN, out, g);
        }
        return LOSSOPT_ERR_ARG;
    };
    const size_t half = n / 2;
    lossopt_status sa = call(0, half, &loss[0]), sb = call(half, n, &loss[1]);
    if (sa != LOSSOPT_OK || sb != LOSSOPT_OK) {
        state.SkipWithError(lossopt_status_string(sa != LOSSOPT_OK ? sa : sb));
        return;
    }
    HalfPool pool;
    for (auto _ : state) {
        pool.run([&] { call(0, half, &loss[0]); }, [&] { call(half, n, &loss[1]); });
        benchmark::DoNotOptimize(loss);
        benchmark::ClobberMemory();
    }
    set_counters(state, n, 12);
    state.counters["threads"] = 2;
}

}  // namespace

// After the losses' rows: their stream again (1 thread), and the 2-thread
// rows of the bandwidth-bound losses between two 2-thread streams.
void register_loss_streams()
{
    const std::pair<Loss2, const char *> losses[] = {
        {Loss2::mse, "mse"}, {Loss2::l1, "l1"}, {Loss2::huber, "huber"}, {Loss2::hinge, "hinge"}};
    for (size_t n : options().sizes) {
        if (n < kDram)
            continue;
        add_stream(kStreamR2W1, n, 1);
        add_stream(kStreamR2W1, n, 2);
        for (const auto &l : losses) {
            Loss2 kind = l.first;
            benchmark::RegisterBenchmark((std::string(l.second) + "/threads_2/" +
                                          std::to_string(n)).c_str(),
                                         [kind, n](benchmark::State &st) {
                                             bm_loss_2t(st, kind, n);
                                         })
                ->MinTime(options().quick ? 0.05 : 0.3)
                ->Repetitions(1)
                ->UseRealTime();
        }
        add_stream(kStreamR2W1, n, 2);
        add_stream(kStreamR2W1, n, 1);
    }
}

}  // namespace lossopt_bench
