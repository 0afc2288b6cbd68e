/* dispatch/api_multi_margin.c - lossopt_multi_margin_f32: validation (every
 * label checked before anything is written), then the chosen ISA's kernel
 * (kernels/loss_multi_margin.c; the oracle in kernels/scalar/) and the MEAN
 * or SUM of its row losses. Formulas and order: include/lossopt.h. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>
#include <stdint.h>

#include "loss_io.h"
#include "lossopt_internal.h"

#define MAX_ELEMENTS (SIZE_MAX / sizeof(float))

/* One row of a staged call: the kernel with rows = 1. */
typedef struct margin_rows {
    const lossopt_kernel_table *table;
    const lossopt_multi_margin_args *a;
    const void *labels;
    lossopt_label_type type;
} margin_rows;

static double multi_margin_row(void *context, size_t r, const float *x, float *g)
{
    const margin_rows *c = context;
    int64_t label = loss_io_label(c->labels, c->type, r);
    lossopt_multi_margin_args b = *c->a;
    b.scores = x;
    b.labels = &label;
    b.rows = 1;
    b.loss = c->a->loss ? c->a->loss + r : NULL;
    b.grad = g;
    return c->table->multi_margin_f32(&b);
}

lossopt_status lossopt_multi_margin_io_with_table(const lossopt_kernel_table *table,
                                                  const void *scores, const void *labels,
                                                  size_t rows, size_t classes, int p,
                                                  float margin, const float *class_weight,
                                                  lossopt_reduction r, const lossopt_loss_io *io,
                                                  float *loss, void *grad)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    if ((rows > 0 && (scores == NULL || labels == NULL)) || (loss == NULL && grad == NULL))
        return LOSSOPT_ERR_NULL;
    if (classes == 0 || rows > MAX_ELEMENTS / classes)
        return LOSSOPT_ERR_SIZE;
    loss_io_plan plan;
    lossopt_status status =
        loss_io_plan_make(io, LOSS_IO_ROW_WISE, rows, classes, scores, grad, &plan);
    if (status != LOSSOPT_OK)
        return status;
    if ((r != LOSSOPT_MEAN && r != LOSSOPT_SUM && r != LOSSOPT_NONE) || (p != 1 && p != 2) ||
        isnan(margin))
        return LOSSOPT_ERR_ARG;
    double kept = 0.0;
    for (size_t row = 0; row < rows; row++) {
        int64_t label = loss_io_label(labels, plan.labels, row);
        if (label >= 0 && (uint64_t)label >= classes)
            return LOSSOPT_ERR_DOMAIN;
        kept += label >= 0;
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
    double total;
    if (!plan.staged) {
        total = table->multi_margin_f32(&a);
    } else {
        margin_rows context = {table, &a, labels, plan.labels};
        status = loss_io_run_rows(table, &plan, rows, classes, scores, grad, multi_margin_row,
                                  &context, &total);
        if (status != LOSSOPT_OK)
            return status;
    }
    if (reduce && loss)
        *loss = r == LOSSOPT_SUM ? (float)total : (float)(total / a.divisor);
    return LOSSOPT_OK;
}

lossopt_status lossopt_multi_margin_f32_with_table(const lossopt_kernel_table *table,
                                                   const float *scores, const int64_t *labels,
                                                   size_t rows, size_t classes, int p,
                                                   float margin, const float *class_weight,
                                                   lossopt_reduction r, float *loss, float *grad)
{
    return lossopt_multi_margin_io_with_table(table, scores, labels, rows, classes, p, margin,
                                              class_weight, r, NULL, loss, grad);
}

lossopt_status lossopt_multi_margin_f32(const float *scores, const int64_t *labels, size_t rows,
                                        size_t classes, int p, float margin,
                                        const float *class_weight, lossopt_reduction r,
                                        float *loss, float *grad)
{
    return lossopt_multi_margin_io_with_table(lossopt_active_table(), scores, labels, rows,
                                              classes, p, margin, class_weight, r, NULL, loss,
                                              grad);
}

lossopt_status lossopt_multi_margin(const void *scores, const void *labels, size_t rows,
                                    size_t classes, int p, float margin,
                                    const float *class_weight, lossopt_reduction r,
                                    const lossopt_loss_io *io, float *loss, void *grad)
{
    return lossopt_multi_margin_io_with_table(lossopt_active_table(), scores, labels, rows,
                                              classes, p, margin, class_weight, r, io, loss,
                                              grad);
}
