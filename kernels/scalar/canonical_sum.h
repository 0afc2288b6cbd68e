/* kernels/scalar/canonical_sum.h - the canonical summation order of
 * include/lossopt.h, written out literally for the scalar oracle (the vector
 * accumulator's twin, kernels/vec/canonical_sum.h): values are added with
 * their index j (0, 1, 2, ... in order); blocks of LOSSOPT_SUM_BLOCK, element
 * j to lane j mod LOSSOPT_SUM_LANES in float from -0, the fixed fold, block
 * sums in double. */
#ifndef LOSSOPT_CANONICAL_SUM_H
#define LOSSOPT_CANONICAL_SUM_H

#include <stddef.h>

#include "canonical_order.h"

#define CANONICAL_BLOCK LOSSOPT_SUM_BLOCK
#define CANONICAL_LANES LOSSOPT_SUM_LANES

typedef struct canonical_sum {
    double total;
    float lane[CANONICAL_LANES];
} canonical_sum;

static inline void canonical_clear_lanes(canonical_sum *s)
{
    for (int j = 0; j < CANONICAL_LANES; j++)
        s->lane[j] = -0.0f;
}

static inline void canonical_start(canonical_sum *s)
{
    s->total = -0.0;
    canonical_clear_lanes(s);
}

/* lane j += lane j+8, then j+4, j+2, j+1; the block sum joins the total */
static inline void canonical_flush(canonical_sum *s)
{
    for (int width = CANONICAL_LANES / 2; width >= 1; width /= 2)
        for (int j = 0; j < width; j++)
            s->lane[j] += s->lane[j + width];
    s->total += (double)s->lane[0];
    canonical_clear_lanes(s);
}

static inline void canonical_add(canonical_sum *s, size_t j, float value)
{
    if (j > 0 && j % CANONICAL_BLOCK == 0)
        canonical_flush(s);
    s->lane[j % CANONICAL_LANES] += value;
}

/* The sum of n added values (n > 0), or -0 for none. */
static inline double canonical_finish(canonical_sum *s, size_t n)
{
    if (n > 0)
        canonical_flush(s);
    return s->total;
}

#endif /* LOSSOPT_CANONICAL_SUM_H */
