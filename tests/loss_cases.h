/* tests/loss_cases.h - every elementwise loss with each of its parameter and
 * weight options as one "case", and inputs drawn for it, so each loss test is
 * written once for all twelve (kl_div with and without log_target counted apart). */
#ifndef LOSSOPT_LOSS_CASES_H
#define LOSSOPT_LOSS_CASES_H

#include <stdbool.h>
#include <stddef.h>

#include "lossopt_internal.h"

typedef struct loss_case {
    lossopt_loss_kind kind;
    float parameter; /* delta, beta, pos_weight or eps */
    bool weighted;   /* bce and bce_logits only */
    unsigned flags;  /* LOSSOPT_LOSS_LOG_INPUT, LOSSOPT_LOSS_FULL (poisson_nll) */
} loss_case;

/* All cases (static storage); returns the count. */
size_t loss_cases_all(const loss_case **cases);

/* "huber delta=0.25", "bce_logits pos_weight=3 weighted", ... */
const char *loss_case_describe(const loss_case *c);

/* Inputs for c: moderate values, or (special) edge cases: +-0, denormals,
 * +-inf, NaN, huge values, any bit pattern -- within the domain where the
 * loss checks one (bce probabilities and targets stay in [0, 1]). */
void loss_case_fill(const loss_case *c, float *input, float *target, float *weight, size_t n,
                    bool special);

/* Runs c with the given table (or the public function when public_api). */
lossopt_status loss_case_run(const loss_case *c, bool public_api,
                             const lossopt_kernel_table *table, const float *input,
                             const float *target, const float *weight, size_t n,
                             lossopt_reduction r, float *loss, float *grad);

/* kl_div cases: n elements as loss_case_kl_rows(n) rows of n / rows columns
 * (5, 3 or 1 columns, by n; 0 rows for n == 0), with BATCHMEAN as a fourth
 * reduction. */
bool loss_case_is_kl(const loss_case *c);
size_t loss_case_kl_rows(size_t n);

/* The losses with three inputs and two gradients (margin_ranking,
 * gaussian_nll), likewise. */
typedef struct loss3_case {
    lossopt_loss3_kind kind;
    float parameter; /* margin or eps */
    bool full;       /* gaussian_nll only */
} loss3_case;

size_t loss3_cases_all(const loss3_case **cases);
const char *loss3_case_describe(const loss3_case *c);

/* Inputs for c (a, b, c3 = x1, x2, y or input, target, var): moderate values
 * with the cancellations each loss guards against, or (special) edge values;
 * var stays >= 0 (NaN included). */
void loss3_case_fill(const loss3_case *c, float *a, float *b, float *c3, size_t n, bool special);

lossopt_status loss3_case_run(const loss3_case *c, bool public_api,
                              const lossopt_kernel_table *table, const float *a, const float *b,
                              const float *c3, size_t n, lossopt_reduction r, float *loss,
                              float *grad_a, float *grad_b);

#endif /* LOSSOPT_LOSS_CASES_H */
