/* kernels/scalar/kernel_table_scalar.c - the function table of the scalar
 * oracle, the variant every CPU can run. */
#include "kernel_table.h"
#include "scalar/scalar_kernels.h"

const lossopt_kernel_table lossopt_kernels_scalar = {
    .isa = LOSSOPT_ISA_SCALAR,
    .sgd_step_f32 = sgd_step_f32_scalar,
    .rmsprop_step_f32 = rmsprop_step_f32_scalar,
    .adam_step_f32 = adam_step_f32_scalar,
};
