/* kernels/opt_adam.c - Adam / AdamW / AMSGrad update, written once for all
 * vector ISAs and both call forms (the _f32 call and the engine step's
 * segments, kernels/opt_step_io.h). Operation order: include/lossopt.h,
 * lossopt_adam_step_f32; the scalar oracle kernels/scalar/opt_scalar.c spells
 * out the same order. Defines adam_step_f32_<isa> and adam_segment_<isa>. */
#include "kernel_table.h"
#include "opt_step_io.h"
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

/* state[0..2] of the engine step */
enum { EXP_AVG = LOSSOPT_BUFFER_STATE0, EXP_AVG_SQ, MAX_EXP_AVG_SQ };

/* The coefficients as vectors, broadcast once per call. */
typedef struct adam_vectors {
    vfloat negative_step_size, bias_correction2_sqrt, bias_correction2_sqrt_reciprocal, exp_avg_lerp, beta2, one_minus_beta2, eps,
        weight_decay, decay_factor;
} adam_vectors;

LOSSOPT_ALWAYS_INLINE void adam_block(const step_io *io, size_t offset, size_t count,
                                      const adam_vectors *k, unsigned options, unsigned mode)
{
    vfloat p = step_load(io, LOSSOPT_BUFFER_PARAM, offset, count, mode);
    vfloat g = step_load_grad(io, offset, count, mode);
    if (options & ADAM_MAXIMIZE)
        g = vec_negate(g);
    if (options & ADAM_DECOUPLED_DECAY)
        p = vec_mul(p, k->decay_factor);
    if (options & ADAM_L2_WEIGHT_DECAY)
        g = vec_fma(k->weight_decay, p, g);

    vfloat m = step_load(io, EXP_AVG, offset, count, mode);
    m = vec_lerp(m, g, k->exp_avg_lerp, options & ADAM_LERP_FROM_END);
    m = step_store(io, EXP_AVG, offset, m, count, mode);

    vfloat v = vec_fma(vec_mul(k->one_minus_beta2, g), g,
                       vec_mul(k->beta2, step_load(io, EXP_AVG_SQ, offset, count, mode)));
    v = step_store(io, EXP_AVG_SQ, offset, v, count, mode);
    if (options & ADAM_AMSGRAD) {
        v = vec_max(step_load(io, MAX_EXP_AVG_SQ, offset, count, mode), v);
        v = step_store(io, MAX_EXP_AVG_SQ, offset, v, count, mode);
    }

    /* sqrt(v) / bc2_sqrt with the division done without the divider (the
     * same bits): one division per element remains */
    vfloat denom = vec_add(vec_div_by_constant(vec_sqrt(v), k->bias_correction2_sqrt,
                                               k->bias_correction2_sqrt_reciprocal),
                           k->eps);
    step_store_param(io, offset, vec_fma(k->negative_step_size, vec_div(m, denom), p), count, mode);
}

LOSSOPT_ALWAYS_INLINE void adam_run(const step_io *io, size_t n, const adam_vectors *k,
                                    unsigned options, unsigned mode)
{
#define ADAM_BLOCK(offset, count) adam_block(io, (offset), (count), k, options, mode)
    VEC_FOR_EACH_BLOCK(n, ADAM_BLOCK);
#undef ADAM_BLOCK
}

/* Runs every vector of io in the given mode; the all-f32 mode specialised
 * on the options (each combination its own branch-free loop). */
LOSSOPT_ALWAYS_INLINE void adam_all(const step_io *io, size_t n, const lossopt_adam_coefficients *c,
                                    unsigned mode)
{
    /* Broadcast into locals: *c may alias the float buffers (see opt_sgd.c). */
    const adam_vectors k = {
        vec_set1(c->negative_step_size), vec_set1(c->bias_correction2_sqrt),
        vec_set1(c->bias_correction2_sqrt_reciprocal),
        vec_set1(c->exp_avg_lerp.coefficient), vec_set1(c->beta2),
        vec_set1(c->one_minus_beta2),    vec_set1(c->eps),
        vec_set1(c->weight_decay),       vec_set1(c->decay_factor)};
    unsigned options = (c->maximize ? ADAM_MAXIMIZE : 0u) |
                       (c->use_l2_weight_decay ? ADAM_L2_WEIGHT_DECAY : 0u) |
                       (c->use_decoupled_decay ? ADAM_DECOUPLED_DECAY : 0u) |
                       (c->amsgrad ? ADAM_AMSGRAD : 0u) |
                       (c->exp_avg_lerp.from_end ? ADAM_LERP_FROM_END : 0u);
#define ADAM_RUN(options) adam_run(io, n, &k, (options), mode)
    if (mode == STEP_IO_F32) {
        VEC_SPECIALIZE_OPTIONS(options, ADAM_RUN);
    } else {
        /* the mixed modes test the options per vector: 32 copies of each
         * mixed loop cost minutes of compile time and 300 KB of code per ISA */
        ADAM_RUN(options);
    }
#undef ADAM_RUN
}

void KERNEL_NAME(adam_step_f32)(float *param, const float *grad, float *exp_avg,
                                float *exp_avg_sq, float *max_exp_avg_sq, size_t n,
                                const lossopt_adam_coefficients *c)
{
    const step_io io = step_io_f32(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq);
    adam_all(&io, n, c, STEP_IO_F32);
}

void KERNEL_NAME(adam_segment)(const lossopt_step_segment *s, const lossopt_adam_coefficients *c)
{
    const step_io io = step_io_for(s);
#define ADAM_SEGMENT(mode) adam_all(&io, s->n, c, (mode))
    STEP_IO_SPECIALIZE(s, ADAM_SEGMENT);
#undef ADAM_SEGMENT
}
