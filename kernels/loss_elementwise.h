/* kernels/loss_elementwise.h - the driver every elementwise loss shares,
 * written once against the vector layer: loads, per-element math (each
 * loss's element function), gradient and per-element stores, summed by the
 * canonical accumulator (kernels/vec/canonical_sum.h). Included by
 * kernels/loss_*.c only. */
#ifndef LOSSOPT_LOSS_ELEMENTWISE_H
#define LOSSOPT_LOSS_ELEMENTWISE_H

#include "kernel_table.h"
#include "vec/canonical_sum.h"
#include "vec/vec.h"

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
    vfloat grad_scale, delta, half_delta, pos_weight, pos_weight_minus_1, eps;
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

/* One vector of per-element losses and gradients of one loss, from the input
 * x, target t and weight w (1 when unweighted); each loss's element function
 * has this type and is passed, as a constant, to loss_kernel below. */
typedef void loss_element_fn(vfloat x, vfloat t, vfloat w, const loss_vectors *k,
                             unsigned options, vfloat *loss, vfloat *grad);

typedef struct loss_walk {
    const lossopt_elementwise_args *a;
    const loss_vectors *k;
    loss_element_fn *element;
    unsigned options; /* a constant in each specialised loop */
} loss_walk;

/* The per-vector function of the canonical walk: loads, the loss's element
 * function, the stores; the loss values are the term of the one sum. */
LOSSOPT_ALWAYS_INLINE void loss_vector(void *context, size_t offset, size_t count, vfloat *terms)
{
    const loss_walk *walk = context;
    const lossopt_elementwise_args *a = walk->a;
    unsigned options = walk->options;
    vfloat x = vec_load_n(a->input + offset, count);
    vfloat t = vec_load_n(a->target + offset, count);
    vfloat w = (options & LOSS_WEIGHTED) ? vec_load_n(a->weight + offset, count) : vec_set1(1.0f);
    vfloat loss, grad;
    walk->element(x, t, w, walk->k, options, &loss, &grad);
    if (options & LOSS_GRAD)
        vec_store_n(a->grad + offset, grad, count);
    if (options & LOSS_PER_ELEMENT)
        vec_store_n(a->loss + offset, loss, count);
    terms[0] = loss;
}

LOSSOPT_ALWAYS_INLINE double loss_run(const lossopt_elementwise_args *a, const loss_vectors *k,
                                      loss_element_fn *element, unsigned options)
{
    loss_walk walk = {a, k, element, options};
    vec_sum sum;
    vec_sum_start(&sum);
    vec_sum_walk(&walk, a->n, loss_vector, &sum, (options & LOSS_REDUCE) ? 1 : 0);
    return (options & LOSS_REDUCE) ? sum.total : 0.0;
}

/* The whole kernel of one elementwise loss: every option combination gets
 * its own loop (VEC_SPECIALIZE_CALL). Each kernels/loss_*.c defines
 * KERNEL_NAME(<loss>_f32) as loss_kernel(a, <loss>_element). */
LOSSOPT_ALWAYS_INLINE double loss_kernel(const lossopt_elementwise_args *a,
                                         loss_element_fn *element)
{
    /* broadcast into locals: the loop's float stores may alias *a's floats */
    const loss_vectors k = {vec_set1(a->grad_scale), vec_set1(a->delta), vec_set1(a->half_delta),
                            vec_set1(a->pos_weight), vec_set1(a->pos_weight_minus_1),
                            vec_set1(a->eps)};
    const lossopt_elementwise_args local = *a;
    double total = 0.0;
    unsigned options = loss_options(&local);
    VEC_SPECIALIZE_CALL(options, total, loss_run, &local, &k, element);
    return total;
}

#endif /* LOSSOPT_LOSS_ELEMENTWISE_H */
