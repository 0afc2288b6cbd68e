/* kernels/row_sums.h - what the row-wise losses' vector passes share: two
 * canonical sums over one row (kernels/vec/canonical_sum.h) and leaving one
 * index out of a sum. */
#ifndef LOSSOPT_ROW_SUMS_H
#define LOSSOPT_ROW_SUMS_H

#include "vec/canonical_sum.h"
#include "vec/vec.h"

/* The canonical sums of terms[0] and terms[1] of vector() over a row of
 * `classes` elements: returns the first, stores the second. */
LOSSOPT_ALWAYS_INLINE double row_two_sums(void *context, size_t classes,
                                          vec_sum_vector_fn *vector, double *second)
{
    vec_sum sums[2];
    vec_sum_start(&sums[0]);
    vec_sum_start(&sums[1]);
    vec_sum_walk(context, classes, vector, sums, 2);
    *second = sums[1].total;
    return sums[0].total;
}

/* v with lane (index - offset) set to -0.0f when index falls in
 * [offset, offset + count): leaves a row's label out of a sum. */
LOSSOPT_ALWAYS_INLINE vfloat row_drop_index(vfloat v, size_t offset, size_t count, size_t index)
{
    if (index - offset < count) { /* unsigned: index in this vector */
        float lanes[VEC_WIDTH];
        vec_store(lanes, v);
        lanes[index - offset] = -0.0f;
        v = vec_load(lanes);
    }
    return v;
}

/* A walk over one canonical block of a row: vector() of the row's elements
 * block + offset, and terms[0] of element left_out replaced by -0 when
 * `dropping` (only the block that holds left_out tests for it). */
typedef struct row_block_walk {
    void *context;
    vec_sum_vector_fn *vector;
    size_t block, left_out;
} row_block_walk;

LOSSOPT_ALWAYS_INLINE void row_block_vector(void *walk, size_t offset, size_t count,
                                            vfloat *terms)
{
    const row_block_walk *w = walk;
    w->vector(w->context, w->block + offset, count, terms);
}

LOSSOPT_ALWAYS_INLINE void row_block_vector_dropping(void *walk, size_t offset, size_t count,
                                                     vfloat *terms)
{
    const row_block_walk *w = walk;
    w->vector(w->context, w->block + offset, count, terms);
    terms[0] = row_drop_index(terms[0], w->block + offset, count, w->left_out);
}

/* The canonical sums of terms[0 .. sum_count) of vector() over a row of
 * `classes` elements, element left_out's terms[0] replaced by -0 (x + -0 ==
 * x: as if it were left out; left_out >= classes leaves nothing out). The
 * row is walked one canonical block at a time, which is the order of one
 * walk over the whole row (vec_sum_walk flushes at each block's end), so
 * that the index test runs in the one block that holds left_out and not
 * for every vector of the row. The caller has started the sums. */
LOSSOPT_ALWAYS_INLINE void row_sums_leaving_out(void *context, size_t classes,
                                                vec_sum_vector_fn *vector, size_t left_out,
                                                vec_sum *sums, int sum_count)
{
    row_block_walk w = {context, vector, 0, left_out};
    for (; w.block < classes; w.block += LOSSOPT_SUM_BLOCK) {
        size_t n = classes - w.block < LOSSOPT_SUM_BLOCK ? classes - w.block : LOSSOPT_SUM_BLOCK;
        if (left_out - w.block < n) /* unsigned: left_out in this block */
            vec_sum_walk(&w, n, row_block_vector_dropping, sums, sum_count);
        else
            vec_sum_walk(&w, n, row_block_vector, sums, sum_count);
    }
}

#endif /* LOSSOPT_ROW_SUMS_H */
