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
 * lossopt_elementwise_loss_f32_with_table) and the public functions, for each
 * reduction, on buffers that end at a guard page; every ISA must give the
 * oracle's bits. The public call is also repeated asking for the loss only and
 * the gradient only, which must give the same bits.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lossopt_internal.h"
#include "reference_reader.h"
#include "test_support.h"

#define MAX_ELEMENTS 4096                      /* largest n the reader accepts     */
#define LINE_CAPACITY (64 + 17 * MAX_ELEMENTS) /* keyword + n float64 hex words    */
#define PUBLIC_API (-1)                        /* "isa" of the public entry points */

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
    "mse", "l1", "huber", "smooth_l1", "hinge", "squared_hinge", "bce", "bce_logits"};

/* The file's order of the reductions. */
enum { R_NONE, R_MEAN, R_SUM, R_COUNT };
static const char *const reduction_names[R_COUNT] = {"none", "mean", "sum"};
static const lossopt_reduction reduction_values[R_COUNT] = {LOSSOPT_NONE, LOSSOPT_MEAN,
                                                            LOSSOPT_SUM};

/* ---- one case --------------------------------------------------------------- */

typedef struct loss_case {
    int index;
    lossopt_loss_kind kind;
    size_t n;
    float param;   /* delta, beta or pos_weight; 0 otherwise */
    bool weighted; /* weight[] given (bce, bce_logits)       */
    bool torch;    /* torch_* and ref_* given (not hinge)    */
    float input[MAX_ELEMENTS], target[MAX_ELEMENTS], weight[MAX_ELEMENTS];
    float torch_loss_none[MAX_ELEMENTS];
    float torch_loss_reduced[R_COUNT]; /* [R_MEAN], [R_SUM] */
    float torch_grad[R_COUNT][MAX_ELEMENTS];
    double ref_loss[MAX_ELEMENTS], ref_grad[MAX_ELEMENTS], ref_sum;
    double value_term[MAX_ELEMENTS];      /* M of the bound                   */
    double torch_term[MAX_ELEMENTS];      /* T of the PyTorch check (values)  */
    double torch_grad_term[MAX_ELEMENTS]; /* G of the PyTorch check (grads)   */
} loss_case;

/* ---- the file format (reading: reference_reader.h) ---------------------- */

static bool parse_flag(const char *text, bool *flag)
{
    if (text == NULL || (strcmp(text, "0") != 0 && strcmp(text, "1") != 0))
        return false;
    *flag = text[0] == '1';
    return true;
}

/* Parses the rest of "case <index> <loss> n= param= weighted= torch="
 * (cursor after the word "case"). */
static bool parse_case_line(ref_reader *r, char *cursor, loss_case *c)
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
    if ((text = ref_expect_option(r, &cursor, "weighted")) == NULL)
        return false;
    if (!parse_flag(text, &c->weighted))
        return ref_error(r, "expected 0 or 1 for weighted, got", text);
    if ((text = ref_expect_option(r, &cursor, "torch")) == NULL)
        return false;
    if (!parse_flag(text, &c->torch))
        return ref_error(r, "expected 0 or 1 for torch, got", text);
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
static bool parse_case_body(ref_reader *r, loss_case *c)
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
           ref_expect_values(r, "torch_loss_mean", 1, &c->torch_loss_reduced[R_MEAN], NULL) &&
           ref_expect_values(r, "torch_loss_sum", 1, &c->torch_loss_reduced[R_SUM], NULL) &&
           ref_expect_values(r, "torch_grad_none", n, c->torch_grad[R_NONE], NULL) &&
           ref_expect_values(r, "torch_grad_mean", n, c->torch_grad[R_MEAN], NULL) &&
           ref_expect_values(r, "torch_grad_sum", n, c->torch_grad[R_SUM], NULL) &&
           ref_expect_values(r, "ref_loss", n, NULL, c->ref_loss) &&
           ref_expect_values(r, "ref_grad", n, NULL, c->ref_grad) &&
           ref_expect_values(r, "ref_sum", 1, NULL, &c->ref_sum);
}

/* ---- references and magnitudes -------------------------------------------------- */

/* include/lossopt.h's hinge formulas in double: y = label > 0 ? 1 : -1,
 * m = 1 - y s, loss max(0, m) (or its square), derivative -y where m > 0 (or
 * -2 y max(0, m)). 1 - y s rounds in double by at most 2^-53 relative. */
static void hinge_reference(loss_case *c)
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
static void term_magnitudes(loss_case *c)
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
        default:
            c->value_term[i] = 0.0;
            c->torch_term[i] = fabs(c->ref_loss[i]);
            c->torch_grad_term[i] = fabs(c->ref_grad[i]);
            break;
        }
    }
}

/* PyTorch 1.13's smooth_l1_loss(beta=0) backward gives -1 at d == 0 where
 * l1_loss and lossopt give 0 (see the top of the file). */
static bool torch_gradient_differs_by_design(const loss_case *c, size_t i)
{
    return c->kind == LOSSOPT_LOSS_SMOOTH_L1 && c->param == 0.0f && c->input[i] == c->target[i];
}

/* ---- the largest errors, per loss ------------------------------------------------ */

typedef struct worst_error {
    double ratio;   /* error / allowed error: <= 1 passes            */
    double measure; /* ulps (values, grads) or relative (reduced, torch) */
    int case_index;
    int reduction;
    size_t element;
    char entry[32];
    bool seen;
} worst_error;

typedef struct family_stats {
    worst_error value, reduced, grad, torch;
    double max_value_ulps; /* largest per-element loss error, in ulp of the reference */
    long cases, elements, torch_skipped;
} family_stats;
static family_stats stats[LOSSOPT_LOSS_KIND_COUNT];

static void note_error(worst_error *w, double ratio, double measure, const loss_case *c,
                       int reduction, size_t element, const char *entry)
{
    if (w->seen && !(ratio > w->ratio))
        return;
    w->seen = true;
    w->ratio = ratio;
    w->measure = measure;
    w->case_index = c->index;
    w->reduction = reduction;
    w->element = element;
    snprintf(w->entry, sizeof w->entry, "%s", entry);
}

/* |ours - expected|, infinite when ours is NaN. */
static double error_of(double ours, double expected)
{
    return isnan(ours) ? INFINITY : fabs(ours - expected);
}

/* error / allowed, with 0 / 0 = 0 (an exact zero where zero is required). */
static double ratio_of(double error, double allowed)
{
    if (allowed > 0.0)
        return error / allowed;
    return error > 0.0 ? INFINITY : 0.0;
}

/* 2 ulp(ref) + 1 ulp(M): the per-element value bound (see the top). */
static double value_bound(const loss_case *c, size_t i)
{
    double term = c->value_term[i];
    return VALUE_ULPS * ref_ulp_at(c->ref_loss[i]) + (term > 0.0 ? ref_ulp_at(term) : 0.0);
}

/* ---- running and comparing ------------------------------------------------------- */

/* Guard-page buffers of MAX_ELEMENTS floats; a case uses the last n of each,
 * so every array ends where an inaccessible page begins. */
typedef struct work_buffers {
    float *input, *target, *weight, *loss, *grad, *reduced;
} work_buffers;

static float *tail(float *buffer, size_t n) { return buffer + (MAX_ELEMENTS - n); }

static const char *entry_name(int entry, char *buffer, size_t size)
{
    if (entry == PUBLIC_API)
        snprintf(buffer, size, "public(%s)", lossopt_isa_name(lossopt_active_isa()));
    else
        snprintf(buffer, size, "%s", lossopt_isa_name((lossopt_isa)entry));
    return buffer;
}

static lossopt_status run_loss(int entry, lossopt_loss_kind kind, const float *input,
                               const float *target, const float *weight, size_t n, float param,
                               lossopt_reduction r, float *loss, float *grad)
{
    if (entry != PUBLIC_API)
        return lossopt_elementwise_loss_f32_with_table(lossopt_kernel_table_for((lossopt_isa)entry),
                                                       kind, input, target, weight, n, param, r,
                                                       loss, grad);
    switch (kind) {
    case LOSSOPT_LOSS_MSE: return lossopt_mse_f32(input, target, n, r, loss, grad);
    case LOSSOPT_LOSS_L1: return lossopt_l1_f32(input, target, n, r, loss, grad);
    case LOSSOPT_LOSS_HUBER: return lossopt_huber_f32(input, target, n, param, r, loss, grad);
    case LOSSOPT_LOSS_SMOOTH_L1:
        return lossopt_smooth_l1_f32(input, target, n, param, r, loss, grad);
    case LOSSOPT_LOSS_HINGE: return lossopt_hinge_f32(input, target, n, r, loss, grad);
    case LOSSOPT_LOSS_SQUARED_HINGE:
        return lossopt_squared_hinge_f32(input, target, n, r, loss, grad);
    case LOSSOPT_LOSS_BCE: return lossopt_bce_f32(input, target, n, weight, r, loss, grad);
    case LOSSOPT_LOSS_BCE_LOGITS:
        return lossopt_bce_logits_f32(input, target, n, weight, param, r, loss, grad);
    case LOSSOPT_LOSS_KIND_COUNT: break;
    }
    return LOSSOPT_ERR_ARG;
}

/* A NaN that no kernel produces: an output a kernel failed to write stays it. */
static void poison(float *p, size_t n)
{
    const uint32_t bits = 0x7fa5a5a5u;
    for (size_t i = 0; i < n; i++)
        memcpy(&p[i], &bits, sizeof bits);
}

static void describe_case(const loss_case *c, char *buffer, size_t size)
{
    snprintf(buffer, size, "case %d (%s n=%zu param=%g%s)", c->index, loss_names[c->kind], c->n,
             (double)c->param, c->weighted ? " weighted" : "");
}

/* Per-element losses (NONE) against the float64 reference and PyTorch. */
static void check_values(const loss_case *c, const float *loss, const char *entry)
{
    family_stats *s = &stats[c->kind];
    char what[96];
    describe_case(c, what, sizeof what);
    size_t failures = 0, first = 0, torch_failures = 0, torch_first = 0;
    for (size_t i = 0; i < c->n; i++) {
        double ours = loss[i], ref = c->ref_loss[i];
        double allowed = value_bound(c, i);
        double error = error_of(ours, ref);
        note_error(&s->value, error / allowed, error / ref_ulp_at(ref), c, R_NONE, i, entry);
        s->max_value_ulps = fmax(s->max_value_ulps, error / ref_ulp_at(ref));
        if (!(error <= allowed) && failures++ == 0)
            first = i;
        if (!c->torch)
            continue;
        double torch = c->torch_loss_none[i];
        double scale = fmax(fabs(torch), c->torch_term[i]);
        double torch_error = error_of(ours, torch);
        double torch_allowed = TORCH_RELATIVE * scale;
        note_error(&s->torch, ratio_of(torch_error, torch_allowed), ratio_of(torch_error, scale),
                   c, R_NONE, i, entry);
        if (!(torch_error <= torch_allowed) && torch_failures++ == 0)
            torch_first = i;
    }
    if (failures > 0) {
        size_t i = first;
        double ref = c->ref_loss[i], error = error_of(loss[i], ref);
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
static void check_reduced(const loss_case *c, int reduction, float ours, const char *entry)
{
    family_stats *s = &stats[c->kind];
    char what[96];
    describe_case(c, what, sizeof what);
    double n = (double)c->n;
    double ref = reduction == R_MEAN ? c->ref_sum / n : c->ref_sum;
    double error = error_of(ours, ref);
    double allowed = REDUCED_RELATIVE * fabs(ref);
    double relative = ratio_of(error, fabs(ref));
    note_error(&s->reduced, relative / REDUCED_RELATIVE, relative, c, reduction, 0, entry);
    test_check(error <= allowed,
               "%s %s %s: loss = %.9g, float64 reference %.17g: relative error %.3g > %.0e",
               what, reduction_names[reduction], entry, (double)ours, ref, relative,
               REDUCED_RELATIVE);
    if (!c->torch)
        return;
    double terms = 0.0;
    for (size_t i = 0; i < c->n; i++)
        terms += c->torch_term[i];
    if (reduction == R_MEAN)
        terms /= n;
    double torch = c->torch_loss_reduced[reduction];
    double scale = fmax(fabs(torch), terms);
    double torch_error = error_of(ours, torch);
    note_error(&s->torch, ratio_of(torch_error, TORCH_RELATIVE * scale),
               ratio_of(torch_error, scale), c, reduction, 0, entry);
    test_check(torch_error <= TORCH_RELATIVE * scale,
               "%s %s %s: loss = %.9g, PyTorch %.9g: differs by more than %.0e of %.9g", what,
               reduction_names[reduction], entry, (double)ours, torch, TORCH_RELATIVE, scale);
}

/* The gradient against the float64 reference and PyTorch. */
static void check_gradient(const loss_case *c, int reduction, const float *grad, const char *entry)
{
    family_stats *s = &stats[c->kind];
    char what[96];
    describe_case(c, what, sizeof what);
    double scale = reduction == R_MEAN ? 1.0 / (double)c->n : 1.0;
    /* Plain comparisons rather than fmax: GCC 12's AArch64 vectorizer crashes
     * (internal compiler error) on this loop written as an fmax reduction. */
    double largest = 0.0, torch_largest = 0.0;
    for (size_t i = 0; i < c->n; i++) {
        double g = fabs(c->ref_grad[i] * scale);
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
        double error = error_of(ours, ref);
        note_error(&s->grad, error / allowed, error / ref_ulp_at(ref), c, reduction, i, entry);
        if (!(error <= allowed) && failures++ == 0)
            first = i;
        if (!c->torch)
            continue;
        if (torch_gradient_differs_by_design(c, i))
            continue;
        double torch_error = error_of(ours, c->torch_grad[reduction][i]);
        double torch_allowed = TORCH_RELATIVE * torch_largest;
        note_error(&s->torch, ratio_of(torch_error, torch_allowed),
                   ratio_of(torch_error, torch_largest), c, reduction, i, entry);
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
                   what, reduction_names[reduction], entry, i, (double)grad[i], ref,
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
               what, reduction_names[reduction], entry, i, (double)grad[i],
               (double)c->torch_grad[reduction][i], TORCH_RELATIVE, torch_largest, torch_failures,
               c->n);
}

/* The scalar oracle's outputs of the current case, per reduction. */
static float oracle_loss[R_COUNT][MAX_ELEMENTS], oracle_grad[R_COUNT][MAX_ELEMENTS];

static void check_same_bits(const loss_case *c, int reduction, const char *entry, const char *array,
                            const float *ours, const float *oracle, size_t count,
                            const char *oracle_name)
{
    size_t i = test_first_difference(ours, oracle, count);
    char what[96];
    describe_case(c, what, sizeof what);
    test_check(i == count, "%s %s %s: %s[%zu] = %a differs from the %s's %a", what,
               reduction_names[reduction], entry, array, i, i < count ? (double)ours[i] : 0.0,
               oracle_name, i < count ? (double)oracle[i] : 0.0);
}

/* Runs one case on one entry (an ISA or the public API), every reduction. */
static void run_entry_on_case(const loss_case *c, int entry, const work_buffers *b)
{
    size_t n = c->n;
    char name[32];
    entry_name(entry, name, sizeof name);
    char what[96];
    describe_case(c, what, sizeof what);
    const float *input = tail(b->input, n), *target = tail(b->target, n);
    const float *weight = c->weighted ? tail(b->weight, n) : NULL;
    float *grad = tail(b->grad, n);
    for (int reduction = 0; reduction < R_COUNT; reduction++) {
        lossopt_reduction r = reduction_values[reduction];
        size_t loss_count = reduction == R_NONE ? n : 1;
        float *loss = reduction == R_NONE ? tail(b->loss, n) : b->reduced;
        poison(loss, loss_count);
        poison(grad, n);
        lossopt_status status =
            run_loss(entry, c->kind, input, target, weight, n, c->param, r, loss, grad);
        if (!test_check(status == LOSSOPT_OK, "%s %s %s: status %s", what,
                        reduction_names[reduction], name, lossopt_status_string(status)))
            continue;
        if (reduction == R_NONE)
            check_values(c, loss, name);
        else
            check_reduced(c, reduction, loss[0], name);
        check_gradient(c, reduction, grad, name);
        if (entry == LOSSOPT_ISA_SCALAR) {
            memcpy(oracle_loss[reduction], loss, loss_count * sizeof(float));
            memcpy(oracle_grad[reduction], grad, n * sizeof(float));
            continue;
        }
        check_same_bits(c, reduction, name, "loss", loss, oracle_loss[reduction], loss_count,
                        "scalar oracle");
        check_same_bits(c, reduction, name, "grad", grad, oracle_grad[reduction], n,
                        "scalar oracle");
        if (entry != PUBLIC_API)
            continue;
        /* The loss only, then the gradient only: the same bits in each output. */
        poison(loss, loss_count);
        status = run_loss(entry, c->kind, input, target, weight, n, c->param, r, loss, NULL);
        if (test_check(status == LOSSOPT_OK, "%s %s %s loss only: status %s", what,
                       reduction_names[reduction], name, lossopt_status_string(status)))
            check_same_bits(c, reduction, name, "loss (loss only)", loss,
                            oracle_loss[reduction], loss_count, "scalar oracle");
        poison(grad, n);
        status = run_loss(entry, c->kind, input, target, weight, n, c->param, r, NULL, grad);
        if (test_check(status == LOSSOPT_OK, "%s %s %s grad only: status %s", what,
                       reduction_names[reduction], name, lossopt_status_string(status)))
            check_same_bits(c, reduction, name, "grad (grad only)", grad,
                            oracle_grad[reduction], n, "scalar oracle");
    }
}

static void check_case(loss_case *c, const work_buffers *b)
{
    char what[96];
    describe_case(c, what, sizeof what);
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
        test_check(fabs(sum - c->ref_sum) <= 1e-12 * magnitude,
                   "%s: ref_sum %.17g is not the sum of ref_loss (%.17g)", what, c->ref_sum, sum);
    }
    term_magnitudes(c);
    size_t n = c->n;
    for (size_t i = 0; c->torch && i < n; i++)
        stats[c->kind].torch_skipped += torch_gradient_differs_by_design(c, i);
    memcpy(tail(b->input, n), c->input, n * sizeof(float));
    memcpy(tail(b->target, n), c->target, n * sizeof(float));
    if (c->weighted)
        memcpy(tail(b->weight, n), c->weight, n * sizeof(float));
    /* The scalar oracle first: the others are compared with it bitwise. */
    run_entry_on_case(c, LOSSOPT_ISA_SCALAR, b);
    unsigned vector = test_vector_isas();
    for (int isa = LOSSOPT_ISA_SCALAR + 1; isa <= LOSSOPT_ISA_NEON; isa++)
        if (vector & (1u << isa))
            run_entry_on_case(c, isa, b);
    run_entry_on_case(c, PUBLIC_API, b);
    /* The inputs must be untouched. */
    test_check(test_first_difference(tail(b->input, n), c->input, n) == n &&
                   test_first_difference(tail(b->target, n), c->target, n) == n &&
                   (!c->weighted || test_first_difference(tail(b->weight, n), c->weight, n) == n),
               "%s: an input buffer was written", what);
    stats[c->kind].cases++;
    stats[c->kind].elements += (long)n;
}

/* Parses and checks the whole file; false after a parse error. */
/* One case of the file (cursor after the word "case"): parsed and checked. */
static bool read_case(ref_reader *r, char *cursor, long index, const void *buffers)
{
    static loss_case c; /* static: large */
    if (!parse_case_line(r, cursor, &c))
        return false;
    if (c.index != index)
        return ref_error(r, "cases are not numbered in order", NULL);
    if (!parse_case_body(r, &c))
        return false;
    check_case(&c, buffers);
    return true;
}

static bool check_file(ref_reader *r, const work_buffers *b)
{
    return ref_read_case_file(r, "lossopt-loss-reference 1", "test_loss_torch_parity", read_case,
                              b);
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
static void check_infinite_logits(const work_buffers *b)
{
    enum { N = 24 };
    static const float x_pattern[6] = {INFINITY,  INFINITY,  INFINITY,
                                       -INFINITY, -INFINITY, -INFINITY};
    static const float y_pattern[6] = {0.0f, 1.0f, 0.3f, 0.0f, 1.0f, 0.3f};
    static const float weight_cycle[7] = {0.5f, 2.0f, 1.5f, 0.25f, 1.0f, 3.0f, 4.0f};
    static const float pos_weights[4] = {1.0f, 0.5f, 3.0f, 0.0f};
    float *x = tail(b->input, N), *y = tail(b->target, N), *w = tail(b->weight, N);
    for (int i = 0; i < N; i++) {
        x[i] = x_pattern[i % 6];
        y[i] = y_pattern[i % 6];
        w[i] = weight_cycle[i % 7];
    }
    unsigned supported = lossopt_supported_isas();
    long checked = 0;
    for (int p = 0; p < 4; p++) {
        float pw = pos_weights[p];
        for (int weighted = 0; weighted <= 1; weighted++) {
            for (int reduction = 0; reduction < R_COUNT; reduction++) {
                lossopt_reduction r = reduction_values[reduction];
                double scale = reduction == R_MEAN ? 1.0 / N : 1.0;
                double limit_loss[N], limit_grad[N], largest = 0.0;
                bool any_infinite = false;
                for (int i = 0; i < N; i++) {
                    double wi = weighted ? w[i] : 1.0, yi = y[i];
                    bool infinite = x[i] > 0 ? yi != 1.0 : (double)pw * yi != 0.0;
                    limit_loss[i] = infinite ? INFINITY : 0.0;
                    any_infinite |= infinite;
                    limit_grad[i] = wi * (x[i] > 0 ? 1.0 - yi : -(double)pw * yi) * scale;
                    largest = fmax(largest, fabs(limit_grad[i]));
                }
                for (int entry = LOSSOPT_ISA_SCALAR; entry <= LOSSOPT_ISA_NEON + 1; entry++) {
                    int isa = entry <= LOSSOPT_ISA_NEON ? entry : PUBLIC_API;
                    if (isa != PUBLIC_API && !(supported & (1u << isa)))
                        continue;
                    char name[32];
                    entry_name(isa, name, sizeof name);
                    float *loss = reduction == R_NONE ? tail(b->loss, N) : b->reduced;
                    float *grad = tail(b->grad, N);
                    poison(loss, reduction == R_NONE ? N : 1);
                    poison(grad, N);
                    lossopt_status status =
                        run_loss(isa, LOSSOPT_LOSS_BCE_LOGITS, x, y, weighted ? w : NULL, N, pw,
                                 r, loss, grad);
                    if (!test_check(status == LOSSOPT_OK,
                                    "bce_logits at +-inf, pos_weight %g %s %s %s: status %s",
                                    (double)pw, weighted ? "weighted" : "unweighted",
                                    reduction_names[reduction], name,
                                    lossopt_status_string(status)))
                        continue;
                    for (int i = 0; i < (reduction == R_NONE ? N : 1); i++) {
                        double expected = reduction == R_NONE ? limit_loss[i]
                                                              : (any_infinite ? INFINITY : 0.0);
                        test_check(loss[i] == expected,
                                   "bce_logits at x = %g, y = %g, pos_weight %g, %s %s %s: "
                                   "loss[%d] = %.9g, the limit is %g (PyTorch: NaN or inf)",
                                   (double)x[i], (double)y[i], (double)pw,
                                   weighted ? "weighted" : "unweighted",
                                   reduction_names[reduction], name, i, (double)loss[i], expected);
                    }
                    for (int i = 0; i < N; i++) {
                        bool exact = reduction != R_MEAN && (y[i] == 0.0f || y[i] == 1.0f);
                        double error = error_of(grad[i], limit_grad[i]);
                        double allowed = exact ? 0.0
                                               : fmax(GRAD_ULPS * ref_ulp_at(limit_grad[i]),
                                                      GRAD_FRACTION_OF_MAX * largest);
                        test_check(error <= allowed,
                                   "bce_logits at x = %g, y = %g, weight %g, pos_weight %g, %s %s: "
                                   "grad[%d] = %.9g, the limit is %.9g (%s)",
                                   (double)x[i], (double)y[i], weighted ? (double)w[i] : 1.0,
                                   (double)pw, reduction_names[reduction], name, i,
                                   (double)grad[i], limit_grad[i],
                                   exact ? "must be exact" : "2 ulp or 2^-20 of the largest");
                    }
                    checked++;
                }
            }
        }
    }
    printf("test_loss_torch_parity: bce_logits at +-inf logits (PyTorch: NaN): %ld runs checked "
           "against the limits\n", checked);
}

/* ---- main ---------------------------------------------------------------------- */

static void print_summary(void)
{
    printf("test_loss_torch_parity: largest errors per loss; \"of bound\" = error / allowed "
           "error, <= 1 passes\n");
    for (int k = 0; k < LOSSOPT_LOSS_KIND_COUNT; k++) {
        const family_stats *s = &stats[k];
        if (s->cases == 0) {
            printf("  %-13s no cases\n", loss_names[k]);
            continue;
        }
        const worst_error *v = &s->value, *d = &s->reduced, *g = &s->grad, *t = &s->torch;
        printf("  %-13s %ld cases, %ld elements\n", loss_names[k], s->cases, s->elements);
        printf("    values  (2 ulp + 1 ulp(M)): max %.3f ulp; worst %.3f of bound at case %d "
               "[%zu] (%.3f ulp)\n",
               s->max_value_ulps, v->ratio, v->case_index, v->element, v->measure);
        printf("    reduced (1e-6 relative):    max %.3g relative at case %d %s\n", d->measure,
               d->case_index, reduction_names[d->reduction]);
        printf("    grads   (2 ulp or 2^-20 max|g|): worst %.3f of bound at case %d %s [%zu] "
               "(%.3f ulp)\n",
               g->ratio, g->case_index, reduction_names[g->reduction], g->element, g->measure);
        if (t->seen)
            printf("    PyTorch (1e-5, loose):      max %.3g relative at case %d %s [%zu]\n",
                   t->measure, t->case_index, reduction_names[t->reduction], t->element);
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
    test_init("test_loss_torch_parity");
    test_skip_unless_forced_isa_supported();
    work_buffers b = {
        test_guarded_alloc(MAX_ELEMENTS), test_guarded_alloc(MAX_ELEMENTS),
        test_guarded_alloc(MAX_ELEMENTS), test_guarded_alloc(MAX_ELEMENTS),
        test_guarded_alloc(MAX_ELEMENTS), test_guarded_alloc(1)};
    check_infinite_logits(&b);
    if (argc < 2) {
        test_check(false, "usage: %s loss_reference.txt (the reference data is missing)", argv[0]);
        return test_finish();
    }
    static char line[LINE_CAPACITY]; /* static: large */
    ref_reader r;
    if (!ref_open(&r, argv[1], line, sizeof line))
        return test_finish();
    bool ok = check_file(&r, &b);
    ref_close(&r);

    unsigned supported = lossopt_supported_isas();
    printf("test_loss_torch_parity: ISAs checked:");
    for (int isa = LOSSOPT_ISA_SCALAR; isa <= LOSSOPT_ISA_NEON; isa++)
        if (supported & (1u << isa))
            printf(" %s", lossopt_isa_name((lossopt_isa)isa));
    printf(" + public API (%s)\n", lossopt_isa_name(lossopt_active_isa()));
    if (ok)
        print_summary();
    test_guarded_free(b.input);
    test_guarded_free(b.target);
    test_guarded_free(b.weight);
    test_guarded_free(b.loss);
    test_guarded_free(b.grad);
    test_guarded_free(b.reduced);
    return test_finish();
}
