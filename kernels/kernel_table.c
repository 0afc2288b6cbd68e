/* kernels/kernel_table.c - the function table of one vector ISA; compiled once
 * per ISA like every vector kernel source, so it names that ISA's kernels. */
#include "kernel_table.h"
#include "vec/vec.h"

void KERNEL_NAME(sgd_step_f32)(float *, const float *, float *, size_t,
                               const lossopt_sgd_coefficients *);
void KERNEL_NAME(rmsprop_step_f32)(float *, const float *, float *, float *, float *, size_t,
                                   const lossopt_rmsprop_coefficients *);
void KERNEL_NAME(adam_step_f32)(float *, const float *, float *, float *, float *, size_t,
                                const lossopt_adam_coefficients *);

#if defined(LOSSOPT_TARGET_AVX512)
#define TABLE_ISA LOSSOPT_ISA_AVX512
#elif defined(LOSSOPT_TARGET_AVX2)
#define TABLE_ISA LOSSOPT_ISA_AVX2
#else
#define TABLE_ISA LOSSOPT_ISA_NEON
#endif

const lossopt_kernel_table KERNEL_NAME(lossopt_kernels) = {
    .isa = TABLE_ISA,
    .sgd_step_f32 = KERNEL_NAME(sgd_step_f32),
    .rmsprop_step_f32 = KERNEL_NAME(rmsprop_step_f32),
    .adam_step_f32 = KERNEL_NAME(adam_step_f32),
};
