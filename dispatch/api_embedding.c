/* dispatch/api_embedding.c - lossopt_cosine_embedding_f32 and
 * lossopt_triplet_margin_f32, and their io forms (16-bit rows, padded rows,
 * a scaled, accumulated or 16-bit gradient: staged a row at a time by
 * dispatch/loss_io.c): validation (every argument before anything is
 * written), then the chosen ISA's kernel (kernels/loss_embedding.c; the
 * oracle in kernels/scalar/embedding_scalar.c) and the MEAN or SUM of its
 * row losses. Formulas and order: include/lossopt.h. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>
#include <stdint.h>

#include "loss_io.h"
#include "lossopt_internal.h"

#define MAX_ELEMENTS (SIZE_MAX / sizeof(float))

/* One row of a staged call (the io forms): the kernel with rows = 1 on the
 * row's f32 operands. The kernel's total over all rows is the double sum of
 * the float row losses in row order from 0, so the rows' totals summed in
 * order give the same bits. */
typedef struct embedding_rows {
    lossopt_embedding_fn *kernel;
    const lossopt_embedding_args *a;
    bool cosine; /* c is y (one float per row), not a third rows x dim input */
} embedding_rows;

static double embedding_row(void *context, size_t r, const float *const *in, float *const *g)
{
    const embedding_rows *e = context;
    lossopt_embedding_args b = *e->a;
    b.a = in[0];
    b.b = in[1];
    b.c = e->cosine ? e->a->c + r : in[2];
    b.grad_a = g[0];
    b.grad_b = g[1];
    b.grad_c = e->cosine ? NULL : g[2];
    b.rows = 1;
    b.loss = e->a->loss ? e->a->loss + r : NULL;
    return e->kernel(&b);
}

/* Runs the kernel over the rows (directly, or staged by the plan) and writes
 * the reduced loss. inputs / grads: the typed operands (cosine: 2, triplet:
 * 3). */
static lossopt_status embedding_run(const lossopt_kernel_table *table,
                                    lossopt_embedding_fn *kernel, lossopt_embedding_args *a,
                                    const loss_io_plan *plan, const void *const *inputs,
                                    void *const *grads, int count, lossopt_reduction r,
                                    float *loss)
{
    bool reduce = r != LOSSOPT_NONE;
    if (a->rows == 0) {
        if (reduce && loss)
            *loss = r == LOSSOPT_SUM ? 0.0f : NAN;
        return LOSSOPT_OK;
    }
    a->loss = reduce ? NULL : loss;
    a->scale = r == LOSSOPT_MEAN ? 1.0 / (double)a->rows : 1.0;
    double total;
    if (!plan->staged) {
        total = kernel(a);
    } else {
        embedding_rows context = {kernel, a, count == 2};
        lossopt_status status = loss_io_run_rows_n(table, plan, a->rows, a->dim, inputs, count,
                                                   grads, count, embedding_row, &context, &total);
        if (status != LOSSOPT_OK)
            return status;
    }
    if (reduce && loss)
        *loss = r == LOSSOPT_SUM ? (float)total : (float)(total / (double)a->rows);
    return LOSSOPT_OK;
}

static bool reduction_ok(lossopt_reduction r)
{
    return r == LOSSOPT_MEAN || r == LOSSOPT_SUM || r == LOSSOPT_NONE;
}

lossopt_status lossopt_cosine_embedding_io_with_table(const lossopt_kernel_table *table,
                                                      const void *x1, const void *x2,
                                                      const float *y, size_t rows, size_t dim,
                                                      float margin, lossopt_reduction r,
                                                      const lossopt_loss_io *io, float *loss,
                                                      void *grad_x1, void *grad_x2)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    if ((rows > 0 && (x1 == NULL || x2 == NULL || y == NULL)) ||
        (loss == NULL && grad_x1 == NULL && grad_x2 == NULL))
        return LOSSOPT_ERR_NULL;
    if (dim == 0 || rows > MAX_ELEMENTS / dim)
        return LOSSOPT_ERR_SIZE;
    loss_io_plan plan;
    lossopt_status status = loss_io_plan_make(io, LOSS_IO_ROW_WISE, rows, dim, x1, grad_x1, &plan);
    if (status != LOSSOPT_OK)
        return status;
    if (!reduction_ok(r) || isnan(margin))
        return LOSSOPT_ERR_ARG;
    lossopt_embedding_args a = {
        .a = x1, .b = x2, .c = y, .grad_a = grad_x1, .grad_b = grad_x2,
        .rows = rows, .dim = dim, .margin = margin,
    };
    const void *inputs[2] = {x1, x2};
    void *grads[2] = {grad_x1, grad_x2};
    return embedding_run(table, table->cosine_embedding_f32, &a, &plan, inputs, grads, 2, r,
                         loss);
}

lossopt_status lossopt_triplet_margin_io_with_table(
    const lossopt_kernel_table *table, const void *anchor, const void *positive,
    const void *negative, size_t rows, size_t dim, float margin, int p, float eps, bool swap,
    lossopt_reduction r, const lossopt_loss_io *io, float *loss, void *grad_anchor,
    void *grad_positive, void *grad_negative)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    if ((rows > 0 && (anchor == NULL || positive == NULL || negative == NULL)) ||
        (loss == NULL && grad_anchor == NULL && grad_positive == NULL && grad_negative == NULL))
        return LOSSOPT_ERR_NULL;
    if (dim == 0 || rows > MAX_ELEMENTS / dim)
        return LOSSOPT_ERR_SIZE;
    loss_io_plan plan;
    lossopt_status status =
        loss_io_plan_make(io, LOSS_IO_ROW_WISE, rows, dim, anchor, grad_anchor, &plan);
    if (status != LOSSOPT_OK)
        return status;
    /* margin: any float but NaN; eps: finite and >= 0 */
    if (!reduction_ok(r) || (p != 1 && p != 2) || isnan(margin) || !(eps >= 0.0f) ||
        isinf(eps))
        return LOSSOPT_ERR_ARG;
    lossopt_embedding_args a = {
        .a = anchor, .b = positive, .c = negative,
        .grad_a = grad_anchor, .grad_b = grad_positive, .grad_c = grad_negative,
        .rows = rows, .dim = dim, .margin = margin, .eps = eps, .p = p, .swap = swap,
    };
    const void *inputs[3] = {anchor, positive, negative};
    void *grads[3] = {grad_anchor, grad_positive, grad_negative};
    return embedding_run(table, table->triplet_margin_f32, &a, &plan, inputs, grads, 3, r, loss);
}

lossopt_status lossopt_cosine_embedding_f32_with_table(const lossopt_kernel_table *table,
                                                       const float *x1, const float *x2,
                                                       const float *y, size_t rows, size_t dim,
                                                       float margin, lossopt_reduction r,
                                                       float *loss, float *grad_x1,
                                                       float *grad_x2)
{
    return lossopt_cosine_embedding_io_with_table(table, x1, x2, y, rows, dim, margin, r, NULL,
                                                  loss, grad_x1, grad_x2);
}

lossopt_status lossopt_triplet_margin_f32_with_table(
    const lossopt_kernel_table *table, const float *anchor, const float *positive,
    const float *negative, size_t rows, size_t dim, float margin, int p, float eps, bool swap,
    lossopt_reduction r, float *loss, float *grad_anchor, float *grad_positive,
    float *grad_negative)
{
    return lossopt_triplet_margin_io_with_table(table, anchor, positive, negative, rows, dim,
                                                margin, p, eps, swap, r, NULL, loss, grad_anchor,
                                                grad_positive, grad_negative);
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

lossopt_status lossopt_cosine_embedding(const void *x1, const void *x2, const float *y,
                                        size_t rows, size_t dim, float margin,
                                        lossopt_reduction r, const lossopt_loss_io *io,
                                        float *loss, void *grad_x1, void *grad_x2)
{
    return lossopt_cosine_embedding_io_with_table(lossopt_active_table(), x1, x2, y, rows, dim,
                                                  margin, r, io, loss, grad_x1, grad_x2);
}

lossopt_status lossopt_triplet_margin(const void *anchor, const void *positive,
                                      const void *negative, size_t rows, size_t dim, float margin,
                                      int p, float eps, bool swap, lossopt_reduction r,
                                      const lossopt_loss_io *io, float *loss, void *grad_anchor,
                                      void *grad_positive, void *grad_negative)
{
    return lossopt_triplet_margin_io_with_table(lossopt_active_table(), anchor, positive,
                                                negative, rows, dim, margin, p, eps, swap, r, io,
                                                loss, grad_anchor, grad_positive, grad_negative);
}
