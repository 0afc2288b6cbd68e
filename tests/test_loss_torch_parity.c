/* tests/test_loss_torch_parity.c - elementwise losses vs PyTorch and float64 references. */
/*
 * tests/reference/loss_reference.txt (format: the header comment of
 * tests/reference/make_torch_loss_reference.py, which generates it) holds, per
 * case, float32 inputs, PyTorch's loss and autograd gradient for the
 * reductions none, mean and sum, and a float64 reference of each element's
 * loss and derivative computed with numpy from the same float32 inputs.
 * PyTorch's own results are float computations with their own rounding, so
 * SPEC 2's bounds are checked against the float64 reference, and PyTorch's
 * values only loosely (TORCH_RELATIVE), to catch a semantic mismatch: a
 * different clamp, branch, convention or reduction. Hinge and squared hinge
 * have no PyTorch counterpart; their reference is include/lossopt.h's formula
 * evaluated here in double.
 *
 * Every case runs on the scalar oracle, each supported vector ISA (through
 * lossopt_elementwise_loss_f32_with_table), the emulated AVX-512 table where
 * it runs and the public functions, for each reduction, on buffers that end
 * at a guard page (tests/parity_common.h); every entry must give the oracle's
 * bits, and so must each call repeated asking for the loss only and for the
 * gradient only.
 *
 * Deliberate differences from PyTorch, checked against lossopt's documented
 * value instead:
 *   - bce_with_logits at +-inf logits: PyTorch gives NaN (or NaN gradients);
 *     lossopt gives the limits (include/lossopt.h). check_infinite_logits()
 *     checks them, without PyTorch data.
 *   - smooth_l1_loss with beta = 0 at d == 0: PyTorch 1.13's backward gives
 *     -1 (times 1/n for mean), l1_loss gives 0; lossopt's beta == 0 is exactly
 *     L1 (gradient 0 there). Those elements are compared with the float64
 *     reference only.
 */
#include <math.h>
#include <string.h>

#include "loss_cases.h"
#include "parity_common.h"

#define MAX_ELEMENTS 4096                      /* largest n the reader accepts  */
#define LINE_CAPACITY (64 + 17 * MAX_ELEMENTS) /* keyword + n float64 hex words */

/* ---- the bounds ---------------------------------------------------------------
 *
 * Against the float64 reference (SPEC 2):
 *   per-element loss (NONE):  |ours - ref| <= 2 ulp(ref) + 1 ulp(M)
 *   reduced loss (MEAN, SUM): |ours - ref| <= 1e-6 |ref|
 *   gradient:                 |ours - ref| <= max(2 ulp(ref), 2^-20 max_j |ref_j|)
 * ulp(v) is the spacing of floats at |v| (ref_ulp_at). M is the largest magnitude
 * among the terms that lossopt's formula adds after rounding each of them
 * separately; the 1 ulp(M) covers the rounding those terms carry into the sum:
 *   mse, l1, huber, smooth_l1, hinge, squared_hinge: M = 0. Their only
 *     subtraction, d = input - target (or 1 - y*score), is one correctly
 *     rounded operation on exact inputs: relative error 2^-24 / m for d's
 *     mantissa m. Squaring doubles it, and the product's own rounding adds
 *     0.5 ulp: (0.5 d) d or d d is within (m + 0.5) ulp < 1.92 ulp of the exact
 *     square when m^2 < 2 (and (m/2 + 0.5) ulp when it is not). The division by
 *     beta is exact for the powers of two in the data. The linear branches,
 *     delta (|d| - delta/2) and |d| - beta/2, have |d| - h >= |d|/2, so
 *     0.5 ulp(|d|) + 0.5 ulp(|d| - h) <= 1.5 ulp of the result. So 2 ulp holds
 *     without an M term.
 *   bce: u = (y - 1) lq - y lp adds two terms of one sign (M = w max(|y lp|,
 *     |(1 - y) lq|), lp and lq clamped at -100). Each term carries a SLEEF u10
 *     log (< 1 ulp) and one rounding (y lp, or y - 1): about 1.5 ulp of the
 *     term, so at most ~1.5 ulp(u) for both together; the fma and the weight
 *     add 0.5 ulp each: ~2.5 ulp(u) <= 2 ulp(u) + 1 ulp(M), as M >= u / 2.
 *   bce_logits: u = fma(lw, L, k x), L = log1p(exp(-|x|)), k = 1 - y for
 *     x >= 0 and -pos_weight y for x < 0, adds two terms of one sign
 *     (M = w max(|k x|, lw L)): k x carries 1 ulp (k and the product), lw L
 *     those of exp and log1p (< 1 ulp each; exp's reaches L damped by
 *     e / ((1 + e) L) <= 1) and of lw; then the fma and the weight. Adding
 *     every bound at its worst gives ~3.5 ulp(u) where lw L dominates, more
 *     than 2 ulp + 1 ulp(M) = 3 ulp; SLEEF stays well inside its 1 ulp in
 *     practice, and the summary prints the margin actually observed.
 * Against PyTorch (loose, 1e-5): |ours - torch| <= 1e-5 max(|torch|, T), T the
 * magnitude of the terms PyTorch's own float formula subtracts:
 *   bce: w max(y |lp|, (1 - y) max(|lq|, 1)) - PyTorch 1.13 takes log(1 - p),
 *     and 1 - p rounds by up to 2^-25 absolute (e.g. p = 1e-20, y = 0: PyTorch
 *     gives 0 where the loss is 1e-20);
 *   bce_logits: w max(|(1 - y) x|, lw (max(-x, 0) + 1)) - PyTorch computes
 *     (1 - y) x + lw (log(exp(-m) + exp(-x - m)) + m), m = max(-x, 0);
 *   otherwise T = |ref|. Reduced values: T summed over the elements (times
 *   1/n for mean). Gradients: array-wide, max_j max(|torch_j|, G_j), G_j =
 *   w (pos_weight y + |1 - y|) for bce_logits (PyTorch's
 *   (pos_weight y + 1 - y) sigmoid(x) - pos_weight y), else |ref_j|.
 */
#define VALUE_ULPS 2.0
#define REDUCED_RELATIVE 1e-6
#define GRAD_ULPS 2.0
#define GRAD_FRACTION_OF_MAX 0x1p-20
#define TORCH_RELATIVE 1e-5

static const char *const loss_names[LOSSOPT_LOSS_KIND_COUNT] = {
    "mse",        "l1",  "huber",      "smooth_l1",  "hinge",
    "squared_hinge", "bce", "bce_logits", "soft_margin", "poisson_nll",
    "kl_div", "kl_div_log_target"};

/* poisson_nll's options are part of the file's loss name. */
static const struct {
    const char *name;
    unsigned flags;
} poisson_names[] = {{"poisson_nll", 0u},
                     {"poisson_nll_log", LOSSOPT_LOSS_LOG_INPUT},
                     {"poisson_nll_full", LOSSOPT_LOSS_FULL},
                     {"poisson_nll_log_full", LOSSOPT_LOSS_LOG_INPUT | LOSSOPT_LOSS_FULL}};

/* ---- one case --------------------------------------------------------------- */

typedef struct reference_case {
    int index;
    lossopt_loss_kind kind;
    size_t n;
    float param;   /* delta, beta, pos_weight or eps; 0 otherwise */
    unsigned flags; /* poisson_nll: LOSSOPT_LOSS_LOG_INPUT, LOSSOPT_LOSS_FULL */
    bool weighted; /* weight[] given (bce, bce_logits)       */
    bool torch;    /* torch_* and ref_* given (not hinge)    */
    float input[MAX_ELEMENTS], target[MAX_ELEMENTS], weight[MAX_ELEMENTS];
    float torch_loss_none[MAX_ELEMENTS];
    float torch_loss_reduced[PARITY_REDUCTIONS]; /* [PARITY_MEAN], [PARITY_SUM] */
    float torch_grad[PARITY_REDUCTIONS][MAX_ELEMENTS];
    double ref_loss[MAX_ELEMENTS], ref_grad[MAX_ELEMENTS], ref_sum;
    double value_term[MAX_ELEMENTS];      /* M of the bound                   */
    double grad_term[MAX_ELEMENTS];       /* the gradient bound's largest term */
    double torch_term[MAX_ELEMENTS];      /* T of the PyTorch check (values)  */
    double torch_grad_term[MAX_ELEMENTS]; /* G of the PyTorch check (grads)   */
    const float *staged_input, *staged_target, *staged_weight; /* on guard pages */
} reference_case;

/* ---- the file format (reading: reference_reader.h) ---------------------- */

/* Parses the rest of "case <index> <loss> n= param= weighted= torch="
 * (cursor after the word "case"). */
static bool parse_case_line(ref_reader *r, char *cursor, reference_case *c)
{
    long index, n;
    if (!ref_parse_long(ref_next_token(&cursor), 0, 1000000, &index))
        return ref_error(r, "expected a case index", NULL);
    c->index = (int)index;
    const char *name = ref_next_token(&cursor);
    int kind = -1;
    for (int k = 0; name != NULL && k < LOSSOPT_LOSS_KIND_COUNT; k++)
        if (strcmp(name, loss_names[k]) == 0)
            kind = k;
    c->flags = 0;
    for (size_t k = 0; name != NULL && k < sizeof poisson_names / sizeof poisson_names[0]; k++)
        if (strcmp(name, poisson_names[k].name) == 0) {
            kind = LOSSOPT_LOSS_POISSON_NLL;
            c->flags = poisson_names[k].flags;
        }
    if (kind < 0)
        return ref_error(r, "unknown loss", name ? name : "(none)");
    c->kind = (lossopt_loss_kind)kind;
    const char *text;
    if ((text = ref_expect_option(r, &cursor, "n")) == NULL)
        return false;
    if (!ref_parse_long(text, 1, MAX_ELEMENTS, &n))
        return ref_error(r, "n must be in 1..4096, got", text);
    c->n = (size_t)n;
    if ((text = ref_expect_option(r, &cursor, "param")) == NULL)
        return false;
    if (!ref_parse_hex_float(text, &c->param))
        return ref_error(r, "expected 8 hex digits for param, got", text);
    if (!ref_expect_flag(r, &cursor, "weighted", "1", "0", &c->weighted) ||
        !ref_expect_flag(r, &cursor, "torch", "1", "0", &c->torch))
        return false;
    if (ref_next_token(&cursor) != NULL)
        return ref_error(r, "unexpected text after the case's options", NULL);
    bool has_weight = c->kind == LOSSOPT_LOSS_BCE || c->kind == LOSSOPT_LOSS_BCE_LOGITS;
    bool is_hinge = c->kind == LOSSOPT_LOSS_HINGE || c->kind == LOSSOPT_LOSS_SQUARED_HINGE;
    if (c->weighted && !has_weight)
        return ref_error(r, "weighted=1 for a loss without weights", name);
    if (c->torch == is_hinge)
        return ref_error(r, "torch=1 is required for exactly the losses PyTorch has", name);
    return true;
}

/* Reads one case's data lines, in the file's fixed order. */
static bool parse_case_body(ref_reader *r, reference_case *c)
{
    size_t n = c->n;
    if (!ref_expect_values(r, "input", n, c->input, NULL) ||
        !ref_expect_values(r, "target", n, c->target, NULL))
        return false;
    if (c->weighted && !ref_expect_values(r, "weight", n, c->weight, NULL))
        return false;
    if (!c->torch)
        return true;
    return ref_expect_values(r, "torch_loss_none", n, c->torch_loss_none, NULL) &&
           ref_expect_values(r, "torch_loss_mean", 1, &c->torch_loss_reduced[PARITY_MEAN], NULL) &&
           ref_expect_values(r, "torch_loss_sum", 1, &c->torch_loss_reduced[PARITY_SUM], NULL) &&
           ref_expect_values(r, "torch_grad_none", n, c->torch_grad[PARITY_NONE], NULL) &&
           ref_expect_values(r, "torch_grad_mean", n, c->torch_grad[PARITY_MEAN], NULL) &&
           ref_expect_values(r, "torch_grad_sum", n, c->torch_grad[PARITY_SUM], NULL) &&
           ref_expect_values(r, "ref_loss", n, NULL, c->ref_loss) &&
           ref_expect_values(r, "ref_grad", n, NULL, c->ref_grad) &&
           ref_expect_values(r, "ref_sum", 1, NULL, &c->ref_sum);
}

/* ---- references and magnitudes -------------------------------------------------- */

/* include/lossopt.h's hinge formulas in double: y = label > 0 ? 1 : -1,
 * m = 1 - y s, loss max(0, m) (or its square), derivative -y where m > 0 (or
 * -2 y max(0, m)). 1 - y s rounds in double by at most 2^-53 relative. */
static void hinge_reference(reference_case *c)
{
    bool squared = c->kind == LOSSOPT_LOSS_SQUARED_HINGE;
    double sum = 0.0; /* n <= 4096 terms of one sign: ~1e-13 relative at worst */
    for (size_t i = 0; i < c->n; i++) {
        double y = c->target[i] > 0.0f ? 1.0 : -1.0;
        double m = 1.0 - y * (double)c->input[i];
        double h = m > 0.0 ? m : 0.0;
        c->ref_loss[i] = squared ? h * h : h;
        c->ref_grad[i] = squared ? -2.0 * y * h : (m > 0.0 ? -y : 0.0);
        sum += c->ref_loss[i];
    }
    c->ref_sum = sum;
}

static double clamped_log(double x) { return x > 0.0 ? fmax(log(x), -100.0) : -100.0; }

/* M, T and G of the bounds above, per element. */
static void term_magnitudes(reference_case *c)
{
    for (size_t i = 0; i < c->n; i++) {
        double x = c->input[i], y = c->target[i], w = c->weighted ? c->weight[i] : 1.0;
        switch (c->kind) {
        case LOSSOPT_LOSS_BCE: {
            double lp = clamped_log(x), lq = fmax(log1p(-x), -100.0);
            c->value_term[i] = w * fmax(y * fabs(lp), (1.0 - y) * fabs(lq));
            c->torch_term[i] = w * fmax(y * fabs(lp), (1.0 - y) * fmax(fabs(lq), 1.0));
            c->torch_grad_term[i] = fabs(c->ref_grad[i]);
            break;
        }
        case LOSSOPT_LOSS_BCE_LOGITS: {
            double pw = c->param, lw = 1.0 + (pw - 1.0) * y, py = pw * y;
            double log1p_e = log1p(exp(-fabs(x)));
            double linear = x >= 0.0 ? (1.0 - y) * x : py * -x;
            c->value_term[i] = w * fmax(fabs(linear), lw * log1p_e);
            c->torch_term[i] = w * fmax(fabs((1.0 - y) * x), lw * (fmax(-x, 0.0) + 1.0));
            c->torch_grad_term[i] = w * (py + fabs(1.0 - y));
            break;
        }
        case LOSSOPT_LOSS_SOFT_MARGIN:
            /* 3 ulp: exp and log1p compose (include/lossopt.h); PyTorch's
             * log(1 + exp(-y x)) rounds 1 + exp at 1 */
            c->value_term[i] = fabs(c->ref_loss[i]);
            c->torch_term[i] = fmax(fabs(c->ref_loss[i]), 1.0);
            c->torch_grad_term[i] = fabs(c->ref_grad[i]);
            break;
        case LOSSOPT_LOSS_POISSON_NLL: {
            /* the largest term of the formula, value and gradient */
            double value_term, grad_term;
            if (c->flags & LOSSOPT_LOSS_LOG_INPUT) {
                double e = exp(x);
                value_term = fmax(e, fabs(y * x));
                grad_term = fmax(e, fabs(y));
            } else {
                double u = x + (double)c->param;
                value_term = fmax(fabs(x), fabs(y * log(u)));
                grad_term = fmax(1.0, fabs(y / u));
            }
            if ((c->flags & LOSSOPT_LOSS_FULL) && y > 1.0)
                value_term = fmax(value_term, fmax(y * log(y), fmax(y, fabs(0.5 * log(6.283185307179586 * y)))));
            c->value_term[i] = value_term;
            c->torch_term[i] = value_term;
            c->grad_term[i] = grad_term;
            c->torch_grad_term[i] = grad_term;
            break;
        }
        case LOSSOPT_LOSS_KL_DIV: /* M = max(|t log t|, |t x|, |loss|) */
            c->value_term[i] = y == 0.0 ? 0.0 : fmax(fmax(fabs(y * log(y)), fabs(y * x)),
                                                     fabs(c->ref_loss[i]));
            c->torch_term[i] = c->value_term[i];
            c->torch_grad_term[i] = fabs(c->ref_grad[i]);
            break;
        case LOSSOPT_LOSS_KL_DIV_LOG_TARGET: /* M = e max(|t|, |x|, |t - x|) */
            c->value_term[i] = exp(y) * fmax(fmax(fabs(y), fabs(x)), fabs(y - x));
            c->torch_term[i] = c->value_term[i];
            c->torch_grad_term[i] = fabs(c->ref_grad[i]);
            break;
        default:
            c->value_term[i] = 0.0;
            c->torch_term[i] = fabs(c->ref_loss[i]);
            c->torch_grad_term[i] = fabs(c->ref_grad[i]);
            break;
        }
        if (c->kind != LOSSOPT_LOSS_POISSON_NLL)
            c->grad_term[i] = fabs(c->ref_grad[i]);
    }
}

/* PyTorch 1.13's smooth_l1_loss(beta=0) backward gives -1 at d == 0 where
 * l1_loss and lossopt give 0 (see the top of the file). */
static bool torch_gradient_differs_by_design(const reference_case *c, size_t i)
{
    return c->kind == LOSSOPT_LOSS_SMOOTH_L1 && c->param == 0.0f && c->input[i] == c->target[i];
}

/* ---- the largest errors, per loss ------------------------------------------------ */

typedef struct family_stats {
    parity_worst value, reduced, grad, torch;
    double max_value_ulps; /* largest per-element loss error, in ulp of the reference */
    long cases, elements, torch_skipped;
} family_stats;
static family_stats stats[LOSSOPT_LOSS_KIND_COUNT];

static void note(parity_worst *w, double ratio, double measure, const reference_case *c,
                 int reduction, size_t element, const char *entry)
{
    parity_note(w, ratio, measure, "case %d %s [%zu] (%s)", c->index,
                parity_reduction_names[reduction], element, entry);
}

/* 2 ulp(ref) + 1 ulp(M): the per-element value bound (see the top). */
static double value_bound(const reference_case *c, size_t i)
{
    double term = c->value_term[i];
    if (c->kind == LOSSOPT_LOSS_POISSON_NLL) /* 2 ulp of the largest term; 3 with full */
        return fmax(VALUE_ULPS * ref_ulp_at(c->ref_loss[i]),
                    ((c->flags & LOSSOPT_LOSS_FULL) ? 3.0 : 2.0) * ref_ulp_at(term));
    /* kl_div: 2 ulp (3 with log_target) of its largest term (include/lossopt.h) */
    if (c->kind == LOSSOPT_LOSS_KL_DIV)
        return 2.0 * ref_ulp_at(term > 0.0 ? term : c->ref_loss[i]);
    if (c->kind == LOSSOPT_LOSS_KL_DIV_LOG_TARGET)
        return 3.0 * ref_ulp_at(term > 0.0 ? term : c->ref_loss[i]);
    return VALUE_ULPS * ref_ulp_at(c->ref_loss[i]) + (term > 0.0 ? ref_ulp_at(term) : 0.0);
}

/* ---- running and comparing ------------------------------------------------------- */

static void describe(const void *p, char *buffer, size_t size)
{
    const reference_case *c = p;
    snprintf(buffer, size, "case %d (%s n=%zu param=%g%s)", c->index, loss_names[c->kind], c->n,
             (double)c->param, c->weighted ? " weighted" : "");
}

static lossopt_status run(const variant *v, const void *p, int reduction, float *loss,
                          float *grad)
{
    const reference_case *c = p;
    loss_case call = {c->kind, c->param, c->weighted, c->flags};
    return loss_case_run(&call, v->public_api, v->table, c->staged_input, c->staged_target,
                         c->staged_weight, c->n, parity_reductions[reduction], loss, grad);
}

/* Per-element losses (NONE) against the float64 reference and PyTorch. */
static void check_values(const reference_case *c, const float *loss, const char *what,
                         const char *entry)
{
    family_stats *s = &stats[c->kind];
    size_t failures = 0, first = 0, torch_failures = 0, torch_first = 0;
    for (size_t i = 0; i < c->n; i++) {
        double ours = loss[i], ref = c->ref_loss[i];
        double allowed = value_bound(c, i);
        double error = parity_error(ours, ref);
        note(&s->value, error / allowed, error / ref_ulp_at(ref), c, PARITY_NONE, i, entry);
        s->max_value_ulps = fmax(s->max_value_ulps, error / ref_ulp_at(ref));
        if (!(error <= allowed) && failures++ == 0)
            first = i;
        if (!c->torch)
            continue;
        double torch = c->torch_loss_none[i];
        double scale = fmax(fabs(torch), c->torch_term[i]);
        double torch_error = parity_error(ours, torch);
        double torch_allowed = TORCH_RELATIVE * scale;
        note(&s->torch, parity_ratio(torch_error, torch_allowed), parity_ratio(torch_error, scale),
             c, PARITY_NONE, i, entry);
        if (!(torch_error <= torch_allowed) && torch_failures++ == 0)
            torch_first = i;
    }
    if (failures > 0) {
        size_t i = first;
        double ref = c->ref_loss[i], error = parity_error(loss[i], ref);
        test_check(false,
                   "%s none %s: loss[%zu] = %.9g, float64 reference %.17g: error %.3g > %.0f "
                   "ulp(ref) + 1 ulp(M = %.9g) = %.3g (%.2f ulp; %zu of %zu elements fail); "
                   "input %.9g target %.9g%s",
                   what, entry, i, (double)loss[i], ref, error, VALUE_ULPS, c->value_term[i],
                   value_bound(c, i), error / ref_ulp_at(ref), failures, c->n, (double)c->input[i],
                   (double)c->target[i], c->weighted ? " (weighted)" : "");
    } else {
        test_check(true, "");
    }
    if (!c->torch)
        return;
    size_t i = torch_first;
    test_check(torch_failures == 0,
               "%s none %s: loss[%zu] = %.9g, PyTorch %.9g: differs by more than %.0e of "
               "max(|torch|, %.9g) (%zu of %zu elements)",
               what, entry, i, (double)loss[i], (double)c->torch_loss_none[i], TORCH_RELATIVE,
               c->torch_term[i], torch_failures, c->n);
}

/* The MEAN or SUM loss against the float64 reference and PyTorch. */
static void check_reduced(const reference_case *c, int reduction, float ours, const char *what,
                          const char *entry)
{
    family_stats *s = &stats[c->kind];
    double n = (double)c->n;
    double ref = reduction == PARITY_MEAN ? c->ref_sum / n : c->ref_sum;
    double error = parity_error(ours, ref);
    double allowed = REDUCED_RELATIVE * fabs(ref);
    double relative = parity_ratio(error, fabs(ref));
    note(&s->reduced, relative / REDUCED_RELATIVE, relative, c, reduction, 0, entry);
    test_check(error <= allowed,
               "%s %s %s: loss = %.9g, float64 reference %.17g: relative error %.3g > %.0e",
               what, parity_reduction_names[reduction], entry, (double)ours, ref, relative,
               REDUCED_RELATIVE);
    if (!c->torch)
        return;
    double terms = 0.0;
    for (size_t i = 0; i < c->n; i++)
        terms += c->torch_term[i];
    if (reduction == PARITY_MEAN)
        terms /= n;
    double torch = c->torch_loss_reduced[reduction];
    double scale = fmax(fabs(torch), terms);
    double torch_error = parity_error(ours, torch);
    note(&s->torch, parity_ratio(torch_error, TORCH_RELATIVE * scale),
         parity_ratio(torch_error, scale), c, reduction, 0, entry);
    test_check(torch_error <= TORCH_RELATIVE * scale,
               "%s %s %s: loss = %.9g, PyTorch %.9g: differs by more than %.0e of %.9g", what,
               parity_reduction_names[reduction], entry, (double)ours, torch, TORCH_RELATIVE, scale);
}

/* The gradient against the float64 reference and PyTorch. */
static void check_gradient(const reference_case *c, int reduction, const float *grad,
                           const char *what, const char *entry)
{
    family_stats *s = &stats[c->kind];
    double scale = reduction == PARITY_MEAN ? 1.0 / (double)c->n : 1.0;
    /* Plain comparisons rather than fmax: GCC 12's AArch64 vectorizer crashes
     * (internal compiler error) on this loop written as an fmax reduction. */
    double largest = 0.0, torch_largest = 0.0;
    for (size_t i = 0; i < c->n; i++) {
        double g = c->grad_term[i] * scale;
        if (g > largest)
            largest = g;
        if (!c->torch)
            continue;
        double t = fmax(fabs((double)c->torch_grad[reduction][i]), c->torch_grad_term[i] * scale);
        if (t > torch_largest)
            torch_largest = t;
    }
    size_t failures = 0, first = 0, torch_failures = 0, torch_first = 0;
    for (size_t i = 0; i < c->n; i++) {
        double ours = grad[i], ref = c->ref_grad[i] * scale;
        double allowed = fmax(GRAD_ULPS * ref_ulp_at(ref), GRAD_FRACTION_OF_MAX * largest);
        double error = parity_error(ours, ref);
        note(&s->grad, error / allowed, error / ref_ulp_at(ref), c, reduction, i, entry);
        if (!(error <= allowed) && failures++ == 0)
            first = i;
        if (!c->torch)
            continue;
        if (torch_gradient_differs_by_design(c, i))
            continue;
        double torch_error = parity_error(ours, c->torch_grad[reduction][i]);
        double torch_allowed = TORCH_RELATIVE * torch_largest;
        note(&s->torch, parity_ratio(torch_error, torch_allowed),
             parity_ratio(torch_error, torch_largest), c, reduction, i, entry);
        if (!(torch_error <= torch_allowed) && torch_failures++ == 0)
            torch_first = i;
    }
    if (failures > 0) {
        size_t i = first;
        double ref = c->ref_grad[i] * scale;
        test_check(false,
                   "%s %s %s: grad[%zu] = %.9g, float64 reference %.17g: error %.3g > max(%.0f "
                   "ulp, 2^-20 * largest |grad| %.9g) (%.2f ulp; %zu of %zu elements fail); "
                   "input %.9g target %.9g%s",
                   what, parity_reduction_names[reduction], entry, i, (double)grad[i], ref,
                   fabs((double)grad[i] - ref), GRAD_ULPS, largest,
                   fabs((double)grad[i] - ref) / ref_ulp_at(ref), failures, c->n,
                   (double)c->input[i], (double)c->target[i], c->weighted ? " (weighted)" : "");
    } else {
        test_check(true, "");
    }
    if (!c->torch)
        return;
    size_t i = torch_first;
    test_check(torch_failures == 0,
               "%s %s %s: grad[%zu] = %.9g, PyTorch %.9g: differs by more than %.0e of %.9g "
               "(%zu of %zu elements)",
               what, parity_reduction_names[reduction], entry, i, (double)grad[i],
               (double)c->torch_grad[reduction][i], TORCH_RELATIVE, torch_largest, torch_failures,
               c->n);
}

static void check(const void *p, int reduction, const float *loss, const float *grad,
                  const char *what, const char *entry)
{
    const reference_case *c = p;
    if (reduction == PARITY_NONE)
        check_values(c, loss, what, entry);
    else
        check_reduced(c, reduction, loss[0], what, entry);
    check_gradient(c, reduction, grad, what, entry);
}

static const parity_loss_family family = {MAX_ELEMENTS, MAX_ELEMENTS, describe, run, check};

static void check_case(reference_case *c)
{
    if (!c->torch) {
        hinge_reference(c);
    } else {
        /* The file's ref_sum must be the sum of its ref_loss: catches a
         * corrupted or hand-edited file. */
        double sum = 0.0, magnitude = 0.0;
        for (size_t i = 0; i < c->n; i++) {
            sum += c->ref_loss[i];
            magnitude += fabs(c->ref_loss[i]);
        }
        char what[96];
        describe(c, what, sizeof what);
        test_check(fabs(sum - c->ref_sum) <= 1e-12 * magnitude,
                   "%s: ref_sum %.17g is not the sum of ref_loss (%.17g)", what, c->ref_sum, sum);
    }
    term_magnitudes(c);
    size_t n = c->n;
    for (size_t i = 0; c->torch && i < n; i++)
        stats[c->kind].torch_skipped += torch_gradient_differs_by_design(c, i);
    c->staged_input = parity_stage_input(0, c->input, n * sizeof(float));
    c->staged_target = parity_stage_input(1, c->target, n * sizeof(float));
    c->staged_weight = c->weighted ? parity_stage_input(2, c->weight, n * sizeof(float)) : NULL;
    parity_run_loss_case(&family, c, n, n);
    char what[96];
    describe(c, what, sizeof what);
    parity_check_inputs(what);
    stats[c->kind].cases++;
    stats[c->kind].elements += (long)n;
}

/* One case of the file (cursor after the word "case"): parsed and checked. */
static bool read_case(ref_reader *r, char *cursor, long index, const void *context)
{
    (void)context;
    static reference_case c; /* static: large */
    if (!parse_case_line(r, cursor, &c))
        return false;
    if (c.index != index)
        return ref_error(r, "cases are not numbered in order", NULL);
    if (!parse_case_body(r, &c))
        return false;
    check_case(&c);
    return true;
}

/* ---- bce_with_logits at +-inf (no PyTorch data: PyTorch gives NaN) ---------------- */
/*
 * The limits, from the loss w [(1 - y) x - lw log(sigmoid(x))], lw = 1 + (pw - 1) y:
 *   x = +inf: loss 0 if y == 1, else +inf;   gradient w (1 - y)
 *   x = -inf: loss 0 if pw y == 0, else +inf; gradient -w pw y
 * (include/lossopt.h says "+inf otherwise" for a disagreeing target; with
 * pos_weight 0 the positive term has weight 0 and the limit at -inf is 0.)
 * The loss is checked exactly (0 or +inf, never NaN). The gradient is checked
 * exactly where the limit is exact through the documented operations (hard
 * targets, r = 1, weights and pos_weights that multiply exactly); with the soft
 * target 0.3 or MEAN's 1/n, the limit itself rounds on the way (1 - y, pw y,
 * c = (float)(1/n)), so SPEC's gradient bound applies: 2 ulp or 2^-20 of the
 * array's largest |limit|.
 */
static long limit_runs;

static void check_limits(const void *p, int reduction, const float *loss, const float *grad,
                         const char *what, const char *entry)
{
    const reference_case *c = p;
    const float *x = c->input, *y = c->target, *w = c->weight;
    double pw = c->param, scale = reduction == PARITY_MEAN ? 1.0 / (double)c->n : 1.0;
    double limit_loss[MAX_ELEMENTS], limit_grad[MAX_ELEMENTS], largest = 0.0;
    bool any_infinite = false;
    for (size_t i = 0; i < c->n; i++) {
        double wi = c->weighted ? w[i] : 1.0, yi = y[i];
        bool infinite = x[i] > 0 ? yi != 1.0 : pw * yi != 0.0;
        limit_loss[i] = infinite ? INFINITY : 0.0;
        any_infinite |= infinite;
        limit_grad[i] = wi * (x[i] > 0 ? 1.0 - yi : -pw * yi) * scale;
        largest = fmax(largest, fabs(limit_grad[i]));
    }
    const char *reduction_name = parity_reduction_names[reduction];
    for (size_t i = 0; i < (reduction == PARITY_NONE ? c->n : 1); i++) {
        double expected =
            reduction == PARITY_NONE ? limit_loss[i] : (any_infinite ? INFINITY : 0.0);
        test_check(loss[i] == expected,
                   "%s %s %s: x = %g, y = %g: loss[%zu] = %.9g, the limit is %g (PyTorch: NaN "
                   "or inf)", what, reduction_name, entry, (double)x[i], (double)y[i], i,
                   (double)loss[i], expected);
    }
    for (size_t i = 0; i < c->n; i++) {
        bool exact = reduction != PARITY_MEAN && (y[i] == 0.0f || y[i] == 1.0f);
        double error = parity_error(grad[i], limit_grad[i]);
        double allowed = exact ? 0.0
                               : fmax(GRAD_ULPS * ref_ulp_at(limit_grad[i]),
                                      GRAD_FRACTION_OF_MAX * largest);
        test_check(error <= allowed,
                   "%s %s %s: x = %g, y = %g, weight %g: grad[%zu] = %.9g, the limit is %.9g (%s)",
                   what, reduction_name, entry, (double)x[i], (double)y[i],
                   c->weighted ? (double)w[i] : 1.0, i, (double)grad[i], limit_grad[i],
                   exact ? "must be exact" : "2 ulp or 2^-20 of the largest");
    }
    limit_runs++;
}

static void describe_limits(const void *p, char *buffer, size_t size)
{
    const reference_case *c = p;
    snprintf(buffer, size, "bce_logits at +-inf, pos_weight %g, %s", (double)c->param,
             c->weighted ? "weighted" : "unweighted");
}

static void check_infinite_logits(void)
{
    static const parity_loss_family limits = {MAX_ELEMENTS, MAX_ELEMENTS, describe_limits, run,
                                              check_limits};
    static const float x_pattern[6] = {INFINITY,  INFINITY,  INFINITY,
                                       -INFINITY, -INFINITY, -INFINITY};
    static const float y_pattern[6] = {0.0f, 1.0f, 0.3f, 0.0f, 1.0f, 0.3f};
    static const float weight_cycle[7] = {0.5f, 2.0f, 1.5f, 0.25f, 1.0f, 3.0f, 4.0f};
    static const float pos_weights[4] = {1.0f, 0.5f, 3.0f, 0.0f};
    static reference_case c; /* static: large */
    c.kind = LOSSOPT_LOSS_BCE_LOGITS;
    c.n = 24;
    for (size_t i = 0; i < c.n; i++) {
        c.input[i] = x_pattern[i % 6];
        c.target[i] = y_pattern[i % 6];
        c.weight[i] = weight_cycle[i % 7];
    }
    for (int p = 0; p < 4; p++) {
        for (int weighted = 0; weighted <= 1; weighted++) {
            c.param = pos_weights[p];
            c.weighted = weighted;
            c.staged_input = parity_stage_input(0, c.input, c.n * sizeof(float));
            c.staged_target = parity_stage_input(1, c.target, c.n * sizeof(float));
            c.staged_weight = parity_stage_input(2, c.weight, c.n * sizeof(float));
            parity_run_loss_case(&limits, &c, c.n, c.n);
            char what[96];
            describe_limits(&c, what, sizeof what);
            parity_check_inputs(what);
        }
    }
    printf("test_loss_torch_parity: bce_logits at +-inf logits (PyTorch: NaN): %ld runs checked "
           "against the limits\n", limit_runs);
}

/* ---- main ---------------------------------------------------------------------- */

static bool check_file(ref_reader *r)
{
    check_infinite_logits();
    return ref_read_case_file(r, "lossopt-loss-reference 1", parity_name(), read_case, NULL);
}

static void report(void)
{
    printf("test_loss_torch_parity: largest errors per loss; \"of bound\" = error / allowed "
           "error, <= 1 passes\n");
    for (int k = 0; k < LOSSOPT_LOSS_KIND_COUNT; k++) {
        const family_stats *s = &stats[k];
        if (s->cases == 0) {
            printf("  %-13s no cases\n", loss_names[k]);
            continue;
        }
        const parity_worst *v = &s->value, *d = &s->reduced, *g = &s->grad, *t = &s->torch;
        printf("  %-13s %ld cases, %ld elements\n", loss_names[k], s->cases, s->elements);
        printf("    values  (2 ulp + 1 ulp(M)): max %.3f ulp; worst %.3f of bound at %s "
               "(%.3f ulp)\n", s->max_value_ulps, v->ratio, v->where, v->measure);
        printf("    reduced (1e-6 relative):    max %.3g relative at %s\n", d->measure, d->where);
        printf("    grads   (2 ulp or 2^-20 max|g|): worst %.3f of bound at %s (%.3f ulp)\n",
               g->ratio, g->where, g->measure);
        if (t->seen)
            printf("    PyTorch (1e-5, loose):      max %.3g relative at %s\n", t->measure,
                   t->where);
        else
            printf("    PyTorch: no counterpart; checked against the header's formula in double\n");
        if (s->torch_skipped > 0)
            printf("    note: %ld elements with d == 0 not compared with PyTorch's gradient "
                   "(PyTorch 1.13 smooth_l1(beta=0) gives -1 there, l1 and lossopt 0)\n",
                   s->torch_skipped);
    }
}

int main(int argc, char **argv)
{
    return parity_main(argc, argv, "test_loss_torch_parity", "loss_reference.txt", LINE_CAPACITY,
                       check_file, report);
}
