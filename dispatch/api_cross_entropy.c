/* dispatch/api_cross_entropy.c - lossopt_cross_entropy_f32 and
 * lossopt_cross_entropy_probs_f32: validation (every label checked before
 * anything is written), the per-call scalars (in double), the chosen ISA's
 * kernel (kernels/loss_cross_entropy.c; the oracle in kernels/scalar/), and
 * the MEAN or SUM of its row losses. Formulas and order: include/lossopt.h. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "loss_io.h"
#include "lossopt_internal.h"

#define MAX_ELEMENTS (SIZE_MAX / sizeof(float))

/* The checks both cross-entropy forms share, in the contract's order:
 * NULL, SIZE, ARG (the second input is labels or target probabilities). */
static lossopt_status validate_rows(const void *logits, const void *second_input, size_t rows,
                                    size_t classes, const lossopt_ce_options *opt,
                                    const float *loss, const void *grad)
{
    if ((rows > 0 && (logits == NULL || second_input == NULL)) || (loss == NULL && grad == NULL))
        return LOSSOPT_ERR_NULL;
    if (classes == 0 || rows > MAX_ELEMENTS / classes)
        return LOSSOPT_ERR_SIZE;
    lossopt_reduction reduction = opt->reduction;
    float eps = opt->label_smoothing;
    if ((reduction != LOSSOPT_MEAN && reduction != LOSSOPT_SUM && reduction != LOSSOPT_NONE) ||
        !(eps >= 0.0f && eps <= 1.0f))
        return LOSSOPT_ERR_ARG;
    return LOSSOPT_OK;
}

/* validate_rows, then the io plan, in the contract's order (NULL, SIZE,
 * then ARG from either). */
static lossopt_status validate_with_io(const void *logits, const void *second_input, size_t rows,
                                       size_t classes, const lossopt_ce_options *opt,
                                       const lossopt_loss_io *io, unsigned allows,
                                       const float *loss, const void *grad, loss_io_plan *plan)
{
    lossopt_status status = validate_rows(logits, second_input, rows, classes, opt, loss, grad);
    if (status == LOSSOPT_ERR_NULL || status == LOSSOPT_ERR_SIZE)
        return status;
    lossopt_status io_status =
        loss_io_plan_make(io, LOSS_IO_ROW_WISE | allows, rows, classes, logits, grad, plan);
    return io_status != LOSSOPT_OK ? io_status : status;
}

/* MEAN's divisor (the kept labels' weights, or their count) and the labels'
 * domain check, before any write: -1 when a label is >= classes. */
static double kept_weight(const void *labels, lossopt_label_type type, size_t rows,
                          size_t classes, const float *w)
{
    double divisor = 0.0;
    for (size_t r = 0; r < rows; r++) {
        int64_t label = loss_io_label(labels, type, r);
        if (label >= 0 && (uint64_t)label >= classes)
            return -1.0;
        if (label >= 0)
            divisor += w ? (double)w[label] : 1.0;
    }
    return divisor;
}

/* One row of a staged cross-entropy or nll call: the kernel with rows = 1. */
typedef struct labelled_rows {
    const lossopt_kernel_table *table;
    const void *args; /* the call's args: lossopt_cross_entropy_args or lossopt_nll_args */
    const void *labels;
    lossopt_label_type type;
} labelled_rows;

static double cross_entropy_row(void *context, size_t r, const float *x, float *g)
{
    const labelled_rows *c = context;
    const lossopt_cross_entropy_args *a = c->args;
    int64_t label = loss_io_label(c->labels, c->type, r);
    lossopt_cross_entropy_args b = *a;
    b.logits = x;
    b.labels = &label;
    b.rows = 1;
    b.loss = a->loss ? a->loss + r : NULL;
    b.grad = g;
    return c->table->cross_entropy_f32(&b);
}

static double nll_row(void *context, size_t r, const float *x, float *g)
{
    const labelled_rows *c = context;
    const lossopt_nll_args *a = c->args;
    int64_t label = loss_io_label(c->labels, c->type, r);
    lossopt_nll_args b = *a;
    b.log_probs = x;
    b.labels = &label;
    b.rows = 1;
    b.loss = a->loss ? a->loss + r : NULL;
    b.grad = g;
    return c->table->nll_f32(&b);
}

typedef struct probs_rows {
    const lossopt_kernel_table *table;
    const lossopt_cross_entropy_probs_args *a;
    size_t stride;
} probs_rows;

static double cross_entropy_probs_row(void *context, size_t r, const float *x, float *g)
{
    const probs_rows *c = context;
    lossopt_cross_entropy_probs_args b = *c->a;
    b.logits = x;
    b.targets = c->a->targets + r * c->stride;
    b.rows = 1;
    b.loss = c->a->loss ? c->a->loss + r : NULL;
    b.grad = g;
    return c->table->cross_entropy_probs_f32(&b);
}

lossopt_status lossopt_cross_entropy_io_with_table(const lossopt_kernel_table *table,
                                                   const void *logits, const void *labels,
                                                   size_t rows, size_t classes,
                                                   const lossopt_ce_options *opt,
                                                   const lossopt_loss_io *io, float *loss,
                                                   void *grad)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    const lossopt_ce_options none = {LOSSOPT_MEAN, NULL, 0.0f};
    if (opt == NULL)
        opt = &none;
    loss_io_plan plan;
    lossopt_status status = validate_with_io(logits, labels, rows, classes, opt, io,
                                             LOSS_IO_IN_PLACE_OK, loss, grad, &plan);
    if (status != LOSSOPT_OK)
        return status;
    lossopt_reduction reduction = opt->reduction;
    float eps = opt->label_smoothing;

    /* Labels: the domain check, and MEAN's divisor, before any write. */
    const float *w = opt->class_weight;
    double divisor = kept_weight(labels, plan.labels, rows, classes, w);
    if (divisor < 0.0)
        return LOSSOPT_ERR_DOMAIN;
    if (reduction != LOSSOPT_MEAN)
        divisor = 1.0;

    bool reduce = reduction != LOSSOPT_NONE;
    if (rows == 0) {
        if (reduce && loss)
            *loss = reduction == LOSSOPT_SUM ? 0.0f : NAN;
        return LOSSOPT_OK;
    }
    double weight_sum = (double)classes; /* W, summed in class order when weighted */
    if (w && eps > 0.0f) { /* only smoothing uses W */
        weight_sum = 0.0;
        for (size_t j = 0; j < classes; j++)
            weight_sum += (double)w[j];
    }
    double smoothing = eps, per_class = smoothing / (double)classes;
    /* A term whose coefficient is exactly 0 contributes nothing: without
     * smoothing no class weight but the labels' is read (PyTorch reads them
     * only where used), so an inf or NaN weight of a class absent from the
     * batch cannot poison it through 0 * inf; with eps = 1 the NLL term is
     * gone likewise. */
    lossopt_cross_entropy_args a = {
        .logits = logits,
        .labels = labels,
        .rows = rows,
        .classes = classes,
        .weight = w,
        .loss = reduce ? NULL : loss,
        .grad = grad,
        .divisor = divisor,
        .weight_sum = weight_sum,
        .smoothing = smoothing,
        .per_class = per_class,
        .offset = (float)(per_class / divisor),
        .smooth = eps > 0.0f,
        .keep_nll = eps < 1.0f,
    };
    double total;
    if (!plan.staged) {
        total = table->cross_entropy_f32(&a);
    } else {
        labelled_rows context = {table, &a, labels, plan.labels};
        status = loss_io_run_rows(table, &plan, rows, classes, logits, grad, cross_entropy_row,
                                  &context, &total);
        if (status != LOSSOPT_OK)
            return status;
    }
    if (reduce && loss)
        *loss = reduction == LOSSOPT_SUM ? (float)total : (float)(total / divisor);
    return LOSSOPT_OK;
}

lossopt_status lossopt_cross_entropy_f32_with_table(const lossopt_kernel_table *table,
                                                    const float *logits, const int64_t *labels,
                                                    size_t rows, size_t classes,
                                                    const lossopt_ce_options *opt, float *loss,
                                                    float *grad)
{
    return lossopt_cross_entropy_io_with_table(table, logits, labels, rows, classes, opt, NULL,
                                               loss, grad);
}

lossopt_status lossopt_cross_entropy_f32(const float *logits, const int64_t *labels, size_t rows,
                                         size_t classes, const lossopt_ce_options *opt,
                                         float *loss, float *grad)
{
    return lossopt_cross_entropy_io_with_table(lossopt_active_table(), logits, labels, rows,
                                               classes, opt, NULL, loss, grad);
}

lossopt_status lossopt_cross_entropy(const void *logits, const void *labels, size_t rows,
                                     size_t classes, const lossopt_ce_options *opt,
                                     const lossopt_loss_io *io, float *loss, void *grad)
{
    return lossopt_cross_entropy_io_with_table(lossopt_active_table(), logits, labels, rows,
                                               classes, opt, io, loss, grad);
}

lossopt_status lossopt_cross_entropy_probs_io_with_table(const lossopt_kernel_table *table,
                                                         const void *logits,
                                                         const float *target_probs, size_t rows,
                                                         size_t classes,
                                                         const lossopt_ce_options *opt,
                                                         const lossopt_loss_io *io, float *loss,
                                                         void *grad)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    const lossopt_ce_options none = {LOSSOPT_MEAN, NULL, 0.0f};
    if (opt == NULL)
        opt = &none;
    loss_io_plan plan;
    lossopt_status status = validate_with_io(logits, target_probs, rows, classes, opt, io,
                                             LOSS_IO_IN_PLACE_OK, loss, grad, &plan);
    if (status != LOSSOPT_OK)
        return status;
    lossopt_reduction reduction = opt->reduction;
    bool reduce = reduction != LOSSOPT_NONE;
    if (rows == 0) {
        if (reduce && loss)
            *loss = reduction == LOSSOPT_SUM ? 0.0f : NAN;
        return LOSSOPT_OK;
    }
    double divisor = reduction == LOSSOPT_MEAN ? (double)rows : 1.0;
    double eps = opt->label_smoothing;
    lossopt_cross_entropy_probs_args a = {
        .logits = logits,
        .targets = target_probs,
        .rows = rows,
        .classes = classes,
        .weight = opt->class_weight,
        .loss = reduce ? NULL : loss,
        .grad = grad,
        .smoothing = eps > 0,
        .keep = (float)(1.0 - eps),
        .spread = (float)(eps / (double)classes),
        .inv_d = (float)(1.0 / divisor),
    };
    double total;
    if (!plan.staged) {
        total = table->cross_entropy_probs_f32(&a);
    } else {
        probs_rows context = {table, &a, plan.stride};
        status = loss_io_run_rows(table, &plan, rows, classes, logits, grad,
                                  cross_entropy_probs_row, &context, &total);
        if (status != LOSSOPT_OK)
            return status;
    }
    if (reduce && loss)
        *loss = reduction == LOSSOPT_SUM ? (float)total : (float)(total / divisor);
    return LOSSOPT_OK;
}

lossopt_status lossopt_cross_entropy_probs_f32_with_table(const lossopt_kernel_table *table,
                                                          const float *logits,
                                                          const float *target_probs, size_t rows,
                                                          size_t classes,
                                                          const lossopt_ce_options *opt,
                                                          float *loss, float *grad)
{
    return lossopt_cross_entropy_probs_io_with_table(table, logits, target_probs, rows, classes,
                                                     opt, NULL, loss, grad);
}

lossopt_status lossopt_cross_entropy_probs_f32(const float *logits, const float *target_probs,
                                               size_t rows, size_t classes,
                                               const lossopt_ce_options *opt, float *loss,
                                               float *grad)
{
    return lossopt_cross_entropy_probs_io_with_table(lossopt_active_table(), logits, target_probs,
                                                     rows, classes, opt, NULL, loss, grad);
}

lossopt_status lossopt_cross_entropy_probs(const void *logits, const float *target_probs,
                                           size_t rows, size_t classes,
                                           const lossopt_ce_options *opt,
                                           const lossopt_loss_io *io, float *loss, void *grad)
{
    return lossopt_cross_entropy_probs_io_with_table(lossopt_active_table(), logits, target_probs,
                                                     rows, classes, opt, io, loss, grad);
}

/* nll on log-probabilities: the cross-entropy options with label_smoothing 0,
 * the labels' checks and MEAN's divisor as lossopt_cross_entropy_f32. */
lossopt_status lossopt_nll_io_with_table(const lossopt_kernel_table *table, const void *log_probs,
                                         const void *labels, size_t rows, size_t classes,
                                         const lossopt_ce_options *opt, const lossopt_loss_io *io,
                                         float *loss, void *grad)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    const lossopt_ce_options none = {LOSSOPT_MEAN, NULL, 0.0f};
    if (opt == NULL)
        opt = &none;
    loss_io_plan plan;
    lossopt_status status =
        validate_with_io(log_probs, labels, rows, classes, opt, io, 0u, loss, grad, &plan);
    if (status != LOSSOPT_OK)
        return status;
    if (opt->label_smoothing != 0.0f) /* nll_loss has no smoothing */
        return LOSSOPT_ERR_ARG;
    lossopt_reduction reduction = opt->reduction;
    const float *w = opt->class_weight;
    double divisor = kept_weight(labels, plan.labels, rows, classes, w);
    if (divisor < 0.0)
        return LOSSOPT_ERR_DOMAIN;
    if (reduction != LOSSOPT_MEAN)
        divisor = 1.0;
    bool reduce = reduction != LOSSOPT_NONE;
    if (rows == 0) {
        if (reduce && loss)
            *loss = reduction == LOSSOPT_SUM ? 0.0f : NAN;
        return LOSSOPT_OK;
    }
    lossopt_nll_args a = {
        .log_probs = log_probs,
        .labels = labels,
        .rows = rows,
        .classes = classes,
        .weight = w,
        .loss = reduce ? NULL : loss,
        .grad = grad,
        .divisor = divisor,
    };
    double total;
    if (!plan.staged) {
        total = table->nll_f32(&a);
    } else {
        labelled_rows context = {table, &a, labels, plan.labels};
        status = loss_io_run_rows(table, &plan, rows, classes, log_probs, grad, nll_row, &context,
                                  &total);
        if (status != LOSSOPT_OK)
            return status;
    }
    if (reduce && loss)
        *loss = reduction == LOSSOPT_SUM ? (float)total : (float)(total / divisor);
    return LOSSOPT_OK;
}

lossopt_status lossopt_nll_f32_with_table(const lossopt_kernel_table *table,
                                          const float *log_probs, const int64_t *labels,
                                          size_t rows, size_t classes,
                                          const lossopt_ce_options *opt, float *loss, float *grad)
{
    return lossopt_nll_io_with_table(table, log_probs, labels, rows, classes, opt, NULL, loss,
                                     grad);
}

lossopt_status lossopt_nll_f32(const float *log_probs, const int64_t *labels, size_t rows,
                               size_t classes, const lossopt_ce_options *opt, float *loss,
                               float *grad)
{
    return lossopt_nll_io_with_table(lossopt_active_table(), log_probs, labels, rows, classes, opt,
                                     NULL, loss, grad);
}

lossopt_status lossopt_nll(const void *log_probs, const void *labels, size_t rows, size_t classes,
                           const lossopt_ce_options *opt, const lossopt_loss_io *io, float *loss,
                           void *grad)
{
    return lossopt_nll_io_with_table(lossopt_active_table(), log_probs, labels, rows, classes, opt,
                                     io, loss, grad);
}
