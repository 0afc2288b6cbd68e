/* dispatch/loss_io.c - the io forms' plan and staging drivers
 * (dispatch/loss_io.h). The drivers call the active table's conversions
 * (io_widen, io_store_grad: kernels/loss_io.c) and the _f32 kernels; the
 * canonical sums are cut only at their own block or row boundaries, where
 * the kernels add block and row totals to a double in order, so a staged
 * call returns the bits of the _f32 call on the widened values. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>
#include <stdlib.h>

#include "canonical_order.h"
#include "loss_io.h"

#define MAX_ELEMENTS (SIZE_MAX / sizeof(float))

static size_t element_size(lossopt_dtype dtype) { return dtype == LOSSOPT_F32 ? 4 : 2; }

static const void *offset_of(const void *p, lossopt_dtype dtype, size_t elements)
{
    return (const char *)p + elements * element_size(dtype);
}

lossopt_status loss_io_plan_make(const lossopt_loss_io *io, unsigned allows, size_t rows,
                                 size_t classes, const void *input, const void *grad,
                                 loss_io_plan *plan)
{
    const lossopt_loss_io none = {0};
    if (io == NULL)
        io = &none;
    bool row_wise = (allows & LOSS_IO_ROW_WISE) != 0;
    size_t stride = io->row_stride == 0 || !row_wise ? classes : io->row_stride;
    /* SIZE first: the strided span (rows - 1) * stride + classes elements */
    if (row_wise && rows > 1 && io->row_stride > classes &&
        (rows - 1 > (MAX_ELEMENTS - classes) / stride))
        return LOSSOPT_ERR_SIZE;
    if ((unsigned)io->input > (unsigned)LOSSOPT_F16 || (unsigned)io->grad > (unsigned)LOSSOPT_F16 ||
        (unsigned)io->labels > (unsigned)LOSSOPT_LABELS_I32)
        return LOSSOPT_ERR_ARG;
    double s = io->grad_scale;
    if (!(s >= 0.0) || !((float)s < INFINITY)) /* NaN, negative, inf, beyond FLT_MAX */
        return LOSSOPT_ERR_ARG;
    if (io->row_stride != 0 && (!row_wise || io->row_stride < classes))
        return LOSSOPT_ERR_ARG;
    bool in_place = input != NULL && grad != NULL && input == grad;
    if (in_place && (allows & LOSS_IO_IN_PLACE_OK) &&
        (io->grad != io->input || io->accumulate))
        return LOSSOPT_ERR_ARG;
    plan->input = io->input;
    plan->grad = io->grad;
    plan->accumulate = io->accumulate;
    plan->scaled = s != 0.0;
    plan->scale = (float)s;
    plan->stride = stride;
    plan->labels = io->labels;
    plan->in_place = in_place && (allows & LOSS_IO_IN_PLACE_OK);
    plan->staged = io->input != LOSSOPT_F32 || io->grad != LOSSOPT_F32 || io->accumulate ||
                   plan->scaled || stride != classes || io->labels != LOSSOPT_LABELS_I64 ||
                   plan->in_place;
    return LOSSOPT_OK;
}

/* Gradient terms go straight into an f32 gradient that needs no store. */
static bool grad_is_direct(const loss_io_plan *plan)
{
    return plan->grad == LOSSOPT_F32 && !plan->accumulate && !plan->scaled;
}

double loss_io_run_blocks(const lossopt_kernel_table *table, const loss_io_plan *plan, size_t n,
                          const void *const *inputs, int input_count, void *const *grads,
                          int grad_count, loss_io_block_fn *block, void *context)
{
    float input_scratch[LOSS_IO_MAX_INPUTS][LOSSOPT_SUM_BLOCK];
    float grad_scratch[LOSS_IO_MAX_GRADS][LOSSOPT_SUM_BLOCK];
    const float *in[LOSS_IO_MAX_INPUTS] = {NULL};
    float *g[LOSS_IO_MAX_GRADS] = {NULL};
    bool direct = grad_is_direct(plan);
    double total = -0.0; /* the canonical total's start (include/lossopt.h) */
    for (size_t offset = 0; offset < n; offset += LOSSOPT_SUM_BLOCK) {
        size_t count = n - offset < LOSSOPT_SUM_BLOCK ? n - offset : LOSSOPT_SUM_BLOCK;
        for (int k = 0; k < input_count; k++) {
            if (plan->input == LOSSOPT_F32) {
                in[k] = (const float *)inputs[k] + offset;
            } else {
                table->io_widen(plan->input, offset_of(inputs[k], plan->input, offset),
                                input_scratch[k], count);
                in[k] = input_scratch[k];
            }
        }
        for (int k = 0; k < grad_count; k++)
            g[k] = grads[k] == NULL ? NULL
                   : direct         ? (float *)grads[k] + offset
                                    : grad_scratch[k];
        total += block(context, offset, count, in, g);
        for (int k = 0; k < grad_count; k++)
            if (grads[k] != NULL && !direct)
                table->io_store_grad(plan->grad, (void *)offset_of(grads[k], plan->grad, offset),
                                     grad_scratch[k], count, plan->scale, plan->scaled,
                                     plan->accumulate);
    }
    return total;
}

bool loss_io_check_blocks(const lossopt_kernel_table *table, const loss_io_plan *plan, size_t n,
                          const void *input, loss_io_check_fn *check, void *context)
{
    if (plan->input == LOSSOPT_F32)
        return check(context, 0, n, input) != 0;
    float scratch[LOSSOPT_SUM_BLOCK];
    for (size_t offset = 0; offset < n; offset += LOSSOPT_SUM_BLOCK) {
        size_t count = n - offset < LOSSOPT_SUM_BLOCK ? n - offset : LOSSOPT_SUM_BLOCK;
        table->io_widen(plan->input, offset_of(input, plan->input, offset), scratch, count);
        if (!check(context, offset, count, scratch))
            return false;
    }
    return true;
}

lossopt_status loss_io_run_rows_n(const lossopt_kernel_table *table, const loss_io_plan *plan,
                                  size_t rows, size_t classes, const void *const *inputs,
                                  int input_count, void *const *grads, int grad_count,
                                  loss_io_rows_fn *row, void *context, double *total)
{
    /* an input row is staged when 16-bit, or in place (the kernel would read
     * logits its gradient stores have overwritten); a gradient row when it
     * needs a store (16-bit, scaled, accumulated) */
    bool stage_input = plan->input != LOSSOPT_F32;
    bool stage_grad = !grad_is_direct(plan);
    size_t scratch_rows = 0;
    for (int k = 0; k < input_count; k++)
        scratch_rows += stage_input || (k == 0 && plan->in_place);
    for (int k = 0; k < grad_count; k++)
        scratch_rows += grads[k] != NULL && stage_grad;
    float *scratch = NULL;
    if (scratch_rows > 0) {
        scratch = malloc(scratch_rows * classes * sizeof(float));
        if (scratch == NULL)
            return LOSSOPT_ERR_RESOURCE;
    }
    float *input_row[LOSS_IO_MAX_ROW_OPERANDS] = {NULL}, *grad_row[LOSS_IO_MAX_ROW_OPERANDS] = {NULL};
    float *next = scratch;
    for (int k = 0; k < input_count; k++)
        if (stage_input || (k == 0 && plan->in_place)) {
            input_row[k] = next;
            next += classes;
        }
    for (int k = 0; k < grad_count; k++)
        if (grads[k] != NULL && stage_grad) {
            grad_row[k] = next;
            next += classes;
        }
    const float *in[LOSS_IO_MAX_ROW_OPERANDS] = {NULL};
    float *g[LOSS_IO_MAX_ROW_OPERANDS] = {NULL};
    void *stored[LOSS_IO_MAX_ROW_OPERANDS] = {NULL};
    double sum = 0.0; /* the row-wise kernels' start */
    for (size_t r = 0; r < rows; r++) {
        size_t start = r * plan->stride;
        for (int k = 0; k < input_count; k++) {
            const void *x = offset_of(inputs[k], plan->input, start);
            if (input_row[k] != NULL)
                table->io_widen(plan->input, x, input_row[k], classes);
            in[k] = input_row[k] != NULL ? input_row[k] : (const float *)x;
        }
        for (int k = 0; k < grad_count; k++) {
            stored[k] = grads[k] == NULL ? NULL : (void *)offset_of(grads[k], plan->grad, start);
            g[k] = grad_row[k] != NULL ? grad_row[k] : (float *)stored[k];
        }
        sum += row(context, r, in, g);
        for (int k = 0; k < grad_count; k++)
            if (grad_row[k] != NULL)
                table->io_store_grad(plan->grad, stored[k], grad_row[k], classes, plan->scale,
                                     plan->scaled, plan->accumulate);
    }
    free(scratch);
    *total = sum;
    return LOSSOPT_OK;
}

/* loss_io_run_rows through loss_io_run_rows_n: one input, one gradient. */
typedef struct single_row {
    loss_io_row_fn *row;
    void *context;
} single_row;

static double single_row_adapter(void *context, size_t r, const float *const *inputs,
                                 float *const *grads)
{
    const single_row *s = context;
    return s->row(s->context, r, inputs[0], grads[0]);
}

lossopt_status loss_io_run_rows(const lossopt_kernel_table *table, const loss_io_plan *plan,
                                size_t rows, size_t classes, const void *input, void *grad,
                                loss_io_row_fn *row, void *context, double *total)
{
    single_row s = {row, context};
    const void *inputs[1] = {input};
    void *grads[1] = {grad};
    return loss_io_run_rows_n(table, plan, rows, classes, inputs, 1, grads, 1,
                              single_row_adapter, &s, total);
}
