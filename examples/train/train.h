/* train.h - shared declarations of the training demo (examples/train/).
 * The model code (linear layers, a 64-64-10 MLP) lives here, not in lossopt. */
#ifndef LOSSOPT_TRAIN_H
#define LOSSOPT_TRAIN_H

#include <stddef.h>
#include <stdint.h>

/* ---- deterministic PRNG (splitmix64): same stream on every CPU ---------- */
typedef struct { uint64_t s; } rng_t;
uint64_t rng_next(rng_t *r);
float rng_uniform(rng_t *r);          /* [0, 1), 24 random bits        */
uint32_t rng_below(rng_t *r, uint32_t n); /* [0, n), n > 0            */
void rng_shuffle(rng_t *r, int *a, int n);

/* ---- data: a dense float table ------------------------------------------ */
typedef struct {
    int rows, cols;
    float *v;                         /* rows x cols, row-major         */
} table_t;

/* Reads a text table of numbers separated by commas and/or blanks.
 * skip_lines header lines are ignored; every other non-empty line must have
 * exactly `cols` fields, and there must be exactly `rows` of them (rows < 0:
 * any number). On error returns -1 and writes a one-line message to err. */
int table_load(const char *path, int skip_lines, int rows, int cols, table_t *t, char *err,
               size_t errlen);
void table_free(table_t *t);

/* ---- the shared model code (train.c) ------------------------------------- */
typedef struct {
    int n, d;
    float *x;       /* n x d, standardised with the training split's statistics */
    float *y;       /* regression (standardised) / binary (0, 1) targets, or NULL */
    int64_t *lab;   /* class labels, or NULL                                     */
} dataset;

void *xcalloc(size_t n, size_t sz);   /* exits on failure */
/* model: linear (h == 0) or d-h-k MLP with ReLU; flat parameter buffer
 *   linear: W[d][k], b[k];  MLP: W1[d][h], b1[h], W2[h][k], b2[k] */
size_t nparams(int d, int h, int k);
/* out (k floats) and hid (h floats, post-ReLU) of one input row */
void forward(const float *w, int d, int h, int k, const float *x, float *hid, float *out);
/* accumulate d(loss)/d(w) of one row into g, given dout (k floats); dh: h floats */
void backward(const float *w, float *g, int d, int h, int k, const float *x, const float *hid,
              const float *dout, float *dh);

/* ---- the added experiments (distill.c, metric.c) and the cross-ISA check -- */
/* One run of an added experiment in the cross-ISA bit-identity check: main()
 * keeps the main ISA's final weights and calls rerun on every supported ISA. */
typedef struct xcheck {
    char name[96];
    float *w;           /* final weights on the main ISA (malloc'd; main frees) */
    size_t nw;
    float *(*rerun)(const struct xcheck *c); /* trains again on the active ISA;
                                                returns nw malloc'd floats       */
    int arg;            /* which run of its experiment                          */
} xcheck_t;

/* Knowledge distillation on digits (distill.c): students trained with CE and
 * with KD from teacher_w (a d-teacher_h-10 MLP). Prints its table, writes
 * outdir/distill.csv and outdir/digits_distill.svg. Adds up to max runs to chk
 * when check is set; returns how many. */
int distill_experiment(const dataset *train, const dataset *test, const float *teacher_w,
                       int teacher_h, const char *teacher_desc, uint64_t seed,
                       const char *outdir, int check, xcheck_t *chk, int max);
/* Metric learning on digits (metric.c): embeddings 64 -> 16 trained with the
 * triplet margin loss. Prints its table, writes outdir/metric.csv and
 * outdir/digits_metric.svg; check runs as distill_experiment. */
int metric_experiment(const dataset *train, const dataset *test, uint64_t seed,
                      const char *outdir, int check, xcheck_t *chk, int max);
double wall_seconds(void);

/* ---- SVG charts ----------------------------------------------------------- */
typedef struct {
    const char *name;
    const float *y;   /* n values, y[i] at x = i + 1 */
    int n;
} svg_series;

int svg_line_chart(const char *path, const char *title, const char *xlabel, const char *ylabel,
                   const svg_series *s, int ns, int log_y);
/* Per-series line style for svg_line_chart_ex (zero fields: the default). */
typedef struct {
    const char *color;   /* NULL: the palette colour of the series' index  */
    float width;         /* 0: 2 px                                         */
    float opacity;       /* 0: opaque                                       */
    const char *dash;    /* SVG stroke-dasharray, e.g. "6 4"; NULL: solid   */
} svg_style;

typedef struct {         /* zero-init: svg_line_chart's layout              */
    const char *subtitle;      /* a second title line, or NULL              */
    int legend_width;          /* pixels; 0: 170                            */
    int log_tight;             /* log_y: axis from the 1-2-5 values around
                                  the data, ticks at 1, 2, 5 x 10^k (instead
                                  of whole decades)                         */
    const svg_style *style;    /* ns entries, or NULL                       */
    int draw_reversed;         /* draw the last series first (underneath);
                                  the legend keeps the given order          */
} svg_line_opts;

int svg_line_chart_ex(const char *path, const char *title, const char *xlabel,
                      const char *ylabel, const svg_series *s, int ns, int log_y,
                      const svg_line_opts *opt);

typedef struct {
    const char *group;      /* x-axis group label            */
    float value[2];         /* one bar per series            */
} svg_bar_group;

int svg_bar_chart(const char *path, const char *title, const char *ylabel,
                  const char *series_name[2], const svg_bar_group *g, int ng);

#endif
