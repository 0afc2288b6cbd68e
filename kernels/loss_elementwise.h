/* kernels/loss_elementwise.h - the driver every elementwise loss shares,
 * written once against the vector layer: loads, per-element math (supplied by
 * each loss), gradient and per-element stores, and the canonical summation
 * order of include/lossopt.h (blocks of 256, 16 virtual lanes, a fixed fold,
 * block sums in double). Included by kernels/loss_*.c only. */
#ifndef LOSSOPT_LOSS_ELEMENTWISE_H
#define LOSSOPT_LOSS_ELEMENTWISE_H

#include "kernel_table.h"
#include "vec/vec.h"

#define LOSS_BLOCK 256 /* elements per block of the canonical sum */

/* Option bits; each combination gets its own loop (VEC_SPECIALIZE_CALL). */
enum {
    LOSS_GRAD = 1,        /* write the gradient                       */
    LOSS_REDUCE = 2,      /* MEAN or SUM: sum the per-element losses  */
    LOSS_PER_ELEMENT = 4, /* NONE with a loss buffer: store each loss */
    LOSS_WEIGHTED = 8,    /* multiply by weight[i]                    */
};
_Static_assert(LOSS_WEIGHTED * 2 <= VEC_SPECIALIZE_CALL_COUNT,
               "the losses' option bits exceed VEC_SPECIALIZE_CALL");

/* The per-call scalars as vectors, broadcast once per call. */
typedef struct loss_vectors {
    vfloat grad_scale, delta, half_delta, pos_weight, pos_weight_minus_1;
} loss_vectors;

LOSSOPT_ALWAYS_INLINE unsigned loss_options(const lossopt_elementwise_args *a)
{
    return (a->grad ? LOSS_GRAD : 0u) | (a->reduce ? LOSS_REDUCE : 0u) |
           (!a->reduce && a->loss ? LOSS_PER_ELEMENT : 0u) | (a->weight ? LOSS_WEIGHTED : 0u);
}

/* sign(d) = d > 0 ? 1 : d < 0 ? -1 : d (NaN and +-0 pass through). */
LOSSOPT_ALWAYS_INLINE vfloat loss_sign(vfloat d)
{
    return vec_select(vec_gt(d, vec_set1(0.0f)), vec_set1(1.0f),
                      vec_select(vec_lt(d, vec_set1(0.0f)), vec_set1(-1.0f), d));
}

/* The rounding error of d = x - t (TwoSum: d + error == x - t exactly). It
 * is NaN only where d is not finite (x or t infinite or NaN, or x - t
 * overflowing); its users never let that through (kernels/loss_regression.c). */
LOSSOPT_ALWAYS_INLINE vfloat loss_difference_error(vfloat x, vfloat t, vfloat d)
{
    vfloat virtual_t = vec_sub(d, x); /* -t as rounded into d */
    vfloat virtual_x = vec_sub(d, virtual_t);
    return vec_sub(vec_sub(x, virtual_x), vec_add(t, virtual_t));
}

/* DEFINE_ELEMENTWISE_KERNEL(name, ELEMENT) defines the kernel
 * name_<isa>(const lossopt_elementwise_args *) around
 *   ELEMENT(x, t, w, k, options, &loss, &grad)
 * which computes one vector of per-element losses and gradients from the
 * input x, target t and weight w (1 when unweighted). */
#define DEFINE_ELEMENTWISE_KERNEL(name, ELEMENT)                                       \
    LOSSOPT_ALWAYS_INLINE vfloat name##_vector(const lossopt_elementwise_args *a,       \
                                               const loss_vectors *k, size_t offset,    \
                                               size_t count, unsigned options)          \
    {                                                                                   \
        vfloat x = vec_load_n(a->input + offset, count);                                \
        vfloat t = vec_load_n(a->target + offset, count);                               \
        vfloat w = (options & LOSS_WEIGHTED) ? vec_load_n(a->weight + offset, count)    \
                                             : vec_set1(1.0f);                          \
        vfloat loss, grad;                                                              \
        ELEMENT(x, t, w, k, options, &loss, &grad);                                     \
        if (options & LOSS_GRAD)                                                        \
            vec_store_n(a->grad + offset, grad, count);                                 \
        if (options & LOSS_PER_ELEMENT)                                                 \
            vec_store_n(a->loss + offset, loss, count);                                 \
        return loss;                                                                    \
    }                                                                                   \
                                                                                        \
    LOSSOPT_ALWAYS_INLINE double name##_run(const lossopt_elementwise_args *a,          \
                                            const loss_vectors *k, unsigned options)    \
    {                                                                                   \
        double total = -0.0;                                                            \
        size_t n = a->n, block = 0;                                                     \
        for (; block + LOSS_BLOCK <= n; block += LOSS_BLOCK) {                          \
            vfloat lanes[VEC_PER_16];                                                   \
            for (int q = 0; q < VEC_PER_16; q++)                                        \
                lanes[q] = vec_set1(-0.0f);                                             \
            for (size_t chunk = block; chunk < block + LOSS_BLOCK; chunk += 16)         \
                for (int q = 0; q < VEC_PER_16; q++)                                    \
                    lanes[q] = vec_add(lanes[q], name##_vector(a, k, chunk + q * VEC_WIDTH, \
                                                               VEC_WIDTH, options));    \
            if (options & LOSS_REDUCE)                                                  \
                total += (double)vec_fold16(lanes);                                     \
        }                                                                               \
        if (block < n) { /* the last, partial block */                                  \
            vfloat lanes[VEC_PER_16];                                                   \
            for (int q = 0; q < VEC_PER_16; q++)                                        \
                lanes[q] = vec_set1(-0.0f);                                             \
            for (size_t offset = block; offset < n; offset += VEC_WIDTH) {              \
                size_t count = n - offset < VEC_WIDTH ? n - offset : VEC_WIDTH;         \
                int q = (int)(((offset - block) / VEC_WIDTH) % VEC_PER_16);             \
                vfloat loss = name##_vector(a, k, offset, count, options);              \
                lanes[q] = vec_add(lanes[q], vec_keep_first(loss, count));              \
            }                                                                           \
            if (options & LOSS_REDUCE)                                                  \
                total += (double)vec_fold16(lanes);                                     \
        }                                                                               \
        return (options & LOSS_REDUCE) ? total : 0.0;                                   \
    }                                                                                   \
                                                                                        \
    double KERNEL_NAME(name)(const lossopt_elementwise_args *a)                         \
    {                                                                                   \
        /* broadcast into locals: the loop's float stores may alias *a's floats */     \
        const loss_vectors k = {vec_set1(a->grad_scale), vec_set1(a->delta),            \
                                vec_set1(a->half_delta), vec_set1(a->pos_weight),       \
                                vec_set1(a->pos_weight_minus_1)};                       \
        const lossopt_elementwise_args local = *a;                                      \
        double total = 0.0;                                                             \
        unsigned options = loss_options(&local);                                        \
        VEC_SPECIALIZE_CALL(options, total, name##_run, &local, &k);                    \
        return total;                                                                   \
    }

#endif /* LOSSOPT_LOSS_ELEMENTWISE_H */
