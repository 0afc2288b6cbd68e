/* dispatch/api_embedding.c - lossopt_cosine_embedding_f32 and
 * lossopt_triplet_margin_f32: validation (every argument before anything is
 * written), then the chosen ISA's kernel (kernels/loss_embedding.c; the
 * oracle in kernels/scalar/embedding_scalar.c) and the MEAN or SUM of its
 * row losses. Formulas and order: include/lossopt.h. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>
#include <stdint.h>

#include "lossopt_internal.h"

#define MAX_ELEMENTS (SIZE_MAX / sizeof(float))

static lossopt_status embedding_run(lossopt_embedding_fn *kernel, lossopt_embedding_args *a,
                                    lossopt_reduction r, float *loss)
{
    bool reduce = r != LOSSOPT_NONE;
    if (a->rows == 0) {
        if (reduce && loss)
            *loss = r == LOSSOPT_SUM ? 0.0f : NAN;
        return LOSSOPT_OK;
    }
    a->loss = reduce ? NULL : loss;
    a->scale = r == LOSSOPT_MEAN ? 1.0 / (double)a->rows : 1.0;
    double total = kernel(a);
    if (reduce && loss)
        *loss = r == LOSSOPT_SUM ? (float)total : (float)(total / (double)a->rows);
    return LOSSOPT_OK;
}

static bool reduction_ok(lossopt_reduction r)
{
    return r == LOSSOPT_MEAN || r == LOSSOPT_SUM || r == LOSSOPT_NONE;
}

lossopt_status lossopt_cosine_embedding_f32_with_table(const lossopt_kernel_table *table,
                                                       const float *x1, const float *x2,
                                                       const float *y, size_t rows, size_t dim,
                                                       float margin, lossopt_reduction r,
                                                       float *loss, float *grad_x1,
                                                       float *grad_x2)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    if ((rows > 0 && (x1 == NULL || x2 == NULL || y == NULL)) ||
        (loss == NULL && grad_x1 == NULL && grad_x2 == NULL))
        return LOSSOPT_ERR_NULL;
    if (dim == 0 || rows > MAX_ELEMENTS / dim)
        return LOSSOPT_ERR_SIZE;
    if (!reduction_ok(r) || isnan(margin))
        return LOSSOPT_ERR_ARG;
    lossopt_embedding_args a = {
        .a = x1, .b = x2, .c = y, .grad_a = grad_x1, .grad_b = grad_x2,
        .rows = rows, .dim = dim, .margin = margin,
    };
    return embedding_run(table->cosine_embedding_f32, &a, r, loss);
}

lossopt_status lossopt_triplet_margin_f32_with_table(
    const lossopt_kernel_table *table, const float *anchor, const float *positive,
    const float *negative, size_t rows, size_t dim, float margin, int p, float eps, bool swap,
    lossopt_reduction r, float *loss, float *grad_anchor, float *grad_positive,
    float *grad_negative)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    if ((rows > 0 && (anchor == NULL || positive == NULL || negative == NULL)) ||
        (loss == NULL && grad_anchor == NULL && grad_positive == NULL && grad_negative == NULL))
        return LOSSOPT_ERR_NULL;
    if (dim == 0 || rows > MAX_ELEMENTS / dim)
        return LOSSOPT_ERR_SIZE;
    /* margin: any float but NaN; eps: finite and >= 0 */
    if (!reduction_ok(r) || (p != 1 && p != 2) || isnan(margin) || !(eps >= 0.0f) ||
        isinf(eps))
        return LOSSOPT_ERR_ARG;
    lossopt_embedding_args a = {
        .a = anchor, .b = positive, .c = negative,
        .grad_a = grad_anchor, .grad_b = grad_positive, .grad_c = grad_negative,
        .rows = rows, .dim = dim, .margin = margin, .eps = eps, .p = p, .swap = swap,
    };
    return embedding_run(table->triplet_margin_f32, &a, r, loss);
}

lossopt_status lossopt_cosine_embedding_f32(const float *x1, const float *x2, const float *y,
                                            size_t rows, size_t dim, float margin,
                                            lossopt_reduction r, float *loss, float *grad_x1,
                                            float *grad_x2)
{
    return lossopt_cosine_embedding_f32_with_table(lossopt_active_table(), x1, x2, y, rows, dim,
                                                   margin, r, loss, grad_x1, grad_x2);
}

lossopt_status lossopt_triplet_margin_f32(const float *anchor, const float *positive,
                                          const float *negative, size_t rows, size_t dim,
                                          float margin, int p, float eps, bool swap,
                                          lossopt_reduction r, float *loss, float *grad_anchor,
                                          float *grad_positive, float *grad_negative)
{
    return lossopt_triplet_margin_f32_with_table(lossopt_active_table(), anchor, positive,
                                                 negative, rows, dim, margin, p, eps, swap, r,
                                                 loss, grad_anchor, grad_positive,
                                                 grad_negative);
}
