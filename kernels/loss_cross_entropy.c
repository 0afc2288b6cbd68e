/* kernels/loss_cross_entropy.c - the per-row vector passes of cross-entropy
 * (max, exp with the canonical sums, gradient), written once for all vector
 * ISAs; dispatch/api_cross_entropy.c runs the per-row scalar steps between
 * them. Order of operations: include/lossopt.h, lossopt_cross_entropy_f32. */
#include <math.h>

#include "kernel_table.h"
#include "vec/vec.h"
#include "row_sums.h"


static inline float max_nan(float a, float b)
{
    if (isnan(a) || isnan(b)) return isnan(a) ? a : b;
    return a > b ? a : b;
}

float KERNEL_NAME(row_max)(const float *x, size_t classes)
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
            m = max_nan(spill[l], m);
    }
    /* the max does not depend on the order (only a NaN's payload or the
     * sign of a zero could, and neither changes exp(x - m) or the loss) */
    for (; j < classes; j++)
        m = max_nan(x[j], m);
    return m;
}

/* The first j with x[j] == value, or classes: where a row's max sits. */
size_t KERNEL_NAME(row_find)(const float *x, size_t classes, float value)
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

double KERNEL_NAME(row_exp)(const float *x, size_t classes, float m, size_t left_out, float *e_out,
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

double KERNEL_NAME(row_soft_sums)(const float *x, const float *t, size_t classes, float m,
                                  const float *weight, bool smoothing, float keep, float spread,
                                  double *shift_sum)
{
    soft_context k = {x, t, weight, vec_set1(m), vec_set1(keep), vec_set1(spread), smoothing};
    return row_two_sums(&k, classes, soft_vector, shift_sum);
}

void KERNEL_NAME(row_grad_soft)(float *g, const float *t, size_t classes, float scale_scalar,
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

void KERNEL_NAME(row_grad)(float *g, size_t classes, float scale_scalar, float offset_scalar,
                           const float *weight)
{
    vfloat scale = vec_set1(scale_scalar), offset = vec_set1(offset_scalar);
    for (size_t j = 0; j < classes; j += VEC_WIDTH) {
        size_t count = classes - j < VEC_WIDTH ? classes - j : VEC_WIDTH;
        vfloat subtract = weight ? vec_mul(vec_load_n(weight + j, count), offset) : offset;
        vec_store_n(g + j, vec_fma(vec_load_n(g + j, count), scale, vec_negate(subtract)), count);
    }
}
