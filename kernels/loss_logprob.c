/* kernels/loss_logprob.c - the losses on log-probabilities: kl_div (an
 * elementwise loss on the shared driver, kernels/loss_elementwise.h) and nll
 * (row-wise: a gradient row of zeros and one value at the label), written
 * once for all vector ISAs. Formulas and operation order: include/lossopt.h;
 * the scalar oracle kernels/scalar/loss_scalar.c spells out the same order. */
#include <string.h>

#include "loss_elementwise.h"

/* min(max(x, 0), 0): +0, or NaN where x is NaN -- the term where the
 * target's probability is 0 */
LOSSOPT_ALWAYS_INLINE vfloat kl_zero_term(vfloat x)
{
    vfloat zero = vec_set1(0.0f);
    return vec_min(vec_max(x, zero), zero);
}

LOSSOPT_ALWAYS_INLINE void kl_div_element(vfloat x, vfloat t, vfloat w, const loss_vectors *k,
                                          unsigned options, vfloat *loss, vfloat *grad)
{
    (void)w, (void)options;
    vfloat u = vec_mul(t, x);
    vfloat l = vec_fma(t, vec_log(t), vec_negate(u));
    *loss = vec_select(vec_eq(t, vec_set1(0.0f)), kl_zero_term(x), l); /* 0 log 0 = 0 */
    *grad = vec_mul(vec_negate(t), k->grad_scale);
}
double KERNEL_NAME(kl_div_f32)(const lossopt_elementwise_args *a) { return loss_kernel(a, kl_div_element); }

LOSSOPT_ALWAYS_INLINE void kl_div_log_target_element(vfloat x, vfloat t, vfloat w,
                                                     const loss_vectors *k, unsigned options,
                                                     vfloat *loss, vfloat *grad)
{
    (void)w, (void)options;
    vfloat e = vec_exp(t);
    vfloat l = vec_mul(e, vec_sub(t, x));
    *loss = vec_select(vec_eq(e, vec_set1(0.0f)), kl_zero_term(x), l);
    *grad = vec_mul(vec_negate(e), k->grad_scale);
}
double KERNEL_NAME(kl_div_log_target_f32)(const lossopt_elementwise_args *a)
{
    return loss_kernel(a, kl_div_log_target_element);
}

/* nll: nothing to vectorise but the zeroing of the gradient rows; the per-row
 * values are single float operations, the same on every ISA. */
double KERNEL_NAME(nll_f32)(const lossopt_nll_args *a)
{
    size_t classes = a->classes;
    double total = 0.0;
    for (size_t row = 0; row < a->rows; row++) {
        int64_t label = a->labels[row];
        float *g = a->grad ? a->grad + row * classes : NULL;
        if (g)
            memset(g, 0, classes * sizeof(float));
        if (label < 0) { /* ignored row */
            if (a->loss)
                a->loss[row] = 0.0f;
            continue;
        }
        size_t y = (size_t)label;
        float w_y = a->weight ? a->weight[y] : 1.0f;
        float row_loss = a->weight ? -(w_y * a->log_probs[row * classes + y])
                                   : -a->log_probs[row * classes + y];
        if (a->loss)
            a->loss[row] = row_loss;
        total += (double)row_loss;
        if (g)
            g[y] = (float)(-(double)w_y / a->divisor);
    }
    return total;
}
