/* kernels/opt_radam.c - the RAdam update, written once for all vector ISAs
 * and every storage mode of kernels/opt_step_io.h (its _f32 call is a
 * one-tensor list call). Operation order: include/lossopt.h,
 * lossopt_radam_step_f32; oracle: kernels/scalar/opt_more_scalar.c.
 * Defines radam_segment_<isa>. */
#include "adam_moments.h"
#include "kernel_table.h"
#include "opt_step_io.h"
#include "vec/vec.h"

enum {
    RADAM_MAXIMIZE = 1,
    RADAM_L2_WEIGHT_DECAY = 2,
    RADAM_DECOUPLED_DECAY = 4, /* never together with RADAM_L2_WEIGHT_DECAY */
    RADAM_LERP_FROM_END = 8,
    RADAM_RECTIFIED = 16,      /* rho_t > 5: the adaptive step */
    RADAM_OPTIONS = 32
};

typedef struct radam_vectors {
    adam_moments_vectors moments;
    vfloat negative_step_size, eps;
} radam_vectors;

LOSSOPT_ALWAYS_INLINE void radam_block(const step_io *io, size_t offset, size_t count,
                                       const radam_vectors *k, unsigned options, unsigned mode)
{
    adam_moments_flags f = {options & RADAM_MAXIMIZE, options & RADAM_L2_WEIGHT_DECAY,
                            options & RADAM_DECOUPLED_DECAY, options & RADAM_LERP_FROM_END};
    adam_moments r = adam_moments_update(io, offset, count, mode, &k->moments, f);
    vfloat update = r.exp_avg;
    if (options & RADAM_RECTIFIED)
        update = vec_div(r.exp_avg, vec_add(vec_sqrt(r.exp_avg_sq), k->eps));
    step_store_param(io, offset, vec_fma(k->negative_step_size, update, r.param), count, mode);
}

LOSSOPT_ALWAYS_INLINE void radam_all(const step_io *io, size_t n,
                                     const lossopt_radam_coefficients *c, unsigned mode)
{
    /* Broadcast into locals: *c may alias the float buffers (see opt_sgd.c). */
    const radam_vectors k = {
        {vec_set1(c->exp_avg_lerp.coefficient), vec_set1(c->beta2), vec_set1(c->one_minus_beta2),
         vec_set1(c->weight_decay), vec_set1(c->decay_factor)},
        vec_set1(c->negative_step_size), vec_set1(c->eps)};
    unsigned options = (c->maximize ? RADAM_MAXIMIZE : 0u) |
                       (c->use_l2_weight_decay ? RADAM_L2_WEIGHT_DECAY : 0u) |
                       (c->use_decoupled_decay ? RADAM_DECOUPLED_DECAY : 0u) |
                       (c->exp_avg_lerp.from_end ? RADAM_LERP_FROM_END : 0u) |
                       (c->rectified ? RADAM_RECTIFIED : 0u);
#define RADAM_BLOCK(offset, count) radam_block(io, (offset), (count), &k, options_, mode)
#define RADAM_RUN(o)                                    \
    do {                                                \
        const unsigned options_ = (o);                  \
        VEC_FOR_EACH_BLOCK(n, RADAM_BLOCK);             \
    } while (0)
    if (mode == STEP_IO_F32) {
        VEC_SPECIALIZE_OPTIONS_BELOW(options, RADAM_OPTIONS, RADAM_RUN);
    } else { /* mixed modes test the options per vector (compile time, opt_adam.c) */
        RADAM_RUN(options);
    }
#undef RADAM_RUN
#undef RADAM_BLOCK
}

void KERNEL_NAME(radam_segment)(const lossopt_step_segment *s, const lossopt_radam_coefficients *c)
{
    const step_io io = step_io_for(s);
#define RADAM_SEGMENT(mode) radam_all(&io, s->n, c, (mode))
    STEP_IO_SPECIALIZE(s, RADAM_SEGMENT);
#undef RADAM_SEGMENT
}
