/* kernels/opt_step_io.h - how the optimizer kernels load and store, written
 * once for every vector ISA. Each optimizer's per-vector update is written
 * once against step_load / step_store and compiled in two modes (a
 * compile-time constant, so the unused paths vanish):
 *   STEP_IO_F32    every buffer f32, grads used as they are: the _f32 calls
 *                  and the plain segments of the tensor-list steps (the same
 *                  loop, so the same bits and speed);
 *   STEP_IO_MIXED  the engine step: each buffer f32, bf16 or f16 (a runtime
 *                  switch per vector, perfectly predicted), the grad
 *                  multiplier, the param copy and stochastic rounding.
 * step_store returns the value as stored: after a 16-bit store the update
 * continues with the rounded value (include/lossopt.h, "16-bit storage"). */
#ifndef LOSSOPT_OPT_STEP_IO_H
#define LOSSOPT_OPT_STEP_IO_H

#include "kernel_table.h"
#include "vec/storage16.h"
#include "vec/vec.h"

enum { STEP_IO_F32 = 0, STEP_IO_MIXED = 1 };

typedef struct step_io {
    lossopt_step_segment s; /* a copy: stores through the buffers cannot alias it */
    vfloat multiplier;
} step_io;

LOSSOPT_ALWAYS_INLINE step_io step_io_for(const lossopt_step_segment *s)
{
    step_io io = {*s, vec_set1(s->multiplier)};
    return io;
}

/* The _f32 kernels' io: float buffers, nothing else. */
LOSSOPT_ALWAYS_INLINE step_io step_io_f32(float *param, const float *grad, float *state0,
                                          float *state1, float *state2)
{
    step_io io = {{.buffer = {param, state0, state1, state2, (void *)grad, NULL}}, vec_set1(1.0f)};
    return io;
}

LOSSOPT_ALWAYS_INLINE vfloat step_load(const step_io *io, int b, size_t offset, size_t count,
                                       int mode)
{
    if (mode == STEP_IO_F32 || io->s.dtype[b] == LOSSOPT_F32)
        return vec_load_n((const float *)io->s.buffer[b] + offset, count);
    vhalf h = vec_half_load_n((const uint16_t *)io->s.buffer[b] + offset, count);
    return io->s.dtype[b] == LOSSOPT_BF16 ? vec_bf16_widen(h) : vec_f16_widen(h);
}

/* The gradient the update uses: grad, times the multiplier when m != 1. */
LOSSOPT_ALWAYS_INLINE vfloat step_load_grad(const step_io *io, size_t offset, size_t count, int mode)
{
    vfloat g = step_load(io, LOSSOPT_BUFFER_GRAD, offset, count, mode);
    if (mode == STEP_IO_MIXED && io->s.use_multiplier)
        g = vec_mul(g, io->multiplier);
    return g;
}

/* Stores the first count lanes of v into buffer b, rounded as its dtype and
 * the rounding mode say (stochastic only for bf16 param and state stores),
 * and returns the stored values widened back to f32. */
LOSSOPT_ALWAYS_INLINE vfloat step_store_as(const step_io *io, int b, size_t offset, vfloat v,
                                           size_t count, int mode, bool may_round_stochastically)
{
    if (mode == STEP_IO_F32 || io->s.dtype[b] == LOSSOPT_F32) {
        vec_store_n((float *)io->s.buffer[b] + offset, v, count);
        return v;
    }
    uint16_t *p = (uint16_t *)io->s.buffer[b] + offset;
    vhalf h;
    if (io->s.dtype[b] == LOSSOPT_F16) {
        h = vec_f16_narrow(v);
        vec_half_store_n(p, h, count);
        return vec_f16_widen(h);
    }
    if (may_round_stochastically && io->s.stochastic) {
        vuint index = vec_u32_add(vec_u32_set1(io->s.sr_index + (uint32_t)offset), vec_u32_lane_index());
        h = vec_bf16_narrow_stochastic(v, vec_sr_bits(io->s.sr_key[b], index));
    } else {
        h = vec_bf16_narrow_nearest(v);
    }
    vec_half_store_n(p, h, count);
    return vec_bf16_widen(h);
}

/* param and state stores (stochastic rounding applies to them). */
LOSSOPT_ALWAYS_INLINE vfloat step_store(const step_io *io, int b, size_t offset, vfloat v,
                                        size_t count, int mode)
{
    return step_store_as(io, b, offset, v, count, mode, true);
}

/* The updated param: stored, then copied (rounded to nearest) into the
 * param copy when there is one. */
LOSSOPT_ALWAYS_INLINE void step_store_param(const step_io *io, size_t offset, vfloat p,
                                            size_t count, int mode)
{
    vfloat stored = step_store(io, LOSSOPT_BUFFER_PARAM, offset, p, count, mode);
    if (mode == STEP_IO_MIXED && io->s.buffer[LOSSOPT_BUFFER_COPY] != NULL)
        (void)step_store_as(io, LOSSOPT_BUFFER_COPY, offset, stored, count, mode, false);
}

#endif /* LOSSOPT_OPT_STEP_IO_H */
