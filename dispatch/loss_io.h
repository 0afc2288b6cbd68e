/* dispatch/loss_io.h - the io forms of the losses (include/lossopt.h,
 * "Losses for engines"): the checked plan of a call's lossopt_loss_io, and
 * the two staging drivers that run the _f32 kernels on 16-bit, strided,
 * scaled, accumulated or in-place operands - a canonical block at a time
 * for the elementwise losses, a row at a time for the row-wise ones - so
 * every sum keeps its order and every result its bits. */
#ifndef LOSSOPT_LOSS_IO_H
#define LOSSOPT_LOSS_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lossopt.h"
#include "kernel_table.h"

typedef struct loss_io_plan {
    lossopt_dtype input, grad;
    bool accumulate;
    bool scaled;               /* grad_scale given: every term times scale    */
    float scale;               /* (float)grad_scale                           */
    size_t stride;             /* row-wise: between row starts (classes if 0) */
    lossopt_label_type labels;
    bool in_place;             /* grad == input (cross-entropy forms)         */
    bool staged;               /* anything the _f32 kernel cannot take as is  */
} loss_io_plan;

/* What a loss allows: row-wise (a stride, labels), in place (cross-entropy). */
enum { LOSS_IO_ROW_WISE = 1, LOSS_IO_IN_PLACE_OK = 2 };

/* The plan of io (NULL: the _f32 layout) for a call of rows x classes
 * (elementwise: rows 1, classes n) whose first typed input and gradient are
 * input and grad. Returns LOSSOPT_ERR_SIZE when the strided span overflows,
 * LOSSOPT_ERR_ARG for an invalid io (include/lossopt.h), else OK. */
lossopt_status loss_io_plan_make(const lossopt_loss_io *io, unsigned allows, size_t rows,
                                 size_t classes, const void *input, const void *grad,
                                 loss_io_plan *plan);

/* Label r of a label array of the given type, as int64. */
static inline int64_t loss_io_label(const void *labels, lossopt_label_type type, size_t r)
{
    return type == LOSSOPT_LABELS_I32 ? (int64_t)((const int32_t *)labels)[r]
                                      : ((const int64_t *)labels)[r];
}

/* ---- elementwise: a canonical block at a time ------------------------------ */

#define LOSS_IO_MAX_INPUTS 2
#define LOSS_IO_MAX_GRADS 2

/* Runs the _f32 kernel on elements [offset, offset + count) of every operand
 * (inputs[k] widened, grads[k] the f32 terms or NULL) and returns its
 * canonical total of that block. */
typedef double loss_io_block_fn(void *context, size_t offset, size_t count,
                                const float *const *inputs, float *const *grads);

/* Visits [0, n) a canonical block at a time: widens the typed inputs (f32
 * ones are passed as they are), runs block(), stores its gradient terms
 * through the plan (or lets it write f32 gradients directly when the plan
 * needs no store), and returns the double sum of the blocks' totals in
 * order - the kernel's own canonical total over [0, n). */
double loss_io_run_blocks(const lossopt_kernel_table *table, const loss_io_plan *plan, size_t n,
                          const void *const *inputs, int input_count, void *const *grads,
                          int grad_count, loss_io_block_fn *block, void *context);

/* A domain check on the widened values of one typed input, a block at a
 * time: nonzero when the block passes. */
typedef int loss_io_check_fn(void *context, size_t offset, size_t count, const float *widened);

/* Whether every block of the typed input passes check (f32: one call). */
bool loss_io_check_blocks(const lossopt_kernel_table *table, const loss_io_plan *plan, size_t n,
                          const void *input, loss_io_check_fn *check, void *context);

/* ---- row-wise: a row at a time ---------------------------------------------- */

/* Runs the _f32 kernel on row r alone (rows = 1), from the row's f32 input
 * to its f32 gradient terms (NULL when none), and returns its total. */
typedef double loss_io_row_fn(void *context, size_t r, const float *input, float *grad);

/* Visits the rows in order: widens (or, in place, copies) the input row,
 * runs row(), stores its gradient row through the plan, and sums the rows'
 * totals in double in row order into *total (the kernel's own total over
 * all rows). Returns LOSSOPT_ERR_RESOURCE, before anything is written, when
 * the row scratch cannot be allocated. */
lossopt_status loss_io_run_rows(const lossopt_kernel_table *table, const loss_io_plan *plan,
                                size_t rows, size_t classes, const void *input, void *grad,
                                loss_io_row_fn *row, void *context, double *total);

/* The same for losses with several typed inputs and gradients (the
 * embedding losses: up to three of each), every operand rows of the plan's
 * stride; grads[k] may be NULL. In place applies to inputs[0] and grads[0]
 * only (the cross-entropy forms). */
#define LOSS_IO_MAX_ROW_OPERANDS 3
typedef double loss_io_rows_fn(void *context, size_t r, const float *const *inputs,
                               float *const *grads);
lossopt_status loss_io_run_rows_n(const lossopt_kernel_table *table, const loss_io_plan *plan,
                                  size_t rows, size_t classes, const void *const *inputs,
                                  int input_count, void *const *grads, int grad_count,
                                  loss_io_rows_fn *row, void *context, double *total);

#endif /* LOSSOPT_LOSS_IO_H */
