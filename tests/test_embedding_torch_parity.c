/* tests/test_embedding_torch_parity.c - cosine_embedding and triplet_margin
 * against PyTorch 1.13 (tests/reference/embedding_reference.txt, written by
 * make_torch_embedding_reference.py: float32 inputs, PyTorch's float32 losses
 * and autograd gradients for every reduction, a float64 autograd reference,
 * each row's largest term and distance from a tie). Every implementation
 * (the oracle, every vector ISA, the emulated AVX-512 table, the public API)
 * must give the oracle's bits; the oracle's results are held to:
 *   values     2 ulp of the row's largest term T (cosine: max(1, |cos|) or
 *              max(|cos|, |margin|); triplet: max(|margin|, d_ap, d_neg)),
 *              plus 2 gamma T for the canonical float sums over dim
 *              (gamma = (ceil(min(dim, 256) / 16) + 6) 2^-24), against float64
 *   reduced    1e-6 of sum |values|, plus the rows' bounds
 *   gradients  2 ulp, or 2^-20 of the row's largest term G, plus 4 gamma G
 *              (G = r max_j of |x2_j| / |x1||x2|, |x1_j| / |x1|^2, ... for
 *              cosine; r |u_j| / d for triplet with p = 2, r with p = 1)
 *   PyTorch    1e-5 of max(|torch|, T or G) (PyTorch sums in float32); the
 *              gradients of rows within 1e-5 T of a tie (the hinge's h == 0,
 *              swap's d(a, n) == d(p, n)) are not compared with either
 *              (a rounding may take the other side).
 * Usage: test_embedding_torch_parity <embedding_reference.txt> */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "test_variants.h"

/* max of two doubles by a plain comparison, not fmax, whose reductions crash
 * GCC 12's AArch64 vectoriser (internal compiler error), as in
 * test_no_fma_difference.c */
static double larger(double a, double b) { return a > b ? a : b; }

#define TORCH_RELATIVE 1e-5

typedef struct ecase {
    int index;
    bool cosine;
    size_t rows, dim;
    float margin, eps;
    int p;
    bool swap;
    float *in[3];                     /* x, y, z */
    float *torch_none, torch_mean, torch_sum;
    float *torch_grad[2][3];          /* [mean, sum][k] */
    double *ref_none, *ref_grad[3];   /* float64, SUM's gradients */
    double *term, *tie, *gap;
} ecase;

static char *text;
static char *cursor;

static char *next_line(void)
{
    while (cursor && *cursor) {
        char *line = cursor, *end = strchr(cursor, '\n');
        if (end) {
            *end = '\0';
            cursor = end + 1;
        } else {
            cursor = NULL;
        }
        if (line[0] != '#')
            return line;
    }
    return NULL;
}

/* "<name> v v v ..." with count values, as floats or doubles */
static bool read_values(const char *name, size_t count, float *f, double *d)
{
    char *line = next_line();
    size_t len = strlen(name);
    if (!line || strncmp(line, name, len) != 0 || line[len] != ' ') {
        test_check(false, "reference: expected %s", name);
        return false;
    }
    char *p = line + len;
    for (size_t i = 0; i < count; i++) {
        char *end;
        double v = strtod(p, &end);
        if (end == p) {
            test_check(false, "reference: %s has too few values", name);
            return false;
        }
        p = end;
        if (f)
            f[i] = (float)v;
        if (d)
            d[i] = v;
    }
    return true;
}

static double *dalloc(size_t n) { return malloc((n ? n : 1) * sizeof(double)); }
static float *falloc(size_t n) { return malloc((n ? n : 1) * sizeof(float)); }

static bool read_case(ecase *c, int index)
{
    char *line = next_line(), kind[16];
    unsigned long rows, dim;
    char margin[40], eps[40];
    int p, swap, file_index;
    if (!line || sscanf(line, "case %d %15s rows=%lu dim=%lu margin=%39s p=%d eps=%39s swap=%d",
                        &file_index, kind, &rows, &dim, margin, &p, eps, &swap) != 8 ||
        file_index != index)
        return test_check(false, "reference: bad case line %d", index);
    c->index = index;
    c->cosine = strcmp(kind, "cosine") == 0;
    c->rows = rows;
    c->dim = dim;
    c->margin = (float)strtod(margin, NULL);
    c->eps = (float)strtod(eps, NULL);
    c->p = p;
    c->swap = swap != 0;
    size_t n = rows * dim, grads = c->cosine ? 2 : 3;
    static const char *const in_names[3] = {"x", "y", "z"};
    for (int k = 0; k < 3; k++) {
        size_t count = c->cosine && k == 2 ? rows : n;
        c->in[k] = test_guarded_alloc(count);
        if (!read_values(in_names[k], count, c->in[k], NULL))
            return false;
    }
    c->torch_none = falloc(rows);
    if (!read_values("torch_loss_none", rows, c->torch_none, NULL) ||
        !read_values("torch_loss_mean", 1, &c->torch_mean, NULL) ||
        !read_values("torch_loss_sum", 1, &c->torch_sum, NULL))
        return false;
    for (size_t k = 0; k < grads; k++) {
        char name[32];
        c->torch_grad[0][k] = falloc(n);
        c->torch_grad[1][k] = falloc(n);
        snprintf(name, sizeof name, "torch_grad_mean_%zu", k);
        if (!read_values(name, n, c->torch_grad[0][k], NULL))
            return false;
        snprintf(name, sizeof name, "torch_grad_sum_%zu", k);
        if (!read_values(name, n, c->torch_grad[1][k], NULL))
            return false;
    }
    c->ref_none = dalloc(rows);
    if (!read_values("ref_loss_none", rows, NULL, c->ref_none))
        return false;
    for (size_t k = 0; k < grads; k++) {
        char name[32];
        c->ref_grad[k] = dalloc(n);
        snprintf(name, sizeof name, "ref_grad_sum_%zu", k);
        if (!read_values(name, n, NULL, c->ref_grad[k]))
            return false;
    }
    c->term = dalloc(rows);
    c->tie = dalloc(rows);
    c->gap = dalloc(rows);
    return read_values("term", rows, NULL, c->term) && read_values("tie", rows, NULL, c->tie) &&
           read_values("swap_gap", rows, NULL, c->gap);
}

static void free_case(ecase *c)
{
    for (int k = 0; k < 3; k++) {
        test_guarded_free(c->in[k]);
        free(c->torch_grad[0][k]);
        free(c->torch_grad[1][k]);
        free(c->ref_grad[k]);
    }
    free(c->torch_none);
    free(c->ref_none);
    free(c->term);
    free(c->tie);
    free(c->gap);
    memset(c, 0, sizeof *c);
}

static lossopt_status run(const variant *v, const ecase *c, lossopt_reduction r, float *loss,
                          float *g[3])
{
    const lossopt_kernel_table *t = v->table;
    if (c->cosine)
        return v->public_api
                   ? lossopt_cosine_embedding_f32(c->in[0], c->in[1], c->in[2], c->rows, c->dim,
                                                  c->margin, r, loss, g[0], g[1])
                   : lossopt_cosine_embedding_f32_with_table(t, c->in[0], c->in[1], c->in[2],
                                                             c->rows, c->dim, c->margin, r, loss,
                                                             g[0], g[1]);
    return v->public_api
               ? lossopt_triplet_margin_f32(c->in[0], c->in[1], c->in[2], c->rows, c->dim,
                                            c->margin, c->p, c->eps, c->swap, r, loss, g[0],
                                            g[1], g[2])
               : lossopt_triplet_margin_f32_with_table(t, c->in[0], c->in[1], c->in[2], c->rows,
                                                       c->dim, c->margin, c->p, c->eps, c->swap,
                                                       r, loss, g[0], g[1], g[2]);
}

static double ulp_at(double x) { return test_ulp_of((float)fabs(x)); }

/* the row's largest gradient term for r = 1 */
static double grad_term(const ecase *c, size_t row)
{
    const float *x = c->in[0] + row * c->dim, *y = c->in[1] + row * c->dim;
    double largest = 0;
    if (c->cosine) {
        double s1 = 1e-12, s2 = 1e-12;
        for (size_t j = 0; j < c->dim; j++) {
            s1 += (double)x[j] * x[j];
            s2 += (double)y[j] * y[j];
        }
        double den = sqrt(s1 * s2);
        for (size_t j = 0; j < c->dim; j++)
            largest = larger(largest, larger(larger(fabs(y[j] / den), fabs(x[j] / s1)),
                                         larger(fabs(x[j] / den), fabs(y[j] / s2))));
        return largest;
    }
    if (c->p == 1)
        return 1.0;
    const float *z = c->in[2] + row * c->dim;
    const float *pairs[3][2] = {{x, y}, {x, z}, {y, z}};
    for (int k = 0; k < 3; k++) {
        double s = 0, m = 0;
        for (size_t j = 0; j < c->dim; j++) {
            double u = (double)((pairs[k][0][j] - pairs[k][1][j]) + c->eps);
            s += u * u;
            m = larger(m, fabs(u));
        }
        if (s > 0)
            largest = larger(largest, m / sqrt(s));
    }
    return largest;
}

static struct {
    double value, reduced, grad, torch;
} worst;

static void check_case(const ecase *c)
{
    size_t rows = c->rows, dim = c->dim, n = rows * dim, grads = c->cosine ? 2 : 3;
    size_t in_block = dim < 256 ? dim : 256;
    double gamma = (double)((in_block + 15) / 16 + 6) * 0x1p-24;
    variant entries[TEST_MAX_VARIANTS + 1];
    entries[0] = (variant){false, test_oracle(), "oracle"};
    size_t count = 1 + test_variants(entries + 1);
    static const lossopt_reduction reductions[3] = {LOSSOPT_MEAN, LOSSOPT_SUM, LOSSOPT_NONE};
    static const char *const names[3] = {"mean", "sum", "none"};
    float *oracle_loss = falloc(rows), *oracle_g[3];
    float *loss = test_guarded_alloc(rows), *g[3];
    for (int k = 0; k < 3; k++) {
        oracle_g[k] = falloc(n);
        g[k] = test_guarded_alloc(n);
    }
    double *gt = dalloc(rows);
    for (size_t row = 0; row < rows; row++)
        gt[row] = grad_term(c, row);
    for (int ri = 0; ri < 3; ri++) {
        lossopt_reduction red = reductions[ri];
        double r = red == LOSSOPT_MEAN ? 1.0 / (double)rows : 1.0;
        size_t lcount = red == LOSSOPT_NONE ? rows : 1;
        for (size_t e = 0; e < count; e++) {
            const variant *v = &entries[e];
            for (int k = 0; k < 3; k++)
                memset(g[k], 0xff, n * sizeof(float));
            float *out[3] = {g[0], g[1], c->cosine ? NULL : g[2]};
            float *loss_at = loss + (rows - lcount);
            if (!test_check(run(v, c, red, loss_at, out) == LOSSOPT_OK, "case %d %s %s: status",
                            c->index, names[ri], v->name))
                continue;
            if (e == 0) {
                memcpy(oracle_loss, loss_at, lcount * sizeof(float));
                for (size_t k = 0; k < grads; k++)
                    memcpy(oracle_g[k], g[k], n * sizeof(float));
                continue;
            }
            size_t d = test_first_difference(oracle_loss, loss_at, lcount);
            test_check(d == lcount, "case %d %s %s: loss[%zu] differs from the oracle's",
                       c->index, names[ri], v->name, d);
            for (size_t k = 0; k < grads; k++) {
                d = test_first_difference(oracle_g[k], g[k], n);
                test_check(d == n, "case %d %s %s: grad %zu [%zu] differs from the oracle's",
                           c->index, names[ri], v->name, k, d);
            }
        }
        /* the oracle's results against float64 and PyTorch */
        double sum_allowed = 0, sum_abs = 0, sum_ref = 0, sum_terms = 0;
        for (size_t row = 0; row < rows; row++) {
            double T = c->term[row], ref = c->ref_none[row];
            double allowed = 2 * ulp_at(T) + 2 * gamma * T;
            sum_allowed += allowed;
            sum_abs += fabs(ref);
            sum_ref += ref;
            sum_terms += T;
            if (red == LOSSOPT_NONE) {
                double error = fabs((double)oracle_loss[row] - ref);
                worst.value = larger(worst.value, error / allowed);
                test_check(error <= allowed, "case %d: loss[%zu] = %.9g, float64 %.17g",
                           c->index, row, oracle_loss[row], ref);
                double torch = c->torch_none[row];
                double te = fabs((double)oracle_loss[row] - torch);
                double scale = TORCH_RELATIVE * larger(fabs(torch), T);
                worst.torch = larger(worst.torch, te / scale);
                test_check(te <= scale, "case %d: loss[%zu] = %.9g, PyTorch %.9g", c->index,
                           row, oracle_loss[row], torch);
            }
            bool near_tie = fabs(c->tie[row]) <= TORCH_RELATIVE * T ||
                            fabs(c->gap[row]) <= TORCH_RELATIVE * T;
            if (near_tie)
                continue;
            double G = r * gt[row];
            float *const *torch_g = c->torch_grad[red == LOSSOPT_MEAN ? 0 : 1];
            for (size_t k = 0; k < grads; k++)
                for (size_t j = 0; j < dim; j++) {
                    size_t i = row * dim + j;
                    double want = c->ref_grad[k][i] * r, got = oracle_g[k][i];
                    double ga = larger(2 * ulp_at(want), 0x1p-20 * G) + 4 * gamma * G;
                    double error = fabs(got - want);
                    worst.grad = larger(worst.grad, error / ga);
                    test_check(error <= ga, "case %d %s: grad %zu [%zu][%zu] = %.9g, float64 %.17g",
                               c->index, names[ri], k, row, j, got, want);
                    double torch = torch_g[k][i];
                    double scale = TORCH_RELATIVE * larger(fabs(torch), G);
                    double te = fabs(got - torch);
                    worst.torch = larger(worst.torch, te / scale);
                    test_check(te <= scale, "case %d %s: grad %zu [%zu][%zu] = %.9g, PyTorch %.9g",
                               c->index, names[ri], k, row, j, got, torch);
                }
        }
        if (red != LOSSOPT_NONE) {
            double want = sum_ref * r, allowed = (1e-6 * sum_abs + sum_allowed) * r;
            double error = fabs((double)oracle_loss[0] - want);
            worst.reduced = larger(worst.reduced, error / allowed);
            test_check(error <= allowed, "case %d %s: loss %.9g, float64 %.17g", c->index,
                       names[ri], oracle_loss[0], want);
            double torch = red == LOSSOPT_MEAN ? c->torch_mean : c->torch_sum;
            double scale = TORCH_RELATIVE * larger(fabs(torch), sum_terms * r);
            double te = fabs((double)oracle_loss[0] - torch);
            worst.torch = larger(worst.torch, te / scale);
            test_check(te <= scale, "case %d %s: loss %.9g, PyTorch %.9g", c->index, names[ri],
                       oracle_loss[0], torch);
        }
    }
    free(gt);
    free(oracle_loss);
    test_guarded_free(loss);
    for (int k = 0; k < 3; k++) {
        free(oracle_g[k]);
        test_guarded_free(g[k]);
    }
}

int main(int argc, char **argv)
{
    test_init("test_embedding_torch_parity");
    test_skip_unless_forced_isa_supported();
    if (argc < 2) {
        fprintf(stderr, "usage: %s <embedding_reference.txt>\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!test_check(f != NULL, "cannot open %s", argv[1]))
        return test_finish();
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = malloc((size_t)size + 1);
    size_t got = fread(text, 1, (size_t)size, f);
    text[got] = '\0';
    fclose(f);
    cursor = text;
    char *line = next_line();
    int cases = 0;
    test_check(line && strcmp(line, "lossopt-embedding-reference 1") == 0, "reference: header");
    line = next_line();
    test_check(line && sscanf(line, "cases %d", &cases) == 1 && cases > 0, "reference: cases");
    test_seed_case("embedding parity", 0, 0, 0);
    int done = 0;
    for (int i = 0; i < cases; i++) {
        ecase c = {0};
        if (!read_case(&c, i))
            break;
        check_case(&c);
        free_case(&c);
        done++;
    }
    test_check(done == cases && cases >= 40, "reference: %d of %d cases read", done, cases);
    printf("  %d cases; worst: values %.3f, reduced %.3f, gradients %.3f of their float64 "
           "bounds, PyTorch %.3f of its\n",
           done, worst.value, worst.reduced, worst.grad, worst.torch);
    free(text);
    return test_finish();
}
