/* dispatch/api_multilabel.c - lossopt_multilabel_soft_margin_f32 and its
 * io form (16-bit logits, padded rows, a scaled or accumulated or 16-bit
 * gradient: staged a row at a time by dispatch/loss_io.c): validation (NULL, SIZE, ARG, before anything is written; no data-domain
 * check: targets and weights are used as given), the gradient coefficient
 * (in double), the chosen ISA's kernel (kernels/loss_multilabel.c; the oracle
 * in kernels/scalar/multilabel_scalar.c) and the MEAN or SUM of its row
 * losses. Formulas and order: include/lossopt.h. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>
#include <stdint.h>

#include "loss_io.h"
#include "lossopt_internal.h"

#define MAX_ELEMENTS (SIZE_MAX / sizeof(float))

/* One row of a staged call: the kernel with rows = 1 (its total over all
 * rows is the double sum of the float row losses in row order, so summing
 * the rows' totals in order gives the same bits). */
typedef struct multilabel_rows {
    const lossopt_kernel_table *table;
    const lossopt_multilabel_soft_margin_args *a;
    size_t stride; /* the targets share the logits' row stride */
} multilabel_rows;

static double multilabel_row(void *context, size_t r, const float *x, float *g)
{
    const multilabel_rows *c = context;
    lossopt_multilabel_soft_margin_args b = *c->a;
    b.input = x;
    b.target = c->a->target + r * c->stride;
    b.rows = 1;
    b.loss = c->a->loss ? c->a->loss + r : NULL;
    b.grad = g;
    return c->table->multilabel_soft_margin_f32(&b);
}

lossopt_status lossopt_multilabel_soft_margin_io_with_table(
    const lossopt_kernel_table *table, const void *input, const float *target, size_t rows,
    size_t classes, const float *class_weight, lossopt_reduction r, const lossopt_loss_io *io,
    float *loss, void *grad)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    if ((rows > 0 && (input == NULL || target == NULL)) || (loss == NULL && grad == NULL))
        return LOSSOPT_ERR_NULL;
    if (classes == 0 || rows > MAX_ELEMENTS / classes)
        return LOSSOPT_ERR_SIZE;
    loss_io_plan plan;
    lossopt_status status =
        loss_io_plan_make(io, LOSS_IO_ROW_WISE, rows, classes, input, grad, &plan);
    if (status != LOSSOPT_OK)
        return status;
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
    double total;
    if (!plan.staged) {
        total = table->multilabel_soft_margin_f32(&a);
    } else {
        multilabel_rows context = {table, &a, plan.stride};
        status = loss_io_run_rows(table, &plan, rows, classes, input, grad, multilabel_row,
                                  &context, &total);
        if (status != LOSSOPT_OK)
            return status;
    }
    if (reduce && loss)
        *loss = r == LOSSOPT_SUM ? (float)total : (float)(total / divisor);
    return LOSSOPT_OK;
}

lossopt_status lossopt_multilabel_soft_margin_f32_with_table(
    const lossopt_kernel_table *table, const float *input, const float *target, size_t rows,
    size_t classes, const float *class_weight, lossopt_reduction r, float *loss, float *grad)
{
    return lossopt_multilabel_soft_margin_io_with_table(table, input, target, rows, classes,
                                                        class_weight, r, NULL, loss, grad);
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

lossopt_status lossopt_multilabel_soft_margin(const void *input, const float *target, size_t rows,
                                              size_t classes, const float *class_weight,
                                              lossopt_reduction r, const lossopt_loss_io *io,
                                              float *loss, void *grad)
{
    return lossopt_multilabel_soft_margin_io_with_table(lossopt_active_table(), input, target,
                                                        rows, classes, class_weight, r, io, loss,
                                                        grad);
}
