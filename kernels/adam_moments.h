/* kernels/adam_moments.h - the first half of every Adam-like update (NAdam,
 * RAdam, LAMB), written once: the gradient's sign and weight decay, then
 * exp_avg = lerp(exp_avg, g, 1 - beta1) and
 * exp_avg_sq = fma((1 - beta2) * g, g, beta2 * exp_avg_sq), both stored and
 * continued with as stored (include/lossopt.h). The flags are compile-time
 * constants in the specialised loops, so the unused paths vanish. */
#ifndef LOSSOPT_ADAM_MOMENTS_H
#define LOSSOPT_ADAM_MOMENTS_H

#include <stdbool.h>

#include "opt_step_io.h"
#include "vec/vec.h"

enum { ADAM_MOMENTS_EXP_AVG = LOSSOPT_BUFFER_STATE0, ADAM_MOMENTS_EXP_AVG_SQ };

typedef struct adam_moments_vectors {
    vfloat exp_avg_lerp, beta2, one_minus_beta2, weight_decay, decay_factor;
} adam_moments_vectors;

typedef struct adam_moments_flags {
    bool maximize, l2_weight_decay, decoupled_decay, lerp_from_end;
} adam_moments_flags;

typedef struct adam_moments {
    vfloat param, grad, exp_avg, exp_avg_sq; /* param after a decoupled decay */
} adam_moments;

LOSSOPT_ALWAYS_INLINE adam_moments adam_moments_update(const step_io *io, size_t offset,
                                                       size_t count, unsigned mode,
                                                       const adam_moments_vectors *k,
                                                       adam_moments_flags f)
{
    adam_moments r;
    r.param = step_load(io, LOSSOPT_BUFFER_PARAM, offset, count, mode);
    r.grad = step_load_grad(io, offset, count, mode);
    if (f.maximize)
        r.grad = vec_negate(r.grad);
    if (f.decoupled_decay)
        r.param = vec_mul(r.param, k->decay_factor);
    if (f.l2_weight_decay)
        r.grad = vec_fma(k->weight_decay, r.param, r.grad);
    vfloat m = step_load(io, ADAM_MOMENTS_EXP_AVG, offset, count, mode);
    m = vec_lerp(m, r.grad, k->exp_avg_lerp, f.lerp_from_end);
    r.exp_avg = step_store(io, ADAM_MOMENTS_EXP_AVG, offset, m, count, mode);
    vfloat kept = vec_mul(k->beta2, step_load(io, ADAM_MOMENTS_EXP_AVG_SQ, offset, count, mode));
    vfloat v = vec_fma(vec_mul(k->one_minus_beta2, r.grad), r.grad, kept);
    r.exp_avg_sq = step_store(io, ADAM_MOMENTS_EXP_AVG_SQ, offset, v, count, mode);
    return r;
}

#endif /* LOSSOPT_ADAM_MOMENTS_H */
