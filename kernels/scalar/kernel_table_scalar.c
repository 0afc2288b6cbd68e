/* kernels/scalar/kernel_table_scalar.c - the function table of the scalar
 * oracle, the variant every CPU can run. */
#include "kernel_table.h"
#include "scalar/scalar_kernels.h"

const lossopt_kernel_table lossopt_kernels_scalar = {
    .isa = LOSSOPT_ISA_SCALAR,
    .sgd_step_f32 = sgd_step_f32_scalar,
    .rmsprop_step_f32 = rmsprop_step_f32_scalar,
    .adam_step_f32 = adam_step_f32_scalar,
    .mse_f32 = mse_f32_scalar,
    .l1_f32 = l1_f32_scalar,
    .huber_f32 = huber_f32_scalar,
    .smooth_l1_f32 = smooth_l1_f32_scalar,
    .hinge_f32 = hinge_f32_scalar,
    .squared_hinge_f32 = squared_hinge_f32_scalar,
    .bce_f32 = bce_f32_scalar,
    .bce_logits_f32 = bce_logits_f32_scalar,
    .both_in_unit_interval = both_in_unit_interval_scalar,
    .row_max = row_max_scalar,
    .row_find = row_find_scalar,
    .row_exp = row_exp_scalar,
    .row_grad = row_grad_scalar,
    .row_soft_sums = row_soft_sums_scalar,
    .row_grad_soft = row_grad_soft_scalar,
    .row_margin = row_margin_scalar,
};
