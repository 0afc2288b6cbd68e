/* kernels/opt_rmsprop.c - RMSprop update (centered, momentum), written once for
 * all vector ISAs and both call forms (the _f32 call and the engine step's
 * segments, kernels/opt_step_io.h). Operation order: include/lossopt.h,
 * lossopt_rmsprop_step_f32; the scalar oracle kernels/scalar/opt_scalar.c
 * spells out the same order. Defines rmsprop_step_f32_<isa> and
 * rmsprop_segment_<isa>. */
#include "kernel_table.h"
#include "opt_step_io.h"
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

/* state[0..2] of the engine step */
enum { SQUARE_AVG = LOSSOPT_BUFFER_STATE0, GRAD_AVG, MOMENTUM_BUF };

/* The coefficients as vectors, broadcast once per call. */
typedef struct rmsprop_vectors {
    vfloat negative_lr, alpha, one_minus_alpha, grad_avg_lerp, eps, weight_decay, momentum;
} rmsprop_vectors;

LOSSOPT_ALWAYS_INLINE void rmsprop_block(const step_io *io, size_t offset, size_t count,
                                         const rmsprop_vectors *k, unsigned options, unsigned mode)
{
    vfloat p = step_load(io, LOSSOPT_BUFFER_PARAM, offset, count, mode);
    vfloat g = step_load_grad(io, offset, count, mode);
    if (options & RMSPROP_MAXIMIZE)
        g = vec_negate(g);
    if (options & RMSPROP_WEIGHT_DECAY)
        g = vec_fma(k->weight_decay, p, g);

    vfloat sq = vec_fma(vec_mul(k->one_minus_alpha, g), g,
                        vec_mul(k->alpha, step_load(io, SQUARE_AVG, offset, count, mode)));
    sq = step_store(io, SQUARE_AVG, offset, sq, count, mode);

    vfloat mean_square = sq;
    if (options & RMSPROP_CENTERED) {
        vfloat ga = step_load(io, GRAD_AVG, offset, count, mode);
        ga = vec_lerp(ga, g, k->grad_avg_lerp, options & RMSPROP_LERP_FROM_END);
        ga = step_store(io, GRAD_AVG, offset, ga, count, mode);
        mean_square = vec_fma(vec_negate(ga), ga, sq);
    }
    vfloat avg = vec_add(vec_sqrt(mean_square), k->eps);

    vfloat step = vec_div(g, avg);
    if (options & RMSPROP_MOMENTUM) {
        step = vec_add(vec_mul(k->momentum, step_load(io, MOMENTUM_BUF, offset, count, mode)), step);
        step = step_store(io, MOMENTUM_BUF, offset, step, count, mode);
    }
    step_store_param(io, offset, vec_fma(k->negative_lr, step, p), count, mode);
}

LOSSOPT_ALWAYS_INLINE void rmsprop_run(const step_io *io, size_t n, const rmsprop_vectors *k,
                                       unsigned options, unsigned mode)
{
#define RMSPROP_BLOCK(offset, count) rmsprop_block(io, (offset), (count), k, options, mode)
    VEC_FOR_EACH_BLOCK(n, RMSPROP_BLOCK);
#undef RMSPROP_BLOCK
}

/* Runs every vector of io in the given mode; the all-f32 mode specialised
 * on the options (each combination its own branch-free loop). */
LOSSOPT_ALWAYS_INLINE void rmsprop_all(const step_io *io, size_t n,
                                       const lossopt_rmsprop_coefficients *c, unsigned mode)
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
#define RMSPROP_RUN(options) rmsprop_run(io, n, &k, (options), mode)
    if (mode == STEP_IO_F32) {
        VEC_SPECIALIZE_OPTIONS(options, RMSPROP_RUN);
    } else {
        /* the mixed modes test the options per vector: 32 copies of each
         * mixed loop cost minutes of compile time and 300 KB of code per ISA */
        RMSPROP_RUN(options);
    }
#undef RMSPROP_RUN
}

void KERNEL_NAME(rmsprop_step_f32)(float *param, const float *grad, float *square_avg,
                                   float *grad_avg, float *momentum_buf, size_t n,
                                   const lossopt_rmsprop_coefficients *c)
{
    const step_io io = step_io_f32(param, grad, square_avg, grad_avg, momentum_buf);
    rmsprop_all(&io, n, c, STEP_IO_F32);
}

void KERNEL_NAME(rmsprop_segment)(const lossopt_step_segment *s,
                                  const lossopt_rmsprop_coefficients *c)
{
    const step_io io = step_io_for(s);
#define RMSPROP_SEGMENT(mode) rmsprop_all(&io, s->n, c, (mode))
    STEP_IO_SPECIALIZE(s, RMSPROP_SEGMENT);
#undef RMSPROP_SEGMENT
}
