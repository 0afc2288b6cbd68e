/* kernels/loss_regression.c - MSE, L1, Huber and smooth L1, value and gradient
 * in one pass, written once for all vector ISAs. Formulas and operation order:
 * include/lossopt.h; the scalar oracle kernels/scalar/loss_scalar.c spells out
 * the same order. */
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
