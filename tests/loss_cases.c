/* tests/loss_cases.c - the elementwise loss cases every loss test runs. */
#include "loss_cases.h"

#include <math.h>
#include <stdio.h>

#include "test_support.h"

static const char *const kind_names[LOSSOPT_LOSS_KIND_COUNT] = {
    "mse",        "l1",  "huber",      "smooth_l1",  "hinge",
    "squared_hinge", "bce", "bce_logits", "soft_margin", "poisson_nll",
    "kl_div", "kl_div log_target"};

size_t loss_cases_all(const loss_case **cases)
{
    /* Parameters that are not powers of two, so that a bitwise test sees any
     * change of operation order (d / beta and d * (1 / beta) agree when beta
     * is a power of two), plus the edges: smooth_l1's 0 (exactly L1), +inf
     * (huber: 0.5 d^2; smooth_l1: 0), pos_weight 0 and 1. */
    static const loss_case all[] = {
        {LOSSOPT_LOSS_MSE, 0, false, 0},
        {LOSSOPT_LOSS_L1, 0, false, 0},
        {LOSSOPT_LOSS_HUBER, 1.0f, false, 0},
        {LOSSOPT_LOSS_HUBER, 0.3f, false, 0},
        {LOSSOPT_LOSS_HUBER, 1.7f, false, 0},
        {LOSSOPT_LOSS_HUBER, INFINITY, false, 0},
        {LOSSOPT_LOSS_SMOOTH_L1, 0.0f, false, 0}, /* exactly L1 */
        {LOSSOPT_LOSS_SMOOTH_L1, 0.37f, false, 0},
        {LOSSOPT_LOSS_SMOOTH_L1, 2.3f, false, 0},
        {LOSSOPT_LOSS_SMOOTH_L1, INFINITY, false, 0},
        {LOSSOPT_LOSS_HINGE, 0, false, 0},
        {LOSSOPT_LOSS_SQUARED_HINGE, 0, false, 0},
        {LOSSOPT_LOSS_BCE, 0, false, 0},
        {LOSSOPT_LOSS_BCE, 0, true, 0},
        {LOSSOPT_LOSS_BCE_LOGITS, 1.0f, false, 0},
        {LOSSOPT_LOSS_BCE_LOGITS, 1.0f, true, 0},
        {LOSSOPT_LOSS_BCE_LOGITS, 2.7f, false, 0},
        {LOSSOPT_LOSS_BCE_LOGITS, 0.43f, true, 0},
        {LOSSOPT_LOSS_BCE_LOGITS, 0.0f, false, 0},
        {LOSSOPT_LOSS_BCE_LOGITS, INFINITY, true, 0},
        {LOSSOPT_LOSS_SOFT_MARGIN, 0, false, 0},
        /* poisson_nll: PyTorch's eps 1e-8, a large eps and 0, each flag */
        {LOSSOPT_LOSS_POISSON_NLL, 1e-8f, false, LOSSOPT_LOSS_LOG_INPUT},
        {LOSSOPT_LOSS_POISSON_NLL, 1e-8f, false, LOSSOPT_LOSS_LOG_INPUT | LOSSOPT_LOSS_FULL},
        {LOSSOPT_LOSS_POISSON_NLL, 1e-8f, false, 0},
        {LOSSOPT_LOSS_POISSON_NLL, 1e-8f, false, LOSSOPT_LOSS_FULL},
        {LOSSOPT_LOSS_POISSON_NLL, 0.37f, false, LOSSOPT_LOSS_FULL},
        {LOSSOPT_LOSS_POISSON_NLL, 0.0f, false, 0},
        /* at the end: the cases above keep their indices, so their seeds */
        {LOSSOPT_LOSS_KL_DIV, 0, false, 0},
        {LOSSOPT_LOSS_KL_DIV_LOG_TARGET, 0, false, 0},
    };
    *cases = all;
    return sizeof all / sizeof all[0];
}

const char *loss_case_describe(const loss_case *c)
{
    static char text[96];
    const char *name = c->kind < LOSSOPT_LOSS_KIND_COUNT ? kind_names[c->kind] : "?";
    switch (c->kind) {
    case LOSSOPT_LOSS_HUBER:
        snprintf(text, sizeof text, "%s delta=%g", name, c->parameter);
        break;
    case LOSSOPT_LOSS_SMOOTH_L1:
        snprintf(text, sizeof text, "%s beta=%g", name, c->parameter);
        break;
    case LOSSOPT_LOSS_BCE_LOGITS:
        snprintf(text, sizeof text, "%s pos_weight=%g%s", name, c->parameter,
                 c->weighted ? " weighted" : "");
        break;
    case LOSSOPT_LOSS_POISSON_NLL:
        snprintf(text, sizeof text, "%s eps=%g%s%s", name, c->parameter,
                 c->flags & LOSSOPT_LOSS_LOG_INPUT ? " log_input" : "",
                 c->flags & LOSSOPT_LOSS_FULL ? " full" : "");
        break;
    default:
        snprintf(text, sizeof text, "%s%s", name, c->weighted ? " weighted" : "");
    }
    return text;
}

/* A probability: mostly uniform, sometimes exactly 0 or 1, denormal or 1 - ulp. */
static float random_probability(bool special)
{
    static const float edges[] = {0.0f, 1.0f, 1e-45f, 1e-38f, 0.99999994f, 5e-8f, 0.5f, -0.0f};
    if (special && test_random_u32() % 3 == 0)
        return edges[test_random_u32() % (sizeof edges / sizeof edges[0])];
    return test_random_uniform(0.0f, 1.0f);
}

/* x, t with x - t rounding to exactly delta, with a rounding error: the
 * branch point of huber and smooth_l1, where the two branches' float
 * formulas differ in the last bits. False when none is found. */
static bool branch_point_pair(float delta, float *x, float *t)
{
    for (int j = 1; j < 4096; j++) {
        float tiny = ldexpf(1.0f + (float)j / 1024.0f, -27);
        float big = (float)((double)delta + (double)tiny);
        if (big - tiny == delta && (double)big - (double)tiny != (double)delta) {
            *x = big;
            *t = tiny;
            return true;
        }
    }
    return false;
}

void loss_case_fill(const loss_case *c, float *input, float *target, float *weight, size_t n,
                    bool special)
{
    float edge_x = 0.0f, edge_t = 0.0f;
    bool branch_point = special &&
                        (c->kind == LOSSOPT_LOSS_HUBER || c->kind == LOSSOPT_LOSS_SMOOTH_L1) &&
                        c->parameter > 0.0f && isfinite(c->parameter) &&
                        branch_point_pair(c->parameter, &edge_x, &edge_t);
    static const float labels[] = {0.0f, 1.0f, -1.0f, 1.0f, 0.5f, -2.0f, -0.0f, NAN};
    for (size_t i = 0; i < n; i++) {
        if (c->kind == LOSSOPT_LOSS_BCE) {
            input[i] = random_probability(special);
            target[i] = test_random_u32() % 2 ? (float)(test_random_u32() % 2) : random_probability(special);
        } else if (c->kind == LOSSOPT_LOSS_HINGE || c->kind == LOSSOPT_LOSS_SQUARED_HINGE) {
            input[i] = special ? test_random_special() : test_random_uniform(-3.0f, 3.0f);
            target[i] = labels[test_random_u32() % (special ? 8 : 4)];
        } else if (c->kind == LOSSOPT_LOSS_KL_DIV) {
            /* log-probabilities against probabilities, some exactly 0 */
            input[i] = special && test_random_u32() % 2 ? test_random_special()
                                                        : test_random_uniform(-12.0f, 0.5f);
            target[i] = special && test_random_u32() % 3 == 0 ? test_random_special()
                        : test_random_u32() % 8 == 0          ? 0.0f
                                                              : random_probability(special);
        } else if (c->kind == LOSSOPT_LOSS_KL_DIV_LOG_TARGET) {
            static const float log_edges[] = {-INFINITY, -103.0f, -104.0f, -110.0f, 0.0f, -0.0f,
                                              88.7f, -1e-30f};
            input[i] = special && test_random_u32() % 2 ? test_random_special()
                                                        : test_random_uniform(-12.0f, 0.5f);
            target[i] = special && test_random_u32() % 3 == 0 ? test_random_special()
                        : special && test_random_u32() % 3 == 0
                            ? log_edges[test_random_u32() % (sizeof log_edges / sizeof log_edges[0])]
                            : test_random_uniform(-20.0f, 0.5f);
        } else if (c->kind == LOSSOPT_LOSS_BCE_LOGITS) {
            input[i] = special ? test_random_special() : test_random_uniform(-12.0f, 12.0f);
            target[i] = special && test_random_u32() % 4 == 0 ? test_random_special()
                                                              : random_probability(false);
        } else if (c->kind == LOSSOPT_LOSS_SOFT_MARGIN) {
            /* +-1 targets mostly (y x exact), sometimes any target (y x
             * rounded: the corrected exp); logits past +-88, where PyTorch's
             * literal form overflows */
            input[i] = special ? test_random_special() : test_random_uniform(-12.0f, 12.0f);
            if (!special && test_random_u32() % 16 == 0)
                input[i] = test_random_uniform(-100.0f, 100.0f);
            unsigned pick = test_random_u32() % 8;
            target[i] = pick < 5 ? (pick % 2 ? 1.0f : -1.0f)
                        : special && pick == 7 ? test_random_special()
                                               : test_random_uniform(-3.0f, 3.0f);
        } else if (c->kind == LOSSOPT_LOSS_POISSON_NLL) {
            bool log_input = c->flags & LOSSOPT_LOSS_LOG_INPUT;
            if (special)
                input[i] = test_random_special();
            else if (log_input)
                input[i] = test_random_uniform(-6.0f, 6.0f);
            else /* rates: some near 0, where eps matters */
                input[i] = test_random_u32() % 8 == 0 ? test_random_uniform(0.0f, 1e-6f)
                                                      : test_random_uniform(0.0f, 12.0f);
            /* counts (0, 1: below the Stirling mask; 2..40) or any rate */
            unsigned pick = test_random_u32() % 4;
            target[i] = special && pick == 0 ? test_random_special()
                        : pick < 2          ? (float)(test_random_u32() % 41)
                                            : test_random_uniform(0.0f, 20.0f);
        } else {
            input[i] = special ? test_random_special() : test_random_uniform(-3.0f, 3.0f);
            target[i] = special ? test_random_special() : test_random_uniform(-3.0f, 3.0f);
            if (branch_point && test_random_u32() % 8 == 0) { /* |x - t| rounds to delta */
                bool negative = test_random_u32() % 2;
                input[i] = negative ? -edge_x : edge_x;
                target[i] = negative ? -edge_t : edge_t;
            }
        }
        if (weight)
            weight[i] = special && test_random_u32() % 4 == 0 ? test_random_special()
                                                              : test_random_uniform(0.0f, 2.0f);
    }
}

lossopt_status loss_case_run(const loss_case *c, bool public_api,
                             const lossopt_kernel_table *table, const float *input,
                             const float *target, const float *weight, size_t n,
                             lossopt_reduction r, float *loss, float *grad)
{
    const float *w = c->weighted ? weight : NULL;
    if (loss_case_is_kl(c)) {
        size_t rows = loss_case_kl_rows(n);
        size_t cols = rows ? n / rows : 0;
        bool log_target = c->kind == LOSSOPT_LOSS_KL_DIV_LOG_TARGET;
        if (!public_api)
            return lossopt_kl_div_f32_with_table(table, input, target, rows, cols, log_target, r,
                                                 loss, grad);
        return lossopt_kl_div_f32(input, target, rows, cols, log_target, r, loss, grad);
    }
    if (!public_api)
        return lossopt_elementwise_loss_ex_f32_with_table(table, c->kind, input, target, w, n,
                                                          c->parameter, c->flags, r, loss, grad);
    switch (c->kind) {
    case LOSSOPT_LOSS_MSE: return lossopt_mse_f32(input, target, n, r, loss, grad);
    case LOSSOPT_LOSS_L1: return lossopt_l1_f32(input, target, n, r, loss, grad);
    case LOSSOPT_LOSS_HUBER: return lossopt_huber_f32(input, target, n, c->parameter, r, loss, grad);
    case LOSSOPT_LOSS_SMOOTH_L1:
        return lossopt_smooth_l1_f32(input, target, n, c->parameter, r, loss, grad);
    case LOSSOPT_LOSS_HINGE: return lossopt_hinge_f32(input, target, n, r, loss, grad);
    case LOSSOPT_LOSS_SQUARED_HINGE:
        return lossopt_squared_hinge_f32(input, target, n, r, loss, grad);
    case LOSSOPT_LOSS_BCE: return lossopt_bce_f32(input, target, n, w, r, loss, grad);
    case LOSSOPT_LOSS_BCE_LOGITS:
        return lossopt_bce_logits_f32(input, target, n, w, c->parameter, r, loss, grad);
    case LOSSOPT_LOSS_SOFT_MARGIN: return lossopt_soft_margin_f32(input, target, n, r, loss, grad);
    case LOSSOPT_LOSS_POISSON_NLL:
        return lossopt_poisson_nll_f32(input, target, n, (c->flags & LOSSOPT_LOSS_LOG_INPUT) != 0,
                                       (c->flags & LOSSOPT_LOSS_FULL) != 0, c->parameter, r, loss,
                                       grad);
    case LOSSOPT_LOSS_KL_DIV:
    case LOSSOPT_LOSS_KL_DIV_LOG_TARGET:
    case LOSSOPT_LOSS_KIND_COUNT: break;
    }
    return LOSSOPT_ERR_ARG;
}

bool loss_case_is_kl(const loss_case *c)
{
    return c->kind == LOSSOPT_LOSS_KL_DIV || c->kind == LOSSOPT_LOSS_KL_DIV_LOG_TARGET;
}

size_t loss_case_kl_rows(size_t n)
{
    size_t cols = n % 5 == 0 ? 5 : n % 3 == 0 ? 3 : 1;
    return n / cols;
}

/* ---- three inputs, two gradients ------------------------------------------- */

size_t loss3_cases_all(const loss3_case **cases)
{
    /* PyTorch's defaults (margin 0, eps 1e-6), parameters that are not
     * powers of two, a negative margin, and the edges (+-inf margin, eps 0
     * and +inf, and an eps above many of the vars, so the clamp is taken) */
    static const loss3_case all[] = {
        {LOSSOPT_LOSS3_MARGIN_RANKING, 0.0f, false},
        {LOSSOPT_LOSS3_MARGIN_RANKING, 0.3f, false},
        {LOSSOPT_LOSS3_MARGIN_RANKING, 1.7f, false},
        {LOSSOPT_LOSS3_MARGIN_RANKING, -0.45f, false},
        {LOSSOPT_LOSS3_MARGIN_RANKING, INFINITY, false},
        {LOSSOPT_LOSS3_MARGIN_RANKING, -INFINITY, false},
        {LOSSOPT_LOSS3_GAUSSIAN_NLL, 1e-6f, false},
        {LOSSOPT_LOSS3_GAUSSIAN_NLL, 1e-6f, true},
        {LOSSOPT_LOSS3_GAUSSIAN_NLL, 0.37f, false},
        {LOSSOPT_LOSS3_GAUSSIAN_NLL, 0.37f, true},
        {LOSSOPT_LOSS3_GAUSSIAN_NLL, 0.0f, false},
        {LOSSOPT_LOSS3_GAUSSIAN_NLL, INFINITY, true},
    };
    *cases = all;
    return sizeof all / sizeof all[0];
}

const char *loss3_case_describe(const loss3_case *c)
{
    static char text[96];
    if (c->kind == LOSSOPT_LOSS3_MARGIN_RANKING)
        snprintf(text, sizeof text, "margin_ranking margin=%g", c->parameter);
    else
        snprintf(text, sizeof text, "gaussian_nll eps=%g%s", c->parameter, c->full ? " full" : "");
    return text;
}

void loss3_case_fill(const loss3_case *c, float *a, float *b, float *c3, size_t n, bool special)
{
    static const float labels[] = {1.0f, -1.0f, 1.0f, -1.0f, 0.0f, 0.5f, -2.0f, -0.0f,
                                   NAN, INFINITY, 0.3f, -1.7f};
    for (size_t i = 0; i < n; i++) {
        a[i] = special ? test_random_special() : test_random_uniform(-3.0f, 3.0f);
        b[i] = special ? test_random_special() : test_random_uniform(-3.0f, 3.0f);
        if (c->kind == LOSSOPT_LOSS3_MARGIN_RANKING) {
            float y = labels[test_random_u32() % (special ? 12 : 4)];
            c3[i] = y;
            unsigned pick = test_random_u32() % 8;
            if (!special && pick == 0 && isfinite(c->parameter)) {
                /* -y (x1 - x2) + margin cancels: x1 = x2 + y margin, rounded,
                 * a few ulps off (margin 0: m == 0 exactly at equal inputs) */
                a[i] = (float)((double)b[i] + (double)y * c->parameter);
                for (unsigned k = test_random_u32() % 4; k > 0; k--)
                    a[i] = nextafterf(a[i], test_random_u32() % 2 ? INFINITY : -INFINITY);
            } else if (pick == 1) {
                c3[i] = test_random_uniform(-2.0f, 2.0f); /* any y, as PyTorch allows */
            }
        } else {
            unsigned pick = test_random_u32() % 8;
            if (special)
                c3[i] = fabsf(test_random_special()); /* >= 0 or NaN */
            else if (pick == 0)
                /* var near (x - t)^2: grad_var's two terms cancel */
                c3[i] = (float)(((double)a[i] - b[i]) * ((double)a[i] - b[i]));
            else if (pick == 1) {
                static const float small[] = {0.0f, -0.0f, 1e-8f, 1e-6f, 1.0000001e-6f, 3e-7f,
                                              1e-45f, 0.36f};
                c3[i] = small[test_random_u32() % 8]; /* at or below eps */
            } else if (pick == 2)
                c3[i] = test_random_uniform(0.0f, 1000.0f);
            else
                c3[i] = test_random_uniform(0.0f, 2.0f);
        }
    }
}

lossopt_status loss3_case_run(const loss3_case *c, bool public_api,
                              const lossopt_kernel_table *table, const float *a, const float *b,
                              const float *c3, size_t n, lossopt_reduction r, float *loss,
                              float *grad_a, float *grad_b)
{
    if (!public_api)
        return lossopt_loss3_f32_with_table(table, c->kind, a, b, c3, n, c->parameter, c->full, r,
                                            loss, grad_a, grad_b);
    if (c->kind != LOSSOPT_LOSS3_MARGIN_RANKING && c->kind != LOSSOPT_LOSS3_GAUSSIAN_NLL)
        return LOSSOPT_ERR_ARG;
    if (c->kind == LOSSOPT_LOSS3_MARGIN_RANKING)
        return lossopt_margin_ranking_f32(a, b, c3, n, c->parameter, r, loss, grad_a, grad_b);
    return lossopt_gaussian_nll_f32(a, b, c3, n, c->full, c->parameter, r, loss, grad_a, grad_b);
}
