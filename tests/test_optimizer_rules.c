/* tests/test_optimizer_rules.c - rules of include/lossopt.h that the PyTorch
 * parity bound cannot see, checked exactly on the public API and every
 * supported ISA:
 *   - PyTorch's two-branch lerp: beta1 = 0 gives exp_avg == grad bit for bit
 *     (a one-branch fma(w, g - m, m) keeps the rounding error of g - m and
 *     gave exp_avg 0 and no update for m = 1, g = 1e-8); RMSprop's centered
 *     grad_avg likewise with alpha = 0; the branch is chosen by w < 0.5 with
 *     w = (float)(1 - beta), and w = 0.5 takes the second branch;
 *   - hyper-parameters are doubles: 1 - beta2 is computed from the double and
 *     rounded once, so Adam with betas (0.9, 0.999) gives exactly
 *     (float)(1 - 0.999) * g * g as its first exp_avg_sq;
 *   - every per-call coefficient is the header's double expression rounded
 *     once: a spy kernel table records the coefficients each call hands to
 *     the kernels, for every option combination of tests/optimizer_cases.c
 *     (a float step size or bias correction is 1 ulp off, invisible to the
 *     parity bound and to the bitwise tests, whose variants share them). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lossopt_internal.h"
#include "optimizer_cases.h"
#include "test_support.h"
#include "test_variants.h"

#define N 67

/* The public API and every supported ISA's table (tests/test_variants.h). */
static variant entries[TEST_MAX_VARIANTS];
static size_t entry_count;
#define FOR_EACH_ENTRY(e) for (const variant *e = entries; e < entries + entry_count; e++)

static lossopt_status adam(const variant *entry, float *p, const float *g, float *m, float *v, float *vmax,
                           const lossopt_adam_config *cfg, int64_t step)
{
    if (entry->public_api)
        return lossopt_adam_step_f32(p, g, m, v, vmax, N, cfg, step);
    return lossopt_adam_step_f32_with_table(entry->table, p, g, m, v, vmax, N, cfg, step);
}

static lossopt_status rmsprop(const variant *entry, float *p, const float *g, float *sq, float *ga,
                              float *buf, const lossopt_rmsprop_config *cfg)
{
    if (entry->public_api)
        return lossopt_rmsprop_step_f32(p, g, sq, ga, buf, N, cfg);
    return lossopt_rmsprop_step_f32_with_table(entry->table, p, g, sq, ga, buf, N, cfg);
}

/* The literal rule of the header, in float. */
static float lerp_rule(float a, float b, float w)
{
    return w < 0.5f ? fmaf(w, b - a, a) : fmaf(w - 1.0f, b - a, b);
}

static void fill(float *x, float lo, float hi)
{
    for (int i = 0; i < N; i++)
        x[i] = test_random_uniform(lo, hi);
}

/* The example and beta1 = 0 on random data, every entry point. */
static void check_beta1_zero(void)
{
    FOR_EACH_ENTRY(entry) {
        test_seed_case("beta1 zero", 0, 0, 0);
        float p[N], g[N], m[N], v[N], vmax[N];
        fill(p, -1, 1);
        fill(g, -1e-3f, 1e-3f);
        fill(m, -2, 2);
        fill(v, 0, 1);
        memcpy(vmax, v, sizeof v);
        g[0] = 1e-8f, m[0] = 1.0f, v[0] = 0.0f, p[0] = 1.0f; /* the element of the 0.1 defect report */
        lossopt_adam_config cfg = lossopt_adam_defaults();
        cfg.beta1 = 0.0;
        cfg.eps = 0.0;
        cfg.lr = 0.005;
        float p0 = p[0];
        lossopt_status st = adam(entry, p, g, m, v, vmax, &cfg, 1);
        if (!test_check(st == LOSSOPT_OK, "%s: beta1 0: status %d", entry->name, st))
            continue;
        test_check(memcmp(m, g, sizeof m) == 0, "%s: beta1 0: exp_avg[%zu] = %a, grad %a",
                   entry->name, test_first_difference(m, g, N),
                   m[test_first_difference(m, g, N) % N], g[test_first_difference(m, g, N) % N]);
        /* exp_avg = 1e-8 = sqrt(v / bc2): the update is the whole step size */
        double update = (double)p0 - (double)p[0];
        test_check(fabs(update - 0.005) <= 4 * test_ulp_of(1.0f),
                   "%s: beta1 0, m 1, g 1e-8: update %.9g, want 0.005", entry->name, update);
    }
}

/* Every branch of lerp, at weights around 0.5, against the literal rule. */
static void check_lerp_branches(void)
{
    static const double betas[] = {0.9, 0.51, 0.5 + 0x1p-30, 0.5, 0.5 - 0x1p-30, 0.49, 0.3, 0.0};
    for (size_t k = 0; k < sizeof betas / sizeof betas[0]; k++) {
        FOR_EACH_ENTRY(entry) {
            test_seed_case("lerp branches", k, 0, 0);
            float p[N], g[N], m[N], v[N], sq[N], ga[N], want[N];
            fill(p, -1, 1);
            fill(g, -3, 3);
            fill(m, -3, 3);
            fill(v, 0, 1);
            memcpy(sq, v, sizeof v);
            memcpy(ga, m, sizeof m);
            float w = (float)(1.0 - betas[k]);
            for (int i = 0; i < N; i++)
                want[i] = lerp_rule(m[i], g[i], w);

            lossopt_adam_config cfg = lossopt_adam_defaults();
            cfg.beta1 = betas[k];
            lossopt_status st = adam(entry, p, g, m, v, NULL, &cfg, 2);
            size_t d = test_first_difference(m, want, N);
            test_check(st == LOSSOPT_OK && d == N,
                       "%s: adam beta1 %.17g (w %a): exp_avg[%zu] %a, rule %a", entry->name,
                       betas[k], w, d % N, m[d % N], want[d % N]);

            lossopt_rmsprop_config r = lossopt_rmsprop_defaults();
            r.alpha = betas[k];
            r.centered = true;
            st = rmsprop(entry, p, g, sq, ga, NULL, &r);
            d = test_first_difference(ga, want, N);
            test_check(st == LOSSOPT_OK && d == N,
                       "%s: rmsprop alpha %.17g (w %a): grad_avg[%zu] %a, rule %a",
                       entry->name, betas[k], w, d % N, ga[d % N], want[d % N]);
        }
    }
}

/* Default betas: the first exp_avg_sq is (float)(1 - 0.999) * g * g, with
 * 1 - 0.999 taken in double (from 0.999f it would be 1.3e-5 relative off). */
static void check_double_hyper_parameters(void)
{
    float one_minus_beta2 = (float)(1.0 - 0.999);
    test_check(one_minus_beta2 != (float)(1.0 - (double)0.999f),
               "the test needs a beta2 whose float changes 1 - beta2");
    FOR_EACH_ENTRY(entry) {
        test_seed_case("double betas", 0, 0, 0);
        float p[N], g[N], m[N] = {0}, v[N] = {0};
        fill(p, -1, 1);
        fill(g, -3, 3);
        lossopt_adam_config cfg = lossopt_adam_defaults();
        lossopt_status st = adam(entry, p, g, m, v, NULL, &cfg, 1);
        size_t bad = N;
        for (int i = N - 1; i >= 0; i--)
            if (v[i] != fmaf(one_minus_beta2 * g[i], g[i], 0.999f * 0.0f))
                bad = (size_t)i;
        test_check(st == LOSSOPT_OK && bad == N,
                   "%s: default betas: exp_avg_sq[%zu] = %a, want (float)(1 - 0.999) g^2",
                   entry->name, bad % N, v[bad % N]);
    }
}

/* ---- the coefficients each call hands to the kernels ---------------------- */

static lossopt_sgd_coefficients seen_sgd;
static lossopt_rmsprop_coefficients seen_rmsprop;
static lossopt_adam_coefficients seen_adam;

static void spy_sgd(float *p, const float *g, float *b, size_t n, const lossopt_sgd_coefficients *c)
{
    seen_sgd = *c;
    test_oracle()->sgd_step_f32(p, g, b, n, c);
}

static void spy_rmsprop(float *p, const float *g, float *sq, float *ga, float *b, size_t n,
                        const lossopt_rmsprop_coefficients *c)
{
    seen_rmsprop = *c;
    test_oracle()->rmsprop_step_f32(p, g, sq, ga, b, n, c);
}

static void spy_adam(float *p, const float *g, float *m, float *v, float *vmax, size_t n,
                     const lossopt_adam_coefficients *c)
{
    seen_adam = *c;
    test_oracle()->adam_step_f32(p, g, m, v, vmax, n, c);
}

static bool same_float(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* The header's lerp: weight w = (float)(1 - beta), second branch from 0.5. */
static bool lerp_matches(lossopt_lerp_coefficients lerp, double one_minus_beta)
{
    float w = (float)one_minus_beta;
    return w < 0.5f ? !lerp.from_end && same_float(lerp.coefficient, w)
                    : lerp.from_end && same_float(lerp.coefficient, w - 1.0f);
}

#define EXPECT_COEFFICIENT(ok, c, name)                                                  \
    test_check(ok, "%s: coefficient %s is not the header's double expression rounded once", \
               optimizer_case_describe(c), name)

static void check_coefficients(void)
{
    lossopt_kernel_table spy = *test_oracle();
    spy.sgd_step_f32 = spy_sgd;
    spy.rmsprop_step_f32 = spy_rmsprop;
    spy.adam_step_f32 = spy_adam;
    const optimizer_case *cases;
    size_t count = optimizer_cases_all(&cases);
    for (size_t k = 0; k < count; k++) {
        const optimizer_case *c = &cases[k];
        float p = 0.5f, g = 0.25f, s0 = 0.125f, s1 = 0.0625f, s2 = 0.5f;
        float *state[MAX_STATE_BUFFERS] = {&s0, &s1, &s2};
        if (!test_check(optimizer_case_run(c, false, &spy, &p, &g, state, 1) == LOSSOPT_OK,
                        "%s: status", optimizer_case_describe(c)))
            continue;
        if (c->family == FAMILY_SGD) {
            const lossopt_sgd_config *k_ = &c->sgd;
            EXPECT_COEFFICIENT(same_float(seen_sgd.negative_lr, -(float)k_->lr), c, "-lr");
            EXPECT_COEFFICIENT(!seen_sgd.use_weight_decay ||
                                   same_float(seen_sgd.weight_decay, (float)k_->weight_decay),
                               c, "weight_decay");
            EXPECT_COEFFICIENT(!seen_sgd.use_momentum ||
                                   same_float(seen_sgd.momentum, (float)k_->momentum),
                               c, "momentum");
            EXPECT_COEFFICIENT(same_float(seen_sgd.one_minus_dampening,
                                          (float)(1.0 - k_->dampening)),
                               c, "1 - dampening");
        } else if (c->family == FAMILY_RMSPROP) {
            const lossopt_rmsprop_config *k_ = &c->rmsprop;
            EXPECT_COEFFICIENT(same_float(seen_rmsprop.negative_lr, -(float)k_->lr), c, "-lr");
            EXPECT_COEFFICIENT(same_float(seen_rmsprop.alpha, (float)k_->alpha), c, "alpha");
            EXPECT_COEFFICIENT(same_float(seen_rmsprop.one_minus_alpha, (float)(1.0 - k_->alpha)),
                               c, "1 - alpha");
            EXPECT_COEFFICIENT(lerp_matches(seen_rmsprop.grad_avg_lerp, 1.0 - k_->alpha), c,
                               "grad_avg lerp weight");
            EXPECT_COEFFICIENT(same_float(seen_rmsprop.eps, (float)k_->eps), c, "eps");
            EXPECT_COEFFICIENT(!seen_rmsprop.use_momentum ||
                                   same_float(seen_rmsprop.momentum, (float)k_->momentum),
                               c, "momentum");
        } else {
            const lossopt_adam_config *k_ = &c->adam;
            double steps = (double)c->step;
            EXPECT_COEFFICIENT(same_float(seen_adam.negative_step_size,
                                          -(float)(k_->lr / (1.0 - pow(k_->beta1, steps)))),
                               c, "step size lr / (1 - beta1^step)");
            EXPECT_COEFFICIENT(same_float(seen_adam.bias_correction2_sqrt,
                                          (float)sqrt(1.0 - pow(k_->beta2, steps))),
                               c, "sqrt(1 - beta2^step)");
            EXPECT_COEFFICIENT(lerp_matches(seen_adam.exp_avg_lerp, 1.0 - k_->beta1), c,
                               "exp_avg lerp weight");
            EXPECT_COEFFICIENT(same_float(seen_adam.beta2, (float)k_->beta2), c, "beta2");
            EXPECT_COEFFICIENT(same_float(seen_adam.one_minus_beta2, (float)(1.0 - k_->beta2)), c,
                               "1 - beta2");
            EXPECT_COEFFICIENT(same_float(seen_adam.eps, (float)k_->eps), c, "eps");
            EXPECT_COEFFICIENT(!seen_adam.use_l2_weight_decay ||
                                   same_float(seen_adam.weight_decay, (float)k_->weight_decay),
                               c, "weight_decay");
            EXPECT_COEFFICIENT(!seen_adam.use_decoupled_decay ||
                                   same_float(seen_adam.decay_factor,
                                              (float)(1.0 - k_->lr * k_->weight_decay)),
                               c, "1 - lr * weight_decay");
        }
    }
}

int main(void)
{
    test_init("test_optimizer_rules");
    test_skip_unless_forced_isa_supported();
    entry_count = test_all_entry_points(entries);
    check_beta1_zero();
    check_lerp_branches();
    check_double_hyper_parameters();
    check_coefficients();
    return test_finish();
}
