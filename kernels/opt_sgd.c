/* kernels/opt_sgd.c - SGD update (plain, momentum, Nesterov), written once for
 * all vector ISAs. Operation order: include/lossopt.h, lossopt_sgd_step_f32;
 * the scalar oracle kernels/scalar/opt_scalar.c spells out the same order. */
#include "kernel_table.h"
#include "vec/vec.h"

/* Options are compile-time constants in each instantiation below, so the
 * always-inline block specialises into branch-free loops. */
LOSSOPT_ALWAYS_INLINE void sgd_block(float *param, const float *grad, float *momentum_buf,
                                     size_t count, const lossopt_sgd_coefficients *c,
                                     bool use_weight_decay, bool use_momentum, bool nesterov,
                                     bool first_step)
{
    vfloat p = vec_load_n(param, count);
    vfloat g = vec_negate_if(vec_load_n(grad, count), vec_set1(c->maximize ? -0.0f : 0.0f));
    if (use_weight_decay)
        g = vec_fma(vec_set1(c->weight_decay), p, g);
    if (use_momentum) {
        vfloat buf;
        if (first_step)
            buf = g;
        else
            buf = vec_fma(vec_set1(c->one_minus_dampening), g,
                          vec_mul(vec_set1(c->momentum), vec_load_n(momentum_buf, count)));
        vec_store_n(momentum_buf, buf, count);
        g = nesterov ? vec_fma(vec_set1(c->momentum), buf, g) : buf;
    }
    vec_store_n(param, vec_fma(vec_set1(c->negative_lr), g, p), count);
}

LOSSOPT_ALWAYS_INLINE void sgd_run(float *param, const float *grad, float *momentum_buf,
                                   size_t n, const lossopt_sgd_coefficients *c,
                                   bool use_weight_decay, bool use_momentum, bool nesterov,
                                   bool first_step)
{
#define SGD_BLOCK(offset, count)                                                        \
    sgd_block(param + (offset), grad + (offset), (use_momentum ? momentum_buf + (offset) : momentum_buf), \
              (count), c, use_weight_decay, use_momentum, nesterov, first_step)
    VEC_FOR_EACH_BLOCK(n, SGD_BLOCK);
#undef SGD_BLOCK
}

/* Dispatches the momentum options to their own specialised loop; weight decay
 * stays a constant per instantiation too. */
#define SGD_RUN_MOMENTUM(wd)                                                          \
    do {                                                                              \
        if (!c->use_momentum)                                                         \
            sgd_run(param, grad, momentum_buf, n, c, wd, false, false, false);        \
        else if (c->first_step)                                                       \
            if (c->nesterov)                                                          \
                sgd_run(param, grad, momentum_buf, n, c, wd, true, true, true);       \
            else                                                                      \
                sgd_run(param, grad, momentum_buf, n, c, wd, true, false, true);      \
        else if (c->nesterov)                                                         \
            sgd_run(param, grad, momentum_buf, n, c, wd, true, true, false);          \
        else                                                                          \
            sgd_run(param, grad, momentum_buf, n, c, wd, true, false, false);         \
    } while (0)

void KERNEL_NAME(sgd_step_f32)(float *param, const float *grad, float *momentum_buf, size_t n,
                               const lossopt_sgd_coefficients *c)
{
    if (c->use_weight_decay)
        SGD_RUN_MOMENTUM(true);
    else
        SGD_RUN_MOMENTUM(false);
}
