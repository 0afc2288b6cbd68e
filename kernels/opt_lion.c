/* kernels/opt_lion.c - the Lion update, written once for all vector ISAs
 * and every storage mode of kernels/opt_step_io.h (its _f32 call is a
 * one-tensor list call). Operation order: include/lossopt.h,
 * lossopt_lion_step_f32; oracle: kernels/scalar/opt_more_scalar.c.
 * Defines lion_segment_<isa>. */
#include "kernel_table.h"
#include "opt_step_io.h"
#include "vec/vec.h"

enum {
    LION_MAXIMIZE = 1,
    LION_DECAY = 2,
    LION_UPDATE_LERP_FROM_END = 4,  /* 1 - beta1 >= 0.5 */
    LION_EXP_AVG_LERP_FROM_END = 8, /* 1 - beta2 >= 0.5 */
    LION_OPTIONS = 16
};

enum { EXP_AVG = LOSSOPT_BUFFER_STATE0 };

typedef struct lion_vectors {
    vfloat negative_lr, update_lerp, exp_avg_lerp, decay_factor;
} lion_vectors;

/* +1 or -1 by the sign of c, whatever its size (selected constants, never
 * bits of c: a mask built from c's bits gives a tiny step for |c| < 1); c
 * itself for +-0 (no step) and NaN (comparisons with NaN are false). */
LOSSOPT_ALWAYS_INLINE vfloat lion_sign(vfloat c)
{
    vfloat zero = vec_set1(0.0f);
    vfloat negative_or_c = vec_select(vec_lt(c, zero), vec_set1(-1.0f), c);
    return vec_select(vec_gt(c, zero), vec_set1(1.0f), negative_or_c);
}

LOSSOPT_ALWAYS_INLINE void lion_block(const step_io *io, size_t offset, size_t count,
                                      const lion_vectors *k, unsigned options, unsigned mode)
{
    vfloat p = step_load(io, LOSSOPT_BUFFER_PARAM, offset, count, mode);
    vfloat g = step_load_grad(io, offset, count, mode);
    if (options & LION_MAXIMIZE)
        g = vec_negate(g);
    vfloat m = step_load(io, EXP_AVG, offset, count, mode);
    vfloat update = vec_lerp(m, g, k->update_lerp, options & LION_UPDATE_LERP_FROM_END);
    if (options & LION_DECAY)
        p = vec_mul(p, k->decay_factor);
    step_store(io, EXP_AVG, offset,
               vec_lerp(m, g, k->exp_avg_lerp, options & LION_EXP_AVG_LERP_FROM_END), count, mode);
    step_store_param(io, offset, vec_fma(k->negative_lr, lion_sign(update), p), count, mode);
}

LOSSOPT_ALWAYS_INLINE void lion_all(const step_io *io, size_t n, const lossopt_lion_coefficients *c,
                                    unsigned mode)
{
    /* Broadcast into locals: *c may alias the float buffers (see opt_sgd.c). */
    const lion_vectors k = {vec_set1(c->negative_lr), vec_set1(c->update_lerp.coefficient),
                            vec_set1(c->exp_avg_lerp.coefficient), vec_set1(c->decay_factor)};
    unsigned options = (c->maximize ? LION_MAXIMIZE : 0u) | (c->use_decay ? LION_DECAY : 0u) |
                       (c->update_lerp.from_end ? LION_UPDATE_LERP_FROM_END : 0u) |
                       (c->exp_avg_lerp.from_end ? LION_EXP_AVG_LERP_FROM_END : 0u);
#define LION_BLOCK(offset, count) lion_block(io, (offset), (count), &k, options_, mode)
#define LION_RUN(o)                                     \
    do {                                                \
        const unsigned options_ = (o);                  \
        VEC_FOR_EACH_BLOCK(n, LION_BLOCK);              \
    } while (0)
    if (mode == STEP_IO_F32) {
        VEC_SPECIALIZE_OPTIONS_BELOW(options, LION_OPTIONS, LION_RUN);
    } else { /* mixed modes test the options per vector (compile time, opt_adam.c) */
        LION_RUN(options);
    }
#undef LION_RUN
#undef LION_BLOCK
}

void KERNEL_NAME(lion_segment)(const lossopt_step_segment *s, const lossopt_lion_coefficients *c)
{
    const step_io io = step_io_for(s);
#define LION_SEGMENT(mode) lion_all(&io, s->n, c, (mode))
    STEP_IO_SPECIALIZE(s, LION_SEGMENT);
#undef LION_SEGMENT
}
