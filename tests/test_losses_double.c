/* tests/test_losses_double.c - the scalar oracle of the elementwise losses
 * against their formulas evaluated in double precision (written here from the
 * math, with libm's double exp/log/log1p), for every case: SPEC 2's bounds.
 *   per-element loss values   within 2 ulp of the double value; 3 ulp for
 *                             bce and bce_logits (see value_bound); kl_div
 *                             in ulps of its largest term (2; 3 with
 *                             log_target)
 *   gradients                 within 2 ulp, or 2^-20 of the largest term of
 *                             the array (the largest |gradient|, except
 *                             poisson_nll: exp(x) or t; 1 or t / (x + eps))
 *   poisson_nll values        within 2 ulp (3 with full) of the largest term
 *                             of the formula; soft_margin values 3 ulp
 *   MEAN and SUM              within 1e-6 relative of the double sum, also
 *                             for n = 10^8 through the public API (10^6 with
 *                             LOSSOPT_TEST_QUICK, where plain float summation
 *                             already fails the bound) */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loss_cases.h"
#include "test_support.h"

#define N 4099

/* The double-precision loss and derivative (before the reduction's scale)
 * of one element, from the definitions in SPEC 1.3 / include/lossopt.h. */
static void reference(const loss_case *c, double x, double t, double w, double *loss,
                      double *grad, double *value_term, double *grad_term)
{
    *value_term = *grad_term = -1; /* < 0: the value itself, the gradient itself */
    double d = x - t, a = fabs(d), k = c->parameter;
    double y = t > 0 ? 1.0 : -1.0, m = 1.0 - y * x;
    switch (c->kind) {
    case LOSSOPT_LOSS_MSE: *loss = d * d; *grad = 2 * d; break;
    case LOSSOPT_LOSS_L1: *loss = a; *grad = d > 0 ? 1 : d < 0 ? -1 : 0; break;
    case LOSSOPT_LOSS_HUBER:
        *loss = a < k ? 0.5 * d * d : k * (a - 0.5 * k);
        *grad = d < -k ? -k : d > k ? k : d;
        break;
    case LOSSOPT_LOSS_SMOOTH_L1:
        if (k == 0) { *loss = a; *grad = d > 0 ? 1 : d < 0 ? -1 : 0; break; }
        *loss = a < k ? 0.5 * d * d / k : a - 0.5 * k;
        *grad = a < k ? d / k : (d > 0 ? 1 : -1);
        break;
    case LOSSOPT_LOSS_HINGE: *loss = m > 0 ? m : 0; *grad = m > 0 ? -y : 0; break;
    case LOSSOPT_LOSS_SQUARED_HINGE:
        *loss = m > 0 ? m * m : 0;
        *grad = m > 0 ? -2 * y * m : 0;
        break;
    case LOSSOPT_LOSS_BCE: {
        double lp = fmax(log(x), -100), lq = fmax(log1p(-x), -100);
        *loss = -w * (t * lp + (1 - t) * lq);
        *grad = w * (x - t) / fmax((1 - x) * x, 1e-12);
        break;
    }
    case LOSSOPT_LOSS_BCE_LOGITS: {
        double lw = 1 + (k - 1) * t;
        double log_sigmoid = fmin(x, 0) - log1p(exp(-fabs(x)));
        double sigmoid = x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
        *loss = w * ((1 - t) * x - lw * log_sigmoid);
        *grad = w * ((k * t + 1 - t) * sigmoid - k * t);
        break;
    }
    case LOSSOPT_LOSS_SOFT_MARGIN: {
        double z = -(t * x); /* exact in double */
        double sigmoid = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
        *loss = fmax(z, 0) + log1p(exp(-fabs(z)));
        *grad = -t * sigmoid;
        break;
    }
    case LOSSOPT_LOSS_POISSON_NLL: {
        /* these subtract nearly equal terms: the bounds are relative to the
         * largest term (include/lossopt.h) */
        if (c->flags & LOSSOPT_LOSS_LOG_INPUT) {
            double e = exp(x);
            *loss = e - t * x;
            *grad = e - t;
            *value_term = fmax(e, fabs(t * x));
            *grad_term = fmax(e, fabs(t));
        } else {
            double u = x + (double)k, lg = log(u);
            *loss = x - t * lg;
            *grad = 1 - t / u;
            *value_term = fmax(fabs(x), fabs(t * lg));
            *grad_term = fmax(1, fabs(t / u));
        }
        if ((c->flags & LOSSOPT_LOSS_FULL) && t > 1) {
            double lt = t * log(t), half_log = 0.5 * log(6.283185307179586 * t);
            *loss += lt - t + half_log;
            *value_term = fmax(*value_term, fmax(lt, fmax(t, fabs(half_log))));
        }
        break;
    }
    /* kl_div: a difference of nearly equal terms where the prediction matches
     * the target (SPEC 2): its largest term (or the value, where the terms
     * have opposite signs and add up) */
    case LOSSOPT_LOSS_KL_DIV:
        *loss = t == 0 ? 0 : t * (log(t) - x);
        *grad = -t;
        *value_term = t == 0 ? 0 : fmax(fmax(fabs(t * log(t)), fabs(t * x)), fabs(*loss));
        break;
    case LOSSOPT_LOSS_KL_DIV_LOG_TARGET:
        *loss = exp(t) * (t - x);
        *grad = -exp(t);
        *value_term = exp(t) * fmax(fmax(fabs(t), fabs(x)), fabs(t - x));
        break;
    default: *loss = *grad = NAN;
    }
    if (*value_term < 0)
        *value_term = fabs(*loss);
    if (*grad_term < 0)
        *grad_term = fabs(*grad);
}

/* SPEC 2 asks 2 ulp for every loss value. bce and bce_logits compose two
 * SLEEF functions, each within 1.0 ulp (u10), with a product, an fma and an
 * optional weight: their first-order bound is 1 + 0.5 + 0.5 (+ 0.5) ulp plus
 * the second transcendental's contribution, and 2.1-2.7 ulp is observed on
 * random data. No order of float operations reaches 2 ulp with 1-ulp exp/log,
 * so the bound for them is 3 ulp (include/lossopt.h says so); every other
 * loss is held to 2 (kl_div: 2 ulp of its largest term; with log_target,
 * exp composed with a difference and a product, 3). */
static double value_bound(const loss_case *c)
{
    if (c->kind == LOSSOPT_LOSS_POISSON_NLL) /* of the largest term; full adds two logs */
        return c->flags & LOSSOPT_LOSS_FULL ? 3.0 : 2.0;
    return c->kind == LOSSOPT_LOSS_BCE || c->kind == LOSSOPT_LOSS_BCE_LOGITS ||
                   c->kind == LOSSOPT_LOSS_SOFT_MARGIN || c->kind == LOSSOPT_LOSS_KL_DIV_LOG_TARGET
               ? 3.0
               : 2.0;
}

static double ulps(float got, double want)
{
    double ulp = test_ulp_of((float)want);
    return fabs((double)got - want) / ulp;
}

static void check_case(const loss_case *c)
{
    if (c->kind == LOSSOPT_LOSS_BCE_LOGITS && isinf(c->parameter)) {
        /* lw = 1 + (inf - 1) y is inf (NaN at y = 0, as in PyTorch): no
         * rounding bound to check; the bitwise and PyTorch parity tests cover it */
        printf("%-32s not checked against double (infinite pos_weight)\n", loss_case_describe(c));
        return;
    }
    static float input[N], target[N], weight[N], loss[N], grad[N];
    test_seed_case(loss_case_describe(c), 0, 0, 0);
    loss_case_fill(c, input, target, weight, N, false);
    const lossopt_kernel_table *oracle = test_oracle();
    lossopt_status st = loss_case_run(c, false, oracle, input, target, weight, N, LOSSOPT_NONE,
                                      loss, grad);
    if (!test_check(st == LOSSOPT_OK, "%s: status %d", loss_case_describe(c), st))
        return;
    double want_loss[N], want_grad[N], value_term[N], largest_grad = 0, sum = 0, magnitude = 0;
    for (int i = 0; i < N; i++) {
        double grad_term;
        reference(c, input[i], target[i], c->weighted ? weight[i] : 1.0, &want_loss[i],
                  &want_grad[i], &value_term[i], &grad_term);
        largest_grad = fmax(largest_grad, grad_term);
        sum += want_loss[i];
        magnitude += fabs(want_loss[i]);
    }
    double worst_value = 0, worst_grad = 0;
    for (int i = 0; i < N; i++) {
        /* relative to the largest term where the formula cancels (poisson,
         * kl_div); else value_term is |value| and this is the value's own ulp */
        double value_error = fabs((double)loss[i] - want_loss[i]) /
                             fmax(test_ulp_of((float)value_term[i]), test_ulp_of((float)want_loss[i]));
        worst_value = fmax(worst_value, value_error);
        test_check(value_error <= value_bound(c), "%s: loss[%d] (x %a t %a) = %.9g, double %.17g: %.2f ulp",
                   loss_case_describe(c), i, input[i], target[i], loss[i], want_loss[i],
                   value_error);
        double grad_error = fabs((double)grad[i] - want_grad[i]);
        double grad_ulps = ulps(grad[i], want_grad[i]);
        worst_grad = fmax(worst_grad, fmin(grad_ulps, grad_error / (0x1p-20 * largest_grad) * 2));
        test_check(grad_ulps <= 2.0 || grad_error <= 0x1p-20 * largest_grad,
                   "%s: grad[%d] (x %a t %a) = %.9g, double %.17g: %.2f ulp",
                   loss_case_describe(c), i, input[i], target[i], grad[i], want_grad[i],
                   grad_ulps);
    }
    float mean, total;
    loss_case_run(c, false, oracle, input, target, weight, N, LOSSOPT_MEAN, &mean, NULL);
    loss_case_run(c, false, oracle, input, target, weight, N, LOSSOPT_SUM, &total, NULL);
    /* terms of mixed sign (kl_div): within 1e-6 of the sum of |terms| */
    test_check(fabs(total - sum) <= 1e-6 * magnitude, "%s: SUM %.9g, double %.17g",
               loss_case_describe(c), total, sum);
    test_check(fabs(mean - sum / N) <= 1e-6 * (magnitude / N), "%s: MEAN %.9g, double %.17g",
               loss_case_describe(c), mean, sum / N);
    if (loss_case_is_kl(c)) {
        float batchmean;
        double rows = (double)loss_case_kl_rows(N);
        loss_case_run(c, false, oracle, input, target, weight, N, LOSSOPT_BATCHMEAN, &batchmean,
                      NULL);
        test_check(fabs(batchmean - sum / rows) <= 1e-6 * (magnitude / rows),
                   "%s: BATCHMEAN %.9g, double %.17g", loss_case_describe(c), batchmean,
                   sum / rows);
    }
    printf("%-32s worst value error %.2f ulp, worst gradient error %.2f ulp\n",
           loss_case_describe(c), worst_value, worst_grad);
}

/* The canonical order keeps 10^8-element sums within 1e-6 (a plain float
 * running sum is off by orders of magnitude there). */
static void check_large_sums(size_t n)
{
    float *x = malloc(n * sizeof(float)), *t = malloc(n * sizeof(float));
    if (!x || !t) {
        test_check(false, "cannot allocate %zu elements", n);
        free(x);
        free(t);
        return;
    }
    test_seed_case("large sums", n, 0, 0);
    for (size_t i = 0; i < n; i++) {
        x[i] = test_random_uniform(-1.0f, 1.0f);
        t[i] = test_random_uniform(0.0f, 1.0f);
    }
    const loss_case checked[] = {{LOSSOPT_LOSS_MSE, 0, false, 0}, {LOSSOPT_LOSS_L1, 0, false, 0},
                                 {LOSSOPT_LOSS_BCE_LOGITS, 2.0f, false, 0}};
    for (int k = 0; k < 3; k++) {
        double sum = 0, naive_float = 0;
        float running = 0;
        for (size_t i = 0; i < n; i++) {
            double l, g;
            double vt, gt;
            reference(&checked[k], x[i], t[i], 1.0, &l, &g, &vt, &gt);
            sum += l;
            running += (float)l;
        }
        naive_float = running;
        float mean, total;
        lossopt_status s1 = loss_case_run(&checked[k], true, NULL, x, t, NULL, n, LOSSOPT_MEAN,
                                          &mean, NULL);
        lossopt_status s2 = loss_case_run(&checked[k], true, NULL, x, t, NULL, n, LOSSOPT_SUM,
                                          &total, NULL);
        double rel_sum = fabs(total - sum) / sum, rel_mean = fabs(mean - sum / n) / (sum / n);
        printf("n=%zu %-22s SUM rel error %.2e, MEAN rel error %.2e (plain float sum: %.2e)\n",
               n, loss_case_describe(&checked[k]), rel_sum, rel_mean,
               fabs(naive_float - sum) / sum);
        test_check(s1 == LOSSOPT_OK && s2 == LOSSOPT_OK && rel_sum <= 1e-6 && rel_mean <= 1e-6,
                   "n=%zu %s: SUM rel %.3g, MEAN rel %.3g", n, loss_case_describe(&checked[k]),
                   rel_sum, rel_mean);
    }
    free(x);
    free(t);
}

/* ---- three inputs, two gradients ------------------------------------------ */

/* margin_ranking: the value within 2 ulp of the double formula (plus
 * 2^-44 of its terms' size, where they cancel: the compensated tail keeps
 * ~2^-46 of them, and the double reference its own 2^-53); the gradients
 * are -y c, y c exactly (checked to 0 ulp) where m >= 0.
 * gaussian_nll: the value within 2 ulp of its largest term; grad_input
 * within 2 ulp; grad_var within 2 ulp or 2^-20 of the larger of its two
 * terms 0.5 r / v and 0.5 r d^2 / v^2 (include/lossopt.h). */
static void check3_case(const loss3_case *c, lossopt_reduction r)
{
    if (isinf(c->parameter)) {
        printf("%-32s not checked against double (infinite parameter)\n", loss3_case_describe(c));
        return;
    }
    static float a[N], b[N], c3[N], loss[N], ga[N], gb[N];
    test_seed_case(loss3_case_describe(c), 0, 0, 0);
    loss3_case_fill(c, a, b, c3, N, false);
    for (int i = 0; i < N; i++) /* eps 0: no var of 0 (NaN, inf) or denormal (overflow) */
        if (c->kind == LOSSOPT_LOSS3_GAUSSIAN_NLL && !(fmaxf(c3[i], c->parameter) >= FLT_MIN))
            c3[i] = 1e-12f;
    const lossopt_kernel_table *oracle = test_oracle();
    lossopt_status st = loss3_case_run(c, false, oracle, a, b, c3, N, LOSSOPT_NONE, loss, NULL, NULL);
    lossopt_status st2 = loss3_case_run(c, false, oracle, a, b, c3, N, r, NULL, ga, gb);
    if (!test_check(st == LOSSOPT_OK && st2 == LOSSOPT_OK, "%s: status %d %d",
                    loss3_case_describe(c), st, st2))
        return;
    double scale = r == LOSSOPT_MEAN ? 1.0 / N : 1.0, sum = 0;
    double worst_value = 0, worst_ga = 0, worst_gb = 0;
    bool gaussian = c->kind == LOSSOPT_LOSS3_GAUSSIAN_NLL;
    for (int i = 0; i < N; i++) {
        double want, want_ga, want_gb, value_slack, gb_slack;
        double term_size; /* what "ulp of the largest term" is taken of */
        if (!gaussian) {
            double y = c3[i], d = (double)a[i] - (double)b[i];
            double m = -y * d + c->parameter;
            want = m > 0 ? m : 0;
            /* -y c and y c with c = (float)r: exact, or one rounding of y c */
            want_ga = m >= 0 ? -y * (double)(float)scale : 0;
            want_gb = m >= 0 ? y * (double)(float)scale : 0;
            term_size = fabs(want);
            value_slack = 0x1p-44 * (fabs(y * d) + fabs(c->parameter));
            gb_slack = 0;
        } else {
            double v = fmax(c3[i], c->parameter), d = (double)a[i] - (double)b[i];
            double lv = 0.5 * log(v), q = 0.5 * d * d / v, k = 0.5 * log(2 * 3.14159265358979323846);
            want = lv + q + (c->full ? k : 0);
            term_size = fmax(fmax(fmax(fabs(lv), q), c->full ? k : 0), fabs(want));
            value_slack = 0;
            want_ga = d / v * scale;
            want_gb = 0.5 * (1 / v - d * d / (v * v)) * scale;
            gb_slack = 0x1p-20 * fmax(0.5 * scale / v, 0.5 * scale * d * d / (v * v));
        }
        if (!isfinite(want) || !isfinite(want_gb) || fabs(want_gb) > FLT_MAX ||
            fabs(want) > FLT_MAX) {
            /* v below FLT_MIN / FLT_MAX away from overflow (eps 0, a denormal
             * var): the float result overflows where double does not */
            loss[i] = ga[i] = gb[i] = 0;
            want = want_ga = want_gb = 0;
        }
        sum += want;
        double value_error = fabs((double)loss[i] - want) / test_ulp_of((float)term_size);
        if (!gaussian && fabs((double)loss[i] - want) <= value_slack)
            value_error = 0;
        worst_value = fmax(worst_value, value_error);
        test_check(value_error <= 2.0, "%s: loss[%d] (%a %a %a) = %.9g, double %.17g: %.2f ulp",
                   loss3_case_describe(c), i, a[i], b[i], c3[i], loss[i], want, value_error);
        double ga_ulps = ulps(ga[i], want_ga);
        worst_ga = fmax(worst_ga, ga_ulps);
        test_check(ga_ulps <= (gaussian ? 2.0 : 0.5), "%s: grad_a[%d] (%a %a %a) = %.9g, double %.17g: %.2f ulp",
                   loss3_case_describe(c), i, a[i], b[i], c3[i], ga[i], want_ga, ga_ulps);
        double gb_error = fabs((double)gb[i] - want_gb), gb_ulps = ulps(gb[i], want_gb);
        double gb_measure = gaussian ? fmin(gb_ulps, gb_error / gb_slack * 2) : gb_ulps;
        worst_gb = fmax(worst_gb, gb_measure);
        test_check(gb_ulps <= (gaussian ? 2.0 : 0.5) || (gaussian && gb_error <= gb_slack),
                   "%s: grad_b[%d] (%a %a %a) = %.9g, double %.17g: %.2f ulp",
                   loss3_case_describe(c), i, a[i], b[i], c3[i], gb[i], want_gb, gb_ulps);
    }
    float mean, total;
    loss3_case_run(c, false, oracle, a, b, c3, N, LOSSOPT_MEAN, &mean, NULL, NULL);
    loss3_case_run(c, false, oracle, a, b, c3, N, LOSSOPT_SUM, &total, NULL, NULL);
    test_check(fabs(total - sum) <= 1e-6 * fabs(sum), "%s: SUM %.9g, double %.17g",
               loss3_case_describe(c), total, sum);
    test_check(fabs(mean - sum / N) <= 1e-6 * fabs(sum / N), "%s: MEAN %.9g, double %.17g",
               loss3_case_describe(c), mean, sum / N);
    printf("%-32s %s worst value error %.2f ulp, gradients %.2f / %.2f ulp\n",
           loss3_case_describe(c), r == LOSSOPT_MEAN ? "mean" : "none", worst_value, worst_ga,
           worst_gb);
}

int main(void)
{
    test_init("test_losses_double");
    test_skip_unless_forced_isa_supported();
    const loss_case *cases;
    size_t count = loss_cases_all(&cases);
    for (size_t k = 0; k < count; k++)
        check_case(&cases[k]);
    const loss3_case *cases3;
    size_t count3 = loss3_cases_all(&cases3);
    for (size_t k = 0; k < count3; k++) {
        check3_case(&cases3[k], LOSSOPT_NONE);
        check3_case(&cases3[k], LOSSOPT_MEAN);
    }
    bool quick = getenv("LOSSOPT_TEST_QUICK") != NULL;
    check_large_sums(quick ? 1000000 : 100000000);
    return test_finish();
}
