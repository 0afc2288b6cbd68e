/* kernels/vec/canonical_sum.h - the canonical summation order of
 * include/lossopt.h as one vector accumulator, for every vector reduction
 * (elementwise losses, row sums; 0.2's gradient and LAMB norms): blocks of
 * LOSSOPT_SUM_BLOCK elements, element i of a block to virtual lane
 * i mod LOSSOPT_SUM_LANES (VEC_PER_16 vectors of VEC_WIDTH lanes), each lane
 * summed in float from -0, the block's lanes folded by vec_fold16 and added
 * to a double total from -0. kernels/scalar/canonical_sum.h is the oracle's
 * literal twin.
 *
 * vec_sum_walk is the one loop that visits [0, n) in that order: it calls a
 * kernel's per-vector function (always-inline, passed as a constant: the
 * compiler inlines it, lanes stay in registers) and adds its terms. */
#ifndef LOSSOPT_VEC_CANONICAL_SUM_H
#define LOSSOPT_VEC_CANONICAL_SUM_H

#include "canonical_order.h"
#include "vec/vec.h"

_Static_assert(LOSSOPT_SUM_LANES % VEC_WIDTH == 0 && LOSSOPT_SUM_BLOCK % LOSSOPT_SUM_LANES == 0,
               "the canonical lanes must split into whole vectors and blocks into lanes");

/* The most sums one walk keeps (three: cosine_embedding's x1.x2, |x1|^2 and
 * |x2|^2; triplet_margin's three distances with swap). */
#define VEC_SUM_MAX 3

typedef struct vec_sum {
    vfloat lane[VEC_PER_16]; /* virtual lanes q * VEC_WIDTH .. of the current block */
    double total;            /* the finished blocks' sums                           */
} vec_sum;

LOSSOPT_ALWAYS_INLINE void vec_sum_clear_lanes(vec_sum *s)
{
    for (int q = 0; q < VEC_PER_16; q++)
        s->lane[q] = vec_set1(-0.0f);
}

LOSSOPT_ALWAYS_INLINE void vec_sum_start(vec_sum *s)
{
    vec_sum_clear_lanes(s);
    s->total = -0.0;
}

/* Adds v to the lanes of vector q of the block (elements q * VEC_WIDTH ..). */
LOSSOPT_ALWAYS_INLINE void vec_sum_add(vec_sum *s, int q, vfloat v)
{
    s->lane[q] = vec_add(s->lane[q], v);
}

/* The same for the first count lanes of v only (the others add -0). */
LOSSOPT_ALWAYS_INLINE void vec_sum_add_partial(vec_sum *s, int q, vfloat v, size_t count)
{
    s->lane[q] = vec_add(s->lane[q], vec_keep_first(v, count));
}

/* Ends a block: its folded sum joins the total, the lanes start again. */
LOSSOPT_ALWAYS_INLINE void vec_sum_flush(vec_sum *s)
{
    s->total += (double)vec_fold16(s->lane);
    vec_sum_clear_lanes(s);
}

/* The per-vector function of a walk: computes (and stores) whatever the
 * kernel does for elements [offset, offset + count) (count == VEC_WIDTH but
 * for the last vector of n) and writes the vector of terms of each of its
 * sums to terms[0 .. sum_count). Lanes at and after count are ignored. */
typedef void vec_sum_vector_fn(void *context, size_t offset, size_t count, vfloat *terms);

/* Visits [0, n) in the canonical order, calling vector() for every vector
 * and adding its terms to sums[0 .. sum_count) (sum_count a constant 0, 1,
 * 2 or 3; 0 runs vector() for its stores alone). Each sum's total is the
 * canonical sum; the caller has started the sums. */
LOSSOPT_ALWAYS_INLINE void vec_sum_walk(void *context, size_t n, vec_sum_vector_fn *vector,
                                        vec_sum *sums, int sum_count)
{
    vfloat terms[VEC_SUM_MAX];
    for (size_t block = 0; block < n; block += LOSSOPT_SUM_BLOCK) {
        size_t end = n - block < LOSSOPT_SUM_BLOCK ? n : block + LOSSOPT_SUM_BLOCK;
        size_t chunk = block;
        for (; chunk + LOSSOPT_SUM_LANES <= end; chunk += LOSSOPT_SUM_LANES)
            for (int q = 0; q < VEC_PER_16; q++) {
                vector(context, chunk + (size_t)q * VEC_WIDTH, VEC_WIDTH, terms);
                for (int k = 0; k < sum_count; k++)
                    vec_sum_add(&sums[k], q, terms[k]);
            }
        /* the last block's tail: fewer than LOSSOPT_SUM_LANES elements */
        for (int q = 0; q < VEC_PER_16 && chunk + (size_t)q * VEC_WIDTH < end; q++) {
            size_t offset = chunk + (size_t)q * VEC_WIDTH;
            size_t count = end - offset < VEC_WIDTH ? end - offset : VEC_WIDTH;
            vector(context, offset, count, terms);
            for (int k = 0; k < sum_count; k++)
                vec_sum_add_partial(&sums[k], q, terms[k], count);
        }
        for (int k = 0; k < sum_count; k++)
            vec_sum_flush(&sums[k]);
    }
}

#endif /* LOSSOPT_VEC_CANONICAL_SUM_H */
