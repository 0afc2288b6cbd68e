/* dispatch/api_multilabel.c - lossopt_multilabel_soft_margin_f32:
 * validation (NULL, SIZE, ARG, before anything is written; no data-domain
 * check: targets and weights are used as given), the gradient coefficient
 * (in double), the chosen ISA's kernel (kernels/loss_multilabel.c; the oracle
 * in kernels/scalar/multilabel_scalar.c) and the MEAN or SUM of its row
 * losses. Formulas and order: include/lossopt.h. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>
#include <stdint.h>

#include "lossopt_internal.h"

#define MAX_ELEMENTS (SIZE_MAX / sizeof(float))

lossopt_status lossopt_multilabel_soft_margin_f32_with_table(
    const lossopt_kernel_table *table, const float *input, const float *target, size_t rows,
    size_t classes, const float *class_weight, lossopt_reduction r, float *loss, float *grad)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    if ((rows > 0 && (input == NULL || target == NULL)) || (loss == NULL && grad == NULL))
        return LOSSOPT_ERR_NULL;
    if (classes == 0 || rows > MAX_ELEMENTS / classes)
        return LOSSOPT_ERR_SIZE;
    if (r != LOSSOPT_MEAN && r != LOSSOPT_SUM && r != LOSSOPT_NONE)
        return LOSSOPT_ERR_ARG;
    bool reduce = r != LOSSOPT_NONE;
    if (rows == 0) {
        if (reduce && loss)
            *loss = r == LOSSOPT_SUM ? 0.0f : NAN;
        return LOSSOPT_OK;
    }
    double divisor = r == LOSSOPT_MEAN ? (double)rows : 1.0;
    lossopt_multilabel_soft_margin_args a = {
        .input = input,
        .target = target,
        .rows = rows,
        .classes = classes,
        .weight = class_weight,
        .loss = reduce ? NULL : loss,
        .grad = grad,
        .grad_scale = (float)(1.0 / ((double)classes * divisor)),
    };
    double total = table->multilabel_soft_margin_f32(&a);
    if (reduce && loss)
        *loss = r == LOSSOPT_SUM ? (float)total : (float)(total / divisor);
    return LOSSOPT_OK;
}

lossopt_status lossopt_multilabel_soft_margin_f32(const float *input, const float *target,
                                                  size_t rows, size_t classes,
                                                  const float *class_weight, lossopt_reduction r,
                                                  float *loss, float *grad)
{
    return lossopt_multilabel_soft_margin_f32_with_table(lossopt_active_table(), input, target,
                                                         rows, classes, class_weight, r, loss,
                                                         grad);
}
