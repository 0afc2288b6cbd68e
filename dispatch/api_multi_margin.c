/* dispatch/api_multi_margin.c - lossopt_multi_margin_f32: validation (every
 * label checked before anything is written), then per row the chosen ISA's
 * margin pass around per-row scalar steps that are the same code on every
 * ISA. Formulas and order: include/lossopt.h. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lossopt_internal.h"

#define MAX_ELEMENTS (SIZE_MAX / sizeof(float))

lossopt_status lossopt_multi_margin_f32_with_table(const lossopt_kernel_table *table,
                                                   const float *scores, const int64_t *labels,
                                                   size_t rows, size_t classes, int p,
                                                   float margin, const float *class_weight,
                                                   lossopt_reduction r, float *loss, float *grad)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    if ((rows > 0 && (scores == NULL || labels == NULL)) || (loss == NULL && grad == NULL))
        return LOSSOPT_ERR_NULL;
    if (classes == 0 || rows > MAX_ELEMENTS / classes)
        return LOSSOPT_ERR_SIZE;
    if ((r != LOSSOPT_MEAN && r != LOSSOPT_SUM && r != LOSSOPT_NONE) || (p != 1 && p != 2) ||
        isnan(margin))
        return LOSSOPT_ERR_ARG;
    double kept = 0.0;
    for (size_t row = 0; row < rows; row++) {
        if (labels[row] >= 0 && (uint64_t)labels[row] >= classes)
            return LOSSOPT_ERR_DOMAIN;
        kept += labels[row] >= 0;
    }
    bool reduce = r != LOSSOPT_NONE;
    if (rows == 0) {
        if (reduce && loss)
            *loss = r == LOSSOPT_SUM ? 0.0f : NAN;
        return LOSSOPT_OK;
    }
    double divisor = r == LOSSOPT_MEAN ? kept : 1.0;
    double total = 0.0;
    for (size_t row = 0; row < rows; row++) {
        const float *x = scores + row * classes;
        float *g = grad ? grad + row * classes : NULL;
        int64_t label = labels[row];
        if (label < 0) { /* ignored row */
            if (g)
                memset(g, 0, classes * sizeof(float));
            if (!reduce && loss)
                loss[row] = 0.0f;
            continue;
        }
        size_t y = (size_t)label;
        double w_y = class_weight ? (double)class_weight[y] : 1.0;
        double coefficient = w_y / ((double)classes * divisor);
        double slope_sum;
        /* margin - x_y rounds; carrying its exact error into z_j keeps a
         * small active hinge (z_j near 0) accurate to the last bits */
        float margin_minus_target = margin - x[y];
        /* no error to carry when margin - x_y is not finite (an infinite
         * margin or score, or an overflow): inf - inf would make it NaN */
        float margin_error =
            isfinite(margin_minus_target)
                ? (float)(((double)margin - (double)x[y]) - (double)margin_minus_target)
                : 0.0f;
        double terms = table->row_margin(x, classes, y, margin_minus_target, margin_error, p,
                                         (float)coefficient, g, &slope_sum);
        float row_loss = (float)(w_y * terms / (double)classes);
        if (!reduce && loss)
            loss[row] = row_loss;
        total += (double)row_loss;
        if (g)
            g[y] = (float)(-coefficient * (p == 1 ? slope_sum : 2.0 * slope_sum));
    }
    if (reduce && loss)
        *loss = r == LOSSOPT_SUM ? (float)total : (float)(total / divisor);
    return LOSSOPT_OK;
}

lossopt_status lossopt_multi_margin_f32(const float *scores, const int64_t *labels, size_t rows,
                                        size_t classes, int p, float margin,
                                        const float *class_weight, lossopt_reduction r,
                                        float *loss, float *grad)
{
    return lossopt_multi_margin_f32_with_table(lossopt_active_table(), scores, labels, rows,
                                               classes, p, margin, class_weight, r, loss, grad);
}
