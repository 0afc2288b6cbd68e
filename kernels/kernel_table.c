/* kernels/kernel_table.c - the function table of one vector ISA; compiled once
 * per ISA like every vector kernel source, so it names that ISA's kernels. */
#include "kernel_table.h"
#include "vec/vec.h"

#if defined(LOSSOPT_TARGET_AVX512)
#define TABLE_ISA LOSSOPT_ISA_AVX512
#elif defined(LOSSOPT_TARGET_AVX2)
#define TABLE_ISA LOSSOPT_ISA_AVX2
#else
#define TABLE_ISA LOSSOPT_ISA_NEON
#endif

/* lossopt_kernels_avx2, lossopt_kernels_avx512, lossopt_kernels_neon: the
 * KERNEL_NAME of every kernel of LOSSOPT_KERNEL_LIST (declared in vec.h). */
const lossopt_kernel_table KERNEL_NAME(lossopt_kernels) = {
    .isa = TABLE_ISA,
#define LOSSOPT_VECTOR_ENTRY(name, type) .name = KERNEL_NAME(name),
    LOSSOPT_KERNEL_LIST(LOSSOPT_VECTOR_ENTRY)
#undef LOSSOPT_VECTOR_ENTRY
};
