/* kernels/opt_sgd.c - SGD update (plain, momentum, Nesterov), written once for
 * all vector ISAs. Operation order: include/lossopt.h, lossopt_sgd_step_f32;
 * the scalar oracle kernels/scalar/opt_scalar.c spells out the same order. */
#include "kernel_table.h"
#include "vec/vec.h"

/* Option bits; each combination gets its own loop (VEC_SPECIALIZE_OPTIONS). */
enum {
    SGD_MAXIMIZE = 1,
    SGD_WEIGHT_DECAY = 2,
    SGD_MOMENTUM = 4,
    SGD_NESTEROV = 8,
    SGD_FIRST_STEP = 16, /* the momentum buffer is set to g, not read */
};
_Static_assert(SGD_FIRST_STEP * 2 <= VEC_SPECIALIZE_OPTIONS_COUNT,
               "SGD's option bits exceed VEC_SPECIALIZE_OPTIONS");

/* The coefficients as vectors, broadcast once per call. */
typedef struct sgd_vectors {
    vfloat negative_lr, weight_decay, momentum, one_minus_dampening;
} sgd_vectors;

LOSSOPT_ALWAYS_INLINE void sgd_block(float *param, const float *grad, float *momentum_buf,
                                     size_t count, const sgd_vectors *k, unsigned options)
{
    vfloat p = vec_load_n(param, count);
    vfloat g = vec_load_n(grad, count);
    if (options & SGD_MAXIMIZE)
        g = vec_negate(g);
    if (options & SGD_WEIGHT_DECAY)
        g = vec_fma(k->weight_decay, p, g);
    if (options & SGD_MOMENTUM) {
        vfloat buf = g;
        if (!(options & SGD_FIRST_STEP))
            buf = vec_fma(k->one_minus_dampening, g,
                          vec_mul(k->momentum, vec_load_n(momentum_buf, count)));
        vec_store_n(momentum_buf, buf, count);
        g = (options & SGD_NESTEROV) ? vec_fma(k->momentum, buf, g) : buf;
    }
    vec_store_n(param, vec_fma(k->negative_lr, g, p), count);
}

LOSSOPT_ALWAYS_INLINE void sgd_run(float *param, const float *grad, float *momentum_buf,
                                   size_t n, const sgd_vectors *k, unsigned options)
{
#define SGD_BLOCK(offset, count)                                                        \
    sgd_block(param + (offset), grad + (offset),                                        \
              (options & SGD_MOMENTUM) ? momentum_buf + (offset) : momentum_buf, (count), \
              k, options)
    VEC_FOR_EACH_BLOCK(n, SGD_BLOCK);
#undef SGD_BLOCK
}

void KERNEL_NAME(sgd_step_f32)(float *param, const float *grad, float *momentum_buf, size_t n,
                               const lossopt_sgd_coefficients *c)
{
    /* Broadcast into locals: the loop stores through float pointers, which C
     * lets alias the floats of *c, so reading *c inside it would reload and
     * re-broadcast every coefficient for every vector. */
    const sgd_vectors k = {vec_set1(c->negative_lr), vec_set1(c->weight_decay),
                           vec_set1(c->momentum), vec_set1(c->one_minus_dampening)};
    unsigned options = (c->maximize ? SGD_MAXIMIZE : 0u) |
                       (c->use_weight_decay ? SGD_WEIGHT_DECAY : 0u) |
                       (c->use_momentum ? SGD_MOMENTUM : 0u) |
                       (c->use_momentum && c->nesterov ? SGD_NESTEROV : 0u) |
                       (c->use_momentum && c->first_step ? SGD_FIRST_STEP : 0u);
#define SGD_RUN(options) sgd_run(param, grad, momentum_buf, n, &k, (options))
    VEC_SPECIALIZE_OPTIONS(options, SGD_RUN);
#undef SGD_RUN
}
