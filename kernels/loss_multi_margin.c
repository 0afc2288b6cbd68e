/* kernels/loss_multi_margin.c - the per-row vector pass of the multiclass
 * hinge (PyTorch multi_margin_loss), written once for all vector ISAs;
 * dispatch/api_multi_margin.c runs the per-row scalar steps around it.
 * Formulas and order: include/lossopt.h, lossopt_multi_margin_f32. */
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

double KERNEL_NAME(row_margin)(const float *x, size_t classes, size_t label,
                               float margin_minus_target, float margin_error, int p, float c,
                               float *g, double *slope_sum)
{
    margin_context k = {x, g, label, vec_set1(margin_minus_target), vec_set1(margin_error),
                        vec_set1(c), p};
    return row_two_sums(&k, classes, margin_vector, slope_sum);
}
