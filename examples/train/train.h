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
