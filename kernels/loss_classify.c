/* kernels/loss_classify.c - binary classification losses (hinge, squared
 * hinge, BCE on probabilities and on logits, soft margin), value and gradient in one pass,
 * written once for all vector ISAs. Formulas and operation order:
 * include/lossopt.h; the scalar oracle kernels/scalar/loss_scalar.c spells out
 * the same order. */
#include "loss_elementwise.h"

/* y = label > 0 ? +1 : -1 (NaN labels are -1). */
LOSSOPT_ALWAYS_INLINE vfloat hinge_sign(vfloat label)
{
    return vec_select(vec_gt(label, vec_set1(0.0f)), vec_set1(1.0f), vec_set1(-1.0f));
}

LOSSOPT_ALWAYS_INLINE void hinge_element(vfloat score, vfloat label, vfloat w,
                                         const loss_vectors *k, unsigned options, vfloat *loss,
                                         vfloat *grad)
{
    (void)w, (void)options;
    vfloat y = hinge_sign(label);
    vfloat margin = vec_sub(vec_set1(1.0f), vec_mul(y, score));
    *loss = vec_max(margin, vec_set1(0.0f));
    vfloat outside = vec_select(vec_isnan(margin), margin, vec_set1(0.0f));
    *grad = vec_select(vec_gt(margin, vec_set1(0.0f)), vec_mul(vec_negate(y), k->grad_scale),
                       outside);
}
double KERNEL_NAME(hinge_f32)(const lossopt_elementwise_args *a) { return loss_kernel(a, hinge_element); }

LOSSOPT_ALWAYS_INLINE void squared_hinge_element(vfloat score, vfloat label, vfloat w,
                                                 const loss_vectors *k, unsigned options,
                                                 vfloat *loss, vfloat *grad)
{
    (void)w, (void)options;
    vfloat y = hinge_sign(label);
    vfloat margin = vec_sub(vec_set1(1.0f), vec_mul(y, score));
    vfloat h = vec_max(margin, vec_set1(0.0f));
    *loss = vec_mul(h, h);
    *grad = vec_mul(vec_mul(vec_negate(y), k->grad_scale), h);
}
double KERNEL_NAME(squared_hinge_f32)(const lossopt_elementwise_args *a) { return loss_kernel(a, squared_hinge_element); }

LOSSOPT_ALWAYS_INLINE void bce_element(vfloat p, vfloat y, vfloat w, const loss_vectors *k,
                                       unsigned options, vfloat *loss, vfloat *grad)
{
    vfloat one = vec_set1(1.0f), log_floor = vec_set1(-100.0f);
    vfloat log_p = vec_max(vec_log(p), log_floor);
    vfloat log_q = vec_max(vec_log1p(vec_negate(p)), log_floor);
    vfloat u = vec_fma(vec_sub(y, one), log_q, vec_negate(vec_mul(y, log_p)));
    vfloat q = vec_div(vec_sub(p, y), vec_max(vec_mul(vec_sub(one, p), p), vec_set1(1e-12f)));
    if (options & LOSS_WEIGHTED) {
        u = vec_mul(w, u);
        q = vec_mul(q, w);
    }
    *loss = u;
    *grad = vec_mul(q, k->grad_scale);
}
double KERNEL_NAME(bce_f32)(const lossopt_elementwise_args *a) { return loss_kernel(a, bce_element); }

LOSSOPT_ALWAYS_INLINE void bce_logits_element(vfloat x, vfloat y, vfloat w, const loss_vectors *k,
                                              unsigned options, vfloat *loss, vfloat *grad)
{
    vfloat zero = vec_set1(0.0f), one = vec_set1(1.0f);
    vfloat e = vec_exp(vec_negate(vec_abs(x))); /* the one exp, shared below */
    vfloat log1p_e = vec_log1p(e);
    vfloat loss_weight = vec_fma(k->pos_weight_minus_1, y, one);
    vfloat py = vec_mul(k->pos_weight, y);
    vfloat one_minus_y = vec_sub(one, y);
    vmask nonnegative = vec_ge(x, zero);
    vfloat slope = vec_select(nonnegative, one_minus_y, vec_negate(py));
    /* a zero slope times an infinite logit is 0, not NaN: the limits at +-inf */
    vfloat linear = vec_select(vec_eq(slope, zero), zero, vec_mul(slope, x));
    vfloat u = vec_fma(loss_weight, log1p_e, linear);
    /* (pw y + 1 - y) sigmoid(x) - pw y over the common denominator 1 + e: no
     * cancellation against a sigmoid rounded near 1 */
    vfloat numerator = vec_select(nonnegative, vec_fma(vec_negate(py), e, one_minus_y),
                                  vec_fma(one_minus_y, e, vec_negate(py)));
    vfloat q = vec_div(numerator, vec_add(one, e));
    if (options & LOSS_WEIGHTED) {
        u = vec_mul(w, u);
        q = vec_mul(q, w);
    }
    *loss = u;
    *grad = vec_mul(q, k->grad_scale);
}
double KERNEL_NAME(bce_logits_f32)(const lossopt_elementwise_args *a) { return loss_kernel(a, bce_logits_element); }

int KERNEL_NAME(both_in_unit_interval)(const float *prob, const float *target, size_t n)
{
    vfloat zero = vec_set1(0.0f), one = vec_set1(1.0f);
    for (size_t offset = 0; offset < n; offset += VEC_WIDTH) {
        size_t count = n - offset < VEC_WIDTH ? n - offset : VEC_WIDTH;
        /* partial loads fill the missing lanes with -0, which is in [0, 1] */
        vfloat p = vec_load_n(prob + offset, count), t = vec_load_n(target + offset, count);
        vmask ok = vec_mask_and(vec_mask_and(vec_ge(p, zero), vec_le(p, one)),
                                vec_mask_and(vec_ge(t, zero), vec_le(t, one)));
        if (!vec_mask_all(ok))
            return 0;
    }
    return 1;
}

/* Soft margin, the stable softplus of z = -y x (include/lossopt.h): one exp,
 * corrected for the rounding error of y x, shared by the loss and the
 * sigmoid. */
LOSSOPT_ALWAYS_INLINE void soft_margin_element(vfloat x, vfloat y, vfloat w, const loss_vectors *k,
                                               unsigned options, vfloat *loss, vfloat *grad)
{
    (void)w, (void)options;
    vfloat zero = vec_set1(0.0f), one = vec_set1(1.0f);
    vfloat p = vec_mul(y, x);
    vfloat err = vec_fma(y, x, vec_negate(p)); /* p + err == y x exactly */
    vfloat z = vec_negate(p);
    vmask up = vec_ge(z, zero);
    vfloat d = vec_select(up, err, vec_negate(err));
    vfloat e0 = vec_exp(vec_negate(vec_abs(z)));
    vfloat e = vec_select(vec_isnan(d), e0, vec_fma(e0, d, e0));
    *loss = vec_add(vec_max(z, zero), vec_log1p(e));
    vfloat s = vec_div(vec_select(up, one, e), vec_add(one, e));
    *grad = vec_mul(vec_mul(vec_negate(y), s), k->grad_scale);
}
double KERNEL_NAME(soft_margin_f32)(const lossopt_elementwise_args *a) { return loss_kernel(a, soft_margin_element); }
