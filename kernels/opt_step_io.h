/* kernels/opt_step_io.h - how the optimizer kernels load and store, written
 * once for every vector ISA. Each optimizer's per-vector update is written
 * once against step_load / step_store and compiled in several modes, each a
 * compile-time constant (so the unused paths vanish):
 *   STEP_IO_F32       every buffer f32, grads used as they are: the _f32
 *                     calls and the plain segments of the tensor-list steps
 *                     (the same loop, so the same bits and speed), one loop
 *                     per option combination;
 *   STEP_IO_MIXED | a layout (STEP_IO_DTYPES)
 *                     the engine step's common storage layouts, each its own
 *                     loop with its dtypes folded in: the grad multiplier,
 *                     the param copy and stochastic rounding are tested per
 *                     call, the options per vector;
 *   STEP_IO_MIXED | STEP_IO_RUNTIME_DTYPES
 *                     any other layout: the dtypes read from the segment (a
 *                     switch per load and store, perfectly predicted).
 * step_store returns the value as stored: after a 16-bit store the update
 * continues with the rounded value (include/lossopt.h, "16-bit storage"). */
#ifndef LOSSOPT_OPT_STEP_IO_H
#define LOSSOPT_OPT_STEP_IO_H

#include "kernel_table.h"
#include "vec/storage16.h"
#include "vec/vec.h"

/* A mode: the dtypes of param, grad, the states and the copy (3: none) in
 * two bits each, and the flags. */
#define STEP_IO_NO_COPY 3u
#define STEP_IO_DTYPES(param, grad, state, copy)                                   \
    ((unsigned)(param) | (unsigned)(grad) << 2 | (unsigned)(state) << 4 | (unsigned)(copy) << 6)
#define STEP_IO_MIXED 0x100u          /* multiplier, copy, stochastic rounding   */
#define STEP_IO_RUNTIME_DTYPES 0x200u /* the dtypes come from the segment        */
#define STEP_IO_F32 STEP_IO_DTYPES(LOSSOPT_F32, LOSSOPT_F32, LOSSOPT_F32, STEP_IO_NO_COPY)

/* The layouts with loops of their own (engines' common cases). */
#define STEP_IO_MASTER_BF16 \
    (STEP_IO_MIXED | STEP_IO_DTYPES(LOSSOPT_F32, LOSSOPT_BF16, LOSSOPT_F32, LOSSOPT_BF16))
#define STEP_IO_ALL_BF16 \
    (STEP_IO_MIXED | STEP_IO_DTYPES(LOSSOPT_BF16, LOSSOPT_BF16, LOSSOPT_BF16, STEP_IO_NO_COPY))
#define STEP_IO_F32_SCALED (STEP_IO_MIXED | STEP_IO_F32)
#define STEP_IO_GENERIC (STEP_IO_MIXED | STEP_IO_RUNTIME_DTYPES)

/* Calls RUN(mode) with the segment's mode as a constant. */
#define STEP_IO_SPECIALIZE(s, RUN)                                                  \
    do {                                                                            \
        unsigned step_io_layout_ = step_io_layout(s);                               \
        if (lossopt_segment_is_plain_f32(s))                                        \
            RUN(STEP_IO_F32);                                                       \
        else if (step_io_layout_ == STEP_IO_MASTER_BF16)                            \
            RUN(STEP_IO_MASTER_BF16);                                               \
        else if (step_io_layout_ == STEP_IO_ALL_BF16)                               \
            RUN(STEP_IO_ALL_BF16);                                                  \
        else if (step_io_layout_ == STEP_IO_F32_SCALED)                             \
            RUN(STEP_IO_F32_SCALED);                                                \
        else                                                                        \
            RUN(STEP_IO_GENERIC);                                                   \
    } while (0)

/* The segment's layout as a mixed mode (states: state[0]'s dtype; dispatch/
 * gives every state, used or not, the call's state dtype). */
static inline unsigned step_io_layout(const lossopt_step_segment *s)
{
    unsigned copy = s->buffer[LOSSOPT_BUFFER_COPY] != NULL ? (unsigned)s->dtype[LOSSOPT_BUFFER_COPY]
                                                           : STEP_IO_NO_COPY;
    return STEP_IO_MIXED | STEP_IO_DTYPES(s->dtype[LOSSOPT_BUFFER_PARAM], s->dtype[LOSSOPT_BUFFER_GRAD],
                                          s->dtype[LOSSOPT_BUFFER_STATE0], copy);
}

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

/* Buffer b's dtype: from the mode, or from the segment. */
LOSSOPT_ALWAYS_INLINE lossopt_dtype step_dtype(const step_io *io, int b, unsigned mode)
{
    if (mode & STEP_IO_RUNTIME_DTYPES)
        return io->s.dtype[b];
    unsigned shift = b == LOSSOPT_BUFFER_PARAM ? 0 : b == LOSSOPT_BUFFER_GRAD ? 2 : b == LOSSOPT_BUFFER_COPY ? 6 : 4;
    return (lossopt_dtype)((mode >> shift) & 3u);
}

LOSSOPT_ALWAYS_INLINE vfloat step_load(const step_io *io, int b, size_t offset, size_t count,
                                       unsigned mode)
{
    return vec_storage_load(step_dtype(io, b, mode), io->s.buffer[b], offset, count);
}

/* The gradient the update uses: grad, times the multiplier when m != 1. */
LOSSOPT_ALWAYS_INLINE vfloat step_load_grad(const step_io *io, size_t offset, size_t count,
                                            unsigned mode)
{
    vfloat g = step_load(io, LOSSOPT_BUFFER_GRAD, offset, count, mode);
    if ((mode & STEP_IO_MIXED) && io->s.use_multiplier)
        g = vec_mul(g, io->multiplier);
    return g;
}

/* Stores the first count lanes of v into buffer b, rounded as its dtype and
 * the rounding mode say (stochastic only for bf16 param and state stores),
 * and returns the stored values widened back to f32. */
LOSSOPT_ALWAYS_INLINE vfloat step_store_as(const step_io *io, int b, size_t offset, vfloat v,
                                           size_t count, unsigned mode, bool may_round_stochastically)
{
    lossopt_dtype dtype = step_dtype(io, b, mode);
    if (dtype == LOSSOPT_F32) {
        vec_store_n((float *)io->s.buffer[b] + offset, v, count);
        return v;
    }
    uint16_t *p = (uint16_t *)io->s.buffer[b] + offset;
    if (dtype == LOSSOPT_F16) {
        vhalf h = vec_f16_narrow(v);
        vec_half_store_n(p, h, count);
        return vec_f16_widen(h);
    }
    vuint rounded;
    if ((mode & STEP_IO_MIXED) && may_round_stochastically && io->s.stochastic) {
        vuint index = vec_u32_add(vec_u32_set1(io->s.sr_index + (uint32_t)offset), vec_u32_lane_index());
        rounded = vec_bf16_round_stochastic(v, vec_sr_bits(io->s.sr_key[b], index));
    } else {
        rounded = vec_bf16_round_nearest(v);
    }
    vec_half_store_n(p, vec_bf16_narrow(rounded), count);
    return vec_from_u32(rounded);
}

/* param and state stores (stochastic rounding applies to them). */
LOSSOPT_ALWAYS_INLINE vfloat step_store(const step_io *io, int b, size_t offset, vfloat v,
                                        size_t count, unsigned mode)
{
    return step_store_as(io, b, offset, v, count, mode, true);
}

/* The updated param: stored, then copied (rounded to nearest) into the
 * param copy when there is one. */
LOSSOPT_ALWAYS_INLINE void step_store_param(const step_io *io, size_t offset, vfloat p,
                                            size_t count, unsigned mode)
{
    vfloat stored = step_store(io, LOSSOPT_BUFFER_PARAM, offset, p, count, mode);
    bool has_copy = (mode & STEP_IO_RUNTIME_DTYPES) ? io->s.buffer[LOSSOPT_BUFFER_COPY] != NULL
                                                    : ((mode >> 6) & 3u) != STEP_IO_NO_COPY;
    if ((mode & STEP_IO_MIXED) && has_copy)
        (void)step_store_as(io, LOSSOPT_BUFFER_COPY, offset, stored, count, mode, false);
}

#endif /* LOSSOPT_OPT_STEP_IO_H */
