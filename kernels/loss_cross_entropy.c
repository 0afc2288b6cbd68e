/* kernels/loss_cross_entropy.c - the per-row vector passes of cross-entropy
 * (max, exp with the canonical sums, gradient), written once for all vector
 * ISAs; dispatch/api_cross_entropy.c runs the per-row scalar steps between
 * them. Order of operations: include/lossopt.h, lossopt_cross_entropy_f32. */
#include <math.h>

#include "kernel_table.h"
#include "vec/vec.h"

#define SUM_BLOCK 256 /* the canonical summation's block (include/lossopt.h) */

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

/* exp(x - m) where shifted = x - m rounded: the rounding error of the
 * subtraction (exact, by TwoSum) corrects the result, e (1 + err), so a row
 * whose logits span a wide range keeps full accuracy (without it, exp
 * inherits |x - m| * 2^-24 of relative error: 28 ulp at a gap of 56). A NaN
 * error (an infinite x or m) leaves e as it is. */
LOSSOPT_ALWAYS_INLINE vfloat exp_of_difference(vfloat x, vfloat m, vfloat shifted)
{
    vfloat virtual_m = vec_sub(shifted, x);                  /* -m as rounded into shifted */
    vfloat virtual_x = vec_sub(shifted, virtual_m);
    vfloat err = vec_sub(vec_sub(x, virtual_x), vec_add(m, virtual_m));
    vfloat e = vec_exp(shifted);
    return vec_select(vec_isnan(err), e, vec_fma(e, err, e));
}

/* One vector of the exp pass: e = exp(x - m), stored when asked; the label's
 * lane is left out of the returned e (it goes to S_o as -0); t = w (x - m). */
LOSSOPT_ALWAYS_INLINE vfloat exp_vector(const float *x, size_t offset, size_t count, vfloat m,
                                        size_t label, float *e_out, const float *weight,
                                        bool want_shift, vfloat *t)
{
    vfloat logit = vec_load_n(x + offset, count);
    vfloat shifted = vec_sub(logit, m);
    vfloat e = exp_of_difference(logit, m, shifted);
    if (e_out)
        vec_store_n(e_out + offset, e, count);
    if (want_shift)
        *t = weight ? vec_mul(vec_load_n(weight + offset, count), shifted) : shifted;
    if (label - offset < count) { /* unsigned: label in this vector */
        float lanes[VEC_WIDTH];
        vec_store(lanes, e);
        lanes[label - offset] = -0.0f;
        e = vec_load(lanes);
    }
    return e;
}

double KERNEL_NAME(row_exp)(const float *x, size_t classes, float m_scalar, size_t label,
                            float *e_out, const float *weight, double *shift_sum)
{
    vfloat m = vec_set1(m_scalar);
    bool want_shift = shift_sum != NULL;
    double total = -0.0, shift_total = -0.0;
    for (size_t block = 0; block < classes; block += SUM_BLOCK) {
        size_t end = classes - block < SUM_BLOCK ? classes : block + SUM_BLOCK;
        vfloat lanes[VEC_PER_16], shift_lanes[VEC_PER_16];
        for (int q = 0; q < VEC_PER_16; q++)
            lanes[q] = shift_lanes[q] = vec_set1(-0.0f);
        size_t offset = block;
        for (; offset + 16 <= end; offset += 16) {
            for (int q = 0; q < VEC_PER_16; q++) {
                vfloat t = vec_set1(-0.0f);
                lanes[q] = vec_add(lanes[q], exp_vector(x, offset + q * VEC_WIDTH, VEC_WIDTH, m,
                                                        label, e_out, weight, want_shift, &t));
                if (want_shift)
                    shift_lanes[q] = vec_add(shift_lanes[q], t);
            }
        }
        for (; offset < end; offset += VEC_WIDTH) {
            size_t count = end - offset < VEC_WIDTH ? end - offset : VEC_WIDTH;
            int q = (int)(((offset - block) / VEC_WIDTH) % VEC_PER_16);
            vfloat t = vec_set1(-0.0f);
            vfloat e = exp_vector(x, offset, count, m, label, e_out, weight, want_shift, &t);
            lanes[q] = vec_add(lanes[q], vec_keep_first(e, count));
            if (want_shift)
                shift_lanes[q] = vec_add(shift_lanes[q], vec_keep_first(t, count));
        }
        total += (double)vec_fold16(lanes);
        if (want_shift)
            shift_total += (double)vec_fold16(shift_lanes);
    }
    if (want_shift)
        *shift_sum = shift_total;
    return total;
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
