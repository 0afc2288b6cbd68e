/* kernels/opt_adagrad.c - the Adagrad update, written once for all vector
 * ISAs and every storage mode of kernels/opt_step_io.h (its _f32 call is a
 * one-tensor list call). Operation order: include/lossopt.h,
 * lossopt_adagrad_step_f32; oracle: kernels/scalar/opt_more_scalar.c.
 * Defines adagrad_segment_<isa>. */
#include "kernel_table.h"
#include "opt_step_io.h"
#include "vec/vec.h"

enum { ADAGRAD_MAXIMIZE = 1, ADAGRAD_WEIGHT_DECAY = 2, ADAGRAD_OPTIONS = 4 };

enum { SUM = LOSSOPT_BUFFER_STATE0 };

typedef struct adagrad_vectors {
    vfloat negative_clr, weight_decay, eps;
} adagrad_vectors;

LOSSOPT_ALWAYS_INLINE void adagrad_block(const step_io *io, size_t offset, size_t count,
                                         const adagrad_vectors *k, unsigned options, unsigned mode)
{
    vfloat p = step_load(io, LOSSOPT_BUFFER_PARAM, offset, count, mode);
    vfloat g = step_load_grad(io, offset, count, mode);
    if (options & ADAGRAD_MAXIMIZE)
        g = vec_negate(g);
    if (options & ADAGRAD_WEIGHT_DECAY)
        g = vec_fma(k->weight_decay, p, g);
    vfloat sum = vec_fma(g, g, step_load(io, SUM, offset, count, mode));
    sum = step_store(io, SUM, offset, sum, count, mode);
    vfloat std = vec_add(vec_sqrt(sum), k->eps);
    step_store_param(io, offset, vec_fma(k->negative_clr, vec_div(g, std), p), count, mode);
}

LOSSOPT_ALWAYS_INLINE void adagrad_all(const step_io *io, size_t n,
                                       const lossopt_adagrad_coefficients *c, unsigned mode)
{
    /* Broadcast into locals: *c may alias the float buffers (see opt_sgd.c). */
    const adagrad_vectors k = {vec_set1(c->negative_clr), vec_set1(c->weight_decay),
                               vec_set1(c->eps)};
    unsigned options = (c->maximize ? ADAGRAD_MAXIMIZE : 0u) |
                       (c->use_weight_decay ? ADAGRAD_WEIGHT_DECAY : 0u);
#define ADAGRAD_BLOCK(offset, count) adagrad_block(io, (offset), (count), &k, options_, mode)
#define ADAGRAD_RUN(o)                                  \
    do {                                                \
        const unsigned options_ = (o);                  \
        VEC_FOR_EACH_BLOCK(n, ADAGRAD_BLOCK);           \
    } while (0)
    if (mode == STEP_IO_F32) {
        VEC_SPECIALIZE_OPTIONS_BELOW(options, ADAGRAD_OPTIONS, ADAGRAD_RUN);
    } else { /* mixed modes test the options per vector (compile time, opt_adam.c) */
        ADAGRAD_RUN(options);
    }
#undef ADAGRAD_RUN
#undef ADAGRAD_BLOCK
}

void KERNEL_NAME(adagrad_segment)(const lossopt_step_segment *s,
                                  const lossopt_adagrad_coefficients *c)
{
    const step_io io = step_io_for(s);
#define ADAGRAD_SEGMENT(mode) adagrad_all(&io, s->n, c, (mode))
    STEP_IO_SPECIALIZE(s, ADAGRAD_SEGMENT);
#undef ADAGRAD_SEGMENT
}
