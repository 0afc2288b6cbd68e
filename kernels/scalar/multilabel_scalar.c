/* kernels/scalar/multilabel_scalar.c - the scalar oracle of the multi-label
 * soft margin (PyTorch multilabel_soft_margin_loss): each element in the
 * operation order of include/lossopt.h, each row's canonical sum written out
 * literally (kernels/scalar/canonical_sum.h), loss_r = (float)(S_r / C).
 * Hand-written; the vector kernel (kernels/loss_multilabel.c) must give the
 * same bits. */
#include "baseline_only.h" /* first: the oracle runs on any CPU */
#include <math.h>

#include "kernel_table.h"
#include "scalar/scalar_kernels.h"
#include "scalar/canonical_sum.h"
#include "scalar/scalar_math.h"

double ORACLE_NAME(multilabel_soft_margin_f32)(const lossopt_multilabel_soft_margin_args *a)
{
    size_t classes = a->classes;
    double total = 0.0;
    for (size_t row = 0; row < a->rows; row++) {
        const float *x = a->input + row * classes;
        const float *t = a->target + row * classes;
        float *g = a->grad ? a->grad + row * classes : NULL;
        canonical_sum sum;
        canonical_start(&sum);
        for (size_t j = 0; j < classes; j++) {
            float e = lossopt_scalar_expf(-fabsf(x[j]));
            float log1p_e = lossopt_scalar_log1pf(e);
            float one_minus_t = 1.0f - t[j];
            float slope = x[j] >= 0 ? one_minus_t : -t[j];
            float linear = slope == 0 ? 0.0f : slope * x[j]; /* 0 * inf is 0 here: the limits */
            float u = log1p_e + linear;
            if (a->weight)
                u = a->weight[j] * u;
            canonical_add(&sum, j, u);
            if (g) {
                float numerator = x[j] >= 0 ? fmaf(-t[j], e, one_minus_t)
                                            : fmaf(one_minus_t, e, -t[j]);
                float q = numerator / (1.0f + e);
                if (a->weight)
                    q = q * a->weight[j];
                g[j] = q * a->grad_scale;
            }
        }
        float row_loss = (float)(canonical_finish(&sum, classes) / (double)classes);
        if (a->loss)
            a->loss[row] = row_loss;
        total += (double)row_loss;
    }
    return total;
}
