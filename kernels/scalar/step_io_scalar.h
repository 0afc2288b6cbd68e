/* kernels/scalar/step_io_scalar.h - how the oracle's optimizers load and
 * store one element: the scalar twin of kernels/opt_step_io.h, for both call
 * forms (the _f32 calls pass an all-f32 segment without multiplier or copy).
 * oracle_store returns the value as stored, which the update then continues
 * with (include/lossopt.h, "16-bit storage"). */
#ifndef LOSSOPT_STEP_IO_SCALAR_H
#define LOSSOPT_STEP_IO_SCALAR_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel_table.h"
#include "scalar/storage16_scalar.h"
#include "stochastic_rounding.h"

/* The segment of an _f32 call: float buffers, nothing else. */
static inline lossopt_step_segment oracle_f32_segment(float *param, const float *grad,
                                                      float *state0, float *state1,
                                                      float *state2, size_t n)
{
    lossopt_step_segment s = {.buffer = {param, state0, state1, state2, (void *)grad, NULL}, .n = n};
    return s;
}

static inline float oracle_load(const lossopt_step_segment *s, int b, size_t i)
{
    switch (s->dtype[b]) {
    case LOSSOPT_BF16: return lossopt_bf16_to_f32(((const uint16_t *)s->buffer[b])[i]);
    case LOSSOPT_F16: return lossopt_f16_to_f32(((const uint16_t *)s->buffer[b])[i]);
    default: return ((const float *)s->buffer[b])[i];
    }
}

/* The gradient the update uses: grad, times the multiplier when m != 1. */
static inline float oracle_load_grad(const lossopt_step_segment *s, size_t i)
{
    float g = oracle_load(s, LOSSOPT_BUFFER_GRAD, i);
    return s->use_multiplier ? g * s->multiplier : g;
}

static inline float oracle_store_as(const lossopt_step_segment *s, int b, size_t i, float v,
                                    bool may_round_stochastically)
{
    uint16_t *half = (uint16_t *)s->buffer[b];
    switch (s->dtype[b]) {
    case LOSSOPT_BF16:
        if (may_round_stochastically && s->stochastic) /* index + n - 1 never wraps */
            half[i] = lossopt_f32_to_bf16_stochastic(
                v, lossopt_sr_bits(s->sr_key[b], s->sr_index + (uint32_t)i));
        else
            half[i] = lossopt_f32_to_bf16_nearest(v);
        return lossopt_bf16_to_f32(half[i]);
    case LOSSOPT_F16:
        half[i] = lossopt_f32_to_f16(v);
        return lossopt_f16_to_f32(half[i]);
    default:
        ((float *)s->buffer[b])[i] = v;
        return v;
    }
}

/* param and state stores (stochastic rounding applies to them). */
static inline float oracle_store(const lossopt_step_segment *s, int b, size_t i, float v)
{
    return oracle_store_as(s, b, i, v, true);
}

/* The updated param: stored, then copied (to nearest) into the param copy. */
static inline void oracle_store_param(const lossopt_step_segment *s, size_t i, float p)
{
    float stored = oracle_store(s, LOSSOPT_BUFFER_PARAM, i, p);
    if (s->buffer[LOSSOPT_BUFFER_COPY] != NULL)
        (void)oracle_store_as(s, LOSSOPT_BUFFER_COPY, i, stored, false);
}

/* PyTorch's lerp(a, b, w): a + w (b - a) for w < 0.5, else b - (b - a)(1 - w);
 * coefficient is w or w - 1 (kernel_table.h), so both are one fma. */
static inline float oracle_lerp(float a, float b, const lossopt_lerp_coefficients *lerp)
{
    if (lerp->from_end)
        return fmaf(lerp->coefficient, b - a, b);
    return fmaf(lerp->coefficient, b - a, a);
}

#endif /* LOSSOPT_STEP_IO_SCALAR_H */
