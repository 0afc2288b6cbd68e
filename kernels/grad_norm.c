/* kernels/grad_norm.c - the engine step's statistics pass: the canonical sum
 * (kernels/vec/canonical_sum.h) of the squared gradients, g * g rounded to
 * float, for grads stored as f32, bf16 or f16 (widened exactly). Written once
 * for all vector ISAs; the oracle is kernels/scalar/step_scalar.c. Defines
 * grad_sumsq_<isa>. Whether a grad is inf or NaN is not tested here: a
 * finite sum proves every grad finite, and dispatch/ looks closer only when
 * the sum is not finite (dispatch/step_stats.c). */
#include "kernel_table.h"
#include "vec/canonical_sum.h"
#include "vec/storage16.h"
#include "vec/vec.h"

LOSSOPT_ALWAYS_INLINE vfloat load_grad(const void *grad, lossopt_dtype dtype, size_t offset,
                                       size_t count)
{
    if (dtype == LOSSOPT_F32)
        return vec_load_n((const float *)grad + offset, count);
    vhalf h = vec_half_load_n((const uint16_t *)grad + offset, count);
    return dtype == LOSSOPT_BF16 ? vec_bf16_widen(h) : vec_f16_widen(h);
}

/* The walk's per-vector functions, one per dtype (a constant each, so the
 * loads fold to one path). */
LOSSOPT_ALWAYS_INLINE void squares_f32(void *grad, size_t offset, size_t count, vfloat *terms)
{
    vfloat g = load_grad(grad, LOSSOPT_F32, offset, count);
    terms[0] = vec_mul(g, g);
}

LOSSOPT_ALWAYS_INLINE void squares_bf16(void *grad, size_t offset, size_t count, vfloat *terms)
{
    vfloat g = load_grad(grad, LOSSOPT_BF16, offset, count);
    terms[0] = vec_mul(g, g);
}

LOSSOPT_ALWAYS_INLINE void squares_f16(void *grad, size_t offset, size_t count, vfloat *terms)
{
    vfloat g = load_grad(grad, LOSSOPT_F16, offset, count);
    terms[0] = vec_mul(g, g);
}

double KERNEL_NAME(grad_sumsq)(const void *grad, lossopt_dtype dtype, size_t n)
{
    vec_sum sum;
    vec_sum_start(&sum);
    void *context = (void *)grad; /* the walk's context is read-only here */
    if (dtype == LOSSOPT_F32)
        vec_sum_walk(context, n, squares_f32, &sum, 1);
    else if (dtype == LOSSOPT_BF16)
        vec_sum_walk(context, n, squares_bf16, &sum, 1);
    else
        vec_sum_walk(context, n, squares_f16, &sum, 1);
    return sum.total;
}
