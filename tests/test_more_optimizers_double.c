/* tests/test_more_optimizers_double.c - the 0.2 optimizers (Adagrad, Adamax,
 * NAdam, RAdam, Lion, LAMB) against their formulas evaluated in double
 * precision, written here from the math of include/lossopt.h ("More
 * optimizers (0.2)") and SPEC 1.8, not from the oracle's code. Catches math
 * mistakes that the oracle and the vector kernels would share, which the
 * bitwise test (every ISA == the oracle) cannot see; so every case runs on
 * the scalar oracle, and a few on the public API.
 *
 * Why double and not PyTorch for some of it (SPEC 1.8): Debian's PyTorch 1.13,
 * which the parity tests run against, lacks
 *   - NAdam's and RAdam's decoupled_weight_decay and maximize (PyTorch 2.x):
 *     checked here against 2.x's formulas (param *= 1 - lr * wd before the
 *     moments; g = -grad), and 1.13's single-tensor NAdam multiplies mu into
 *     mu_product twice per step, so NAdam's mu_product is checked here against
 *     2.x's algorithm, bit for bit (it is a double computed in double);
 *   - Lion altogether: no PyTorch reference, the paper's algorithm (Chen et
 *     al. 2023) as SPEC 1.8 writes it, c = lerp(m, g, 1 - b1),
 *     p = p (1 - lr wd) - lr sign(c), m = lerp(m, g, 1 - b2), with the case
 *     DeepSpeed's SIMD Lion gets wrong (a sign built from the bits of c steps
 *     by |c|-dependent amounts for |c| < 1): |c| = 1e-30, 1e-42 (subnormal)
 *     and their negatives step by exactly lr, +-0 does not step, NaN gives NaN
 *     (bit-exact checks, on every entry point);
 *   - LAMB altogether (You et al. 2020, apex FusedLAMB's formula): the trust
 *     ratio r = ||p|| / ||u|| is computed here from norms summed in double
 *     over the double u, and the library's float sums (canonical order) are
 *     accounted for in the bound; zero norms give r = 1, the clamp,
 *     always_adapt with weight_decay 0, bias_correction off, per-tensor
 *     norms in a list with an empty tensor.
 * RAdam's rectification switch (rho_t > 5) is checked on both sides of the
 * step where it flips, for beta2 0.999 (steps 5 and 6, as the header says)
 * and for other beta2, whose flip step the test computes itself.
 *
 * Bound: per element, twice the first-order rounding-error bound of the
 * documented operation order ("approx" below, as tests/test_optimizers_double.c),
 * on moderate inputs. A misplaced eps, a wrong bias correction, a wrong
 * mu, a missing option or a wrong trust ratio is off by orders of magnitude
 * more. The worst error of each optimizer, as a fraction of its bound, is
 * printed. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lossopt_internal.h"
#include "optimizer_cases.h"
#include "rounding_bounds.h"
#include "test_support.h"
#include "test_variants.h"

#define N 257

/* ---- worst error per optimizer ---------------------------------------------- */

static const char *family_name(optimizer_family f)
{
    switch (f) {
    case FAMILY_ADAGRAD: return "adagrad";
    case FAMILY_ADAMAX: return "adamax";
    case FAMILY_NADAM: return "nadam";
    case FAMILY_RADAM: return "radam";
    case FAMILY_LION: return "lion";
    case FAMILY_LAMB: return "lamb";
    default: return "?";
    }
}

static double family_worst[FAMILY_LAMB + 1];

/* One output against its reference: within 2 * err (+ a denormal). */
static void compare(optimizer_family f, const char *what, size_t i, const char *buffer, float got,
                    approx want)
{
    double bound = 2 * want.err + DENORMAL_SLACK;
    double error = fabs((double)got - want.v);
    if (error / bound > family_worst[f])
        family_worst[f] = error / bound;
    test_check(error <= bound, "%s: element %zu %s: library %.9g, double %.17g, error %.3g > bound %.3g",
               what, i, buffer, got, want.v, error, bound);
}

/* ---- the calls --------------------------------------------------------------- */

/* One _f32 call of case c on the oracle (public_api false) or the public API,
 * with an explicit mu_product for NAdam (updated in place). */
static lossopt_status run_f32(const optimizer_case *c, bool public_api,
                              const lossopt_kernel_table *table, float *p, const float *g,
                              float *s0, float *s1, double *mu_product, size_t n)
{
    switch (c->family) {
    case FAMILY_ADAGRAD:
        return public_api ? lossopt_adagrad_step_f32(p, g, s0, n, &c->adagrad, c->step)
                          : lossopt_adagrad_step_f32_with_table(table, p, g, s0, n, &c->adagrad, c->step);
    case FAMILY_ADAMAX:
        return public_api ? lossopt_adamax_step_f32(p, g, s0, s1, n, &c->adamax, c->step)
                          : lossopt_adamax_step_f32_with_table(table, p, g, s0, s1, n, &c->adamax,
                                                               c->step);
    case FAMILY_NADAM:
        return public_api ? lossopt_nadam_step_f32(p, g, s0, s1, mu_product, n, &c->nadam, c->step)
                          : lossopt_nadam_step_f32_with_table(table, p, g, s0, s1, mu_product, n,
                                                              &c->nadam, c->step);
    case FAMILY_RADAM:
        return public_api ? lossopt_radam_step_f32(p, g, s0, s1, n, &c->radam, c->step)
                          : lossopt_radam_step_f32_with_table(table, p, g, s0, s1, n, &c->radam,
                                                              c->step);
    case FAMILY_LION:
        return public_api ? lossopt_lion_step_f32(p, g, s0, n, &c->lion, c->step)
                          : lossopt_lion_step_f32_with_table(table, p, g, s0, n, &c->lion, c->step);
    case FAMILY_LAMB:
        return public_api ? lossopt_lamb_step_f32(p, g, s0, s1, n, &c->lamb, c->step)
                          : lossopt_lamb_step_f32_with_table(table, p, g, s0, s1, n, &c->lamb,
                                                             c->step);
    default:
        return LOSSOPT_ERR_ARG;
    }
}

/* ---- the one-pass optimizers, element by element ---------------------------- */

/* NAdam's momentum coefficient mu_t of PyTorch 2.x, in double, exactly as the
 * header writes it (the mu_product check compares doubles bit for bit). */
static double nadam_mu(const lossopt_nadam_config *k, int64_t t)
{
    return k->beta1 * (1.0 - 0.5 * pow(0.96, (double)t * k->momentum_decay));
}

/* RAdam's rho_t (torch.optim.RAdam, in double) and the switch rho_t > 5. */
static double radam_rho(double beta2, int64_t step, double *rho_inf)
{
    double t = (double)step;
    *rho_inf = 2.0 / (1.0 - beta2) - 1.0;
    return *rho_inf - 2.0 * t * pow(beta2, t) / (1.0 - pow(beta2, t));
}

/* The reference of one element: out[0] = param, out[1 + s] = state s. For
 * Lion, *sign_known is false when the reference cannot tell the sign of c
 * (|c| within its error bound of 0), and out[0] is for sign 0.
 * rectified: for RAdam, the branch to evaluate (-1: the one rho_t says). */
static void reference(const optimizer_case *c, double mu_product, int rectified, float param,
                      float grad, const float st[2], approx out[3], bool *sign_known)
{
    approx p = exact(param), g = exact(grad);
    *sign_known = true;
    double t = (double)c->step;
    switch (c->family) {
    case FAMILY_ADAGRAD: {
        const lossopt_adagrad_config *k = &c->adagrad;
        double clr = k->lr / (1.0 + (t - 1.0) * k->lr_decay);
        if (k->maximize) g = negate(g);
        if (k->weight_decay != 0) g = fused(rounded(k->weight_decay), p, g);
        approx sum = fused(g, g, exact(st[0]));
        out[1] = sum;
        approx std = add(root(sum), rounded(k->eps));
        out[0] = fused(negate(rounded(clr)), quotient(g, std), p);
        break;
    }
    case FAMILY_ADAMAX: {
        const lossopt_adamax_config *k = &c->adamax;
        double clr = k->lr / (1.0 - pow(k->beta1, t));
        if (k->maximize) g = negate(g);
        if (k->weight_decay != 0) g = fused(rounded(k->weight_decay), p, g);
        approx m = interpolate(exact(st[0]), g, rounded(1.0 - k->beta1));
        out[1] = m;
        approx u = maximum(mul(rounded(k->beta2), exact(st[1])), add(magnitude(g), rounded(k->eps)));
        out[2] = u;
        out[0] = fused(negate(rounded(clr)), quotient(m, u), p);
        break;
    }
    case FAMILY_NADAM: {
        /* PyTorch 2.x _single_tensor_nadam: mu_product *= mu;
         * param.addcdiv_(grad, denom, -lr (1 - mu) / (1 - mu_product));
         * param.addcdiv_(exp_avg, denom, -lr mu_next / (1 - mu_product mu_next));
         * decoupled (NAdamW): param.mul_(1 - lr wd) first; maximize: -grad. */
        const lossopt_nadam_config *k = &c->nadam;
        double mu = nadam_mu(k, c->step), mu_next = nadam_mu(k, c->step + 1);
        double product = mu_product * mu, product_next = product * mu_next;
        double c_grad = -k->lr * (1.0 - mu) / (1.0 - product);
        double c_avg = -k->lr * mu_next / (1.0 - product_next);
        if (k->maximize) g = negate(g);
        if (k->weight_decay != 0) {
            if (k->decoupled_weight_decay)
                p = mul(p, rounded(1.0 - k->lr * k->weight_decay));
            else
                g = fused(rounded(k->weight_decay), p, g);
        }
        approx m = interpolate(exact(st[0]), g, rounded(1.0 - k->beta1));
        out[1] = m;
        approx v = fused(mul(rounded(1.0 - k->beta2), g), g, mul(rounded(k->beta2), exact(st[1])));
        out[2] = v;
        approx denom = add(quotient(root(v), rounded(sqrt(1.0 - pow(k->beta2, t)))), rounded(k->eps));
        p = fused(rounded(c_grad), quotient(g, denom), p);
        out[0] = fused(rounded(c_avg), quotient(m, denom), p);
        break;
    }
    case FAMILY_RADAM: {
        /* PyTorch 2.x _single_tensor_radam (decoupled: param.mul_(1 - lr wd)) */
        const lossopt_radam_config *k = &c->radam;
        double rho_inf, rho_t = radam_rho(k->beta2, c->step, &rho_inf);
        double bc1 = 1.0 - pow(k->beta1, t), bc2 = 1.0 - pow(k->beta2, t);
        bool rect = rectified < 0 ? rho_t > 5.0 : rectified != 0;
        if (k->maximize) g = negate(g);
        if (k->weight_decay != 0) {
            if (k->decoupled_weight_decay)
                p = mul(p, rounded(1.0 - k->lr * k->weight_decay));
            else
                g = fused(rounded(k->weight_decay), p, g);
        }
        approx m = interpolate(exact(st[0]), g, rounded(1.0 - k->beta1));
        out[1] = m;
        approx v = fused(mul(rounded(1.0 - k->beta2), g), g, mul(rounded(k->beta2), exact(st[1])));
        out[2] = v;
        if (rect) {
            double r = sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                            ((rho_inf - 4) * (rho_inf - 2) * rho_t));
            double step_size = k->lr * r * sqrt(bc2) / bc1;
            out[0] = fused(negate(rounded(step_size)), quotient(m, add(root(v), rounded(k->eps))), p);
        } else {
            out[0] = fused(negate(rounded(k->lr / bc1)), m, p);
        }
        break;
    }
    case FAMILY_LION: {
        /* the paper: c = b1 m + (1 - b1) g; p -= lr (sign(c) + wd p);
         * m = b2 m + (1 - b2) g */
        const lossopt_lion_config *k = &c->lion;
        if (k->maximize) g = negate(g);
        approx m = exact(st[0]);
        approx cc = interpolate(m, g, rounded(1.0 - k->beta1));
        if (k->weight_decay != 0)
            p = mul(p, rounded(1.0 - k->lr * k->weight_decay));
        double sign = 0;
        if (fabs(cc.v) > 2 * cc.err + DENORMAL_SLACK)
            sign = cc.v > 0 ? 1.0 : -1.0;
        else
            *sign_known = false;
        out[0] = fused(negate(rounded(k->lr)), exact(sign), p);
        out[1] = interpolate(m, g, rounded(1.0 - k->beta2));
        break;
    }
    default:
        break;
    }
}

static unsigned used_states(const optimizer_case *c)
{
    return c->family == FAMILY_ADAGRAD || c->family == FAMILY_LION ? 1u : 3u;
}

static void fill_moderate(const optimizer_case *c, size_t n, float *p, float *g, float *s0, float *s1)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = test_random_uniform(-3, 3);
        g[i] = test_random_uniform(-2, 2);
        s0[i] = test_random_uniform(-1, 1);
        s1[i] = test_random_uniform(-1, 1);
        if (optimizer_case_state_is_square(c, 0))
            s0[i] = fabsf(s0[i]) + 0.25f; /* keep sqrt arguments away from 0 */
        if (optimizer_case_state_is_square(c, 1))
            s1[i] = fabsf(s1[i]) + 0.25f;
    }
}

/* ---- LAMB: two passes, the trust ratio from double norms -------------------- */

/* The relative error of the library's sum of n float squares (each rounded,
 * then added in float inside a block of 256, at most 16 per virtual lane
 * plus the 4-level fold, block sums in double): at most ~21 float roundings
 * deep; 24 is used, plus the double additions. */
static double float_sum_relative_error(size_t n)
{
    return 24 * UNIT_ROUNDOFF + (double)(n + 2) * 0x1p-52;
}

typedef struct lamb_expect {
    double r, r_err;         /* the trust ratio and its bound             */
    double p_norm, u_norm;   /* the double norms                           */
} lamb_expect;

/* The reference of one tensor (n elements; inputs p0, g0, m0, v0) and the
 * comparison of the library's outputs p, m, v. Returns r. */
static lamb_expect lamb_check(const char *what, const lossopt_lamb_config *k, int64_t step,
                              size_t n, const float *p0, const float *g0, const float *m0,
                              const float *v0, const float *p, const float *m, const float *v)
{
    double t = (double)step;
    approx *u = malloc((n ? n : 1) * sizeof *u);
    double p2 = 0, u2 = 0, u2_upper = 0, u2_err = 0;
    for (size_t i = 0; i < n; i++) {
        approx g = exact(g0[i]);
        if (k->maximize) g = negate(g);
        approx mm = interpolate(exact(m0[i]), g, rounded(1.0 - k->beta1));
        approx vv = fused(mul(rounded(1.0 - k->beta2), g), g, mul(rounded(k->beta2), exact(v0[i])));
        compare(FAMILY_LAMB, what, i, "exp_avg", m[i], mm);
        compare(FAMILY_LAMB, what, i, "exp_avg_sq", v[i], vv);
        approx mhat = mm, denom = root(vv);
        if (k->bias_correction) {
            mhat = quotient(mm, rounded(1.0 - pow(k->beta1, t)));
            denom = quotient(denom, rounded(sqrt(1.0 - pow(k->beta2, t))));
        }
        u[i] = quotient(mhat, add(denom, rounded(k->eps)));
        if (k->weight_decay != 0)
            u[i] = fused(rounded(k->weight_decay), exact(p0[i]), u[i]);
        p2 += (double)p0[i] * p0[i];
        u2 += u[i].v * u[i].v;
        double e = 2 * u[i].err; /* the library's float u is within this of u.v */
        u2_upper += (fabs(u[i].v) + e) * (fabs(u[i].v) + e);
        u2_err += 2 * fabs(u[i].v) * e + e * e;
    }
    lamb_expect x = {1.0, 0.0, sqrt(p2), sqrt(u2)};
    if (k->weight_decay != 0 || k->always_adapt) {
        if (p2 > 0 && u2 > 0) {
            double rel_p = float_sum_relative_error(n);
            double rel_u = (u2_err + float_sum_relative_error(n) * u2_upper) / u2;
            test_check(rel_p < 0.5 && rel_u < 0.5, "%s: test data too ill-conditioned for the norms", what);
            x.r = x.p_norm / x.u_norm;
            double high = sqrt((1 + rel_p) / (1 - rel_u)) - 1, low = 1 - sqrt((1 - rel_p) / (1 + rel_u));
            x.r_err = x.r * (fmax(high, low) + 8 * 0x1p-53);
        }
        if (k->max_trust_ratio > 0 && x.r > k->max_trust_ratio) {
            /* min(r, max) is 1-Lipschitz; clamped for sure: exact */
            x.r_err = x.r - x.r_err > k->max_trust_ratio ? 0 : x.r_err;
            x.r = k->max_trust_ratio;
        }
    }
    /* -(float)(lr * r): one rounding of the double product */
    approx factor = {k->lr * x.r, k->lr * x.r_err + UNIT_ROUNDOFF * k->lr * x.r};
    for (size_t i = 0; i < n; i++)
        compare(FAMILY_LAMB, what, i, "param", p[i], fused(negate(factor), u[i], exact(p0[i])));
    free(u);
    return x;
}

/* ---- the enumerated cases ---------------------------------------------------- */

static void check_case(const optimizer_case *c, bool public_api, const char *tag)
{
    float p[N], g[N], s0[N], s1[N], p0[N], g0[N], m0[N], v0[N];
    test_seed_case(optimizer_case_describe(c), 0, 0, 0);
    fill_moderate(c, N, p0, g0, m0, v0);
    memcpy(p, p0, sizeof p);
    memcpy(g, g0, sizeof g);
    memcpy(s0, m0, sizeof s0);
    memcpy(s1, v0, sizeof s1);
    char what[320];
    snprintf(what, sizeof what, "%s (%s)", optimizer_case_describe(c), tag);
    double mu_product = c->mu_product;
    lossopt_status status = run_f32(c, public_api, test_oracle(), p, g, s0,
                                    used_states(c) & 2 ? s1 : NULL, &mu_product, N);
    if (!test_check(status == LOSSOPT_OK, "%s: status %d", what, status))
        return;
    test_check(memcmp(g, g0, sizeof g) == 0, "%s: grad was written", what);
    if (c->family == FAMILY_LAMB) {
        lamb_check(what, &c->lamb, c->step, N, p0, g0, m0, v0, p, s0, s1);
        return;
    }
    if (c->family == FAMILY_NADAM) {
        double want = c->mu_product * nadam_mu(&c->nadam, c->step); /* the header's double formula */
        test_check(memcmp(&mu_product, &want, sizeof want) == 0,
                   "%s: mu_product %.17g, want old * mu_t = %.17g", what, mu_product, want);
    }
    unsigned used = used_states(c);
    for (size_t i = 0; i < N; i++) {
        approx want[3];
        bool sign_known;
        float st[2] = {m0[i], v0[i]};
        reference(c, c->mu_product, -1, p0[i], g0[i], st, want, &sign_known);
        if (!sign_known) { /* Lion with c ~ 0: either sign, or none */
            printf("%s: element %zu: sign of c not decidable in double, any step accepted\n", what, i);
            bool any = false;
            for (int sgn = -1; sgn <= 1; sgn++) {
                approx w = fused(negate(rounded(c->lion.lr)), exact(sgn), want[0]);
                any = any || fabs((double)p[i] - w.v) <= 2 * (w.err + want[0].err) + DENORMAL_SLACK;
            }
            test_check(any, "%s: element %zu: param %.9g", what, i, p[i]);
        } else {
            compare(c->family, what, i, "param", p[i], want[0]);
        }
        compare(c->family, what, i, "state[0]", s0[i], want[1]);
        if (used & 2)
            compare(c->family, what, i, "state[1]", s1[i], want[2]);
    }
}

static void check_enumerated_cases(void)
{
    const optimizer_case *cases;
    size_t count = optimizer_cases_more(&cases);
    for (size_t k = 0; k < count; k++) {
        optimizer_case c = cases[k];
        check_case(&c, false, "oracle");
        if (k % 5 == 0)
            check_case(&c, true, "public");
        c.step += 1; /* and the following step, for step-dependent paths */
        check_case(&c, false, "oracle");
    }
}

/* NAdam's and RAdam's decoupled weight decay and maximize (PyTorch 2.x, absent
 * from 1.13), together and apart, at several steps and betas. */
static void check_decoupled_and_maximize(void)
{
    static const int64_t steps[] = {1, 2, 5, 6, 12, 1000};
    for (int decoupled = 0; decoupled < 2; decoupled++)
    for (int maximize = 0; maximize < 2; maximize++)
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        optimizer_case c = {.family = FAMILY_NADAM, .step = steps[s], .mu_product = 1.0};
        c.nadam = lossopt_nadam_defaults();
        c.nadam.lr = 0.017;
        c.nadam.weight_decay = 0.043;
        c.nadam.decoupled_weight_decay = decoupled;
        c.nadam.maximize = maximize;
        c.nadam.beta1 = s % 2 ? 0.83 : 0.9;
        c.nadam.beta2 = s % 2 ? 0.97 : 0.999;
        if (steps[s] > 1) /* some product of earlier mus */
            c.mu_product = pow(0.87, (double)(steps[s] < 40 ? steps[s] - 1 : 40));
        check_case(&c, false, "nadam decoupled/maximize");
        if (s == 3)
            check_case(&c, true, "nadam decoupled/maximize");

        optimizer_case r = {.family = FAMILY_RADAM, .step = steps[s]};
        r.radam = lossopt_radam_defaults();
        r.radam.lr = 0.013;
        r.radam.weight_decay = 0.07;
        r.radam.decoupled_weight_decay = decoupled;
        r.radam.maximize = maximize;
        r.radam.eps = s % 2 ? 1e-3 : 1e-8;
        check_case(&r, false, "radam decoupled/maximize");
        if (s == 3)
            check_case(&r, true, "radam decoupled/maximize");
    }
}

/* ---- RAdam's rectification switch -------------------------------------------- */

/* At step t with beta2, the library must follow the branch rho_t > 5 says,
 * and the other branch's reference must be far outside the bound (so the
 * comparison can tell the branches apart). */
static void check_radam_step(double beta2, int64_t step, bool expect_rectified, bool public_api)
{
    double rho_inf, rho_t = radam_rho(beta2, step, &rho_inf);
    test_check((rho_t > 5.0) == expect_rectified, "radam beta2 %.17g step %lld: rho_t %.17g, "
               "the test expected %s", beta2, (long long)step, rho_t,
               expect_rectified ? "rectified" : "not rectified");
    optimizer_case c = {.family = FAMILY_RADAM, .step = step};
    c.radam = lossopt_radam_defaults();
    c.radam.beta2 = beta2;
    c.radam.lr = 0.01;
    c.radam.eps = 1e-6;
    char tag[96];
    snprintf(tag, sizeof tag, "radam switch beta2 %g rho_t %.6g", beta2, rho_t);
    check_case(&c, public_api, tag);

    /* the same data once more: how far the other branch lands */
    float p[N], g[N], s0[N], s1[N], p0[N], g0[N], m0[N], v0[N];
    test_seed_case(optimizer_case_describe(&c), 0, 0, 0);
    fill_moderate(&c, N, p0, g0, m0, v0);
    memcpy(p, p0, sizeof p), memcpy(g, g0, sizeof g), memcpy(s0, m0, sizeof s0),
        memcpy(s1, v0, sizeof s1);
    if (run_f32(&c, public_api, test_oracle(), p, g, s0, s1, NULL, N) != LOSSOPT_OK)
        return;
    size_t far = 0;
    for (size_t i = 0; i < N; i++) {
        approx other[3];
        bool known;
        float st[2] = {m0[i], v0[i]};
        reference(&c, 1.0, !expect_rectified, p0[i], g0[i], st, other, &known);
        /* (a NaN reference: the rectification term of rho_t <= 4 is not real) */
        if (!(fabs((double)p[i] - other[0].v) <= 8 * (2 * other[0].err + DENORMAL_SLACK)))
            far++;
    }
    test_check(far > N / 2, "%s: the other branch is within the bound at %zu of %d elements "
               "(the test cannot tell the branches apart)", tag, N - far, N);
}

static void check_radam_rectification(void)
{
    static const double beta2s[] = {0.999, 0.99, 0.8, 0.9, 0.5};
    for (size_t b = 0; b < sizeof beta2s / sizeof beta2s[0]; b++) {
        double beta2 = beta2s[b];
        int64_t flip = 0; /* the first step with rho_t > 5, computed here */
        for (int64_t t = 1; t <= 100000 && flip == 0; t++) {
            double rho_inf, rho_t = radam_rho(beta2, t, &rho_inf);
            if (rho_t > 5.0)
                flip = t;
        }
        if (beta2 == 0.999)
            test_check(flip == 6, "radam beta2 0.999 rectifies from step %lld, the header says 6",
                       (long long)flip);
        if (beta2 == 0.8)
            test_check(flip == 7, "radam beta2 0.8: flip at step %lld, computed 7 before",
                       (long long)flip);
        if (flip == 0) { /* rho_inf <= 5: never rectified */
            double rho_inf;
            radam_rho(beta2, 1, &rho_inf);
            test_check(rho_inf <= 5.0, "radam beta2 %g never flips but rho_inf %g", beta2, rho_inf);
            printf("radam beta2 %g: rho_inf %g, never rectified (checked at steps 1, 6, 1000)\n",
                   beta2, rho_inf);
            check_radam_step(beta2, 1, false, false);
            check_radam_step(beta2, 6, false, false);
            check_radam_step(beta2, 1000, false, false);
            continue;
        }
        printf("radam beta2 %g: not rectified at step %lld, rectified from step %lld\n", beta2,
               (long long)(flip - 1), (long long)flip);
        check_radam_step(beta2, flip - 1, false, false);
        check_radam_step(beta2, flip, true, false);
        check_radam_step(beta2, flip + 1, true, false);
        check_radam_step(beta2, flip - 1, false, true);
        check_radam_step(beta2, flip, true, true);
    }
}

/* ---- NAdam's mu_product ------------------------------------------------------ */

/* A 5-step trajectory from mu_product 1: after each call the library's
 * mu_product is the chained product of the header's mu_t in double, bit for
 * bit, and each step's outputs match the reference from that step's inputs. */
static void check_nadam_trajectory(bool public_api, double psi, double beta1, bool decoupled)
{
    optimizer_case c = {.family = FAMILY_NADAM, .mu_product = 1.0};
    c.nadam = lossopt_nadam_defaults();
    c.nadam.momentum_decay = psi;
    c.nadam.beta1 = beta1;
    c.nadam.lr = 0.02;
    c.nadam.weight_decay = decoupled ? 0.03 : 0.0;
    c.nadam.decoupled_weight_decay = decoupled;
    float p[N], g[N], s0[N], s1[N], p0[N], g0[N], m0[N], v0[N];
    test_seed_case("nadam trajectory", (uint64_t)(psi * 1e6), (uint64_t)(beta1 * 100), decoupled);
    fill_moderate(&c, N, p, g, s0, s1);
    for (size_t i = 0; i < N; i++)
        s0[i] = 0.0f, s1[i] = 0.0f; /* PyTorch's initial state */
    double library_product = 1.0, chained = 1.0;
    char what[128];
    for (int64_t t = 1; t <= 5; t++) {
        c.step = t;
        c.mu_product = library_product;
        memcpy(p0, p, sizeof p), memcpy(m0, s0, sizeof s0), memcpy(v0, s1, sizeof s1);
        for (size_t i = 0; i < N; i++)
            g[i] = g0[i] = test_random_uniform(-2, 2);
        snprintf(what, sizeof what, "nadam trajectory psi %g beta1 %g%s step %lld (%s)", psi,
                 beta1, decoupled ? " decoupled" : "", (long long)t, public_api ? "public" : "oracle");
        lossopt_status status = run_f32(&c, public_api, test_oracle(), p, g, s0, s1,
                                        &library_product, N);
        if (!test_check(status == LOSSOPT_OK, "%s: status %d", what, status))
            return;
        double before = chained; /* the test's own product of the earlier mus */
        chained = chained * nadam_mu(&c.nadam, t);
        test_check(memcmp(&library_product, &chained, sizeof chained) == 0,
                   "%s: mu_product %.17g (%a), the chained double product %.17g (%a)", what,
                   library_product, library_product, chained, chained);
        for (size_t i = 0; i < N; i++) {
            approx want[3];
            bool known;
            float st[2] = {m0[i], v0[i]};
            reference(&c, before, -1, p0[i], g0[i], st, want, &known);
            compare(FAMILY_NADAM, what, i, "param", p[i], want[0]);
            compare(FAMILY_NADAM, what, i, "exp_avg", s0[i], want[1]);
            compare(FAMILY_NADAM, what, i, "exp_avg_sq", s1[i], want[2]);
        }
    }
    printf("nadam psi %g beta1 %g: mu_product after 5 steps %.17g\n", psi, beta1, library_product);
}

static void check_nadam_mu_product(void)
{
    check_nadam_trajectory(false, 4e-3, 0.9, false);
    check_nadam_trajectory(true, 4e-3, 0.9, false);
    check_nadam_trajectory(false, 0.07, 0.83, true);
    check_nadam_trajectory(true, 0.07, 0.83, true);
    check_nadam_trajectory(false, 0.0, 0.45, false);
    /* beta1 = 0: mu = 0, the product is 0 after step 1 and the run goes on
     * from 0 (valid since 00313a7: PyTorch carries on with 1 - 0 = 1) */
    check_nadam_trajectory(false, 4e-3, 0.0, true);
    check_nadam_trajectory(true, 4e-3, 0.0, false);
    /* single calls from products that are not 1, at large steps */
    static const double products[] = {1.0, 0.5, 0.0417, 1e-300, 0x1p-1074, 0.0};
    static const int64_t steps[] = {1, 7, 30, 100000};
    for (size_t k = 0; k < sizeof products / sizeof products[0]; k++)
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            optimizer_case c = {.family = FAMILY_NADAM, .step = steps[s], .mu_product = products[k]};
            c.nadam = lossopt_nadam_defaults();
            c.nadam.momentum_decay = s % 2 ? 4e-3 : 0.013;
            check_case(&c, (k + s) % 3 == 0, "nadam mu_product");
        }
}

/* ---- Lion: the sign, bit for bit --------------------------------------------- */

/* Every entry point (the DeepSpeed defect is a SIMD one). m = g = c gives
 * c = lerp(m, g, w) = c exactly; param values are chosen so that p - lr is
 * exact, so the expected param is exact: p - lr sign(c), p for c = +-0, NaN
 * for c NaN. exp_avg = lerp(c, c, 1 - b2) = c (zeros compare as zero). */
static void check_lion_sign(void)
{
    static const float cs[] = {1e-30f, 1e-42f, -1e-30f, -1e-42f, 0.0f, -0.0f, NAN,
                               1e-45f, -1e-45f, FLT_MIN, -FLT_MIN, 0.75f, -3.5f, 1e30f, -0.0f};
    static const float ps[] = {1.0f, -2.5f, 0.75f, 3.0f, 0.0f, 1e-3f, -0.5f};
    enum { COUNT = 37 }; /* longer than a vector, with a tail */
    variant entries[TEST_MAX_VARIANTS];
    size_t entry_count = test_all_entry_points(entries);
    /* (beta1, beta2, lr, wd, maximize): first lerp branch; second branch
     * (c = -0 stays -0); lr not a power of two; maximize; exact decay */
    static const struct { double beta1, beta2, lr, wd; bool maximize; } configs[] = {
        {0.9, 0.99, 0.0625, 0.0, false},
        {0.3, 0.45, 0.0625, 0.0, false},
        {0.9, 0.99, 1e-4, 0.0, false},
        {0.9, 0.99, 0.0625, 0.0, true},
        {0.9, 0.99, 0.0625, 2.0, false}, /* decay 1 - 0.125 = 0.875, exact */
    };
    for (size_t k = 0; k < sizeof configs / sizeof configs[0]; k++) {
        lossopt_lion_config cfg = lossopt_lion_defaults();
        cfg.beta1 = configs[k].beta1;
        cfg.beta2 = configs[k].beta2;
        cfg.lr = configs[k].lr;
        cfg.weight_decay = configs[k].wd;
        cfg.maximize = configs[k].maximize;
        float lr = (float)cfg.lr, decay = (float)(1.0 - cfg.lr * cfg.weight_decay);
        for (size_t e = 0; e < entry_count; e++) {
            float *p = test_guarded_alloc(COUNT), *g = test_guarded_alloc(COUNT),
                  *m = test_guarded_alloc(COUNT);
            float p0[COUNT], c[COUNT];
            for (size_t i = 0; i < COUNT; i++) {
                c[i] = cs[(i + k) % (sizeof cs / sizeof cs[0])];
                p0[i] = p[i] = ps[i % (sizeof ps / sizeof ps[0])];
                g[i] = cfg.maximize ? -c[i] : c[i];
                m[i] = c[i];
            }
            lossopt_status st = entries[e].public_api
                                    ? lossopt_lion_step_f32(p, g, m, COUNT, &cfg, 2)
                                    : lossopt_lion_step_f32_with_table(entries[e].table, p, g, m,
                                                                       COUNT, &cfg, 2);
            if (test_check(st == LOSSOPT_OK, "lion sign config %zu on %s: status %d", k,
                           entries[e].name, st)) {
                for (size_t i = 0; i < COUNT; i++) {
                    float base = cfg.weight_decay != 0 ? p0[i] * decay : p0[i];
                    float want;
                    if (isnan(c[i]))
                        want = NAN;
                    else if (c[i] == 0.0f)
                        want = base; /* no step, bit for bit */
                    else /* exactly lr, however small |c| */
                        want = (float)((double)base - (c[i] > 0 ? (double)lr : -(double)lr));
                    test_check(test_same_float(p[i], want),
                               "lion config %zu on %s: c = %a, p = %a: param %a, want %a "
                               "(p - lr sign(c))", k, entries[e].name, c[i], p0[i], p[i], want);
                    test_check(isnan(c[i]) ? isnan(m[i]) : m[i] == c[i],
                               "lion config %zu on %s: c = %a: exp_avg %a, want %a", k,
                               entries[e].name, c[i], m[i], c[i]);
                }
            }
            test_guarded_free(p);
            test_guarded_free(g);
            test_guarded_free(m);
        }
    }
}

/* ---- LAMB's special cases ---------------------------------------------------- */

enum lamb_data { /* bits */
    LAMB_RANDOM = 0,      /* moderate data                                 */
    LAMB_PARAM_ZERO = 1,  /* param all zero: ||p|| = 0, r = 1              */
    LAMB_UPDATE_ZERO = 2, /* grad, exp_avg zero (and wd 0): u = 0, r = 1   */
    LAMB_LARGE_PARAM = 4  /* |p| ~ 100: r large (the clamp bites)          */
};

static lamb_expect check_lamb(const char *what, const lossopt_lamb_config *cfg, int64_t step,
                              size_t n, int data, bool public_api)
{
    float *p = test_guarded_alloc(n), *g = test_guarded_alloc(n), *m = test_guarded_alloc(n),
          *v = test_guarded_alloc(n);
    float *p0 = malloc(n * sizeof *p0 + 1), *g0 = malloc(n * sizeof *g0 + 1),
          *m0 = malloc(n * sizeof *m0 + 1), *v0 = malloc(n * sizeof *v0 + 1);
    test_seed_case(what, n, (uint64_t)step, (uint64_t)data);
    for (size_t i = 0; i < n; i++) {
        p0[i] = (data & LAMB_PARAM_ZERO) ? 0.0f : test_random_uniform(-3, 3);
        if (data & LAMB_LARGE_PARAM)
            p0[i] *= 40.0f;
        g0[i] = (data & LAMB_UPDATE_ZERO) ? 0.0f : test_random_uniform(-2, 2);
        m0[i] = (data & LAMB_UPDATE_ZERO) ? 0.0f : test_random_uniform(-1, 1);
        v0[i] = fabsf(test_random_uniform(-1, 1)) + 0.25f;
    }
    memcpy(p, p0, n * sizeof *p), memcpy(g, g0, n * sizeof *g), memcpy(m, m0, n * sizeof *m),
        memcpy(v, v0, n * sizeof *v);
    lossopt_status st = public_api ? lossopt_lamb_step_f32(p, g, m, v, n, cfg, step)
                                   : lossopt_lamb_step_f32_with_table(test_oracle(), p, g, m, v, n,
                                                                      cfg, step);
    lamb_expect x = {NAN, NAN, NAN, NAN};
    if (test_check(st == LOSSOPT_OK, "%s: status %d", what, st)) {
        x = lamb_check(what, cfg, step, n, p0, g0, m0, v0, p, m, v);
        if (data & LAMB_UPDATE_ZERO) /* r must be 1, not 0/0 or x/0: p unchanged, bit for bit */
            test_check(test_first_difference(p, p0, n) == n,
                       "%s: a zero update changed param (element %zu: %a -> %a)", what,
                       test_first_difference(p, p0, n) % (n ? n : 1), p0[0], p[0]);
    }
    test_guarded_free(p), test_guarded_free(g), test_guarded_free(m), test_guarded_free(v);
    free(p0), free(g0), free(m0), free(v0);
    return x;
}

static void check_lamb_cases(void)
{
    lossopt_lamb_config cfg = lossopt_lamb_defaults();
    cfg.lr = 0.05;
    cfg.weight_decay = 0.01;
    lamb_expect x;

    /* the clamp: inactive (r below max), active (r above max) */
    cfg.max_trust_ratio = 100.0;
    x = check_lamb("lamb clamp inactive", &cfg, 3, 1000, LAMB_RANDOM, false);
    test_check(x.p_norm / x.u_norm < cfg.max_trust_ratio && x.r == x.p_norm / x.u_norm,
               "lamb clamp inactive: the test needs r %g < max %g", x.r, cfg.max_trust_ratio);
    cfg.max_trust_ratio = 0.5;
    x = check_lamb("lamb clamp active", &cfg, 3, 1000, LAMB_RANDOM, false);
    test_check(x.p_norm / x.u_norm > 2 * cfg.max_trust_ratio && x.r == cfg.max_trust_ratio,
               "lamb clamp active: the test needs ||p||/||u|| %g > max %g",
               x.p_norm / x.u_norm, cfg.max_trust_ratio);
    check_lamb("lamb clamp active", &cfg, 3, 1000, LAMB_RANDOM, true);
    cfg.max_trust_ratio = 10.0;
    x = check_lamb("lamb large param, clamp 10", &cfg, 2, 777, LAMB_LARGE_PARAM, false);
    test_check(x.p_norm / x.u_norm > 10.0, "lamb large param: the test needs r %g > 10",
               x.p_norm / x.u_norm);
    cfg.max_trust_ratio = 0.0;
    x = check_lamb("lamb large param, no clamp", &cfg, 2, 777, LAMB_LARGE_PARAM, false);
    test_check(x.r > 10.0, "lamb large param, no clamp: r %g", x.r);

    /* always_adapt with weight_decay 0: r from the norms; without: r = 1 */
    cfg.weight_decay = 0.0;
    cfg.always_adapt = true;
    x = check_lamb("lamb always_adapt wd 0", &cfg, 4, 513, LAMB_RANDOM, false);
    test_check(fabs(x.r - 1.0) > 0.1, "lamb always_adapt: the test needs r %g far from 1", x.r);
    check_lamb("lamb always_adapt wd 0", &cfg, 4, 513, LAMB_RANDOM, true);
    cfg.always_adapt = false;
    x = check_lamb("lamb wd 0, not adaptive", &cfg, 4, 513, LAMB_RANDOM, false);
    test_check(x.r == 1.0 && fabs(x.p_norm / x.u_norm - 1.0) > 0.1,
               "lamb wd 0 without always_adapt: the test needs ||p||/||u|| %g far from r = 1",
               x.p_norm / x.u_norm);

    /* bias_correction off, with and without the trust ratio */
    cfg = lossopt_lamb_defaults();
    cfg.lr = 0.03;
    cfg.bias_correction = false;
    check_lamb("lamb no bias correction", &cfg, 5, 300, LAMB_RANDOM, false);
    check_lamb("lamb no bias correction", &cfg, 1, 300, LAMB_RANDOM, true);
    cfg.maximize = true;
    cfg.beta1 = 0.3; /* the second lerp branch */
    cfg.beta2 = 0.95;
    check_lamb("lamb no bias correction maximize", &cfg, 5, 300, LAMB_RANDOM, false);

    /* zero norms: r = 1, never 0/0 or x/0 */
    cfg = lossopt_lamb_defaults();
    cfg.lr = 0.05;
    x = check_lamb("lamb param all zero", &cfg, 2, 300, LAMB_PARAM_ZERO, false);
    test_check(x.r == 1.0 && x.p_norm == 0.0, "lamb param zero: r %g", x.r);
    check_lamb("lamb param all zero", &cfg, 2, 300, LAMB_PARAM_ZERO, true);
    cfg.weight_decay = 0.0;
    cfg.always_adapt = true;
    x = check_lamb("lamb update all zero", &cfg, 2, 300, LAMB_UPDATE_ZERO, false);
    test_check(x.r == 1.0 && x.u_norm == 0.0, "lamb update zero: r %g", x.r);
    check_lamb("lamb update all zero", &cfg, 2, 300, LAMB_UPDATE_ZERO, true);
    cfg.weight_decay = 0.01; /* param and update zero */
    check_lamb("lamb param and update zero", &cfg, 2, 300, LAMB_PARAM_ZERO | LAMB_UPDATE_ZERO, false);
    /* an empty tensor: OK, nothing to touch */
    test_check(lossopt_lamb_step_f32_with_table(test_oracle(), NULL, NULL, NULL, NULL, 0, &cfg, 1) ==
                   LOSSOPT_OK && lossopt_lamb_step_f32(NULL, NULL, NULL, NULL, 0, &cfg, 1) == LOSSOPT_OK,
               "lamb empty tensor: not OK");

    /* a sum that underflows in float: u ~ 1e-26, each u * u rounds to 0, so
     * u2 = 0 and r = 1 by the header's rule (the double norm is not 0; here the
     * header's float sum decides). p = 1e-20 keeps p2 a (subnormal) float. */
    cfg = lossopt_lamb_defaults();
    cfg.lr = 1e4;
    cfg.weight_decay = 0.0;
    cfg.always_adapt = true;
    cfg.bias_correction = false;
    cfg.eps = 1.0;
    {
        enum { U = 40 };
        float p[U], g[U], m[U] = {0}, v[U] = {0}, p0[U];
        for (size_t i = 0; i < U; i++) {
            p0[i] = p[i] = i % 2 ? 1e-20f : -1e-20f;
            g[i] = i % 3 ? 1e-25f : -2e-25f;
        }
        lossopt_status st = lossopt_lamb_step_f32_with_table(test_oracle(), p, g, m, v, U, &cfg, 1);
        test_check(st == LOSSOPT_OK, "lamb underflow: status %d", st);
        for (size_t i = 0; i < U; i++) {
            /* m = (1 - b1) g, v rounds to 0, u = m / (0 + 1) = m; p - lr * 1 * u */
            approx u = mul(rounded(1.0 - cfg.beta1), exact(g[i]));
            compare(FAMILY_LAMB, "lamb float sum underflow (r = 1)", i, "param", p[i],
                    fused(negate(rounded(cfg.lr)), u, exact(p0[i])));
        }
    }

    /* a list: per-tensor norms (each tensor its own r), an empty tensor among them */
    cfg = lossopt_lamb_defaults();
    cfg.lr = 0.05;
    cfg.weight_decay = 0.02;
    cfg.max_trust_ratio = 20.0;
    enum { TENSORS = 4 };
    static const size_t sizes[TENSORS] = {300, 0, 129, 1000};
    static const float scales[TENSORS] = {1.0f, 1.0f, 10.0f, 0.1f};
    float *buf[TENSORS][5];
    lossopt_tensor t[TENSORS];
    test_seed_case("lamb list per tensor", 0, 0, 0);
    for (size_t k = 0; k < TENSORS; k++) {
        for (int b = 0; b < 5; b++)
            buf[k][b] = sizes[k] ? malloc(sizes[k] * sizeof(float)) : NULL;
        for (size_t i = 0; i < sizes[k]; i++) {
            buf[k][0][i] = test_random_uniform(-3, 3) * scales[k]; /* p0 */
            buf[k][1][i] = test_random_uniform(-2, 2);             /* g  */
            buf[k][2][i] = test_random_uniform(-1, 1);             /* m  */
            buf[k][3][i] = fabsf(test_random_uniform(-1, 1)) + 0.25f; /* v */
            buf[k][4][i] = buf[k][0][i];                           /* p  */
        }
        t[k] = (lossopt_tensor){.param = buf[k][4], .grad = buf[k][1],
                                .state = {buf[k][2], buf[k][3], NULL}, .n = sizes[k]};
    }
    float *m0[TENSORS], *v0[TENSORS];
    for (size_t k = 0; k < TENSORS; k++) {
        m0[k] = sizes[k] ? malloc(sizes[k] * sizeof(float)) : NULL;
        v0[k] = sizes[k] ? malloc(sizes[k] * sizeof(float)) : NULL;
        if (sizes[k])
            memcpy(m0[k], buf[k][2], sizes[k] * sizeof(float)),
                memcpy(v0[k], buf[k][3], sizes[k] * sizeof(float));
    }
    t[2].step = 7; /* its own step (bias corrections) */
    lossopt_status st = lossopt_lamb_step_with_table(test_oracle(), &cfg, t, TENSORS, 3, NULL, NULL);
    if (test_check(st == LOSSOPT_OK, "lamb list: status %d", st)) {
        double r[TENSORS], ratio[TENSORS];
        for (size_t k = 0; k < TENSORS; k++) {
            char what[64];
            snprintf(what, sizeof what, "lamb list tensor %zu", k);
            lamb_expect e = lamb_check(what, &cfg, t[k].step ? t[k].step : 3, sizes[k], buf[k][0],
                                       buf[k][1], m0[k], v0[k], buf[k][4], buf[k][2], buf[k][3]);
            r[k] = e.r;
            ratio[k] = e.p_norm / e.u_norm;
        }
        printf("lamb list: per-tensor trust ratios %g, %g (empty), %g (||p||/||u|| %g, clamped), "
               "%g\n", r[0], r[1], r[2], ratio[2], r[3]);
        test_check(r[1] == 1.0 && r[2] == cfg.max_trust_ratio && ratio[2] > 2 * cfg.max_trust_ratio &&
                       r[0] < cfg.max_trust_ratio && r[3] < 0.5 * r[0],
                   "lamb list: the test needs distinct per-tensor ratios (%g %g %g %g)", r[0], r[1],
                   r[2], r[3]);
    }
    for (size_t k = 0; k < TENSORS; k++) {
        for (int b = 0; b < 5; b++)
            free(buf[k][b]);
        free(m0[k]), free(v0[k]);
    }
}

int main(void)
{
    test_init("test_more_optimizers_double");
    test_skip_unless_forced_isa_supported();
    check_enumerated_cases();
    check_decoupled_and_maximize();
    check_radam_rectification();
    check_nadam_mu_product();
    check_lion_sign();
    check_lamb_cases();
    for (int f = FAMILY_ADAGRAD; f <= FAMILY_LAMB; f++)
        printf("%s: largest error %.3f of the rounding bound\n", family_name((optimizer_family)f),
               family_worst[f]);
    return test_finish();
}
