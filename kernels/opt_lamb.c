/* kernels/opt_lamb.c - LAMB's two passes, written once for all vector ISAs:
 * lamb_moments updates exp_avg and exp_avg_sq and sums param^2 and u^2 in
 * the canonical order (kernels/vec/canonical_sum.h, so the trust ratio is
 * the same on every ISA); lamb_apply recomputes u from the stored states and
 * updates param. Operation order: include/lossopt.h, lossopt_lamb_step_f32;
 * oracle: kernels/scalar/opt_more_scalar.c. Two storage modes only: the
 * all-f32 loop and the generic one (dtypes read at run time); the options
 * are tested per vector (perfectly predicted). Defines lamb_moments_<isa>
 * and lamb_apply_<isa>. */
#include "adam_moments.h"
#include "kernel_table.h"
#include "opt_step_io.h"
#include "vec/canonical_sum.h"
#include "vec/vec.h"

typedef struct lamb_vectors {
    adam_moments_vectors moments;
    vfloat bias_correction1, bias_correction2_sqrt, bias_correction2_sqrt_reciprocal, eps, weight_decay;
} lamb_vectors;

LOSSOPT_ALWAYS_INLINE lamb_vectors lamb_vectors_for(const lossopt_lamb_coefficients *c)
{
    const lamb_vectors k = {
        {vec_set1(c->exp_avg_lerp.coefficient), vec_set1(c->beta2), vec_set1(c->one_minus_beta2),
         vec_set1(0.0f), vec_set1(1.0f)},
        vec_set1(c->bias_correction1), vec_set1(c->bias_correction2_sqrt),
        vec_set1(c->bias_correction2_sqrt_reciprocal), vec_set1(c->eps),
        vec_set1(c->weight_decay)};
    return k;
}

/* u = (exp_avg / bc1) / (sqrt(exp_avg_sq) / bc2_sqrt + eps) [+ wd * param] */
LOSSOPT_ALWAYS_INLINE vfloat lamb_update(const lamb_vectors *k, bool weight_decay, vfloat p,
                                         vfloat m, vfloat v)
{
    vfloat denom = vec_add(vec_div_by_constant(vec_sqrt(v), k->bias_correction2_sqrt,
                                               k->bias_correction2_sqrt_reciprocal),
                           k->eps);
    vfloat u = vec_div(vec_div(m, k->bias_correction1), denom);
    return weight_decay ? vec_fma(k->weight_decay, p, u) : u;
}

/* The moments pass: the walk's context and per-vector function. */
typedef struct lamb_walk {
    const step_io *io;
    const lamb_vectors *k;
    const lossopt_lamb_coefficients *c;
} lamb_walk;

LOSSOPT_ALWAYS_INLINE void lamb_moments_vector(void *context, size_t offset, size_t count,
                                               vfloat *terms, unsigned mode)
{
    const lamb_walk *w = context;
    adam_moments_flags f = {w->c->maximize, false, false, w->c->exp_avg_lerp.from_end};
    adam_moments r = adam_moments_update(w->io, offset, count, mode, &w->k->moments, f);
    if (w->c->adapt) {
        vfloat u = lamb_update(w->k, w->c->use_weight_decay, r.param, r.exp_avg, r.exp_avg_sq);
        terms[0] = vec_mul(r.param, r.param);
        terms[1] = vec_mul(u, u);
    }
}

LOSSOPT_ALWAYS_INLINE void lamb_moments_f32(void *context, size_t offset, size_t count, vfloat *terms)
{
    lamb_moments_vector(context, offset, count, terms, STEP_IO_F32);
}

LOSSOPT_ALWAYS_INLINE void lamb_moments_generic(void *context, size_t offset, size_t count,
                                                vfloat *terms)
{
    lamb_moments_vector(context, offset, count, terms, STEP_IO_GENERIC);
}

void KERNEL_NAME(lamb_moments)(const lossopt_step_segment *s, const lossopt_lamb_coefficients *c,
                               double sums[2])
{
    const step_io io = step_io_for(s);
    /* Broadcast into locals: *c may alias the float buffers (see opt_sgd.c). */
    const lossopt_lamb_coefficients coefficients = *c;
    const lamb_vectors k = lamb_vectors_for(&coefficients);
    lamb_walk w = {&io, &k, &coefficients};
    vec_sum sum[2];
    vec_sum_start(&sum[0]);
    vec_sum_start(&sum[1]);
    int sum_count = coefficients.adapt ? 2 : 0;
    if (lossopt_segment_is_plain_f32(s)) {
        if (sum_count == 2)
            vec_sum_walk(&w, s->n, lamb_moments_f32, sum, 2);
        else
            vec_sum_walk(&w, s->n, lamb_moments_f32, sum, 0);
    } else {
        if (sum_count == 2)
            vec_sum_walk(&w, s->n, lamb_moments_generic, sum, 2);
        else
            vec_sum_walk(&w, s->n, lamb_moments_generic, sum, 0);
    }
    sums[0] = sum[0].total;
    sums[1] = sum[1].total;
}

LOSSOPT_ALWAYS_INLINE void lamb_apply_block(const step_io *io, size_t offset, size_t count,
                                            const lamb_vectors *k, bool weight_decay,
                                            vfloat negative_factor, unsigned mode)
{
    vfloat p = step_load(io, LOSSOPT_BUFFER_PARAM, offset, count, mode);
    vfloat m = step_load(io, ADAM_MOMENTS_EXP_AVG, offset, count, mode);
    vfloat v = step_load(io, ADAM_MOMENTS_EXP_AVG_SQ, offset, count, mode);
    vfloat u = lamb_update(k, weight_decay, p, m, v);
    step_store_param(io, offset, vec_fma(negative_factor, u, p), count, mode);
}

void KERNEL_NAME(lamb_apply)(const lossopt_step_segment *s, const lossopt_lamb_coefficients *c,
                             float negative_factor)
{
    const step_io io = step_io_for(s);
    const lamb_vectors k = lamb_vectors_for(c);
    const bool weight_decay = c->use_weight_decay;
    const vfloat factor = vec_set1(negative_factor);
#define LAMB_APPLY_F32(offset, count) \
    lamb_apply_block(&io, (offset), (count), &k, weight_decay, factor, STEP_IO_F32)
#define LAMB_APPLY_GENERIC(offset, count) \
    lamb_apply_block(&io, (offset), (count), &k, weight_decay, factor, STEP_IO_GENERIC)
    if (lossopt_segment_is_plain_f32(s))
        VEC_FOR_EACH_BLOCK(s->n, LAMB_APPLY_F32);
    else
        VEC_FOR_EACH_BLOCK(s->n, LAMB_APPLY_GENERIC);
#undef LAMB_APPLY_F32
#undef LAMB_APPLY_GENERIC
}
