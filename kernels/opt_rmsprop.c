/* kernels/opt_rmsprop.c - RMSprop update (centered, momentum), written once for
 * all vector ISAs. Operation order: include/lossopt.h, lossopt_rmsprop_step_f32;
 * the scalar oracle kernels/scalar/opt_scalar.c spells out the same order. */
#include "kernel_table.h"
#include "vec/vec.h"

LOSSOPT_ALWAYS_INLINE void rmsprop_block(float *param, const float *grad, float *square_avg,
                                         float *grad_avg, float *momentum_buf, size_t count,
                                         const lossopt_rmsprop_coefficients *c,
                                         bool use_weight_decay, bool centered, bool use_momentum)
{
    vfloat p = vec_load_n(param, count);
    vfloat g = vec_negate_if(vec_load_n(grad, count), vec_set1(c->maximize ? -0.0f : 0.0f));
    if (use_weight_decay)
        g = vec_fma(vec_set1(c->weight_decay), p, g);

    vfloat sq = vec_fma(vec_mul(vec_set1(c->one_minus_alpha), g), g,
                        vec_mul(vec_set1(c->alpha), vec_load_n(square_avg, count)));
    vec_store_n(square_avg, sq, count);

    vfloat mean_square = sq;
    if (centered) {
        vfloat ga = vec_load_n(grad_avg, count);
        ga = vec_fma(vec_set1(c->one_minus_alpha), vec_sub(g, ga), ga);
        vec_store_n(grad_avg, ga, count);
        mean_square = vec_fma(vec_negate_if(ga, vec_set1(-0.0f)), ga, sq);
    }
    vfloat avg = vec_add(vec_sqrt(mean_square), vec_set1(c->eps));

    vfloat step = vec_div(g, avg);
    if (use_momentum) {
        step = vec_add(vec_mul(vec_set1(c->momentum), vec_load_n(momentum_buf, count)), step);
        vec_store_n(momentum_buf, step, count);
    }
    vec_store_n(param, vec_fma(vec_set1(c->negative_lr), step, p), count);
}

LOSSOPT_ALWAYS_INLINE void rmsprop_run(float *param, const float *grad, float *square_avg,
                                       float *grad_avg, float *momentum_buf, size_t n,
                                       const lossopt_rmsprop_coefficients *c,
                                       bool use_weight_decay, bool centered, bool use_momentum)
{
#define RMSPROP_BLOCK(offset, count)                                                   \
    rmsprop_block(param + (offset), grad + (offset), square_avg + (offset),            \
                  (centered ? grad_avg + (offset) : grad_avg),                                \
                  (use_momentum ? momentum_buf + (offset) : momentum_buf), (count), c,            \
                  use_weight_decay, centered, use_momentum)
    VEC_FOR_EACH_BLOCK(n, RMSPROP_BLOCK);
#undef RMSPROP_BLOCK
}

#define RMSPROP_RUN(wd, centered)                                                        \
    do {                                                                                 \
        if (c->use_momentum)                                                             \
            rmsprop_run(param, grad, square_avg, grad_avg, momentum_buf, n, c, wd, centered, true); \
        else                                                                             \
            rmsprop_run(param, grad, square_avg, grad_avg, momentum_buf, n, c, wd, centered, false); \
    } while (0)

void KERNEL_NAME(rmsprop_step_f32)(float *param, const float *grad, float *square_avg,
                                   float *grad_avg, float *momentum_buf, size_t n,
                                   const lossopt_rmsprop_coefficients *c)
{
    if (c->use_weight_decay) {
        if (c->centered) RMSPROP_RUN(true, true); else RMSPROP_RUN(true, false);
    } else {
        if (c->centered) RMSPROP_RUN(false, true); else RMSPROP_RUN(false, false);
    }
}
