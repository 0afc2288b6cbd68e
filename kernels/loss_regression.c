/* kernels/loss_regression.c - MSE, L1, Huber, smooth L1 and Poisson NLL, value and gradient
 * in one pass, written once for all vector ISAs. Formulas and operation order:
 * include/lossopt.h; the scalar oracle kernels/scalar/loss_scalar.c spells out
 * the same order. */
#include <math.h>

#include "loss_elementwise.h"

LOSSOPT_ALWAYS_INLINE void mse_element(vfloat x, vfloat t, vfloat w, const loss_vectors *k,
                                       unsigned options, vfloat *loss, vfloat *grad)
{
    (void)w, (void)options;
    vfloat d = vec_sub(x, t);
    *loss = vec_mul(d, d);
    *grad = vec_mul(k->grad_scale, d);
}
double KERNEL_NAME(mse_f32)(const lossopt_elementwise_args *a) { return loss_kernel(a, mse_element); }

LOSSOPT_ALWAYS_INLINE void l1_element(vfloat x, vfloat t, vfloat w, const loss_vectors *k,
                                      unsigned options, vfloat *loss, vfloat *grad)
{
    (void)w, (void)options;
    vfloat d = vec_sub(x, t);
    *loss = vec_abs(d);
    *grad = vec_mul(loss_sign(d), k->grad_scale);
}
double KERNEL_NAME(l1_f32)(const lossopt_elementwise_args *a) { return loss_kernel(a, l1_element); }

/* The loss values of huber and smooth_l1 carry the rounding error e of
 * d = x - t (include/lossopt.h): 0.5 d^2 = fma(0.5 d, d, d e), and
 * |x - t| - h = s + ((|d| - s) - h + (d < 0 ? -e : e)) with s = |d| - h and
 * its exact remainder (Fast2Sum: |d| >= delta > h in the linear branches).
 * Without them, d's half ulp and the rounding of |d| - h reach the loss
 * amplified (by 2 in d^2, by delta in the linear branch) and the value
 * misses SPEC's 2 ulp for delta, beta not powers of two. e is NaN only where
 * d is not finite: the quadratic branch is not taken there (|d| < delta is
 * false), and the linear branch's tail, NaN there, is dropped. */
LOSSOPT_ALWAYS_INLINE vfloat half_square(vfloat d, vfloat error)
{
    return vec_fma(vec_mul(vec_set1(0.5f), d), d, vec_mul(d, error));
}

LOSSOPT_ALWAYS_INLINE vfloat absolute_minus(vfloat d, vfloat error, vfloat h)
{
    vfloat a = vec_abs(d);
    vfloat error_of_abs = vec_select(vec_lt(d, vec_set1(0.0f)), vec_negate(error), error);
    vfloat s = vec_sub(a, h);
    vfloat tail = vec_add(vec_sub(vec_sub(a, s), h), error_of_abs);
    tail = vec_select(vec_isnan(tail), vec_set1(0.0f), tail); /* |d| = inf: inf - inf */
    return vec_add(s, tail);
}

LOSSOPT_ALWAYS_INLINE void huber_element(vfloat x, vfloat t, vfloat w, const loss_vectors *k,
                                         unsigned options, vfloat *loss, vfloat *grad)
{
    (void)w, (void)options;
    vfloat d = vec_sub(x, t);
    vfloat error = loss_difference_error(x, t, d);
    vfloat a = vec_abs(d);
    vfloat quadratic = half_square(d, error);
    vfloat linear = vec_mul(k->delta, absolute_minus(d, error, k->half_delta));
    *loss = vec_select(vec_lt(a, k->delta), quadratic, linear);
    vfloat clamped = vec_min(vec_max(d, vec_negate(k->delta)), k->delta);
    *grad = vec_mul(clamped, k->grad_scale);
}
double KERNEL_NAME(huber_f32)(const lossopt_elementwise_args *a) { return loss_kernel(a, huber_element); }

/* beta > 0 here; the API runs l1 for beta == 0. */
LOSSOPT_ALWAYS_INLINE void smooth_l1_element(vfloat x, vfloat t, vfloat w, const loss_vectors *k,
                                             unsigned options, vfloat *loss, vfloat *grad)
{
    (void)w, (void)options;
    vfloat d = vec_sub(x, t);
    vfloat error = loss_difference_error(x, t, d);
    vfloat a = vec_abs(d);
    vmask inside = vec_lt(a, k->delta);
    vfloat quadratic = vec_div(half_square(d, error), k->delta);
    *loss = vec_select(inside, quadratic, absolute_minus(d, error, k->half_delta));
    *grad = vec_mul(vec_select(inside, vec_div(d, k->delta), loss_sign(d)), k->grad_scale);
}
double KERNEL_NAME(smooth_l1_f32)(const lossopt_elementwise_args *a) { return loss_kernel(a, smooth_l1_element); }

/* Poisson NLL (include/lossopt.h), one element loop per (log_input, full):
 * the flags are per-call constants, so each combination compiles to its own
 * branch-free loop. */
LOSSOPT_ALWAYS_INLINE void poisson_base(vfloat x, vfloat t, const loss_vectors *k, bool log_input,
                                        vfloat *base, vfloat *grad)
{
    vfloat one = vec_set1(1.0f);
    if (log_input) {
        vfloat e = vec_exp(x);
        *base = vec_fma(vec_negate(t), x, e);
        *grad = vec_mul(vec_sub(e, t), k->grad_scale);
    } else {
        vfloat u = vec_add(x, k->eps);
        vfloat virtual_eps = vec_sub(u, x); /* TwoSum: u + eu == x + eps */
        vfloat virtual_x = vec_sub(u, virtual_eps);
        vfloat eu = vec_add(vec_sub(x, virtual_x), vec_sub(k->eps, virtual_eps));
        vfloat lg = vec_log(u);
        vfloat q = vec_div(t, u);
        vfloat b1 = vec_fma(vec_negate(t), lg, x);
        vfloat correction = vec_mul(q, eu);
        vmask finite = vec_lt(vec_abs(correction), vec_set1(INFINITY));
        *base = vec_select(finite, vec_sub(b1, correction), b1);
        *grad = vec_mul(vec_sub(one, q), k->grad_scale);
    }
}

LOSSOPT_ALWAYS_INLINE vfloat poisson_full(vfloat t, vfloat base)
{
    vfloat stirling = vec_fma(t, vec_log(t),
                              vec_fma(vec_set1(0.5f), vec_log(vec_mul(vec_set1(LOSSOPT_TWO_PI_F), t)),
                                      vec_negate(t)));
    return vec_select(vec_gt(t, vec_set1(1.0f)), vec_add(base, stirling), base);
}

#define POISSON_ELEMENT(name, log_input, full)                                                   \
    LOSSOPT_ALWAYS_INLINE void name(vfloat x, vfloat t, vfloat w, const loss_vectors *k,        \
                                    unsigned options, vfloat *loss, vfloat *grad)               \
    {                                                                                            \
        (void)w, (void)options;                                                                 \
        vfloat base;                                                                             \
        poisson_base(x, t, k, log_input, &base, grad);                                          \
        *loss = (full) ? poisson_full(t, base) : base;                                          \
    }
POISSON_ELEMENT(poisson_log_element, true, false)
POISSON_ELEMENT(poisson_log_full_element, true, true)
POISSON_ELEMENT(poisson_rate_element, false, false)
POISSON_ELEMENT(poisson_rate_full_element, false, true)

double KERNEL_NAME(poisson_nll_f32)(const lossopt_elementwise_args *a)
{
    if (a->log_input)
        return a->full ? loss_kernel(a, poisson_log_full_element) : loss_kernel(a, poisson_log_element);
    return a->full ? loss_kernel(a, poisson_rate_full_element) : loss_kernel(a, poisson_rate_element);
}
