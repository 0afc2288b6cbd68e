/* tests/test_loss_rules.c - loss semantics at the edges of include/lossopt.h,
 * each a defect an adversarial pass found in 0.1, checked exactly on the
 * public API and every supported ISA:
 *   - a term whose coefficient is exactly 0 contributes nothing: an inf or
 *     NaN class weight of a class absent from the batch leaves cross-entropy
 *     without label smoothing bit for bit unchanged (PyTorch reads a weight
 *     only where it is used); likewise a zero soft target's weight;
 *   - a +inf logit makes its row's loss and gradient NaN, as PyTorch's
 *     log_softmax does (0.1 gave a finite loss and a NaN gradient with +inf at
 *     the label);
 *   - multi_margin with an infinite margin or target score, or margin - x_y
 *     overflowing: PyTorch's values (inf or 0, finite gradients), not NaN;
 *   - +inf is a valid huber delta (0.5 d^2), smooth_l1 beta (0) and
 *     bce_logits pos_weight (PyTorch's formula: inf, NaN at y = 0). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lossopt_internal.h"
#include "test_support.h"
#include "test_variants.h"

#define ROWS 5
#define CLASSES 11

/* The public API and every supported ISA's table (tests/test_variants.h). */
static variant entries[TEST_MAX_VARIANTS];
static size_t entry_count;
#define FOR_EACH_ENTRY(v) for (const variant *v = entries; v < entries + entry_count; v++)

static lossopt_status cross_entropy(const variant *v, const float *x, const int64_t *labels, size_t rows,
                                    const lossopt_ce_options *opt, float *loss, float *grad)
{
    if (v->public_api)
        return lossopt_cross_entropy_f32(x, labels, rows, CLASSES, opt, loss, grad);
    return lossopt_cross_entropy_f32_with_table(v->table, x, labels, rows, CLASSES, opt, loss,
                                                grad);
}

static lossopt_status cross_entropy_probs(const variant *v, const float *x, const float *t, size_t rows,
                                          const lossopt_ce_options *opt, float *loss, float *grad)
{
    if (v->public_api)
        return lossopt_cross_entropy_probs_f32(x, t, rows, CLASSES, opt, loss, grad);
    return lossopt_cross_entropy_probs_f32_with_table(v->table, x, t, rows, CLASSES, opt,
                                                      loss, grad);
}

static void fill_logits(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = test_random_uniform(-4.0f, 4.0f);
}

static bool same(const float *a, const float *b, size_t n) { return test_first_difference(a, b, n) == n; }

/* Class 3 never occurs; its weight is inf, -inf or NaN. */
static void check_unused_class_weights(void)
{
    static const float poison[] = {INFINITY, -INFINITY, NAN};
    static const lossopt_reduction reductions[] = {LOSSOPT_MEAN, LOSSOPT_SUM, LOSSOPT_NONE};
    int64_t labels[ROWS] = {0, 7, -100, 10, 2};
    float x[ROWS * CLASSES], t[ROWS * CLASSES], w[CLASSES], w_poisoned[CLASSES];
    test_seed_case("unused class weights", 0, 0, 0);
    fill_logits(x, ROWS * CLASSES);
    for (int j = 0; j < CLASSES; j++)
        w[j] = test_random_uniform(0.1f, 2.0f);
    for (int r = 0; r < ROWS; r++) {
        double sum = 0;
        for (int j = 0; j < CLASSES; j++) {
            t[r * CLASSES + j] = j == 3 ? 0.0f : test_random_uniform(0.0f, 1.0f);
            sum += t[r * CLASSES + j];
        }
        for (int j = 0; j < CLASSES; j++)
            t[r * CLASSES + j] = (float)(t[r * CLASSES + j] / sum);
    }
    for (int k = 0; k < 3; k++) {
        memcpy(w_poisoned, w, sizeof w);
        w_poisoned[3] = poison[k];
        for (int ri = 0; ri < 3; ri++) {
            FOR_EACH_ENTRY(v) {
                float want_loss[ROWS], loss[ROWS], want_grad[ROWS * CLASSES], grad[ROWS * CLASSES];
                lossopt_ce_options clean = {reductions[ri], w, 0.0f};
                lossopt_ce_options poisoned = {reductions[ri], w_poisoned, 0.0f};
                size_t count = reductions[ri] == LOSSOPT_NONE ? ROWS : 1;
                lossopt_status a = cross_entropy(v, x, labels, ROWS, &clean, want_loss, want_grad);
                lossopt_status b = cross_entropy(v, x, labels, ROWS, &poisoned, loss, grad);
                test_check(a == LOSSOPT_OK && b == LOSSOPT_OK && same(want_loss, loss, count) &&
                               same(want_grad, grad, ROWS * CLASSES),
                           "%s: cross_entropy r=%d, unused class weight %g changed the result",
                           v->name, ri, (double)poison[k]);
                /* soft targets: class 3's target is 0 in every row */
                a = cross_entropy_probs(v, x, t, ROWS, &clean, want_loss, want_grad);
                b = cross_entropy_probs(v, x, t, ROWS, &poisoned, loss, grad);
                test_check(a == LOSSOPT_OK && b == LOSSOPT_OK && same(want_loss, loss, count) &&
                               same(want_grad, grad, ROWS * CLASSES),
                           "%s: cross_entropy_probs r=%d, weight %g at a zero target changed the "
                           "result",
                           v->name, ri, (double)poison[k]);
                /* with label smoothing every weight is used: not finite */
                lossopt_ce_options smoothed = {reductions[ri], w_poisoned, 0.1f};
                b = cross_entropy(v, x, labels, ROWS, &smoothed, loss, grad);
                test_check(b == LOSSOPT_OK && !isfinite(loss[0]) && !isfinite(grad[0]),
                           "%s: smoothed cross_entropy with weight %g: loss %g grad %g, want "
                           "non-finite",
                           v->name, (double)poison[k], (double)loss[0], (double)grad[0]);
            }
        }
    }
}

/* +inf in a row (at the label or elsewhere): that row NaN, the others as if
 * it were not there. */
static void check_infinite_logits(void)
{
    int64_t labels[ROWS] = {4, 1, 9, 0, 6};
    float x[ROWS * CLASSES];
    test_seed_case("infinite logits", 0, 0, 0);
    fill_logits(x, ROWS * CLASSES);
    x[0 * CLASSES + 4] = INFINITY; /* row 0: at its label */
    x[2 * CLASSES + 5] = INFINITY; /* row 2: elsewhere */
    FOR_EACH_ENTRY(v) {
        for (int soft = 0; soft < 2; soft++) {
            float loss[ROWS], grad[ROWS * CLASSES], alone_loss[1], alone_grad[CLASSES];
            float t[ROWS * CLASSES];
            for (int i = 0; i < ROWS * CLASSES; i++)
                t[i] = (int64_t)(i % CLASSES) == labels[i / CLASSES] ? 0.9f : 0.01f;
            lossopt_ce_options none = {LOSSOPT_NONE, NULL, 0.0f};
            lossopt_status st = soft ? cross_entropy_probs(v, x, t, ROWS, &none, loss, grad)
                                     : cross_entropy(v, x, labels, ROWS, &none, loss, grad);
            if (!test_check(st == LOSSOPT_OK, "%s: status %d", v->name, st))
                continue;
            for (int r = 0; r < ROWS; r++) {
                bool infinite_row = r == 0 || r == 2;
                if (infinite_row) {
                    bool all_nan = isnan(loss[r]);
                    for (int j = 0; j < CLASSES; j++)
                        all_nan = all_nan && isnan(grad[r * CLASSES + j]);
                    test_check(all_nan, "%s: %s row %d with +inf at %s: loss %g, want NaN and a "
                               "NaN gradient row (PyTorch)",
                               v->name, soft ? "soft" : "class-index", r,
                               r == 0 ? "the label" : "another class", (double)loss[r]);
                    continue;
                }
                st = soft ? cross_entropy_probs(v, x + r * CLASSES, t + r * CLASSES, 1, &none,
                                                alone_loss, alone_grad)
                          : cross_entropy(v, x + r * CLASSES, labels + r, 1, &none, alone_loss,
                                          alone_grad);
                test_check(st == LOSSOPT_OK && alone_loss[0] == loss[r] &&
                               same(alone_grad, grad + r * CLASSES, CLASSES),
                           "%s: row %d changed by another row's +inf", v->name, r);
            }
            lossopt_ce_options mean = {LOSSOPT_MEAN, NULL, 0.0f};
            st = soft ? cross_entropy_probs(v, x, t, ROWS, &mean, loss, NULL)
                      : cross_entropy(v, x, labels, ROWS, &mean, loss, NULL);
            test_check(st == LOSSOPT_OK && isnan(loss[0]), "%s: MEAN with a +inf logit: %g",
                       v->name, (double)loss[0]);
        }
    }
}

static lossopt_status multi_margin(const variant *v, const float *x, const int64_t *labels, size_t rows,
                                   size_t classes, int p, float margin, lossopt_reduction r,
                                   float *loss, float *grad)
{
    if (v->public_api)
        return lossopt_multi_margin_f32(x, labels, rows, classes, p, margin, NULL, r, loss, grad);
    return lossopt_multi_margin_f32_with_table(v->table, x, labels, rows, classes, p, margin,
                                               NULL, r, loss, grad);
}

/* PyTorch's multi_margin_loss in float as it evaluates it: z = margin - x_y
 * + x_j, left to right; z > 0 adds z (p 1) or z^2 (p 2) times 1 / C, and
 * the gradient 1 / C (p 1) or 2 z / C (p 2) at j, minus their sum at y. */
static void multi_margin_reference(const float *x, int64_t y, size_t classes, int p, float margin,
                                   double *loss, double *grad)
{
    *loss = 0;
    for (size_t j = 0; j < classes; j++)
        grad[j] = 0;
    for (size_t j = 0; j < classes; j++) {
        if ((int64_t)j == y)
            continue;
        float z = (margin - x[y]) + x[j];
        if (z > 0) {
            *loss += (p == 1 ? (double)z : (double)z * z) / (double)classes;
            double g = (p == 1 ? 1.0 : 2.0 * z) / (double)classes;
            grad[j] += g;
            grad[y] -= g;
        }
    }
}

static void check_multi_margin_infinities(void)
{
    enum { C = 6 };
    struct { float margin; float target_score; float other; const char *what; } cases[] = {
        {INFINITY, 0.5f, 0.25f, "margin +inf"},
        {-INFINITY, 0.5f, 0.25f, "margin -inf"},
        {1.0f, INFINITY, 0.25f, "target score +inf"},
        {1.0f, -INFINITY, 0.25f, "target score -inf"},
        {FLT_MAX, -FLT_MAX, 0.25f, "margin - x_y overflows"},
        {-FLT_MAX, FLT_MAX, 0.25f, "margin - x_y overflows to -inf"},
        {0.7f, 0.5f, INFINITY, "another score +inf"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        float x[C] = {0.1f, cases[k].target_score, -0.3f, cases[k].other, 2.0f, -1.5f};
        int64_t label = 1;
        for (int p = 1; p <= 2; p++) {
            double want_loss, want_grad[C];
            multi_margin_reference(x, label, C, p, cases[k].margin, &want_loss, want_grad);
            FOR_EACH_ENTRY(v) {
                float loss, grad[C];
                lossopt_status st = multi_margin(v, x, &label, 1, C, p, cases[k].margin,
                                                 LOSSOPT_SUM, &loss, grad);
                bool ok = st == LOSSOPT_OK && !isnan(loss) &&
                          (isinf(want_loss) ? loss == (float)want_loss
                                            : fabs(loss - want_loss) <= 1e-6 * fabs(want_loss) + 1e-30);
                test_check(ok, "%s: multi_margin p=%d %s: loss %g, PyTorch %g", v->name,
                           p, cases[k].what, (double)loss, want_loss);
                for (int j = 0; j < C; j++) {
                    bool g_ok = !isnan(grad[j]) &&
                                (isinf(want_grad[j]) ? grad[j] == (float)want_grad[j]
                                                     : fabs(grad[j] - want_grad[j]) <=
                                                           1e-6 * fabs(want_grad[j]));
                    test_check(g_ok, "%s: multi_margin p=%d %s: grad[%d] %g, PyTorch %g",
                               v->name, p, cases[k].what, j, (double)grad[j],
                               want_grad[j]);
                }
            }
        }
    }
}

static lossopt_status elementwise(const variant *v, lossopt_loss_kind kind, const float *x, const float *t,
                                  size_t n, float parameter, float *loss, float *grad)
{
    return lossopt_elementwise_loss_f32_with_table(v->table, kind, x, t, NULL, n, parameter,
                                                   LOSSOPT_NONE, loss, grad);
}

static void check_infinite_parameters(void)
{
    enum { N = 37 };
    float x[N], t[N];
    test_seed_case("infinite parameters", 0, 0, 0);
    for (int i = 0; i < N; i++) {
        x[i] = test_random_uniform(-1e3f, 1e3f);
        t[i] = test_random_uniform(-1e3f, 1e3f);
    }
    FOR_EACH_ENTRY(v) {
        float loss[N], grad[N], want_loss[N], want_grad[N];
        /* huber with delta = inf is huber with any delta above every |d| */
        lossopt_status a = elementwise(v, LOSSOPT_LOSS_HUBER, x, t, N, INFINITY, loss, grad);
        lossopt_status b = elementwise(v, LOSSOPT_LOSS_HUBER, x, t, N, FLT_MAX, want_loss, want_grad);
        test_check(a == LOSSOPT_OK && b == LOSSOPT_OK && same(loss, want_loss, N) &&
                       same(grad, want_grad, N),
                   "%s: huber delta inf differs from delta FLT_MAX (0.5 d^2, grad d)",
                   v->name);
        /* smooth_l1 with beta = inf: loss 0 and gradient 0 for finite d */
        a = elementwise(v, LOSSOPT_LOSS_SMOOTH_L1, x, t, N, INFINITY, loss, grad);
        bool zero = a == LOSSOPT_OK;
        for (int i = 0; i < N; i++)
            zero = zero && loss[i] == 0.0f && grad[i] == 0.0f;
        test_check(zero, "%s: smooth_l1 beta inf: want loss 0 and gradient 0", v->name);
        /* bce_logits with pos_weight = inf: PyTorch's lw = 1 + (inf - 1) y is
         * inf for y > 0 (loss inf) and NaN for y = 0 (inf * 0) */
        float logit[4] = {-2.0f, 0.5f, 3.0f, -0.25f}, y[4] = {1.0f, 0.3f, 0.0f, 0.0f};
        a = elementwise(v, LOSSOPT_LOSS_BCE_LOGITS, logit, y, 4, INFINITY, loss, grad);
        test_check(a == LOSSOPT_OK && loss[0] == INFINITY && loss[1] == INFINITY &&
                       isnan(loss[2]) && isnan(loss[3]),
                   "%s: bce_logits pos_weight inf: losses %g %g %g %g, want inf inf NaN NaN",
                   v->name, (double)loss[0], (double)loss[1], (double)loss[2],
                   (double)loss[3]);
    }
}

int main(void)
{
    test_init("test_loss_rules");
    test_skip_unless_forced_isa_supported();
    entry_count = test_all_entry_points(entries);
    check_unused_class_weights();
    check_infinite_logits();
    check_multi_margin_infinities();
    check_infinite_parameters();
    return test_finish();
}
