/* tests/test_loss3_torch_parity.c - margin_ranking and gaussian_nll against
 * PyTorch 1.13 (tests/reference/loss3_reference.txt, written by
 * make_torch_loss3_reference.py: float32 inputs, PyTorch's float32 losses and
 * both autograd gradients, a float64 reference). Every implementation (the
 * oracle, every vector ISA, the emulated AVX-512 table, the public API) on
 * guard-page buffers, the oracle's bits everywhere (parity_common.c); the
 * two gradients travel in one buffer of 2n (grad_a, then grad_b).
 *
 * Bounds (include/lossopt.h):
 *   values     margin_ranking: 2 ulp of the float64 value, plus 2^-44 of
 *              |y (x1 - x2)| + |margin| (the compensated tail's leftover);
 *              gaussian_nll: 2 ulp of the largest of |value|, |0.5 log v|,
 *              (x - t)^2 / (2v) and (full) 0.5 log(2 pi)
 *   reduced    1e-6 of the sum of |values| (gaussian_nll's terms have mixed signs)
 *   gradients  2 ulp, or 2^-20 of the element's largest term (grad_var:
 *              0.5 r max(1/v, d^2/v^2)); margin_ranking's are -y c and y c
 *   PyTorch    loose, 1e-5 of max(|torch|, T): T = |y (x1 - x2)| + |margin|
 *              (PyTorch rounds d = x1 - x2 before the sum) or gaussian_nll's
 *              largest term; gradients of margin_ranking where |m| <= 1e-5 T
 *              are not compared (PyTorch's rounded m may take the other side
 *              of 0 there).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "loss_cases.h"
#include "parity_common.h"

#define MAX_ELEMENTS 4096
#define LINE_CAPACITY (64 + 17 * MAX_ELEMENTS)
#define TORCH_RELATIVE 1e-5

typedef struct case3 {
    int index;
    loss3_case kind;
    size_t n;
    float a[MAX_ELEMENTS], b[MAX_ELEMENTS], c[MAX_ELEMENTS];
    float torch_loss_none[MAX_ELEMENTS], torch_loss_reduced[PARITY_REDUCTIONS];
    float torch_grad_a[PARITY_REDUCTIONS][MAX_ELEMENTS], torch_grad_b[PARITY_REDUCTIONS][MAX_ELEMENTS];
    double ref_loss[MAX_ELEMENTS], ref_ga[MAX_ELEMENTS], ref_gb[MAX_ELEMENTS], ref_sum;
    double term[MAX_ELEMENTS];      /* the value's magnitude for the bounds */
    double grad_b_term[MAX_ELEMENTS]; /* grad_var's largest term (r = 1)   */
    double m[MAX_ELEMENTS];         /* margin_ranking: m in double          */
    const float *staged[3];
} case3;

static struct {
    long cases, elements;
    parity_worst value, reduced, grad, torch;
} stats[LOSSOPT_LOSS3_KIND_COUNT];
static const char *const names[LOSSOPT_LOSS3_KIND_COUNT] = {"margin_ranking", "gaussian_nll"};

static void describe(const void *p, char *buffer, size_t size)
{
    const case3 *c = p;
    snprintf(buffer, size, "case %d %s n=%zu", c->index, loss3_case_describe(&c->kind), c->n);
}

static lossopt_status run(const variant *v, const void *p, int reduction, float *loss, float *grad)
{
    const case3 *c = p;
    return loss3_case_run(&c->kind, v->public_api, v->table, c->staged[0], c->staged[1],
                          c->staged[2], c->n, parity_reductions[reduction], loss, grad,
                          grad ? grad + c->n : NULL);
}

static void check(const void *p, int reduction, const float *loss, const float *grad,
                  const char *what, const char *entry)
{
    const case3 *c = p;
    bool margin = c->kind.kind == LOSSOPT_LOSS3_MARGIN_RANKING;
    double n = (double)c->n, r = reduction == PARITY_MEAN ? 1.0 / n : 1.0;
    int kind = c->kind.kind;
    if (reduction == PARITY_NONE) {
        for (size_t i = 0; i < c->n; i++) {
            double ref = c->ref_loss[i], error = parity_error(loss[i], ref);
            double allowed = margin ? 2 * ref_ulp_at(ref) + 0x1p-44 * c->term[i]
                                    : 2 * ref_ulp_at(c->term[i]);
            parity_note(&stats[kind].value, parity_ratio(error, allowed),
                        error / ref_ulp_at(margin ? ref : c->term[i]), "%s %s [%zu]", what,
                        entry, i);
            test_check(error <= allowed, "%s %s: loss[%zu] = %.9g, float64 %.17g (%a %a %a)",
                       what, entry, i, (double)loss[i], ref, c->a[i], c->b[i], c->c[i]);
            double torch = c->torch_loss_none[i], scale = fmax(fabs(torch), c->term[i]);
            double torch_error = parity_error(loss[i], torch);
            parity_note(&stats[kind].torch, parity_ratio(torch_error, TORCH_RELATIVE * scale),
                        parity_ratio(torch_error, scale), "%s %s loss[%zu]", what, entry, i);
            test_check(torch_error <= TORCH_RELATIVE * scale,
                       "%s %s: loss[%zu] = %.9g, PyTorch %.9g", what, entry, i, (double)loss[i],
                       torch);
        }
    } else {
        double ref = reduction == PARITY_MEAN ? c->ref_sum / n : c->ref_sum, magnitude = 0;
        for (size_t i = 0; i < c->n; i++)
            magnitude += fabs(c->ref_loss[i]);
        magnitude *= r;
        double error = parity_error(loss[0], ref);
        parity_note(&stats[kind].reduced, parity_ratio(error, 1e-6 * magnitude),
                    parity_ratio(error, magnitude), "%s %s %s", what,
                    parity_reduction_names[reduction], entry);
        test_check(error <= 1e-6 * magnitude, "%s %s %s: loss %.9g, float64 %.17g", what,
                   parity_reduction_names[reduction], entry, (double)loss[0], ref);
        double terms = 0;
        for (size_t i = 0; i < c->n; i++)
            terms += c->term[i];
        double torch = c->torch_loss_reduced[reduction];
        double scale = fmax(fabs(torch), terms * r);
        double torch_error = parity_error(loss[0], torch);
        parity_note(&stats[kind].torch, parity_ratio(torch_error, TORCH_RELATIVE * scale),
                    parity_ratio(torch_error, scale), "%s %s %s", what,
                    parity_reduction_names[reduction], entry);
        test_check(torch_error <= TORCH_RELATIVE * scale, "%s %s %s: loss %.9g, PyTorch %.9g",
                   what, parity_reduction_names[reduction], entry, (double)loss[0], torch);
    }
    /* PyTorch's 'sum' gradients are its 'none' ones (the generator checks) */
    int torch_reduction = reduction == PARITY_MEAN ? PARITY_MEAN : PARITY_NONE;
    for (int k = 0; k < 2; k++) {
        const double *ref_grad = k ? c->ref_gb : c->ref_ga;
        const float *torch_grad = k ? c->torch_grad_b[torch_reduction] : c->torch_grad_a[torch_reduction];
        const float *ours = grad + (k ? c->n : 0);
        for (size_t i = 0; i < c->n; i++) {
            double ref = ref_grad[i] * r, error = parity_error(ours[i], ref);
            double term = margin ? fabs(ref) : (k ? c->grad_b_term[i] * r : fabs(ref));
            double allowed = fmax(2 * ref_ulp_at(ref), 0x1p-20 * term);
            parity_note(&stats[kind].grad, parity_ratio(error, allowed),
                        error / ref_ulp_at(ref), "%s %s %s grad_%c[%zu]", what,
                        parity_reduction_names[reduction], entry, "ab"[k], i);
            test_check(error <= allowed, "%s %s %s: grad_%c[%zu] = %.9g, float64 %.17g", what,
                       parity_reduction_names[reduction], entry, "ab"[k], i, (double)ours[i], ref);
            if (margin && fabs(c->m[i]) <= TORCH_RELATIVE * c->term[i])
                continue;
            double scale = fmax(fabs((double)torch_grad[i]), term);
            double torch_error = parity_error(ours[i], torch_grad[i]);
            parity_note(&stats[kind].torch, parity_ratio(torch_error, TORCH_RELATIVE * scale),
                        parity_ratio(torch_error, scale), "%s %s grad_%c[%zu]", what, entry,
                        "ab"[k], i);
            test_check(torch_error <= TORCH_RELATIVE * scale,
                       "%s %s %s: grad_%c[%zu] = %.9g, PyTorch %.9g", what,
                       parity_reduction_names[reduction], entry, "ab"[k], i, (double)ours[i],
                       (double)torch_grad[i]);
        }
    }
}

static const parity_loss_family family = {MAX_ELEMENTS, 2 * MAX_ELEMENTS, describe, run, check};

static void magnitudes(case3 *c)
{
    double p = c->kind.parameter;
    for (size_t i = 0; i < c->n; i++) {
        double a = c->a[i], b = c->b[i], y = c->c[i];
        if (c->kind.kind == LOSSOPT_LOSS3_MARGIN_RANKING) {
            c->m[i] = -y * (a - b) + p;
            c->term[i] = fabs(y * (a - b)) + fabs(p);
            c->grad_b_term[i] = 0;
        } else {
            double v = fmax(y, p), d = a - b;
            double t = fmax(fabs(0.5 * log(v)), 0.5 * d * d / v);
            if (c->kind.full)
                t = fmax(t, 0.5 * log(2 * 3.14159265358979323846));
            c->term[i] = fmax(t, fabs(c->ref_loss[i]));
            c->grad_b_term[i] = 0.5 * fmax(1 / v, d * d / (v * v));
        }
    }
}

static bool read_case(ref_reader *r, char *cursor, long index, const void *context)
{
    (void)context;
    static case3 c;
    long n, file_index;
    if (!ref_parse_long(ref_next_token(&cursor), 0, 1000000, &file_index) || file_index != index)
        return ref_error(r, "expected the case's index, in order", NULL);
    const char *name = ref_next_token(&cursor), *text;
    c.index = (int)index;
    if (name && strcmp(name, "margin_ranking") == 0)
        c.kind.kind = LOSSOPT_LOSS3_MARGIN_RANKING;
    else if (name && strcmp(name, "gaussian_nll") == 0)
        c.kind.kind = LOSSOPT_LOSS3_GAUSSIAN_NLL;
    else
        return ref_error(r, "unknown loss", name ? name : "(none)");
    if ((text = ref_expect_option(r, &cursor, "n")) == NULL)
        return false;
    if (!ref_parse_long(text, 1, MAX_ELEMENTS, &n))
        return ref_error(r, "n must be in 1..4096, got", text);
    c.n = (size_t)n;
    if ((text = ref_expect_option(r, &cursor, "param")) == NULL)
        return false;
    if (!ref_parse_hex_float(text, &c.kind.parameter))
        return ref_error(r, "expected 8 hex digits for param, got", text);
    if (!ref_expect_flag(r, &cursor, "full", "1", "0", &c.kind.full))
        return false;
    if (ref_next_token(&cursor) != NULL)
        return ref_error(r, "unexpected text after the case's options", NULL);
    size_t N = c.n;
    if (!ref_expect_values(r, "a", N, c.a, NULL) || !ref_expect_values(r, "b", N, c.b, NULL) ||
        !ref_expect_values(r, "c", N, c.c, NULL) ||
        !ref_expect_values(r, "torch_loss_none", N, c.torch_loss_none, NULL) ||
        !ref_expect_values(r, "torch_loss_mean", 1, &c.torch_loss_reduced[PARITY_MEAN], NULL) ||
        !ref_expect_values(r, "torch_loss_sum", 1, &c.torch_loss_reduced[PARITY_SUM], NULL) ||
        !ref_expect_values(r, "torch_grad_a_none", N, c.torch_grad_a[PARITY_NONE], NULL) ||
        !ref_expect_values(r, "torch_grad_b_none", N, c.torch_grad_b[PARITY_NONE], NULL) ||
        !ref_expect_values(r, "torch_grad_a_mean", N, c.torch_grad_a[PARITY_MEAN], NULL) ||
        !ref_expect_values(r, "torch_grad_b_mean", N, c.torch_grad_b[PARITY_MEAN], NULL) ||
        !ref_expect_values(r, "ref_loss", N, NULL, c.ref_loss) ||
        !ref_expect_values(r, "ref_grad_a", N, NULL, c.ref_ga) ||
        !ref_expect_values(r, "ref_grad_b", N, NULL, c.ref_gb) ||
        !ref_expect_values(r, "ref_sum", 1, NULL, &c.ref_sum))
        return false;
    magnitudes(&c);
    c.staged[0] = parity_stage_input(0, c.a, N * sizeof(float));
    c.staged[1] = parity_stage_input(1, c.b, N * sizeof(float));
    c.staged[2] = parity_stage_input(2, c.c, N * sizeof(float));
    parity_run_loss_case(&family, &c, N, 2 * N);
    char what[96];
    describe(&c, what, sizeof what);
    parity_check_inputs(what);
    stats[c.kind.kind].cases++;
    stats[c.kind.kind].elements += (long)N;
    return true;
}

static bool check_file(ref_reader *r)
{
    return ref_read_case_file(r, "lossopt-loss3-reference 1", parity_name(), read_case, NULL);
}

static void report(void)
{
    printf("test_loss3_torch_parity: largest errors; \"of bound\" = error / allowed, <= 1 passes\n");
    for (int k = 0; k < LOSSOPT_LOSS3_KIND_COUNT; k++) {
        printf("  %-15s %ld cases, %ld elements\n", names[k], stats[k].cases, stats[k].elements);
        parity_print_worst("    ", "values   ", &stats[k].value, "ulp");
        parity_print_worst("    ", "reduced  ", &stats[k].reduced, "relative");
        parity_print_worst("    ", "grads    ", &stats[k].grad, "ulp");
        parity_print_worst("    ", "PyTorch  ", &stats[k].torch, "relative");
    }
}

int main(int argc, char **argv)
{
    return parity_main(argc, argv, "test_loss3_torch_parity", "loss3_reference.txt",
                       LINE_CAPACITY, check_file, report);
}
