/* kernels/opt_adam.c - Adam / AdamW / AMSGrad update, written once for all
 * vector ISAs. Operation order: include/lossopt.h, lossopt_adam_step_f32; the
 * scalar oracle kernels/scalar/opt_scalar.c spells out the same order. */
#include "kernel_table.h"
#include "vec/vec.h"

LOSSOPT_ALWAYS_INLINE void adam_block(float *param, const float *grad, float *exp_avg,
                                      float *exp_avg_sq, float *max_exp_avg_sq, size_t count,
                                      const lossopt_adam_coefficients *c,
                                      bool use_l2, bool use_decoupled, bool amsgrad)
{
    vfloat p = vec_load_n(param, count);
    vfloat g = vec_negate_if(vec_load_n(grad, count), vec_set1(c->maximize ? -0.0f : 0.0f));
    if (use_decoupled)
        p = vec_mul(p, vec_set1(c->decay_factor));
    if (use_l2)
        g = vec_fma(vec_set1(c->weight_decay), p, g);

    vfloat m = vec_load_n(exp_avg, count);
    m = vec_fma(vec_set1(c->one_minus_beta1), vec_sub(g, m), m);
    vec_store_n(exp_avg, m, count);

    vfloat v = vec_fma(vec_mul(vec_set1(c->one_minus_beta2), g), g,
                       vec_mul(vec_set1(c->beta2), vec_load_n(exp_avg_sq, count)));
    vec_store_n(exp_avg_sq, v, count);
    if (amsgrad) {
        v = vec_max(vec_load_n(max_exp_avg_sq, count), v);
        vec_store_n(max_exp_avg_sq, v, count);
    }

    vfloat denom = vec_add(vec_div(vec_sqrt(v), vec_set1(c->bias_correction2_sqrt)),
                           vec_set1(c->eps));
    vec_store_n(param, vec_fma(vec_set1(c->negative_step_size), vec_div(m, denom), p), count);
}

LOSSOPT_ALWAYS_INLINE void adam_run(float *param, const float *grad, float *exp_avg,
                                    float *exp_avg_sq, float *max_exp_avg_sq, size_t n,
                                    const lossopt_adam_coefficients *c,
                                    bool use_l2, bool use_decoupled, bool amsgrad)
{
#define ADAM_BLOCK(offset, count)                                                      \
    adam_block(param + (offset), grad + (offset), exp_avg + (offset),                  \
               exp_avg_sq + (offset), (amsgrad ? max_exp_avg_sq + (offset) : max_exp_avg_sq),       \
               (count), c, use_l2, use_decoupled, amsgrad)
    VEC_FOR_EACH_BLOCK(n, ADAM_BLOCK);
#undef ADAM_BLOCK
}

#define ADAM_RUN_DECAY(amsgrad)                                                          \
    do {                                                                                 \
        if (c->use_l2_weight_decay)                                                      \
            adam_run(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n, c, true, false, amsgrad); \
        else if (c->use_decoupled_decay)                                                 \
            adam_run(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n, c, false, true, amsgrad); \
        else                                                                             \
            adam_run(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n, c, false, false, amsgrad); \
    } while (0)

void KERNEL_NAME(adam_step_f32)(float *param, const float *grad, float *exp_avg,
                                float *exp_avg_sq, float *max_exp_avg_sq, size_t n,
                                const lossopt_adam_coefficients *c)
{
    if (c->amsgrad)
        ADAM_RUN_DECAY(true);
    else
        ADAM_RUN_DECAY(false);
}
