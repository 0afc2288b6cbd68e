/* kernels/row_sums.h - the canonical summation order (include/lossopt.h) over
 * one row of a row-wise loss, for two sums at once, written once for every
 * vector ISA: blocks of 256 from the row start, element j to virtual lane
 * j mod 16 (VEC_PER_16 vectors), the fixed fold, block sums in double. */
#ifndef LOSSOPT_ROW_SUMS_H
#define LOSSOPT_ROW_SUMS_H

#include "vec/vec.h"

#define ROW_SUM_BLOCK 256

/* DEFINE_ROW_TWO_SUMS(name, context_type, VECTOR) defines
 *   double name(const context_type *ctx, size_t classes, double *second)
 * which calls VECTOR(ctx, offset, count, &first, &second_vector) for every
 * vector of the row (count < VEC_WIDTH only at a block's end), sums both
 * outputs in the canonical order and returns the first sum (the second goes
 * to *second). Lanes at and after count are ignored. */
#define DEFINE_ROW_TWO_SUMS(name, context_type, VECTOR)                                   \
    static inline double name(const context_type *ctx, size_t classes, double *second)    \
    {                                                                                     \
        double total = -0.0, second_total = -0.0;                                         \
        for (size_t block = 0; block < classes; block += ROW_SUM_BLOCK) {                 \
            size_t end = classes - block < ROW_SUM_BLOCK ? classes : block + ROW_SUM_BLOCK; \
            vfloat lanes[VEC_PER_16], second_lanes[VEC_PER_16];                           \
            for (int q = 0; q < VEC_PER_16; q++)                                          \
                lanes[q] = second_lanes[q] = vec_set1(-0.0f);                             \
            size_t offset = block;                                                        \
            for (; offset + 16 <= end; offset += 16) {                                    \
                for (int q = 0; q < VEC_PER_16; q++) {                                    \
                    vfloat a, b;                                                          \
                    VECTOR(ctx, offset + q * VEC_WIDTH, VEC_WIDTH, &a, &b);               \
                    lanes[q] = vec_add(lanes[q], a);                                      \
                    second_lanes[q] = vec_add(second_lanes[q], b);                        \
                }                                                                         \
            }                                                                             \
            for (; offset < end; offset += VEC_WIDTH) {                                   \
                size_t count = end - offset < VEC_WIDTH ? end - offset : VEC_WIDTH;       \
                int q = (int)(((offset - block) / VEC_WIDTH) % VEC_PER_16);               \
                vfloat a, b;                                                              \
                VECTOR(ctx, offset, count, &a, &b);                                       \
                lanes[q] = vec_add(lanes[q], vec_keep_first(a, count));                   \
                second_lanes[q] = vec_add(second_lanes[q], vec_keep_first(b, count));     \
            }                                                                             \
            total += (double)vec_fold16(lanes);                                           \
            second_total += (double)vec_fold16(second_lanes);                             \
        }                                                                                 \
        *second = second_total;                                                           \
        return total;                                                                     \
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
