/* kernels/scalar/scalar_kernels.h - the scalar oracle's kernels, named for the
 * table in kernel_table_scalar.c. */
#ifndef LOSSOPT_SCALAR_KERNELS_H
#define LOSSOPT_SCALAR_KERNELS_H

#include "kernel_table.h"

void sgd_step_f32_scalar(float *param, const float *grad, float *momentum_buf, size_t n,
                         const lossopt_sgd_coefficients *c);
void rmsprop_step_f32_scalar(float *param, const float *grad, float *square_avg,
                             float *grad_avg, float *momentum_buf, size_t n,
                             const lossopt_rmsprop_coefficients *c);
void adam_step_f32_scalar(float *param, const float *grad, float *exp_avg, float *exp_avg_sq,
                          float *max_exp_avg_sq, size_t n, const lossopt_adam_coefficients *c);

double mse_f32_scalar(const lossopt_elementwise_args *a);
double l1_f32_scalar(const lossopt_elementwise_args *a);
double huber_f32_scalar(const lossopt_elementwise_args *a);
double smooth_l1_f32_scalar(const lossopt_elementwise_args *a);
double hinge_f32_scalar(const lossopt_elementwise_args *a);
double squared_hinge_f32_scalar(const lossopt_elementwise_args *a);
double bce_f32_scalar(const lossopt_elementwise_args *a);
double bce_logits_f32_scalar(const lossopt_elementwise_args *a);
int both_in_unit_interval_scalar(const float *prob, const float *target, size_t n);

float row_max_scalar(const float *x, size_t classes);
size_t row_find_scalar(const float *x, size_t classes, float value);
double row_exp_scalar(const float *x, size_t classes, float m, size_t label, float *e_out,
                      const float *weight, double *shift_sum);
void row_grad_scalar(float *g, size_t classes, float scale, float offset, const float *weight);

double row_soft_sums_scalar(const float *x, const float *t, size_t classes, float m,
                            const float *weight, bool smoothing, float keep, float spread,
                            double *shift_sum);
void row_grad_soft_scalar(float *g, const float *t, size_t classes, float scale,
                          const float *weight, bool smoothing, float keep, float spread,
                          float inv_d);
double row_margin_scalar(const float *x, size_t classes, size_t label, float margin_minus_target,
                         float margin_error, int p, float c, float *g, double *slope_sum);

#endif /* LOSSOPT_SCALAR_KERNELS_H */
