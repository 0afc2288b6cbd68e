/* kernels/opt_sgd.c - SGD update (plain, momentum, Nesterov), written once for
 * all vector ISAs and both call forms (the _f32 call and the engine step's
 * segments, kernels/opt_step_io.h). Operation order: include/lossopt.h,
 * lossopt_sgd_step_f32; the scalar oracle kernels/scalar/opt_scalar.c spells
 * out the same order. Defines sgd_step_f32_<isa> and sgd_segment_<isa>. */
#include "kernel_table.h"
#include "opt_step_io.h"
#include "vec/vec.h"

/* Option bits; each combination gets its own loop (VEC_SPECIALIZE_OPTIONS). */
enum {
    SGD_MAXIMIZE = 1,
    SGD_WEIGHT_DECAY = 2,
    SGD_MOMENTUM = 4,
    SGD_NESTEROV = 8,
    SGD_FIRST_STEP = 16, /* the momentum buffer is set to g, not read */
};
_Static_assert(SGD_FIRST_STEP * 2 <= VEC_SPECIALIZE_OPTIONS_COUNT,
               "SGD's option bits exceed VEC_SPECIALIZE_OPTIONS");

/* state[0] of the engine step */
enum { MOMENTUM_BUF = LOSSOPT_BUFFER_STATE0 };

/* The coefficients as vectors, broadcast once per call. */
typedef struct sgd_vectors {
    vfloat negative_lr, weight_decay, momentum, one_minus_dampening;
} sgd_vectors;

LOSSOPT_ALWAYS_INLINE void sgd_block(const step_io *io, size_t offset, size_t count,
                                     const sgd_vectors *k, unsigned options, unsigned mode)
{
    vfloat p = step_load(io, LOSSOPT_BUFFER_PARAM, offset, count, mode);
    vfloat g = step_load_grad(io, offset, count, mode);
    if (options & SGD_MAXIMIZE)
        g = vec_negate(g);
    if (options & SGD_WEIGHT_DECAY)
        g = vec_fma(k->weight_decay, p, g);
    if (options & SGD_MOMENTUM) {
        vfloat buf = g;
        if (!(options & SGD_FIRST_STEP))
            buf = vec_fma(k->one_minus_dampening, g,
                          vec_mul(k->momentum, step_load(io, MOMENTUM_BUF, offset, count, mode)));
        buf = step_store(io, MOMENTUM_BUF, offset, buf, count, mode);
        g = (options & SGD_NESTEROV) ? vec_fma(k->momentum, buf, g) : buf;
    }
    step_store_param(io, offset, vec_fma(k->negative_lr, g, p), count, mode);
}

LOSSOPT_ALWAYS_INLINE void sgd_run(const step_io *io, size_t n, const sgd_vectors *k,
                                   unsigned options, unsigned mode)
{
#define SGD_BLOCK(offset, count) sgd_block(io, (offset), (count), k, options, mode)
    VEC_FOR_EACH_BLOCK(n, SGD_BLOCK);
#undef SGD_BLOCK
}

/* Runs every vector of io in the given mode; the all-f32 mode specialised
 * on the options (each combination its own branch-free loop). */
LOSSOPT_ALWAYS_INLINE void sgd_all(const step_io *io, size_t n, const lossopt_sgd_coefficients *c,
                                   unsigned mode)
{
    /* Broadcast into locals: the loop stores through float pointers, which C
     * lets alias the floats of *c, so reading *c inside it would reload and
     * re-broadcast every coefficient for every vector. */
    const sgd_vectors k = {vec_set1(c->negative_lr), vec_set1(c->weight_decay),
                           vec_set1(c->momentum), vec_set1(c->one_minus_dampening)};
    unsigned options = (c->maximize ? SGD_MAXIMIZE : 0u) |
                       (c->use_weight_decay ? SGD_WEIGHT_DECAY : 0u) |
                       (c->use_momentum ? SGD_MOMENTUM : 0u) |
                       (c->use_momentum && c->nesterov ? SGD_NESTEROV : 0u) |
                       (c->use_momentum && c->first_step ? SGD_FIRST_STEP : 0u);
#define SGD_RUN(options) sgd_run(io, n, &k, (options), mode)
    if (mode == STEP_IO_F32) {
        VEC_SPECIALIZE_OPTIONS(options, SGD_RUN);
    } else {
        /* the mixed modes test the options per vector: 32 copies of each
         * mixed loop cost minutes of compile time and 300 KB of code per ISA */
        SGD_RUN(options);
    }
#undef SGD_RUN
}

void KERNEL_NAME(sgd_step_f32)(float *param, const float *grad, float *momentum_buf, size_t n,
                               const lossopt_sgd_coefficients *c)
{
    const step_io io = step_io_f32(param, grad, momentum_buf, NULL, NULL);
    sgd_all(&io, n, c, STEP_IO_F32);
}

void KERNEL_NAME(sgd_segment)(const lossopt_step_segment *s, const lossopt_sgd_coefficients *c)
{
    const step_io io = step_io_for(s);
#define SGD_SEGMENT(mode) sgd_all(&io, s->n, c, (mode))
    STEP_IO_SPECIALIZE(s, SGD_SEGMENT);
#undef SGD_SEGMENT
}
