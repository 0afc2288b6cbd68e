/* tests/optimizer_cases.h - every optimizer option combination as one "case"
 * that the tests can enumerate, run on any ISA (or the public API) and
 * describe, so each test is written once for all three optimizers. */
#ifndef LOSSOPT_OPTIMIZER_CASES_H
#define LOSSOPT_OPTIMIZER_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lossopt.h"

struct lossopt_kernel_table; /* kernels/kernel_table.h */

typedef enum optimizer_family {
    FAMILY_SGD, FAMILY_RMSPROP, FAMILY_ADAM,
    /* 0.2 (optimizer_cases_more) */
    FAMILY_ADAGRAD, FAMILY_ADAMAX, FAMILY_NADAM, FAMILY_RADAM, FAMILY_LION, FAMILY_LAMB
} optimizer_family;

/* Up to three state buffers, in this order:
 *   SGD:     momentum_buf
 *   RMSprop: square_avg, grad_avg, momentum_buf
 *   Adam:    exp_avg, exp_avg_sq, max_exp_avg_sq
 *   Adagrad: sum;  Adamax: exp_avg, exp_inf;  Lion: exp_avg
 *   NAdam, RAdam, LAMB: exp_avg, exp_avg_sq */
#define MAX_STATE_BUFFERS 3

typedef struct optimizer_case {
    optimizer_family family;
    lossopt_sgd_config sgd;
    lossopt_rmsprop_config rmsprop;
    lossopt_adam_config adam;
    lossopt_adagrad_config adagrad;
    lossopt_adamax_config adamax;
    lossopt_nadam_config nadam;
    lossopt_radam_config radam;
    lossopt_lion_config lion;
    lossopt_lamb_config lamb;
    double mu_product; /* NAdam: the mu_product passed in (a copy is updated) */
    int64_t step; /* every family but RMSprop */
} optimizer_case;

/* Run with one kernel table through the internal entry point (NULL table ->
 * LOSSOPT_ERR_ISA, as for an unsupported ISA); public_api == true runs the
 * public (dispatched) entry point instead and ignores table. Unused state
 * buffers are passed as given (NULL or not). */
lossopt_status optimizer_case_run(const optimizer_case *c, bool public_api,
                                  const struct lossopt_kernel_table *table,
                                  float *param, const float *grad,
                                  float *const state[MAX_STATE_BUFFERS], size_t n);

/* Which state buffers the configuration uses (bit i = state[i]). */
unsigned optimizer_case_used_state(const optimizer_case *c);

/* Whether state buffer i must be non-negative to be meaningful (square averages). */
bool optimizer_case_state_is_square(const optimizer_case *c, int i);

/* A one-line description, e.g. "adam amsgrad decoupled wd=0.01 maximize step=3". */
const char *optimizer_case_describe(const optimizer_case *c);

/* Every option combination (valid configurations only), with a few
 * learning rates and steps, of SGD, RMSprop and Adam. Returns the count;
 * cases points to static storage. */
size_t optimizer_cases_all(const optimizer_case **cases);

/* The same for the 0.2 optimizers (Adagrad ... LAMB). */
size_t optimizer_cases_more(const optimizer_case **cases);

#endif /* LOSSOPT_OPTIMIZER_CASES_H */
