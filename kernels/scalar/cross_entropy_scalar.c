/* kernels/scalar/cross_entropy_scalar.c - the scalar oracle of the row-wise
 * losses' per-row passes (cross-entropy with class indices and soft targets,
 * multi-margin): the same operations as kernels/loss_cross_entropy.c and
 * kernels/loss_multi_margin.c, with the canonical summation order written
 * out literally. */
#include "baseline_only.h" /* first: the oracle runs on any CPU */
#include <math.h>

#include "kernel_table.h"
#include "scalar/scalar_kernels.h"
#include "scalar/canonical_sum.h"
#include "scalar/scalar_math.h"


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

size_t row_find_scalar(const float *x, size_t classes, float value)
{
    for (size_t j = 0; j < classes; j++)
        if (x[j] == value)
            return j;
    return classes;
}


double row_exp_scalar(const float *x, size_t classes, float m, size_t left_out, float *e_out,
                      const float *weight, double *shift_sum)
{
    canonical_sum sum, shift;
    canonical_start(&sum);
    canonical_start(&shift);
    for (size_t j = 0; j < classes; j++) {
        float shifted = x[j] - m;
        float e = lossopt_scalar_exp_of_difference(x[j], m);
        if (e_out)
            e_out[j] = e;
        canonical_add(&sum, j, j == left_out ? -0.0f : e);
        canonical_add(&shift, j, weight ? weight[j] * shifted : shifted);
    }
    if (shift_sum)
        *shift_sum = canonical_finish(&shift, classes);
    return canonical_finish(&sum, classes);
}

void row_grad_scalar(float *g, size_t classes, float scale, float offset, const float *weight)
{
    for (size_t j = 0; j < classes; j++) {
        float subtract = weight ? weight[j] * offset : offset;
        g[j] = fmaf(g[j], scale, -subtract);
    }
}

/* u_j = w_j t~_j, t~_j = fma(t_j, keep, spread) with smoothing. */
static float soft_weight(const float *t, const float *weight, size_t j, bool smoothing, float keep,
                         float spread)
{
    float u = smoothing ? fmaf(t[j], keep, spread) : t[j];
    return weight && u != 0 ? weight[j] * u : u; /* a zero target reads no weight */
}

double row_soft_sums_scalar(const float *x, const float *t, size_t classes, float m,
                            const float *weight, bool smoothing, float keep, float spread,
                            double *shift_sum)
{
    canonical_sum sum, shift;
    canonical_start(&sum);
    canonical_start(&shift);
    for (size_t j = 0; j < classes; j++) {
        float u = soft_weight(t, weight, j, smoothing, keep, spread);
        float shifted = x[j] - m;
        canonical_add(&sum, j, u);
        canonical_add(&shift, j, u == 0 ? 0.0f : u * shifted); /* 0 log 0 = 0 */
    }
    *shift_sum = canonical_finish(&shift, classes);
    return canonical_finish(&sum, classes);
}

void row_grad_soft_scalar(float *g, const float *t, size_t classes, float scale,
                          const float *weight, bool smoothing, float keep, float spread,
                          float inv_d)
{
    for (size_t j = 0; j < classes; j++) {
        float u = soft_weight(t, weight, j, smoothing, keep, spread);
        float difference = fmaf(g[j], scale, -u);
        g[j] = difference * inv_d;
    }
}

double row_margin_scalar(const float *x, size_t classes, size_t label, float margin_minus_target,
                         float margin_error, int p, float c, float *g, double *slope_sum)
{
    canonical_sum terms, slopes;
    canonical_start(&terms);
    canonical_start(&slopes);
    for (size_t j = 0; j < classes; j++) {
        float z = (margin_minus_target + x[j]) + margin_error;
        float h = max_nan(z, 0.0f);
        float term, slope, grad;
        if (p == 1) {
            term = h;
            slope = h > 0 ? 1.0f : isnan(h) ? h : 0.0f;
            grad = h > 0 ? c : isnan(h) ? h : 0.0f;
        } else {
            term = h * h;
            slope = h;
            grad = (c + c) * h;
        }
        if (g)
            g[j] = grad; /* g[label] is overwritten by the caller */
        canonical_add(&terms, j, j == label ? -0.0f : term);
        canonical_add(&slopes, j, j == label ? -0.0f : slope);
    }
    *slope_sum = canonical_finish(&slopes, classes);
    return canonical_finish(&terms, classes);
}
