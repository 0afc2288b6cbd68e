/* tests/test_multilabel_soft_margin.c - lossopt_multilabel_soft_margin_f32
 * (PyTorch multilabel_soft_margin_loss):
 *   - every supported vector ISA, the 512-bit build, the emulated AVX-512
 *     table and the public API against the scalar oracle, bit for bit:
 *     shapes of 1 to 4099 classes, weights on and off (inf, NaN, 0 and
 *     negative weights among the special values), hard, soft and
 *     out-of-range targets, every reduction, loss-only / grad-only / both
 *     calls, special logits (|x| past 88, +-inf, NaN, denormals), every
 *     buffer ending at a guard page, starts misaligned by 0 to 3 floats;
 *   - the oracle against the formula in double: each row loss within 1e-6
 *     relative of its double value (the terms share one sign for targets in
 *     [0, 1]), one class's loss within 3 ulp of softplus(-x) + (1 - t) x,
 *     gradients within 2 ulp or 2^-20 of the row's largest term, MEAN and
 *     SUM within 1e-6 of the double sum;
 *   - the rules: the limits at +-inf and past |x| = 88, a zero weight
 *     against an infinite loss (NaN, as PyTorch), one class is bce_logits
 *     with pos_weight 1 bit for bit, rows == 0;
 *   - the error contract: NULL, SIZE (classes 0, overflow), ARG (BATCHMEAN,
 *     a bad reduction), in that order, nothing written. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "test_variants.h"

static const lossopt_reduction reductions[] = {LOSSOPT_MEAN, LOSSOPT_SUM, LOSSOPT_NONE};
static const char *const reduction_names[] = {"mean", "sum", "none"};

static lossopt_status run(const variant *v, const float *x, const float *t, size_t rows,
                          size_t classes, const float *w, lossopt_reduction r, float *loss,
                          float *grad)
{
    if (v->public_api)
        return lossopt_multilabel_soft_margin_f32(x, t, rows, classes, w, r, loss, grad);
    return lossopt_multilabel_soft_margin_f32_with_table(v->table, x, t, rows, classes, w, r,
                                                         loss, grad);
}

static lossopt_status oracle(const float *x, const float *t, size_t rows, size_t classes,
                             const float *w, lossopt_reduction r, float *loss, float *grad)
{
    return lossopt_multilabel_soft_margin_f32_with_table(test_oracle(), x, t, rows, classes, w,
                                                         r, loss, grad);
}

typedef struct batch {
    float *x, *t, *weight;       /* what the calls see (misaligned)   */
    float *x0, *t0, *weight0;    /* the guarded allocations           */
    size_t rows, classes;
} batch;

/* Logits (moderate in [-12, 12], or special values: large, infinite, NaN),
 * targets (0/1, soft in [0, 1], sometimes outside [0, 1] when special),
 * weights in [0, 2] (special: some inf, NaN, 0, negative). */
static batch make_batch(size_t rows, size_t classes, bool special, size_t misalign)
{
    size_t n = rows * classes;
    batch b;
    b.x0 = test_guarded_alloc(n + misalign);
    b.t0 = test_guarded_alloc(n + misalign);
    b.weight0 = test_guarded_alloc(classes + misalign);
    b.x = b.x0 + misalign, b.t = b.t0 + misalign, b.weight = b.weight0 + misalign;
    b.rows = rows, b.classes = classes;
    for (size_t i = 0; i < n; i++) {
        uint32_t k = test_random_u32() % 8;
        if (special && k == 0) {
            static const float big[] = {88.5f, -88.5f, 104.0f, -104.0f, 1e4f, -1e4f, 20.0f, -20.0f};
            b.x[i] = big[test_random_u32() % 8];
        } else
            b.x[i] = special && k < 3 ? test_random_special() : test_random_uniform(-12.0f, 12.0f);
        uint32_t m = test_random_u32() % 8;
        b.t[i] = m < 3 ? 0.0f : m < 6 ? 1.0f : test_random_uniform(0.0f, 1.0f);
        if (special && m == 7)
            b.t[i] = test_random_u32() % 2 ? test_random_uniform(-2.0f, 3.0f) : test_random_special();
    }
    for (size_t j = 0; j < classes; j++) {
        static const float edges[] = {INFINITY, NAN, 0.0f, -0.5f, 1e-30f};
        b.weight[j] = special && test_random_u32() % 4 == 0 ? edges[test_random_u32() % 5]
                                                            : test_random_uniform(0.0f, 2.0f);
    }
    return b;
}

static void free_batch(batch *b)
{
    test_guarded_free(b->x0);
    test_guarded_free(b->t0);
    test_guarded_free(b->weight0);
}

static void compare(const variant *v, size_t rows, size_t classes, bool special, bool weighted,
                    size_t misalign, const char *what)
{
    batch b = make_batch(rows, classes, special, misalign);
    const float *w = weighted ? b.weight : NULL;
    size_t n = rows * classes, cap = n ? n : 1, rcap = rows ? rows : 1;
    float *want_grad = malloc(cap * sizeof(float)), *want_loss = malloc(rcap * sizeof(float));
    float *got_grad0 = test_guarded_alloc(n + misalign), *got_loss = test_guarded_alloc(rcap);
    float *got_grad = got_grad0 + misalign;
    float *only = malloc((cap > rcap ? cap : rcap) * sizeof(float));
    for (int ri = 0; ri < 3; ri++) {
        lossopt_reduction r = reductions[ri];
        size_t count = r == LOSSOPT_NONE ? rows : 1;
        float *loss_at = r == LOSSOPT_NONE ? got_loss : got_loss + (rcap - 1);
        lossopt_status s1 = oracle(b.x, b.t, rows, classes, w, r, want_loss, want_grad);
        memset(got_grad, 0x55, n * sizeof(float));
        lossopt_status s2 = run(v, b.x, b.t, rows, classes, w, r, loss_at, got_grad);
        if (!test_check(s1 == LOSSOPT_OK && s2 == LOSSOPT_OK, "%s %s %zux%zu: status %d/%d",
                        what, v->name, rows, classes, s1, s2))
            continue;
        if (rows == 0 && r == LOSSOPT_NONE)
            continue;
        size_t d = test_first_difference(want_loss, loss_at, count);
        test_check(d == count, "%s %s %zux%zu+%zu %s%s: loss[%zu] oracle %a, variant %a", what,
                   v->name, rows, classes, misalign, reduction_names[ri],
                   weighted ? " weighted" : "", d, d < count ? want_loss[d] : 0.0,
                   d < count ? loss_at[d] : 0.0);
        d = test_first_difference(want_grad, got_grad, n);
        test_check(d == n, "%s %s %zux%zu+%zu %s%s: grad[%zu] oracle %a, variant %a (x %a t %a)",
                   what, v->name, rows, classes, misalign, reduction_names[ri],
                   weighted ? " weighted" : "", d, d < n ? want_grad[d] : 0.0,
                   d < n ? got_grad[d] : 0.0, d < n ? b.x[d] : 0.0, d < n ? b.t[d] : 0.0);
        test_check(run(v, b.x, b.t, rows, classes, w, r, only, NULL) == LOSSOPT_OK &&
                       test_first_difference(want_loss, only, count) == count,
                   "%s %s %zux%zu %s: loss-only call differs", what, v->name, rows, classes,
                   reduction_names[ri]);
        test_check(run(v, b.x, b.t, rows, classes, w, r, NULL, only) == LOSSOPT_OK &&
                       test_first_difference(want_grad, only, n) == n,
                   "%s %s %zux%zu %s: grad-only call differs", what, v->name, rows, classes,
                   reduction_names[ri]);
    }
    free(want_grad);
    free(want_loss);
    free(only);
    test_guarded_free(got_grad0);
    test_guarded_free(got_loss);
    free_batch(&b);
}

/* softplus(-x) + (1 - t) x and sigmoid(x) - t, in double. */
static double softplus_neg(double x) { return x >= 0 ? log1p(exp(-x)) : -x + log1p(exp(x)); }
static double sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)); }

static double worst_row_rel, worst_grad_ulp, worst_one_ulp;

/* The oracle against the formula in double (benign data: targets in [0, 1],
 * weights in [0, 2], finite logits). */
static void check_formula(size_t rows, size_t classes, bool weighted, lossopt_reduction r)
{
    test_seed_case("multilabel formula", rows, classes, (uint64_t)(weighted * 4 + r));
    batch b = make_batch(rows, classes, false, 0);
    const float *w = weighted ? b.weight : NULL;
    size_t n = rows * classes;
    float *grad = malloc(n * sizeof(float)), *loss = malloc(rows * sizeof(float));
    float reduced;
    oracle(b.x, b.t, rows, classes, w, LOSSOPT_NONE, loss, NULL);
    oracle(b.x, b.t, rows, classes, w, r == LOSSOPT_NONE ? LOSSOPT_SUM : r, &reduced, grad);
    if (r == LOSSOPT_NONE) /* the gradient of NONE: each element's own, c = 1 / C */
        oracle(b.x, b.t, rows, classes, w, LOSSOPT_NONE, loss, grad);
    double D = r == LOSSOPT_MEAN ? (double)rows : 1.0;
    double total = 0.0, magnitude = 0.0;
    for (size_t row = 0; row < rows; row++) {
        double S = 0.0, largest = 0.0;
        for (size_t j = 0; j < classes; j++) {
            double x = b.x[row * classes + j], t = b.t[row * classes + j];
            double wj = weighted ? (double)b.weight[j] : 1.0;
            S += wj * (softplus_neg(x) + (1.0 - t) * x);
            double term = fmax(sigmoid(x), fabs(t)) * fabs(wj) / ((double)classes * D);
            largest = fmax(largest, term);
        }
        double want = S / (double)classes;
        double rel = fabs((double)loss[row] - want) / fabs(want);
        worst_row_rel = fmax(worst_row_rel, rel);
        test_check(rel <= 1e-6, "multilabel formula %zux%zu: loss[%zu] %.9g, double %.17g (%.3g)",
                   rows, classes, row, loss[row], want, rel);
        if (classes == 1) {
            uint32_t ulps = test_ulp_distance(loss[row], (float)want);
            worst_one_ulp = fmax(worst_one_ulp, (double)ulps);
            test_check(ulps <= 3, "multilabel formula one class: loss %a, double %a (%u ulp)",
                       loss[row], (float)want, ulps);
        }
        total += want;
        magnitude += fabs(want);
        for (size_t j = 0; j < classes; j++) {
            size_t i = row * classes + j;
            double x = b.x[i], t = b.t[i];
            double wj = weighted ? (double)b.weight[j] : 1.0;
            double g = (sigmoid(x) - t) * wj / ((double)classes * D);
            double err = fabs((double)grad[i] - g);
            double ulp = test_ulp_of((float)g);
            worst_grad_ulp = fmax(worst_grad_ulp, err / ulp);
            test_check(err <= 2.0 * ulp || err <= 0x1p-20 * largest,
                       "multilabel formula %zux%zu %s: grad[%zu] %a, double %a (x %a t %a)",
                       rows, classes, reduction_names[r], i, grad[i], g, b.x[i], b.t[i]);
        }
    }
    if (r != LOSSOPT_NONE)
        test_check(fabs((double)reduced - total / D) <= 1e-6 * magnitude / D,
                   "multilabel %s %zux%zu: %.9g, double %.17g", reduction_names[r], rows, classes,
                   reduced, total / D);
    free(grad);
    free(loss);
    free_batch(&b);
}

static void check_rules(void)
{
    variant entries[TEST_MAX_VARIANTS];
    size_t count = test_all_entry_points(entries);
    for (size_t k = 0; k < count; k++) {
        const variant *v = &entries[k];
        /* the limits at +-inf, and finite values past |x| = 88, in one row of 8
         * (NONE: loss_r = S / 8, g_j = (sigmoid(x) - t) / 8) */
        float x[8] = {INFINITY, INFINITY, -INFINITY, -INFINITY, 200.0f, -200.0f, 1e30f, -1e30f};
        float t[8] = {1.0f, 0.25f, 0.0f, 0.5f, 1.0f, 0.0f, 0.0f, 1.0f};
        float g[8], loss;
        test_check(run(v, x, t, 1, 8, NULL, LOSSOPT_NONE, &loss, g) == LOSSOPT_OK &&
                       loss == INFINITY,
                   "%s: disagreeing infinite logits: loss %a, want +inf", v->name, loss);
        float want_g[8] = {0.0f, 0.75f / 8, 0.0f, -0.5f / 8, 0.0f, 0.0f, 1.0f / 8, -1.0f / 8};
        for (int j = 0; j < 8; j++)
            test_check(test_same_float(g[j], want_g[j]), "%s: limit grad[%d] %a, want %a",
                       v->name, j, g[j], want_g[j]);
        /* the agreeing ones alone: a loss of exactly 0, far past |x| = 88 */
        float xa[4] = {INFINITY, -INFINITY, 200.0f, -1e30f}, ta[4] = {1.0f, 0.0f, 1.0f, 0.0f};
        test_check(run(v, xa, ta, 1, 4, NULL, LOSSOPT_SUM, &loss, g) == LOSSOPT_OK &&
                       test_same_float(loss, 0.0f),
                   "%s: agreeing infinite / huge logits: loss %a, want 0", v->name, loss);
        /* disagreeing by 100: the loss is 100 / C, not inf (PyTorch's literal
         * log(1 + exp(100)) would overflow past 88) */
        float xb[2] = {100.0f, -100.0f}, tb[2] = {0.0f, 1.0f};
        test_check(run(v, xb, tb, 1, 2, NULL, LOSSOPT_MEAN, &loss, g) == LOSSOPT_OK &&
                       test_same_float(loss, 100.0f) && test_same_float(g[0], 0.5f) &&
                       test_same_float(g[1], -0.5f),
                   "%s: |x| = 100 against the target: loss %a (want 100), grad %a %a", v->name,
                   loss, g[0], g[1]);
        /* a zero weight times an infinite loss is NaN, as PyTorch's loss * weight;
         * an inf weight at a zero loss likewise; elsewhere the row is finite */
        float w0[2] = {0.0f, 1.0f}, xc[2] = {INFINITY, 1.0f}, tc[2] = {0.0f, 1.0f};
        test_check(run(v, xc, tc, 1, 2, w0, LOSSOPT_NONE, &loss, g) == LOSSOPT_OK && isnan(loss),
                   "%s: zero weight x infinite loss: %a, want NaN", v->name, loss);
        float winf[2] = {INFINITY, 1.0f}, xd[2] = {INFINITY, 1.0f}, td[2] = {1.0f, 1.0f};
        test_check(run(v, xd, td, 1, 2, winf, LOSSOPT_NONE, &loss, g) == LOSSOPT_OK &&
                       isnan(loss),
                   "%s: inf weight x zero loss: %a, want NaN", v->name, loss);
        /* a NaN weight makes the row NaN, a NaN target its element */
        float wn[2] = {1.0f, NAN};
        test_check(run(v, xc + 1, tc + 1, 1, 1, wn + 1, LOSSOPT_SUM, &loss, NULL) == LOSSOPT_OK &&
                       isnan(loss),
                   "%s: NaN weight: %a, want NaN", v->name, loss);
        /* rows == 0: SUM +0, MEAN NaN, NONE writes nothing, NULL data fine */
        loss = 1.0f;
        test_check(run(v, NULL, NULL, 0, 4, NULL, LOSSOPT_SUM, &loss, NULL) == LOSSOPT_OK &&
                       test_same_float(loss, 0.0f),
                   "%s: rows 0 SUM", v->name);
        test_check(run(v, NULL, NULL, 0, 4, NULL, LOSSOPT_MEAN, &loss, NULL) == LOSSOPT_OK &&
                       isnan(loss),
                   "%s: rows 0 MEAN", v->name);
        loss = 1.0f;
        test_check(run(v, NULL, NULL, 0, 4, NULL, LOSSOPT_NONE, &loss, NULL) == LOSSOPT_OK &&
                       loss == 1.0f,
                   "%s: rows 0 NONE wrote", v->name);
    }
    /* one class is bce_logits with pos_weight 1 (weight = w[0]), bit for bit,
     * for finite targets: loss_r = (float)(l / 1) = l, c = 1 */
    test_seed_case("multilabel as bce_logits", 0, 0, 0);
    enum { N = 300 };
    static float x[N], t[N], w[N], l1[N], l2[N], g1[N], g2[N];
    for (int i = 0; i < N; i++) {
        x[i] = i % 5 == 0 ? test_random_special() : test_random_uniform(-30.0f, 30.0f);
        t[i] = i % 3 == 0 ? test_random_uniform(-1.0f, 2.0f) : (float)(i % 2);
        w[i] = 0.75f;
    }
    lossopt_multilabel_soft_margin_f32(x, t, N, 1, w, LOSSOPT_NONE, l1, g1);
    lossopt_bce_logits_f32(x, t, N, w, 1.0f, LOSSOPT_NONE, l2, g2);
    test_check(test_first_difference(l1, l2, N) == N && test_first_difference(g1, g2, N) == N,
               "one class: not the bits of bce_logits with pos_weight 1");
}

#define PATTERN 0x5a
static void check_errors(void)
{
    variant entries[TEST_MAX_VARIANTS];
    size_t count = test_all_entry_points(entries);
    enum { R = 5, C = 7 };
    static float x[R * C], t[R * C], w[C], loss[R], grad[R * C];
    for (int i = 0; i < R * C; i++)
        x[i] = 0.5f - (float)i, t[i] = (float)(i % 2);
    for (int j = 0; j < C; j++)
        w[j] = 1.0f;
    for (size_t k = 0; k < count; k++) {
        const variant *v = &entries[k];
        struct {
            const float *x, *t;
            size_t rows, classes;
            lossopt_reduction r;
            bool no_outputs;
            lossopt_status want;
            const char *why;
        } cases[] = {
            {NULL, t, R, C, LOSSOPT_MEAN, false, LOSSOPT_ERR_NULL, "NULL input"},
            {x, NULL, R, C, LOSSOPT_MEAN, false, LOSSOPT_ERR_NULL, "NULL target"},
            {x, t, R, C, LOSSOPT_MEAN, true, LOSSOPT_ERR_NULL, "no output"},
            {NULL, t, R, 0, (lossopt_reduction)9, false, LOSSOPT_ERR_NULL, "NULL before SIZE"},
            {x, t, R, 0, LOSSOPT_MEAN, false, LOSSOPT_ERR_SIZE, "classes 0"},
            {x, t, 0, 0, LOSSOPT_SUM, false, LOSSOPT_ERR_SIZE, "classes 0 with rows 0"},
            {x, t, SIZE_MAX / 2, C, LOSSOPT_BATCHMEAN, false, LOSSOPT_ERR_SIZE,
             "rows * classes overflowing, before ARG"},
            {x, t, R, C, LOSSOPT_BATCHMEAN, false, LOSSOPT_ERR_ARG, "BATCHMEAN"},
            {x, t, R, C, (lossopt_reduction)-1, false, LOSSOPT_ERR_ARG, "reduction -1"},
            {x, t, R, C, (lossopt_reduction)4, false, LOSSOPT_ERR_ARG, "reduction 4"},
            {x, t, 0, C, LOSSOPT_BATCHMEAN, false, LOSSOPT_ERR_ARG, "BATCHMEAN with rows 0"},
        };
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
            for (int weighted = 0; weighted < 2; weighted++) {
                memset(loss, PATTERN, sizeof loss);
                memset(grad, PATTERN, sizeof grad);
                lossopt_status got =
                    run(v, cases[c].x, cases[c].t, cases[c].rows, cases[c].classes,
                        weighted ? w : NULL, cases[c].r, cases[c].no_outputs ? NULL : loss,
                        cases[c].no_outputs ? NULL : grad);
                bool untouched = true;
                for (size_t i = 0; i < sizeof loss; i++)
                    untouched = untouched && ((unsigned char *)loss)[i] == PATTERN;
                for (size_t i = 0; i < sizeof grad; i++)
                    untouched = untouched && ((unsigned char *)grad)[i] == PATTERN;
                test_check(got == cases[c].want && untouched, "%s: %s: status %d, want %d%s",
                           v->name, cases[c].why, got, cases[c].want,
                           untouched ? "" : " (and it wrote)");
            }
    }
    test_check(lossopt_multilabel_soft_margin_f32_with_table(NULL, NULL, NULL, 0, 0, NULL,
                                                             (lossopt_reduction)9, NULL, NULL) ==
                   LOSSOPT_ERR_ISA,
               "NULL table: want ERR_ISA first");
}

int main(void)
{
    test_init("test_multilabel_soft_margin");
    test_skip_unless_forced_isa_supported();
    bool quick = getenv("LOSSOPT_TEST_QUICK") != NULL;
    variant variants[TEST_MAX_VARIANTS];
    size_t variant_count = test_variants(variants);
    static const size_t shapes[][2] = {{0, 5}, {1, 1}, {3, 2},  {17, 7},  {5, 16},  {9, 17},
                                       {33, 33}, {4, 257}, {3, 511}, {16, 1000}, {2, 4099}};
    size_t shape_count = sizeof shapes / sizeof shapes[0];
    for (size_t v = 0; v < variant_count; v++)
        for (size_t s = 0; s < shape_count; s++)
            for (int special = 0; special < 2; special++)
                for (int weighted = 0; weighted < 2; weighted++)
                    for (size_t misalign = 0; misalign < (quick ? 2u : 4u); misalign++) {
                        test_seed_case("multilabel shapes", s, (uint64_t)(special * 2 + weighted),
                                       misalign);
                        compare(&variants[v], shapes[s][0], shapes[s][1], special, weighted,
                                misalign, special ? "special" : "moderate");
                    }
    for (size_t s = 1; s < shape_count; s++)
        for (int weighted = 0; weighted < 2; weighted++)
            for (int ri = 0; ri < 3; ri++)
                check_formula(shapes[s][0], shapes[s][1], weighted, reductions[ri]);
    check_formula(4000, 1, true, LOSSOPT_MEAN);
    check_formula(2000, 3, false, LOSSOPT_SUM);
    printf("measured: row loss %.3g relative, one-class loss %.0f ulp, gradient %.2f ulp\n",
           worst_row_rel, worst_one_ulp, worst_grad_ulp);
    check_rules();
    check_errors();
    return test_finish();
}
