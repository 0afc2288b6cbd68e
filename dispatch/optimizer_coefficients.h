/* dispatch/optimizer_coefficients.h - each optimizer's configuration check
 * (LOSSOPT_ERR_ARG) and per-call coefficients (include/lossopt.h: computed in
 * double, rounded once to float), shared by the _f32 calls
 * (dispatch/api_optimizers.c) and the tensor-list steps (dispatch/api_step.c).
 * cfg must not be NULL. */
#ifndef LOSSOPT_OPTIMIZER_COEFFICIENTS_H
#define LOSSOPT_OPTIMIZER_COEFFICIENTS_H

#include "kernel_table.h"
#include "lossopt.h"

lossopt_status lossopt_sgd_coefficients_for(const lossopt_sgd_config *cfg, int64_t step,
                                            lossopt_sgd_coefficients *c);
lossopt_status lossopt_rmsprop_coefficients_for(const lossopt_rmsprop_config *cfg,
                                                lossopt_rmsprop_coefficients *c);
lossopt_status lossopt_adam_coefficients_for(const lossopt_adam_config *cfg, int64_t step,
                                             lossopt_adam_coefficients *c);

#endif /* LOSSOPT_OPTIMIZER_COEFFICIENTS_H */
