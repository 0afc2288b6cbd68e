/* kernels/loss_cross_entropy.c - cross-entropy with class-index labels and
 * with soft targets, written once for all vector ISAs: per row the vector
 * passes (max, exp with the canonical sums, gradient) and the per-row
 * scalars between them (in double, SLEEF's scalar log for the row). The
 * scalar oracle, kernels/scalar/cross_entropy_scalar.c, writes the same
 * algorithm out plainly, so the per-row formulas are tested bit for bit too.
 * Order of operations: include/lossopt.h, lossopt_cross_entropy_f32 and
 * lossopt_cross_entropy_probs_f32. */
#include <math.h>
#include <string.h>

#include "float_ops.h"
#include "kernel_table.h"
#include "vec/vec.h"
#include "row_sums.h"


/* max of x[0..classes), NaN if any is NaN. */
static float row_max(const float *x, size_t classes)
{
    size_t j = 0;
    float m = -INFINITY;
    if (classes >= VEC_WIDTH) {
        vfloat lanes = vec_load(x);
        for (j = VEC_WIDTH; j + VEC_WIDTH <= classes; j += VEC_WIDTH)
            lanes = vec_max(vec_load(x + j), lanes);
        float spill[VEC_WIDTH];
        vec_store(spill, lanes);
        for (int l = 0; l < VEC_WIDTH; l++)
            m = lossopt_max_nan(spill[l], m);
    }
    /* the max does not depend on the order (only a NaN's payload or the
     * sign of a zero could, and neither changes exp(x - m) or the loss) */
    for (; j < classes; j++)
        m = lossopt_max_nan(x[j], m);
    return m;
}

/* The first j with x[j] == value, or classes: where a row's max sits. */
static size_t row_find(const float *x, size_t classes, float value)
{
    size_t j = 0;
    vfloat wanted = vec_set1(value);
    for (; j + VEC_WIDTH <= classes; j += VEC_WIDTH)
        if (vec_mask_any(vec_eq(vec_load(x + j), wanted)))
            break;
    for (; j < classes; j++)
        if (x[j] == value)
            return j;
    return classes;
}

/* exp(x - m) where shifted = x - m rounded: the rounding error of the
 * subtraction (exact, by TwoSum) corrects the result, e (1 + err), so a row
 * whose logits span a wide range keeps full accuracy (without it, exp
 * inherits |x - m| * 2^-24 of relative error: 28 ulp at a gap of 56). A NaN
 * error (an infinite x or m) leaves e as it is. */
LOSSOPT_ALWAYS_INLINE vfloat exp_correct(vfloat x, vfloat m, vfloat shifted, vfloat e)
{
    vfloat virtual_m = vec_sub(shifted, x);                  /* -m as rounded into shifted */
    vfloat virtual_x = vec_sub(shifted, virtual_m);
    vfloat err = vec_sub(vec_sub(x, virtual_x), vec_add(m, virtual_m));
    return vec_select(vec_isnan(err), e, vec_fma(e, err, e));
}

LOSSOPT_ALWAYS_INLINE vfloat exp_of_difference(vfloat x, vfloat m, vfloat shifted)
{
    return exp_correct(x, m, shifted, vec_exp(shifted));
}

/* The exp pass: e = exp(x - m), stored when asked, the lane of left_out (the
 * label, or where the max sits) left out of the first sum; the second sum is
 * of w (x - m) when asked. */
typedef struct exp_context {
    const float *x, *weight;
    float *e_out;             /* also holds the raw exp values of phase 1 when not NULL */
    vfloat m;
    size_t left_out;
    bool want_shift;
} exp_context;

LOSSOPT_ALWAYS_INLINE void exp_vector(void *context, size_t offset, size_t count, vfloat *terms)
{
    const exp_context *k = context;
    vfloat logit = vec_load_n(k->x + offset, count);
    vfloat shifted = vec_sub(logit, k->m);
    vfloat e;
    if (k->e_out) /* exp already taken in phase 1: only the correction here */
        e = exp_correct(logit, k->m, shifted, vec_load_n(k->e_out + offset, count));
    else
        e = exp_of_difference(logit, k->m, shifted);
    if (k->e_out)
        vec_store_n(k->e_out + offset, e, count);
    terms[1] = !k->want_shift ? vec_set1(-0.0f)
               : k->weight    ? vec_mul(vec_load_n(k->weight + offset, count), shifted)
                              : shifted;
    terms[0] = row_drop_index(e, offset, count, k->left_out);
}

/* e_j = exp(x_j - m), written to e_out when not NULL; returns the canonical
 * sum of e_j over j != left_out (the label, or where the max sits); stores
 * the canonical sum of w_j (x_j - m) in *shift_sum when that is not NULL. */
static double row_exp(const float *x, size_t classes, float m, size_t left_out, float *e_out,
                      const float *weight, double *shift_sum)
{
    exp_context k = {x, weight, e_out, vec_set1(m), left_out, shift_sum != NULL};
    if (e_out) {
        /* Phase 1: only the exp calls, into e_out. SLEEF's exp is an
         * out-of-line call that clobbers every vector register, so a loop
         * that also kept the sums would spill them around each call; phase 2
         * (row_two_sums over exp_vector) then corrects, sums and stores
         * without calls, while the row is still in cache. Same operations,
         * same bits. */
        for (size_t j = 0; j < classes; j += VEC_WIDTH) {
            size_t count = classes - j < VEC_WIDTH ? classes - j : VEC_WIDTH;
            vec_store_n(e_out + j, vec_exp(vec_sub(vec_load_n(x + j, count), k.m)), count);
        }
    }
    double shift_total;
    double total = row_two_sums(&k, classes, exp_vector, &shift_total);
    if (shift_sum)
        *shift_sum = shift_total;
    return total;
}

/* Soft targets: u = w t~, the sums of u and of u (x - m) (0 where u is 0). */
typedef struct soft_context {
    const float *x, *t, *weight;
    vfloat m, keep, spread;
    bool smoothing;
} soft_context;

LOSSOPT_ALWAYS_INLINE vfloat soft_weight(const float *t, const float *weight, size_t offset,
                                         size_t count, bool smoothing, vfloat keep, vfloat spread)
{
    vfloat u = vec_load_n(t + offset, count);
    if (smoothing)
        u = vec_fma(u, keep, spread);
    if (weight) /* a zero target reads no weight: 0 * inf would be NaN */
        u = vec_select(vec_eq(u, vec_set1(0.0f)), u,
                       vec_mul(vec_load_n(weight + offset, count), u));
    return u;
}

LOSSOPT_ALWAYS_INLINE void soft_vector(void *context, size_t offset, size_t count, vfloat *terms)
{
    const soft_context *k = context;
    vfloat u = soft_weight(k->t, k->weight, offset, count, k->smoothing, k->keep, k->spread);
    vfloat shifted = vec_sub(vec_load_n(k->x + offset, count), k->m);
    /* 0 log 0 = 0: a zero target weight contributes 0, even at a -inf logit */
    terms[1] = vec_select(vec_eq(u, vec_set1(0.0f)), vec_set1(0.0f), vec_mul(u, shifted));
    terms[0] = u;
}

/* Returns V = sum of u_j and stores U = sum of (u_j == 0 ? 0 : u_j (x_j - m)). */
static double row_soft_sums(const float *x, const float *t, size_t classes, float m,
                            const float *weight, bool smoothing, float keep, float spread,
                            double *shift_sum)
{
    soft_context k = {x, t, weight, vec_set1(m), vec_set1(keep), vec_set1(spread), smoothing};
    return row_two_sums(&k, classes, soft_vector, shift_sum);
}

/* g_j = fma(g_j, scale, -u_j) * inv_d. */
static void row_grad_soft(float *g, const float *t, size_t classes, float scale_scalar,
                          const float *weight, bool smoothing, float keep, float spread,
                          float inv_d)
{
    vfloat scale = vec_set1(scale_scalar), keep_v = vec_set1(keep), spread_v = vec_set1(spread);
    vfloat inv_d_v = vec_set1(inv_d);
    for (size_t j = 0; j < classes; j += VEC_WIDTH) {
        size_t count = classes - j < VEC_WIDTH ? classes - j : VEC_WIDTH;
        vfloat u = soft_weight(t, weight, j, count, smoothing, keep_v, spread_v);
        vfloat difference = vec_fma(vec_load_n(g + j, count), scale, vec_negate(u));
        vec_store_n(g + j, vec_mul(difference, inv_d_v), count);
    }
}

/* g_j = fma(g_j, scale, -(weight ? weight_j * offset : offset)). */
static void row_grad(float *g, size_t classes, float scale_scalar, float offset_scalar,
                     const float *weight)
{
    vfloat scale = vec_set1(scale_scalar), offset = vec_set1(offset_scalar);
    for (size_t j = 0; j < classes; j += VEC_WIDTH) {
        size_t count = classes - j < VEC_WIDTH ? classes - j : VEC_WIDTH;
        vfloat subtract = weight ? vec_mul(vec_load_n(weight + j, count), offset) : offset;
        vec_store_n(g + j, vec_fma(vec_load_n(g + j, count), scale, vec_negate(subtract)), count);
    }
}

/* exp(x - m) corrected by the rounding error of x - m, one element: the
 * label's e when no gradient row holds it (vec_scalar_exp gives the lanes'
 * bits of vec_exp). */
static float scalar_exp_of_difference(float x, float m)
{
    float shifted = x - m;
    float virtual_m = shifted - x;
    float virtual_x = shifted - virtual_m;
    float err = (x - virtual_x) - (m + virtual_m);
    float e = vec_scalar_exp(shifted);
    return isnan(err) ? e : fmaf(e, err, e);
}

double KERNEL_NAME(cross_entropy_f32)(const lossopt_cross_entropy_args *a)
{
    size_t classes = a->classes;
    const float *w = a->weight;
    double total = 0.0;
    for (size_t r = 0; r < a->rows; r++) {
        const float *x = a->logits + r * classes;
        float *g = a->grad ? a->grad + r * classes : NULL;
        int64_t label = a->labels[r];
        if (label < 0) { /* ignored row */
            if (g)
                memset(g, 0, classes * sizeof(float));
            if (a->loss)
                a->loss[r] = 0.0f;
            continue;
        }
        size_t y = (size_t)label;
        float m = row_max(x, classes) + 0.0f; /* -0 -> +0: one m on every ISA */
        double shift_sum = 0.0;
        double s_others = row_exp(x, classes, m, y, g, w, a->smooth ? &shift_sum : NULL);
        float e_y = g ? g[y] : scalar_exp_of_difference(x[y], m);
        double s = s_others + (double)e_y;
        /* with a +inf logit m is +inf and e = exp(inf - inf) is NaN: the row's
         * loss and gradient are NaN, as PyTorch's log_softmax gives; the
         * log1p shortcut (which leaves e_y out) must not hide that */
        bool label_is_max = x[y] == m && isfinite(m);
        double log_s = label_is_max ? (double)vec_scalar_log1p((float)s_others)
                                    : (double)vec_scalar_log((float)s);
        double nll = label_is_max ? log_s : ((double)m - (double)x[y]) + log_s;
        double w_y = w ? (double)w[y] : 1.0;
        double row_loss = a->keep_nll ? (1.0 - a->smoothing) * w_y * nll : 0.0;
        if (a->smooth)
            row_loss += a->per_class * (a->weight_sum * log_s - shift_sum);
        float row_loss_f = (float)row_loss;
        if (a->loss)
            a->loss[r] = row_loss_f;
        total += (double)row_loss_f;
        if (g) {
            double coefficient = ((a->keep_nll ? (1.0 - a->smoothing) * w_y : 0.0) +
                                  (a->smooth ? a->per_class * a->weight_sum : 0.0)) /
                                 a->divisor;
            row_grad(g, classes, (float)(coefficient / s), a->offset, a->smooth ? w : NULL);
            double spread_y =
                a->smooth ? a->per_class * (a->weight_sum - w_y) / a->divisor : 0.0;
            g[y] = (float)(-coefficient * s_others / s + spread_y);
        }
    }
    return total;
}

double KERNEL_NAME(cross_entropy_probs_f32)(const lossopt_cross_entropy_probs_args *a)
{
    size_t classes = a->classes;
    double total = 0.0;
    for (size_t r = 0; r < a->rows; r++) {
        const float *x = a->logits + r * classes, *t = a->targets + r * classes;
        float *g = a->grad ? a->grad + r * classes : NULL;
        float m = row_max(x, classes) + 0.0f; /* -0 -> +0: one m on every ISA */
        /* leave the max's own e (exactly 1) out of the sum, so that
         * log(S) = log1p(S - 1) keeps its accuracy in a confident row; a row
         * with a +inf logit has no such e (exp(inf - inf) is NaN): it is NaN */
        size_t at_max = isfinite(m) ? row_find(x, classes, m) : classes;
        double s_others = row_exp(x, classes, m, at_max, g, NULL, NULL);
        double s = at_max < classes ? s_others + 1.0 : s_others;
        double log_s = at_max < classes ? (double)vec_scalar_log1p((float)s_others)
                                        : (double)vec_scalar_log((float)s);
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
