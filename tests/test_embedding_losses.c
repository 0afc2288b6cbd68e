/* tests/test_embedding_losses.c - lossopt_cosine_embedding_f32 and
 * lossopt_triplet_margin_f32 (PyTorch cosine_embedding_loss,
 * triplet_margin_loss), rows x dim:
 *   - every supported vector ISA, the 512-bit build, the emulated AVX-512
 *     table and the public API against the scalar oracle, bit for bit:
 *     dims of 1 to 1000 (every tail and more than one canonical block),
 *     margins, p, eps and swap, y of 1, -1 and others (0, 2, NaN), every
 *     reduction, loss-only and each-gradient-alone calls, special values,
 *     every buffer ending at a guard page and misaligned by one float;
 *   - the oracle against the formula in double (exact products, exact sums):
 *     values and gradients within the header's bounds (2 ulp of the largest
 *     term, plus the canonical float sums' rounding), SUM and MEAN exactly
 *     the double sum of the row losses, rounded once;
 *   - the edges PyTorch users hit, on every entry point: the cosine of a zero
 *     vector (PyTorch 1.13's values), y neither 1 nor -1, the hinge at
 *     h == 0, swap (which distance wins, a tie halves), zero distances with
 *     eps == 0 (p == 2: gradient 0; p == 1: sign(0) = 0), rows == 0;
 *   - the error contract: NULL, SIZE, ARG in that order, nothing written. */
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

static const lossopt_reduction reductions[] = {LOSSOPT_MEAN, LOSSOPT_SUM, LOSSOPT_NONE};
static const char *const reduction_names[] = {"mean", "sum", "none"};

enum { COSINE, TRIPLET };

typedef struct config {
    int kind;
    float margin;
    int p;
    float eps;
    bool swap;
} config;

static const config configs[] = {
    {COSINE, 0.0f, 0, 0.0f, false},    {COSINE, 0.5f, 0, 0.0f, false},
    {COSINE, -0.3f, 0, 0.0f, false},   {TRIPLET, 1.0f, 2, 1e-6f, false},
    {TRIPLET, 1.0f, 2, 1e-6f, true},   {TRIPLET, 0.2f, 1, 1e-6f, false},
    {TRIPLET, 0.2f, 1, 1e-6f, true},   {TRIPLET, 0.5f, 2, 0.0f, true},
    {TRIPLET, -0.25f, 1, 0.0f, false}, {TRIPLET, 0.0f, 2, 0.375f, false},
};
#define CONFIG_COUNT (sizeof configs / sizeof configs[0])

static const char *describe(const config *c)
{
    static char text[96];
    if (c->kind == COSINE)
        snprintf(text, sizeof text, "cosine_embedding margin=%g", c->margin);
    else
        snprintf(text, sizeof text, "triplet_margin margin=%g p=%d eps=%g%s", c->margin, c->p,
                 c->eps, c->swap ? " swap" : "");
    return text;
}

static lossopt_status run(const variant *v, const config *c, const float *x, const float *y,
                          const float *z, size_t rows, size_t dim, lossopt_reduction r,
                          float *loss, float *g1, float *g2, float *g3)
{
    const lossopt_kernel_table *t = v->public_api ? NULL : v->table;
    if (c->kind == COSINE) {
        if (v->public_api)
            return lossopt_cosine_embedding_f32(x, y, z, rows, dim, c->margin, r, loss, g1, g2);
        return lossopt_cosine_embedding_f32_with_table(t, x, y, z, rows, dim, c->margin, r, loss,
                                                       g1, g2);
    }
    if (v->public_api)
        return lossopt_triplet_margin_f32(x, y, z, rows, dim, c->margin, c->p, c->eps, c->swap,
                                          r, loss, g1, g2, g3);
    return lossopt_triplet_margin_f32_with_table(t, x, y, z, rows, dim, c->margin, c->p, c->eps,
                                                 c->swap, r, loss, g1, g2, g3);
}

static variant oracle_variant(void)
{
    return (variant){false, test_oracle(), "oracle"};
}

typedef struct batch {
    float *x, *y, *z; /* cosine: x1, x2, y (rows); triplet: anchor, positive, negative */
    size_t rows, dim, z_count;
    int shift; /* 0 or 1: buffers misaligned by one float */
} batch;

static float value(bool special, float lo, float hi)
{
    return special && test_random_u32() % 5 == 0 ? test_random_special()
                                                 : test_random_uniform(lo, hi);
}

/* cosine: x2 a noisy multiple of x1 in about half the rows (cos near +-1),
 * some zero rows; y mostly +-1. triplet: positive and negative near the
 * anchor at random scales, so rows fall on both sides of the hinge and
 * either distance wins with swap; sometimes positive == anchor. */
static batch make_batch(const config *c, size_t rows, size_t dim, bool special, int shift)
{
    size_t n = rows * dim;
    batch b = {NULL, NULL, NULL, rows, dim, c->kind == COSINE ? rows : n, shift};
    /* each buffer ends at its guard page; shift 1 starts it one float in */
    b.x = test_guarded_alloc(n + (size_t)shift) + shift;
    b.y = test_guarded_alloc(n + (size_t)shift) + shift;
    b.z = test_guarded_alloc(b.z_count + (size_t)shift) + shift;
    for (size_t r = 0; r < rows; r++) {
        float *x = b.x + r * dim, *y = b.y + r * dim;
        uint32_t kind = test_random_u32() % 8;
        float scale = test_random_uniform(0.01f, 2.0f) * (test_random_u32() % 2 ? 1.0f : -1.0f);
        float noise = test_random_u32() % 2 ? 1e-3f : 1.0f;
        for (size_t j = 0; j < dim; j++) {
            x[j] = kind == 0 ? 0.0f : value(special, -2.0f, 2.0f);
            y[j] = kind == 1 ? 0.0f
                   : kind < 5 ? scale * x[j] + noise * value(special, -1.0f, 1.0f)
                              : value(special, -2.0f, 2.0f);
        }
        if (c->kind == COSINE) {
            static const float others[] = {0.0f, 2.0f, NAN, -0.5f};
            uint32_t k = test_random_u32() % 8;
            b.z[r] = k < 4 ? 1.0f : k < 7 ? -1.0f : others[test_random_u32() % 4];
        } else {
            float *z = b.z + r * dim;
            if (kind == 2)
                memcpy(y, x, dim * sizeof(float)); /* positive == anchor */
            for (size_t j = 0; j < dim; j++)
                z[j] = kind == 3 ? y[j] : x[j] + 1.2f * value(special, -1.0f, 1.0f);
        }
    }
    return b;
}

static void free_batch(batch *b)
{
    test_guarded_free(b->x - b->shift);
    test_guarded_free(b->y - b->shift);
    test_guarded_free(b->z - b->shift);
}

static void compare(const variant *v, const config *c, size_t rows, size_t dim, bool special,
                    int shift)
{
    batch b = make_batch(c, rows, dim, special, shift);
    size_t n = rows * dim, cap = n ? n : 1, rcap = rows ? rows : 1;
    int grads = c->kind == COSINE ? 2 : 3;
    float *want_loss = malloc(rcap * sizeof(float)), *want[3], *got[3];
    float *got_loss = test_guarded_alloc(rcap), *only = malloc((cap > rcap ? cap : rcap) * 4);
    for (int k = 0; k < 3; k++) {
        want[k] = malloc(cap * sizeof(float));
        got[k] = test_guarded_alloc(cap);
    }
    variant oracle = oracle_variant();
    for (int ri = 0; ri < 3; ri++) {
        lossopt_reduction r = reductions[ri];
        size_t count = r == LOSSOPT_NONE ? rows : 1;
        float *loss_at = r == LOSSOPT_NONE ? got_loss : got_loss + (rcap - 1);
        lossopt_status s1 = run(&oracle, c, b.x, b.y, b.z, rows, dim, r, want_loss, want[0],
                                want[1], want[2]);
        for (int k = 0; k < 3; k++)
            memset(got[k], 0x55, cap * sizeof(float));
        lossopt_status s2 = run(v, c, b.x, b.y, b.z, rows, dim, r, loss_at, got[0], got[1],
                                got[2]);
        if (!test_check(s1 == LOSSOPT_OK && s2 == LOSSOPT_OK, "%s %s %zux%zu: status %d/%d",
                        describe(c), v->name, rows, dim, s1, s2))
            continue;
        size_t d = test_first_difference(want_loss, loss_at, count);
        test_check(d == count, "%s %s %zux%zu %s%s: loss[%zu] oracle %a, variant %a",
                   describe(c), v->name, rows, dim, reduction_names[ri],
                   special ? " special" : "", d, d < count ? want_loss[d] : 0.0,
                   d < count ? loss_at[d] : 0.0);
        for (int k = 0; k < grads; k++) {
            d = test_first_difference(want[k], got[k], n);
            test_check(d == n, "%s %s %zux%zu %s%s: grad %d [%zu] oracle %a, variant %a",
                       describe(c), v->name, rows, dim, reduction_names[ri],
                       special ? " special" : "", k, d, d < n ? want[k][d] : 0.0,
                       d < n ? got[k][d] : 0.0);
        }
        test_check(run(v, c, b.x, b.y, b.z, rows, dim, r, only, NULL, NULL, NULL) ==
                           LOSSOPT_OK &&
                       test_first_difference(want_loss, only, count) == count,
                   "%s %s %zux%zu %s: loss-only call differs", describe(c), v->name, rows, dim,
                   reduction_names[ri]);
        for (int k = 0; k < grads; k++) {
            float *g[3] = {NULL, NULL, NULL};
            g[k] = only;
            test_check(run(v, c, b.x, b.y, b.z, rows, dim, r, NULL, g[0], g[1], g[2]) ==
                               LOSSOPT_OK &&
                           test_first_difference(want[k], only, n) == n,
                       "%s %s %zux%zu %s: grad %d alone differs", describe(c), v->name, rows,
                       dim, reduction_names[ri], k);
        }
    }
    free(want_loss);
    free(only);
    test_guarded_free(got_loss);
    for (int k = 0; k < 3; k++) {
        free(want[k]);
        test_guarded_free(got[k]);
    }
    free_batch(&b);
}

/* The canonical sums' float rounding, relative to the sum of |terms|: the
 * product's rounding, at most ceil(min(dim, 256) / 16) additions in a lane
 * and the 4 of the fold (a generous count of first-order roundings). */
static double sum_gamma(size_t dim)
{
    size_t in_block = dim < 256 ? dim : 256;
    return (double)((in_block + 15) / 16 + 6) * 0x1p-24;
}

static bool within(float got, double want, double bound)
{
    if (isnan(want))
        return isnan(got);
    return fabs((double)got - want) <= bound;
}

/* The oracle against the formula in double, per row, with NONE's row
 * losses and MEAN's gradients; SUM and MEAN as the double sum of the row
 * losses rounded once. */
static void check_formula(const config *c, size_t rows, size_t dim)
{
    test_seed_case("embedding formula", (uint64_t)(c - configs), rows, dim);
    batch b = make_batch(c, rows, dim, false, 0);
    size_t n = rows * dim;
    float *loss = malloc(rows * sizeof(float)), *g[3], sum, mean;
    for (int k = 0; k < 3; k++)
        g[k] = malloc(n * sizeof(float));
    variant oracle = oracle_variant();
    run(&oracle, c, b.x, b.y, b.z, rows, dim, LOSSOPT_NONE, loss, NULL, NULL, NULL);
    run(&oracle, c, b.x, b.y, b.z, rows, dim, LOSSOPT_SUM, &sum, NULL, NULL, NULL);
    run(&oracle, c, b.x, b.y, b.z, rows, dim, LOSSOPT_MEAN, &mean, g[0], g[1], g[2]);
    double gamma = sum_gamma(dim), r = 1.0 / (double)rows, total = 0.0;
    double worst_value = 0.0, worst_grad = 0.0; /* in units of the bound */
    for (size_t row = 0; row < rows; row++) {
        total += (double)loss[row];
        const float *x = b.x + row * dim, *y = b.y + row * dim;
        size_t at = row * dim;
        if (c->kind == COSINE) {
            float t = b.z[row];
            if (t != 1.0f && t != -1.0f) {
                bool zero = test_same_float(loss[row], 0.0f);
                for (size_t j = 0; j < dim; j++)
                    zero = zero && test_same_float(g[0][at + j], 0.0f) &&
                           test_same_float(g[1][at + j], 0.0f);
                test_check(zero, "%s: y = %g row %zu not zero", describe(c), t, row);
                continue;
            }
            double p = 0, s1 = 0, s2 = 0, pa = 0;
            for (size_t j = 0; j < dim; j++) {
                p += (double)x[j] * y[j];
                pa += fabs((double)x[j] * y[j]);
                s1 += (double)x[j] * x[j];
                s2 += (double)y[j] * y[j];
            }
            double m1 = s1 + 1e-12, m2 = s2 + 1e-12, den = sqrt(m1 * m2), cs = p / den;
            /* cos's error from the sums: gamma (sum |x1 x2| / den + |cos|) */
            double dcos = gamma * (pa / den + fabs(cs)) * 1.5;
            double want, largest, s;
            if (t == 1.0f) {
                want = 1.0 - cs;
                largest = larger(1.0, fabs(cs));
                s = -1.0;
            } else {
                double h = cs - (double)c->margin;
                if (fabs(h) <= dcos * 2)
                    continue; /* the hinge's side is within the sums' rounding */
                want = h < 0 ? 0.0 : h;
                largest = larger(fabs(cs), fabs((double)c->margin));
                s = h < 0 ? 0.0 : 1.0;
            }
            double bound = 2 * test_ulp_of((float)largest) + dcos;
            test_check(within(loss[row], want, bound), "%s %zux%zu row %zu: loss %.9g, want %.17g",
                       describe(c), rows, dim, row, loss[row], want);
            worst_value = larger(worst_value, fabs(loss[row] - want) / bound);
            /* the row's largest term of either gradient */
            double lt = 0;
            for (size_t j = 0; j < dim; j++)
                lt = larger(larger(lt, larger(fabs(y[j] * r / den), fabs(x[j] * r / m1))),
                          larger(fabs(x[j] * r / den), fabs(y[j] * r / m2)));
            double b1 = larger(2 * test_ulp_of((float)lt), 0x1p-20 * lt) + (3 * dcos + 2 * gamma) * lt;
            double b2 = b1;
            for (size_t j = 0; j < dim; j++) {
                double w1 = s * r * (y[j] / den - cs * x[j] / m1);
                double w2 = s * r * (x[j] / den - cs * y[j] / m2);
                test_check(within(g[0][at + j], w1, b1) && within(g[1][at + j], w2, b2),
                           "%s %zux%zu row %zu j %zu: grads %.9g %.9g, want %.17g %.17g",
                           describe(c), rows, dim, row, j, g[0][at + j], g[1][at + j], w1, w2);
                worst_grad = larger(worst_grad, fabs(g[0][at + j] - w1) / b1);
            }
        } else {
            const float *z = b.z + row * dim;
            double s[3] = {0, 0, 0};
            for (size_t j = 0; j < dim; j++) {
                float u[3] = {(x[j] - y[j]) + c->eps, (x[j] - z[j]) + c->eps,
                              (y[j] - z[j]) + c->eps};
                for (int k = 0; k < 3; k++)
                    s[k] += c->p == 1 ? fabs((double)u[k]) : (double)u[k] * u[k];
            }
            double d[3];
            for (int k = 0; k < 3; k++)
                d[k] = c->p == 1 ? s[k] : sqrt(s[k]);
            double slack[3];
            for (int k = 0; k < 3; k++)
                slack[k] = gamma * d[k] * (c->p == 1 ? 1.5 : 1.0);
            double dneg = d[1], sneg = slack[1];
            if (c->swap) {
                if (fabs(d[1] - d[2]) <= slack[1] + slack[2])
                    continue; /* which distance wins is within the rounding */
                if (d[2] < d[1]) {
                    dneg = d[2];
                    sneg = slack[2];
                }
            }
            double h = ((double)c->margin + d[0]) - dneg;
            double dh = slack[0] + sneg;
            if (fabs(h) <= dh * 2)
                continue;
            double want = h < 0 ? 0.0 : h;
            double largest = larger(larger(fabs((double)c->margin), d[0]), dneg);
            double bound = 2 * test_ulp_of((float)largest) + dh;
            test_check(within(loss[row], want, bound), "%s %zux%zu row %zu: loss %.9g, want %.17g",
                       describe(c), rows, dim, row, loss[row], want);
            worst_value = larger(worst_value, fabs(loss[row] - want) / bound);
            double gg = h < 0 ? 0.0 : r;
            double g_an = gg, g_pn = 0.0;
            if (c->swap && d[2] < d[1]) {
                g_an = 0.0;
                g_pn = gg;
            }
            double coef[3] = {gg, g_an, g_pn};
            double largest_term = 0;
            for (int k = 0; k < 3; k++) {
                if (c->p == 2)
                    coef[k] = d[k] == 0 ? 0.0 : coef[k] / d[k];
            }
            for (size_t j = 0; j < dim; j++) {
                float u[3] = {(x[j] - y[j]) + c->eps, (x[j] - z[j]) + c->eps,
                              (y[j] - z[j]) + c->eps};
                double v[3];
                for (int k = 0; k < 3; k++) {
                    v[k] = c->p == 2 ? u[k] : (u[k] > 0 ? 1.0 : u[k] < 0 ? -1.0 : 0.0);
                    largest_term = larger(largest_term, fabs(v[k] * coef[k]));
                }
            }
            double gb = larger(2 * test_ulp_of((float)largest_term), 0x1p-20 * largest_term) +
                        (c->p == 2 ? 2 * gamma * largest_term : 0.0);
            for (size_t j = 0; j < dim; j++) {
                float u[3] = {(x[j] - y[j]) + c->eps, (x[j] - z[j]) + c->eps,
                              (y[j] - z[j]) + c->eps};
                double v[3];
                for (int k = 0; k < 3; k++)
                    v[k] = c->p == 2 ? u[k] : (u[k] > 0 ? 1.0 : u[k] < 0 ? -1.0 : 0.0);
                double wa = v[0] * coef[0] - v[1] * coef[1];
                double wp = -v[0] * coef[0] - v[2] * coef[2];
                double wn = v[1] * coef[1] + v[2] * coef[2];
                test_check(within(g[0][at + j], wa, gb) && within(g[1][at + j], wp, gb) &&
                               within(g[2][at + j], wn, gb),
                           "%s %zux%zu row %zu j %zu: grads %.9g %.9g %.9g, want %.17g %.17g "
                           "%.17g",
                           describe(c), rows, dim, row, j, g[0][at + j], g[1][at + j],
                           g[2][at + j], wa, wp, wn);
                worst_grad = larger(worst_grad, fabs(g[0][at + j] - wa) / gb);
            }
        }
    }
    test_check(test_same_float(sum, (float)total), "%s: SUM %a, want %a", describe(c), sum,
               (float)total);
    test_check(test_same_float(mean, (float)(total / (double)rows)), "%s: MEAN %a, want %a",
               describe(c), mean, (float)(total / (double)rows));
    if (getenv("LOSSOPT_TEST_VERBOSE"))
        printf("  %s %zux%zu: worst value %.3f, gradient %.3f of the bound\n", describe(c), rows,
               dim, worst_value, worst_grad);
    for (int k = 0; k < 3; k++)
        free(g[k]);
    free(loss);
    free_batch(&b);
}

static bool all_zero(const float *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!test_same_float(g[i], 0.0f))
            return false;
    return true;
}

static bool near(float got, float want)
{
    return fabsf(got - want) <= 1e-6f;
}

/* The edges PyTorch users hit, with PyTorch 1.13's values where it has them. */
static void check_edges(void)
{
    variant entries[TEST_MAX_VARIANTS];
    size_t count = test_all_entry_points(entries);
    for (size_t e = 0; e < count; e++) {
        const variant *v = &entries[e];
        config cos0 = {COSINE, 0.0f, 0, 0.0f, false};
        float loss[4], g1[12], g2[12], g3[12];
        /* the cosine of a zero vector: PyTorch gives loss 1, grad_x1
         * -x2 / sqrt(1e-12 * (|x2|^2 + 1e-12)) = (-267261.25, -534522.5,
         * -801783.75), grad_x2 0 */
        float zero[3] = {0, 0, 0}, w[3] = {1, 2, 3}, one = 1.0f;
        test_check(run(v, &cos0, zero, w, &one, 1, 3, LOSSOPT_MEAN, loss, g1, g2, NULL) == LOSSOPT_OK &&
                       test_same_float(loss[0], 1.0f) && fabsf(g1[0] + 267261.25f) <= 0.05f &&
                       fabsf(g1[1] + 534522.5f) <= 0.1f && fabsf(g1[2] + 801783.75f) <= 0.1f &&
                       all_zero(g2, 3),
                   "%s: cosine of a zero x1: loss %a, grad %.9g %.9g %.9g", v->name, loss[0],
                   g1[0], g1[1], g1[2]);
        test_check(run(v, &cos0, zero, zero, &one, 1, 3, LOSSOPT_MEAN, loss, g1, g2, NULL) ==
                           LOSSOPT_OK &&
                       test_same_float(loss[0], 1.0f) && all_zero(g1, 3) && all_zero(g2, 3),
                   "%s: cosine of two zero vectors: loss %a", v->name, loss[0]);
        /* y neither 1 nor -1: loss 0 and gradient 0, even with NaN inputs */
        float xs[8] = {1, NAN, 3, 4, 0.5f, 2, INFINITY, 1}, ys[8] = {2, 1, -1, 3, 1, 1, 1, 1};
        float targets[2] = {0.0f, NAN};
        test_check(run(v, &cos0, xs, ys, targets, 2, 4, LOSSOPT_NONE, loss, g1, g2, NULL) ==
                           LOSSOPT_OK &&
                       all_zero(loss, 2) && all_zero(g1, 8) && all_zero(g2, 8),
                   "%s: y of 0 and NaN: not zero", v->name);
        /* the hinge at h == 0 passes the gradient (PyTorch's clamp_min):
         * orthogonal rows, cos = 0, margin 0 */
        float e1[2] = {1, 0}, e2[2] = {0, 1}, m1y = -1.0f;
        test_check(run(v, &cos0, e1, e2, &m1y, 1, 2, LOSSOPT_SUM, loss, g1, g2, NULL) == LOSSOPT_OK &&
                       test_same_float(loss[0], 0.0f) && fabsf(g1[1] - 1.0f) <= 1e-6f &&
                       fabsf(g2[0] - 1.0f) <= 1e-6f && all_zero(g1, 1),
                   "%s: cosine hinge at h == 0: loss %a, grad %a %a", v->name, loss[0], g1[1],
                   g2[0]);
        /* triplet: swap picks the smaller distance; a tie halves the gradient
         * (positive == anchor: d(a, n) == d(p, n) exactly) */
        config sw = {TRIPLET, 100.0f, 2, 0.0f, true}, nosw = {TRIPLET, 100.0f, 2, 0.0f, false};
        float a[2] = {0, 0}, p[2] = {3, 4}, n[2] = {0, 1};
        /* d(a,p) = 5, d(a,n) = 1, d(p,n) = sqrt(9 + 9) */
        test_check(run(v, &sw, a, p, n, 1, 2, LOSSOPT_SUM, loss, g1, g2, g3) == LOSSOPT_OK &&
                       test_same_float(loss[0], 104.0f),
                   "%s: swap keeps d(a, n) = 1: loss %a", v->name, loss[0]);
        float n2[2] = {3, 5}; /* d(a,n) = sqrt(34), d(p,n) = 1 */
        test_check(run(v, &sw, a, p, n2, 1, 2, LOSSOPT_SUM, loss, g1, g2, g3) == LOSSOPT_OK &&
                       test_same_float(loss[0], 104.0f) && near(g1[0], -0.6f) &&
                       near(g1[1], -0.8f) && near(g3[0], 0.0f) && near(g3[1], -1.0f) &&
                       near(g2[0], 0.6f) && near(g2[1], 1.8f),
                   "%s: swap takes d(p, n) = 1: loss %a grads %a %a %a %a %a %a", v->name,
                   loss[0], g1[0], g1[1], g2[0], g2[1], g3[0], g3[1]);
        test_check(run(v, &nosw, a, p, n2, 1, 2, LOSSOPT_SUM, loss, g1, g2, g3) == LOSSOPT_OK &&
                       fabsf(loss[0] - (float)(105.0 - sqrt(34.0))) <= 1e-5f,
                   "%s: without swap d(a, n): loss %a", v->name, loss[0]);
        float tie_p[2] = {0, 0}, tie_n[2] = {3, 4};
        test_check(run(v, &sw, a, tie_p, tie_n, 1, 2, LOSSOPT_SUM, loss, g1, g2, g3) ==
                           LOSSOPT_OK &&
                       test_same_float(loss[0], 95.0f) && near(g3[0], -0.6f) &&
                       near(g3[1], -0.8f) && near(g1[0], 0.3f) && near(g1[1], 0.4f) &&
                       near(g2[0], 0.3f) && near(g2[1], 0.4f),
                   "%s: swap tie halves: loss %a grads %a %a %a", v->name, loss[0], g1[0], g2[0],
                   g3[0]);
        /* zero distance with eps == 0: p == 2 gradient 0, p == 1 sign(0) = 0 */
        for (int pn = 1; pn <= 2; pn++) {
            config zc = {TRIPLET, 1.0f, pn, 0.0f, false};
            float aa[3] = {1, 2, 3}, nn[3] = {1, 2, 4};
            test_check(run(v, &zc, aa, aa, nn, 1, 3, LOSSOPT_SUM, loss, g1, g2, g3) ==
                               LOSSOPT_OK &&
                           test_same_float(loss[0], 0.0f) && near(g1[0], 0.0f) &&
                           near(g1[2], 1.0f) && near(g2[0], 0.0f) && near(g2[2], 0.0f) &&
                           near(g3[0], 0.0f) && near(g3[2], -1.0f),
                       "%s: p=%d zero d(a, p): loss %a grads %a %a %a", v->name, pn, loss[0],
                       g1[2], g2[2], g3[2]);
        }
        /* rows == 0: SUM +0, MEAN NaN, NULL data fine */
        for (size_t k = 0; k < 2; k++) {
            config c0 = k ? (config){TRIPLET, 1.0f, 2, 1e-6f, false} : cos0;
            float l = 1.0f;
            test_check(run(v, &c0, NULL, NULL, NULL, 0, 3, LOSSOPT_SUM, &l, NULL, NULL, NULL) ==
                               LOSSOPT_OK &&
                           test_same_float(l, 0.0f),
                       "%s: rows 0 SUM", v->name);
            test_check(run(v, &c0, NULL, NULL, NULL, 0, 3, LOSSOPT_MEAN, &l, NULL, NULL, NULL) ==
                               LOSSOPT_OK &&
                           isnan(l),
                       "%s: rows 0 MEAN", v->name);
        }
        /* NaN in a row: its loss and all three gradient rows are NaN */
        config tc = {TRIPLET, 1.0f, 2, 1e-6f, true};
        float na[2] = {NAN, 0}, np[2] = {1, 1}, nq[2] = {2, 2};
        test_check(run(v, &tc, na, np, nq, 1, 2, LOSSOPT_SUM, loss, g1, g2, g3) == LOSSOPT_OK &&
                       isnan(loss[0]) && isnan(g1[1]) && isnan(g2[1]) && isnan(g3[1]),
                   "%s: a NaN row is not NaN throughout", v->name);
    }
}

#define PATTERN 0x5a
static void check_errors(void)
{
    variant entries[TEST_MAX_VARIANTS];
    size_t count = test_all_entry_points(entries);
    enum { R = 3, D = 5 };
    static float x[R * D], y[R * D], z[R * D], loss[R], g[3][R * D];
    for (int i = 0; i < R * D; i++) {
        x[i] = 0.5f * (float)i;
        y[i] = 1.0f - (float)i;
        z[i] = i % 2 ? 1.0f : -1.0f;
    }
    for (size_t e = 0; e < count; e++) {
        const variant *v = &entries[e];
        struct {
            config c;
            const float *x, *y, *z;
            size_t rows, dim;
            lossopt_reduction r;
            bool no_outputs;
            lossopt_status want;
            const char *why;
        } cases[] = {
            {{COSINE, 0, 0, 0, 0}, NULL, y, z, R, D, LOSSOPT_MEAN, false, LOSSOPT_ERR_NULL, "NULL x1"},
            {{COSINE, 0, 0, 0, 0}, x, NULL, z, R, D, LOSSOPT_MEAN, false, LOSSOPT_ERR_NULL, "NULL x2"},
            {{COSINE, 0, 0, 0, 0}, x, y, NULL, R, D, LOSSOPT_MEAN, false, LOSSOPT_ERR_NULL, "NULL y"},
            {{COSINE, 0, 0, 0, 0}, x, y, z, R, D, LOSSOPT_MEAN, true, LOSSOPT_ERR_NULL, "no output"},
            {{COSINE, NAN, 0, 0, 0}, NULL, y, z, R, 0, (lossopt_reduction)9, false,
             LOSSOPT_ERR_NULL, "NULL before SIZE and ARG"},
            {{COSINE, NAN, 0, 0, 0}, x, y, z, R, 0, LOSSOPT_BATCHMEAN, false, LOSSOPT_ERR_SIZE,
             "dim 0 before ARG"},
            {{COSINE, 0, 0, 0, 0}, x, y, z, SIZE_MAX / 4, D, LOSSOPT_MEAN, false,
             LOSSOPT_ERR_SIZE, "rows * dim overflowing"},
            {{COSINE, 0, 0, 0, 0}, x, y, z, R, D, LOSSOPT_BATCHMEAN, false, LOSSOPT_ERR_ARG,
             "BATCHMEAN"},
            {{COSINE, 0, 0, 0, 0}, x, y, z, R, D, (lossopt_reduction)-1, false, LOSSOPT_ERR_ARG,
             "reduction -1"},
            {{COSINE, NAN, 0, 0, 0}, x, y, z, R, D, LOSSOPT_SUM, false, LOSSOPT_ERR_ARG,
             "margin NaN"},
            {{TRIPLET, 1, 2, 1e-6f, 0}, NULL, y, z, R, D, LOSSOPT_MEAN, false, LOSSOPT_ERR_NULL,
             "NULL anchor"},
            {{TRIPLET, 1, 2, 1e-6f, 0}, x, NULL, z, R, D, LOSSOPT_MEAN, false, LOSSOPT_ERR_NULL,
             "NULL positive"},
            {{TRIPLET, 1, 2, 1e-6f, 0}, x, y, NULL, R, D, LOSSOPT_MEAN, false, LOSSOPT_ERR_NULL,
             "NULL negative"},
            {{TRIPLET, 1, 2, 1e-6f, 0}, x, y, z, R, D, LOSSOPT_MEAN, true, LOSSOPT_ERR_NULL,
             "no output"},
            {{TRIPLET, 1, 3, -1.0f, 0}, x, y, z, R, 0, LOSSOPT_MEAN, false, LOSSOPT_ERR_SIZE,
             "dim 0 before ARG"},
            {{TRIPLET, 1, 2, 1e-6f, 0}, x, y, z, SIZE_MAX / 2, 3, LOSSOPT_MEAN, false,
             LOSSOPT_ERR_SIZE, "rows * dim overflowing"},
            {{TRIPLET, 1, 3, 1e-6f, 0}, x, y, z, R, D, LOSSOPT_MEAN, false, LOSSOPT_ERR_ARG, "p 3"},
            {{TRIPLET, 1, 0, 1e-6f, 0}, x, y, z, R, D, LOSSOPT_MEAN, false, LOSSOPT_ERR_ARG, "p 0"},
            {{TRIPLET, 1, 2, -1e-6f, 0}, x, y, z, R, D, LOSSOPT_MEAN, false, LOSSOPT_ERR_ARG,
             "eps negative"},
            {{TRIPLET, 1, 2, NAN, 0}, x, y, z, R, D, LOSSOPT_MEAN, false, LOSSOPT_ERR_ARG, "eps NaN"},
            {{TRIPLET, 1, 2, INFINITY, 0}, x, y, z, R, D, LOSSOPT_MEAN, false, LOSSOPT_ERR_ARG,
             "eps inf"},
            {{TRIPLET, NAN, 2, 1e-6f, 0}, x, y, z, R, D, LOSSOPT_MEAN, false, LOSSOPT_ERR_ARG,
             "margin NaN"},
            {{TRIPLET, 1, 2, 1e-6f, 1}, x, y, z, R, D, LOSSOPT_BATCHMEAN, false, LOSSOPT_ERR_ARG,
             "BATCHMEAN"},
        };
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            memset(loss, PATTERN, sizeof loss);
            memset(g, PATTERN, sizeof g);
            bool none = cases[c].no_outputs;
            lossopt_status got = run(v, &cases[c].c, cases[c].x, cases[c].y, cases[c].z,
                                     cases[c].rows, cases[c].dim, cases[c].r, none ? NULL : loss,
                                     none ? NULL : g[0], none ? NULL : g[1], none ? NULL : g[2]);
            bool untouched = true;
            for (size_t i = 0; i < sizeof loss; i++)
                untouched = untouched && ((unsigned char *)loss)[i] == PATTERN;
            for (size_t i = 0; i < sizeof g; i++)
                untouched = untouched && ((unsigned char *)g)[i] == PATTERN;
            test_check(got == cases[c].want && untouched, "%s: %s %s: status %d, want %d%s",
                       v->name, describe(&cases[c].c), cases[c].why, got, cases[c].want,
                       untouched ? "" : " (and it wrote)");
        }
        /* the accepted extremes: margin +-inf, eps 0, negative margins */
        config ok[] = {{COSINE, INFINITY, 0, 0, 0},  {COSINE, -INFINITY, 0, 0, 0},
                       {TRIPLET, -2.0f, 1, 0.0f, 1}, {TRIPLET, INFINITY, 2, 0.0f, 0},
                       {TRIPLET, 0.0f, 2, 0.0f, 1}};
        for (size_t c = 0; c < sizeof ok / sizeof ok[0]; c++)
            test_check(run(v, &ok[c], x, y, z, R, D, LOSSOPT_MEAN, loss, g[0], g[1], g[2]) ==
                           LOSSOPT_OK,
                       "%s: %s refused", v->name, describe(&ok[c]));
    }
    test_check(lossopt_cosine_embedding_f32_with_table(NULL, NULL, NULL, NULL, 0, 0, NAN,
                                                       (lossopt_reduction)7, NULL, NULL,
                                                       NULL) == LOSSOPT_ERR_ISA &&
                   lossopt_triplet_margin_f32_with_table(NULL, NULL, NULL, NULL, 0, 0, NAN, 7,
                                                         NAN, false, (lossopt_reduction)7, NULL,
                                                         NULL, NULL, NULL) == LOSSOPT_ERR_ISA,
               "NULL table: want ERR_ISA first");
}

int main(void)
{
    test_init("test_embedding_losses");
    test_skip_unless_forced_isa_supported();
    bool quick = getenv("LOSSOPT_TEST_QUICK") != NULL;
    variant variants[TEST_MAX_VARIANTS];
    size_t variant_count = test_variants(variants);
    static const size_t shapes[][2] = {{0, 5},  {1, 1},  {3, 2},  {7, 3},   {5, 7},   {4, 8},
                                       {3, 15}, {5, 16}, {3, 17}, {9, 31},  {6, 33},  {4, 64},
                                       {2, 255}, {3, 257}, {2, 300}, {2, 1000}};
    size_t shape_count = sizeof shapes / sizeof shapes[0];
    for (size_t v = 0; v < variant_count; v++)
        for (size_t c = 0; c < CONFIG_COUNT; c++)
            for (size_t s = 0; s < shape_count; s++)
                for (int special = 0; special < 2; special++)
                    for (int rep = 0; rep < (quick ? 1 : 2); rep++) {
                        test_seed_case("embedding shapes", c * 64 + s,
                                       (uint64_t)special, (uint64_t)rep);
                        compare(&variants[v], &configs[c], shapes[s][0], shapes[s][1],
                                special, rep);
                    }
    for (size_t c = 0; c < CONFIG_COUNT; c++)
        for (size_t s = 1; s < shape_count; s++)
            check_formula(&configs[c], shapes[s][0] * 8, shapes[s][1]);
    check_edges();
    check_errors();
    return test_finish();
}
