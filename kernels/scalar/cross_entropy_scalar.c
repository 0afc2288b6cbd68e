/* kernels/scalar/cross_entropy_scalar.c - the scalar oracle of cross-entropy's
 * per-row passes: the same operations as kernels/loss_cross_entropy.c, with
 * the canonical summation order written out literally. */
#include <math.h>

#include "kernel_table.h"
#include "scalar/scalar_kernels.h"
#include "scalar/scalar_math.h"

#define BLOCK 256
#define LANES 16

static float max_nan(float a, float b)
{
    if (isnan(a) || isnan(b)) return isnan(a) ? a : b;
    return a > b ? a : b;
}

float row_max_scalar(const float *x, size_t classes)
{
    float m = -INFINITY;
    for (size_t j = 0; j < classes; j++)
        m = max_nan(x[j], m);
    return m;
}

static float fold(float lane[LANES])
{
    for (int width = LANES / 2; width >= 1; width /= 2)
        for (int j = 0; j < width; j++)
            lane[j] += lane[j + width];
    return lane[0];
}

double row_exp_scalar(const float *x, size_t classes, float m, size_t label, float *e_out,
                      const float *weight, double *shift_sum)
{
    double total = -0.0, shift_total = -0.0;
    for (size_t block = 0; block < classes; block += BLOCK) {
        float lane[LANES], shift_lane[LANES];
        for (int j = 0; j < LANES; j++)
            lane[j] = shift_lane[j] = -0.0f;
        size_t end = classes - block < BLOCK ? classes : block + BLOCK;
        for (size_t j = block; j < end; j++) {
            float shifted = x[j] - m;
            float e = lossopt_scalar_exp_of_difference(x[j], m);
            if (e_out)
                e_out[j] = e;
            lane[(j - block) % LANES] += j == label ? -0.0f : e;
            if (shift_sum)
                shift_lane[(j - block) % LANES] += weight ? weight[j] * shifted : shifted;
        }
        total += (double)fold(lane);
        shift_total += (double)fold(shift_lane);
    }
    if (shift_sum)
        *shift_sum = shift_total;
    return total;
}

void row_grad_scalar(float *g, size_t classes, float scale, float offset, const float *weight)
{
    for (size_t j = 0; j < classes; j++) {
        float subtract = weight ? weight[j] * offset : offset;
        g[j] = fmaf(g[j], scale, -subtract);
    }
}
