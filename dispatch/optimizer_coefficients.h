/* dispatch/optimizer_coefficients.h - each optimizer's configuration check
 * (LOSSOPT_ERR_ARG) and per-call coefficients (include/lossopt.h: computed in
 * double, rounded once to float), shared by the _f32 calls
 * (dispatch/api_optimizers.c) and the tensor-list steps (dispatch/api_step.c).
 * cfg must not be NULL. */
#ifndef LOSSOPT_OPTIMIZER_COEFFICIENTS_H
#define LOSSOPT_OPTIMIZER_COEFFICIENTS_H

#include <math.h>
#include <stdbool.h>

#include "kernel_table.h"
#include "lossopt.h"

/* Hyper-parameters are doubles (PyTorch's are Python floats). */
static inline int is_nonnegative_finite(double x) { return isfinite(x) && x >= 0.0; }
static inline int in_closed_unit(double x) { return x >= 0.0 && x <= 1.0; }  /* false for NaN */
static inline int in_half_open_unit(double x) { return x >= 0.0 && x < 1.0; }

/* A derived per-call coefficient rounded once to float. *finite stays true
 * only while every coefficient so far is a finite float: a finite lr can
 * still give an infinite step size (lr = 3e38 in Adam), and such a call is
 * refused (LOSSOPT_ERR_ARG) before anything is written. */
static inline float coefficient(double value, bool *finite)
{
    float rounded = (float)value;
    if (!isfinite(rounded))
        *finite = false;
    return rounded;
}

/* PyTorch's lerp weight w = (float)(1 - beta), and which of lerp's two
 * branches it takes (kernel_table.h). On the second branch w - 1 is exact. */
static inline lossopt_lerp_coefficients lerp_for(double one_minus_beta, bool *finite)
{
    float w = coefficient(one_minus_beta, finite);
    lossopt_lerp_coefficients lerp = {w, false};
    if (!(w < 0.5f)) {
        lerp.coefficient = w - 1.0f;
        lerp.from_end = true;
    }
    return lerp;
}


lossopt_status lossopt_sgd_coefficients_for(const lossopt_sgd_config *cfg, int64_t step,
                                            lossopt_sgd_coefficients *c);
lossopt_status lossopt_rmsprop_coefficients_for(const lossopt_rmsprop_config *cfg,
                                                lossopt_rmsprop_coefficients *c);
lossopt_status lossopt_adam_coefficients_for(const lossopt_adam_config *cfg, int64_t step,
                                             lossopt_adam_coefficients *c);

/* The 0.2 optimizers (dispatch/more_coefficients.c). NAdam's also take the
 * tensor's mu_product (validated by the caller); lossopt_nadam_mu is the
 * step's mu, which the driver multiplies into it after the step. */
lossopt_status lossopt_adagrad_coefficients_for(const lossopt_adagrad_config *cfg, int64_t step,
                                                lossopt_adagrad_coefficients *c);
lossopt_status lossopt_adamax_coefficients_for(const lossopt_adamax_config *cfg, int64_t step,
                                               lossopt_adamax_coefficients *c);
lossopt_status lossopt_nadam_coefficients_for(const lossopt_nadam_config *cfg, int64_t step,
                                              double mu_product, lossopt_nadam_coefficients *c);
double lossopt_nadam_mu(const lossopt_nadam_config *cfg, int64_t step);
lossopt_status lossopt_radam_coefficients_for(const lossopt_radam_config *cfg, int64_t step,
                                              lossopt_radam_coefficients *c);
lossopt_status lossopt_lion_coefficients_for(const lossopt_lion_config *cfg, int64_t step,
                                             lossopt_lion_coefficients *c);
lossopt_status lossopt_lamb_coefficients_for(const lossopt_lamb_config *cfg, int64_t step,
                                             lossopt_lamb_coefficients *c);
/* -(float)(lr * r), r the trust ratio from the tensor's sums of squares. */
float lossopt_lamb_negative_factor(const lossopt_lamb_config *cfg, double param_squares,
                                   double update_squares);

#endif /* LOSSOPT_OPTIMIZER_COEFFICIENTS_H */
