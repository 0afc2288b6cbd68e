/* tests/test_nll.c - lossopt_nll_f32 (PyTorch nll_loss on log-probabilities):
 *   - every supported vector ISA, the emulated AVX-512 table and the public
 *     API against the scalar oracle, bit for bit: shapes of 1 to 1000
 *     classes, weights on and off (inf and NaN weights among the special
 *     values), ignored rows (-100, -1), every reduction, loss-only /
 *     grad-only / both calls, special log-probabilities, every buffer ending
 *     at a guard page;
 *   - the oracle against the formula: loss_r = -(w_y x_y) and the gradient
 *     (float)(-w_y / D) at the label, 0 elsewhere, exactly; MEAN and SUM
 *     within 1e-6 of the double sum over sum |terms|;
 *   - the rules: all rows ignored with MEAN -> NaN (SUM +0), an inf or NaN
 *     weight of a class absent from the batch changes nothing, rows == 0;
 *   - the error contract: NULL, SIZE, ARG (label_smoothing != 0, a bad
 *     reduction, BATCHMEAN), DOMAIN (a label >= classes anywhere), in that
 *     order, nothing written. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "test_variants.h"

static const lossopt_reduction reductions[] = {LOSSOPT_MEAN, LOSSOPT_SUM, LOSSOPT_NONE};
static const char *const reduction_names[] = {"mean", "sum", "none"};

static lossopt_status run(const variant *v, const float *x, const int64_t *labels, size_t rows,
                          size_t classes, const lossopt_ce_options *opt, float *loss, float *grad)
{
    if (v->public_api)
        return lossopt_nll_f32(x, labels, rows, classes, opt, loss, grad);
    return lossopt_nll_f32_with_table(v->table, x, labels, rows, classes, opt, loss, grad);
}

typedef struct batch {
    float *x, *weight;
    int64_t *labels;
    size_t rows, classes;
} batch;

/* Log-probabilities (moderate, or special values), labels with about one
 * row in six ignored, weights in [0, 2] (special: some inf, NaN, 0). */
static batch make_batch(size_t rows, size_t classes, bool special)
{
    batch b = {test_guarded_alloc(rows * classes), test_guarded_alloc(classes),
               test_guarded_alloc_bytes((rows ? rows : 1) * sizeof(int64_t)), rows, classes};
    for (size_t i = 0; i < rows * classes; i++)
        b.x[i] = special && test_random_u32() % 3 == 0 ? test_random_special()
                                                       : test_random_uniform(-20.0f, 0.0f);
    for (size_t r = 0; r < rows; r++) {
        uint32_t k = test_random_u32() % 6;
        b.labels[r] = k == 0 ? (test_random_u32() % 2 ? -100 : -1)
                             : (int64_t)test_random_below(classes);
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
    test_guarded_free(b->x);
    test_guarded_free(b->weight);
    test_guarded_free(b->labels);
}

static void compare(const variant *v, size_t rows, size_t classes, bool special, bool weighted,
                    const char *what)
{
    batch b = make_batch(rows, classes, special);
    size_t n = rows * classes, cap = n ? n : 1, rcap = rows ? rows : 1;
    float *want_grad = malloc(cap * sizeof(float)), *want_loss = malloc(rcap * sizeof(float));
    float *got_grad = test_guarded_alloc(n), *got_loss = test_guarded_alloc(rcap);
    float *only = malloc((cap > rcap ? cap : rcap) * sizeof(float));
    for (int ri = 0; ri < 3; ri++) {
        lossopt_ce_options opt = {reductions[ri], weighted ? b.weight : NULL, 0.0f};
        size_t count = reductions[ri] == LOSSOPT_NONE ? rows : 1;
        float *loss_at = reductions[ri] == LOSSOPT_NONE ? got_loss : got_loss + (rcap - 1);
        lossopt_status s1 = lossopt_nll_f32_with_table(test_oracle(), b.x, b.labels, rows,
                                                       classes, &opt, want_loss, want_grad);
        memset(got_grad, 0x55, n * sizeof(float));
        lossopt_status s2 = run(v, b.x, b.labels, rows, classes, &opt, loss_at, got_grad);
        if (!test_check(s1 == LOSSOPT_OK && s2 == LOSSOPT_OK, "%s %s %zux%zu: status %d/%d",
                        what, v->name, rows, classes, s1, s2))
            continue;
        size_t d = test_first_difference(want_loss, loss_at, count);
        test_check(d == count, "%s %s %zux%zu %s%s: loss[%zu] oracle %a, variant %a", what,
                   v->name, rows, classes, reduction_names[ri], weighted ? " weighted" : "", d,
                   d < count ? want_loss[d] : 0.0, d < count ? loss_at[d] : 0.0);
        d = test_first_difference(want_grad, got_grad, n);
        test_check(d == n, "%s %s %zux%zu %s%s: grad[%zu] oracle %a, variant %a", what, v->name,
                   rows, classes, reduction_names[ri], weighted ? " weighted" : "", d,
                   d < n ? want_grad[d] : 0.0, d < n ? got_grad[d] : 0.0);
        test_check(run(v, b.x, b.labels, rows, classes, &opt, only, NULL) == LOSSOPT_OK &&
                       test_first_difference(want_loss, only, count) == count,
                   "%s %s %zux%zu %s: loss-only call differs", what, v->name, rows, classes,
                   reduction_names[ri]);
        test_check(run(v, b.x, b.labels, rows, classes, &opt, NULL, only) == LOSSOPT_OK &&
                       test_first_difference(want_grad, only, n) == n,
                   "%s %s %zux%zu %s: grad-only call differs", what, v->name, rows, classes,
                   reduction_names[ri]);
    }
    free(want_grad);
    free(want_loss);
    free(only);
    test_guarded_free(got_grad);
    test_guarded_free(got_loss);
    free_batch(&b);
}

/* The oracle against the formula, exactly (one rounding each). */
static void check_formula(size_t rows, size_t classes, bool weighted)
{
    test_seed_case("nll formula", rows, classes, weighted);
    batch b = make_batch(rows, classes, false);
    float *grad = malloc(rows * classes * sizeof(float)), *loss = malloc(rows * sizeof(float));
    float mean, sum;
    lossopt_ce_options opt = {LOSSOPT_NONE, weighted ? b.weight : NULL, 0.0f};
    lossopt_nll_f32_with_table(test_oracle(), b.x, b.labels, rows, classes, &opt, loss, NULL);
    opt.reduction = LOSSOPT_SUM;
    lossopt_nll_f32_with_table(test_oracle(), b.x, b.labels, rows, classes, &opt, &sum, NULL);
    opt.reduction = LOSSOPT_MEAN;
    lossopt_nll_f32_with_table(test_oracle(), b.x, b.labels, rows, classes, &opt, &mean, grad);
    double total = 0, magnitude = 0, divisor = 0;
    for (size_t r = 0; r < rows; r++)
        if (b.labels[r] >= 0)
            divisor += weighted ? (double)b.weight[b.labels[r]] : 1.0;
    for (size_t r = 0; r < rows; r++) {
        int64_t y = b.labels[r];
        double w = y >= 0 && weighted ? (double)b.weight[y] : 1.0;
        float want = y < 0 ? 0.0f : (float)(-(w * (double)b.x[r * classes + (size_t)y]));
        test_check(test_same_float(loss[r], want), "nll formula %zux%zu: loss[%zu] %a, want %a",
                   rows, classes, r, loss[r], want);
        total += y < 0 ? 0.0 : -(w * (double)b.x[r * classes + (size_t)y]);
        magnitude += y < 0 ? 0.0 : fabs(w * (double)b.x[r * classes + (size_t)y]);
        for (size_t j = 0; j < classes; j++) {
            float g = y >= 0 && j == (size_t)y ? (float)(-w / divisor) : 0.0f;
            test_check(test_same_float(grad[r * classes + j], g),
                       "nll formula %zux%zu: grad[%zu][%zu] %a, want %a", rows, classes, r, j,
                       grad[r * classes + j], g);
        }
    }
    test_check(fabs(sum - total) <= 1e-6 * magnitude, "nll SUM %.9g, double %.17g", sum, total);
    test_check(fabs(mean - total / divisor) <= 1e-6 * magnitude / divisor,
               "nll MEAN %.9g, double %.17g", mean, total / divisor);
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
        float x[12], g[12], loss;
        for (int i = 0; i < 12; i++)
            x[i] = -0.25f * (float)(i + 1);
        int64_t ignored[3] = {-100, -1, -100};
        lossopt_ce_options mean = {LOSSOPT_MEAN, NULL, 0.0f}, sum = {LOSSOPT_SUM, NULL, 0.0f};
        test_check(run(v, x, ignored, 3, 4, &mean, &loss, g) == LOSSOPT_OK && isnan(loss),
                   "%s: all rows ignored, MEAN %a, want NaN", v->name, loss);
        bool zero = true;
        for (int i = 0; i < 12; i++)
            zero = zero && test_same_float(g[i], 0.0f);
        test_check(zero, "%s: all rows ignored: gradient not +0", v->name);
        test_check(run(v, x, ignored, 3, 4, &sum, &loss, g) == LOSSOPT_OK &&
                       test_same_float(loss, 0.0f),
                   "%s: all rows ignored, SUM %a, want +0", v->name, loss);
        /* rows == 0: SUM +0, MEAN NaN, NULL data fine */
        loss = 1.0f;
        test_check(run(v, NULL, NULL, 0, 4, &sum, &loss, NULL) == LOSSOPT_OK &&
                       test_same_float(loss, 0.0f),
                   "%s: rows 0 SUM", v->name);
        test_check(run(v, NULL, NULL, 0, 4, &mean, &loss, NULL) == LOSSOPT_OK && isnan(loss),
                   "%s: rows 0 MEAN", v->name);
        /* an inf or NaN weight of a class absent from the batch changes nothing */
        int64_t labels[3] = {1, -100, 3};
        float w_clean[4] = {0.5f, 1.7f, 0.3f, 0.9f}, w_bad[4] = {INFINITY, 1.7f, NAN, 0.9f};
        float g2[12], loss2;
        lossopt_ce_options clean = {LOSSOPT_MEAN, w_clean, 0.0f}, bad = {LOSSOPT_MEAN, w_bad, 0.0f};
        run(v, x, labels, 3, 4, &clean, &loss, g);
        run(v, x, labels, 3, 4, &bad, &loss2, g2);
        test_check(test_same_float(loss, loss2) && test_first_difference(g, g2, 12) == 12,
                   "%s: an absent class's inf/NaN weight changed the result", v->name);
        /* PyTorch's value: MEAN = (0.5 * 1.7 + 3 * 0.25... ) over the weights */
        float want = (float)((-(double)(1.7f * x[1]) - (double)(0.9f * x[11])) /
                             ((double)1.7f + (double)0.9f));
        test_check(test_same_float(loss, want), "%s: weighted MEAN %a, want %a", v->name, loss,
                   want);
        test_check(test_same_float(g[1], (float)(-(double)1.7f / ((double)1.7f + (double)0.9f))) &&
                       test_same_float(g[0], 0.0f) && test_same_float(g[5], 0.0f),
                   "%s: weighted MEAN gradient", v->name);
    }
}

#define PATTERN 0x5a
static void check_errors(void)
{
    variant entries[TEST_MAX_VARIANTS];
    size_t count = test_all_entry_points(entries);
    enum { R = 5, C = 7 };
    static float x[R * C], loss[R], grad[R * C];
    static int64_t labels[R];
    for (size_t k = 0; k < count; k++) {
        const variant *v = &entries[k];
        for (int i = 0; i < R * C; i++)
            x[i] = -1.0f - (float)i;
        for (int r = 0; r < R; r++)
            labels[r] = r % C;
        struct {
            const float *x;
            const int64_t *labels;
            size_t rows, classes;
            lossopt_ce_options opt;
            bool no_outputs;
            int bad_label_at; /* -1: none */
            lossopt_status want;
            const char *why;
        } cases[] = {
            {NULL, labels, R, C, {LOSSOPT_MEAN, NULL, 0.0f}, false, -1, LOSSOPT_ERR_NULL, "NULL x"},
            {x, NULL, R, C, {LOSSOPT_MEAN, NULL, 0.0f}, false, -1, LOSSOPT_ERR_NULL, "NULL labels"},
            {x, labels, R, C, {LOSSOPT_MEAN, NULL, 0.0f}, true, -1, LOSSOPT_ERR_NULL, "no output"},
            {NULL, labels, R, 0, {(lossopt_reduction)9, NULL, 0.5f}, false, -1, LOSSOPT_ERR_NULL,
             "NULL before SIZE"},
            {x, labels, R, 0, {LOSSOPT_MEAN, NULL, 0.0f}, false, -1, LOSSOPT_ERR_SIZE, "classes 0"},
            {x, labels, SIZE_MAX / 2, C, {LOSSOPT_MEAN, NULL, 0.3f}, false, -1, LOSSOPT_ERR_SIZE,
             "rows * classes overflowing, before ARG"},
            {x, labels, R, C, {LOSSOPT_MEAN, NULL, 0.1f}, false, 2, LOSSOPT_ERR_ARG,
             "label_smoothing 0.1, before DOMAIN"},
            {x, labels, R, C, {LOSSOPT_SUM, NULL, 1.0f}, false, -1, LOSSOPT_ERR_ARG, "label_smoothing 1"},
            {x, labels, R, C, {LOSSOPT_SUM, NULL, NAN}, false, -1, LOSSOPT_ERR_ARG, "label_smoothing NaN"},
            {x, labels, R, C, {LOSSOPT_SUM, NULL, 1e-30f}, false, -1, LOSSOPT_ERR_ARG, "label_smoothing 1e-30"},
            {x, labels, R, C, {LOSSOPT_BATCHMEAN, NULL, 0.0f}, false, -1, LOSSOPT_ERR_ARG, "BATCHMEAN"},
            {x, labels, R, C, {(lossopt_reduction)-1, NULL, 0.0f}, false, -1, LOSSOPT_ERR_ARG, "reduction -1"},
            {x, labels, R, C, {LOSSOPT_MEAN, NULL, 0.0f}, false, 0, LOSSOPT_ERR_DOMAIN, "label first"},
            {x, labels, R, C, {LOSSOPT_NONE, NULL, 0.0f}, false, R - 1, LOSSOPT_ERR_DOMAIN, "label last"},
            {x, labels, R, C, {LOSSOPT_SUM, NULL, 0.0f}, false, 2, LOSSOPT_ERR_DOMAIN, "label middle"},
        };
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            for (int r = 0; r < R; r++)
                labels[r] = r % C;
            if (cases[c].bad_label_at >= 0)
                labels[cases[c].bad_label_at] = (c % 2) ? C : INT64_MAX;
            memset(loss, PATTERN, sizeof loss);
            memset(grad, PATTERN, sizeof grad);
            lossopt_status got = run(v, cases[c].x, cases[c].labels, cases[c].rows,
                                     cases[c].classes, &cases[c].opt,
                                     cases[c].no_outputs ? NULL : loss,
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
        /* a NULL options pointer is MEAN without weights */
        for (int r = 0; r < R; r++)
            labels[r] = r % C;
        float a, bb;
        lossopt_ce_options mean = {LOSSOPT_MEAN, NULL, 0.0f};
        test_check(run(v, x, labels, R, C, NULL, &a, NULL) == LOSSOPT_OK &&
                       run(v, x, labels, R, C, &mean, &bb, NULL) == LOSSOPT_OK &&
                       test_same_float(a, bb),
                   "%s: NULL options differ from MEAN", v->name);
    }
    test_check(lossopt_nll_f32_with_table(NULL, NULL, NULL, 0, 0, NULL, NULL, NULL) ==
                   LOSSOPT_ERR_ISA,
               "NULL table: want ERR_ISA first");
}

int main(void)
{
    test_init("test_nll");
    test_skip_unless_forced_isa_supported();
    bool quick = getenv("LOSSOPT_TEST_QUICK") != NULL;
    variant variants[TEST_MAX_VARIANTS];
    size_t variant_count = test_variants(variants);
    static const size_t shapes[][2] = {{0, 5}, {1, 1}, {3, 2}, {17, 7},  {5, 16},
                                       {9, 17}, {33, 33}, {4, 257}, {64, 1000}, {2, 4099}};
    size_t shape_count = sizeof shapes / sizeof shapes[0];
    for (size_t v = 0; v < variant_count; v++)
        for (size_t s = 0; s < shape_count; s++)
            for (int special = 0; special < 2; special++)
                for (int weighted = 0; weighted < 2; weighted++)
                    for (int rep = 0; rep < (quick ? 1 : 3); rep++) {
                        test_seed_case("nll shapes", s, (uint64_t)(special * 2 + weighted),
                                       (uint64_t)rep);
                        compare(&variants[v], shapes[s][0], shapes[s][1], special, weighted,
                                special ? "special" : "moderate");
                    }
    for (size_t s = 1; s < shape_count; s++)
        for (int weighted = 0; weighted < 2; weighted++)
            check_formula(shapes[s][0], shapes[s][1], weighted);
    check_formula(4000, 3, true);
    check_rules();
    check_errors();
    return test_finish();
}
