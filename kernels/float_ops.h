/* kernels/float_ops.h - max and min of two floats as the vector layer
 * defines vec_max and vec_min (kernels/vec/vec.h), for scalar code: the
 * oracle, and the scalar tails of the vector kernels. */
#ifndef LOSSOPT_FLOAT_OPS_H
#define LOSSOPT_FLOAT_OPS_H

#include <math.h>

/* NaN if a or b is NaN (a's if both), else a > b ? a : b: b on ties, so
 * max(-0, +0) = +0 and max(+0, -0) = -0. */
static inline float lossopt_max_nan(float a, float b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) ? a : b;
    return a > b ? a : b;
}

/* NaN if a or b is NaN (a's if both), else a < b ? a : b (b on ties). */
static inline float lossopt_min_nan(float a, float b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) ? a : b;
    return a < b ? a : b;
}

#endif /* LOSSOPT_FLOAT_OPS_H */
