/* dispatch/api_multi_margin.c - lossopt_multi_margin_f32: validation (every
 * label checked before anything is written), then the chosen ISA's kernel
 * (kernels/loss_multi_margin.c; the oracle in kernels/scalar/) and the MEAN
 * or SUM of its row losses. Formulas and order: include/lossopt.h. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>
#include <stdint.h>

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
    lossopt_multi_margin_args a = {
        .scores = scores,
        .labels = labels,
        .rows = rows,
        .classes = classes,
        .p = p,
        .margin = margin,
        .weight = class_weight,
        .loss = reduce ? NULL : loss,
        .grad = grad,
        .divisor = r == LOSSOPT_MEAN ? kept : 1.0,
    };
    double total = table->multi_margin_f32(&a);
    if (reduce && loss)
        *loss = r == LOSSOPT_SUM ? (float)total : (float)(total / a.divisor);
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
