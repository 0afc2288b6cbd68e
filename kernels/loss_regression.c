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
DEFINE_ELEMENTWISE_KERNEL(mse_f32, mse_element)

LOSSOPT_ALWAYS_INLINE void l1_element(vfloat x, vfloat t, vfloat w, const loss_vectors *k,
                                      unsigned options, vfloat *loss, vfloat *grad)
{
    (void)w, (void)options;
    vfloat d = vec_sub(x, t);
    *loss = vec_abs(d);
    *grad = vec_mul(loss_sign(d), k->grad_scale);
}
DEFINE_ELEMENTWISE_KERNEL(l1_f32, l1_element)

LOSSOPT_ALWAYS_INLINE void huber_element(vfloat x, vfloat t, vfloat w, const loss_vectors *k,
                                         unsigned options, vfloat *loss, vfloat *grad)
{
    (void)w, (void)options;
    vfloat d = vec_sub(x, t);
    vfloat a = vec_abs(d);
    vfloat quadratic = vec_mul(vec_mul(vec_set1(0.5f), d), d);
    vfloat linear = vec_mul(k->delta, vec_sub(a, k->half_delta));
    *loss = vec_select(vec_lt(a, k->delta), quadratic, linear);
    vfloat clamped = vec_min(vec_max(d, vec_negate(k->delta)), k->delta);
    *grad = vec_mul(clamped, k->grad_scale);
}
DEFINE_ELEMENTWISE_KERNEL(huber_f32, huber_element)

/* beta > 0 here; the API runs l1 for beta == 0. */
LOSSOPT_ALWAYS_INLINE void smooth_l1_element(vfloat x, vfloat t, vfloat w, const loss_vectors *k,
                                             unsigned options, vfloat *loss, vfloat *grad)
{
    (void)w, (void)options;
    vfloat d = vec_sub(x, t);
    vfloat a = vec_abs(d);
    vmask inside = vec_lt(a, k->delta);
    vfloat quadratic = vec_div(vec_mul(vec_mul(vec_set1(0.5f), d), d), k->delta);
    *loss = vec_select(inside, quadratic, vec_sub(a, k->half_delta));
    *grad = vec_mul(vec_select(inside, vec_div(d, k->delta), loss_sign(d)), k->grad_scale);
}
DEFINE_ELEMENTWISE_KERNEL(smooth_l1_f32, smooth_l1_element)
