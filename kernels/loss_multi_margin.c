/* kernels/loss_multi_margin.c - the multiclass hinge (PyTorch
 * multi_margin_loss), written once for all vector ISAs: per row the vector
 * pass of the hinges with its two canonical sums, and the per-row scalars
 * around it (the scalar oracle, kernels/scalar/cross_entropy_scalar.c,
 * writes the same out plainly). Formulas and order: include/lossopt.h,
 * lossopt_multi_margin_f32. */
#include <math.h>
#include <string.h>

#include "kernel_table.h"
#include "row_sums.h"
#include "vec/vec.h"

typedef struct margin_context {
    const float *x;
    float *g;
    size_t label;
    vfloat margin_minus_target, margin_error, c;
    int p;
} margin_context;

LOSSOPT_ALWAYS_INLINE void margin_vector(void *context, size_t offset, size_t count,
                                         vfloat *terms)
{
    const margin_context *k = context;
    vfloat zero = vec_set1(0.0f);
    vfloat z = vec_add(vec_add(k->margin_minus_target, vec_load_n(k->x + offset, count)),
                       k->margin_error);
    vfloat h = vec_max(z, zero);
    vmask active = vec_gt(h, zero);
    vfloat term, slope, grad;
    if (k->p == 1) {
        term = h;
        slope = vec_select(active, vec_set1(1.0f), vec_select(vec_isnan(h), h, zero));
        grad = vec_select(active, k->c, vec_select(vec_isnan(h), h, zero));
    } else {
        term = vec_mul(h, h);
        slope = h;
        grad = vec_mul(vec_add(k->c, k->c), h);
    }
    if (k->g)
        vec_store_n(k->g + offset, grad, count); /* g[label] is overwritten by the caller */
    terms[0] = row_drop_index(term, offset, count, k->label);
    terms[1] = row_drop_index(slope, offset, count, k->label);
}

/* The row's hinges: returns the canonical sum of (p == 1 ? h_j : h_j^2) over
 * j != label and stores the canonical sum of the slopes (p == 1 ? (h_j > 0)
 * : h_j); writes g_j for j != label when g is not NULL. */
static double row_margin(const float *x, size_t classes, size_t label, float margin_minus_target,
                         float margin_error, int p, float c, float *g, double *slope_sum)
{
    margin_context k = {x, g, label, vec_set1(margin_minus_target), vec_set1(margin_error),
                        vec_set1(c), p};
    return row_two_sums(&k, classes, margin_vector, slope_sum);
}

double KERNEL_NAME(multi_margin_f32)(const lossopt_multi_margin_args *a)
{
    size_t classes = a->classes;
    double total = 0.0;
    for (size_t row = 0; row < a->rows; row++) {
        const float *x = a->scores + row * classes;
        float *g = a->grad ? a->grad + row * classes : NULL;
        int64_t label = a->labels[row];
        if (label < 0) { /* ignored row */
            if (g)
                memset(g, 0, classes * sizeof(float));
            if (a->loss)
                a->loss[row] = 0.0f;
            continue;
        }
        size_t y = (size_t)label;
        double w_y = a->weight ? (double)a->weight[y] : 1.0;
        double coefficient = w_y / ((double)classes * a->divisor);
        /* margin - x_y rounds; carrying its exact error into z_j keeps a
         * small active hinge (z_j near 0) accurate to the last bits; no
         * error to carry when margin - x_y is not finite (an infinite margin
         * or score, or an overflow): inf - inf would make it NaN */
        float margin_minus_target = a->margin - x[y];
        float margin_error =
            isfinite(margin_minus_target)
                ? (float)(((double)a->margin - (double)x[y]) - (double)margin_minus_target)
                : 0.0f;
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
