/* kernels/opt_adamax.c - the Adamax update, written once for all vector
 * ISAs and every storage mode of kernels/opt_step_io.h (its _f32 call is a
 * one-tensor list call). Operation order: include/lossopt.h,
 * lossopt_adamax_step_f32; oracle: kernels/scalar/opt_more_scalar.c.
 * Defines adamax_segment_<isa>. */
#include "kernel_table.h"
#include "opt_step_io.h"
#include "vec/vec.h"

enum { ADAMAX_MAXIMIZE = 1, ADAMAX_WEIGHT_DECAY = 2, ADAMAX_LERP_FROM_END = 4, ADAMAX_OPTIONS = 8 };

enum { EXP_AVG = LOSSOPT_BUFFER_STATE0, EXP_INF };

typedef struct adamax_vectors {
    vfloat negative_clr, exp_avg_lerp, beta2, eps, weight_decay;
} adamax_vectors;

LOSSOPT_ALWAYS_INLINE void adamax_block(const step_io *io, size_t offset, size_t count,
                                        const adamax_vectors *k, unsigned options, unsigned mode)
{
    vfloat p = step_load(io, LOSSOPT_BUFFER_PARAM, offset, count, mode);
    vfloat g = step_load_grad(io, offset, count, mode);
    if (options & ADAMAX_MAXIMIZE)
        g = vec_negate(g);
    if (options & ADAMAX_WEIGHT_DECAY)
        g = vec_fma(k->weight_decay, p, g);
    vfloat m = step_load(io, EXP_AVG, offset, count, mode);
    m = vec_lerp(m, g, k->exp_avg_lerp, options & ADAMAX_LERP_FROM_END);
    m = step_store(io, EXP_AVG, offset, m, count, mode);
    vfloat kept = vec_mul(k->beta2, step_load(io, EXP_INF, offset, count, mode));
    vfloat u = vec_max(kept, vec_add(vec_abs(g), k->eps));
    u = step_store(io, EXP_INF, offset, u, count, mode);
    step_store_param(io, offset, vec_fma(k->negative_clr, vec_div(m, u), p), count, mode);
}

LOSSOPT_ALWAYS_INLINE void adamax_all(const step_io *io, size_t n,
                                      const lossopt_adamax_coefficients *c, unsigned mode)
{
    /* Broadcast into locals: *c may alias the float buffers (see opt_sgd.c). */
    const adamax_vectors k = {vec_set1(c->negative_clr), vec_set1(c->exp_avg_lerp.coefficient),
                              vec_set1(c->beta2), vec_set1(c->eps), vec_set1(c->weight_decay)};
    unsigned options = (c->maximize ? ADAMAX_MAXIMIZE : 0u) |
                       (c->use_weight_decay ? ADAMAX_WEIGHT_DECAY : 0u) |
                       (c->exp_avg_lerp.from_end ? ADAMAX_LERP_FROM_END : 0u);
#define ADAMAX_BLOCK(offset, count) adamax_block(io, (offset), (count), &k, options_, mode)
#define ADAMAX_RUN(o)                                   \
    do {                                                \
        const unsigned options_ = (o);                  \
        VEC_FOR_EACH_BLOCK(n, ADAMAX_BLOCK);            \
    } while (0)
    if (mode == STEP_IO_F32) {
        VEC_SPECIALIZE_OPTIONS_BELOW(options, ADAMAX_OPTIONS, ADAMAX_RUN);
    } else { /* mixed modes test the options per vector (compile time, opt_adam.c) */
        ADAMAX_RUN(options);
    }
#undef ADAMAX_RUN
#undef ADAMAX_BLOCK
}

void KERNEL_NAME(adamax_segment)(const lossopt_step_segment *s,
                                 const lossopt_adamax_coefficients *c)
{
    const step_io io = step_io_for(s);
#define ADAMAX_SEGMENT(mode) adamax_all(&io, s->n, c, (mode))
    STEP_IO_SPECIALIZE(s, ADAMAX_SEGMENT);
#undef ADAMAX_SEGMENT
}
