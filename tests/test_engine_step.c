/* tests/test_engine_step.c - the tensor-list steps (include/lossopt.h, "The
 * engine step"), compared with the scalar oracle bit for bit on every ISA.
 *
 *   bitwise     every vector ISA (and the emulated AVX-512 table, and the
 *               public API) against the oracle, for a covering set of
 *               optimizer configs x dtype combinations x options x tensor
 *               layouts (empty tensors, 1-element and odd tails, a tensor cut
 *               into task ranges, a stochastic-rounding index that crosses a
 *               2^32 boundary, a tensor with its own step); every buffer on
 *               guard pages (16-bit ones too), unused state buffers untouched
 *   f32         all-f32 with no options == the _f32 calls, tensor by tensor
 *   conversions f32 -> bf16/f16 param copies of every kind of bit pattern
 *   clip        the multiplier against an independent norm; NaN and inf norms;
 *               non-finite grads vs finite grads whose squares overflow
 *   sr          stochastic rounding: one of the two bf16 neighbours, the mean
 *               within 4 standard errors, seeds differ, shards draw the bits
 *               of the unsharded tensor
 *   threads     1, 2, 3, 8, 16 threads, no pool and a pool that runs tasks in
 *               reverse: identical bits (steps and lossopt_grad_stats)
 *   errors      class-major statuses over lists; nothing written anywhere;
 *               a skipped step writes nothing
 * LOSSOPT_TEST_QUICK=1 (emulators) runs a rotating subset of the bitwise
 * product; LOSSOPT_TEST_NO_GUARD_PAGES=1 puts buffers on the heap. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scalar/storage16_scalar.h"
#include "test_support.h"
#include "test_variants.h"

#define MAX_TENSORS 48
#define BUFFERS 6 /* param, state0..2, grad, copy (kernel_table.h's order) */
enum { B_PARAM = 0, B_STATE0 = 1, B_GRAD = 4, B_COPY = 5 };

static bool quick, guards;

/* ---- optimizer configurations ---------------------------------------------- */

enum { SGD, RMSPROP, ADAM, ADAGRAD, ADAMAX, NADAM, RADAM, LION, LAMB };
typedef struct opt_case {
    int kind;
    const char *name;
    lossopt_sgd_config sgd;
    lossopt_rmsprop_config rmsprop;
    lossopt_adam_config adam;
    lossopt_adagrad_config adagrad;
    lossopt_adamax_config adamax;
    lossopt_nadam_config nadam;
    lossopt_radam_config radam;
    lossopt_lion_config lion;
    lossopt_lamb_config lamb;
    int64_t step_bias; /* added to the call's step (RAdam: past its rectification) */
} opt_case;

/* NAdam's mu_products: tensor i starts from nadam_mu_product(i); each call
 * passes a fresh copy (the update of the copy is tested in
 * test_more_optimizer_rules). */
static double nadam_mu_product(size_t i) { return i % 3 == 0 ? 1.0 : 0.9 / (double)(i + 1); }

static opt_case sgd_case(const char *name, double lr, double momentum, double dampening,
                         double wd, bool nesterov, bool maximize)
{
    opt_case o = {.kind = SGD, .name = name};
    o.sgd = (lossopt_sgd_config){lr, momentum, dampening, wd, nesterov, maximize};
    return o;
}

static opt_case rmsprop_case(const char *name, double lr, double alpha, double eps, double wd,
                             double momentum, bool centered, bool maximize)
{
    opt_case o = {.kind = RMSPROP, .name = name};
    o.rmsprop = (lossopt_rmsprop_config){lr, alpha, eps, wd, momentum, centered, maximize};
    return o;
}

static opt_case adam_case(const char *name, double lr, double beta1, double beta2, double eps,
                          double wd, bool decoupled, bool amsgrad, bool maximize)
{
    opt_case o = {.kind = ADAM, .name = name};
    o.adam = (lossopt_adam_config){lr, beta1, beta2, eps, wd, decoupled, amsgrad, maximize};
    return o;
}

#define OPT_CASES 14
#define LAMB_CASE 12 /* LAMB, weight decay: its norms in the threads check */
static opt_case opt_cases[OPT_CASES];
static void make_opt_cases(void)
{
    opt_cases[0] = sgd_case("sgd", 0.05, 0, 0, 0, false, false);
    opt_cases[1] = sgd_case("sgd-nesterov-wd", 0.05, 0.9, 0, 0.01, true, false);
    opt_cases[2] = rmsprop_case("rmsprop", 0.01, 0.99, 1e-8, 0, 0, false, false);
    opt_cases[3] = rmsprop_case("rmsprop-centered-momentum", 0.01, 0.3, 1e-6, 0.02, 0.8, true, true);
    opt_cases[4] = adam_case("adam", 1e-3, 0.9, 0.999, 1e-8, 0, false, false, false);
    opt_cases[5] = adam_case("adamw-amsgrad", 1e-2, 0.9, 0.99, 1e-8, 0.1, true, true, false);
    opt_cases[6] = adam_case("adam-l2-lerp2-max", 1e-2, 0.4, 0.95, 1e-6, 0.01, false, false, true);
    /* the 0.2 optimizers */
    opt_cases[7] = (opt_case){.kind = ADAGRAD, .name = "adagrad-wd-decay",
                              .adagrad = {0.03, 0.01, 0.02, 0.1, 1e-10, false}};
    opt_cases[8] = (opt_case){.kind = ADAMAX, .name = "adamax-wd-max",
                              .adamax = {2e-3, 0.9, 0.999, 1e-8, 0.013, true}};
    opt_cases[9] = (opt_case){.kind = NADAM, .name = "nadamw",
                              .nadam = {2e-3, 0.9, 0.999, 1e-8, 0.01, 4e-3, true, false}};
    opt_cases[10] = (opt_case){.kind = RADAM, .name = "radam-l2-rectified",
                               .radam = {1e-3, 0.9, 0.99, 1e-8, 0.01, false, false}, .step_bias = 20};
    opt_cases[11] = (opt_case){.kind = LION, .name = "lion-wd-lerp2",
                               .lion = {1e-4, 0.9, 0.4, 0.1, false}};
    opt_cases[LAMB_CASE] = (opt_case){.kind = LAMB, .name = "lamb-clamp",
                                      .lamb = {1e-3, 0.9, 0.999, 1e-6, 0.01, 0.8, true, false, false}};
    opt_cases[13] = (opt_case){.kind = LAMB, .name = "lamb-adapt-nobias-max",
                               .lamb = {1e-2, 0.45, 0.95, 1e-6, 0.0, 0.0, false, true, true}};
}

static unsigned states_used(const opt_case *o)
{
    switch (o->kind) {
    case SGD: return o->sgd.momentum != 0 ? 1u : 0u;
    case RMSPROP: return 1u | (o->rmsprop.centered ? 2u : 0u) | (o->rmsprop.momentum != 0 ? 4u : 0u);
    case ADAM: return 3u | (o->adam.amsgrad ? 4u : 0u);
    case ADAGRAD:
    case LION: return 1u;
    default: return 3u;
    }
}

static lossopt_status call_step(const variant *v, const opt_case *o, lossopt_tensor *t,
                                size_t count, int64_t step, const lossopt_step_options *opt,
                                lossopt_step_report *r)
{
    switch (o->kind) {
    case SGD:
        return v->public_api ? lossopt_sgd_step(&o->sgd, t, count, step, opt, r)
                             : lossopt_sgd_step_with_table(v->table, &o->sgd, t, count, step, opt, r);
    case RMSPROP:
        return v->public_api ? lossopt_rmsprop_step(&o->rmsprop, t, count, step, opt, r)
                             : lossopt_rmsprop_step_with_table(v->table, &o->rmsprop, t, count, step, opt, r);
    case ADAM:
        return v->public_api ? lossopt_adam_step(&o->adam, t, count, step, opt, r)
                             : lossopt_adam_step_with_table(v->table, &o->adam, t, count, step, opt, r);
    }
    if (step >= 1) /* invalid steps stay invalid */
        step += o->step_bias;
    switch (o->kind) {
    case ADAGRAD:
        return v->public_api ? lossopt_adagrad_step(&o->adagrad, t, count, step, opt, r)
                             : lossopt_adagrad_step_with_table(v->table, &o->adagrad, t, count, step, opt, r);
    case ADAMAX:
        return v->public_api ? lossopt_adamax_step(&o->adamax, t, count, step, opt, r)
                             : lossopt_adamax_step_with_table(v->table, &o->adamax, t, count, step, opt, r);
    case NADAM: {
        double mu[MAX_TENSORS];
        for (size_t i = 0; i < count && i < MAX_TENSORS; i++)
            mu[i] = nadam_mu_product(i);
        return v->public_api ? lossopt_nadam_step(&o->nadam, mu, t, count, step, opt, r)
                             : lossopt_nadam_step_with_table(v->table, &o->nadam, mu, t, count, step, opt, r);
    }
    case RADAM:
        return v->public_api ? lossopt_radam_step(&o->radam, t, count, step, opt, r)
                             : lossopt_radam_step_with_table(v->table, &o->radam, t, count, step, opt, r);
    case LION:
        return v->public_api ? lossopt_lion_step(&o->lion, t, count, step, opt, r)
                             : lossopt_lion_step_with_table(v->table, &o->lion, t, count, step, opt, r);
    default:
        return v->public_api ? lossopt_lamb_step(&o->lamb, t, count, step, opt, r)
                             : lossopt_lamb_step_with_table(v->table, &o->lamb, t, count, step, opt, r);
    }
}

/* ---- problems: tensors with their input buffers ----------------------------- */

typedef struct problem {
    size_t count;
    size_t n[MAX_TENSORS];
    int64_t step[MAX_TENSORS];
    uint64_t stream[MAX_TENSORS], offset[MAX_TENSORS];
    bool copy;                     /* every tensor has a param copy */
    lossopt_precision precision;
    unsigned char *input[MAX_TENSORS][BUFFERS];
} problem;

static lossopt_dtype buffer_dtype(const lossopt_precision *p, int b)
{
    return b == B_PARAM ? p->param : b == B_GRAD ? p->grad : b == B_COPY ? p->param_copy : p->state;
}

static size_t dtype_bytes(lossopt_dtype d) { return d == LOSSOPT_F32 ? 4 : 2; }

static size_t buffer_bytes(const problem *pr, size_t i, int b)
{
    return pr->n[i] * dtype_bytes(buffer_dtype(&pr->precision, b));
}

static void store_value(void *buffer, lossopt_dtype d, size_t i, float x)
{
    if (d == LOSSOPT_F32)
        memcpy((unsigned char *)buffer + 4 * i, &x, 4);
    else
        ((uint16_t *)buffer)[i] = d == LOSSOPT_BF16 ? lossopt_f32_to_bf16_nearest(x) : lossopt_f32_to_f16(x);
}

static float load_value(const void *buffer, lossopt_dtype d, size_t i)
{
    float x;
    if (d == LOSSOPT_F32)
        memcpy(&x, (const unsigned char *)buffer + 4 * i, 4);
    else
        x = d == LOSSOPT_BF16 ? lossopt_bf16_to_f32(((const uint16_t *)buffer)[i])
                              : lossopt_f16_to_f32(((const uint16_t *)buffer)[i]);
    return x;
}

/* A value for buffer b: moderate values, now and then an edge case (in range
 * of f16 for f16 buffers, so the edges there are f16's own). */
static float draw_value(int b, lossopt_dtype d)
{
    if (test_random_below(40) == 0) {
        static const float f16_edges[] = {65504.0f, 65519.0f, 65520.0f, -65536.0f, 0x1p-24f,
                                          0x1p-25f, 0x1.8p-25f, 0x1p-14f, 0x1.ffcp-15f, -0.0f};
        if (d == LOSSOPT_F16 && test_random_below(2) == 0)
            return f16_edges[test_random_below(sizeof f16_edges / sizeof f16_edges[0])];
        return test_random_special();
    }
    float x = test_random_uniform(-1.0f, 1.0f);
    if (b == B_STATE0 + 1 || b == B_STATE0 + 2) /* exp_avg_sq-like: >= 0 */
        x = x * x * 0.01f;
    if (b == B_GRAD)
        x *= 4.0f;
    return x;
}

static void problem_fill(problem *pr)
{
    for (size_t i = 0; i < pr->count; i++)
        for (int b = 0; b < BUFFERS; b++) {
            lossopt_dtype d = buffer_dtype(&pr->precision, b);
            pr->input[i][b] = malloc(buffer_bytes(pr, i, b) + 1);
            for (size_t e = 0; e < pr->n[i]; e++)
                store_value(pr->input[i][b], d, e, draw_value(b, d));
        }
}

static void problem_free(problem *pr)
{
    for (size_t i = 0; i < pr->count; i++)
        for (int b = 0; b < BUFFERS; b++)
            free(pr->input[i][b]);
}

/* The outputs of one run: every buffer of every tensor, and the report. */
typedef struct outputs {
    unsigned char *data[MAX_TENSORS][BUFFERS];
    lossopt_status status;
    lossopt_step_report report;
} outputs;

static void outputs_free(outputs *out, size_t count)
{
    for (size_t i = 0; i < count; i++)
        for (int b = 0; b < BUFFERS; b++)
            free(out->data[i][b]);
}

/* Runs one variant on fresh copies of the inputs (on guard pages). */
static outputs run_problem(const problem *pr, const variant *v, const opt_case *o, int64_t step,
                           const lossopt_step_options *options)
{
    outputs out = {0};
    lossopt_tensor t[MAX_TENSORS];
    void *work[MAX_TENSORS][BUFFERS];
    for (size_t i = 0; i < pr->count; i++) {
        for (int b = 0; b < BUFFERS; b++) {
            size_t bytes = buffer_bytes(pr, i, b);
            work[i][b] = guards ? test_guarded_alloc_bytes(bytes) : malloc(bytes + 1);
            memcpy(work[i][b], pr->input[i][b], bytes);
        }
        t[i] = (lossopt_tensor){.param = work[i][B_PARAM], .grad = work[i][B_GRAD],
                                .state = {work[i][1], work[i][2], work[i][3]},
                                .param_copy = pr->copy ? work[i][B_COPY] : NULL,
                                .n = pr->n[i], .step = pr->step[i],
                                .sr_stream = pr->stream[i], .sr_offset = pr->offset[i]};
    }
    lossopt_step_options opt = options ? *options : (lossopt_step_options){0};
    opt.precision = &pr->precision;
    out.report = (lossopt_step_report){-1.0, true, true};
    out.status = call_step(v, o, t, pr->count, step, &opt, &out.report);
    for (size_t i = 0; i < pr->count; i++)
        for (int b = 0; b < BUFFERS; b++) {
            size_t bytes = buffer_bytes(pr, i, b);
            out.data[i][b] = malloc(bytes + 1);
            memcpy(out.data[i][b], work[i][b], bytes);
            if (guards)
                test_guarded_free(work[i][b]);
            else
                free(work[i][b]);
        }
    return out;
}

static bool same_value(const void *a, const void *b, lossopt_dtype d, size_t i)
{
    float x = load_value(a, d, i), y = load_value(b, d, i);
    if (isnan(x) || isnan(y))
        return isnan(x) && isnan(y);
    if (d == LOSSOPT_F32)
        return test_same_float(x, y);
    return ((const uint16_t *)a)[i] == ((const uint16_t *)b)[i];
}

static const char *buffer_name(int b)
{
    static const char *names[BUFFERS] = {"param", "state0", "state1", "state2", "grad", "copy"};
    return names[b];
}

/* Every buffer equal (same bits, or both NaN), and the same status and report. */
static bool same_outputs(const problem *pr, const outputs *a, const outputs *b, const char *what)
{
    bool ok = test_check(a->status == b->status, "%s: status %d vs %d", what, a->status, b->status);
    ok &= test_check(a->report.skipped == b->report.skipped && a->report.nonfinite == b->report.nonfinite &&
                         (memcmp(&a->report.grad_norm, &b->report.grad_norm, sizeof(double)) == 0 ||
                          (isnan(a->report.grad_norm) && isnan(b->report.grad_norm))),
                     "%s: reports differ (norm %.17g vs %.17g)", what, a->report.grad_norm,
                     b->report.grad_norm);
    for (size_t i = 0; ok && i < pr->count; i++)
        for (int b2 = 0; ok && b2 < BUFFERS; b2++) {
            lossopt_dtype d = buffer_dtype(&pr->precision, b2);
            for (size_t e = 0; e < pr->n[i]; e++)
                if (!same_value(a->data[i][b2], b->data[i][b2], d, e)) {
                    ok = test_check(false, "%s: tensor %zu (n %zu) %s[%zu]: %a vs %a", what, i,
                                    pr->n[i], buffer_name(b2), e, load_value(a->data[i][b2], d, e),
                                    load_value(b->data[i][b2], d, e));
                    break;
                }
        }
    return ok;
}

/* Unused buffers (states the config does not use, grad, a missing copy)
 * are byte for byte the inputs. */
static bool untouched(const problem *pr, const outputs *out, unsigned used_states, const char *what)
{
    bool ok = true;
    for (size_t i = 0; i < pr->count; i++)
        for (int b = 0; b < BUFFERS; b++) {
            bool used = b == B_PARAM || (b >= B_STATE0 && b < B_GRAD && ((used_states >> (b - 1)) & 1)) ||
                        (b == B_COPY && pr->copy);
            if (!used && out->status == LOSSOPT_OK && !out->report.skipped)
                ok &= test_check(memcmp(out->data[i][b], pr->input[i][b], buffer_bytes(pr, i, b)) == 0,
                                 "%s: tensor %zu: unused %s written", what, i, buffer_name(b));
        }
    return ok;
}

/* ---- the bitwise product ------------------------------------------------------ */

typedef struct dtype_combo {
    const char *name;
    lossopt_precision precision;
    bool copy;
} dtype_combo;

#define COMBOS 8
static const dtype_combo combos[COMBOS] = {
    {"f32", {LOSSOPT_F32, LOSSOPT_F32, LOSSOPT_F32, LOSSOPT_F32, LOSSOPT_ROUND_NEAREST, 0}, false},
    {"master-f32/bf16-grad/bf16-copy",
     {LOSSOPT_F32, LOSSOPT_BF16, LOSSOPT_F32, LOSSOPT_BF16, LOSSOPT_ROUND_NEAREST, 0}, true},
    {"all-bf16", {LOSSOPT_BF16, LOSSOPT_BF16, LOSSOPT_BF16, LOSSOPT_F32, LOSSOPT_ROUND_NEAREST, 0}, false},
    {"all-bf16-sr", {LOSSOPT_BF16, LOSSOPT_BF16, LOSSOPT_BF16, LOSSOPT_F32, LOSSOPT_ROUND_STOCHASTIC, 7}, false},
    {"master-f32/f16-grad/f16-copy",
     {LOSSOPT_F32, LOSSOPT_F16, LOSSOPT_F32, LOSSOPT_F16, LOSSOPT_ROUND_NEAREST, 0}, true},
    {"all-f16", {LOSSOPT_F16, LOSSOPT_F16, LOSSOPT_F16, LOSSOPT_F32, LOSSOPT_ROUND_NEAREST, 0}, false},
    {"bf16-param-sr/f32-state/f16-copy",
     {LOSSOPT_BF16, LOSSOPT_F32, LOSSOPT_F32, LOSSOPT_F16, LOSSOPT_ROUND_STOCHASTIC, 0x123456789ULL}, true},
    {"f32-param/bf16-state-sr/f32-copy",
     {LOSSOPT_F32, LOSSOPT_BF16, LOSSOPT_BF16, LOSSOPT_F32, LOSSOPT_ROUND_STOCHASTIC, 99}, true},
};

#define OPTION_SETS 5
static lossopt_step_options option_set(int k)
{
    lossopt_step_options o = {0};
    switch (k) {
    case 1: o.loss_scale = 1024.0; break;
    case 2: o.max_grad_norm = 0.5; break;                         /* clips */
    case 3: o.max_grad_norm = 1e9; o.skip_nonfinite = true; break; /* no clip; skip if bad */
    case 4: o.grad_multiplier = 0.25; o.loss_scale = 8.0; o.max_grad_norm = 1.0; break;
    default: break;
    }
    return o;
}

/* Layout 0: small tensors (one task; tails of every width); layout 1: a
 * tensor cut into three task ranges whose stream index crosses 2^32, and a
 * tensor with its own step. */
static void make_layout(problem *pr, int layout)
{
    memset(pr->n, 0, sizeof pr->n);
    memset(pr->step, 0, sizeof pr->step);
    memset(pr->stream, 0, sizeof pr->stream);
    memset(pr->offset, 0, sizeof pr->offset);
    if (layout == 0) {
        static const size_t sizes[] = {0, 1, 3, 13, 255, 256, 257, 4099};
        pr->count = sizeof sizes / sizeof sizes[0];
        for (size_t i = 0; i < pr->count; i++)
            pr->n[i] = sizes[i];
        pr->stream[5] = 0xABCDEF0123ULL;
    } else {
        pr->count = 3;
        pr->n[0] = 2 * 65536 + 77;
        pr->offset[0] = 0xFFFFFF00ULL;
        pr->n[1] = 5;
        pr->step[1] = 3;
        pr->n[2] = 31;
        pr->offset[2] = 0x1FFFFFFF0ULL;
    }
}

static void check_bitwise(void)
{
    variant variants[TEST_MAX_VARIANTS];
    size_t variant_count = test_variants(variants);
    const variant oracle = {false, test_oracle(), "oracle"};
    unsigned long cases = 0;
    for (int layout = 0; layout < 2; layout++)
        for (int oc = 0; oc < OPT_CASES; oc++)
            for (int combo = 0; combo < COMBOS; combo++)
                for (int os = 0; os < OPTION_SETS; os++) {
                    /* full product for small tensors natively; a rotating
                     * option per (config, combo) otherwise */
                    if ((layout == 1 || quick) && os != (oc + combo + layout) % OPTION_SETS)
                        continue;
                    if (quick && layout == 1 && (oc + combo) % 3 != 0)
                        continue;
                    const opt_case *o = &opt_cases[oc];
                    problem pr = {0};
                    make_layout(&pr, layout);
                    pr.precision = combos[combo].precision;
                    pr.copy = combos[combo].copy;
                    if (pr.precision.rounding == LOSSOPT_ROUND_STOCHASTIC && pr.precision.param != LOSSOPT_BF16 &&
                        states_used(o) == 0)
                        continue; /* no bf16 store: ERR_ARG (tested in check_errors) */
                    test_seed_case("bitwise", (uint64_t)(layout * 1000 + oc), (uint64_t)combo, (uint64_t)os);
                    problem_fill(&pr);
                    lossopt_step_options options = option_set(os);
                    int64_t step = 1 + (int64_t)test_random_below(3);
                    outputs want = run_problem(&pr, &oracle, o, step, &options);
                    test_check(want.status == LOSSOPT_OK, "oracle %s %s: status %d", o->name,
                               combos[combo].name, want.status);
                    untouched(&pr, &want, states_used(o), o->name);
                    for (size_t v = 0; v < variant_count; v++) {
                        char what[256];
                        snprintf(what, sizeof what, "%s %s %s options %d layout %d step %lld",
                                 variants[v].name, o->name, combos[combo].name, os, layout,
                                 (long long)step);
                        outputs got = run_problem(&pr, &variants[v], o, step, &options);
                        same_outputs(&pr, &want, &got, what);
                        outputs_free(&got, pr.count);
                    }
                    outputs_free(&want, pr.count);
                    problem_free(&pr);
                    cases++;
                }
    printf("bitwise: %lu cases x %zu variants against the oracle\n", cases, variant_count);
}

/* ---- all-f32 == the _f32 calls ----------------------------------------------- */

static void check_f32_equivalence(void)
{
    for (int oc = 0; oc < OPT_CASES; oc++) {
        const opt_case *o = &opt_cases[oc];
        problem pr = {0};
        make_layout(&pr, 0);
        pr.n[2] = 70000; /* task ranges too */
        test_seed_case("f32-equivalence", (uint64_t)oc, 0, 0);
        problem_fill(&pr);
        int64_t step = 2;
        const variant api = {true, NULL, "public-api"};
        outputs list = run_problem(&pr, &api, o, step, NULL);
        test_check(list.status == LOSSOPT_OK, "%s: list status %d", o->name, list.status);
        for (size_t i = 0; i < pr.count; i++) {
            size_t n = pr.n[i];
            float *b[BUFFERS];
            for (int k = 0; k < BUFFERS; k++) {
                b[k] = malloc(n * 4 + 4);
                memcpy(b[k], pr.input[i][k], n * 4);
            }
            lossopt_status s;
            int64_t own = (pr.step[i] != 0 ? pr.step[i] : step) + (pr.step[i] != 0 ? 0 : o->step_bias);
            double mu = nadam_mu_product(i);
            switch (o->kind) {
            case SGD: s = lossopt_sgd_step_f32(b[0], b[4], b[1], n, &o->sgd, own); break;
            case RMSPROP: s = lossopt_rmsprop_step_f32(b[0], b[4], b[1], b[2], b[3], n, &o->rmsprop); break;
            case ADAM: s = lossopt_adam_step_f32(b[0], b[4], b[1], b[2], b[3], n, &o->adam, own); break;
            case ADAGRAD: s = lossopt_adagrad_step_f32(b[0], b[4], b[1], n, &o->adagrad, own); break;
            case ADAMAX: s = lossopt_adamax_step_f32(b[0], b[4], b[1], b[2], n, &o->adamax, own); break;
            case NADAM: s = lossopt_nadam_step_f32(b[0], b[4], b[1], b[2], &mu, n, &o->nadam, own); break;
            case RADAM: s = lossopt_radam_step_f32(b[0], b[4], b[1], b[2], n, &o->radam, own); break;
            case LION: s = lossopt_lion_step_f32(b[0], b[4], b[1], n, &o->lion, own); break;
            default: s = lossopt_lamb_step_f32(b[0], b[4], b[1], b[2], n, &o->lamb, own); break;
            }
            test_check(s == LOSSOPT_OK, "%s: _f32 status", o->name);
            for (int k = 0; k < BUFFERS; k++) {
                size_t at = test_first_difference(b[k], (const float *)list.data[i][k], n);
                test_check(at == n, "%s: tensor %zu %s[%zu] differs from the _f32 call", o->name, i,
                           buffer_name(k), at);
                free(b[k]);
            }
        }
        outputs_free(&list, pr.count);
        problem_free(&pr);
    }
}

/* ---- conversions: every kind of f32 pattern into bf16 and f16 copies -------------- */

static void check_conversions(void)
{
    variant variants[TEST_MAX_VARIANTS];
    size_t variant_count = test_variants(variants);
    const variant oracle = {false, test_oracle(), "oracle"};
    opt_case identity = sgd_case("sgd-lr0", 0.0, 0, 0, 0, false, false); /* param = fma(-0, +0, p) = p */
    for (int copy_dtype = LOSSOPT_BF16; copy_dtype <= LOSSOPT_F16; copy_dtype++) {
        problem pr = {0};
        pr.count = 1;
        pr.n[0] = quick ? 20000 : 300000;
        pr.copy = true;
        pr.precision.param_copy = (lossopt_dtype)copy_dtype;
        test_seed_case("conversions", (uint64_t)copy_dtype, 0, 0);
        problem_fill(&pr);
        float *param = (float *)pr.input[0][B_PARAM];
        float *grad = (float *)pr.input[0][B_GRAD];
        for (size_t e = 0; e < pr.n[0]; e++) {
            uint32_t bits = test_random_u32();
            if (e % 4 == 1) /* near f16's range and precision edges */
                bits = 0x33000000u + (bits % (0x47800000u - 0x33000000u + 0x100000u));
            if (e % 4 == 2) /* round-half cases: low halves 0x8000 / 0x7FFF / 0x8001 */
                bits = (bits & 0xFFFF0000u) | (0x7FFFu + (bits & 3u));
            if (e % 4 == 3) /* f16 halfway cases */
                bits = (bits & 0xFFFFE000u) | 0x1000u;
            memcpy(&param[e], &bits, 4);
            grad[e] = 0.0f;
        }
        outputs want = run_problem(&pr, &oracle, &identity, 1, NULL);
        for (size_t e = 0; e < pr.n[0]; e++) { /* the oracle's copy is the literal conversion */
            uint16_t h = ((const uint16_t *)want.data[0][B_COPY])[e];
            uint16_t expect = copy_dtype == LOSSOPT_BF16 ? lossopt_f32_to_bf16_nearest(param[e])
                                                         : lossopt_f32_to_f16(param[e]);
            if (!test_check(h == expect || (isnan(param[e]) && h == expect), "oracle copy[%zu]", e))
                break;
        }
        for (size_t v = 0; v < variant_count; v++) {
            char what[128];
            snprintf(what, sizeof what, "%s conversions to %s", variants[v].name,
                     copy_dtype == LOSSOPT_BF16 ? "bf16" : "f16");
            outputs got = run_problem(&pr, &variants[v], &identity, 1, NULL);
            same_outputs(&pr, &want, &got, what);
            outputs_free(&got, 1);
        }
        outputs_free(&want, 1);
        problem_free(&pr);
    }
    /* the literal conversions themselves, against known values */
    test_check(lossopt_f32_to_f16(65504.0f) == 0x7BFF && lossopt_f32_to_f16(65519.996f) == 0x7BFF &&
                   lossopt_f32_to_f16(65520.0f) == 0x7C00 && lossopt_f32_to_f16(0x1p-24f) == 0x0001 &&
                   lossopt_f32_to_f16(0x1p-25f) == 0x0000 && lossopt_f32_to_f16(0x1.000002p-25f) == 0x0001 &&
                   lossopt_f32_to_f16(0x1.8p-24f) == 0x0002 && lossopt_f32_to_f16(-0x1p-14f) == 0x8400 &&
                   lossopt_f32_to_f16(1.0f + 0x1p-11f) == 0x3C00 &&
                   lossopt_f32_to_f16(1.0f + 0x3p-11f) == 0x3C02,
               "f16 rounding edges");
    test_check(lossopt_f32_to_bf16_nearest(1.0f + 0x1p-8f) == 0x3F80 &&
                   lossopt_f32_to_bf16_nearest(1.0f + 0x3p-8f) == 0x3F82 &&
                   lossopt_f32_to_bf16_nearest(0x1.fffffep127f) == 0x7F80 &&
                   lossopt_f32_to_bf16_nearest(0x1p-149f) == 0x0000 &&
                   lossopt_f32_to_bf16_nearest(-NAN) == 0xFFC0,
               "bf16 rounding edges");
    for (uint32_t h = 0; h < 0x10000u; h++) { /* f16 -> f32 -> f16 is the identity (NaN: quieted) */
        uint16_t back = lossopt_f32_to_f16(lossopt_f16_to_f32((uint16_t)h));
        bool nan = (h & 0x7C00u) == 0x7C00u && (h & 0x3FFu);
        if (!test_check(back == (nan ? (h | 0x200u) : h), "f16 %04x round trip gives %04x", h, back))
            break;
    }
}

/* ---- clipping, unscaling, the statistics pass --------------------------------- */

static void check_clip(void)
{
    /* SGD lr 1 from param 0: param = -(g * m), so m can be read off */
    opt_case sgd = sgd_case("sgd-lr1", 1.0, 0, 0, 0, false, false);
    const variant api = {true, NULL, "public-api"};
    problem pr = {0};
    pr.count = 3;
    pr.n[0] = 1000;
    pr.n[1] = 70001;
    pr.n[2] = 7;
    test_seed_case("clip", 0, 0, 0);
    problem_fill(&pr);
    long double exact = 0;
    for (size_t i = 0; i < pr.count; i++) {
        float *p = (float *)pr.input[i][B_PARAM], *g = (float *)pr.input[i][B_GRAD];
        for (size_t e = 0; e < pr.n[i]; e++) {
            p[e] = 0.0f;
            g[e] = test_random_uniform(-2.0f, 2.0f);
            exact += (long double)g[e] * g[e];
        }
    }
    lossopt_step_options o = {.loss_scale = 64.0, .grad_multiplier = 0.5, .max_grad_norm = 0.25};
    outputs out = run_problem(&pr, &api, &sgd, 1, &o);
    double norm = (double)(sqrtl(exact) * 0.5L / 64.0L);
    test_check(fabs(out.report.grad_norm - norm) <= 1e-6 * norm, "grad_norm %.17g vs %.17g",
               out.report.grad_norm, norm);
    float m = (float)(0.5 / 64.0 * (0.25 / (out.report.grad_norm + 1e-6)));
    bool ok = true;
    for (size_t i = 0; ok && i < pr.count; i++)
        for (size_t e = 0; ok && e < pr.n[i]; e++) {
            float g = ((float *)pr.input[i][B_GRAD])[e];
            float p = ((float *)out.data[i][B_PARAM])[e];
            ok = test_check(test_same_float(p, -(g * m)), "clipped update [%zu][%zu]: %a vs %a", i, e, p,
                            -(g * m));
        }
    outputs_free(&out, pr.count);

    /* no clipping needed: the multiplier is grad_multiplier / loss_scale alone */
    o.max_grad_norm = 1e6;
    out = run_problem(&pr, &api, &sgd, 1, &o);
    float g0 = ((float *)pr.input[0][B_GRAD])[0];
    test_check(test_same_float(((float *)out.data[0][B_PARAM])[0], -(g0 * (float)(0.5 / 64.0))),
               "unclipped multiplier");
    outputs_free(&out, pr.count);

    /* an inf grad, no skip: norm inf, coefficient 0 (finite grads give -0,
     * the inf one NaN); skip: nothing written, reported */
    ((float *)pr.input[1][B_GRAD])[5] = INFINITY;
    o = (lossopt_step_options){.max_grad_norm = 1.0};
    out = run_problem(&pr, &api, &sgd, 1, &o);
    test_check(isinf(out.report.grad_norm) && out.report.nonfinite && !out.report.skipped, "inf report");
    test_check(isnan(((float *)out.data[1][B_PARAM])[5]) && ((float *)out.data[1][B_PARAM])[6] == 0.0f,
               "inf norm clips to 0");
    outputs_free(&out, pr.count);
    o.skip_nonfinite = true;
    out = run_problem(&pr, &api, &sgd, 1, &o);
    test_check(out.status == LOSSOPT_OK && out.report.skipped && out.report.nonfinite, "skip report");
    for (size_t i = 0; i < pr.count; i++)
        for (int b = 0; b < BUFFERS; b++)
            test_check(memcmp(out.data[i][b], pr.input[i][b], buffer_bytes(&pr, i, b)) == 0,
                       "skipped step wrote tensor %zu %s", i, buffer_name(b));
    outputs_free(&out, pr.count);
    /* a NaN grad: NaN norm, every update NaN */
    ((float *)pr.input[1][B_GRAD])[5] = NAN;
    o = (lossopt_step_options){.max_grad_norm = 1.0};
    out = run_problem(&pr, &api, &sgd, 1, &o);
    test_check(isnan(out.report.grad_norm) && isnan(((float *)out.data[0][B_PARAM])[0]), "NaN norm");
    outputs_free(&out, pr.count);
    /* finite grads whose squares overflow: the norm is inf, but nothing is
     * non-finite and the step is not skipped */
    ((float *)pr.input[1][B_GRAD])[5] = 3e30f;
    o = (lossopt_step_options){.skip_nonfinite = true};
    out = run_problem(&pr, &api, &sgd, 1, &o);
    test_check(isinf(out.report.grad_norm) && !out.report.nonfinite && !out.report.skipped,
               "overflowing squares are not non-finite grads");
    outputs_free(&out, pr.count);
    /* no statistics pass without clip or skip: norm NaN, nonfinite false */
    ((float *)pr.input[1][B_GRAD])[5] = INFINITY;
    o = (lossopt_step_options){.loss_scale = 2.0};
    out = run_problem(&pr, &api, &sgd, 1, &o);
    test_check(isnan(out.report.grad_norm) && !out.report.nonfinite && !out.report.skipped,
               "no statistics pass");
    outputs_free(&out, pr.count);
    problem_free(&pr);

    /* 16-bit non-finite grads: f16 inf, bf16 NaN */
    for (int d = LOSSOPT_BF16; d <= LOSSOPT_F16; d++) {
        problem h = {0};
        h.count = 2;
        h.n[0] = 300;
        h.n[1] = 10;
        h.precision.grad = (lossopt_dtype)d;
        test_seed_case("clip16", (uint64_t)d, 0, 0);
        problem_fill(&h);
        for (size_t i = 0; i < 2; i++)
            for (size_t e = 0; e < h.n[i]; e++)
                store_value(h.input[i][B_GRAD], h.precision.grad, e, 0.5f);
        lossopt_step_options skip = {.skip_nonfinite = true};
        out = run_problem(&h, &api, &sgd, 1, &skip);
        test_check(!out.report.skipped && fabs(out.report.grad_norm - sqrt(310 * 0.25)) < 1e-12,
                   "16-bit norm %.17g", out.report.grad_norm);
        outputs_free(&out, h.count);
        ((uint16_t *)h.input[1][B_GRAD])[9] = d == LOSSOPT_F16 ? 0x7C00 : 0x7FC1;
        out = run_problem(&h, &api, &sgd, 1, &skip);
        test_check(out.report.skipped && out.report.nonfinite, "16-bit non-finite grad skips");
        outputs_free(&out, h.count);
        problem_free(&h);
    }
}

/* ---- stochastic rounding ------------------------------------------------------- */

static void check_stochastic_rounding(void)
{
    const variant api = {true, NULL, "public-api"};
    opt_case sgd = sgd_case("sgd", 0.01, 0, 0, 0, false, false);
    problem pr = {0};
    pr.count = 1;
    pr.n[0] = 65536;
    pr.precision = (lossopt_precision){LOSSOPT_BF16, LOSSOPT_F32, LOSSOPT_F32, LOSSOPT_F32,
                                       LOSSOPT_ROUND_STOCHASTIC, 2024};
    test_seed_case("sr", 0, 0, 0);
    problem_fill(&pr);
    /* every element: p = 1 (bf16), g = 0.3: f32 result 1 - 0.003 rounded */
    for (size_t e = 0; e < pr.n[0]; e++) {
        ((uint16_t *)pr.input[0][B_PARAM])[e] = lossopt_f32_to_bf16_nearest(1.0f);
        ((float *)pr.input[0][B_GRAD])[e] = 0.3f;
    }
    float x = fmaf(-(float)0.01, 0.3f, 1.0f);
    float lo = lossopt_bf16_to_f32((uint16_t)(lossopt_f32_bits(x) >> 16)); /* toward zero */
    float hi = lossopt_bf16_to_f32((uint16_t)((lossopt_f32_bits(x) >> 16) + 1));
    outputs out = run_problem(&pr, &api, &sgd, 5, NULL);
    double sum = 0;
    size_t ups = 0;
    bool neighbours = true;
    for (size_t e = 0; e < pr.n[0]; e++) {
        float v = lossopt_bf16_to_f32(((uint16_t *)out.data[0][B_PARAM])[e]);
        neighbours &= v == lo || v == hi;
        ups += v == hi;
        sum += v;
    }
    test_check(neighbours, "every stored value is one of the two bf16 neighbours");
    double q = ((double)x - lo) / ((double)hi - lo);
    double mean = sum / (double)pr.n[0];
    double standard_error = sqrt(q * (1 - q)) * ((double)hi - lo) / sqrt((double)pr.n[0]);
    test_check(fabs(mean - x) <= 4 * standard_error, "mean %.9g vs %.9g (%.3g standard errors; %zu up)",
               mean, (double)x, fabs(mean - x) / standard_error, ups);
    printf("sr: mean of %zu stores %.9g, f32 value %.9g, %.2f standard errors\n", pr.n[0], mean,
           (double)x, fabs(mean - x) / standard_error);

    /* another seed, or another step: other bits; the same: the same */
    pr.precision.seed = 2025;
    outputs other = run_problem(&pr, &api, &sgd, 5, NULL);
    test_check(memcmp(other.data[0][B_PARAM], out.data[0][B_PARAM], 2 * pr.n[0]) != 0, "seeds differ");
    outputs_free(&other, 1);
    pr.precision.seed = 2024;
    other = run_problem(&pr, &api, &sgd, 6, NULL);
    test_check(memcmp(other.data[0][B_PARAM], out.data[0][B_PARAM], 2 * pr.n[0]) != 0, "steps differ");
    outputs_free(&other, 1);

    /* shards: elements [0, 40000) and [40000, n) as two tensors with
     * sr_offset 0 and 40000 and the same sr_stream draw the same bits */
    problem shards = pr;
    shards.count = 2;
    shards.n[0] = 40000;
    shards.n[1] = pr.n[0] - 40000;
    shards.stream[0] = shards.stream[1] = 1; /* tensor 0 of pr has stream 0 -> position... */
    shards.offset[1] = 40000;
    problem whole = pr;
    whole.stream[0] = 1;
    outputs w = run_problem(&whole, &api, &sgd, 5, NULL);
    for (int b = 0; b < BUFFERS; b++) { /* the second shard's inputs: the tail of the first's */
        size_t bytes = dtype_bytes(buffer_dtype(&pr.precision, b));
        shards.input[1][b] = pr.input[0][b] + 40000 * bytes;
    }
    outputs s = run_problem(&shards, &api, &sgd, 5, NULL);
    test_check(memcmp(s.data[0][B_PARAM], w.data[0][B_PARAM], 2 * 40000) == 0 &&
                   memcmp(s.data[1][B_PARAM], w.data[0][B_PARAM] + 2 * 40000, 2 * (pr.n[0] - 40000)) == 0,
               "shards draw the unsharded tensor's bits");
    outputs_free(&s, 2);
    outputs_free(&w, 1);
    outputs_free(&out, 1);
    problem_free(&pr);
}

/* ---- threads --------------------------------------------------------------------- */

typedef struct reverse_pool {
    unsigned calls;
} reverse_pool;

static void run_reversed(void *pool, size_t task_count, lossopt_task_fn *fn, void *task_ctx)
{
    ((reverse_pool *)pool)->calls++;
    for (size_t i = task_count; i-- > 0;)
        fn(task_ctx, i);
}

static void check_threads(void)
{
    const variant api = {true, NULL, "public-api"};
    problem pr = {0};
    pr.count = 40;
    test_seed_case("threads", 0, 0, 0);
    for (size_t i = 0; i < pr.count; i++)
        pr.n[i] = i == 17 ? 200000 + 3 : test_random_below(quick ? 3000 : 20000);
    pr.precision = combos[3].precision; /* all bf16, stochastic */
    problem_fill(&pr);
    for (size_t i = 0; i < pr.count; i++) /* finite grads: the step must run */
        for (size_t e = 0; e < pr.n[i]; e++)
            if (!isfinite(load_value(pr.input[i][B_GRAD], LOSSOPT_BF16, e)))
                store_value(pr.input[i][B_GRAD], LOSSOPT_BF16, e, 0.5f);
    lossopt_step_options options = {.max_grad_norm = 0.1, .skip_nonfinite = true, .loss_scale = 4.0};
    static const int thread_cases[] = {4, 6, LAMB_CASE}; /* two Adam configs; LAMB's norms */
    for (size_t tc = 0; tc < sizeof thread_cases / sizeof thread_cases[0]; tc++) {
        int oc = thread_cases[tc];
        outputs want = run_problem(&pr, &api, &opt_cases[oc], 3, &options);
        test_check(want.status == LOSSOPT_OK && !want.report.skipped, "no-pool run");
        static const unsigned sizes[] = {1, 2, 3, 8, 16};
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            lossopt_parallel pool;
            test_check(lossopt_threads_create(sizes[k], &pool) == LOSSOPT_OK, "pool of %u", sizes[k]);
            options.parallel = &pool;
            for (int repeat = 0; repeat < 2; repeat++) { /* the pool is reused */
                char what[64];
                snprintf(what, sizeof what, "%s, %u threads", opt_cases[oc].name, sizes[k]);
                outputs got = run_problem(&pr, &api, &opt_cases[oc], 3, &options);
                same_outputs(&pr, &want, &got, what);
                outputs_free(&got, pr.count);
            }
            lossopt_threads_destroy(&pool);
            test_check(pool.run == NULL && pool.pool == NULL, "destroy clears the pool");
        }
        reverse_pool reverse = {0};
        lossopt_parallel reversed = {run_reversed, &reverse};
        options.parallel = &reversed;
        outputs got = run_problem(&pr, &api, &opt_cases[oc], 3, &options);
        same_outputs(&pr, &want, &got, "tasks in reverse order");
        unsigned passes = opt_cases[oc].kind == LAMB ? 3 : 2; /* statistics, (moments,) update */
        test_check(reverse.calls == passes, "the custom pool ran all %u passes (%u calls)", passes,
                   reverse.calls);
        outputs_free(&got, pr.count);
        options.parallel = NULL;
        outputs_free(&want, pr.count);
    }

    /* lossopt_grad_stats: the same sum for every pool */
    lossopt_tensor t[MAX_TENSORS];
    for (size_t i = 0; i < pr.count; i++)
        t[i] = (lossopt_tensor){.grad = pr.input[i][B_GRAD], .n = pr.n[i]};
    double want_sum = -1, sum = -2;
    bool want_bad = true, bad = true;
    test_check(lossopt_grad_stats(t, pr.count, LOSSOPT_BF16, NULL, &want_sum, &want_bad) == LOSSOPT_OK,
               "grad_stats");
    long double exact = 0;
    for (size_t i = 0; i < pr.count; i++)
        for (size_t e = 0; e < pr.n[i]; e++) {
            float g = load_value(pr.input[i][B_GRAD], LOSSOPT_BF16, e);
            exact += (long double)(g * g); /* squares rounded to float, as specified */
        }
    test_check(!want_bad && (isfinite((double)exact) ? fabsl(want_sum - exact) <= 1e-6L * exact
                                                     : want_sum == (double)exact),
               "grad_stats sum %.17g vs %.17Lg", want_sum, exact);
    for (unsigned threads = 2; threads <= 16; threads *= 2) {
        lossopt_parallel pool;
        lossopt_threads_create(threads, &pool);
        lossopt_grad_stats(t, pr.count, LOSSOPT_BF16, &pool, &sum, &bad);
        test_check(memcmp(&sum, &want_sum, sizeof sum) == 0 && bad == want_bad,
                   "grad_stats with %u threads: %.17g vs %.17g", threads, sum, want_sum);
        lossopt_threads_destroy(&pool);
    }
    problem_free(&pr);

    lossopt_parallel zero = {0};
    lossopt_threads_destroy(&zero);
    lossopt_threads_destroy(NULL);
    test_check(lossopt_threads_create(1025, &zero) == LOSSOPT_ERR_ARG, "1025 threads");
    test_check(lossopt_threads_create(2, NULL) == LOSSOPT_ERR_NULL, "out NULL");
}

/* ---- errors ------------------------------------------------------------------------- */

static lossopt_status errors_case(problem *pr, const opt_case *o, int64_t step,
                                  const lossopt_step_options *opt, void (*spoil)(lossopt_tensor *t),
                                  const char *what)
{
    lossopt_tensor t[MAX_TENSORS];
    void *work[MAX_TENSORS][BUFFERS];
    for (size_t i = 0; i < pr->count; i++) {
        for (int b = 0; b < BUFFERS; b++) {
            work[i][b] = malloc(buffer_bytes(pr, i, b) + 1);
            memcpy(work[i][b], pr->input[i][b], buffer_bytes(pr, i, b));
        }
        t[i] = (lossopt_tensor){.param = work[i][B_PARAM], .grad = work[i][B_GRAD],
                                .state = {work[i][1], work[i][2], work[i][3]},
                                .param_copy = pr->copy ? work[i][B_COPY] : NULL, .n = pr->n[i]};
    }
    if (spoil)
        spoil(t);
    lossopt_step_report report = {-7.0, true, true};
    const variant api = {true, NULL, "public-api"};
    lossopt_status s = call_step(&api, o, t, pr->count, step, opt, &report);
    for (size_t i = 0; i < pr->count; i++)
        for (int b = 0; b < BUFFERS; b++) {
            if (s != LOSSOPT_OK)
                test_check(memcmp(work[i][b], pr->input[i][b], buffer_bytes(pr, i, b)) == 0,
                           "%s: tensor %zu %s written by a failing call", what, i, buffer_name(b));
            free(work[i][b]);
        }
    if (s != LOSSOPT_OK)
        test_check(report.grad_norm == -7.0, "%s: report written on error", what);
    return s;
}

static void null_state_in_7(lossopt_tensor *t) { t[7].state[1] = NULL; }
static void null_grad_in_9(lossopt_tensor *t) { t[9].grad = NULL; }
static void own_step_minus_1(lossopt_tensor *t) { t[4].step = -1; }
static void own_step_1(lossopt_tensor *t) { t[7].step = 1; }
static void huge_n_in_8(lossopt_tensor *t) { t[8].n = SIZE_MAX / 2; }

static void check_errors(void)
{
    problem pr = {0};
    pr.count = 10;
    for (size_t i = 0; i < pr.count; i++)
        pr.n[i] = 100 + i;
    pr.precision = combos[1].precision;
    pr.copy = true;
    test_seed_case("errors", 0, 0, 0);
    problem_fill(&pr);
    const opt_case *adam = &opt_cases[4];
    lossopt_step_options opt = {.precision = &pr.precision};
#define EXPECT(call, status) test_check((call) == (status), "%s: want %s", #call, #status)
    EXPECT(errors_case(&pr, adam, 1, &opt, null_state_in_7, "NULL state in tensor 7"), LOSSOPT_ERR_NULL);
    EXPECT(errors_case(&pr, adam, 1, &opt, huge_n_in_8, "huge n"), LOSSOPT_ERR_SIZE);
    EXPECT(errors_case(&pr, adam, 1, &opt, own_step_minus_1, "own step -1"), LOSSOPT_ERR_ARG);
    EXPECT(errors_case(&pr, adam, 0, &opt, NULL, "step 0"), LOSSOPT_ERR_ARG);
    for (int oc = 0; oc < OPT_CASES; oc++) /* RMSprop too: the SR stream uses the step */
        EXPECT(errors_case(&pr, &opt_cases[oc], -1, &opt, NULL, opt_cases[oc].name), LOSSOPT_ERR_ARG);
    /* class-major: a NULL in tensor 9 wins over an ARG error in the config */
    opt_case bad_lr = *adam;
    bad_lr.adam.lr = NAN;
    EXPECT(errors_case(&pr, &bad_lr, 1, &opt, null_grad_in_9, "NULL grad + NaN lr"), LOSSOPT_ERR_NULL);
    EXPECT(errors_case(&pr, &bad_lr, 1, &opt, NULL, "NaN lr"), LOSSOPT_ERR_ARG);
    /* a tensor's own step whose coefficient is not a finite float: lr / (1 - 0.9) = inf */
    opt_case big_lr = *adam;
    big_lr.adam.lr = 3e38;
    EXPECT(errors_case(&pr, &big_lr, 1000, &opt, NULL, "lr 3e38 at step 1000"), LOSSOPT_OK);
    EXPECT(errors_case(&pr, &big_lr, 1000, &opt, own_step_1, "lr 3e38, tensor 7 at step 1"), LOSSOPT_ERR_ARG);
    lossopt_step_options bad = opt;
    bad.loss_scale = -1;
    EXPECT(errors_case(&pr, adam, 1, &bad, NULL, "loss_scale -1"), LOSSOPT_ERR_ARG);
    bad = opt;
    bad.max_grad_norm = NAN;
    EXPECT(errors_case(&pr, adam, 1, &bad, NULL, "max_grad_norm NaN"), LOSSOPT_ERR_ARG);
    bad = opt;
    bad.grad_multiplier = INFINITY;
    EXPECT(errors_case(&pr, adam, 1, &bad, NULL, "grad_multiplier inf"), LOSSOPT_ERR_ARG);
    lossopt_precision p = pr.precision;
    bad = opt;
    bad.precision = &p;
    p.state = (lossopt_dtype)3;
    EXPECT(errors_case(&pr, adam, 1, &bad, NULL, "dtype 3"), LOSSOPT_ERR_ARG);
    p = pr.precision;
    p.rounding = (lossopt_rounding)2;
    EXPECT(errors_case(&pr, adam, 1, &bad, NULL, "rounding 2"), LOSSOPT_ERR_ARG);
    p = pr.precision; /* f32 param and state: no bf16 store to round stochastically */
    p.rounding = LOSSOPT_ROUND_STOCHASTIC;
    EXPECT(errors_case(&pr, adam, 1, &bad, NULL, "stochastic without bf16 stores"), LOSSOPT_ERR_ARG);
    p.state = LOSSOPT_BF16; /* bf16 state but plain SGD uses none */
    EXPECT(errors_case(&pr, &opt_cases[0], 1, &bad, NULL, "stochastic, SGD without state"), LOSSOPT_ERR_ARG);
    EXPECT(errors_case(&pr, adam, 1, &bad, NULL, "stochastic bf16 state"), LOSSOPT_OK);
    lossopt_parallel no_run = {NULL, NULL};
    bad = opt;
    bad.parallel = &no_run;
    EXPECT(errors_case(&pr, adam, 1, &bad, NULL, "parallel without run"), LOSSOPT_ERR_NULL);
    EXPECT(lossopt_adam_step(NULL, NULL, 0, 1, NULL, NULL), LOSSOPT_ERR_NULL);
    EXPECT(lossopt_adam_step(&adam->adam, NULL, 1, 1, NULL, NULL), LOSSOPT_ERR_NULL);
    EXPECT(lossopt_adam_step(&adam->adam, NULL, 0, 1, NULL, NULL), LOSSOPT_OK);
    EXPECT(lossopt_adam_step_with_table(NULL, NULL, NULL, 1, 0, NULL, NULL), LOSSOPT_ERR_ISA);
    lossopt_tensor empty = {0}; /* n == 0: NULL buffers are fine */
    EXPECT(lossopt_sgd_step(&opt_cases[1].sgd, &empty, 1, 1, NULL, NULL), LOSSOPT_OK);
    EXPECT(lossopt_grad_stats(NULL, 1, LOSSOPT_F32, NULL, NULL, NULL), LOSSOPT_ERR_NULL);
    EXPECT(lossopt_grad_stats(&empty, 1, (lossopt_dtype)5, NULL, NULL, NULL), LOSSOPT_ERR_ARG);
    double sum = -1;
    bool nonfinite = true;
    EXPECT(lossopt_grad_stats(&empty, 1, LOSSOPT_F16, NULL, &sum, &nonfinite), LOSSOPT_OK);
    test_check(sum == 0.0 && !nonfinite, "grad_stats of nothing");
#undef EXPECT
    problem_free(&pr);
}

int main(void)
{
    test_init("test_engine_step");
    test_skip_unless_forced_isa_supported();
    quick = getenv("LOSSOPT_TEST_QUICK") != NULL;
    guards = getenv("LOSSOPT_TEST_NO_GUARD_PAGES") == NULL;
    if (!guards)
        printf("note: guard pages disabled by LOSSOPT_TEST_NO_GUARD_PAGES; over-reads are not "
               "caught in this run\n");
    make_opt_cases();
    check_errors();
    check_f32_equivalence();
    check_clip();
    check_stochastic_rounding();
    check_conversions();
    check_threads();
    check_bitwise();
    return test_finish();
}
