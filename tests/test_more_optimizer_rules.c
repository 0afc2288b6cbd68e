/* tests/test_more_optimizer_rules.c - the error contract and the rules of
 * the 0.2 optimizers' calls (Adagrad, Adamax, NAdam, RAdam, Lion, LAMB; both
 * the _f32 call and the tensor-list call), on the public API and on every
 * supported ISA's kernel table (include/lossopt.h, "More optimizers (0.2)"
 * and "The engine step"; SPEC 1.5, 1.6, 1.8):
 *   - NULL cfg, a NULL param or grad with n > 0, a NULL used state buffer ->
 *     LOSSOPT_ERR_NULL; n == 0 with NULL data is fine and still validated;
 *     a length whose bytes overflow -> LOSSOPT_ERR_SIZE; checks in the order
 *     NULL, SIZE, ARG;
 *   - every invalid hyper-parameter -> LOSSOPT_ERR_ARG: NaN and infinities,
 *     negative lr / eps / weight_decay / lr_decay / momentum_decay /
 *     initial_accumulator_value / max_trust_ratio, betas outside [0, 1),
 *     step < 1, a derived coefficient that is not a finite float (for the
 *     call's step and for a tensor's own step); the domains' edges are valid;
 *     LAMB's trust ratio is data and never an error;
 *   - NAdam's mu_product: NULL -> LOSSOPT_ERR_NULL even with n == 0;
 *     negative, > 1, NaN, inf -> LOSSOPT_ERR_ARG, 0 is valid (the header since
 *     00313a7: beta1 = 0 and long runs reach it; SPEC 1.8 said (0, 1], see
 *     docs/decisions.md); a successful call multiplies
 *     it by mu_t in double (bit for bit), one per tensor in a list, each by its
 *     own tensor's mu (tensors with their own step);
 *   - in every error case nothing is written: param, grad, every state
 *     buffer, *mu_product and the report are byte-identical, and the buffers
 *     end at guard pages; a state buffer the optimizer does not use (state[1]
 *     of Adagrad and Lion, state[2] of all) is never touched;
 *   - list calls: errors are class-major across tensors and a bad tensor 3 of
 *     5 writes nothing anywhere; skip_nonfinite writes nothing (mu_products
 *     included) and reports the skip; the _f32 call is the one-tensor list
 *     call, bit for bit;
 *   - LAMB's per-tensor norms do not depend on threads: lists with tensors of
 *     more than 65536 elements (several task ranges) give the same bits
 *     without a pool and with built-in pools of 1, 2 and 3 threads, and each
 *     tensor of a list the same bits as its own _f32 call.
 * LOSSOPT_TEST_QUICK=1 (emulators) trims the sizes of the thread checks. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lossopt_internal.h"
#include "test_support.h"
#include "test_variants.h"

#define N 37

enum { ADAGRAD, ADAMAX, NADAM, RADAM, LION, LAMB, KINDS };
static const char *const kind_names[KINDS] = {"adagrad", "adamax", "nadam", "radam", "lion", "lamb"};

typedef struct opt {
    int kind;
    bool null_cfg; /* pass a NULL config */
    lossopt_adagrad_config adagrad;
    lossopt_adamax_config adamax;
    lossopt_nadam_config nadam;
    lossopt_radam_config radam;
    lossopt_lion_config lion;
    lossopt_lamb_config lamb;
} opt;

/* Bit k: the optimizer uses state[k] (header: Adagrad sum; Lion exp_avg;
 * the others two states). */
static unsigned states_used(int kind) { return kind == ADAGRAD || kind == LION ? 1u : 3u; }

/* Each optimizer with its options on (weight decay, decoupled where it has it). */
static opt make(int kind)
{
    opt o = {.kind = kind};
    o.adagrad = lossopt_adagrad_defaults();
    o.adagrad.weight_decay = 0.01;
    o.adagrad.lr_decay = 0.01;
    o.adagrad.initial_accumulator_value = 0.1;
    o.adamax = lossopt_adamax_defaults();
    o.adamax.weight_decay = 0.01;
    o.nadam = lossopt_nadam_defaults();
    o.nadam.weight_decay = 0.01;
    o.nadam.decoupled_weight_decay = true;
    o.radam = lossopt_radam_defaults();
    o.radam.weight_decay = 0.01;
    o.lion = lossopt_lion_defaults();
    o.lion.weight_decay = 0.1;
    o.lamb = lossopt_lamb_defaults();
    return o;
}

/* NAdam's mu_t, the header's double formula. */
static double nadam_mu(const lossopt_nadam_config *k, int64_t t)
{
    return k->beta1 * (1.0 - 0.5 * pow(0.96, (double)t * k->momentum_decay));
}

static bool same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* ---- the calls ------------------------------------------------------------------ */

#define CFG(o, name) ((o)->null_cfg ? NULL : &(o)->name)

static lossopt_status run_f32(const variant *e, const opt *o, float *p, const float *g, float *s0,
                              float *s1, double *mu, size_t n, int64_t step)
{
    const lossopt_kernel_table *tb = e->table;
    bool pub = e->public_api;
    switch (o->kind) {
    case ADAGRAD:
        return pub ? lossopt_adagrad_step_f32(p, g, s0, n, CFG(o, adagrad), step)
                   : lossopt_adagrad_step_f32_with_table(tb, p, g, s0, n, CFG(o, adagrad), step);
    case ADAMAX:
        return pub ? lossopt_adamax_step_f32(p, g, s0, s1, n, CFG(o, adamax), step)
                   : lossopt_adamax_step_f32_with_table(tb, p, g, s0, s1, n, CFG(o, adamax), step);
    case NADAM:
        return pub ? lossopt_nadam_step_f32(p, g, s0, s1, mu, n, CFG(o, nadam), step)
                   : lossopt_nadam_step_f32_with_table(tb, p, g, s0, s1, mu, n, CFG(o, nadam), step);
    case RADAM:
        return pub ? lossopt_radam_step_f32(p, g, s0, s1, n, CFG(o, radam), step)
                   : lossopt_radam_step_f32_with_table(tb, p, g, s0, s1, n, CFG(o, radam), step);
    case LION:
        return pub ? lossopt_lion_step_f32(p, g, s0, n, CFG(o, lion), step)
                   : lossopt_lion_step_f32_with_table(tb, p, g, s0, n, CFG(o, lion), step);
    default:
        return pub ? lossopt_lamb_step_f32(p, g, s0, s1, n, CFG(o, lamb), step)
                   : lossopt_lamb_step_f32_with_table(tb, p, g, s0, s1, n, CFG(o, lamb), step);
    }
}

static lossopt_status run_list(const variant *e, const opt *o, double *mu, lossopt_tensor *t,
                               size_t count, int64_t step, const lossopt_step_options *op,
                               lossopt_step_report *r)
{
    const lossopt_kernel_table *tb = e->table;
    bool pub = e->public_api;
    switch (o->kind) {
    case ADAGRAD:
        return pub ? lossopt_adagrad_step(CFG(o, adagrad), t, count, step, op, r)
                   : lossopt_adagrad_step_with_table(tb, CFG(o, adagrad), t, count, step, op, r);
    case ADAMAX:
        return pub ? lossopt_adamax_step(CFG(o, adamax), t, count, step, op, r)
                   : lossopt_adamax_step_with_table(tb, CFG(o, adamax), t, count, step, op, r);
    case NADAM:
        return pub ? lossopt_nadam_step(CFG(o, nadam), mu, t, count, step, op, r)
                   : lossopt_nadam_step_with_table(tb, CFG(o, nadam), mu, t, count, step, op, r);
    case RADAM:
        return pub ? lossopt_radam_step(CFG(o, radam), t, count, step, op, r)
                   : lossopt_radam_step_with_table(tb, CFG(o, radam), t, count, step, op, r);
    case LION:
        return pub ? lossopt_lion_step(CFG(o, lion), t, count, step, op, r)
                   : lossopt_lion_step_with_table(tb, CFG(o, lion), t, count, step, op, r);
    default:
        return pub ? lossopt_lamb_step(CFG(o, lamb), t, count, step, op, r)
                   : lossopt_lamb_step_with_table(tb, CFG(o, lamb), t, count, step, op, r);
    }
}

/* The public API and every supported ISA's table (tests/test_variants.h). */
static variant entries[TEST_MAX_VARIANTS];
static size_t entry_count;

/* ---- one call's buffers, at guard pages, and their snapshot ------------------------ */

enum { B_PARAM, B_GRAD, B_S0, B_S1, B_S2, BUFFERS };
static const char *const buffer_names[BUFFERS] = {"param", "grad", "state[0]", "state[1]", "state[2]"};

typedef struct bufset {
    size_t n;
    float *b[BUFFERS];
    float *saved[BUFFERS];
} bufset;

static void bufset_alloc(bufset *s, size_t n)
{
    s->n = n;
    for (int k = 0; k < BUFFERS; k++) {
        s->b[k] = test_guarded_alloc(n);
        s->saved[k] = malloc((n ? n : 1) * sizeof(float));
    }
}

static void bufset_free(bufset *s)
{
    for (int k = 0; k < BUFFERS; k++) {
        test_guarded_free(s->b[k]);
        free(s->saved[k]);
    }
}

/* Moderate values (states >= 0.25: square averages), then the snapshot. */
static void bufset_fill(bufset *s, const char *stage, uint64_t a)
{
    test_seed_case(stage, a, s->n, 0);
    for (size_t i = 0; i < s->n; i++) {
        s->b[B_PARAM][i] = test_random_uniform(-2, 2);
        s->b[B_GRAD][i] = test_random_uniform(-1, 1);
        for (int k = B_S0; k <= B_S2; k++)
            s->b[k][i] = test_random_uniform(0.25f, 1.0f);
    }
    for (int k = 0; k < BUFFERS; k++)
        memcpy(s->saved[k], s->b[k], s->n * sizeof(float));
}

/* Bit k of the result: buffer k differs from its snapshot. */
static unsigned bufset_changed(const bufset *s)
{
    unsigned changed = 0;
    for (int k = 0; k < BUFFERS; k++)
        if (memcmp(s->b[k], s->saved[k], s->n * sizeof(float)) != 0)
            changed |= 1u << k;
    return changed;
}

static bufset one; /* the single-tensor calls */
static double mu_value;
static double mu_start = 0.9 / 7.0; /* *mu_product before each call of expect() */

/* A tensor of `one` with every state buffer (unused ones too: they must not
 * be touched). */
static lossopt_tensor full_tensor(void)
{
    lossopt_tensor t = {.param = one.b[B_PARAM], .grad = one.b[B_GRAD],
                        .state = {one.b[B_S0], one.b[B_S1], one.b[B_S2]}, .n = one.n};
    return t;
}

enum { FORM_F32 = 1, FORM_LIST = 2, FORM_BOTH = 3 };

/* Runs o on tensor template t (the _f32 call takes its param, grad, state[0],
 * state[1] and n; the list call the tensor as it is) with mu (NAdam's
 * mu_product pointer, NULL or &mu_value) on every entry point, in the given
 * forms. Each must return want; an error must write nothing (buffers,
 * *mu_product, the report); a success must leave grad and the unused state
 * buffers alone, and multiply *mu_product by mu_t. */
static void expect(const opt *o, lossopt_tensor t, double *mu, int64_t step, int forms,
                   lossopt_status want, const char *why)
{
    for (size_t e = 0; e < entry_count; e++) {
        for (int form = FORM_F32; form <= FORM_LIST; form++) {
            if (!(forms & form))
                continue;
            bufset_fill(&one, "rules one tensor", 0);
            double mu_before = mu_start;
            mu_value = mu_before;
            lossopt_step_report report;
            memset(&report, 0xA5, sizeof report);
            lossopt_step_report report_before = report;
            lossopt_status got;
            if (form == FORM_F32)
                got = run_f32(&entries[e], o, t.param, t.grad, t.state[0], t.state[1], mu, t.n,
                              step);
            else
                got = run_list(&entries[e], o, mu, &t, 1, step, NULL, &report);
            const char *fname = form == FORM_F32 ? "_f32" : "list";
            if (!test_check(got == want, "%s %s (%s) via %s: status %d (%s), want %d (%s)",
                            kind_names[o->kind], fname, why, entries[e].name, got,
                            lossopt_status_string(got), want, lossopt_status_string(want)))
                continue;
            unsigned changed = bufset_changed(&one);
            if (want != LOSSOPT_OK) {
                test_check(changed == 0 && same_double(mu_value, mu_before) &&
                               memcmp(&report, &report_before, sizeof report) == 0,
                           "%s %s (%s) via %s: a failed call wrote (buffers 0x%x, mu_product %s, "
                           "report %s)", kind_names[o->kind], fname, why, entries[e].name, changed,
                           same_double(mu_value, mu_before) ? "kept" : "changed",
                           memcmp(&report, &report_before, sizeof report) == 0 ? "kept" : "written");
                continue;
            }
            unsigned unused = (1u << B_GRAD) | (1u << B_S2) |
                              ((states_used(o->kind) & 2) ? 0u : (1u << B_S1));
            test_check((changed & unused) == 0, "%s %s (%s) via %s: wrote grad or an unused state "
                       "buffer (changed 0x%x)", kind_names[o->kind], fname, why, entries[e].name,
                       changed);
            if (o->kind == NADAM && mu != NULL) {
                double w = mu_before * nadam_mu(&o->nadam, t.step != 0 ? t.step : step);
                test_check(same_double(mu_value, w), "%s %s (%s) via %s: mu_product %.17g, want "
                           "old * mu_t = %.17g", kind_names[o->kind], fname, why, entries[e].name,
                           mu_value, w);
            }
        }
    }
}

/* The configuration's default call: every buffer given, n = N. */
static void expect_full(const opt *o, int64_t step, lossopt_status want, const char *why)
{
    expect(o, full_tensor(), &mu_value, step, FORM_BOTH, want, why);
}

/* ---- NULL, SIZE, n == 0 ---------------------------------------------------------- */

static void check_null_and_size(void)
{
    for (int kind = 0; kind < KINDS; kind++) {
        opt o = make(kind);
        lossopt_tensor t = full_tensor();
        expect(&o, t, &mu_value, 3, FORM_BOTH, LOSSOPT_OK, "valid call");
        opt no_cfg = o;
        no_cfg.null_cfg = true;
        expect(&no_cfg, t, &mu_value, 3, FORM_BOTH, LOSSOPT_ERR_NULL, "NULL cfg");
        lossopt_tensor bad = t;
        bad.param = NULL;
        expect(&o, bad, &mu_value, 3, FORM_BOTH, LOSSOPT_ERR_NULL, "NULL param");
        bad = t;
        bad.grad = NULL;
        expect(&o, bad, &mu_value, 3, FORM_BOTH, LOSSOPT_ERR_NULL, "NULL grad");
        for (int k = 0; k < 2; k++) {
            bad = t;
            bad.state[k] = NULL;
            char why[64];
            snprintf(why, sizeof why, "NULL state[%d]", k);
            expect(&o, bad, &mu_value, 3, FORM_BOTH,
                   (states_used(kind) >> k) & 1 ? LOSSOPT_ERR_NULL : LOSSOPT_OK, why);
        }
        bad = t; /* unused buffers may be NULL */
        bad.state[2] = NULL;
        if (!(states_used(kind) & 2))
            bad.state[1] = NULL;
        expect(&o, bad, &mu_value, 3, FORM_BOTH, LOSSOPT_OK, "unused state buffers NULL");

        /* n == 0: NULL data is fine, the config is still validated */
        lossopt_tensor empty = {.n = 0};
        expect(&o, empty, &mu_value, 3, FORM_BOTH, LOSSOPT_OK, "n == 0 with NULL data");
        expect(&no_cfg, empty, &mu_value, 3, FORM_BOTH, LOSSOPT_ERR_NULL, "n == 0, NULL cfg");
        opt nan_lr = o;
        nan_lr.adagrad.lr = nan_lr.adamax.lr = nan_lr.nadam.lr = nan_lr.radam.lr = nan_lr.lion.lr =
            nan_lr.lamb.lr = NAN;
        expect(&nan_lr, empty, &mu_value, 3, FORM_BOTH, LOSSOPT_ERR_ARG, "n == 0, lr NaN");
        expect(&o, empty, &mu_value, 0, FORM_BOTH, LOSSOPT_ERR_ARG, "n == 0, step 0");
        /* NULL before SIZE before ARG */
        bad = t;
        bad.param = NULL;
        expect(&nan_lr, bad, &mu_value, 0, FORM_BOTH, LOSSOPT_ERR_NULL, "NULL param, lr NaN, step 0");
        expect(&no_cfg, bad, &mu_value, 3, FORM_BOTH, LOSSOPT_ERR_NULL, "NULL cfg and NULL param");
        bad = t;
        bad.n = SIZE_MAX / 2;
        expect(&o, bad, &mu_value, 3, FORM_BOTH, LOSSOPT_ERR_SIZE, "n = SIZE_MAX / 2");
        bad.n = SIZE_MAX / 4 + 1;
        expect(&nan_lr, bad, &mu_value, 0, FORM_BOTH, LOSSOPT_ERR_SIZE,
               "n = SIZE_MAX / 4 + 1, lr NaN, step 0");
        bad.grad = NULL;
        expect(&o, bad, &mu_value, 3, FORM_BOTH, LOSSOPT_ERR_NULL, "n = SIZE_MAX / 2 and NULL grad");

        /* the list call's own NULLs */
        for (size_t e = 0; e < entry_count; e++) {
            double mu = 0.5, mu3[3] = {0.5, 0.5, 0.5};
            lossopt_step_report r;
            memset(&r, 0x5A, sizeof r);
            lossopt_step_report r0 = r;
            lossopt_status st = run_list(&entries[e], &o, mu3, NULL, 3, 1, NULL, &r);
            test_check(st == LOSSOPT_ERR_NULL && memcmp(&r, &r0, sizeof r) == 0 && mu3[0] == 0.5,
                       "%s list via %s: t NULL with count 3: status %d", kind_names[kind],
                       entries[e].name, st);
            st = run_list(&entries[e], &o, NULL, NULL, 0, 1, NULL, NULL);
            test_check(st == LOSSOPT_OK, "%s list via %s: count 0, t NULL (and NULL mu_products): "
                       "status %d", kind_names[kind], entries[e].name, st);
            st = run_list(&entries[e], &nan_lr, NULL, NULL, 0, 1, NULL, NULL);
            test_check(st == LOSSOPT_ERR_ARG, "%s list via %s: count 0, lr NaN: status %d",
                       kind_names[kind], entries[e].name, st);
            bufset_fill(&one, "rules one tensor", 0);
            lossopt_tensor tt = full_tensor();
            lossopt_parallel no_run = {NULL, NULL};
            lossopt_step_options op = {.parallel = &no_run};
            st = run_list(&entries[e], &o, &mu, &tt, 1, 1, &op, NULL);
            test_check(st == LOSSOPT_ERR_NULL && bufset_changed(&one) == 0 && mu == 0.5,
                       "%s list via %s: parallel with a NULL run: status %d", kind_names[kind],
                       entries[e].name, st);
            op = (lossopt_step_options){.loss_scale = -1.0};
            st = run_list(&entries[e], &o, &mu, &tt, 1, 1, &op, NULL);
            test_check(st == LOSSOPT_ERR_ARG && bufset_changed(&one) == 0 && mu == 0.5,
                       "%s list via %s: loss_scale -1: status %d", kind_names[kind],
                       entries[e].name, st);
        }
    }
}

/* ---- invalid hyper-parameters ----------------------------------------------------- */

enum { NONNEGATIVE, BETA };
typedef struct field {
    const char *name;
    size_t offset; /* of the double in opt */
    int domain;
} field;

#define FIELD(member, domain) {#member, offsetof(opt, member), domain}
static const field fields[KINDS][6] = {
    [ADAGRAD] = {FIELD(adagrad.lr, NONNEGATIVE), FIELD(adagrad.lr_decay, NONNEGATIVE),
                 FIELD(adagrad.weight_decay, NONNEGATIVE),
                 FIELD(adagrad.initial_accumulator_value, NONNEGATIVE),
                 FIELD(adagrad.eps, NONNEGATIVE)},
    [ADAMAX] = {FIELD(adamax.lr, NONNEGATIVE), FIELD(adamax.beta1, BETA), FIELD(adamax.beta2, BETA),
                FIELD(adamax.eps, NONNEGATIVE), FIELD(adamax.weight_decay, NONNEGATIVE)},
    [NADAM] = {FIELD(nadam.lr, NONNEGATIVE), FIELD(nadam.beta1, BETA), FIELD(nadam.beta2, BETA),
               FIELD(nadam.eps, NONNEGATIVE), FIELD(nadam.weight_decay, NONNEGATIVE),
               FIELD(nadam.momentum_decay, NONNEGATIVE)},
    [RADAM] = {FIELD(radam.lr, NONNEGATIVE), FIELD(radam.beta1, BETA), FIELD(radam.beta2, BETA),
               FIELD(radam.eps, NONNEGATIVE), FIELD(radam.weight_decay, NONNEGATIVE)},
    [LION] = {FIELD(lion.lr, NONNEGATIVE), FIELD(lion.beta1, BETA), FIELD(lion.beta2, BETA),
              FIELD(lion.weight_decay, NONNEGATIVE)},
    [LAMB] = {FIELD(lamb.lr, NONNEGATIVE), FIELD(lamb.beta1, BETA), FIELD(lamb.beta2, BETA),
              FIELD(lamb.eps, NONNEGATIVE), FIELD(lamb.weight_decay, NONNEGATIVE),
              FIELD(lamb.max_trust_ratio, NONNEGATIVE)},
};

static opt with_field(int kind, const field *f, double value)
{
    opt o = make(kind);
    memcpy((char *)&o + f->offset, &value, sizeof value);
    return o;
}

static void check_invalid_scalars(void)
{
    static const double non_finite[] = {NAN, -NAN, INFINITY, -INFINITY};
    static const double negative[] = {-1e-3, -DBL_TRUE_MIN, -1e300};
    static const double bad_beta[] = {1.0, 1.5, -1e-9, -DBL_TRUE_MIN};
    static const int64_t bad_steps[] = {0, -1, INT64_MIN};
    for (int kind = 0; kind < KINDS; kind++) {
        for (const field *f = fields[kind]; f < fields[kind] + 6 && f->name; f++) {
            char why[96];
            for (size_t i = 0; i < 4; i++) {
                opt o = with_field(kind, f, non_finite[i]);
                snprintf(why, sizeof why, "%s = %g", f->name, non_finite[i]);
                expect_full(&o, 3, LOSSOPT_ERR_ARG, why);
            }
            const double *bad = f->domain == BETA ? bad_beta : negative;
            size_t bad_count = f->domain == BETA ? 4 : 3;
            for (size_t i = 0; i < bad_count; i++) {
                opt o = with_field(kind, f, bad[i]);
                snprintf(why, sizeof why, "%s = %g", f->name, bad[i]);
                expect_full(&o, 3, LOSSOPT_ERR_ARG, why);
            }
            /* the edges are valid: 0 for every field, 1 - 2^-53 for beta1 */
            opt o = with_field(kind, f, 0.0);
            snprintf(why, sizeof why, "%s = 0", f->name);
            expect_full(&o, 3, LOSSOPT_OK, why);
            if (f->domain == BETA && strstr(f->name, "beta1")) {
                o = with_field(kind, f, 1.0 - 0x1p-53);
                snprintf(why, sizeof why, "%s = 1 - 2^-53", f->name);
                expect_full(&o, 3, LOSSOPT_OK, why);
            }
        }
        opt o = make(kind);
        for (size_t i = 0; i < 3; i++) {
            char why[64];
            snprintf(why, sizeof why, "step %lld", (long long)bad_steps[i]);
            expect_full(&o, bad_steps[i], LOSSOPT_ERR_ARG, why);
        }
        expect_full(&o, 1, LOSSOPT_OK, "step 1");
        expect_full(&o, INT64_MAX, LOSSOPT_OK, "step INT64_MAX");
    }
}

/* Finite doubles whose per-call float coefficients are not finite floats:
 * LOSSOPT_ERR_ARG, nothing written; their valid neighbours. */
static void check_derived_coefficients(void)
{
    opt o;
#define CASE(kind_, assignments, step_, want_, why_) \
    do {                                             \
        o = make(kind_);                             \
        assignments;                                 \
        expect_full(&o, step_, want_, why_);         \
    } while (0)
    /* Adagrad: clr = lr / (1 + (step - 1) lr_decay), eps, weight_decay */
    CASE(ADAGRAD, o.adagrad.lr = 1e39, 3, LOSSOPT_ERR_ARG, "lr 1e39");
    CASE(ADAGRAD, (o.adagrad.lr = 3.5e38, o.adagrad.lr_decay = 1.0), 1, LOSSOPT_ERR_ARG,
         "clr 3.5e38 at step 1");
    CASE(ADAGRAD, (o.adagrad.lr = 3.5e38, o.adagrad.lr_decay = 1.0), 2, LOSSOPT_OK,
         "clr 1.75e38 at step 2");
    CASE(ADAGRAD, o.adagrad.eps = 1e39, 3, LOSSOPT_ERR_ARG, "eps 1e39");
    CASE(ADAGRAD, o.adagrad.weight_decay = 1e39, 3, LOSSOPT_ERR_ARG, "weight_decay 1e39");
    CASE(ADAGRAD, o.adagrad.lr = 1e-50, 3, LOSSOPT_OK, "lr 1e-50 (rounds to 0: not an error)");
    CASE(ADAGRAD, o.adagrad.initial_accumulator_value = 1e39, 3, LOSSOPT_OK,
         "initial_accumulator_value 1e39 (validated, not a coefficient)");
    /* Adamax: clr = lr / (1 - beta1^step) */
    CASE(ADAMAX, o.adamax.lr = 4e37, 1, LOSSOPT_ERR_ARG, "clr 4e38 at step 1");
    CASE(ADAMAX, o.adamax.lr = 4e37, 2, LOSSOPT_OK, "clr 2.1e38 at step 2");
    CASE(ADAMAX, o.adamax.eps = 1e39, 3, LOSSOPT_ERR_ARG, "eps 1e39");
    CASE(ADAMAX, o.adamax.weight_decay = 1e39, 3, LOSSOPT_ERR_ARG, "weight_decay 1e39");
    /* NAdam: c_avg = -lr mu_next / (1 - P mu_next), decay */
    CASE(NADAM, o.nadam.lr = 1e39, 3, LOSSOPT_ERR_ARG, "lr 1e39");
    /* with *mu_product 1: c_avg = -lr mu_next / (1 - mu mu_next) */
    mu_start = 1.0;
    CASE(NADAM, (o.nadam.lr = 1.5e38, o.nadam.momentum_decay = 10), 1, LOSSOPT_OK,
         "lr 1.5e38, psi 10, step 1, mu_product 1: c_avg -1.8e38");
    CASE(NADAM, (o.nadam.lr = 1.5e38, o.nadam.momentum_decay = 10), 100, LOSSOPT_ERR_ARG,
         "lr 1.5e38, psi 10, step 100, mu_product 1: c_avg -7e38");
    /* The coefficients are those of the caller's *mu_product (header: P =
     * *mu_product * mu): from 0.1 at step 100, c_grad = -1.6e37 and c_avg =
     * -1.5e38 are finite floats, so the call is valid; that the same config
     * would overflow from mu_product 1 is no reason to refuse it. */
    mu_start = 0.1;
    CASE(NADAM, (o.nadam.lr = 1.5e38, o.nadam.momentum_decay = 10, o.nadam.weight_decay = 0), 100,
         LOSSOPT_OK, "lr 1.5e38, psi 10, step 100, mu_product 0.1: c_avg -1.5e38 (finite)");
    mu_start = 0.9 / 7.0;
    CASE(NADAM, (o.nadam.lr = 1e20, o.nadam.weight_decay = 1e20), 3, LOSSOPT_ERR_ARG,
         "decoupled decay 1 - 1e40");
    CASE(NADAM, (o.nadam.lr = 1e20, o.nadam.weight_decay = 1e20, o.nadam.decoupled_weight_decay = false),
         3, LOSSOPT_OK, "L2 weight_decay 1e20, lr 1e20 (no decay factor)");
    CASE(NADAM, (o.nadam.weight_decay = 1e39, o.nadam.decoupled_weight_decay = false), 3,
         LOSSOPT_ERR_ARG, "L2 weight_decay 1e39");
    CASE(NADAM, o.nadam.eps = 1e39, 3, LOSSOPT_ERR_ARG, "eps 1e39");
    CASE(NADAM, o.nadam.momentum_decay = 1e300, 3, LOSSOPT_OK, "momentum_decay 1e300");
    /* RAdam: step_size = lr / bc1 unrectified (step 1), tiny when rectified (step 6) */
    CASE(RADAM, o.radam.lr = 1e38, 1, LOSSOPT_ERR_ARG, "step size 1e39 at step 1");
    CASE(RADAM, o.radam.lr = 1e38, 6, LOSSOPT_OK, "rectified step size at step 6");
    CASE(RADAM, (o.radam.lr = 1e20, o.radam.weight_decay = 1e20, o.radam.decoupled_weight_decay = true),
         3, LOSSOPT_ERR_ARG, "decoupled decay 1 - 1e40");
    CASE(RADAM, (o.radam.lr = 1e20, o.radam.weight_decay = 1e20), 3, LOSSOPT_OK,
         "L2 weight_decay 1e20, lr 1e20");
    CASE(RADAM, o.radam.eps = 1e39, 3, LOSSOPT_ERR_ARG, "eps 1e39");
    /* Lion: (float)lr, decay = 1 - lr wd */
    CASE(LION, o.lion.lr = 1e39, 3, LOSSOPT_ERR_ARG, "lr 1e39");
    CASE(LION, (o.lion.lr = 1e20, o.lion.weight_decay = 1e20), 3, LOSSOPT_ERR_ARG, "decay 1 - 1e40");
    CASE(LION, (o.lion.lr = 1e-3, o.lion.weight_decay = 1e42), 3, LOSSOPT_ERR_ARG, "decay 1 - 1e39");
    CASE(LION, (o.lion.lr = 1e-3, o.lion.weight_decay = 1e38), 3, LOSSOPT_OK, "decay 1 - 1e35");
    /* LAMB: eps, weight_decay; lr * r is data, never an error */
    CASE(LAMB, o.lamb.eps = 1e39, 3, LOSSOPT_ERR_ARG, "eps 1e39");
    CASE(LAMB, o.lamb.weight_decay = 1e39, 3, LOSSOPT_ERR_ARG, "weight_decay 1e39");
    CASE(LAMB, o.lamb.lr = 3e38, 3, LOSSOPT_OK, "lr 3e38: lr * r overflows, data, not an error");
    CASE(LAMB, o.lamb.max_trust_ratio = 1e300, 3, LOSSOPT_OK, "max_trust_ratio 1e300");
#undef CASE
}

/* ---- NAdam's mu_product ------------------------------------------------------------ */

static void check_mu_product(void)
{
    opt o = make(NADAM);
    lossopt_tensor t = full_tensor(), empty = {.n = 0};
    expect(&o, t, NULL, 3, FORM_BOTH, LOSSOPT_ERR_NULL, "mu_product NULL");
    expect(&o, empty, NULL, 3, FORM_BOTH, LOSSOPT_ERR_NULL, "mu_product NULL with n == 0");
    opt nan_lr = o;
    nan_lr.nadam.lr = NAN;
    expect(&nan_lr, empty, NULL, 0, FORM_BOTH, LOSSOPT_ERR_NULL, "mu_product NULL, lr NaN, step 0");
    /* [0, 1] (include/lossopt.h; -0 is left out: neither clearly "negative"
     * nor clearly 0 in the header's words) */
    static const double bad[] = {-0.5, -DBL_TRUE_MIN, -1.0, 1.0 + 0x1p-52, 2.0, NAN, -NAN,
                                 INFINITY, -INFINITY};
    static const double good[] = {1.0, 0.5, DBL_TRUE_MIN, DBL_MIN, 0.0};
    for (size_t e = 0; e < entry_count; e++) {
        for (int form = FORM_F32; form <= FORM_LIST; form++) {
            for (size_t i = 0; i < sizeof bad / sizeof bad[0] + sizeof good / sizeof good[0]; i++) {
                bool ok = i >= sizeof bad / sizeof bad[0];
                double value = ok ? good[i - sizeof bad / sizeof bad[0]] : bad[i];
                for (int empty_tensor = 0; empty_tensor < 2; empty_tensor++) {
                    bufset_fill(&one, "rules one tensor", 0);
                    lossopt_tensor tt = empty_tensor ? empty : full_tensor();
                    double mu = value;
                    lossopt_status st = form == FORM_F32
                                            ? run_f32(&entries[e], &o, tt.param, tt.grad, tt.state[0],
                                                      tt.state[1], &mu, tt.n, 3)
                                            : run_list(&entries[e], &o, &mu, &tt, 1, 3, NULL, NULL);
                    double want = ok ? value * nadam_mu(&o.nadam, 3) : value;
                    test_check(st == (ok ? LOSSOPT_OK : LOSSOPT_ERR_ARG) &&
                                   (ok ? same_double(mu, want)
                                       : memcmp(&mu, &value, sizeof mu) == 0 && bufset_changed(&one) == 0),
                               "nadam %s via %s: mu_product %g (n %zu): status %d, mu_product %.17g "
                               "(want %.17g), buffers changed 0x%x", form == FORM_F32 ? "_f32" : "list",
                               entries[e].name, value, tt.n, st, mu, want, bufset_changed(&one));
                }
            }
        }
    }
}

/* ---- lists of 5 tensors: class-major errors, nothing written anywhere --------------- */

#define LIST 5
static const size_t list_sizes[LIST] = {37, 5, 100, 64, 1};
static bufset list_buffers[LIST];
static double list_mu[LIST], list_mu_saved[LIST];

static void list_fill(lossopt_tensor t[LIST])
{
    for (size_t i = 0; i < LIST; i++) {
        bufset_fill(&list_buffers[i], "rules list", i);
        list_mu_saved[i] = list_mu[i] = 1.0 / (double)(i + 1) - 0.01 * (double)i;
        bufset *b = &list_buffers[i];
        t[i] = (lossopt_tensor){.param = b->b[B_PARAM], .grad = b->b[B_GRAD],
                                .state = {b->b[B_S0], b->b[B_S1], b->b[B_S2]}, .n = b->n};
    }
}

/* Bit i: tensor i's buffers changed. */
static unsigned list_changed(void)
{
    unsigned changed = 0;
    for (size_t i = 0; i < LIST; i++)
        if (bufset_changed(&list_buffers[i]))
            changed |= 1u << i;
    return changed;
}

static bool list_mu_kept(void) { return memcmp(list_mu, list_mu_saved, sizeof list_mu) == 0; }

typedef void list_edit(lossopt_tensor t[LIST], opt *o, int64_t *step);

static void expect_list(int kind, list_edit *edit, lossopt_status want, const char *why)
{
    for (size_t e = 0; e < entry_count; e++) {
        lossopt_tensor t[LIST];
        list_fill(t);
        opt o = make(kind);
        int64_t step = 3;
        edit(t, &o, &step);
        memcpy(list_mu_saved, list_mu, sizeof list_mu); /* edits may set bad products */
        lossopt_step_report r;
        memset(&r, 0x3C, sizeof r);
        lossopt_step_report r0 = r;
        lossopt_status st = run_list(&entries[e], &o, list_mu, t, LIST, step, NULL, &r);
        if (!test_check(st == want, "%s list of 5 (%s) via %s: status %d (%s), want %d",
                        kind_names[kind], why, entries[e].name, st, lossopt_status_string(st), want))
            continue;
        if (want != LOSSOPT_OK)
            test_check(list_changed() == 0 && list_mu_kept() && memcmp(&r, &r0, sizeof r) == 0,
                       "%s list of 5 (%s) via %s: a failed call wrote (tensors 0x%x, mu_products %s)",
                       kind_names[kind], why, entries[e].name, list_changed(),
                       list_mu_kept() ? "kept" : "changed");
        else
            test_check(list_changed() == (1u << LIST) - 1, "%s list of 5 (%s) via %s: tensors "
                       "written 0x%x, want all", kind_names[kind], why, entries[e].name,
                       list_changed());
    }
}

static void edit_none(lossopt_tensor t[LIST], opt *o, int64_t *step) { (void)t, (void)o, (void)step; }
static void edit_null_grad(lossopt_tensor t[LIST], opt *o, int64_t *s) { (void)o, (void)s; t[3].grad = NULL; }
static void edit_null_param(lossopt_tensor t[LIST], opt *o, int64_t *s) { (void)o, (void)s; t[3].param = NULL; }
static void edit_null_state0(lossopt_tensor t[LIST], opt *o, int64_t *s) { (void)o, (void)s; t[3].state[0] = NULL; }
static void edit_null_state1(lossopt_tensor t[LIST], opt *o, int64_t *s) { (void)o, (void)s; t[3].state[1] = NULL; }
static void edit_size(lossopt_tensor t[LIST], opt *o, int64_t *s) { (void)o, (void)s; t[3].n = SIZE_MAX / 2; }
static void edit_step(lossopt_tensor t[LIST], opt *o, int64_t *s) { (void)o, (void)s; t[3].step = -1; }
static void edit_mu_zero(lossopt_tensor t[LIST], opt *o, int64_t *s) { (void)t, (void)o, (void)s; list_mu[3] = 0.0; }
static void edit_mu_negative(lossopt_tensor t[LIST], opt *o, int64_t *s) { (void)t, (void)o, (void)s; list_mu[3] = -0.25; }
static void edit_mu_nan(lossopt_tensor t[LIST], opt *o, int64_t *s) { (void)t, (void)o, (void)s; list_mu[3] = NAN; }
static void edit_mu_big(lossopt_tensor t[LIST], opt *o, int64_t *s) { (void)t, (void)o, (void)s; list_mu[3] = 1.5; }
/* class-major: a NULL in tensor 4 wins over an ARG in tensor 1 or the config */
static void edit_arg_then_null(lossopt_tensor t[LIST], opt *o, int64_t *s)
{
    (void)o, (void)s;
    t[1].step = -1;
    list_mu[0] = -1.0;
    t[4].grad = NULL;
}
static void edit_size_then_null(lossopt_tensor t[LIST], opt *o, int64_t *s)
{
    (void)o, (void)s;
    t[1].n = SIZE_MAX;
    t[4].param = NULL;
}
static void edit_arg_then_size(lossopt_tensor t[LIST], opt *o, int64_t *s)
{
    (void)o, (void)s;
    t[0].step = -5;
    t[4].n = SIZE_MAX / 2;
}
static void edit_cfg_then_null(lossopt_tensor t[LIST], opt *o, int64_t *s)
{
    (void)s;
    o->adagrad.lr = o->adamax.lr = o->nadam.lr = o->radam.lr = o->lion.lr = o->lamb.lr = NAN;
    t[3].state[0] = NULL;
}
/* A tensor's own step whose coefficient is not a finite float; the call's
 * step (and the other tensors) fine (see check_derived_coefficients). */
static void edit_own_step_coefficient(lossopt_tensor t[LIST], opt *o, int64_t *s)
{
    switch (o->kind) {
    case ADAGRAD: o->adagrad.lr = 3.5e38, o->adagrad.lr_decay = 1.0, *s = 2, t[3].step = 1; break;
    case ADAMAX: o->adamax.lr = 4e37, *s = 2, t[3].step = 1; break;
    case NADAM: /* from mu_product 1 (see check_derived_coefficients) */
        o->nadam.lr = 1.5e38, o->nadam.momentum_decay = 10, *s = 1, t[3].step = 100;
        list_mu[3] = 1.0;
        break;
    case RADAM: o->radam.lr = 1e38, *s = 6, t[3].step = 1; break;
    default: break; /* Lion and LAMB have no step-dependent coefficient that can fail */
    }
}
static void edit_own_step_own_mu(lossopt_tensor t[LIST], opt *o, int64_t *s)
{
    edit_own_step_coefficient(t, o, s);
    list_mu[3] = 0.22;
}
/* its control: the same config with tensor 3 on a good step of its own */
static void edit_own_step_fine(lossopt_tensor t[LIST], opt *o, int64_t *s)
{
    edit_own_step_coefficient(t, o, s);
    t[3].step = o->kind == NADAM ? 1 : o->kind == RADAM ? 7 : 3;
}

static void check_list_errors(void)
{
    for (size_t i = 0; i < LIST; i++)
        bufset_alloc(&list_buffers[i], list_sizes[i]);
    for (int kind = 0; kind < KINDS; kind++) {
        expect_list(kind, edit_none, LOSSOPT_OK, "valid");
        expect_list(kind, edit_null_grad, LOSSOPT_ERR_NULL, "tensor 3 NULL grad");
        expect_list(kind, edit_null_param, LOSSOPT_ERR_NULL, "tensor 3 NULL param");
        expect_list(kind, edit_null_state0, LOSSOPT_ERR_NULL, "tensor 3 NULL state[0]");
        expect_list(kind, edit_null_state1, states_used(kind) & 2 ? LOSSOPT_ERR_NULL : LOSSOPT_OK,
                    "tensor 3 NULL state[1]");
        expect_list(kind, edit_size, LOSSOPT_ERR_SIZE, "tensor 3 n = SIZE_MAX / 2");
        expect_list(kind, edit_step, LOSSOPT_ERR_ARG, "tensor 3 step -1");
        expect_list(kind, edit_arg_then_null, LOSSOPT_ERR_NULL,
                    "tensor 1 step -1, mu_products[0] -1, tensor 4 NULL grad");
        expect_list(kind, edit_size_then_null, LOSSOPT_ERR_NULL, "tensor 1 n SIZE_MAX, tensor 4 NULL param");
        expect_list(kind, edit_arg_then_size, LOSSOPT_ERR_SIZE, "tensor 0 step -5, tensor 4 n huge");
        expect_list(kind, edit_cfg_then_null, LOSSOPT_ERR_NULL, "lr NaN, tensor 3 NULL state[0]");
        if (kind != LION && kind != LAMB) {
            expect_list(kind, edit_own_step_coefficient, LOSSOPT_ERR_ARG,
                        "tensor 3's own step: a coefficient not a finite float");
            expect_list(kind, edit_own_step_fine, LOSSOPT_OK, "tensor 3's own step: fine");
        }
        if (kind == NADAM) {
            /* tensor 3 at step 100 judged by its own mu_product (0.22): finite */
            expect_list(kind, edit_own_step_own_mu, LOSSOPT_OK,
                        "tensor 3's own step 100 from its own mu_product 0.22: finite");
            expect_list(kind, edit_mu_zero, LOSSOPT_OK, "mu_products[3] 0 (valid)");
            expect_list(kind, edit_mu_negative, LOSSOPT_ERR_ARG, "mu_products[3] -0.25");
            expect_list(kind, edit_mu_nan, LOSSOPT_ERR_ARG, "mu_products[3] NaN");
            expect_list(kind, edit_mu_big, LOSSOPT_ERR_ARG, "mu_products[3] 1.5");
            for (size_t e = 0; e < entry_count; e++) { /* mu_products NULL, count 5 */
                lossopt_tensor t[LIST];
                list_fill(t);
                opt o = make(NADAM);
                lossopt_status st = run_list(&entries[e], &o, NULL, t, LIST, 3, NULL, NULL);
                test_check(st == LOSSOPT_ERR_NULL && list_changed() == 0,
                           "nadam list via %s: mu_products NULL: status %d", entries[e].name, st);
            }
        }
    }
}

/* ---- NAdam: one mu_product per tensor, each by its own tensor's mu ------------------- */

static void check_nadam_per_tensor(void)
{
    static const int64_t own_steps[LIST] = {0, 1, 7, 0, 250};
    opt o = make(NADAM);
    o.nadam.momentum_decay = 0.05; /* mu varies visibly with the step */
    for (size_t e = 0; e < entry_count; e++) {
        lossopt_tensor t[LIST];
        list_fill(t);
        list_buffers[4].n = 0; /* an empty tensor: its product is multiplied too */
        t[4].n = 0;
        for (size_t i = 0; i < LIST; i++)
            t[i].step = own_steps[i];
        lossopt_step_report r;
        lossopt_status st = run_list(&entries[e], &o, list_mu, t, LIST, 3, NULL, &r);
        list_buffers[4].n = list_sizes[4];
        if (!test_check(st == LOSSOPT_OK, "nadam per tensor via %s: status %d", entries[e].name, st))
            continue;
        for (size_t i = 0; i < LIST; i++) {
            int64_t s = own_steps[i] ? own_steps[i] : 3;
            double want = list_mu_saved[i] * nadam_mu(&o.nadam, s);
            test_check(same_double(list_mu[i], want),
                       "nadam per tensor via %s: mu_products[%zu] %.17g, want %.17g * mu(step %lld) "
                       "= %.17g", entries[e].name, i, list_mu[i], list_mu_saved[i], (long long)s, want);
            /* and the tensor's update is its own _f32 call with its step and product */
            bufset *b = &list_buffers[i];
            size_t n = t[i].n;
            float *p = malloc((n + 1) * sizeof(float)), *m = malloc((n + 1) * sizeof(float)),
                  *v = malloc((n + 1) * sizeof(float));
            memcpy(p, b->saved[B_PARAM], n * sizeof(float));
            memcpy(m, b->saved[B_S0], n * sizeof(float));
            memcpy(v, b->saved[B_S1], n * sizeof(float));
            double mu = list_mu_saved[i];
            st = run_f32(&entries[e], &o, p, b->b[B_GRAD], m, v, &mu, n, s);
            test_check(st == LOSSOPT_OK && test_first_difference(p, b->b[B_PARAM], n) == n &&
                           test_first_difference(m, b->b[B_S0], n) == n &&
                           test_first_difference(v, b->b[B_S1], n) == n && same_double(mu, list_mu[i]),
                       "nadam per tensor via %s: tensor %zu (step %lld, mu_product %g) differs from "
                       "its own _f32 call", entries[e].name, i, (long long)s, list_mu_saved[i]);
            test_check(memcmp(b->b[B_S2], b->saved[B_S2], n * sizeof(float)) == 0,
                       "nadam per tensor: state[2] touched");
            free(p), free(m), free(v);
        }
        /* the coefficients differ per tensor: tensors 0 and 3 share step and
         * differ only in mu_product; tensor 1 differs in step */
        test_check(list_mu[1] / list_mu_saved[1] != list_mu[0] / list_mu_saved[0],
                   "nadam per tensor: the test needs different mus");
    }
}

/* ---- skip_nonfinite ---------------------------------------------------------------- */

static void check_skip_nonfinite(void)
{
    static const float bad[] = {INFINITY, -INFINITY, NAN};
    for (int kind = 0; kind < KINDS; kind++) {
        opt o = make(kind);
        for (size_t e = 0; e < entry_count; e++) {
            for (size_t k = 0; k < 4; k++) { /* k == 3: all finite, the control */
                lossopt_tensor t[LIST];
                list_fill(t);
                if (k < 3) {
                    list_buffers[2].b[B_GRAD][57] = bad[k];
                    list_buffers[2].saved[B_GRAD][57] = bad[k];
                }
                lossopt_step_options op = {.skip_nonfinite = true};
                lossopt_step_report r;
                memset(&r, 0, sizeof r);
                lossopt_status st = run_list(&entries[e], &o, list_mu, t, LIST, 4, &op, &r);
                if (k < 3)
                    test_check(st == LOSSOPT_OK && r.skipped && r.nonfinite && list_changed() == 0 &&
                                   list_mu_kept(),
                               "%s skip_nonfinite (grad %g) via %s: status %d, skipped %d, "
                               "nonfinite %d, tensors written 0x%x, mu_products %s", kind_names[kind],
                               bad[k], entries[e].name, st, r.skipped, r.nonfinite, list_changed(),
                               list_mu_kept() ? "kept" : "changed");
                else
                    test_check(st == LOSSOPT_OK && !r.skipped && !r.nonfinite &&
                                   list_changed() == (1u << LIST) - 1 &&
                                   (kind != NADAM || !list_mu_kept()) &&
                                   isfinite(r.grad_norm) && r.grad_norm > 0,
                               "%s skip_nonfinite control via %s: status %d, skipped %d, written 0x%x",
                               kind_names[kind], entries[e].name, st, r.skipped, list_changed());
            }
        }
    }
    for (size_t i = 0; i < LIST; i++)
        bufset_free(&list_buffers[i]);
}

/* ---- the _f32 call is the one-tensor list call ---------------------------------------- */

static void check_f32_is_list(void)
{
    static const size_t lengths[] = {1, 17, 300, 65536 + 300};
    for (int kind = 0; kind < KINDS; kind++) {
        opt o = make(kind);
        if (kind == LAMB)
            o.lamb.max_trust_ratio = 2.0;
        for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
            size_t n = lengths[l];
            bufset a, b;
            bufset_alloc(&a, n);
            bufset_alloc(&b, n);
            for (size_t e = 0; e < entry_count; e++) {
                for (int special = 0; special < 2; special++) {
                    bufset_fill(&a, "f32 is list", n * 2 + (size_t)special);
                    if (special) /* some special values too */
                        for (size_t i = 0; i < n; i += 7) {
                            a.b[B_PARAM][i] = test_random_special();
                            a.b[B_GRAD][(i * 3) % n] = test_random_special();
                            a.b[B_S0][(i * 5) % n] = test_random_special();
                        }
                    for (int k = 0; k < BUFFERS; k++)
                        memcpy(b.b[k], a.b[k], n * sizeof(float));
                    double mu_a = 0.3, mu_b = 0.3;
                    lossopt_status sa = run_f32(&entries[e], &o, a.b[B_PARAM], a.b[B_GRAD], a.b[B_S0],
                                                (states_used(kind) & 2) ? a.b[B_S1] : NULL, &mu_a, n, 5);
                    lossopt_tensor t = {.param = b.b[B_PARAM], .grad = b.b[B_GRAD],
                                        .state = {b.b[B_S0], (states_used(kind) & 2) ? b.b[B_S1] : NULL,
                                                  NULL}, .n = n};
                    lossopt_step_options zero_options = {0};
                    lossopt_status sb = run_list(&entries[e], &o, &mu_b, &t, 1, 5,
                                                 special ? &zero_options : NULL, NULL);
                    bool same = sa == LOSSOPT_OK && sb == LOSSOPT_OK && same_double(mu_a, mu_b);
                    for (int k = 0; k < BUFFERS; k++)
                        same = same && memcmp(a.b[k], b.b[k], n * sizeof(float)) == 0;
                    test_check(same, "%s via %s, n %zu%s: the _f32 call (status %d) differs from the "
                               "one-tensor list call (status %d)", kind_names[kind], entries[e].name,
                               n, special ? " with special values" : "", sa, sb);
                }
            }
            bufset_free(&a);
            bufset_free(&b);
        }
    }
}

/* ---- LAMB: the norms do not depend on threads ----------------------------------------- */

static void check_threads(bool quick)
{
    static const size_t full_sizes[] = {140000, 70001, 3, 0, 65536, 257, 65537, 1000};
    static const size_t quick_sizes[] = {70001, 3, 0, 65537};
    const size_t *sizes = quick ? quick_sizes : full_sizes;
    size_t count = quick ? sizeof quick_sizes / sizeof quick_sizes[0]
                         : sizeof full_sizes / sizeof full_sizes[0];
    lossopt_parallel pools[3];
    for (unsigned k = 0; k < 3; k++)
        test_check(lossopt_threads_create(k + 1, &pools[k]) == LOSSOPT_OK, "pool of %u threads", k + 1);
    bufset *input = calloc(count, sizeof *input), *ref = calloc(count, sizeof *ref),
           *work = calloc(count, sizeof *work);
    lossopt_tensor *t = calloc(count, sizeof *t);
    for (size_t i = 0; i < count; i++) {
        bufset_alloc(&input[i], sizes[i]);
        bufset_alloc(&ref[i], sizes[i]);
        bufset_alloc(&work[i], sizes[i]);
        bufset_fill(&input[i], "lamb threads", i);
        for (size_t j = 0; j < sizes[i]; j++) /* tensors of different scales */
            input[i].b[B_PARAM][j] *= (float)(i + 1);
    }
    /* LAMB with weight decay (the trust ratio on), with the clamp, always
     * adapting without weight decay; and the other optimizers once (quick: LAMB only) */
    opt configs[3 + KINDS - 1];
    size_t config_count = 0;
    opt o = make(LAMB);
    o.lamb.weight_decay = 0.05;
    configs[config_count++] = o;
    o.lamb.max_trust_ratio = 1.5;
    configs[config_count++] = o;
    o = make(LAMB);
    o.lamb.weight_decay = 0.0;
    o.lamb.always_adapt = true;
    o.lamb.maximize = true;
    configs[config_count++] = o;
    if (!quick)
        for (int kind = 0; kind < LAMB; kind++)
            configs[config_count++] = make(kind);
    double *mu = calloc(count, sizeof *mu), *mu_ref = calloc(count, sizeof *mu_ref);
    for (size_t c = 0; c < config_count; c++) {
        const opt *oc = &configs[c];
        for (size_t e = 0; e < entry_count; e++) {
            for (int run = 0; run < 4; run++) { /* no pool, then 1, 2, 3 threads */
                bufset *out = run == 0 ? ref : work;
                for (size_t i = 0; i < count; i++) {
                    for (int k = 0; k < BUFFERS; k++)
                        memcpy(out[i].b[k], input[i].b[k], sizes[i] * sizeof(float));
                    t[i] = (lossopt_tensor){.param = out[i].b[B_PARAM], .grad = out[i].b[B_GRAD],
                                            .state = {out[i].b[B_S0], out[i].b[B_S1], out[i].b[B_S2]},
                                            .n = sizes[i]};
                    mu[i] = 1.0 / (double)(i + 2);
                }
                lossopt_step_options op = {.parallel = run == 0 ? NULL : &pools[run - 1]};
                lossopt_status st = run_list(&entries[e], oc, mu, t, count, 2, &op, NULL);
                if (!test_check(st == LOSSOPT_OK, "%s threads %d via %s: status %d",
                                kind_names[oc->kind], run, entries[e].name, st))
                    continue;
                if (run == 0) {
                    memcpy(mu_ref, mu, count * sizeof *mu);
                    continue;
                }
                for (size_t i = 0; i < count; i++)
                    for (int k = 0; k < BUFFERS; k++) {
                        size_t d = test_first_difference(work[i].b[k], ref[i].b[k], sizes[i]);
                        test_check(d == sizes[i], "%s config %zu via %s: %d threads: tensor %zu "
                                   "(n %zu) %s[%zu] %a, without a pool %a", kind_names[oc->kind], c,
                                   entries[e].name, run, i, sizes[i], buffer_names[k], d,
                                   d < sizes[i] ? work[i].b[k][d] : 0.0f,
                                   d < sizes[i] ? ref[i].b[k][d] : 0.0f);
                    }
                test_check(memcmp(mu, mu_ref, count * sizeof *mu) == 0,
                           "%s via %s: %d threads: mu_products differ", kind_names[oc->kind],
                           entries[e].name, run);
            }
            /* LAMB's norms are per tensor: each tensor of the list equals its
             * own _f32 call (its ranges are the same) */
            for (size_t i = 0; oc->kind == LAMB && i < count; i++) {
                for (int k = 0; k < BUFFERS; k++)
                    memcpy(work[i].b[k], input[i].b[k], sizes[i] * sizeof(float));
                lossopt_status st = run_f32(&entries[e], oc, work[i].b[B_PARAM], work[i].b[B_GRAD],
                                            work[i].b[B_S0], work[i].b[B_S1], NULL, sizes[i], 2);
                bool same = st == LOSSOPT_OK;
                for (int k = 0; k < BUFFERS; k++)
                    same = same && memcmp(work[i].b[k], ref[i].b[k], sizes[i] * sizeof(float)) == 0;
                test_check(same, "lamb config %zu via %s: tensor %zu (n %zu) of the list differs "
                           "from its own _f32 call", c, entries[e].name, i, sizes[i]);
            }
        }
    }
    for (unsigned k = 0; k < 3; k++)
        lossopt_threads_destroy(&pools[k]);
    for (size_t i = 0; i < count; i++) {
        bufset_free(&input[i]);
        bufset_free(&ref[i]);
        bufset_free(&work[i]);
    }
    free(input), free(ref), free(work), free(t), free(mu), free(mu_ref);
}

int main(void)
{
    test_init("test_more_optimizer_rules");
    test_skip_unless_forced_isa_supported();
    bool quick = getenv("LOSSOPT_TEST_QUICK") != NULL;
    entry_count = test_all_entry_points(entries);
    bufset_alloc(&one, N);
    check_null_and_size();
    check_invalid_scalars();
    check_derived_coefficients();
    check_mu_product();
    check_list_errors();
    check_nadam_per_tensor();
    check_skip_nonfinite();
    check_f32_is_list();
    check_threads(quick);
    bufset_free(&one);
    return test_finish();
}
