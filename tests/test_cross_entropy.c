/* tests/test_cross_entropy.c - lossopt_cross_entropy_f32: every option
 * (reductions, class weights, label smoothing, ignored rows, loss-only /
 * grad-only / both), class counts 1..32000 (tails inside rows), special
 * logits (+-inf, -inf rows, huge, NaN), every supported ISA and the public
 * API bit-identical to the scalar oracle, buffers ending at guard pages;
 * the oracle against PyTorch's formulas in double; and the error contract
 * (nothing written on any error). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lossopt_internal.h"
#include "test_support.h"
#include "test_variants.h"

static lossopt_status run(const variant *v, const float *x, const int64_t *labels, size_t rows,
                          size_t classes, const lossopt_ce_options *opt, float *loss, float *grad)
{
    return v->public_api ? lossopt_cross_entropy_f32(x, labels, rows, classes, opt, loss, grad)
                         : lossopt_cross_entropy_f32_with_table(v->table, x, labels, rows, classes,
                                                                opt, loss, grad);
}

static bool guards = true;

static void fill(float *x, int64_t *labels, float *weight, size_t rows, size_t classes,
                 bool special)
{
    for (size_t i = 0; i < rows * classes; i++) {
        x[i] = test_random_uniform(-4.0f, 4.0f);
        if (special) {
            uint32_t r = test_random_u32() % 16;
            if (r == 0) x[i] = -INFINITY;
            else if (r == 1) x[i] = test_random_u32() % 2 ? 1e30f : -1e30f;
            else if (r == 2) x[i] = test_random_special();
        }
    }
    for (size_t r = 0; r < rows; r++)
        labels[r] = test_random_u32() % 5 == 0 ? -100 : (int64_t)test_random_below(classes);
    for (size_t j = 0; j < classes; j++) {
        weight[j] = test_random_uniform(0.1f, 2.0f);
        /* special: sometimes an inf or NaN weight (unused without smoothing
         * unless its class is a label) */
        if (special && test_random_u32() % 8 == 0)
            weight[j] = test_random_u32() % 2 ? INFINITY : NAN;
    }
}

static const lossopt_reduction reductions[] = {LOSSOPT_MEAN, LOSSOPT_SUM, LOSSOPT_NONE};

/* Oracle vs variant on one batch (x and weight as the caller filled them),
 * every reduction / weight / smoothing, loss and gradient together, loss
 * only and gradient only. */
static void compare_batch(const variant *v, const float *x, const int64_t *labels,
                          const float *weight, size_t rows, size_t classes, const char *suffix)
{
    size_t n = rows * classes;
    float *grad = guards ? test_guarded_alloc(n) : malloc((n ? n : 1) * sizeof(float));
    float *oracle_grad = malloc((n ? n : 1) * sizeof(float));
    float *only_grad = malloc((n ? n : 1) * sizeof(float));
    float oracle_loss[64], loss[64], only_loss[64];
    static const float smoothings[] = {0.0f, 0.1f, 0.37f, 1.0f};
    for (int ri = 0; ri < 3; ri++)
    for (int weighted = 0; weighted < 2; weighted++)
    for (int si = 0; si < 4; si++) {
        lossopt_ce_options opt = {reductions[ri], weighted ? weight : NULL, smoothings[si]};
        size_t loss_count = reductions[ri] == LOSSOPT_NONE ? rows : 1;
        variant oracle = {false, test_oracle(), "scalar"};
        lossopt_status want = run(&oracle, x, labels, rows, classes, &opt, oracle_loss, oracle_grad);
        lossopt_status got = run(v, x, labels, rows, classes, &opt, loss, grad);
        char what[160];
        snprintf(what, sizeof what, "%s rows=%zu classes=%zu r=%d w=%d eps=%g%s", v->name, rows,
                 classes, ri, weighted, smoothings[si], suffix);
        if (!test_check(want == LOSSOPT_OK && got == LOSSOPT_OK, "%s: status %d/%d", what, want, got))
            continue;
        size_t d = test_first_difference(oracle_loss, loss, loss_count);
        test_check(d == loss_count, "%s: loss[%zu] oracle %a variant %a", what, d,
                   d < loss_count ? oracle_loss[d] : 0.0, d < loss_count ? loss[d] : 0.0);
        d = test_first_difference(oracle_grad, grad, n);
        test_check(d == n, "%s: grad[%zu] (row %zu) oracle %a variant %a", what, d,
                   d < n ? d / classes : 0, d < n ? oracle_grad[d] : 0.0, d < n ? grad[d] : 0.0);
        got = run(v, x, labels, rows, classes, &opt, only_loss, NULL);
        test_check(got == LOSSOPT_OK && test_first_difference(oracle_loss, only_loss, loss_count) ==
                                            loss_count, "%s: loss-only call differs", what);
        got = run(v, x, labels, rows, classes, &opt, NULL, only_grad);
        test_check(got == LOSSOPT_OK && test_first_difference(oracle_grad, only_grad, n) == n,
                   "%s: grad-only call differs", what);
    }
    if (guards)
        test_guarded_free(grad);
    else
        free(grad);
    free(oracle_grad);
    free(only_grad);
}

/* Oracle vs variant on one random batch. The data comes from the case's own
 * seed: every variant sees the same batch. */
/* Frees the logits and weights of compare or compare_shaped. */
static void free_batch(float *x, float *weight, bool guards)
{
    if (guards) {
        test_guarded_free(x);
        test_guarded_free(weight);
    } else {
        free(x);
        free(weight);
    }
}

static void compare(const variant *v, size_t rows, size_t classes, bool special)
{
    test_seed_case("cross_entropy compare", rows, classes, special);
    size_t n = rows * classes;
    float *x = guards ? test_guarded_alloc(n) : malloc((n ? n : 1) * sizeof(float));
    float *weight = guards ? test_guarded_alloc(classes) : malloc(classes * sizeof(float));
    int64_t *labels = malloc((rows ? rows : 1) * sizeof(int64_t));
    fill(x, labels, weight, rows, classes, special);
    compare_batch(v, x, labels, weight, rows, classes, special ? " special" : "");
    free_batch(x, weight, guards);
    free(labels);
}

/* ---- shaped batches: the fused passes of the kernels ----------------------
 * With a gradient, row r's exp-correction loop (phase 2) also takes the max
 * and least logit of the NEXT KEPT row (only the first kept row has a max
 * pass of its own; a row's last vector is a partial one at a class tail,
 * whose padding must not count) and runs the gradient pass of the previous
 * kept row; the correction takes Fast2Sum or TwoSum by the row's max and
 * least logit; the label is left out of the sum in its 256-element block
 * only. Rows of uniform [-4, 4] hide slips there: a padding lane (-0) never
 * beats a max near 4, and every such row takes Fast2Sum. Here each row has
 * its own offset and scale, the class counts leave a tail for every vector
 * width (4, 8, 16), ignored rows sit between kept ones (and last), maxima
 * and labels sit in the tail or in different 256-blocks. */
enum row_kind {
    ROW_NEGATIVE, /* [-90, -60]: every logit below a padding lane's -0          */
    ROW_SHIFTED,  /* 1e4 + [-4, 4]                                              */
    ROW_MIXED,    /* max in [0.5, 1), the rest in [-20, 0.5), one at -300: TwoSum */
    ROW_PLAIN,    /* [-4, 4]: Fast2Sum                                          */
    ROW_EQUAL,    /* one value throughout (-70.25, 2.5, 1e4; -inf if allowed)   */
    ROW_OUTLIER,  /* ROW_PLAIN but a few in [-40, -6] before the last 16: TwoSum,
                     told by a least logit far from the vector a range starts with */
    ROW_KINDS
};
enum label_place { LABEL_ANY, LABEL_TAIL, LABEL_AT_MAX, LABEL_OTHER_BLOCK, LABEL_IGNORED };

typedef struct shaped_row {
    unsigned char kind;
    bool max_in_tail; /* the max (and ROW_MIXED's least) in the class tail */
    unsigned char label;
} shaped_row;

/* An index in the tail of every vector width (4, 8 and 16 lanes: the tail of
 * 4 lies in the others'); the last index when classes leaves none. */
static size_t tail_index(size_t classes)
{
    return classes - 1 - test_random_below(classes % 4 ? classes % 4 : 1);
}

static int64_t shaped_fill_row(float *x, size_t classes, shaped_row spec, bool inf_allowed)
{
    float lo = -4.0f, hi = 3.0f, top = test_random_uniform(3.0f, 4.0f);
    switch (spec.kind) {
    case ROW_NEGATIVE: lo = -90.0f; hi = -61.0f; top = test_random_uniform(-61.0f, -60.0f); break;
    case ROW_SHIFTED: lo = 1e4f - 4.0f; hi = 1e4f + 3.0f; top = 1e4f + test_random_uniform(3.0f, 4.0f); break;
    case ROW_MIXED: lo = -20.0f; hi = 0.5f; top = test_random_uniform(0.5f, 1.0f); break;
    case ROW_EQUAL: {
        static const float values[] = {-70.25f, 2.5f, 1e4f, -INFINITY};
        lo = hi = top = values[test_random_below(inf_allowed ? 4 : 3)];
        break;
    }
    default: break;
    }
    for (size_t j = 0; j < classes; j++)
        x[j] = lo == hi ? lo : test_random_uniform(lo, hi);
    size_t at_max = spec.max_in_tail ? tail_index(classes) : test_random_below(classes);
    x[at_max] = top;
    if (spec.kind == ROW_MIXED && classes > 1) {
        size_t at_least = spec.max_in_tail ? tail_index(classes) : test_random_below(classes);
        if (at_least == at_max)
            at_least = (at_max + 1) % classes;
        x[at_least] = -300.0f - test_random_uniform(0.0f, 1.0f);
    }
    if (spec.kind == ROW_OUTLIER && classes > 1)
        for (int k = 0; k < 3; k++) {
            size_t at = test_random_below(classes > 32 ? classes - 16 : classes);
            if (at != at_max)
                x[at] = test_random_uniform(-40.0f, -6.0f);
        }
    switch (spec.label) {
    case LABEL_TAIL: return (int64_t)tail_index(classes);
    case LABEL_AT_MAX: return (int64_t)at_max;
    case LABEL_OTHER_BLOCK:
        if (classes > 256)
            return (int64_t)(at_max < 256 ? 256 + test_random_below(classes - 256)
                                          : test_random_below(256));
        return (int64_t)test_random_below(classes);
    case LABEL_IGNORED: return -100;
    default: return (int64_t)test_random_below(classes);
    }
}

enum { SHAPED_FIXED = 5 }; /* then random patterns */

/* Pattern p's rows (returns the count); p >= SHAPED_FIXED: random ones. */
static size_t shaped_pattern(size_t p, shaped_row *rows, bool *inf_allowed)
{
    static const shaped_row fixed[SHAPED_FIXED][9] = {
        /* every kind, ignored rows between kept ones and last */
        {{ROW_NEGATIVE, true, LABEL_TAIL}, {ROW_NEGATIVE, true, LABEL_AT_MAX},
         {ROW_SHIFTED, false, LABEL_IGNORED}, {ROW_MIXED, true, LABEL_ANY},
         {ROW_PLAIN, false, LABEL_OTHER_BLOCK}, {ROW_SHIFTED, true, LABEL_IGNORED},
         {ROW_EQUAL, false, LABEL_IGNORED}, {ROW_NEGATIVE, true, LABEL_OTHER_BLOCK},
         {ROW_SHIFTED, true, LABEL_IGNORED}},
        /* TwoSum and Fast2Sum rows taking turns */
        {{ROW_MIXED, false, LABEL_AT_MAX}, {ROW_PLAIN, true, LABEL_TAIL},
         {ROW_MIXED, true, LABEL_OTHER_BLOCK}, {ROW_OUTLIER, false, LABEL_ANY},
         {ROW_SHIFTED, false, LABEL_ANY}, {ROW_OUTLIER, true, LABEL_TAIL},
         {ROW_NEGATIVE, true, LABEL_ANY}, {ROW_MIXED, false, LABEL_ANY}},
        /* two rows: the second's max taken in the first's phase 2 */
        {{ROW_SHIFTED, false, LABEL_ANY}, {ROW_NEGATIVE, true, LABEL_TAIL}},
        /* one kept row between ignored ones */
        {{ROW_SHIFTED, true, LABEL_IGNORED}, {ROW_NEGATIVE, true, LABEL_AT_MAX},
         {ROW_PLAIN, false, LABEL_IGNORED}},
        /* rows of equal logits, -inf among them */
        {{ROW_EQUAL, false, LABEL_ANY}, {ROW_EQUAL, false, LABEL_TAIL},
         {ROW_NEGATIVE, true, LABEL_IGNORED}, {ROW_EQUAL, false, LABEL_AT_MAX},
         {ROW_EQUAL, false, LABEL_ANY}},
    };
    static const size_t fixed_rows[SHAPED_FIXED] = {9, 8, 2, 3, 5};
    *inf_allowed = p == 4;
    if (p < SHAPED_FIXED) {
        memcpy(rows, fixed[p], fixed_rows[p] * sizeof *rows);
        return fixed_rows[p];
    }
    size_t count = 2 + test_random_below(8);
    for (size_t r = 0; r < count; r++) {
        size_t place = test_random_below(6); /* 4, 5: ignored */
        rows[r] = (shaped_row){(unsigned char)test_random_below(ROW_KINDS), test_random_u32() % 2,
                               (unsigned char)(place < LABEL_IGNORED ? place : LABEL_IGNORED)};
    }
    return count;
}

static void compare_shaped(const variant *v, size_t p, size_t classes)
{
    test_seed_case("cross_entropy shaped", p, classes, 0);
    shaped_row spec[9];
    bool inf_allowed;
    size_t rows = shaped_pattern(p, spec, &inf_allowed);
    size_t n = rows * classes;
    float *x = guards ? test_guarded_alloc(n) : malloc(n * sizeof(float));
    float *weight = guards ? test_guarded_alloc(classes) : malloc(classes * sizeof(float));
    int64_t labels[9];
    for (size_t r = 0; r < rows; r++)
        labels[r] = shaped_fill_row(x + r * classes, classes, spec[r], inf_allowed);
    for (size_t j = 0; j < classes; j++)
        weight[j] = test_random_uniform(0.1f, 2.0f);
    char suffix[32];
    snprintf(suffix, sizeof suffix, " shaped %zu", p);
    compare_batch(v, x, labels, weight, rows, classes, suffix);
    free_batch(x, weight, guards);
}

/* PyTorch's definition in double: log_softmax, weighted NLL with the
 * weighted-mean divisor, label smoothing -(sum_j w_j log p_j) / C. The
 * batch comes from the seed of (rows, classes, sweep). Gradient bound (the
 * header's): 2 ulp, or 2^-20 of the row's largest term. g_j = A p_j - o_j
 * with A = ((1 - eps) w_y + (eps / C) W) / D and o_j = ((1 - eps) w_y [j == y]
 * + (eps / C) w_j) / D: with label smoothing g_j cancels (p - 0.95 and
 * the like), so a bound relative to the largest *gradient* is tighter than
 * float arithmetic can meet. */
static void check_against_double(size_t rows, size_t classes, uint64_t sweep)
{
    test_seed_case("cross_entropy double", rows, classes, sweep);
    size_t n = rows * classes;
    float *x = malloc(n * sizeof(float)), *grad = malloc(n * sizeof(float));
    float *weight = malloc(classes * sizeof(float));
    int64_t *labels = malloc(rows * sizeof(int64_t));
    double *logp = malloc(n * sizeof(double));
    fill(x, labels, weight, rows, classes, false);
    static const float smoothings[] = {0.0f, 0.1f, 0.37f, 1.0f};
    for (int ri = 0; ri < 3; ri++)
    for (int weighted = 0; weighted < 2; weighted++)
    for (int si = 0; si < 4; si++) {
        double eps = smoothings[si];
        lossopt_ce_options opt = {reductions[ri], weighted ? weight : NULL, smoothings[si]};
        float loss[64];
        if (!test_check(lossopt_cross_entropy_f32_with_table(test_oracle(), x, labels, rows,
                                                             classes, &opt, loss, grad) == LOSSOPT_OK,
                        "double check: status"))
            continue;
        double divisor = 0, total = 0, W = 0;
        for (size_t j = 0; j < classes; j++)
            W += weighted ? weight[j] : 1.0;
        for (size_t r = 0; r < rows; r++) {
            double m = -INFINITY, s = 0;
            /* a plain comparison: GCC 12's AArch64 vectoriser crashes on an fmax reduction */
            for (size_t j = 0; j < classes; j++)
                if (x[r * classes + j] > m) m = x[r * classes + j];
            for (size_t j = 0; j < classes; j++) s += exp(x[r * classes + j] - m);
            for (size_t j = 0; j < classes; j++) logp[r * classes + j] = x[r * classes + j] - m - log(s);
            if (labels[r] >= 0) divisor += weighted ? weight[labels[r]] : 1.0;
        }
        if (reductions[ri] != LOSSOPT_MEAN) divisor = 1;
        for (size_t r = 0; r < rows; r++) {
            double row = 0, largest = 0;
            double g[40000];
            int64_t y = labels[r];
            if (y >= 0) {
                double wy = weighted ? weight[y] : 1.0, smooth = 0;
                for (size_t j = 0; j < classes; j++)
                    smooth -= (weighted ? weight[j] : 1.0) * logp[r * classes + j];
                row = (1 - eps) * wy * -logp[r * classes + y] + eps / classes * smooth;
                double a = ((1 - eps) * wy + eps / classes * W) / divisor;
                for (size_t j = 0; j < classes; j++) {
                    double p = exp(logp[r * classes + j]), wj = weighted ? weight[j] : 1.0;
                    double o = ((1 - eps) * wy * (j == (size_t)y) + eps / classes * wj) / divisor;
                    g[j] = a * p - o;
                    largest = fmax(largest, fmax(fabs(a * p), fabs(o)));
                }
            } else {
                for (size_t j = 0; j < classes; j++) g[j] = 0;
            }
            total += row;
            if (reductions[ri] == LOSSOPT_NONE)
                test_check(fabs(loss[r] - row) <= 1e-6 * fabs(row) + 4 * test_ulp_of((float)row),
                           "double: row %zu of %zu x %zu: loss %.9g, double %.17g", r, rows,
                           classes, loss[r], row);
            for (size_t j = 0; j < classes; j++) {
                double err = fabs(grad[r * classes + j] - g[j]);
                test_check(err <= 2 * test_ulp_of((float)g[j]) || err <= 0x1p-20 * largest,
                           "double: grad[%zu][%zu] (%zu x %zu, sweep %llu, r=%d w=%d eps=%g) "
                           "%.9g, double %.17g, largest term %.9g",
                           r, j, rows, classes, (unsigned long long)sweep, ri, weighted, eps,
                           grad[r * classes + j], g[j], largest);
            }
        }
        if (reductions[ri] != LOSSOPT_NONE) {
            double want = reductions[ri] == LOSSOPT_MEAN ? total / divisor : total;
            /* all rows ignored: MEAN is 0 / 0 = NaN in both */
            test_check(isnan(want) ? isnan(loss[0]) : fabs(loss[0] - want) <= 1e-6 * fabs(want),
                       "double: %zu x %zu r=%d w=%d eps=%g: loss %.9g, double %.17g", rows, classes,
                       ri, weighted, eps, loss[0], want);
        }
    }
    free(x); free(grad); free(weight); free(labels); free(logp);
}

static void check_errors(void)
{
    float x[12] = {0}, grad[12], loss[4];
    int64_t labels[3] = {0, 1, -100};
    unsigned char before[sizeof grad + sizeof loss];
    lossopt_ce_options opt = {LOSSOPT_NONE, NULL, 0};
    struct { const float *x; const int64_t *labels; size_t rows, classes; lossopt_ce_options o;
             float *loss, *grad; lossopt_status want; const char *why; } cases[] = {
        {NULL, labels, 3, 4, opt, loss, grad, LOSSOPT_ERR_NULL, "NULL logits"},
        {x, NULL, 3, 4, opt, loss, grad, LOSSOPT_ERR_NULL, "NULL labels"},
        {x, labels, 3, 4, opt, NULL, NULL, LOSSOPT_ERR_NULL, "no output"},
        {x, labels, 3, 0, opt, loss, grad, LOSSOPT_ERR_SIZE, "classes 0"},
        {x, labels, SIZE_MAX / 2, 4, opt, loss, grad, LOSSOPT_ERR_SIZE, "rows * classes overflows"},
        {x, labels, 3, 4, {(lossopt_reduction)3, NULL, 0}, loss, grad, LOSSOPT_ERR_ARG, "reduction 3"},
        {x, labels, 3, 4, {LOSSOPT_MEAN, NULL, -0.1f}, loss, grad, LOSSOPT_ERR_ARG, "smoothing < 0"},
        {x, labels, 3, 4, {LOSSOPT_MEAN, NULL, 1.5f}, loss, grad, LOSSOPT_ERR_ARG, "smoothing > 1"},
        {x, labels, 3, 4, {LOSSOPT_MEAN, NULL, NAN}, loss, grad, LOSSOPT_ERR_ARG, "smoothing NaN"},
        {x, labels, 3, 1, opt, loss, grad, LOSSOPT_ERR_DOMAIN, "label 1 with 1 class"},
    };
    unsigned isas = lossopt_supported_isas();
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (int isa = 0; isa <= LOSSOPT_ISA_NEON; isa++) {
            if (!((isas >> isa) & 1)) continue;
            memset(grad, 0x5a, sizeof grad);
            memset(loss, 0x5a, sizeof loss);
            memcpy(before, grad, sizeof grad);
            memcpy(before + sizeof grad, loss, sizeof loss);
            lossopt_status got = lossopt_cross_entropy_f32_with_table(
                lossopt_kernel_table_for((lossopt_isa)isa), cases[k].x, cases[k].labels,
                cases[k].rows, cases[k].classes, &cases[k].o, cases[k].loss, cases[k].grad);
            test_check(got == cases[k].want, "%s on %s: status %d, want %d", cases[k].why,
                       lossopt_isa_name((lossopt_isa)isa), got, cases[k].want);
            test_check(memcmp(before, grad, sizeof grad) == 0 &&
                           memcmp(before + sizeof grad, loss, sizeof loss) == 0,
                       "%s: a failed call wrote", cases[k].why);
        }
    }
    /* a bad label anywhere, even after good rows, writes nothing */
    int64_t late_bad[3] = {0, 1, 4};
    memset(grad, 0x5a, sizeof grad);
    memcpy(before, grad, sizeof grad);
    test_check(lossopt_cross_entropy_f32(x, late_bad, 3, 4, &opt, loss, grad) == LOSSOPT_ERR_DOMAIN &&
                   memcmp(before, grad, sizeof grad) == 0, "label 4 in the last row");
    int64_t huge[1] = {INT64_MAX};
    test_check(lossopt_cross_entropy_f32(x, huge, 1, 4, &opt, loss, grad) == LOSSOPT_ERR_DOMAIN,
               "label INT64_MAX");
    /* all rows ignored: MEAN NaN, SUM 0, grads 0; no rows: MEAN NaN, SUM 0 */
    int64_t ignored[3] = {-100, -1, INT64_MIN};
    lossopt_ce_options mean = {LOSSOPT_MEAN, NULL, 0.1f}, sum = {LOSSOPT_SUM, NULL, 0.1f};
    test_check(lossopt_cross_entropy_f32(x, ignored, 3, 4, &mean, loss, grad) == LOSSOPT_OK &&
                   isnan(loss[0]), "all ignored MEAN: %g", loss[0]);
    test_check(lossopt_cross_entropy_f32(x, ignored, 3, 4, &sum, loss, grad) == LOSSOPT_OK &&
                   loss[0] == 0.0f && grad[0] == 0.0f && grad[11] == 0.0f, "all ignored SUM");
    test_check(lossopt_cross_entropy_f32(NULL, NULL, 0, 4, &sum, loss, NULL) == LOSSOPT_OK &&
                   loss[0] == 0.0f, "no rows SUM");
    test_check(lossopt_cross_entropy_f32(NULL, NULL, 0, 4, NULL, loss, NULL) == LOSSOPT_OK &&
                   isnan(loss[0]), "no rows MEAN (NULL options)");
}

int main(void)
{
    test_init("test_cross_entropy");
    test_skip_unless_forced_isa_supported();
    bool quick = getenv("LOSSOPT_TEST_QUICK") != NULL;
    guards = getenv("LOSSOPT_TEST_NO_GUARD_PAGES") == NULL;
    /* LOSSOPT_TEST_DOUBLE_ONLY=1 runs only the checks against double (for
     * sweeps over many seeds); LOSSOPT_TEST_DOUBLE_SWEEPS=N sets the number of
     * random shapes checked against double (default 8, each its own seed). */
    bool double_only = getenv("LOSSOPT_TEST_DOUBLE_ONLY") != NULL;
    variant variants[TEST_MAX_VARIANTS];
    size_t count = double_only ? 0 : test_variants(variants);
    static const size_t class_counts[] = {1, 2, 3, 7, 15, 16, 17, 31, 33, 255, 256, 257, 1000, 32000};
    for (size_t v = 0; v < count; v++) {
        for (size_t c = 0; c < sizeof class_counts / sizeof class_counts[0]; c++) {
            size_t classes = class_counts[c];
            if (quick && classes > 1000) continue;
            test_seed_case("cross_entropy rows", classes, 0, 0);
            size_t rows = classes >= 1000 ? 3 : 1 + test_random_below(9);
            compare(&variants[v], rows, classes, false);
            compare(&variants[v], rows, classes, true);
        }
        compare(&variants[v], 0, 5, false);
        static const size_t shaped_classes[] = {1, 3, 7, 9, 15, 17, 31, 33, 63, 65, 257, 1000, 1031};
        for (size_t c = 0; c < sizeof shaped_classes / sizeof shaped_classes[0]; c++)
            for (size_t p = 0; p < SHAPED_FIXED + (quick ? 0 : 3); p++)
                if (!quick || (c % 2 == 0 && c > 0 && (shaped_classes[c] < 1000 || p == 0)))
                    compare_shaped(&variants[v], p, shaped_classes[c]); /* quick: the qemu runs */
    }
    static const size_t double_classes[] = {1, 2, 3, 7, 17, 1000};
    for (size_t c = 0; c < sizeof double_classes / sizeof double_classes[0]; c++)
        check_against_double(double_classes[c] >= 1000 ? 4 : 20, double_classes[c], 0);
    if (!quick && !double_only)
        check_against_double(2, 32000, 0);
    /* a randomized sweep of shapes, each from its own seed */
    unsigned long sweeps = test_sweep_count(quick);
    for (unsigned long k = 1; k <= sweeps; k++) {
        size_t rows, classes;
        test_sweep_shape("cross_entropy sweep shape", k, &rows, &classes);
        check_against_double(rows, classes, k);
    }
    printf("checked against double: %zu fixed shapes and %lu random ones\n",
           sizeof double_classes / sizeof double_classes[0] + (!quick && !double_only), sweeps);
    if (!double_only)
        check_errors();
    return test_finish();
}
