/* kernels/scalar/kernel_table_scalar.c - the function table of the scalar
 * oracle, the variant every CPU can run: name_scalar for every kernel of
 * LOSSOPT_KERNEL_LIST. */
#include "baseline_only.h" /* first: the oracle runs on any CPU */
#include "kernel_table.h"
#include "scalar/scalar_kernels.h"

const lossopt_kernel_table lossopt_kernels_scalar = {
    .isa = LOSSOPT_ISA_SCALAR,
#define LOSSOPT_SCALAR_ENTRY(name, type) .name = name##_scalar,
    LOSSOPT_KERNEL_LIST(LOSSOPT_SCALAR_ENTRY)
#undef LOSSOPT_SCALAR_ENTRY
};
