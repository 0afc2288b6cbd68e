/* kernels/opt_adam.c - Adam / AdamW / AMSGrad update, written once for all
 * vector ISAs. Operation order: include/lossopt.h, lossopt_adam_step_f32; the
 * scalar oracle kernels/scalar/opt_scalar.c spells out the same order. */
#include "kernel_table.h"
#include "vec/vec.h"

/* Option bits; each combination gets its own loop (VEC_SPECIALIZE_OPTIONS). */
enum {
    ADAM_MAXIMIZE = 1,
    ADAM_L2_WEIGHT_DECAY = 2,
    ADAM_DECOUPLED_DECAY = 4, /* AdamW; never together with ADAM_L2_WEIGHT_DECAY */
    ADAM_AMSGRAD = 8,
    ADAM_LERP_FROM_END = 16,  /* 1 - beta1 >= 0.5: lerp's second branch */
};
_Static_assert(ADAM_LERP_FROM_END * 2 <= VEC_SPECIALIZE_OPTIONS_COUNT,
               "Adam's option bits exceed VEC_SPECIALIZE_OPTIONS");

/* The coefficients as vectors, broadcast once per call. */
typedef struct adam_vectors {
    vfloat negative_step_size, bias_correction2_sqrt, exp_avg_lerp, beta2, one_minus_beta2, eps,
        weight_decay, decay_factor;
} adam_vectors;

LOSSOPT_ALWAYS_INLINE void adam_block(float *param, const float *grad, float *exp_avg,
                                      float *exp_avg_sq, float *max_exp_avg_sq, size_t count,
                                      const adam_vectors *k, unsigned options)
{
    vfloat p = vec_load_n(param, count);
    vfloat g = vec_load_n(grad, count);
    if (options & ADAM_MAXIMIZE)
        g = vec_negate(g);
    if (options & ADAM_DECOUPLED_DECAY)
        p = vec_mul(p, k->decay_factor);
    if (options & ADAM_L2_WEIGHT_DECAY)
        g = vec_fma(k->weight_decay, p, g);

    vfloat m = vec_load_n(exp_avg, count);
    m = vec_lerp(m, g, k->exp_avg_lerp, options & ADAM_LERP_FROM_END);
    vec_store_n(exp_avg, m, count);

    vfloat v = vec_fma(vec_mul(k->one_minus_beta2, g), g,
                       vec_mul(k->beta2, vec_load_n(exp_avg_sq, count)));
    vec_store_n(exp_avg_sq, v, count);
    if (options & ADAM_AMSGRAD) {
        v = vec_max(vec_load_n(max_exp_avg_sq, count), v);
        vec_store_n(max_exp_avg_sq, v, count);
    }

    vfloat denom = vec_add(vec_div(vec_sqrt(v), k->bias_correction2_sqrt), k->eps);
    vec_store_n(param, vec_fma(k->negative_step_size, vec_div(m, denom), p), count);
}

LOSSOPT_ALWAYS_INLINE void adam_run(float *param, const float *grad, float *exp_avg,
                                    float *exp_avg_sq, float *max_exp_avg_sq, size_t n,
                                    const adam_vectors *k, unsigned options)
{
#define ADAM_BLOCK(offset, count)                                                      \
    adam_block(param + (offset), grad + (offset), exp_avg + (offset),                  \
               exp_avg_sq + (offset),                                                  \
               (options & ADAM_AMSGRAD) ? max_exp_avg_sq + (offset) : max_exp_avg_sq,  \
               (count), k, options)
    VEC_FOR_EACH_BLOCK(n, ADAM_BLOCK);
#undef ADAM_BLOCK
}

void KERNEL_NAME(adam_step_f32)(float *param, const float *grad, float *exp_avg,
                                float *exp_avg_sq, float *max_exp_avg_sq, size_t n,
                                const lossopt_adam_coefficients *c)
{
    /* Broadcast into locals: *c may alias the float buffers (see opt_sgd.c). */
    const adam_vectors k = {
        vec_set1(c->negative_step_size), vec_set1(c->bias_correction2_sqrt),
        vec_set1(c->exp_avg_lerp.coefficient), vec_set1(c->beta2),
        vec_set1(c->one_minus_beta2),    vec_set1(c->eps),
        vec_set1(c->weight_decay),       vec_set1(c->decay_factor)};
    unsigned options = (c->maximize ? ADAM_MAXIMIZE : 0u) |
                       (c->use_l2_weight_decay ? ADAM_L2_WEIGHT_DECAY : 0u) |
                       (c->use_decoupled_decay ? ADAM_DECOUPLED_DECAY : 0u) |
                       (c->amsgrad ? ADAM_AMSGRAD : 0u) |
                       (c->exp_avg_lerp.from_end ? ADAM_LERP_FROM_END : 0u);
#define ADAM_RUN(options) \
    adam_run(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n, &k, (options))
    VEC_SPECIALIZE_OPTIONS(options, ADAM_RUN);
#undef ADAM_RUN
}
