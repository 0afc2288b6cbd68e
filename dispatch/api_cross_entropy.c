/* dispatch/api_cross_entropy.c - lossopt_cross_entropy_f32: validation (every
 * label checked before anything is written), then per row the vector passes
 * of the chosen ISA (max, exp with the canonical sums, gradient) around
 * per-row scalar steps that are the same code on every ISA. Formulas and
 * order: include/lossopt.h. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lossopt_internal.h"
#include "scalar/scalar_math.h"

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
    if (w) {
        weight_sum = 0.0;
        for (size_t j = 0; j < classes; j++)
            weight_sum += (double)w[j];
    }
    double smoothing = eps, per_class = smoothing / (double)classes;
    float offset = (float)(per_class / divisor);
    /* A term whose coefficient is exactly 0 contributes nothing: without
     * smoothing no class weight but the label's is read (PyTorch reads them
     * only where used), so an inf or NaN weight of a class absent from the
     * batch cannot poison it through 0 * inf; with eps = 1 the NLL term is
     * gone likewise. */
    bool smooth = eps > 0.0f, keep_nll = eps < 1.0f;

    double total = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const float *x = logits + r * classes;
        float *g = grad ? grad + r * classes : NULL;
        int64_t label = labels[r];
        if (label < 0) { /* ignored row */
            if (g)
                memset(g, 0, classes * sizeof(float));
            if (!reduce && loss)
                loss[r] = 0.0f;
            continue;
        }
        size_t y = (size_t)label;
        float m = table->row_max(x, classes) + 0.0f; /* -0 -> +0: one m on every ISA */
        double shift_sum = 0.0;
        double s_others = table->row_exp(x, classes, m, y, g, w, smooth ? &shift_sum : NULL);
        float e_y = g ? g[y] : lossopt_scalar_exp_of_difference(x[y], m);
        double s = s_others + (double)e_y;
        /* with a +inf logit m is +inf and e = exp(inf - inf) is NaN: the row's
         * loss and gradient are NaN, as PyTorch's log_softmax gives; the
         * log1p shortcut (which leaves e_y out) must not hide that */
        bool label_is_max = x[y] == m && isfinite(m);
        double log_s = label_is_max ? (double)lossopt_scalar_log1pf((float)s_others)
                                    : (double)lossopt_scalar_logf((float)s);
        double nll = label_is_max ? log_s : ((double)m - (double)x[y]) + log_s;
        double w_y = w ? (double)w[y] : 1.0;
        double row_loss = keep_nll ? (1.0 - smoothing) * w_y * nll : 0.0;
        if (smooth)
            row_loss += per_class * (weight_sum * log_s - shift_sum);
        float row_loss_f = (float)row_loss;
        if (!reduce && loss)
            loss[r] = row_loss_f;
        total += (double)row_loss_f;
        if (g) {
            double a = ((keep_nll ? (1.0 - smoothing) * w_y : 0.0) +
                        (smooth ? per_class * weight_sum : 0.0)) / divisor;
            table->row_grad(g, classes, (float)(a / s), offset, smooth ? w : NULL);
            double spread_y = smooth ? per_class * (weight_sum - w_y) / divisor : 0.0;
            g[y] = (float)(-a * s_others / s + spread_y);
        }
    }
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
    bool smoothing = eps > 0;
    float keep = (float)(1.0 - eps), spread = (float)(eps / (double)classes);
    float inv_d = (float)(1.0 / divisor);
    const float *w = opt->class_weight;

    double total = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const float *x = logits + r * classes, *t = target_probs + r * classes;
        float *g = grad ? grad + r * classes : NULL;
        float m = table->row_max(x, classes) + 0.0f; /* -0 -> +0: one m on every ISA */
        /* leave the max's own e (exactly 1) out of the sum, so that
         * log(S) = log1p(S - 1) keeps its accuracy in a confident row; a row
         * with a +inf logit has no such e (exp(inf - inf) is NaN): it is NaN */
        size_t at_max = isfinite(m) ? table->row_find(x, classes, m) : classes;
        double s_others = table->row_exp(x, classes, m, at_max, g, NULL, NULL);
        double s = at_max < classes ? s_others + 1.0 : s_others;
        double log_s = at_max < classes ? (double)lossopt_scalar_log1pf((float)s_others)
                                        : (double)lossopt_scalar_logf((float)s);
        double shift_sum;
        double v = table->row_soft_sums(x, t, classes, m, w, smoothing, keep, spread, &shift_sum);
        float row_loss = (float)(v * log_s - shift_sum);
        if (!reduce && loss)
            loss[r] = row_loss;
        total += (double)row_loss;
        if (g)
            table->row_grad_soft(g, t, classes, (float)(v / s), w, smoothing, keep, spread, inv_d);
    }
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
