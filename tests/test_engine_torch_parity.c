/* tests/test_engine_torch_parity.c - the engine step against PyTorch 1.13
 * (tests/reference/engine_reference.txt, made by
 * tests/reference/make_torch_engine_reference.py; its header says what each
 * kind of case is):
 *   adamw_master  bf16 grads, f32 master, bf16 copy vs torch.optim.AdamW on
 *                 the master with widened grads, then .to(torch.bfloat16):
 *                 the copy must match bit for bit wherever the master does
 *   clip_sgd      loss_scale + max_grad_norm vs grads / S, then
 *                 clip_grad_norm_, then SGD: the norm within 1e-6 relative
 *   scaler_adam   loss_scale + skip_nonfinite vs GradScaler's semantics
 *                 (grads / S, isfinite over every grad, skip)
 * Each step is replayed from torch's state before it. Bound (SPEC 1.5): every
 * output within 4 ulp of the largest magnitude among its operands (before,
 * after and their difference for the param; the grad too for the states).
 * Runs on the public API (the dispatched ISA; the bitwise tests prove every
 * ISA equal to the oracle). Usage: test_engine_torch_parity <reference file> */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference_reader.h"
#include "scalar/storage16_scalar.h"
#include "test_support.h"

#define MAX_TENSORS 8
#define MAX_N 4096
enum { PARAM, GRAD, EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ, BUFFER_KINDS };
static const char *const buffer_names[BUFFER_KINDS] = {"param", "grad", "exp_avg", "exp_avg_sq",
                                                       "max_exp_avg_sq"};

typedef struct tensor_case {
    long n;
    bool has[BUFFER_KINDS];
    float before[BUFFER_KINDS][MAX_N];
    bool has_after[BUFFER_KINDS];
    float after[BUFFER_KINDS][MAX_N];
    float copy_after[MAX_N];
    bool has_copy;
} tensor_case;

static tensor_case tensors[MAX_TENSORS];
static double worst_ulps;

static int buffer_index(const char *name)
{
    for (int b = 0; b < BUFFER_KINDS; b++)
        if (strcmp(name, buffer_names[b]) == 0)
            return b;
    return -1;
}

/* "<before|after> <buffer> <n values>" lines until the next keyword. */
static bool read_buffers(ref_reader *r, tensor_case *t)
{
    for (;;) {
        char *line = ref_next_line(r);
        if (line == NULL)
            return ref_error(r, "unexpected end of file in a tensor", NULL);
        bool before = strncmp(line, "before ", 7) == 0, after = strncmp(line, "after ", 6) == 0;
        if (!before && !after) { /* the next keyword: give the line back untouched */
            r->pushed_back = true;
            return true;
        }
        char *cursor = line;
        (void)ref_next_token(&cursor);
        char *name = ref_next_token(&cursor);
        bool copy = after && name != NULL && strcmp(name, "copy") == 0;
        int b = name != NULL ? buffer_index(name) : -1;
        if (b < 0 && !copy)
            return ref_error(r, "unknown buffer", name);
        float *values = copy ? t->copy_after : before ? t->before[b] : t->after[b];
        for (long i = 0; i < t->n; i++)
            if (!ref_parse_hex_float(ref_next_token(&cursor), &values[i]))
                return ref_error(r, "bad or missing value in", name);
        if (!ref_expect_end_of_line(r, &cursor, name))
            return false;
        if (copy)
            t->has_copy = true;
        else if (before)
            t->has[b] = true;
        else
            t->has_after[b] = true;
    }
}

/* |got - want| within 4 ulp of the largest operand magnitude. */
static bool within_bound(float got, float want, double operand, const char *what, long i)
{
    if (isnan(want) || isnan(got))
        return test_check(isnan(want) && isnan(got), "%s[%ld]: %a vs torch %a", what, i, got, want);
    double ulp = ref_ulp_at(operand);
    double ulps = fabs((double)got - (double)want) / ulp;
    if (ulps > worst_ulps)
        worst_ulps = ulps;
    return test_check(ulps <= 4.0, "%s[%ld]: %a vs torch %a: %.2f ulp of %g", what, i, got, want, ulps,
                      operand);
}

static double max3(double a, double b, double c) { return fmax(fabs(a), fmax(fabs(b), fabs(c))); }

static bool read_case(ref_reader *r, char *cursor, long index, const void *context)
{
    (void)context;
    char label[32] = "", kind[32] = "";
    char *label_word = ref_next_token(&cursor), *kind_word = ref_next_token(&cursor);
    if (label_word != NULL && kind_word != NULL) { /* the line buffer is reused below */
        snprintf(label, sizeof label, "%s", label_word);
        snprintf(kind, sizeof kind, "%s", kind_word);
    }
    long step = 0, count = 0;
    if (label_word == NULL || kind_word == NULL || strcmp(ref_next_token(&cursor) ? "step" : "", "step") != 0 ||
        !ref_parse_long(ref_next_token(&cursor), 1, 1000000, &step) ||
        strcmp(ref_next_token(&cursor) ? "tensors" : "", "tensors") != 0 ||
        !ref_parse_long(ref_next_token(&cursor), 1, MAX_TENSORS, &count))
        return ref_error(r, "bad case line", kind);
    bool adamw = strcmp(kind, "adamw_master") == 0, clip = strcmp(kind, "clip_sgd") == 0,
         scaler = strcmp(kind, "scaler_adam") == 0;
    if (!adamw && !clip && !scaler)
        return ref_error(r, "unknown kind", kind);
    double lr = 0, beta1 = 0, beta2 = 0, eps = 0, weight_decay = 0, amsgrad = 0, loss_scale = 0,
           max_grad_norm = 0;
    const char *names[] = {"lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad", "loss_scale",
                           "max_grad_norm"};
    double *values[] = {&lr, &beta1, &beta2, &eps, &weight_decay, &amsgrad, &loss_scale, &max_grad_norm};
    for (char *option; (option = ref_next_token(&cursor)) != NULL;) {
        char *equals = strchr(option, '=');
        bool known = false;
        for (size_t k = 0; equals != NULL && k < sizeof names / sizeof names[0]; k++)
            if (strncmp(option, names[k], (size_t)(equals - option)) == 0 &&
                strlen(names[k]) == (size_t)(equals - option))
                known = ref_parse_hex_double(equals + 1, values[k]);
        if (!known)
            return ref_error(r, "bad option", option);
    }
    memset(tensors, 0, sizeof tensors);
    for (long i = 0; i < count; i++) {
        char *line = ref_expect_line(r, "tensor");
        if (line == NULL || !ref_parse_long(ref_next_token(&line), 0, MAX_N, &tensors[i].n) ||
            !read_buffers(r, &tensors[i]))
            return ref_error(r, "bad tensor", label);
    }
    char *line = ref_expect_line(r, "norm");
    double torch_norm;
    if (line == NULL || !ref_parse_hex_double(ref_next_token(&line), &torch_norm))
        return false;
    line = ref_expect_line(r, "skipped");
    long torch_skipped;
    if (line == NULL || !ref_parse_long(ref_next_token(&line), 0, 1, &torch_skipped))
        return false;

    /* Our call: the 'before' buffers, in the case's dtypes. */
    static float param[MAX_TENSORS][MAX_N], state[MAX_TENSORS][3][MAX_N], grad32[MAX_TENSORS][MAX_N];
    static uint16_t grad16[MAX_TENSORS][MAX_N], copy[MAX_TENSORS][MAX_N];
    lossopt_tensor t[MAX_TENSORS];
    for (long i = 0; i < count; i++) {
        tensor_case *c = &tensors[i];
        memcpy(param[i], c->before[PARAM], sizeof(float) * (size_t)c->n);
        for (int k = 0; k < 3; k++) /* PyTorch's state starts at zero */
            for (long e = 0; e < c->n; e++)
                state[i][k][e] = c->has[EXP_AVG + k] ? c->before[EXP_AVG + k][e] : 0.0f;
        for (long e = 0; e < c->n; e++) {
            grad32[i][e] = c->before[GRAD][e];
            grad16[i][e] = (uint16_t)(lossopt_f32_bits(c->before[GRAD][e]) >> 16); /* exact bf16 */
            copy[i][e] = 0xDEAD;
        }
        t[i] = (lossopt_tensor){.param = param[i], .grad = adamw ? (const void *)grad16[i] : grad32[i],
                                .state = {state[i][0], state[i][1], state[i][2]},
                                .param_copy = adamw ? copy[i] : NULL, .n = (size_t)c->n};
    }
    lossopt_precision precision = {.grad = adamw ? LOSSOPT_BF16 : LOSSOPT_F32,
                                   .param_copy = LOSSOPT_BF16};
    lossopt_step_options options = {.precision = &precision, .loss_scale = loss_scale,
                                    .max_grad_norm = max_grad_norm, .skip_nonfinite = scaler};
    lossopt_step_report report;
    lossopt_status status;
    if (clip) {
        lossopt_sgd_config cfg = lossopt_sgd_defaults();
        cfg.lr = lr;
        status = lossopt_sgd_step(&cfg, t, (size_t)count, step, &options, &report);
    } else {
        lossopt_adam_config cfg = {lr, beta1, beta2, eps, weight_decay, adamw, amsgrad != 0, false};
        status = lossopt_adam_step(&cfg, t, (size_t)count, step, &options, &report);
    }
    char what[160];
    snprintf(what, sizeof what, "case %s (%s, step %ld)", label, kind, step);
    test_check(status == LOSSOPT_OK, "%s: status %d", what, status);
    test_check(report.skipped == (torch_skipped == 1), "%s: skipped %d, torch %ld", what, report.skipped,
               torch_skipped);
    if (clip)
        test_check(fabs(report.grad_norm - torch_norm) <= 1e-6 * torch_norm,
                   "%s: norm %.17g, torch's clip_grad_norm_ %.17g", what, report.grad_norm, torch_norm);

    long masters_equal = 0, elements = 0;
    for (long i = 0; i < count; i++) {
        tensor_case *c = &tensors[i];
        char buffer_what[200];
        for (long e = 0; e < c->n; e++) {
            float before = c->before[PARAM][e], want = c->after[PARAM][e], got = param[i][e];
            snprintf(buffer_what, sizeof buffer_what, "%s tensor %ld param", what, i);
            if (!within_bound(got, want, max3(before, want, (double)want - before), buffer_what, e))
                break;
        }
        for (int k = 0; k < 3; k++) {
            if (!c->has_after[EXP_AVG + k])
                continue;
            for (long e = 0; e < c->n; e++) {
                float before = c->has[EXP_AVG + k] ? c->before[EXP_AVG + k][e] : 0.0f;
                float g = c->before[GRAD][e] / (float)(loss_scale > 0 ? loss_scale : 1.0);
                float operand_g = k == 0 ? g : g * g;
                float want = c->after[EXP_AVG + k][e];
                snprintf(buffer_what, sizeof buffer_what, "%s tensor %ld %s", what, i, buffer_names[EXP_AVG + k]);
                if (!within_bound(state[i][k][e], want, fmax(max3(before, want, 0), fabs(operand_g)),
                                  buffer_what, e))
                    break;
            }
        }
        if (adamw) { /* the bf16 copy: torch's bits wherever the master's bits are torch's */
            for (long e = 0; e < c->n; e++) {
                float ours = lossopt_bf16_to_f32(copy[i][e]);
                if (test_same_float(param[i][e], c->after[PARAM][e])) {
                    masters_equal++;
                    if (!test_check(test_same_float(ours, c->copy_after[e]),
                                    "%s tensor %ld copy[%ld]: %a, torch %a", what, i, e, ours,
                                    c->copy_after[e]))
                        break;
                } else if (!test_check(ours == lossopt_bf16_to_f32(lossopt_f32_to_bf16_nearest(param[i][e])),
                                       "%s tensor %ld copy[%ld] is not our master rounded", what, i, e)) {
                    break;
                }
            }
            elements += c->n;
        }
    }
    if (adamw) /* the copy check must not be vacuous */
        test_check(masters_equal > elements / 2, "%s: only %ld of %ld masters bit-equal to torch", what,
                   masters_equal, elements);
    (void)index;
    return true;
}

int main(int argc, char **argv)
{
    test_init("test_engine_torch_parity");
    test_skip_unless_forced_isa_supported();
    if (!test_check(argc == 2, "usage: test_engine_torch_parity <reference file>"))
        return test_finish();
    static char line[1 << 17];
    ref_reader r;
    if (ref_open(&r, argv[1], line, sizeof line)) {
        ref_read_case_file(&r, "lossopt-engine-reference 1", "engine", read_case, NULL);
        ref_close(&r);
    }
    printf("worst error: %.2f ulp of the largest operand (bound 4)\n", worst_ulps);
    return test_finish();
}
