/* kernels/opt_rmsprop.c - RMSprop update (centered, momentum), written once for
 * all vector ISAs. Operation order: include/lossopt.h, lossopt_rmsprop_step_f32;
 * the scalar oracle kernels/scalar/opt_scalar.c spells out the same order. */
#include "kernel_table.h"
#include "vec/vec.h"

/* Option bits; each combination gets its own loop (VEC_SPECIALIZE_OPTIONS). */
enum {
    RMSPROP_MAXIMIZE = 1,
    RMSPROP_WEIGHT_DECAY = 2,
    RMSPROP_CENTERED = 4,
    RMSPROP_MOMENTUM = 8,
    RMSPROP_LERP_FROM_END = 16, /* centered, 1 - alpha >= 0.5: lerp's second branch */
};
_Static_assert(RMSPROP_LERP_FROM_END * 2 <= VEC_SPECIALIZE_OPTIONS_COUNT,
               "RMSprop's option bits exceed VEC_SPECIALIZE_OPTIONS");

/* The coefficients as vectors, broadcast once per call. */
typedef struct rmsprop_vectors {
    vfloat negative_lr, alpha, one_minus_alpha, grad_avg_lerp, eps, weight_decay, momentum;
} rmsprop_vectors;

LOSSOPT_ALWAYS_INLINE void rmsprop_block(float *param, const float *grad, float *square_avg,
                                         float *grad_avg, float *momentum_buf, size_t count,
                                         const rmsprop_vectors *k, unsigned options)
{
    vfloat p = vec_load_n(param, count);
    vfloat g = vec_load_n(grad, count);
    if (options & RMSPROP_MAXIMIZE)
        g = vec_negate(g);
    if (options & RMSPROP_WEIGHT_DECAY)
        g = vec_fma(k->weight_decay, p, g);

    vfloat sq = vec_fma(vec_mul(k->one_minus_alpha, g), g,
                        vec_mul(k->alpha, vec_load_n(square_avg, count)));
    vec_store_n(square_avg, sq, count);

    vfloat mean_square = sq;
    if (options & RMSPROP_CENTERED) {
        vfloat ga = vec_load_n(grad_avg, count);
        ga = vec_lerp(ga, g, k->grad_avg_lerp, options & RMSPROP_LERP_FROM_END);
        vec_store_n(grad_avg, ga, count);
        mean_square = vec_fma(vec_negate(ga), ga, sq);
    }
    vfloat avg = vec_add(vec_sqrt(mean_square), k->eps);

    vfloat step = vec_div(g, avg);
    if (options & RMSPROP_MOMENTUM) {
        step = vec_add(vec_mul(k->momentum, vec_load_n(momentum_buf, count)), step);
        vec_store_n(momentum_buf, step, count);
    }
    vec_store_n(param, vec_fma(k->negative_lr, step, p), count);
}

LOSSOPT_ALWAYS_INLINE void rmsprop_run(float *param, const float *grad, float *square_avg,
                                       float *grad_avg, float *momentum_buf, size_t n,
                                       const rmsprop_vectors *k, unsigned options)
{
#define RMSPROP_BLOCK(offset, count)                                                   \
    rmsprop_block(param + (offset), grad + (offset), square_avg + (offset),            \
                  (options & RMSPROP_CENTERED) ? grad_avg + (offset) : grad_avg,       \
                  (options & RMSPROP_MOMENTUM) ? momentum_buf + (offset) : momentum_buf, \
                  (count), k, options)
    VEC_FOR_EACH_BLOCK(n, RMSPROP_BLOCK);
#undef RMSPROP_BLOCK
}

void KERNEL_NAME(rmsprop_step_f32)(float *param, const float *grad, float *square_avg,
                                   float *grad_avg, float *momentum_buf, size_t n,
                                   const lossopt_rmsprop_coefficients *c)
{
    /* Broadcast into locals: *c may alias the float buffers (see opt_sgd.c). */
    const rmsprop_vectors k = {vec_set1(c->negative_lr),     vec_set1(c->alpha),
                               vec_set1(c->one_minus_alpha), vec_set1(c->grad_avg_lerp.coefficient),
                               vec_set1(c->eps),             vec_set1(c->weight_decay),
                               vec_set1(c->momentum)};
    unsigned options = (c->maximize ? RMSPROP_MAXIMIZE : 0u) |
                       (c->use_weight_decay ? RMSPROP_WEIGHT_DECAY : 0u) |
                       (c->centered ? RMSPROP_CENTERED : 0u) |
                       (c->use_momentum ? RMSPROP_MOMENTUM : 0u) |
                       (c->centered && c->grad_avg_lerp.from_end ? RMSPROP_LERP_FROM_END : 0u);
#define RMSPROP_RUN(options) \
    rmsprop_run(param, grad, square_avg, grad_avg, momentum_buf, n, &k, (options))
    VEC_SPECIALIZE_OPTIONS(options, RMSPROP_RUN);
#undef RMSPROP_RUN
}
