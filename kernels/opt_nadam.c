/* kernels/opt_nadam.c - the NAdam update (PyTorch 2.x's algorithm), written
 * once for all vector ISAs and every storage mode of kernels/opt_step_io.h
 * (its _f32 call is a one-tensor list call). Operation order:
 * include/lossopt.h, lossopt_nadam_step_f32; oracle:
 * kernels/scalar/opt_more_scalar.c. Defines nadam_segment_<isa>. */
#include "adam_moments.h"
#include "kernel_table.h"
#include "opt_step_io.h"
#include "vec/vec.h"

enum {
    NADAM_MAXIMIZE = 1,
    NADAM_L2_WEIGHT_DECAY = 2,
    NADAM_DECOUPLED_DECAY = 4, /* never together with NADAM_L2_WEIGHT_DECAY */
    NADAM_LERP_FROM_END = 8,
    NADAM_OPTIONS = 16
};

typedef struct nadam_vectors {
    adam_moments_vectors moments;
    vfloat grad_coefficient, exp_avg_coefficient, bias_correction2_sqrt, bias_correction2_sqrt_reciprocal, eps;
} nadam_vectors;

LOSSOPT_ALWAYS_INLINE void nadam_block(const step_io *io, size_t offset, size_t count,
                                       const nadam_vectors *k, unsigned options, unsigned mode)
{
    adam_moments_flags f = {options & NADAM_MAXIMIZE, options & NADAM_L2_WEIGHT_DECAY,
                            options & NADAM_DECOUPLED_DECAY, options & NADAM_LERP_FROM_END};
    adam_moments r = adam_moments_update(io, offset, count, mode, &k->moments, f);
    vfloat denom = vec_add(vec_div_by_constant(vec_sqrt(r.exp_avg_sq), k->bias_correction2_sqrt,
                                               k->bias_correction2_sqrt_reciprocal),
                           k->eps);
    vfloat p = vec_fma(k->grad_coefficient, vec_div(r.grad, denom), r.param);
    step_store_param(io, offset, vec_fma(k->exp_avg_coefficient, vec_div(r.exp_avg, denom), p),
                     count, mode);
}

LOSSOPT_ALWAYS_INLINE void nadam_all(const step_io *io, size_t n,
                                     const lossopt_nadam_coefficients *c, unsigned mode)
{
    /* Broadcast into locals: *c may alias the float buffers (see opt_sgd.c). */
    const nadam_vectors k = {
        {vec_set1(c->exp_avg_lerp.coefficient), vec_set1(c->beta2), vec_set1(c->one_minus_beta2),
         vec_set1(c->weight_decay), vec_set1(c->decay_factor)},
        vec_set1(c->grad_coefficient), vec_set1(c->exp_avg_coefficient),
        vec_set1(c->bias_correction2_sqrt), vec_set1(c->bias_correction2_sqrt_reciprocal),
        vec_set1(c->eps)};
    unsigned options = (c->maximize ? NADAM_MAXIMIZE : 0u) |
                       (c->use_l2_weight_decay ? NADAM_L2_WEIGHT_DECAY : 0u) |
                       (c->use_decoupled_decay ? NADAM_DECOUPLED_DECAY : 0u) |
                       (c->exp_avg_lerp.from_end ? NADAM_LERP_FROM_END : 0u);
#define NADAM_BLOCK(offset, count) nadam_block(io, (offset), (count), &k, options_, mode)
#define NADAM_RUN(o)                                    \
    do {                                                \
        const unsigned options_ = (o);                  \
        VEC_FOR_EACH_BLOCK(n, NADAM_BLOCK);             \
    } while (0)
    if (mode == STEP_IO_F32) {
        VEC_SPECIALIZE_OPTIONS_BELOW(options, NADAM_OPTIONS, NADAM_RUN);
    } else { /* mixed modes test the options per vector (compile time, opt_adam.c) */
        NADAM_RUN(options);
    }
#undef NADAM_RUN
#undef NADAM_BLOCK
}

void KERNEL_NAME(nadam_segment)(const lossopt_step_segment *s, const lossopt_nadam_coefficients *c)
{
    const step_io io = step_io_for(s);
#define NADAM_SEGMENT(mode) nadam_all(&io, s->n, c, (mode))
    STEP_IO_SPECIALIZE(s, NADAM_SEGMENT);
#undef NADAM_SEGMENT
}
