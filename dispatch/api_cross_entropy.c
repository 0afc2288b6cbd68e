/* dispatch/api_cross_entropy.c - lossopt_cross_entropy_f32 and
 * lossopt_cross_entropy_probs_f32: validation (every label checked before
 * anything is written), the per-call scalars (in double), the chosen ISA's
 * kernel (kernels/loss_cross_entropy.c; the oracle in kernels/scalar/), and
 * the MEAN or SUM of its row losses. Formulas and order: include/lossopt.h. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lossopt_internal.h"

#define MAX_ELEMENTS (SIZE_MAX / sizeof(float))

/* The checks both cross-entropy forms share, in the contract's order:
 * NULL, SIZE, ARG (the second input is labels or target probabilities). */
static lossopt_status validate_rows(const float *logits, const void *second_input, size_t rows,
                                    size_t classes, const lossopt_ce_options *opt,
                                    const float *loss, const float *grad)
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

lossopt_status lossopt_cross_entropy_f32_with_table(const lossopt_kernel_table *table,
                                                    const float *logits, const int64_t *labels,
                                                    size_t rows, size_t classes,
                                                    const lossopt_ce_options *opt, float *loss,
                                                    float *grad)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    const lossopt_ce_options none = {LOSSOPT_MEAN, NULL, 0.0f};
    if (opt == NULL)
        opt = &none;
    lossopt_status status = validate_rows(logits, labels, rows, classes, opt, loss, grad);
    if (status != LOSSOPT_OK)
        return status;
    lossopt_reduction reduction = opt->reduction;
    float eps = opt->label_smoothing;

    /* Labels: the domain check, and MEAN's divisor, before any write. */
    const float *w = opt->class_weight;
    double divisor = 0.0;
    for (size_t r = 0; r < rows; r++) {
        if (labels[r] >= 0 && (uint64_t)labels[r] >= classes)
            return LOSSOPT_ERR_DOMAIN;
        if (labels[r] >= 0)
            divisor += w ? (double)w[labels[r]] : 1.0;
    }
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
    double total = table->cross_entropy_f32(&a);
    if (reduce && loss)
        *loss = reduction == LOSSOPT_SUM ? (float)total : (float)(total / divisor);
    return LOSSOPT_OK;
}

lossopt_status lossopt_cross_entropy_f32(const float *logits, const int64_t *labels, size_t rows,
                                         size_t classes, const lossopt_ce_options *opt,
                                         float *loss, float *grad)
{
    return lossopt_cross_entropy_f32_with_table(lossopt_active_table(), logits, labels, rows,
                                                classes, opt, loss, grad);
}

lossopt_status lossopt_cross_entropy_probs_f32_with_table(const lossopt_kernel_table *table,
                                                          const float *logits,
                                                          const float *target_probs, size_t rows,
                                                          size_t classes,
                                                          const lossopt_ce_options *opt,
                                                          float *loss, float *grad)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    const lossopt_ce_options none = {LOSSOPT_MEAN, NULL, 0.0f};
    if (opt == NULL)
        opt = &none;
    lossopt_status status = validate_rows(logits, target_probs, rows, classes, opt, loss, grad);
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
    double total = table->cross_entropy_probs_f32(&a);
    if (reduce && loss)
        *loss = reduction == LOSSOPT_SUM ? (float)total : (float)(total / divisor);
    return LOSSOPT_OK;
}

lossopt_status lossopt_cross_entropy_probs_f32(const float *logits, const float *target_probs,
                                               size_t rows, size_t classes,
                                               const lossopt_ce_options *opt, float *loss,
                                               float *grad)
{
    return lossopt_cross_entropy_probs_f32_with_table(lossopt_active_table(), logits, target_probs,
                                                      rows, classes, opt, loss, grad);
}

/* nll on log-probabilities: the cross-entropy options with label_smoothing 0,
 * the labels' checks and MEAN's divisor as lossopt_cross_entropy_f32. */
lossopt_status lossopt_nll_f32_with_table(const lossopt_kernel_table *table,
                                          const float *log_probs, const int64_t *labels,
                                          size_t rows, size_t classes,
                                          const lossopt_ce_options *opt, float *loss, float *grad)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    const lossopt_ce_options none = {LOSSOPT_MEAN, NULL, 0.0f};
    if (opt == NULL)
        opt = &none;
    lossopt_status status = validate_rows(log_probs, labels, rows, classes, opt, loss, grad);
    if (status != LOSSOPT_OK)
        return status;
    if (opt->label_smoothing != 0.0f) /* nll_loss has no smoothing */
        return LOSSOPT_ERR_ARG;
    lossopt_reduction reduction = opt->reduction;
    const float *w = opt->class_weight;
    double divisor = 0.0;
    for (size_t r = 0; r < rows; r++) {
        if (labels[r] >= 0 && (uint64_t)labels[r] >= classes)
            return LOSSOPT_ERR_DOMAIN;
        if (labels[r] >= 0)
            divisor += w ? (double)w[labels[r]] : 1.0;
    }
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
    double total = table->nll_f32(&a);
    if (reduce && loss)
        *loss = reduction == LOSSOPT_SUM ? (float)total : (float)(total / divisor);
    return LOSSOPT_OK;
}

lossopt_status lossopt_nll_f32(const float *log_probs, const int64_t *labels, size_t rows,
                               size_t classes, const lossopt_ce_options *opt, float *loss,
                               float *grad)
{
    return lossopt_nll_f32_with_table(lossopt_active_table(), log_probs, labels, rows, classes,
                                      opt, loss, grad);
}
