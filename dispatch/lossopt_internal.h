/* dispatch/lossopt_internal.h - internal (not installed) entry points for the
 * tests and benchmarks: run one ISA's kernel without touching the global
 * choice, and inspect the dispatcher. Link the static library to use them. */
#ifndef LOSSOPT_INTERNAL_H
#define LOSSOPT_INTERNAL_H

#include "lossopt.h"
#include "kernel_table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bit (1u << isa) for each ISA compiled into this library. */
unsigned lossopt_built_isas(void);

/* The kernel table of isa, or NULL if isa is not supported (built and
 * runnable). */
const lossopt_kernel_table *lossopt_kernel_table_for(lossopt_isa isa);

/* The table the public API uses now, or NULL when LOSSOPT_ISA forced an
 * unknown or unsupported ISA (every public call returns LOSSOPT_ERR_ISA). */
const lossopt_kernel_table *lossopt_active_table(void);

/* The same validation, coefficient hoisting and kernel as the public calls,
 * on the given ISA; LOSSOPT_ERR_ISA if it is not supported. */
lossopt_status lossopt_sgd_step_f32_isa(lossopt_isa isa, float *param, const float *grad,
                                        float *momentum_buf, size_t n,
                                        const lossopt_sgd_config *cfg, int64_t step);
lossopt_status lossopt_rmsprop_step_f32_isa(lossopt_isa isa, float *param, const float *grad,
                                            float *square_avg, float *grad_avg,
                                            float *momentum_buf, size_t n,
                                            const lossopt_rmsprop_config *cfg);
lossopt_status lossopt_adam_step_f32_isa(lossopt_isa isa, float *param, const float *grad,
                                         float *exp_avg, float *exp_avg_sq,
                                         float *max_exp_avg_sq, size_t n,
                                         const lossopt_adam_config *cfg, int64_t step);

/* The same again with an explicit kernel table (NULL -> LOSSOPT_ERR_ISA):
 * lets a test run a table the dispatcher does not know, such as the
 * SIMDe-emulated AVX-512 kernels. */
lossopt_status lossopt_sgd_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                               const float *grad, float *momentum_buf, size_t n,
                                               const lossopt_sgd_config *cfg, int64_t step);
lossopt_status lossopt_rmsprop_step_f32_with_table(const lossopt_kernel_table *table,
                                                   float *param, const float *grad,
                                                   float *square_avg, float *grad_avg,
                                                   float *momentum_buf, size_t n,
                                                   const lossopt_rmsprop_config *cfg);
lossopt_status lossopt_adam_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                                const float *grad, float *exp_avg,
                                                float *exp_avg_sq, float *max_exp_avg_sq,
                                                size_t n, const lossopt_adam_config *cfg,
                                                int64_t step);

/* A one-line description of the CPU feature bits the dispatcher read. */
void lossopt_describe_cpu(char *buffer, unsigned long size);

#ifdef __cplusplus
}
#endif

#endif /* LOSSOPT_INTERNAL_H */
