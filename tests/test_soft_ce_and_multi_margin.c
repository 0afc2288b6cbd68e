/* tests/test_soft_ce_and_multi_margin.c - lossopt_cross_entropy_probs_f32 and
 * lossopt_multi_margin_f32: every option (reductions, class weights, label
 * smoothing, p = 1 and 2, margins, ignored rows, loss-only / grad-only /
 * both), class counts 1..32000, special values, every supported ISA and the
 * public API bit-identical to the scalar oracle with buffers ending at guard
 * pages; the oracle against PyTorch's definitions in double; the error
 * contract. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lossopt_internal.h"
#include "test_support.h"
#include "test_variants.h"

/* One configuration of either loss. */
typedef struct config {
    bool margin_loss;          /* false: cross_entropy_probs */
    lossopt_reduction reduction;
    bool weighted;
    float smoothing;           /* probs */
    int p;                     /* multi_margin */
    float margin;              /* multi_margin */
} config;

static lossopt_status run(const variant *v, const config *c, const float *x, const float *t,
                          const int64_t *labels, const float *w, size_t rows, size_t classes,
                          float *loss, float *grad)
{
    const float *weight = c->weighted ? w : NULL;
    if (c->margin_loss)
        return v->public_api
                   ? lossopt_multi_margin_f32(x, labels, rows, classes, c->p, c->margin, weight,
                                              c->reduction, loss, grad)
                   : lossopt_multi_margin_f32_with_table(v->table, x, labels, rows, classes, c->p,
                                                         c->margin, weight, c->reduction, loss,
                                                         grad);
    lossopt_ce_options opt = {c->reduction, weight, c->smoothing};
    return v->public_api ? lossopt_cross_entropy_probs_f32(x, t, rows, classes, &opt, loss, grad)
                         : lossopt_cross_entropy_probs_f32_with_table(v->table, x, t, rows, classes,
                                                                      &opt, loss, grad);
}

static bool guards = true;

static float *buffer(size_t n) { return guards ? test_guarded_alloc(n) : malloc((n ? n : 1) * sizeof(float)); }
static void release(float *p) { if (guards) test_guarded_free(p); else free(p); }

/* Inputs: logits/scores, soft targets (rows summing to 1, some exact 0s),
 * labels (some ignored), class weights. */
static void fill(float *x, float *t, int64_t *labels, float *w, size_t rows, size_t classes,
                 bool special)
{
    for (size_t r = 0; r < rows; r++) {
        double sum = 0;
        for (size_t j = 0; j < classes; j++) {
            size_t i = r * classes + j;
            x[i] = test_random_uniform(-4.0f, 4.0f);
            if (special) {
                uint32_t k = test_random_u32() % 12;
                if (k == 0) x[i] = -INFINITY;
                else if (k == 1) x[i] = test_random_u32() % 2 ? 1e30f : -1e30f;
                else if (k == 2) x[i] = test_random_special();
            }
            t[i] = test_random_u32() % 4 == 0 ? 0.0f : test_random_uniform(0.0f, 1.0f);
            sum += t[i];
        }
        for (size_t j = 0; j < classes && sum > 0; j++)
            t[r * classes + j] = (float)(t[r * classes + j] / sum);
        labels[r] = test_random_u32() % 5 == 0 ? -100 : (int64_t)test_random_below(classes);
    }
    for (size_t j = 0; j < classes; j++)
        w[j] = test_random_uniform(0.1f, 2.0f);
}

static size_t config_list(config *out)
{
    size_t n = 0;
    static const lossopt_reduction reductions[] = {LOSSOPT_MEAN, LOSSOPT_SUM, LOSSOPT_NONE};
    for (int ri = 0; ri < 3; ri++)
        for (int weighted = 0; weighted < 2; weighted++) {
            static const float smoothings[] = {0.0f, 0.3f, 1.0f};
            for (int s = 0; s < 3; s++)
                out[n++] = (config){false, reductions[ri], weighted, smoothings[s], 0, 0};
            /* not powers of two (so any reordering shows), and +-inf */
            static const float margins[] = {1.0f, 0.3f, -0.7f, INFINITY, -INFINITY};
            for (int p = 1; p <= 2; p++)
                for (int m = 0; m < 5; m++)
                    out[n++] = (config){true, reductions[ri], weighted, 0, p, margins[m]};
        }
    return n;
}

static void describe(const config *c, char *text, size_t size)
{
    if (c->margin_loss)
        snprintf(text, size, "multi_margin p=%d margin=%g r=%d w=%d", c->p, c->margin,
                 c->reduction, c->weighted);
    else
        snprintf(text, size, "ce_probs eps=%g r=%d w=%d", c->smoothing, c->reduction, c->weighted);
}

/* Oracle vs variant on one batch (as the caller filled it), every config. */
static void compare_batch(const variant *v, const float *x, const float *t, const int64_t *labels,
                          const float *w, size_t rows, size_t classes, const char *suffix)
{
    size_t n = rows * classes;
    float *grad = buffer(n);
    float *oracle_grad = malloc((n ? n : 1) * sizeof(float)), *only = malloc((n ? n : 1) * sizeof(float));
    float oracle_loss[64], loss[64], only_loss[64];
    config configs[96];
    size_t count = config_list(configs);
    variant oracle = {false, test_oracle(), "scalar"};
    for (size_t k = 0; k < count; k++) {
        const config *c = &configs[k];
        char what[160], name[96];
        describe(c, name, sizeof name);
        snprintf(what, sizeof what, "%s %s rows=%zu classes=%zu%s", v->name, name, rows, classes,
                 suffix);
        size_t loss_count = c->reduction == LOSSOPT_NONE ? rows : 1;
        lossopt_status want = run(&oracle, c, x, t, labels, w, rows, classes, oracle_loss, oracle_grad);
        lossopt_status got = run(v, c, x, t, labels, w, rows, classes, loss, grad);
        if (!test_check(want == LOSSOPT_OK && got == LOSSOPT_OK, "%s: status %d/%d", what, want, got))
            continue;
        size_t d = test_first_difference(oracle_loss, loss, loss_count);
        test_check(d == loss_count, "%s: loss[%zu] oracle %a variant %a", what, d,
                   d < loss_count ? oracle_loss[d] : 0.0, d < loss_count ? loss[d] : 0.0);
        d = test_first_difference(oracle_grad, grad, n);
        test_check(d == n, "%s: grad[%zu] oracle %a variant %a", what, d,
                   d < n ? oracle_grad[d] : 0.0, d < n ? grad[d] : 0.0);
        got = run(v, c, x, t, labels, w, rows, classes, only_loss, NULL);
        test_check(got == LOSSOPT_OK && test_first_difference(oracle_loss, only_loss, loss_count) ==
                                            loss_count, "%s: loss-only call differs", what);
        got = run(v, c, x, t, labels, w, rows, classes, NULL, only);
        test_check(got == LOSSOPT_OK && test_first_difference(oracle_grad, only, n) == n,
                   "%s: grad-only call differs", what);
    }
    release(grad);
    free(oracle_grad); free(only);
}

/* Oracle vs variant on one batch from the case's own seed (the same batch
 * for every variant). */
static void compare(const variant *v, size_t rows, size_t classes, bool special)
{
    test_seed_case("soft_ce_margin compare", rows, classes, special);
    size_t n = rows * classes;
    float *x = buffer(n), *t = buffer(n), *w = buffer(classes);
    int64_t *labels = malloc((rows ? rows : 1) * sizeof(int64_t));
    fill(x, t, labels, w, rows, classes, special);
    compare_batch(v, x, t, labels, w, rows, classes, special ? " special" : "");
    release(x); release(t); release(w);
    free(labels);
}

/* Shaped batches for the fused passes of cross_entropy_probs: with a
 * gradient, row r's exp-correction loop takes row r + 1's max and least
 * logit (a class tail's partial vector: its padding must not count), and
 * the correction takes Fast2Sum or TwoSum by them. Rows of uniform [-4, 4]
 * hide slips there (a padding lane's -0 never beats a max near 4, and every
 * row takes Fast2Sum): here each row has its own offset and scale, and the
 * class counts leave a tail for every vector width. Kinds: 0 [-90, -60]
 * (below -0), 1 1e4 + [-4, 4], 2 max in [0.5, 1), the rest in [-20, 0.5),
 * one at -300 (TwoSum), 3 [-4, 4] (Fast2Sum), 4 one value throughout, 5 kind
 * 3 but a few in [-40, -6] before the last 16 (TwoSum, told by a least logit
 * far from the vector a range starts with); the max (and kind 2's least) in
 * the tail for every width or anywhere. */
static void compare_shaped(const variant *v, size_t p, size_t classes)
{
    test_seed_case("soft_ce_margin shaped", p, classes, 0);
    /* pattern 0: each kind in turn, maxima in the tail; 1: TwoSum and
     * Fast2Sum rows taking turns; 2: two rows; then random ones */
    static const unsigned char fixed[3][9] = {{0, 1, 2, 3, 4, 0, 1, 0, 2},
                                             {2, 3, 2, 5, 1, 5, 0, 2},
                                             {1, 0}};
    static const size_t fixed_rows[3] = {9, 8, 2};
    size_t rows = p < 3 ? fixed_rows[p] : 2 + test_random_below(8);
    size_t n = rows * classes;
    float *x = buffer(n), *t = buffer(n), *w = buffer(classes);
    int64_t labels[9];
    for (size_t r = 0; r < rows; r++) {
        float *xr = x + r * classes, *tr = t + r * classes;
        unsigned kind = p < 3 ? fixed[p][r] : (unsigned)test_random_below(6);
        bool in_tail = p == 0 || test_random_u32() % 2;
        float lo = -4.0f, hi = 3.0f, top = test_random_uniform(3.0f, 4.0f);
        if (kind == 0) { lo = -90.0f; hi = -61.0f; top = test_random_uniform(-61.0f, -60.0f); }
        if (kind == 1) { lo = 1e4f - 4.0f; hi = 1e4f + 3.0f; top = 1e4f + test_random_uniform(3.0f, 4.0f); }
        if (kind == 2) { lo = -20.0f; hi = 0.5f; top = test_random_uniform(0.5f, 1.0f); }
        if (kind == 4) {
            static const float values[] = {-70.25f, 2.5f, 1e4f};
            lo = hi = top = values[test_random_below(3)];
        }
        for (size_t j = 0; j < classes; j++)
            xr[j] = lo == hi ? lo : test_random_uniform(lo, hi);
        /* in the tail of 4 lanes, so of 8 and 16 too */
        size_t tail = classes % 4 ? classes % 4 : 1;
        size_t at_max = in_tail ? classes - 1 - test_random_below(tail) : test_random_below(classes);
        xr[at_max] = top;
        if (kind == 2 && classes > 1) {
            size_t at_least = in_tail ? classes - 1 - test_random_below(tail) : test_random_below(classes);
            xr[at_least == at_max ? (at_max + 1) % classes : at_least] = -300.0f - test_random_uniform(0.0f, 1.0f);
        }
        if (kind == 5 && classes > 1)
            for (int k = 0; k < 3; k++) {
                size_t at = test_random_below(classes > 32 ? classes - 16 : classes);
                if (at != at_max)
                    xr[at] = test_random_uniform(-40.0f, -6.0f);
            }
        double sum = 0;
        for (size_t j = 0; j < classes; j++) {
            tr[j] = test_random_u32() % 4 == 0 ? 0.0f : test_random_uniform(0.0f, 1.0f);
            sum += tr[j];
        }
        for (size_t j = 0; j < classes && sum > 0; j++)
            tr[j] = (float)(tr[j] / sum);
        uint32_t place = test_random_u32() % 4; /* multi_margin: ignored, at the max, in the tail, any */
        labels[r] = place == 0 ? -100 : place == 1 ? (int64_t)at_max
                  : place == 2 ? (int64_t)(classes - 1 - test_random_below(tail))
                               : (int64_t)test_random_below(classes);
    }
    for (size_t j = 0; j < classes; j++)
        w[j] = test_random_uniform(0.1f, 2.0f);
    char suffix[32];
    snprintf(suffix, sizeof suffix, " shaped %zu", p);
    compare_batch(v, x, t, labels, w, rows, classes, suffix);
    release(x); release(t); release(w);
}

/* The definitions in double: PyTorch's cross_entropy with probability
 * targets and multi_margin_loss. */
static void check_against_double(size_t rows, size_t classes, uint64_t sweep)
{
    test_seed_case("soft_ce_margin double", rows, classes, sweep);
    size_t n = rows * classes;
    float *x = malloc(n * sizeof(float)), *t = malloc(n * sizeof(float)), *grad = malloc(n * sizeof(float));
    float *w = malloc(classes * sizeof(float));
    int64_t *labels = malloc(rows * sizeof(int64_t));
    double *g = malloc(classes * sizeof(double));
    fill(x, t, labels, w, rows, classes, false);
    config configs[96];
    size_t count = config_list(configs);
    variant oracle = {false, test_oracle(), "scalar"};
    for (size_t k = 0; k < count; k++) {
        const config *c = &configs[k];
        char name[96];
        describe(c, name, sizeof name);
        if (c->margin_loss && !isfinite(c->margin))
            continue; /* inf losses: exact checks in test_loss_rules.c */
        float loss[64];
        if (!test_check(run(&oracle, c, x, t, labels, w, rows, classes, loss, grad) == LOSSOPT_OK,
                        "%s: status", name))
            continue;
        double kept = 0, total = 0;
        for (size_t r = 0; r < rows; r++) kept += labels[r] >= 0;
        double divisor = c->reduction != LOSSOPT_MEAN ? 1.0 : c->margin_loss ? kept : (double)rows;
        for (size_t r = 0; r < rows; r++) {
            const float *xr = x + r * classes, *tr = t + r * classes;
            double row = 0, largest = 0, term_scale = 0;
            if (c->margin_loss) {
                int64_t y = labels[r];
                for (size_t j = 0; j < classes; j++) g[j] = 0;
                if (y >= 0) {
                    double wy = c->weighted ? w[y] : 1.0;
                    for (size_t j = 0; j < classes; j++) {
                        if (j == (size_t)y) continue;
                        double z = (double)c->margin - xr[y] + xr[j];
                        if (z > 0) {
                            row += wy * (c->p == 1 ? z : z * z) / classes;
                            double gj = wy * (c->p == 1 ? 1.0 : 2 * z) / classes / divisor;
                            g[j] += gj;
                            g[y] -= gj;
                        }
                    }
                }
            } else {
                double m = -INFINITY, s = 0, eps = c->smoothing, sum_u = 0;
                for (size_t j = 0; j < classes; j++) if (xr[j] > m) m = xr[j];
                for (size_t j = 0; j < classes; j++) s += exp(xr[j] - m);
                for (size_t j = 0; j < classes; j++) {
                    double tt = tr[j] * (1 - eps) + eps / classes;
                    double u = (c->weighted ? w[j] : 1.0) * tt;
                    double logp = xr[j] - m - log(s);
                    if (u != 0) row -= u * logp;
                    sum_u += u;
                }
                for (size_t j = 0; j < classes; j++) {
                    double tt = tr[j] * (1 - eps) + eps / classes;
                    double u = (c->weighted ? w[j] : 1.0) * tt;
                    g[j] = (sum_u * exp(xr[j] - m) / s - u) / divisor;
                    /* soft targets: g_j = p_j V - u_j cancels where the
                     * prediction matches the target, and no float order
                     * can hold 2^-20 of a gradient far smaller than its
                     * terms; the bound is 2^-20 of the row's largest term
                     * (include/lossopt.h) */
                    term_scale = fmax(term_scale, fmax(fabs(sum_u * exp(xr[j] - m) / s), u) / divisor);
                }
            }
            for (size_t j = 0; j < classes; j++) if (fabs(g[j]) > largest) largest = fabs(g[j]);
            if (term_scale > largest) largest = term_scale;
            total += row;
            if (c->reduction == LOSSOPT_NONE)
                test_check(fabs(loss[r] - row) <= 1e-6 * fabs(row) + 4 * test_ulp_of((float)row),
                           "%s: row %zu of %zu x %zu: %.9g, double %.17g", name, r, rows, classes,
                           loss[r], row);
            for (size_t j = 0; j < classes; j++) {
                double err = fabs(grad[r * classes + j] - g[j]);
                test_check(err <= 2 * test_ulp_of((float)g[j]) || err <= 0x1p-20 * largest,
                           "%s: grad[%zu][%zu] of %zu x %zu (sweep %llu): %.9g, double %.17g",
                           name, r, j, rows, classes, (unsigned long long)sweep,
                           grad[r * classes + j], g[j]);
            }
        }
        if (c->reduction != LOSSOPT_NONE) {
            double want = c->reduction == LOSSOPT_MEAN ? total / divisor : total;
            /* all rows ignored: MEAN is 0 / 0 = NaN in both */
            test_check(isnan(want) ? isnan(loss[0]) : fabs(loss[0] - want) <= 1e-6 * fabs(want), "%s: %zu x %zu: %.9g, double %.17g",
                       name, rows, classes, loss[0], want);
        }
    }
    free(x); free(t); free(grad); free(w); free(labels); free(g);
}

static void check_errors(void)
{
    float x[12] = {0}, t[12] = {0}, loss[4], grad[12];
    int64_t labels[3] = {0, 1, -100}, bad_labels[3] = {0, 1, 4};
    unsigned char before[sizeof grad + sizeof loss];
    lossopt_ce_options opt = {LOSSOPT_NONE, NULL, 0}, bad_eps = {LOSSOPT_MEAN, NULL, 1.5f};
    lossopt_ce_options bad_r = {(lossopt_reduction)4, NULL, 0};
    unsigned isas = lossopt_supported_isas();
    for (int isa = 0; isa <= LOSSOPT_ISA_NEON; isa++) {
        if (!((isas >> isa) & 1)) continue;
        const lossopt_kernel_table *tb = lossopt_kernel_table_for((lossopt_isa)isa);
        struct { lossopt_status got, want; const char *why; } results[14];
        int k = 0;
#define CALL(expr, status, why_)                                                   \
        do {                                                                       \
            memset(grad, 0x5a, sizeof grad); memset(loss, 0x5a, sizeof loss);      \
            memcpy(before, grad, sizeof grad); memcpy(before + sizeof grad, loss, sizeof loss); \
            results[k].got = (expr); results[k].want = (status); results[k].why = (why_); \
            test_check(results[k].got == results[k].want, "%s on %s: status %d, want %d", \
                       results[k].why, lossopt_isa_name((lossopt_isa)isa), results[k].got, \
                       results[k].want);                                           \
            test_check(results[k].want == LOSSOPT_OK ||                            \
                           (memcmp(before, grad, sizeof grad) == 0 &&              \
                            memcmp(before + sizeof grad, loss, sizeof loss) == 0), \
                       "%s: a failed call wrote", results[k].why);                 \
            k++;                                                                   \
        } while (0)
        CALL(lossopt_cross_entropy_probs_f32_with_table(tb, NULL, t, 3, 4, &opt, loss, grad), LOSSOPT_ERR_NULL, "probs NULL logits");
        CALL(lossopt_cross_entropy_probs_f32_with_table(tb, x, NULL, 3, 4, &opt, loss, grad), LOSSOPT_ERR_NULL, "probs NULL targets");
        CALL(lossopt_cross_entropy_probs_f32_with_table(tb, x, t, 3, 4, &opt, NULL, NULL), LOSSOPT_ERR_NULL, "probs no output");
        CALL(lossopt_cross_entropy_probs_f32_with_table(tb, x, t, 3, 0, &opt, loss, grad), LOSSOPT_ERR_SIZE, "probs classes 0");
        CALL(lossopt_cross_entropy_probs_f32_with_table(tb, x, t, SIZE_MAX / 3, 4, &opt, loss, grad), LOSSOPT_ERR_SIZE, "probs overflow");
        CALL(lossopt_cross_entropy_probs_f32_with_table(tb, x, t, 3, 4, &bad_eps, loss, grad), LOSSOPT_ERR_ARG, "probs smoothing 1.5");
        CALL(lossopt_cross_entropy_probs_f32_with_table(tb, x, t, 3, 4, &bad_r, loss, grad), LOSSOPT_ERR_ARG, "probs reduction 4");
        CALL(lossopt_multi_margin_f32_with_table(tb, NULL, labels, 3, 4, 1, 1.0f, NULL, LOSSOPT_SUM, loss, grad), LOSSOPT_ERR_NULL, "margin NULL scores");
        CALL(lossopt_multi_margin_f32_with_table(tb, x, labels, 3, 0, 1, 1.0f, NULL, LOSSOPT_SUM, loss, grad), LOSSOPT_ERR_SIZE, "margin classes 0");
        CALL(lossopt_multi_margin_f32_with_table(tb, x, labels, 3, 4, 3, 1.0f, NULL, LOSSOPT_SUM, loss, grad), LOSSOPT_ERR_ARG, "margin p 3");
        CALL(lossopt_multi_margin_f32_with_table(tb, x, labels, 3, 4, 1, NAN, NULL, LOSSOPT_SUM, loss, grad), LOSSOPT_ERR_ARG, "margin NaN");
        CALL(lossopt_multi_margin_f32_with_table(tb, x, bad_labels, 3, 4, 2, 1.0f, NULL, LOSSOPT_NONE, loss, grad), LOSSOPT_ERR_DOMAIN, "margin label 4 in the last row");
        CALL(lossopt_multi_margin_f32_with_table(tb, x, bad_labels, 3, 4, 0, 1.0f, NULL, LOSSOPT_NONE, loss, grad), LOSSOPT_ERR_ARG, "ARG before DOMAIN");
        CALL(lossopt_multi_margin_f32_with_table(NULL, NULL, NULL, 3, 0, 0, NAN, NULL, LOSSOPT_NONE, loss, grad), LOSSOPT_ERR_ISA, "ISA first");
#undef CALL
    }
    /* all ignored: MEAN NaN; no rows: SUM 0 */
    int64_t ignored[3] = {-1, -100, INT64_MIN};
    test_check(lossopt_multi_margin_f32(x, ignored, 3, 4, 1, 1.0f, NULL, LOSSOPT_MEAN, loss, grad) ==
                   LOSSOPT_OK && isnan(loss[0]) && grad[5] == 0.0f, "margin all ignored MEAN");
    test_check(lossopt_cross_entropy_probs_f32(NULL, NULL, 0, 4, NULL, loss, NULL) == LOSSOPT_OK &&
                   isnan(loss[0]), "probs no rows MEAN");
    /* 0 log 0 = 0: a zero target at a -inf logit does not make the loss NaN */
    float xi[3] = {-INFINITY, 0.5f, 1.0f}, ti[3] = {0.0f, 0.25f, 0.75f};
    test_check(lossopt_cross_entropy_probs_f32(xi, ti, 1, 3, NULL, loss, grad) == LOSSOPT_OK &&
                   isfinite(loss[0]) && grad[0] == 0.0f, "0 log 0: loss %g grad %g", loss[0], grad[0]);
}

int main(void)
{
    test_init("test_soft_ce_and_multi_margin");
    test_skip_unless_forced_isa_supported();
    bool quick = getenv("LOSSOPT_TEST_QUICK") != NULL;
    guards = getenv("LOSSOPT_TEST_NO_GUARD_PAGES") == NULL;
    variant variants[TEST_MAX_VARIANTS];
    size_t count = test_variants(variants);
    static const size_t class_counts[] = {1, 2, 3, 7, 15, 16, 17, 33, 255, 256, 257, 1000, 32000};
    for (size_t v = 0; v < count; v++) {
        for (size_t c = 0; c < sizeof class_counts / sizeof class_counts[0]; c++) {
            size_t classes = class_counts[c];
            if (quick && classes > 1000) continue;
            test_seed_case("soft_ce_margin rows", classes, 0, 0);
            size_t rows = classes >= 1000 ? 2 : 1 + test_random_below(9);
            compare(&variants[v], rows, classes, false);
            compare(&variants[v], rows, classes, true);
        }
        compare(&variants[v], 0, 5, false);
        static const size_t shaped_classes[] = {1, 3, 7, 9, 15, 17, 31, 33, 63, 65, 257, 1000, 1031};
        for (size_t c = 0; c < sizeof shaped_classes / sizeof shaped_classes[0]; c++)
            for (size_t p = 0; p < (quick ? 3u : 6u); p++)
                if (!quick || (c % 2 == 0 && c > 0 && (shaped_classes[c] < 1000 || p == 0)))
                    compare_shaped(&variants[v], p, shaped_classes[c]); /* quick: the qemu runs */
    }
    static const size_t double_classes[] = {1, 2, 3, 7, 17, 1000};
    for (size_t c = 0; c < sizeof double_classes / sizeof double_classes[0]; c++)
        check_against_double(double_classes[c] >= 1000 ? 3 : 20, double_classes[c], 0);
    /* a randomized sweep of shapes, each from its own seed
     * (LOSSOPT_TEST_DOUBLE_SWEEPS=N for more) */
    unsigned long sweeps = test_sweep_count(quick);
    for (unsigned long k = 1; k <= sweeps; k++) {
        size_t rows, classes;
        test_sweep_shape("soft_ce_margin sweep shape", k, &rows, &classes);
        check_against_double(rows, classes, k);
    }
    check_errors();
    return test_finish();
}
