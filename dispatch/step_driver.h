/* dispatch/step_driver.h - the generic tensor-list step (dispatch/api_step.c)
 * as seen by the optimizers' entry points (dispatch/api_step.c for SGD,
 * RMSprop and Adam, dispatch/api_more_optimizers.c for the 0.2 ones): each
 * optimizer describes itself with a step_optimizer (its config, the states
 * it uses, its coefficients and its segment kernels) and the driver does the
 * rest (validation, the statistics pass, tasks, threads, LAMB's two passes,
 * NAdam's mu products). Adding an optimizer adds an adapter, not a driver. */
#ifndef LOSSOPT_STEP_DRIVER_H
#define LOSSOPT_STEP_DRIVER_H

#include "kernel_table.h"
#include "lossopt.h"

typedef union any_coefficients {
    lossopt_sgd_coefficients sgd;
    lossopt_rmsprop_coefficients rmsprop;
    lossopt_adam_coefficients adam;
    lossopt_adagrad_coefficients adagrad;
    lossopt_adamax_coefficients adamax;
    lossopt_nadam_coefficients nadam;
    lossopt_radam_coefficients radam;
    lossopt_lion_coefficients lion;
    lossopt_lamb_coefficients lamb;
} any_coefficients;

/* Which pass a segment kernel runs: the update (every one-pass optimizer),
 * or LAMB's moments (returns the sums of squares) and apply passes. */
typedef enum step_pass_kind { STEP_PASS_UPDATE, STEP_PASS_MOMENTS, STEP_PASS_APPLY } step_pass_kind;

typedef struct step_pass {
    step_pass_kind kind;
    float negative_factor; /* APPLY: -(float)(lr * r) of the tensor  */
    double sums[2];        /* MOMENTS: the segment's sums (out)      */
} step_pass;

typedef struct step_optimizer {
    const void *cfg;
    unsigned states_used; /* bit k: the configuration uses state[k] */
    /* NAdam: one mu_product per tensor (read for the coefficients, updated
     * after a step that was not skipped); NULL for every other optimizer. */
    double *mu_products;
    /* The coefficients for a step (and the tensor's mu_product: 1 unless
     * mu_products); LOSSOPT_ERR_ARG for a bad config or step. */
    lossopt_status (*coefficients)(const void *cfg, int64_t step, double mu_product,
                                   any_coefficients *c);
    void (*segment)(const lossopt_kernel_table *table, const lossopt_step_segment *s,
                    const any_coefficients *c, step_pass *pass);
    /* LAMB (two passes): -(float)(lr * r) from the tensor's sums of squares;
     * NULL for the one-pass optimizers. */
    float (*negative_factor)(const void *cfg, double param_squares, double update_squares);
    /* NAdam: the step's mu, multiplied into the tensor's mu_product. */
    double (*mu)(const void *cfg, int64_t step);
} step_optimizer;

/* The tensor-list call of include/lossopt.h for any optimizer. */
lossopt_status lossopt_step_call(const lossopt_kernel_table *table, const step_optimizer *o,
                                 lossopt_tensor *t, size_t count, int64_t step,
                                 const lossopt_step_options *opt, lossopt_step_report *report);

/* The _f32 call of a 0.2 optimizer: the list call on one all-f32 tensor
 * (state[k] as given; unused ones are never touched). */
lossopt_status lossopt_step_call_f32(const lossopt_kernel_table *table, const step_optimizer *o,
                                     float *param, const float *grad, float *state0,
                                     float *state1, size_t n, int64_t step);

#endif /* LOSSOPT_STEP_DRIVER_H */
