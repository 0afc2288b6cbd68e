/* tests/test_loss_errors.c - the error contract of the elementwise losses:
 * each invalid argument or data value returns its documented status (first
 * failing check in the order ISA, NULL, SIZE, ARG, DOMAIN) and leaves the loss
 * and gradient buffers byte-for-byte unchanged; n == 0 gives SUM +0, MEAN NaN
 * and NONE nothing. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "loss_cases.h"
#include "test_support.h"

#define N 45
#define PATTERN 0x5a

static float input[N], target[N], weight[N], loss[N], grad[N], grad2[N];

static void reset_outputs(void)
{
    memset(loss, PATTERN, sizeof loss);
    memset(grad, PATTERN, sizeof grad);
    memset(grad2, PATTERN, sizeof grad2);
}

static bool outputs_untouched(void)
{
    for (size_t i = 0; i < sizeof loss; i++)
        if (((unsigned char *)loss)[i] != PATTERN || ((unsigned char *)grad)[i] != PATTERN ||
            ((unsigned char *)grad2)[i] != PATTERN)
            return false;
    return true;
}

/* Runs c through the public API and every supported ISA, expecting want. */
static void expect(const loss_case *c, const float *in, const float *tg, size_t n,
                   lossopt_reduction r, float *lo, float *gr, lossopt_status want, const char *why)
{
    unsigned isas = lossopt_supported_isas();
    for (int isa = -1; isa <= LOSSOPT_ISA_NEON; isa++) {
        if (isa >= 0 && !((isas >> isa) & 1))
            continue;
        reset_outputs();
        lossopt_status got = loss_case_run(c, isa < 0, isa < 0 ? NULL : lossopt_kernel_table_for((lossopt_isa)isa),
                                           in, tg, weight, n, r, lo, gr);
        const char *via = isa < 0 ? "public" : lossopt_isa_name((lossopt_isa)isa);
        test_check(got == want, "%s (%s) via %s: status %d (%s), want %d", why,
                   loss_case_describe(c), via, got, lossopt_status_string(got), want);
        if (want != LOSSOPT_OK)
            test_check(outputs_untouched(), "%s (%s) via %s: a failed call wrote", why,
                       loss_case_describe(c), via);
    }
}

static void fill_valid(const loss_case *c)
{
    test_seed_case(loss_case_describe(c), 0, 0, 0);
    loss_case_fill(c, input, target, weight, N, false);
}

static void test_null_size_reduction(const loss_case *c)
{
    fill_valid(c);
    expect(c, NULL, target, N, LOSSOPT_MEAN, loss, grad, LOSSOPT_ERR_NULL, "NULL input");
    expect(c, input, NULL, N, LOSSOPT_SUM, loss, grad, LOSSOPT_ERR_NULL, "NULL target");
    expect(c, input, target, N, LOSSOPT_NONE, NULL, NULL, LOSSOPT_ERR_NULL, "no output");
    expect(c, input, target, 0, LOSSOPT_MEAN, NULL, NULL, LOSSOPT_ERR_NULL, "no output, n 0");
    expect(c, NULL, target, N, (lossopt_reduction)7, loss, grad, LOSSOPT_ERR_NULL,
           "NULL before a bad reduction");
    expect(c, input, target, SIZE_MAX / 2, LOSSOPT_MEAN, loss, grad, LOSSOPT_ERR_SIZE,
           "n = SIZE_MAX / 2");
    expect(c, input, target, SIZE_MAX, (lossopt_reduction)3, loss, grad, LOSSOPT_ERR_SIZE,
           "SIZE before a bad reduction");
    /* BATCHMEAN (3) is kl_div's alone */
    expect(c, input, target, N, (lossopt_reduction)3, loss, grad,
           loss_case_is_kl(c) ? LOSSOPT_OK : LOSSOPT_ERR_ARG, "reduction 3 (BATCHMEAN)");
    expect(c, input, target, N, (lossopt_reduction)4, loss, grad, LOSSOPT_ERR_ARG, "reduction 4");
    expect(c, input, target, N, (lossopt_reduction)-1, loss, grad, LOSSOPT_ERR_ARG,
           "reduction -1");

    /* n == 0: NULL data is fine; SUM +0, MEAN NaN, NONE writes nothing */
    unsigned isas = lossopt_supported_isas();
    for (int isa = 0; isa <= LOSSOPT_ISA_NEON; isa++) {
        if (!((isas >> isa) & 1))
            continue;
        const lossopt_kernel_table *t = lossopt_kernel_table_for((lossopt_isa)isa);
        float out = -1.0f;
        test_check(loss_case_run(c, false, t, NULL, NULL, NULL, 0, LOSSOPT_SUM, &out, NULL) ==
                           LOSSOPT_OK && test_same_float(out, 0.0f) && !signbit(out),
                   "%s: n 0 SUM gave %a", loss_case_describe(c), out);
        out = -1.0f;
        test_check(loss_case_run(c, false, t, NULL, NULL, NULL, 0, LOSSOPT_MEAN, &out, NULL) ==
                           LOSSOPT_OK && isnan(out),
                   "%s: n 0 MEAN gave %a", loss_case_describe(c), out);
        reset_outputs();
        test_check(loss_case_run(c, false, t, NULL, NULL, NULL, 0, LOSSOPT_NONE, loss, grad) ==
                           LOSSOPT_OK && outputs_untouched(),
                   "%s: n 0 NONE wrote", loss_case_describe(c));
    }
}

static void test_bad_parameters(void)
{
    static const float bad_delta[] = {0.0f, -0.0f, -1.0f, NAN, -INFINITY};
    static const float bad_nonnegative[] = {-1e-30f, -1.0f, NAN, -NAN, -INFINITY};
    for (int i = 0; i < 5; i++) {
        loss_case c = {LOSSOPT_LOSS_HUBER, bad_delta[i], false, 0};
        fill_valid(&c);
        expect(&c, input, target, N, LOSSOPT_MEAN, loss, grad, LOSSOPT_ERR_ARG, "huber delta");
    }
    /* +inf is valid, as in PyTorch (huber with delta = inf is 0.5 d^2) */
    static const loss_case infinite[] = {{LOSSOPT_LOSS_HUBER, INFINITY, false, 0},
                                         {LOSSOPT_LOSS_SMOOTH_L1, INFINITY, false, 0},
                                         {LOSSOPT_LOSS_BCE_LOGITS, INFINITY, true, 0}};
    for (int i = 0; i < 3; i++) {
        fill_valid(&infinite[i]);
        expect(&infinite[i], input, target, N, LOSSOPT_MEAN, loss, grad, LOSSOPT_OK,
               "infinite parameter");
    }
    for (int i = 0; i < 5; i++) {
        loss_case s = {LOSSOPT_LOSS_SMOOTH_L1, bad_nonnegative[i], false, 0};
        fill_valid(&s);
        expect(&s, input, target, N, LOSSOPT_SUM, loss, grad, LOSSOPT_ERR_ARG, "smooth_l1 beta");
        loss_case b = {LOSSOPT_LOSS_BCE_LOGITS, bad_nonnegative[i], true, 0};
        fill_valid(&b);
        expect(&b, input, target, N, LOSSOPT_NONE, loss, grad, LOSSOPT_ERR_ARG,
               "bce_logits pos_weight");
    }
    /* poisson_nll's eps: finite and >= 0, whatever log_input and full are
     * (docs/decisions.md); 0 is valid */
    static const float bad_eps[] = {-1e-30f, -1.0f, NAN, -NAN, -INFINITY, INFINITY};
    for (unsigned flags = 0; flags < 4; flags++) {
        for (int i = 0; i < 6; i++) {
            loss_case p = {LOSSOPT_LOSS_POISSON_NLL, bad_eps[i], false, flags};
            fill_valid(&p);
            expect(&p, input, target, N, (lossopt_reduction)(i % 3), loss, grad, LOSSOPT_ERR_ARG,
                   "poisson_nll eps");
            expect(&p, NULL, target, N, LOSSOPT_MEAN, loss, grad, LOSSOPT_ERR_NULL,
                   "poisson_nll: NULL before a bad eps");
            expect(&p, input, target, SIZE_MAX, LOSSOPT_MEAN, loss, grad, LOSSOPT_ERR_SIZE,
                   "poisson_nll: SIZE before a bad eps");
        }
        loss_case zero = {LOSSOPT_LOSS_POISSON_NLL, 0.0f, false, flags};
        fill_valid(&zero);
        expect(&zero, input, target, N, LOSSOPT_SUM, loss, grad, LOSSOPT_OK, "poisson_nll eps 0");
        /* targets are data: negative, zero, NaN and infinite targets (log of
         * them in the Stirling term) and any input never fail the call */
        zero.parameter = 1e-8f;
        fill_valid(&zero);
        target[0] = -3.0f; target[1] = 0.0f; target[2] = NAN; target[3] = INFINITY;
        target[4] = -INFINITY; input[5] = -1.0f; input[6] = NAN; input[7] = -INFINITY;
        for (int ri = 0; ri < 3; ri++)
            expect(&zero, input, target, N, (lossopt_reduction)ri, loss, grad, LOSSOPT_OK,
                   "poisson_nll: any data");
    }
    /* soft_margin's targets are used as given */
    loss_case soft = {LOSSOPT_LOSS_SOFT_MARGIN, 0, false, 0};
    fill_valid(&soft);
    target[0] = 0.0f; target[1] = NAN; target[2] = 7.5f; input[3] = INFINITY;
    expect(&soft, input, target, N, LOSSOPT_MEAN, loss, grad, LOSSOPT_OK, "soft_margin: any data");
    loss_case kind = {LOSSOPT_LOSS_KIND_COUNT, 0, false, 0};
    expect(&kind, input, target, N, LOSSOPT_MEAN, loss, grad, LOSSOPT_ERR_ARG, "no such loss");
}

/* BCE: a probability or target outside [0, 1] anywhere (first, middle, last,
 * in a vector tail) is LOSSOPT_ERR_DOMAIN, found before anything is written. */
static void test_bce_domain(void)
{
    static const float bad[] = {-1e-45f, -0.5f, 1.0000001f, 2.0f, NAN, -NAN, INFINITY, -INFINITY};
    static const size_t positions[] = {0, 1, 15, 16, 22, N - 2, N - 1};
    loss_case cases[] = {{LOSSOPT_LOSS_BCE, 0, false, 0}, {LOSSOPT_LOSS_BCE, 0, true, 0}};
    for (int k = 0; k < 2; k++) {
        for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
            for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
                for (int which = 0; which < 2; which++) {
                    fill_valid(&cases[k]);
                    (which ? target : input)[positions[p]] = bad[b];
                    char why[96];
                    snprintf(why, sizeof why, "%s[%zu] = %g", which ? "target" : "prob",
                             positions[p], (double)bad[b]);
                    for (int ri = 0; ri < 3; ri++)
                        expect(&cases[k], input, target, N, (lossopt_reduction)ri, loss, grad,
                               LOSSOPT_ERR_DOMAIN, why);
                    /* ARG comes before DOMAIN */
                    expect(&cases[k], input, target, N, (lossopt_reduction)5, loss, grad,
                           LOSSOPT_ERR_ARG, "bad reduction and bad data");
                }
            }
        }
        /* exactly 0 and 1 are in the domain */
        fill_valid(&cases[k]);
        input[3] = 0.0f; input[4] = 1.0f; target[5] = 0.0f; target[6] = 1.0f; input[7] = -0.0f;
        expect(&cases[k], input, target, N, LOSSOPT_MEAN, loss, grad, LOSSOPT_OK, "0 and 1");
    }
}

/* kl_div's rows x cols: the product's overflow is SIZE (after ISA and NULL);
 * an empty product gives SUM +0, MEAN NaN, BATCHMEAN NaN for no rows and +0
 * for rows of no columns (PyTorch's sum / input.size(0)), and writes nothing. */
static void test_kl_div_shapes(void)
{
    unsigned isas = lossopt_supported_isas();
    for (int isa = -1; isa <= LOSSOPT_ISA_NEON; isa++) {
        if (isa >= 0 && !((isas >> isa) & 1))
            continue;
        const lossopt_kernel_table *t = isa < 0 ? lossopt_active_table()
                                                : lossopt_kernel_table_for((lossopt_isa)isa);
        const char *via = isa < 0 ? "public" : lossopt_isa_name((lossopt_isa)isa);
        for (int lt = 0; lt < 2; lt++) {
            size_t big = (size_t)1 << (sizeof(size_t) * 4); /* big * big overflows */
            reset_outputs();
            test_check(lossopt_kl_div_f32_with_table(t, input, target, big, big, lt, LOSSOPT_SUM,
                                                     loss, grad) == LOSSOPT_ERR_SIZE &&
                           outputs_untouched(),
                       "kl_div %s rows * cols overflowing: want SIZE", via);
            test_check(lossopt_kl_div_f32_with_table(t, input, target, SIZE_MAX / 3, 5, lt,
                                                     (lossopt_reduction)9, loss, grad) ==
                           LOSSOPT_ERR_SIZE,
                       "kl_div %s SIZE before ARG", via);
            test_check(lossopt_kl_div_f32_with_table(t, NULL, target, big, big, lt, LOSSOPT_SUM,
                                                     loss, grad) == LOSSOPT_ERR_NULL &&
                           lossopt_kl_div_f32_with_table(t, input, target, big, big, lt,
                                                         LOSSOPT_SUM, NULL, NULL) ==
                               LOSSOPT_ERR_NULL,
                       "kl_div %s NULL before SIZE", via);
            test_check(lossopt_kl_div_f32_with_table(NULL, NULL, target, big, big, lt,
                                                     LOSSOPT_SUM, loss, grad) == LOSSOPT_ERR_ISA,
                       "kl_div ISA first");
            float out = -1.0f;
            test_check(lossopt_kl_div_f32_with_table(t, NULL, NULL, 0, 7, lt, LOSSOPT_BATCHMEAN,
                                                     &out, NULL) == LOSSOPT_OK && isnan(out),
                       "kl_div %s 0 rows BATCHMEAN gave %a, want NaN", via, out);
            out = -1.0f;
            test_check(lossopt_kl_div_f32_with_table(t, NULL, NULL, 3, 0, lt, LOSSOPT_BATCHMEAN,
                                                     &out, NULL) == LOSSOPT_OK &&
                           test_same_float(out, 0.0f) && !signbit(out),
                       "kl_div %s 3 x 0 BATCHMEAN gave %a, want +0", via, out);
            out = -1.0f;
            test_check(lossopt_kl_div_f32_with_table(t, NULL, NULL, 3, 0, lt, LOSSOPT_MEAN, &out,
                                                     NULL) == LOSSOPT_OK && isnan(out),
                       "kl_div %s 3 x 0 MEAN gave %a, want NaN", via, out);
            reset_outputs();
            test_check(lossopt_kl_div_f32_with_table(t, NULL, NULL, 3, 0, lt, LOSSOPT_NONE, loss,
                                                     grad) == LOSSOPT_OK && outputs_untouched(),
                       "kl_div %s 3 x 0 NONE wrote", via);
        }
    }
}

/* BATCHMEAN is kl_div's alone: the row-wise losses refuse it (ARG) too, and
 * write nothing. */
static void test_batchmean_elsewhere(void)
{
    static int64_t labels[5] = {0, 2, -100, 8, 1};
    unsigned isas = lossopt_supported_isas();
    for (int isa = -1; isa <= LOSSOPT_ISA_NEON; isa++) {
        if (isa >= 0 && !((isas >> isa) & 1))
            continue;
        const lossopt_kernel_table *t = isa < 0 ? lossopt_active_table()
                                                : lossopt_kernel_table_for((lossopt_isa)isa);
        const char *via = isa < 0 ? "public" : lossopt_isa_name((lossopt_isa)isa);
        lossopt_ce_options opt = {LOSSOPT_BATCHMEAN, NULL, 0.0f};
        fill_valid(&(loss_case){LOSSOPT_LOSS_MSE, 0, false, 0});
        reset_outputs();
        lossopt_status s[5] = {
            lossopt_cross_entropy_f32_with_table(t, input, labels, 5, 9, &opt, loss, grad),
            lossopt_cross_entropy_probs_f32_with_table(t, input, target, 5, 9, &opt, loss, grad),
            lossopt_multi_margin_f32_with_table(t, input, labels, 5, 9, 1, 1.0f, NULL,
                                                LOSSOPT_BATCHMEAN, loss, grad),
            lossopt_nll_f32_with_table(t, input, labels, 5, 9, &opt, loss, grad),
            lossopt_multilabel_soft_margin_f32_with_table(t, input, target, 5, 9, weight,
                                                          LOSSOPT_BATCHMEAN, loss, grad)};
        static const char *const names[5] = {"cross_entropy", "cross_entropy_probs",
                                             "multi_margin", "nll", "multilabel_soft_margin"};
        for (int k = 0; k < 5; k++)
            test_check(s[k] == LOSSOPT_ERR_ARG, "%s via %s with BATCHMEAN: status %d, want ARG",
                       names[k], via, s[k]);
        test_check(outputs_untouched(), "BATCHMEAN elsewhere via %s: a failed call wrote", via);
    }
    /* and through the public functions */
    lossopt_ce_options opt = {LOSSOPT_BATCHMEAN, NULL, 0.0f};
    reset_outputs();
    test_check(lossopt_cross_entropy_f32(input, labels, 5, 9, &opt, loss, grad) ==
                       LOSSOPT_ERR_ARG &&
                   lossopt_nll_f32(input, labels, 5, 9, &opt, loss, grad) == LOSSOPT_ERR_ARG &&
                   lossopt_multi_margin_f32(input, labels, 5, 9, 2, 1.0f, NULL,
                                            LOSSOPT_BATCHMEAN, loss, grad) == LOSSOPT_ERR_ARG &&
                   lossopt_mse_f32(input, target, N, LOSSOPT_BATCHMEAN, loss, grad) ==
                       LOSSOPT_ERR_ARG &&
                   lossopt_multilabel_soft_margin_f32(input, target, 5, 9, NULL,
                                                      LOSSOPT_BATCHMEAN, loss, grad) ==
                       LOSSOPT_ERR_ARG &&
                   outputs_untouched(),
               "public calls with BATCHMEAN: want ARG, nothing written");
}

/* ---- three inputs, two gradients (weight[] holds the third input) ------- */

static void expect3(const loss3_case *c, const float *a, const float *b, const float *c3,
                    size_t n, lossopt_reduction r, float *lo, float *ga, float *gb,
                    lossopt_status want, const char *why)
{
    unsigned isas = lossopt_supported_isas();
    for (int isa = -1; isa <= LOSSOPT_ISA_NEON; isa++) {
        if (isa >= 0 && !((isas >> isa) & 1))
            continue;
        reset_outputs();
        lossopt_status got = loss3_case_run(
            c, isa < 0, isa < 0 ? NULL : lossopt_kernel_table_for((lossopt_isa)isa), a, b, c3, n,
            r, lo, ga, gb);
        const char *via = isa < 0 ? "public" : lossopt_isa_name((lossopt_isa)isa);
        test_check(got == want, "%s (%s) via %s: status %d (%s), want %d", why,
                   loss3_case_describe(c), via, got, lossopt_status_string(got), want);
        if (want != LOSSOPT_OK)
            test_check(outputs_untouched(), "%s (%s) via %s: a failed call wrote", why,
                       loss3_case_describe(c), via);
    }
}

static void fill_valid3(const loss3_case *c)
{
    test_seed_case(loss3_case_describe(c), 0, 0, 0);
    loss3_case_fill(c, input, target, weight, N, false);
}

static void test_loss3(const loss3_case *c)
{
    fill_valid3(c);
    float *const x = input, *const t = target, *const w = weight;
    expect3(c, NULL, t, w, N, LOSSOPT_MEAN, loss, grad, grad2, LOSSOPT_ERR_NULL, "NULL first input");
    expect3(c, x, NULL, w, N, LOSSOPT_SUM, loss, grad, grad2, LOSSOPT_ERR_NULL, "NULL second input");
    expect3(c, x, t, NULL, N, LOSSOPT_NONE, loss, grad, grad2, LOSSOPT_ERR_NULL, "NULL third input");
    expect3(c, x, t, w, N, LOSSOPT_NONE, NULL, NULL, NULL, LOSSOPT_ERR_NULL, "no output");
    expect3(c, x, t, w, 0, LOSSOPT_MEAN, NULL, NULL, NULL, LOSSOPT_ERR_NULL, "no output, n 0");
    expect3(c, x, t, NULL, N, (lossopt_reduction)7, loss, grad, grad2, LOSSOPT_ERR_NULL,
            "NULL before a bad reduction");
    expect3(c, x, t, w, SIZE_MAX / 2, LOSSOPT_MEAN, loss, grad, grad2, LOSSOPT_ERR_SIZE,
            "n = SIZE_MAX / 2");
    expect3(c, x, t, w, SIZE_MAX, (lossopt_reduction)3, loss, grad, grad2, LOSSOPT_ERR_SIZE,
            "SIZE before a bad reduction");
    expect3(c, x, t, w, N, (lossopt_reduction)3, loss, grad, grad2, LOSSOPT_ERR_ARG, "reduction 3");
    expect3(c, x, t, w, N, (lossopt_reduction)-1, loss, grad, grad2, LOSSOPT_ERR_ARG,
            "reduction -1");
    /* each output alone is a valid call */
    expect3(c, x, t, w, N, LOSSOPT_NONE, loss, NULL, NULL, LOSSOPT_OK, "loss only");
    expect3(c, x, t, w, N, LOSSOPT_MEAN, NULL, grad, NULL, LOSSOPT_OK, "first gradient only");
    expect3(c, x, t, w, N, LOSSOPT_SUM, NULL, NULL, grad2, LOSSOPT_OK, "second gradient only");

    unsigned isas = lossopt_supported_isas();
    for (int isa = 0; isa <= LOSSOPT_ISA_NEON; isa++) {
        if (!((isas >> isa) & 1))
            continue;
        const lossopt_kernel_table *tb = lossopt_kernel_table_for((lossopt_isa)isa);
        float out = -1.0f;
        test_check(loss3_case_run(c, false, tb, NULL, NULL, NULL, 0, LOSSOPT_SUM, &out, NULL,
                                  NULL) == LOSSOPT_OK && test_same_float(out, 0.0f) && !signbit(out),
                   "%s: n 0 SUM gave %a", loss3_case_describe(c), out);
        out = -1.0f;
        test_check(loss3_case_run(c, false, tb, NULL, NULL, NULL, 0, LOSSOPT_MEAN, &out, NULL,
                                  NULL) == LOSSOPT_OK && isnan(out),
                   "%s: n 0 MEAN gave %a", loss3_case_describe(c), out);
        reset_outputs();
        test_check(loss3_case_run(c, false, tb, NULL, NULL, NULL, 0, LOSSOPT_NONE, loss, grad,
                                  grad2) == LOSSOPT_OK && outputs_untouched(),
                   "%s: n 0 NONE wrote", loss3_case_describe(c));
    }
}

/* margin: NaN only; eps: negative or NaN. A negative var anywhere is
 * LOSSOPT_ERR_DOMAIN before anything is written; ARG comes first. */
static void test_loss3_arguments(void)
{
    static const float bad_margin[] = {NAN, -NAN};
    for (int i = 0; i < 2; i++) {
        loss3_case c = {LOSSOPT_LOSS3_MARGIN_RANKING, bad_margin[i], false};
        fill_valid3(&c);
        expect3(&c, input, target, weight, N, LOSSOPT_MEAN, loss, grad, grad2, LOSSOPT_ERR_ARG,
                "margin NaN");
    }
    static const float bad_eps[] = {-1e-30f, -1e-6f, -1.0f, NAN, -NAN, -INFINITY};
    for (int i = 0; i < 6; i++) {
        loss3_case c = {LOSSOPT_LOSS3_GAUSSIAN_NLL, bad_eps[i], i % 2 == 0};
        fill_valid3(&c);
        expect3(&c, input, target, weight, N, LOSSOPT_NONE, loss, grad, grad2, LOSSOPT_ERR_ARG,
                "gaussian_nll eps");
    }
    static const float bad_var[] = {-1e-45f, -1e-6f, -0.5f, -INFINITY};
    static const size_t positions[] = {0, 1, 15, 16, 22, N - 2, N - 1};
    loss3_case g = {LOSSOPT_LOSS3_GAUSSIAN_NLL, 1e-6f, false};
    for (size_t b = 0; b < sizeof bad_var / sizeof bad_var[0]; b++)
        for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
            fill_valid3(&g);
            weight[positions[p]] = bad_var[b];
            char why[96];
            snprintf(why, sizeof why, "var[%zu] = %g", positions[p], (double)bad_var[b]);
            for (int ri = 0; ri < 3; ri++)
                expect3(&g, input, target, weight, N, (lossopt_reduction)ri, loss, grad, grad2,
                        LOSSOPT_ERR_DOMAIN, why);
            expect3(&g, input, target, weight, N, (lossopt_reduction)5, loss, grad, grad2,
                    LOSSOPT_ERR_ARG, "bad reduction and a negative var");
            loss3_case bad_eps_case = {LOSSOPT_LOSS3_GAUSSIAN_NLL, -1.0f, false};
            expect3(&bad_eps_case, input, target, weight, N, LOSSOPT_SUM, loss, grad, grad2,
                    LOSSOPT_ERR_ARG, "bad eps and a negative var");
        }
    /* -0, 0, NaN and +inf vars, eps 0 and +inf, margins +-inf are valid */
    fill_valid3(&g);
    weight[2] = -0.0f; weight[3] = 0.0f; weight[4] = NAN; weight[5] = INFINITY;
    expect3(&g, input, target, weight, N, LOSSOPT_MEAN, loss, grad, grad2, LOSSOPT_OK,
            "var -0, 0, NaN, inf");
    static const loss3_case valid[] = {{LOSSOPT_LOSS3_GAUSSIAN_NLL, 0.0f, false},
                                       {LOSSOPT_LOSS3_GAUSSIAN_NLL, INFINITY, true},
                                       {LOSSOPT_LOSS3_MARGIN_RANKING, INFINITY, false},
                                       {LOSSOPT_LOSS3_MARGIN_RANKING, -INFINITY, false}};
    for (int i = 0; i < 4; i++) {
        fill_valid3(&valid[i]);
        expect3(&valid[i], input, target, weight, N, LOSSOPT_NONE, loss, grad, grad2, LOSSOPT_OK,
                "edge parameter");
    }
    loss3_case kind = {LOSSOPT_LOSS3_KIND_COUNT, 0, false};
    expect3(&kind, input, target, weight, N, LOSSOPT_MEAN, loss, grad, grad2, LOSSOPT_ERR_ARG,
            "no such loss");
}

int main(void)
{
    test_init("test_loss_errors");
    test_skip_unless_forced_isa_supported();
    const loss_case *cases;
    size_t count = loss_cases_all(&cases);
    for (size_t k = 0; k < count; k++)
        test_null_size_reduction(&cases[k]);
    test_bad_parameters();
    test_bce_domain();
    const loss3_case *cases3;
    size_t count3 = loss3_cases_all(&cases3);
    for (size_t k = 0; k < count3; k++)
        test_loss3(&cases3[k]);
    test_loss3_arguments();
    test_kl_div_shapes();
    test_batchmean_elsewhere();
    /* an unsupported ISA is refused before anything else is looked at */
    loss_case mse = {LOSSOPT_LOSS_MSE, 0, false, 0};
    reset_outputs();
    test_check(loss_case_run(&mse, false, NULL, NULL, NULL, NULL, N, (lossopt_reduction)9, loss,
                             grad) == LOSSOPT_ERR_ISA && outputs_untouched(),
               "NULL table: want LOSSOPT_ERR_ISA and nothing written");
    return test_finish();
}
