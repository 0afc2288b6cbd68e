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

double KERNEL_NAME(mse_f32)(const lossopt_elementwise_args *);
double KERNEL_NAME(l1_f32)(const lossopt_elementwise_args *);
double KERNEL_NAME(huber_f32)(const lossopt_elementwise_args *);
double KERNEL_NAME(smooth_l1_f32)(const lossopt_elementwise_args *);
double KERNEL_NAME(hinge_f32)(const lossopt_elementwise_args *);
double KERNEL_NAME(squared_hinge_f32)(const lossopt_elementwise_args *);
double KERNEL_NAME(bce_f32)(const lossopt_elementwise_args *);
double KERNEL_NAME(bce_logits_f32)(const lossopt_elementwise_args *);
int KERNEL_NAME(both_in_unit_interval)(const float *, const float *, size_t);
float KERNEL_NAME(row_max)(const float *, size_t);
size_t KERNEL_NAME(row_find)(const float *, size_t, float);
double KERNEL_NAME(row_exp)(const float *, size_t, float, size_t, float *, const float *, double *);
void KERNEL_NAME(row_grad)(float *, size_t, float, float, const float *);
double KERNEL_NAME(row_soft_sums)(const float *, const float *, size_t, float, const float *, bool,
                                  float, float, double *);
void KERNEL_NAME(row_grad_soft)(float *, const float *, size_t, float, const float *, bool, float,
                                float, float);
double KERNEL_NAME(row_margin)(const float *, size_t, size_t, float, float, int, float, float *,
                               double *);

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
    .mse_f32 = KERNEL_NAME(mse_f32),
    .l1_f32 = KERNEL_NAME(l1_f32),
    .huber_f32 = KERNEL_NAME(huber_f32),
    .smooth_l1_f32 = KERNEL_NAME(smooth_l1_f32),
    .hinge_f32 = KERNEL_NAME(hinge_f32),
    .squared_hinge_f32 = KERNEL_NAME(squared_hinge_f32),
    .bce_f32 = KERNEL_NAME(bce_f32),
    .bce_logits_f32 = KERNEL_NAME(bce_logits_f32),
    .both_in_unit_interval = KERNEL_NAME(both_in_unit_interval),
    .row_max = KERNEL_NAME(row_max),
    .row_find = KERNEL_NAME(row_find),
    .row_exp = KERNEL_NAME(row_exp),
    .row_grad = KERNEL_NAME(row_grad),
    .row_soft_sums = KERNEL_NAME(row_soft_sums),
    .row_grad_soft = KERNEL_NAME(row_grad_soft),
    .row_margin = KERNEL_NAME(row_margin),
};
