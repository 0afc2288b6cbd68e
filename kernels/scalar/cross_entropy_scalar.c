/* kernels/scalar/cross_entropy_scalar.c - the scalar oracle of the row-wise
 * losses (cross-entropy with class indices and soft targets, multi-margin):
 * the algorithms of include/lossopt.h written out plainly, row by row, with
 * the canonical summation order spelled out literally. The vector kernels
 * (kernels/loss_cross_entropy.c, kernels/loss_multi_margin.c) must give the
 * same bits, per-row scalars included. */
#include "baseline_only.h" /* first: the oracle runs on any CPU */
#include <math.h>
#include <string.h>

#include "float_ops.h"
#include "kernel_table.h"
#include "scalar/scalar_kernels.h"
#include "scalar/canonical_sum.h"
#include "scalar/scalar_math.h"


static float row_max(const float *x, size_t classes)
{
    float m = -INFINITY;
    for (size_t j = 0; j < classes; j++)
        m = lossopt_max_nan(x[j], m);
    return m;
}

static size_t row_find(const float *x, size_t classes, float value)
{
    for (size_t j = 0; j < classes; j++)
        if (x[j] == value)
            return j;
    return classes;
}


/* e_j = exp(x_j - m) (to e_out when not NULL); the sum of e_j over
 * j != left_out; the sum of w_j (x_j - m) into *shift_sum when asked. */
static double row_exp(const float *x, size_t classes, float m, size_t left_out, float *e_out,
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

static void row_grad(float *g, size_t classes, float scale, float offset, const float *weight)
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

static double row_soft_sums(const float *x, const float *t, size_t classes, float m,
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

static void row_grad_soft(float *g, const float *t, size_t classes, float scale,
                          const float *weight, bool smoothing, float keep, float spread,
                          float inv_d)
{
    for (size_t j = 0; j < classes; j++) {
        float u = soft_weight(t, weight, j, smoothing, keep, spread);
        float difference = fmaf(g[j], scale, -u);
        g[j] = difference * inv_d;
    }
}

static double row_margin(const float *x, size_t classes, size_t label, float margin_minus_target,
                         float margin_error, int p, float c, float *g, double *slope_sum)
{
    canonical_sum terms, slopes;
    canonical_start(&terms);
    canonical_start(&slopes);
    for (size_t j = 0; j < classes; j++) {
        float z = (margin_minus_target + x[j]) + margin_error;
        float h = lossopt_max_nan(z, 0.0f);
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

double ORACLE_NAME(cross_entropy_f32)(const lossopt_cross_entropy_args *a)
{
    size_t classes = a->classes;
    const float *w = a->weight;
    double total = 0.0;
    for (size_t r = 0; r < a->rows; r++) {
        const float *x = a->logits + r * classes;
        float *g = a->grad ? a->grad + r * classes : NULL;
        if (a->labels[r] < 0) { /* ignored row: loss 0, gradient 0 */
            if (g)
                memset(g, 0, classes * sizeof(float));
            if (a->loss)
                a->loss[r] = 0.0f;
            continue;
        }
        size_t y = (size_t)a->labels[r];
        float m = row_max(x, classes) + 0.0f; /* -0 -> +0 */
        double shift_sum = 0.0;
        double s_others = row_exp(x, classes, m, y, g, w, a->smooth ? &shift_sum : NULL);
        float e_y = g ? g[y] : lossopt_scalar_exp_of_difference(x[y], m);
        double s = s_others + (double)e_y;
        bool top = x[y] == m && isfinite(m); /* a +inf logit makes the row NaN */
        double log_s = top ? (double)lossopt_scalar_log1pf((float)s_others)
                           : (double)lossopt_scalar_logf((float)s);
        double nll = top ? log_s : ((double)m - (double)x[y]) + log_s;
        double w_y = w ? (double)w[y] : 1.0;
        double row_loss = 0.0;
        if (a->keep_nll)
            row_loss = (1.0 - a->smoothing) * w_y * nll;
        if (a->smooth)
            row_loss += a->per_class * (a->weight_sum * log_s - shift_sum);
        float row_loss_f = (float)row_loss;
        if (a->loss)
            a->loss[r] = row_loss_f;
        total += (double)row_loss_f;
        if (g) {
            double nll_part = a->keep_nll ? (1.0 - a->smoothing) * w_y : 0.0;
            double smooth_part = a->smooth ? a->per_class * a->weight_sum : 0.0;
            double coefficient = (nll_part + smooth_part) / a->divisor;
            row_grad(g, classes, (float)(coefficient / s), a->offset, a->smooth ? w : NULL);
            double spread_y = 0.0;
            if (a->smooth)
                spread_y = a->per_class * (a->weight_sum - w_y) / a->divisor;
            g[y] = (float)(-coefficient * s_others / s + spread_y);
        }
    }
    return total;
}

double ORACLE_NAME(cross_entropy_probs_f32)(const lossopt_cross_entropy_probs_args *a)
{
    size_t classes = a->classes;
    double total = 0.0;
    for (size_t r = 0; r < a->rows; r++) {
        const float *x = a->logits + r * classes, *t = a->targets + r * classes;
        float *g = a->grad ? a->grad + r * classes : NULL;
        float m = row_max(x, classes) + 0.0f; /* -0 -> +0 */
        /* the max's own e (exactly 1) is left out of S and added back, so that
         * log(S) = log1p(S - 1); a row without a finite max has no such e */
        size_t at_max = isfinite(m) ? row_find(x, classes, m) : classes;
        double s_others = row_exp(x, classes, m, at_max, g, NULL, NULL);
        double s = s_others;
        double log_s;
        if (at_max < classes) {
            s = s_others + 1.0;
            log_s = (double)lossopt_scalar_log1pf((float)s_others);
        } else {
            log_s = (double)lossopt_scalar_logf((float)s);
        }
        double shift_sum;
        double v = row_soft_sums(x, t, classes, m, a->weight, a->smoothing, a->keep, a->spread,
                                 &shift_sum);
        float row_loss = (float)(v * log_s - shift_sum);
        if (a->loss)
            a->loss[r] = row_loss;
        total += (double)row_loss;
        if (g)
            row_grad_soft(g, t, classes, (float)(v / s), a->weight, a->smoothing, a->keep,
                          a->spread, a->inv_d);
    }
    return total;
}

double ORACLE_NAME(multi_margin_f32)(const lossopt_multi_margin_args *a)
{
    size_t classes = a->classes;
    double total = 0.0;
    for (size_t row = 0; row < a->rows; row++) {
        const float *x = a->scores + row * classes;
        float *g = a->grad ? a->grad + row * classes : NULL;
        if (a->labels[row] < 0) { /* ignored row: loss 0, gradient 0 */
            if (g)
                memset(g, 0, classes * sizeof(float));
            if (a->loss)
                a->loss[row] = 0.0f;
            continue;
        }
        size_t y = (size_t)a->labels[row];
        double w_y = a->weight ? (double)a->weight[y] : 1.0;
        double coefficient = w_y / ((double)classes * a->divisor);
        /* the exact error of margin - x_y, 0 where that is not finite */
        float margin_minus_target = a->margin - x[y];
        float margin_error = 0.0f;
        if (isfinite(margin_minus_target))
            margin_error =
                (float)(((double)a->margin - (double)x[y]) - (double)margin_minus_target);
        double slope_sum;
        double terms = row_margin(x, classes, y, margin_minus_target, margin_error, a->p,
                                  (float)coefficient, g, &slope_sum);
        float row_loss = (float)(w_y * terms / (double)classes);
        if (a->loss)
            a->loss[row] = row_loss;
        total += (double)row_loss;
        if (g)
            g[y] = (float)(-coefficient * (a->p == 1 ? slope_sum : 2.0 * slope_sum));
    }
    return total;
}
