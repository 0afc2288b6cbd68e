/* kernels/scalar/loss_scalar.c - the scalar oracle of the elementwise losses:
 * per-element formulas in the operation order of include/lossopt.h, and the
 * canonical summation order written out literally (blocks of 256, element i
 * to lane i mod 16, a fixed fold, block sums in double). Hand-written, not
 * generated from the vector template. */
#include "baseline_only.h" /* first: the oracle runs on any CPU */
#include <math.h>

#include "float_ops.h"
#include "kernel_table.h"
#include "scalar/scalar_kernels.h"
#include "scalar/canonical_sum.h"
#include "scalar/scalar_math.h"


static float sign_of(float d) { return d > 0 ? 1.0f : d < 0 ? -1.0f : d; }

/* One element's loss and gradient. */
typedef void (*element_fn)(float x, float t, const lossopt_elementwise_args *a, float *loss,
                           float *grad);

static void mse_element(float x, float t, const lossopt_elementwise_args *a, float *loss,
                        float *grad)
{
    float d = x - t;
    *loss = d * d;
    *grad = a->grad_scale * d;
}

static void l1_element(float x, float t, const lossopt_elementwise_args *a, float *loss,
                       float *grad)
{
    float d = x - t;
    *loss = fabsf(d);
    *grad = sign_of(d) * a->grad_scale;
}

/* The rounding error e of d = x - t (TwoSum); NaN only where d is not
 * finite, where neither loss branch lets it through. */
static float difference_error(float x, float t, float d)
{
    float virtual_t = d - x;
    float virtual_x = d - virtual_t;
    return (x - virtual_x) - (t + virtual_t);
}

/* 0.5 (x - t)^2 from d and e: fma(0.5 d, d, d e). */
static float half_square(float d, float error)
{
    float half_d = 0.5f * d;
    float cross = d * error;
    return fmaf(half_d, d, cross);
}

/* |x - t| - h from d and e: s = |d| - h plus its exact remainder (|d| >= h
 * in the linear branches) and d's error, with the sign |d| gives it. */
static float absolute_minus(float d, float error, float h)
{
    float a = fabsf(d);
    float error_of_abs = d < 0 ? -error : error;
    float s = a - h;
    float remainder = (a - s) - h;
    float tail = remainder + error_of_abs;
    if (isnan(tail)) /* |d| = inf: inf - inf */
        tail = 0.0f;
    return s + tail;
}

static void huber_element(float x, float t, const lossopt_elementwise_args *a, float *loss,
                          float *grad)
{
    float d = x - t, abs_d = fabsf(d), delta = a->delta;
    float error = difference_error(x, t, d);
    if (abs_d < delta)
        *loss = half_square(d, error);
    else
        *loss = delta * absolute_minus(d, error, a->half_delta);
    *grad = lossopt_min_nan(lossopt_max_nan(d, -delta), delta) * a->grad_scale;
}

static void smooth_l1_element(float x, float t, const lossopt_elementwise_args *a, float *loss,
                              float *grad)
{
    float d = x - t, abs_d = fabsf(d), beta = a->delta;
    float error = difference_error(x, t, d);
    if (abs_d < beta) {
        *loss = half_square(d, error) / beta;
        *grad = (d / beta) * a->grad_scale;
    } else {
        *loss = absolute_minus(d, error, a->half_delta);
        *grad = sign_of(d) * a->grad_scale;
    }
}

static void hinge_element(float score, float label, const lossopt_elementwise_args *a,
                          float *loss, float *grad)
{
    float y = label > 0 ? 1.0f : -1.0f;
    float margin = 1.0f - y * score;
    *loss = lossopt_max_nan(margin, 0.0f);
    if (margin > 0)
        *grad = -y * a->grad_scale;
    else
        *grad = isnan(margin) ? margin : 0.0f;
}

static void squared_hinge_element(float score, float label, const lossopt_elementwise_args *a,
                                  float *loss, float *grad)
{
    float y = label > 0 ? 1.0f : -1.0f;
    float margin = 1.0f - y * score;
    float h = lossopt_max_nan(margin, 0.0f);
    *loss = h * h;
    float slope = -y * a->grad_scale;
    *grad = slope * h;
}

static void bce_element(float p, float y, const lossopt_elementwise_args *a, float w,
                        float *loss, float *grad)
{
    float log_p = lossopt_max_nan(lossopt_scalar_logf(p), -100.0f);
    float log_q = lossopt_max_nan(lossopt_scalar_log1pf(-p), -100.0f);
    float y_log_p = y * log_p;
    float u = fmaf(y - 1.0f, log_q, -y_log_p);
    float denominator = lossopt_max_nan((1.0f - p) * p, 1e-12f);
    float q = (p - y) / denominator;
    if (a->weight) {
        u = w * u;
        q = q * w;
    }
    *loss = u;
    *grad = q * a->grad_scale;
}

static void bce_logits_element(float x, float y, const lossopt_elementwise_args *a, float w,
                               float *loss, float *grad)
{
    float e = lossopt_scalar_expf(-fabsf(x));
    float log1p_e = lossopt_scalar_log1pf(e);
    float loss_weight = fmaf(a->pos_weight_minus_1, y, 1.0f);
    float py = a->pos_weight * y;
    float one_minus_y = 1.0f - y;
    float slope = x >= 0 ? one_minus_y : -py;
    float linear = slope == 0 ? 0.0f : slope * x; /* 0 * inf is 0 here: the limits */
    float u = fmaf(loss_weight, log1p_e, linear);
    float numerator = x >= 0 ? fmaf(-py, e, one_minus_y) : fmaf(one_minus_y, e, -py);
    float q = numerator / (1.0f + e);
    if (a->weight) {
        u = w * u;
        q = q * w;
    }
    *loss = u;
    *grad = q * a->grad_scale;
}

static void soft_margin_element(float x, float y, const lossopt_elementwise_args *a, float *loss,
                                float *grad)
{
    float p = y * x;
    float err = fmaf(y, x, -p); /* p + err == y x exactly */
    float z = -p;
    bool up = z >= 0;
    float d = up ? err : -err;
    float e0 = lossopt_scalar_expf(-fabsf(z));
    float e = isnan(d) ? e0 : fmaf(e0, d, e0);
    float log1p_e = lossopt_scalar_log1pf(e);
    *loss = lossopt_max_nan(z, 0.0f) + log1p_e;
    float numerator = up ? 1.0f : e;
    float s = numerator / (1.0f + e);
    float slope = -y * s;
    *grad = slope * a->grad_scale;
}

static void poisson_nll_element(float x, float t, const lossopt_elementwise_args *a, float *loss,
                                float *grad)
{
    float base;
    if (a->log_input) {
        float e = lossopt_scalar_expf(x);
        base = fmaf(-t, x, e);
        *grad = (e - t) * a->grad_scale;
    } else {
        float eps = a->eps;
        float u = x + eps;
        float virtual_eps = u - x; /* TwoSum: u + eu == x + eps exactly */
        float virtual_x = u - virtual_eps;
        float eu = (x - virtual_x) + (eps - virtual_eps);
        float lg = lossopt_scalar_logf(u);
        float q = t / u;
        float b1 = fmaf(-t, lg, x);
        float correction = q * eu;
        base = fabsf(correction) < INFINITY ? b1 - correction : b1;
        *grad = (1.0f - q) * a->grad_scale;
    }
    if (a->full && t > 1.0f) {
        float log_t = lossopt_scalar_logf(t);
        float log_tau_t = lossopt_scalar_logf(LOSSOPT_TWO_PI_F * t);
        float inner = fmaf(0.5f, log_tau_t, -t);
        float stirling = fmaf(t, log_t, inner);
        base = base + stirling;
    }
    *loss = base;
}

/* kl_div: where the target's probability is 0 the term is min(max(x, 0), 0),
 * +0 or NaN (x NaN). */
static float kl_zero_term(float x) { return lossopt_min_nan(lossopt_max_nan(x, 0.0f), 0.0f); }

static void kl_div_element(float x, float t, const lossopt_elementwise_args *a, float *loss,
                           float *grad)
{
    float u = t * x;
    float l = fmaf(t, lossopt_scalar_logf(t), -u);
    *loss = t == 0 ? kl_zero_term(x) : l; /* 0 log 0 = 0 */
    *grad = -t * a->grad_scale;
}

static void kl_div_log_target_element(float x, float t, const lossopt_elementwise_args *a,
                                      float *loss, float *grad)
{
    float e = lossopt_scalar_expf(t);
    float l = e * (t - x);
    *loss = e == 0 ? kl_zero_term(x) : l;
    *grad = -e * a->grad_scale;
}

/* The canonical sum and the stores, for a loss given per element. */
typedef void (*weighted_element_fn)(float x, float t, const lossopt_elementwise_args *a, float w,
                                    float *loss, float *grad);

static double run(const lossopt_elementwise_args *a, element_fn element,
                  weighted_element_fn weighted_element)
{
    canonical_sum sum;
    canonical_start(&sum);
    for (size_t i = 0; i < a->n; i++) {
        float loss, grad;
        if (weighted_element)
            weighted_element(a->input[i], a->target[i], a, a->weight ? a->weight[i] : 1.0f, &loss,
                             &grad);
        else
            element(a->input[i], a->target[i], a, &loss, &grad);
        if (a->grad)
            a->grad[i] = grad;
        if (!a->reduce && a->loss)
            a->loss[i] = loss;
        canonical_add(&sum, i, loss);
    }
    double total = canonical_finish(&sum, a->n);
    return a->reduce ? total : 0.0;
}

double ORACLE_NAME(mse_f32)(const lossopt_elementwise_args *a) { return run(a, mse_element, NULL); }
double ORACLE_NAME(l1_f32)(const lossopt_elementwise_args *a) { return run(a, l1_element, NULL); }
double ORACLE_NAME(huber_f32)(const lossopt_elementwise_args *a) { return run(a, huber_element, NULL); }
double ORACLE_NAME(smooth_l1_f32)(const lossopt_elementwise_args *a)
{
    return run(a, smooth_l1_element, NULL);
}
double ORACLE_NAME(hinge_f32)(const lossopt_elementwise_args *a) { return run(a, hinge_element, NULL); }
double ORACLE_NAME(squared_hinge_f32)(const lossopt_elementwise_args *a)
{
    return run(a, squared_hinge_element, NULL);
}
double ORACLE_NAME(bce_f32)(const lossopt_elementwise_args *a) { return run(a, NULL, bce_element); }
double ORACLE_NAME(bce_logits_f32)(const lossopt_elementwise_args *a)
{
    return run(a, NULL, bce_logits_element);
}

double ORACLE_NAME(soft_margin_f32)(const lossopt_elementwise_args *a)
{
    return run(a, soft_margin_element, NULL);
}
double ORACLE_NAME(poisson_nll_f32)(const lossopt_elementwise_args *a)
{
    return run(a, poisson_nll_element, NULL);
}

double ORACLE_NAME(kl_div_f32)(const lossopt_elementwise_args *a) { return run(a, kl_div_element, NULL); }
double ORACLE_NAME(kl_div_log_target_f32)(const lossopt_elementwise_args *a)
{
    return run(a, kl_div_log_target_element, NULL);
}

/* nll, row by row: loss -(w_y x_y), gradient 0 but (float)(-w_y / D) at y. */
double ORACLE_NAME(nll_f32)(const lossopt_nll_args *a)
{
    double total = 0.0;
    for (size_t r = 0; r < a->rows; r++) {
        int64_t label = a->labels[r];
        const float *x = a->log_probs + r * a->classes;
        float row_loss = 0.0f, label_grad = 0.0f;
        if (label >= 0) {
            size_t y = (size_t)label;
            float w_y = a->weight ? a->weight[y] : 1.0f;
            row_loss = a->weight ? -(w_y * x[y]) : -x[y];
            label_grad = (float)(-(double)w_y / a->divisor);
            total += (double)row_loss;
        }
        if (a->loss)
            a->loss[r] = row_loss;
        if (a->grad)
            for (size_t j = 0; j < a->classes; j++)
                a->grad[r * a->classes + j] = label >= 0 && j == (size_t)label ? label_grad : 0.0f;
    }
    return total;
}

int ORACLE_NAME(both_in_unit_interval)(const float *prob, const float *target, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(prob[i] >= 0 && prob[i] <= 1 && target[i] >= 0 && target[i] <= 1))
            return 0;
    return 1;
}

/* ---- three inputs, two gradients: margin_ranking, gaussian_nll ---------- */

/* TwoSum's rounding error of s = p + q (NaN where s, p or q is not finite). */
static float sum_error(float p, float q, float s)
{
    float virtual_q = s - p;
    float virtual_p = s - virtual_q;
    return (p - virtual_p) + (q - virtual_q);
}

typedef void (*element3_fn)(float a, float b, float c, const lossopt_elementwise3_args *args,
                            float *loss, float *grad_a, float *grad_b);

static void margin_ranking_element(float x1, float x2, float y,
                                   const lossopt_elementwise3_args *args, float *loss,
                                   float *grad_a, float *grad_b)
{
    float margin = args->parameter;
    float d = x1 - x2;
    float e = sum_error(x1, -x2, d); /* d + e == x1 - x2 */
    float neg_y = -y;
    float p = neg_y * d;
    float pe = fmaf(neg_y, d, -p);   /* p + pe == -y d */
    float s = p + margin;
    float se = sum_error(p, margin, s);
    float tail = (se + pe) + neg_y * e;
    if (isnan(tail)) /* d, p or s not finite */
        tail = 0.0f;
    float m = s + tail;
    *loss = lossopt_max_nan(m, 0.0f);
    if (m >= 0) {
        *grad_a = neg_y * args->grad_scale;
        *grad_b = y * args->grad_scale;
    } else {
        *grad_a = *grad_b = isnan(m) ? m : 0.0f;
    }
}

static void gaussian_nll_element(float x, float t, float var,
                                 const lossopt_elementwise3_args *args, float *loss,
                                 float *grad_a, float *grad_b)
{
    float v = lossopt_max_nan(var, args->parameter);
    float d = x - t;
    float e = sum_error(x, -t, d);
    float cross = d * e;
    if (isnan(cross)) /* d not finite */
        cross = 0.0f;
    float h = fmaf(0.5f * d, d, cross); /* 0.5 (x - t)^2 */
    float q = h / v;
    float u = 0.5f * lossopt_scalar_logf(v) + q;
    if (args->full)
        u = u + args->constant;
    *loss = u;
    float z = d / v;
    *grad_a = z * args->grad_scale;
    float w = fmaf(-z, d, 1.0f);
    *grad_b = (w * args->half_grad_scale) / v;
}

static double run3(const lossopt_elementwise3_args *a, element3_fn element)
{
    canonical_sum sum;
    canonical_start(&sum);
    for (size_t i = 0; i < a->n; i++) {
        float loss, grad_a, grad_b;
        element(a->a[i], a->b[i], a->c[i], a, &loss, &grad_a, &grad_b);
        if (a->grad_a)
            a->grad_a[i] = grad_a;
        if (a->grad_b)
            a->grad_b[i] = grad_b;
        if (!a->reduce && a->loss)
            a->loss[i] = loss;
        canonical_add(&sum, i, loss);
    }
    double total = canonical_finish(&sum, a->n);
    return a->reduce ? total : 0.0;
}

double ORACLE_NAME(margin_ranking_f32)(const lossopt_elementwise3_args *a)
{
    return run3(a, margin_ranking_element);
}
double ORACLE_NAME(gaussian_nll_f32)(const lossopt_elementwise3_args *a)
{
    return run3(a, gaussian_nll_element);
}

int ORACLE_NAME(all_nonnegative)(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] < 0)
            return 0;
    return 1;
}
