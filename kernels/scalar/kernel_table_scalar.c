/* kernels/scalar/kernel_table_scalar.c - the function table of the scalar
 * oracle, the variant every CPU can run: lossopt_kernels_scalar (and, built
 * with LOSSOPT_ORACLE_NO_FMA, lossopt_kernels_scalar_nofma), ORACLE_NAME of
 * every kernel of LOSSOPT_KERNEL_LIST. */
#include "baseline_only.h" /* first: the oracle runs on any CPU */
#include "kernel_table.h"
#include "scalar/scalar_kernels.h"

const lossopt_kernel_table ORACLE_NAME(lossopt_kernels) = {
    .isa = LOSSOPT_ISA_SCALAR,
#define LOSSOPT_ORACLE_ENTRY(name, type, avx512_width) .name = ORACLE_NAME(name),
    LOSSOPT_KERNEL_LIST(LOSSOPT_ORACLE_ENTRY)
#undef LOSSOPT_ORACLE_ENTRY
};
