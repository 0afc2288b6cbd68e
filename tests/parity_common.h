/* tests/parity_common.h - the harness of the PyTorch parity tests
 * (tests/test_*torch_parity.c): they replay a committed reference file
 * (tests/reference/, made by the generators there) through every
 * implementation and hold each to its family's documented bound. What they do
 * alike lives here once: the walk over the implementations (the scalar oracle
 * first, then test_variants(): every supported vector ISA, the emulated
 * AVX-512 table where it runs, the public API), guard-page input and output
 * buffers with poisoned outputs, the same-bits-as-the-oracle checks, the
 * loss-only and gradient-only calls, the largest-error bookkeeping and the
 * final report, the replay of optimizer steps, and the row-wise case format
 * and bounds that cross_entropy, soft-target cross_entropy and multi_margin
 * share. A parity test keeps only its case format and its bounds. */
#ifndef LOSSOPT_TESTS_PARITY_COMMON_H
#define LOSSOPT_TESTS_PARITY_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lossopt_internal.h"
#include "reference_reader.h"
#include "test_support.h"
#include "test_variants.h"

/* ---- the implementations ------------------------------------------------------ */

/* The scalar oracle (index 0: the others must give its bits), then every
 * test_variants() entry; the public API is named "public(<active ISA>)".
 * Returns the count; out holds PARITY_MAX_ENTRIES. */
#define PARITY_MAX_ENTRIES (TEST_MAX_VARIANTS + 1)
size_t parity_entries(variant *out);

/* Runs the test: test_init, the forced-ISA skip, opens argv[1] (the reference
 * file, described by `file` in the usage message) with a line buffer of
 * line_capacity bytes, check_file(reader), then the list of entries checked
 * and, if the file was read to its end without error, report(). Returns the
 * exit code. */
int parity_main(int argc, char **argv, const char *name, const char *file, size_t line_capacity,
                bool (*check_file)(ref_reader *r), void (*report)(void));

/* The test's name, as given to parity_main. */
const char *parity_name(void);

/* ---- buffers ---------------------------------------------------------------------- */

/* A NaN that no kernel produces: an output a kernel failed to write stays it. */
void parity_poison(float *p, size_t n);

/* Copies bytes of data to the end of guard-page input buffer `slot` (0 ..
 * PARITY_MAX_INPUTS - 1, grown as needed) and returns the copy: a read past
 * its end faults. parity_check_inputs(what) then checks that every input
 * staged since the last such check still equals its source. */
#define PARITY_MAX_INPUTS 6
void *parity_stage_input(int slot, const void *data, size_t bytes);
void parity_check_inputs(const char *what);

/* "<prefix>: <array>[i] = %a differs from the scalar oracle's %a", or a pass. */
void parity_check_same_bits(const char *prefix, const char *array, const float *ours,
                            const float *oracle, size_t count);

/* ---- errors ------------------------------------------------------------------------ */

/* The largest error seen of one kind: ratio = error / allowed (<= 1 passes),
 * measure = the error in the unit it is printed in, where = the place. */
typedef struct parity_worst {
    double ratio, measure;
    char where[128];
    bool seen;
} parity_worst;

/* Keeps the larger ratio (the earlier one on ties, never a NaN); formats where
 * (printf-style) only then. */
void parity_note(parity_worst *w, double ratio, double measure, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "<indent><label> <measure> <unit>, <ratio> of bound, at <where>" or "(none)". */
void parity_print_worst(const char *indent, const char *label, const parity_worst *w,
                        const char *unit);

/* error / allowed, with 0 / 0 = 0 (an exact zero where zero is required). */
double parity_ratio(double error, double allowed);
/* |ours - expected|, infinite when ours is NaN. */
double parity_error(double ours, double expected);
/* NaN and infinities must match the expected value's class exactly: true if
 * they do; *finite tells whether a finite comparison is still to be done. */
bool parity_special_ok(double ours, double expected, bool *finite);

/* ---- losses: every entry, every reduction ------------------------------------- */

enum { PARITY_NONE, PARITY_MEAN, PARITY_SUM, PARITY_REDUCTIONS }; /* the files' order */
extern const char *const parity_reduction_names[PARITY_REDUCTIONS];
extern const lossopt_reduction parity_reductions[PARITY_REDUCTIONS];

typedef struct parity_loss_family {
    size_t max_loss, max_grad; /* the largest output counts of any case */
    void (*describe)(const void *c, char *buffer, size_t size);
    /* One call on one entry; loss or grad is NULL for the single-output calls. */
    lossopt_status (*run)(const variant *v, const void *c, int reduction, float *loss,
                          float *grad);
    /* The family's bounds on one entry's outputs (loss: none_count or 1 values). */
    void (*check)(const void *c, int reduction, const float *loss, const float *grad,
                  const char *what, const char *entry);
} parity_loss_family;

/* Runs case c on every entry (the oracle first) for each reduction, into
 * poisoned guard-page outputs: none_count loss values for NONE, one
 * otherwise, and n gradient values. Each run must succeed and pass check;
 * every entry must give the oracle's bits, and so must the same call asking
 * for the loss only and for the gradient only. */
void parity_run_loss_case(const parity_loss_family *f, const void *c, size_t none_count,
                          size_t n);

/* ---- optimizers: recorded steps ------------------------------------------------- */
/*
 * A file of optimizer steps (the format: tests/reference/make_torch_reference.py):
 *   <magic>, "n <elements>", "steps <per config>", "configs <count>", then per
 *   configuration "config <index> <optimizer> <name>=<value>..." and per step
 *   "step <k>", "before <buffer> <n hex words>"... and "after <buffer> ..."...,
 *   then "end".
 * Each step starts from torch's own state before it, so rounding never
 * compounds; every entry's outputs are held to tolerance_ulp of their
 * operand magnitude (magnitudes(), in double from torch's states), and to the
 * oracle's bits.
 */
#define PARITY_MAX_BUFFERS 6 /* param, grad and up to four state buffers */

typedef struct parity_optimizer {
    const char *name; /* the config line's word */
    /* The file's buffer names: [0] the parameter, [1] the gradient (the only
     * input), then the state; NULL after the last. */
    const char *buffers[PARITY_MAX_BUFFERS + 1];
    /* Parses the options after the name; returns the configuration (static
     * storage of the test) and sets *used (bit b: buffers[b]), or NULL after
     * reporting the error. */
    const void *(*parse)(ref_reader *r, char *cursor, unsigned *used);
    /* One step on one entry; unused buffers are NULL. */
    lossopt_status (*run)(const variant *v, const void *config, float *const buffers[],
                          size_t n, int64_t step);
    /* magnitude[b][i] for every output buffer b the configuration uses. */
    void (*magnitudes)(const void *config, int64_t step, size_t n, float *const before[],
                       float *const after[], double *const magnitude[]);
    /* results: */
    parity_worst worst; /* in ulp of the operand magnitude */
    long steps;
} parity_optimizer;

/* Reads and checks the whole file (n at most max_n); false after a parse error. */
bool parity_replay_steps(ref_reader *r, const char *magic, parity_optimizer *optimizers,
                         size_t count, long max_n, double tolerance_ulp);
/* Per optimizer: steps and the largest error against the bound. */
void parity_report_steps(const parity_optimizer *optimizers, size_t count,
                         double tolerance_ulp);

/* One "name=value" option of a configuration line: a double (16 hex digits of
 * its bits) when real is set, else a flag (0 or 1). */
typedef struct parity_option {
    const char *name;
    double *real;
    bool *flag;
    bool seen;
} parity_option;
/* Every option exactly once, in any order, and nothing else. */
bool parity_parse_options(ref_reader *r, char *cursor, parity_option *options, size_t count);

/* ---- row-wise losses: cross_entropy, soft targets, multi_margin ------------------ */
/*
 * The case format that make_torch_ce_reference.py and
 * make_torch_soft_ce_margin_reference.py share: labels, class weights and
 * logits (given, or generated and patched), then PyTorch's float32 results
 * and a float64 reference per row, reduced and per gradient entry (all of
 * them, or sampled ones). The bounds (SPEC 2; why: test_ce_torch_parity.c):
 *   reduced loss (MEAN, SUM): |ours - ref| <= 1e-6 |ref|
 *   per-row loss (NONE):      |ours - ref| <= max(4 ulp(ref), 1e-6 |ref|), exact at 0
 *   gradient:                 |ours - ref| <= max(2 ulp(ref), 2^-20 B_r / D)
 *     B_r = ref_row_bound (ref_row_max where the file has none), D = MEAN's
 *     divisor for MEAN, else 1;
 *   NaN, +inf and 0 where the reference has them, exactly.
 * Against PyTorch's float32 results (loose, to catch a semantic mismatch):
 * values within 1e-5 max(|torch|, |ref|) + 1e-6, gradients within 1e-5 G +
 * 1e-6, G = max(the row's largest stored |PyTorch grad|, B_r / D); NaN and
 * +inf must match, except a PyTorch NaN at 0 log 0 (zero_log_zero rows).
 */
#define PARITY_ROWS_MAX_ROWS 64
#define PARITY_ROWS_MAX_CLASSES 32000
#define PARITY_ROWS_MAX_ELEMENTS 64000
#define PARITY_ROWS_MAX_KINDS 2

typedef struct parity_rows_case {
    int index, kind;        /* kind: the test's own (stats and report per kind) */
    size_t rows, classes, n;
    bool weighted, generated, sampled;
    bool has_labels;        /* a labels line (class indices, negative = ignored) */
    bool has_bound;         /* a ref_row_bound line                              */
    bool weighted_divisor;  /* MEAN divides by the labels' weights (cross_entropy) */
    const char *bound_name; /* what B_r is, for the messages                      */
    float smoothing;        /* cross_entropy's label_smoothing                    */
    int p;                  /* multi_margin's p and margin                        */
    float margin;
    int64_t labels[PARITY_ROWS_MAX_ROWS];
    float weight[PARITY_ROWS_MAX_CLASSES];
    float logits[PARITY_ROWS_MAX_ELEMENTS];
    float targets[PARITY_ROWS_MAX_ELEMENTS]; /* the test's own inputs, if any */
    float torch_loss_none[PARITY_ROWS_MAX_ROWS], torch_mean, torch_sum;
    double ref_loss[PARITY_ROWS_MAX_ROWS], ref_mean, ref_sum, ref_divisor;
    double ref_row_max[PARITY_ROWS_MAX_ROWS], ref_row_bound[PARITY_ROWS_MAX_ROWS];
    bool zero_log_zero[PARITY_ROWS_MAX_ROWS]; /* PyTorch's loss may be NaN there */
    size_t k;                                 /* stored gradient entries */
    size_t grad_index[PARITY_ROWS_MAX_ELEMENTS];
    float torch_grad_sum[PARITY_ROWS_MAX_ELEMENTS], torch_grad_mean[PARITY_ROWS_MAX_ELEMENTS];
    double ref_grad[PARITY_ROWS_MAX_ELEMENTS]; /* d(sum)/dx */
    /* the staged inputs (parity_rows_run_case) */
    const float *staged_logits, *staged_weight;
    const int64_t *staged_labels;
} parity_rows_case;

typedef struct parity_rows_limits {
    long max_rows, max_classes, max_elements;
} parity_rows_limits;

/* "rows=<R> classes=<C> weighted=<0|1>" within the limits. */
bool parity_rows_read_shape(ref_reader *r, char **cursor, parity_rows_case *c,
                            const parity_rows_limits *limits);
/* "logits=<hex|gen>" ... "grads=<all|sampled>" around the test's own options. */
bool parity_rows_read_logits_option(ref_reader *r, char **cursor, parity_rows_case *c);
bool parity_rows_read_grads_option(ref_reader *r, char **cursor, parity_rows_case *c);
/* labels (if has_labels), weight or weight_gen, logits or logits_gen + logits_patch. */
bool parity_rows_read_inputs(ref_reader *r, parity_rows_case *c);
/* torch_loss_*, ref_* (ref_row_bound if has_bound), grad_index, the gradients. */
bool parity_rows_read_results(ref_reader *r, parity_rows_case *c);

/* The file's own consistency, then the case on every entry (f->check =
 * parity_rows_check), with logits, weights and labels staged on guard pages
 * (input slots 1 to 3; slot 0 is the test's own, staged before), which must
 * stay untouched. */
void parity_rows_run_case(const parity_loss_family *f, parity_rows_case *c);
void parity_rows_check(const void *c, int reduction, const float *loss, const float *grad,
                       const char *what, const char *entry);
/* The counts and the largest errors of each kind (kind_names[kind]). */
void parity_rows_report(const char *const *kind_names, int kinds);

#endif /* LOSSOPT_TESTS_PARITY_COMMON_H */
