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
 *     bce_logits pos_weight (PyTorch's formula: inf, NaN at y = 0);
 *   - the per-call scalars and reductions are the header's double expressions
 *     rounded once (a spy kernel table records what each call hands to the
 *     kernels and gets back): the bitwise tests cannot see them, because the
 *     oracle and every ISA share them;
 *   - huber and smooth_l1 at |x - t| == delta exactly take the linear branch,
 *     also where x - t rounds to delta; a sum of -0 losses is -0; label
 *     smoothing 1 with a -inf label logit is +inf (its NLL term has
 *     coefficient 0); a one-class row's loss is +0. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lossopt_internal.h"
#include "loss_cases.h"
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

/* ---- coefficients and reductions, through a spy kernel table ------------- */

static lossopt_elementwise_args seen_args;
static double seen_total;
static lossopt_elementwise_fn *real_elementwise;

static double spy_elementwise(const lossopt_elementwise_args *a)
{
    seen_args = *a;
    seen_total = real_elementwise(a);
    return seen_total;
}

static bool same_float(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* The scalar table's kernel of a loss (smooth_l1 with beta 0 runs l1). */
static lossopt_elementwise_fn *scalar_kernel(const loss_case *c)
{
    const lossopt_kernel_table *t = test_oracle();
    switch (c->kind) {
    case LOSSOPT_LOSS_MSE: return t->mse_f32;
    case LOSSOPT_LOSS_L1: return t->l1_f32;
    case LOSSOPT_LOSS_HUBER: return t->huber_f32;
    case LOSSOPT_LOSS_SMOOTH_L1: return c->parameter == 0.0f ? t->l1_f32 : t->smooth_l1_f32;
    case LOSSOPT_LOSS_HINGE: return t->hinge_f32;
    case LOSSOPT_LOSS_SQUARED_HINGE: return t->squared_hinge_f32;
    case LOSSOPT_LOSS_BCE: return t->bce_f32;
    case LOSSOPT_LOSS_SOFT_MARGIN: return t->soft_margin_f32;
    case LOSSOPT_LOSS_POISSON_NLL: return t->poisson_nll_f32;
    case LOSSOPT_LOSS_KL_DIV: return t->kl_div_f32;
    case LOSSOPT_LOSS_KL_DIV_LOG_TARGET: return t->kl_div_log_target_f32;
    default: return t->bce_logits_f32;
    }
}

/* c = (float)(k r), r = 1/n (double) for MEAN; MEAN = (float)(total / n),
 * SUM = (float)total; h = (float)(delta / 2); pw1 = (float)(pos_weight - 1). */
static void check_elementwise_scalars(void)
{
    lossopt_kernel_table spy = *test_oracle();
    spy.mse_f32 = spy.l1_f32 = spy.huber_f32 = spy.smooth_l1_f32 = spy_elementwise;
    spy.hinge_f32 = spy.squared_hinge_f32 = spy.bce_f32 = spy.bce_logits_f32 = spy_elementwise;
    spy.soft_margin_f32 = spy.poisson_nll_f32 = spy_elementwise;
    spy.kl_div_f32 = spy.kl_div_log_target_f32 = spy_elementwise;
    enum { MAX_N = 5003 };
    static float x[MAX_N], t[MAX_N], w[MAX_N], grad[MAX_N];
    static const size_t lengths[] = {1, 255, 1000, 3001, MAX_N};
    const loss_case *cases;
    size_t count = loss_cases_all(&cases);
    for (size_t k = 0; k < count; k++) {
        const loss_case *c = &cases[k];
        real_elementwise = scalar_kernel(c);
        double derivative = c->kind == LOSSOPT_LOSS_MSE || c->kind == LOSSOPT_LOSS_SQUARED_HINGE ? 2.0 : 1.0;
        for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
            size_t n = lengths[li];
            test_seed_case("elementwise scalars", k, n, 0);
            loss_case_fill(c, x, t, w, n, false);
            /* MEAN, SUM, and kl_div's BATCHMEAN: divided by rows, like MEAN by n */
            for (int reduction = LOSSOPT_MEAN; reduction <= LOSSOPT_BATCHMEAN; reduction++) {
                if (reduction == LOSSOPT_NONE ||
                    (reduction == LOSSOPT_BATCHMEAN && !loss_case_is_kl(c)))
                    continue;
                float loss;
                lossopt_status st = loss_case_run(c, false, &spy, x, t, w, n,
                                                  (lossopt_reduction)reduction, &loss, grad);
                if (!test_check(st == LOSSOPT_OK, "%s: status %d", loss_case_describe(c), st))
                    continue;
                bool mean = reduction != LOSSOPT_SUM;
                double divisor = reduction == LOSSOPT_BATCHMEAN ? (double)loss_case_kl_rows(n)
                                                                : (double)n;
                float want = mean ? (float)(seen_total / divisor) : (float)seen_total;
                test_check(same_float(loss, want), "%s n=%zu %s: loss %a, want %a (the canonical "
                           "double total %s)", loss_case_describe(c), n, mean ? "MEAN" : "SUM",
                           (double)loss, (double)want, mean ? "divided by n, rounded once" : "rounded once");
                float scale = (float)(derivative * (mean ? 1.0 / divisor : 1.0));
                test_check(same_float(seen_args.grad_scale, scale),
                           "%s n=%zu: gradient scale %a, want (float)(k r) = %a",
                           loss_case_describe(c), n, (double)seen_args.grad_scale, (double)scale);
                double parameter = c->parameter;
                if (c->kind == LOSSOPT_LOSS_HUBER || c->kind == LOSSOPT_LOSS_SMOOTH_L1)
                    test_check(same_float(seen_args.half_delta, (float)(parameter / 2.0)),
                               "%s: h is not (float)(delta / 2)", loss_case_describe(c));
                if (c->kind == LOSSOPT_LOSS_BCE_LOGITS)
                    test_check(same_float(seen_args.pos_weight_minus_1, (float)(parameter - 1.0)),
                               "%s: pw1 is not (float)(pos_weight - 1)", loss_case_describe(c));
                if (c->kind == LOSSOPT_LOSS_POISSON_NLL)
                    test_check(same_float(seen_args.eps, c->parameter) &&
                                   seen_args.log_input == ((c->flags & LOSSOPT_LOSS_LOG_INPUT) != 0) &&
                                   seen_args.full == ((c->flags & LOSSOPT_LOSS_FULL) != 0),
                               "%s: eps, log_input or full not handed over as given",
                               loss_case_describe(c));
            }
        }
    }
}

/* The three-input losses: c = (float)r, c2 = (float)(0.5 r), the constant
 * (float)(0.5 log(2 pi)) in double, the parameter as given; MEAN and SUM of
 * the canonical total as above. */
static lossopt_elementwise3_args seen3;
static double seen3_total;
static lossopt_elementwise3_fn *real3;

static double spy_elementwise3(const lossopt_elementwise3_args *a)
{
    seen3 = *a;
    seen3_total = real3(a);
    return seen3_total;
}

static void check_elementwise3_scalars(void)
{
    lossopt_kernel_table spy = *test_oracle();
    spy.margin_ranking_f32 = spy.gaussian_nll_f32 = spy_elementwise3;
    enum { MAX_N = 5003 };
    static float a[MAX_N], b[MAX_N], c3[MAX_N], ga[MAX_N], gb[MAX_N];
    static const size_t lengths[] = {1, 255, 1000, 3001, MAX_N};
    const loss3_case *cases;
    size_t count = loss3_cases_all(&cases);
    for (size_t k = 0; k < count; k++) {
        const loss3_case *c = &cases[k];
        real3 = c->kind == LOSSOPT_LOSS3_MARGIN_RANKING ? test_oracle()->margin_ranking_f32
                                                         : test_oracle()->gaussian_nll_f32;
        for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
            size_t n = lengths[li];
            test_seed_case("elementwise3 scalars", k, n, 0);
            loss3_case_fill(c, a, b, c3, n, false);
            for (int reduction = LOSSOPT_MEAN; reduction <= LOSSOPT_SUM; reduction++) {
                float loss;
                lossopt_status st = loss3_case_run(c, false, &spy, a, b, c3, n,
                                                   (lossopt_reduction)reduction, &loss, ga, gb);
                if (!test_check(st == LOSSOPT_OK, "%s: status %d", loss3_case_describe(c), st))
                    continue;
                bool mean = reduction == LOSSOPT_MEAN;
                double r = mean ? 1.0 / (double)n : 1.0;
                float want = mean ? (float)(seen3_total / (double)n) : (float)seen3_total;
                test_check(same_float(loss, want), "%s n=%zu %s: loss %a, want %a",
                           loss3_case_describe(c), n, mean ? "MEAN" : "SUM", (double)loss,
                           (double)want);
                test_check(same_float(seen3.grad_scale, (float)r) &&
                               same_float(seen3.half_grad_scale, (float)(0.5 * r)),
                           "%s n=%zu: c %a, c2 %a, want (float)r, (float)(0.5 r)",
                           loss3_case_describe(c), n, (double)seen3.grad_scale,
                           (double)seen3.half_grad_scale);
                test_check(same_float(seen3.parameter, c->parameter) && seen3.full == c->full,
                           "%s: the parameter or full is not handed on as given",
                           loss3_case_describe(c));
                if (c->kind == LOSSOPT_LOSS3_GAUSSIAN_NLL)
                    test_check(same_float(seen3.constant,
                                          (float)(0.5 * log(2.0 * 3.14159265358979323846))),
                               "%s: the constant is not (float)(0.5 log(2 pi))",
                               loss3_case_describe(c));
            }
        }
    }
}

/* margin_ranking and gaussian_nll at their edges, exactly, on every entry:
 *   margin_ranking: m == 0 passes the gradient (-y c, y c; PyTorch's
 *     clamp_min backward), m < 0 gives +0, a NaN m gives NaN gradients and
 *     loss; a pair whose float -y d + margin would round to the other side
 *     of 0 follows the exact sign (the carried rounding error);
 *   gaussian_nll: a var below eps gives the bits of var == eps (value and
 *     both gradients), -0 and 0 likewise; var = +inf gives loss +inf and
 *     zero gradients. */
static void check_pairwise_edges(void)
{
    enum { N = 37 };
    static float a[N], b[N], c3[N], loss[N], ga[N], gb[N];
    static float a2[N], b2[N], c2[N], loss2[N], ga2[N], gb2[N];
    FOR_EACH_ENTRY(v) {
        loss3_case m = {LOSSOPT_LOSS3_MARGIN_RANKING, 0.3f, false};
        for (int i = 0; i < N; i++) {
            a[i] = 0.25f * (float)i - 3.0f;
            b[i] = a[i] - 0.3f; /* y = 1: m = -(a - b) + 0.3, 0 where exact */
            c3[i] = i % 2 ? 1.0f : -1.0f;
        }
        /* d = 0.3f + 1.2e-8 rounds to 0.3f: PyTorch's float m is 0 (gradient
         * -1), the exact m is -1.2e-8 (no gradient) */
        a[0] = 0.3f; b[0] = -1.2e-8f; c3[0] = 1.0f;
        a[1] = NAN;
        a[2] = 5.0f; b[2] = 5.0f; c3[2] = 1.0f;  /* m = margin */
        lossopt_status st = loss3_case_run(&m, v->public_api, v->table, a, b, c3, N,
                                           LOSSOPT_NONE, loss, ga, gb);
        test_check(st == LOSSOPT_OK, "margin_ranking edges via %s: status %d", v->name, st);
        double exact0 = -1.0 * ((double)a[0] - (double)b[0]) + (double)0.3f;
        test_check(exact0 < 0 && (float)(-(0.3f - -1.2e-8f) + 0.3f) == 0.0f && loss[0] == 0 &&
                       ga[0] == 0 && gb[0] == 0,
                   "margin_ranking via %s: the gradient does not follow the exact m %.3g",
                   v->name, exact0);
        test_check(isnan(loss[1]) && isnan(ga[1]) && isnan(gb[1]),
                   "margin_ranking via %s: a NaN input does not give NaN loss and gradients",
                   v->name);
        for (int i = 3; i < N; i++) {
            double mm = -(double)c3[i] * ((double)a[i] - (double)b[i]) + (double)0.3f;
            bool active = mm >= 0;
            test_check(active ? (same_float(ga[i], -c3[i]) && same_float(gb[i], c3[i]))
                              : (same_float(ga[i], 0.0f) && same_float(gb[i], 0.0f)),
                       "margin_ranking via %s [%d]: m %.9g, gradients %a %a", v->name, i, mm,
                       (double)ga[i], (double)gb[i]);
        }
        /* m == 0 exactly: margin 0, equal inputs */
        loss3_case m0 = {LOSSOPT_LOSS3_MARGIN_RANKING, 0.0f, false};
        float one_a = 1.5f, one_b = 1.5f, y = -1.0f, l, g1, g2;
        st = loss3_case_run(&m0, v->public_api, v->table, &one_a, &one_b, &y, 1, LOSSOPT_SUM, &l,
                            &g1, &g2);
        test_check(st == LOSSOPT_OK && l == 0.0f && g1 == 1.0f && g2 == -1.0f,
                   "margin_ranking via %s: m == 0 gives loss %a, gradients %a %a (PyTorch: 0, 1, -1)",
                   v->name, (double)l, (double)g1, (double)g2);

        loss3_case g = {LOSSOPT_LOSS3_GAUSSIAN_NLL, 1e-6f, true};
        static const float below[] = {0.0f, -0.0f, 1e-45f, 1e-8f, 9.9999994e-7f};
        for (int i = 0; i < N; i++) {
            a[i] = a2[i] = 0.3f * (float)i - 5.0f;
            b[i] = b2[i] = 0.7f;
            c3[i] = below[i % 5];
            c2[i] = 1e-6f;
        }
        c3[N - 1] = INFINITY;
        c2[N - 1] = INFINITY;
        st = loss3_case_run(&g, v->public_api, v->table, a, b, c3, N, LOSSOPT_NONE, loss, ga, gb);
        lossopt_status st2 = loss3_case_run(&g, v->public_api, v->table, a2, b2, c2, N,
                                            LOSSOPT_NONE, loss2, ga2, gb2);
        test_check(st == LOSSOPT_OK && st2 == LOSSOPT_OK &&
                       test_first_difference(loss, loss2, N) == N &&
                       test_first_difference(ga, ga2, N) == N &&
                       test_first_difference(gb, gb2, N) == N,
                   "gaussian_nll via %s: a var below eps does not give the bits of var == eps",
                   v->name);
        test_check(loss[N - 1] == INFINITY && ga[N - 1] == 0.0f && gb[N - 1] == 0.0f,
                   "gaussian_nll via %s: var = inf gives %a, %a, %a (want inf, 0, 0)", v->name,
                   (double)loss[N - 1], (double)ga[N - 1], (double)gb[N - 1]);
        test_check(gb[0] < -1e10f, "gaussian_nll via %s: var 0 below eps: grad_var %a, want "
                   "PyTorch's 0.5 (1/eps - d^2/eps^2) (about -1.4e13)", v->name, (double)gb[0]);
    }
}

static lossopt_cross_entropy_args seen_ce;
static lossopt_multi_margin_args seen_margin;

static double spy_cross_entropy(const lossopt_cross_entropy_args *a)
{
    seen_ce = *a;
    return test_oracle()->cross_entropy_f32(a);
}

static double spy_multi_margin(const lossopt_multi_margin_args *a)
{
    seen_margin = *a;
    return test_oracle()->multi_margin_f32(a);
}

/* Cross-entropy's per-call scalars: D, W (summed in class order, only with
 * smoothing), eps / C and the offset (float)((eps / C) / D); multi_margin's
 * D (kept rows) and, for p = 1, g_y = (float)(-(w_y / (C D)) * count) with
 * count the active hinges of the documented z_j. The per-row formulas are
 * also compared bit for bit between the oracle and every ISA's kernel. */
static void check_row_scalars(void)
{
    lossopt_kernel_table spy = *test_oracle();
    spy.cross_entropy_f32 = spy_cross_entropy;
    spy.multi_margin_f32 = spy_multi_margin;
    float x[CLASSES], w[CLASSES], grad[CLASSES], loss;
    static const float smoothings[] = {0.0f, 0.1f, 0.37f, 1.0f};
    static const float margins[] = {1.0f, 0.3f, -0.7f};
    for (int k = 0; k < 40; k++) {
        test_seed_case("row scalars", (uint64_t)k, 0, 0);
        fill_logits(x, CLASSES);
        for (int j = 0; j < CLASSES; j++)
            w[j] = test_random_uniform(0.1f, 2.0f);
        int64_t label = (int64_t)test_random_below(CLASSES);
        bool weighted = k % 2;
        lossopt_reduction r = k % 3 == 0 ? LOSSOPT_SUM : LOSSOPT_MEAN;
        double w_y = weighted ? w[label] : 1.0;
        double divisor = r == LOSSOPT_MEAN ? w_y : 1.0; /* one kept row */
        float eps = smoothings[k % 4];
        lossopt_ce_options opt = {r, weighted ? w : NULL, eps};
        lossopt_status st = lossopt_cross_entropy_f32_with_table(&spy, x, &label, 1, CLASSES, &opt,
                                                                 &loss, grad);
        double weight_sum = CLASSES;
        if (weighted && eps > 0.0f) {
            weight_sum = 0.0;
            for (int j = 0; j < CLASSES; j++)
                weight_sum += (double)w[j];
        }
        double per_class = (double)eps / CLASSES;
        float want_offset = (float)(per_class / divisor);
        test_check(st == LOSSOPT_OK && seen_ce.divisor == divisor &&
                       seen_ce.weight_sum == weight_sum && seen_ce.per_class == per_class &&
                       same_float(seen_ce.offset, want_offset) &&
                       seen_ce.smooth == (eps > 0.0f) && seen_ce.keep_nll == (eps < 1.0f),
                   "cross_entropy eps=%g w=%d: D %.17g (want %.17g), W %.17g (want %.17g), "
                   "offset %a (want (float)((eps / C) / D) = %a)", (double)eps, weighted,
                   seen_ce.divisor, divisor, seen_ce.weight_sum, weight_sum,
                   (double)seen_ce.offset, (double)want_offset);
        for (int p = 1; p <= 2; p++) {
            float margin = margins[k % 3];
            st = lossopt_multi_margin_f32_with_table(&spy, x, &label, 1, CLASSES, p, margin,
                                                     weighted ? w : NULL, r, &loss, grad);
            /* multi_margin's MEAN divides by the kept rows (one), not by weights */
            test_check(st == LOSSOPT_OK && seen_margin.divisor == 1.0,
                       "multi_margin: D %.17g, want 1 (one kept row)", seen_margin.divisor);
            if (p != 1)
                continue;
            float mmt = margin - x[label];
            float err = (float)(((double)margin - (double)x[label]) - (double)mmt);
            int active = 0;
            for (int j = 0; j < CLASSES; j++)
                active += j != label && (mmt + x[j]) + err > 0.0f;
            float want_gy = (float)(-(w_y / ((double)CLASSES * 1.0)) * (double)active);
            test_check(same_float(grad[label], want_gy),
                       "multi_margin p=1 w=%d: g_y %a, want (float)(-(w_y / (C D)) * %d) = %a",
                       weighted, (double)grad[label], active, (double)want_gy);
        }
    }
}

/* ---- edges of the formulas ------------------------------------------------- */

/* Pairs with x - t rounding to exactly +-delta (with a rounding error): the
 * linear branch, as |x - t| < delta is false, and PyTorch's abs_diff < delta. */
static void check_branch_point(void)
{
    static const float deltas[] = {0.3f, 1.7f, 0.37f, 2.3f};
    for (size_t k = 0; k < sizeof deltas / sizeof deltas[0]; k++) {
        float delta = deltas[k], x[16], t[16];
        size_t n = 0;
        for (int j = 1; j < 4096 && n < 16; j++) {
            float tiny = ldexpf(1.0f + (float)j / 1024.0f, -27);
            float big = (float)((double)delta + (double)tiny);
            float d = big - tiny;
            double exact = (double)big - (double)tiny;
            if (d == delta && exact != (double)d) {
                x[n] = n % 2 ? -big : big; /* both signs */
                t[n] = n % 2 ? -tiny : tiny;
                n++;
            }
        }
        if (!test_check(n >= 4, "delta %g: no rounding pair found", (double)delta))
            continue;
        for (int smooth = 0; smooth < 2; smooth++) {
            FOR_EACH_ENTRY(v) {
                float loss[16], grad[16];
                lossopt_status st = elementwise(v, smooth ? LOSSOPT_LOSS_SMOOTH_L1 : LOSSOPT_LOSS_HUBER,
                                                x, t, n, delta, loss, grad);
                if (!test_check(st == LOSSOPT_OK, "%s: status %d", v->name, st))
                    continue;
                for (size_t i = 0; i < n; i++) {
                    /* the header's linear branch: l = s + (((a - s) - h) + e_abs) */
                    float d = x[i] - t[i], a = fabsf(d), h = (float)((double)delta / 2.0);
                    float virtual_t = d - x[i], virtual_x = d - virtual_t;
                    float e = (x[i] - virtual_x) - (t[i] + virtual_t);
                    float e_abs = d < 0 ? -e : e, s = a - h;
                    float l = s + (((a - s) - h) + e_abs);
                    float want = smooth ? l : delta * l;
                    float want_grad = d > 0 ? (smooth ? 1.0f : delta) : (smooth ? -1.0f : -delta);
                    test_check(same_float(loss[i], want) && same_float(grad[i], want_grad),
                               "%s: %s at |x - t| == delta %g (x %a, t %a): loss %a grad %a, the "
                               "linear branch gives %a and %a", v->name,
                               smooth ? "smooth_l1" : "huber", (double)delta, (double)x[i],
                               (double)t[i], (double)loss[i], (double)grad[i], (double)want,
                               (double)want_grad);
                }
            }
        }
    }
}

/* One row of one class, class-index or soft target. */
static lossopt_status cross_entropy_one_class(const variant *v, const float *x,
                                              const int64_t *label, const float *target,
                                              const lossopt_ce_options *opt, float *loss,
                                              float *grad, bool soft)
{
    if (soft)
        return v->public_api
                   ? lossopt_cross_entropy_probs_f32(x, target, 1, 1, opt, loss, grad)
                   : lossopt_cross_entropy_probs_f32_with_table(v->table, x, target, 1, 1, opt,
                                                                loss, grad);
    return v->public_api ? lossopt_cross_entropy_f32(x, label, 1, 1, opt, loss, grad)
                         : lossopt_cross_entropy_f32_with_table(v->table, x, label, 1, 1, opt,
                                                                loss, grad);
}

static void check_signed_zeros(void)
{
    enum { N = 600 }; /* two full blocks and a partial one */
    static float p[N], y[N], loss[N];
    for (int i = 0; i < N; i++)
        p[i] = y[i] = 1.0f; /* bce: fma(0, -100, -(1 * 0)) = -0 each */
    FOR_EACH_ENTRY(v) {
        float sum, mean;
        lossopt_status a = lossopt_elementwise_loss_f32_with_table(
            v->table, LOSSOPT_LOSS_BCE, p, y, NULL, N, 0.0f, LOSSOPT_NONE, loss, NULL);
        lossopt_status b = lossopt_elementwise_loss_f32_with_table(
            v->table, LOSSOPT_LOSS_BCE, p, y, NULL, N, 0.0f, LOSSOPT_SUM, &sum, NULL);
        lossopt_status c = lossopt_elementwise_loss_f32_with_table(
            v->table, LOSSOPT_LOSS_BCE, p, y, NULL, N, 0.0f, LOSSOPT_MEAN, &mean, NULL);
        test_check(a == LOSSOPT_OK && b == LOSSOPT_OK && c == LOSSOPT_OK &&
                       same_float(loss[0], -0.0f) && same_float(sum, -0.0f) &&
                       same_float(mean, -0.0f),
                   "%s: bce at p = y = 1: losses %g, SUM %g, MEAN %g; the canonical sum of -0 "
                   "terms is -0 (lanes and total start at -0)", v->name, (double)loss[0],
                   (double)sum, (double)mean);
        /* a one-class row: loss +0 (the row max is taken as +0 for -0) */
        float x1 = -0.0f, t1 = 1.0f, row_loss = 1.0f, g1;
        int64_t label = 0;
        lossopt_ce_options smooth = {LOSSOPT_NONE, NULL, 0.1f};
        a = cross_entropy_one_class(v, &x1, &label, &t1, &smooth, &row_loss, &g1, false);
        test_check(a == LOSSOPT_OK && same_float(row_loss, 0.0f), "%s: one-class row: loss %g, "
                   "want +0", v->name, (double)row_loss);
        a = cross_entropy_one_class(v, &x1, &label, &t1, &smooth, &row_loss, &g1, true);
        test_check(a == LOSSOPT_OK && same_float(row_loss, 0.0f),
                   "%s: one-class row, soft target: loss %g, want +0", v->name, (double)row_loss);
    }
}

/* label_smoothing 1 leaves the NLL term out (coefficient 0): a -inf label
 * logit gives the smoothing term's +inf, not 0 * inf = NaN. */
static void check_full_smoothing(void)
{
    float x[2] = {0.0f, -INFINITY}, grad[2], loss;
    int64_t label = 1;
    lossopt_ce_options opt = {LOSSOPT_NONE, NULL, 1.0f};
    FOR_EACH_ENTRY(v) {
        lossopt_status st =
            v->public_api ? lossopt_cross_entropy_f32(x, &label, 1, 2, &opt, &loss, grad)
                          : lossopt_cross_entropy_f32_with_table(v->table, x, &label, 1, 2, &opt,
                                                                 &loss, grad);
        test_check(st == LOSSOPT_OK && loss == INFINITY,
                   "%s: label_smoothing 1, label logit -inf: loss %g, want +inf", v->name,
                   (double)loss);
    }
}

/* kl_div's edges (include/lossopt.h): where the target's probability is 0
 * the term is +0 for any non-NaN input (PyTorch: NaN at +-inf inputs and at
 * log_target -inf), NaN for a NaN input; a negative target gives a NaN loss
 * and the gradient -t c; a NaN target NaN in both. */
static void check_kl_div_edges(void)
{
    enum { K = 9 };
    static const float x[K] = {INFINITY, -INFINITY, NAN, -3.0f, 0.5f, -1.0f, -2.0f, 1.0f, -0.0f};
    static const float t[K] = {0.0f, 0.0f, 0.0f, -0.0f, -0.5f, NAN, 0.25f, 0.0f, 0.0f};
    static const float lt[K] = {-INFINITY, -INFINITY, -INFINITY, -200.0f, 1.0f, NAN, -1.5f,
                                 -INFINITY, -INFINITY};
    for (size_t e = 0; e < entry_count; e++) {
        const variant *v = &entries[e];
        float loss[K], grad[K];
        for (int log_target = 0; log_target < 2; log_target++) {
            const float *target = log_target ? lt : t;
            lossopt_status st =
                v->public_api
                    ? lossopt_kl_div_f32(x, target, 3, 3, log_target, LOSSOPT_NONE, loss, grad)
                    : lossopt_kl_div_f32_with_table(v->table, x, target, 3, 3, log_target,
                                                    LOSSOPT_NONE, loss, grad);
            if (!test_check(st == LOSSOPT_OK, "%s kl_div edges: status %d", v->name, st))
                continue;
            for (int i = 0; i < K; i++) {
                double p = log_target ? exp((double)target[i]) : (double)target[i];
                float want_grad = log_target ? (float)-exp((double)target[i]) : -target[i];
                if (isnan(target[i])) {
                    test_check(isnan(loss[i]) && isnan(grad[i]), "%s kl_div lt=%d [%d]: NaN target",
                               v->name, log_target, i);
                    continue;
                }
                if ((float)p == 0.0f) {
                    bool nan_x = isnan(x[i]);
                    test_check(nan_x ? isnan(loss[i]) : test_same_float(loss[i], 0.0f),
                               "%s kl_div lt=%d [%d]: zero-probability term %a (x %a)", v->name,
                               log_target, i, (double)loss[i], (double)x[i]);
                } else if (!log_target && target[i] < 0) {
                    test_check(isnan(loss[i]), "%s kl_div [%d]: negative target, loss %a",
                               v->name, i, (double)loss[i]);
                }
                test_check(test_same_float(grad[i], want_grad) || (float)p == 0.0f,
                           "%s kl_div lt=%d [%d]: grad %a, want %a", v->name, log_target, i,
                           (double)grad[i], (double)want_grad);
            }
        }
    }
}

/* multilabel_soft_margin's per-call scalars: c = (float)(1 / (C D)) in double
 * (D = rows for MEAN, 1 for SUM and NONE; one rounding, not (1/C)/D in
 * float), NONE's row losses handed to the kernel and nothing else, and the
 * reduced loss = the kernel's double total rounded once (SUM) or divided by
 * rows in double and rounded once (MEAN). */
static lossopt_multilabel_soft_margin_args seen_multilabel;
static double seen_multilabel_total;

static double spy_multilabel(const lossopt_multilabel_soft_margin_args *a)
{
    seen_multilabel = *a;
    seen_multilabel_total = test_oracle()->multilabel_soft_margin_f32(a);
    return seen_multilabel_total;
}

static void check_multilabel_scalars(void)
{
    lossopt_kernel_table spy = *test_oracle();
    spy.multilabel_soft_margin_f32 = spy_multilabel;
    static const size_t shapes[][2] = {{1, 1}, {3, 7}, {7, 3}, {5, 37}, {11, 13}, {6, 300}};
    enum { MAX_N = 6 * 300 };
    static float x[MAX_N], t[MAX_N], w[300], grad[MAX_N], loss[11];
    static const lossopt_reduction reductions[] = {LOSSOPT_MEAN, LOSSOPT_SUM, LOSSOPT_NONE};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t rows = shapes[s][0], classes = shapes[s][1];
        test_seed_case("multilabel scalars", s, 0, 0);
        for (size_t i = 0; i < rows * classes; i++) {
            x[i] = test_random_uniform(-6.0f, 6.0f);
            t[i] = test_random_uniform(0.0f, 1.0f);
        }
        for (size_t j = 0; j < classes; j++)
            w[j] = test_random_uniform(0.1f, 2.0f);
        for (int ri = 0; ri < 3; ri++) {
            lossopt_reduction r = reductions[ri];
            double divisor = r == LOSSOPT_MEAN ? (double)rows : 1.0;
            float want_c = (float)(1.0 / ((double)classes * divisor));
            lossopt_status st = lossopt_multilabel_soft_margin_f32_with_table(
                &spy, x, t, rows, classes, s % 2 ? w : NULL, r, loss, grad);
            bool none = r == LOSSOPT_NONE;
            test_check(st == LOSSOPT_OK && same_float(seen_multilabel.grad_scale, want_c) &&
                           seen_multilabel.rows == rows && seen_multilabel.classes == classes &&
                           seen_multilabel.grad == grad &&
                           seen_multilabel.loss == (none ? loss : NULL) &&
                           seen_multilabel.weight == (s % 2 ? w : NULL),
                       "multilabel %zux%zu r=%d: c %a, want (float)(1 / (C D)) = %a; loss %p",
                       rows, classes, (int)r, (double)seen_multilabel.grad_scale,
                       (double)want_c, (void *)seen_multilabel.loss);
            if (!none) {
                float want = r == LOSSOPT_SUM ? (float)seen_multilabel_total
                                              : (float)(seen_multilabel_total / (double)rows);
                test_check(same_float(loss[0], want),
                           "multilabel %zux%zu r=%d: loss %a, want the total rounded once %a",
                           rows, classes, (int)r, (double)loss[0], (double)want);
            }
        }
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
    check_elementwise_scalars();
    check_elementwise3_scalars();
    check_pairwise_edges();
    check_row_scalars();
    check_branch_point();
    check_signed_zeros();
    check_full_smoothing();
    check_kl_div_edges();
    check_multilabel_scalars();
    return test_finish();
}
