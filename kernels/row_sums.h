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

#endif /* LOSSOPT_ROW_SUMS_H */
