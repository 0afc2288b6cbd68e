/* tests/test_optimizer_errors.c - the error contract of the optimizer updates:
 * every invalid argument returns its documented status (first failing check
 * in the order ISA, NULL, SIZE, ARG) and leaves param, grad and every state
 * buffer byte-for-byte unchanged; buffers a configuration does not use are
 * never touched; n == 0 with NULL data is fine. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lossopt_internal.h"
#include "optimizer_cases.h"
#include "test_support.h"

#define N 37

static float param[N], grad[N], state[MAX_STATE_BUFFERS][N];
static unsigned char snapshot[(2 + MAX_STATE_BUFFERS) * N * sizeof(float)];

static void fill_and_snapshot(void)
{
    test_seed_case("optimizer errors fill", 0, 0, 0);
    for (int i = 0; i < N; i++) {
        param[i] = test_random_uniform(-1, 1);
        grad[i] = test_random_uniform(-1, 1);
        for (int s = 0; s < MAX_STATE_BUFFERS; s++)
            state[s][i] = test_random_uniform(0, 1);
    }
    unsigned char *p = snapshot;
    memcpy(p, param, sizeof param); p += sizeof param;
    memcpy(p, grad, sizeof grad); p += sizeof grad;
    for (int s = 0; s < MAX_STATE_BUFFERS; s++, p += sizeof state[s - 1])
        memcpy(p, state[s], sizeof state[s]);
}

static bool unchanged(void)
{
    const unsigned char *p = snapshot;
    bool same = memcmp(p, param, sizeof param) == 0; p += sizeof param;
    same = same && memcmp(p, grad, sizeof grad) == 0; p += sizeof grad;
    for (int s = 0; s < MAX_STATE_BUFFERS; s++, p += sizeof state[s - 1])
        same = same && memcmp(p, state[s], sizeof state[s]) == 0;
    return same;
}

/* Runs c with the given pointers and n on the public API and on every
 * supported ISA; each must return `want` and (when want != OK) write nothing. */
static void expect(const optimizer_case *c, float *p, const float *g, float *s0, float *s1,
                   float *s2, size_t n, lossopt_status want, const char *why)
{
    unsigned isas = lossopt_supported_isas();
    for (int isa = -1; isa <= LOSSOPT_ISA_NEON; isa++) {
        if (isa >= 0 && !((isas >> isa) & 1))
            continue;
        fill_and_snapshot();
        float *st[MAX_STATE_BUFFERS] = {s0, s1, s2};
        lossopt_status got = optimizer_case_run(
            c, isa < 0, isa < 0 ? NULL : lossopt_kernel_table_for((lossopt_isa)isa), p, g, st, n);
        const char *via = isa < 0 ? "public" : lossopt_isa_name((lossopt_isa)isa);
        test_check(got == want, "%s (%s) via %s: got status %d (%s), want %d", why,
                   optimizer_case_describe(c), via, got, lossopt_status_string(got), want);
        if (want != LOSSOPT_OK)
            test_check(unchanged(), "%s (%s) via %s: a failed call wrote", why,
                       optimizer_case_describe(c), via);
    }
}

/* The whole-buffer call for case c with every state buffer provided. */
static void expect_full(const optimizer_case *c, lossopt_status want, const char *why)
{
    expect(c, param, grad, state[0], state[1], state[2], N, want, why);
}

static optimizer_case sgd_case(void)
{
    optimizer_case c = {.family = FAMILY_SGD, .step = 2};
    c.sgd = lossopt_sgd_defaults();
    c.sgd.momentum = 0.9f;
    return c;
}

static optimizer_case rmsprop_case(void)
{
    optimizer_case c = {.family = FAMILY_RMSPROP, .step = 1};
    c.rmsprop = lossopt_rmsprop_defaults();
    c.rmsprop.centered = true;
    c.rmsprop.momentum = 0.5f;
    return c;
}

static optimizer_case adam_case(void)
{
    optimizer_case c = {.family = FAMILY_ADAM, .step = 3};
    c.sgd = lossopt_sgd_defaults();
    c.rmsprop = lossopt_rmsprop_defaults();
    c.adam = lossopt_adam_defaults();
    c.adam.amsgrad = true;
    return c;
}

static const double non_finite[] = {NAN, -NAN, INFINITY, -INFINITY};

/* Each field of the config set to a bad value must give LOSSOPT_ERR_ARG. */
#define EXPECT_BAD_FIELD(make, field, value)                                      \
    do {                                                                          \
        optimizer_case c_ = make();                                               \
        c_.field = (value);                                                       \
        char why_[96];                                                            \
        snprintf(why_, sizeof why_, "%s = %g", #field, (double)(value));          \
        expect_full(&c_, LOSSOPT_ERR_ARG, why_);                                  \
    } while (0)

/* Finite doubles whose per-call float coefficients are not finite: each is
 * LOSSOPT_ERR_ARG with nothing written (include/lossopt.h). */
static void test_derived_coefficients(void)
{
    EXPECT_BAD_FIELD(sgd_case, sgd.lr, 1e39);          /* no float: (float)lr = inf   */
    EXPECT_BAD_FIELD(sgd_case, sgd.momentum, 1e39);
    EXPECT_BAD_FIELD(sgd_case, sgd.weight_decay, 1e300);
    EXPECT_BAD_FIELD(rmsprop_case, rmsprop.lr, DBL_MAX);
    EXPECT_BAD_FIELD(rmsprop_case, rmsprop.eps, 4e38);
    EXPECT_BAD_FIELD(rmsprop_case, rmsprop.weight_decay, 1e39);
    EXPECT_BAD_FIELD(rmsprop_case, rmsprop.momentum, 1e39);
    EXPECT_BAD_FIELD(adam_case, adam.eps, 1e39);
    EXPECT_BAD_FIELD(adam_case, adam.weight_decay, 1e39);
    /* lr = 3e38 is a float, but Adam's step size lr / (1 - beta1^3) is not */
    EXPECT_BAD_FIELD(adam_case, adam.lr, 3e38);
    optimizer_case c = adam_case();
    c.step = 1;
    c.adam.lr = 3.3e37; /* step size 3.3e38: still a float */
    expect_full(&c, LOSSOPT_OK, "adam lr 3.3e37, step size 3.3e38");
    c.adam.lr = 3.5e37; /* step size 3.5e38: not a float */
    expect_full(&c, LOSSOPT_ERR_ARG, "adam lr 3.5e37, step size 3.5e38");
    /* AdamW's decay factor 1 - lr * weight_decay */
    c = adam_case();
    c.adam.decoupled_weight_decay = true;
    c.adam.lr = 1e20;
    c.adam.weight_decay = 1e20;
    expect_full(&c, LOSSOPT_ERR_ARG, "adamw decay factor 1 - 1e40");
    /* the same hyper-parameters without decoupling: L2 weight decay 1e20
     * and step size 1e20 / (1 - 0.9^3) are floats, the decay factor unused */
    c.adam.decoupled_weight_decay = false;
    expect_full(&c, LOSSOPT_OK, "adam (L2) lr 1e20, weight_decay 1e20");
    /* a coefficient that rounds to 0 is not an error (as in PyTorch) */
    c = sgd_case();
    c.sgd.lr = 1e-50;
    expect_full(&c, LOSSOPT_OK, "sgd lr 1e-50");
}

static void test_invalid_scalars(void)
{
    for (size_t i = 0; i < 4; i++) {
        double x = non_finite[i];
        EXPECT_BAD_FIELD(sgd_case, sgd.lr, x);
        EXPECT_BAD_FIELD(sgd_case, sgd.momentum, x);
        EXPECT_BAD_FIELD(sgd_case, sgd.dampening, x);
        EXPECT_BAD_FIELD(sgd_case, sgd.weight_decay, x);
        EXPECT_BAD_FIELD(rmsprop_case, rmsprop.lr, x);
        EXPECT_BAD_FIELD(rmsprop_case, rmsprop.alpha, x);
        EXPECT_BAD_FIELD(rmsprop_case, rmsprop.eps, x);
        EXPECT_BAD_FIELD(rmsprop_case, rmsprop.weight_decay, x);
        EXPECT_BAD_FIELD(rmsprop_case, rmsprop.momentum, x);
        EXPECT_BAD_FIELD(adam_case, adam.lr, x);
        EXPECT_BAD_FIELD(adam_case, adam.beta1, x);
        EXPECT_BAD_FIELD(adam_case, adam.beta2, x);
        EXPECT_BAD_FIELD(adam_case, adam.eps, x);
        EXPECT_BAD_FIELD(adam_case, adam.weight_decay, x);
    }
    EXPECT_BAD_FIELD(sgd_case, sgd.lr, -1e-3f);
    EXPECT_BAD_FIELD(sgd_case, sgd.momentum, -0.5f);
    EXPECT_BAD_FIELD(sgd_case, sgd.weight_decay, -FLT_MIN);
    EXPECT_BAD_FIELD(sgd_case, sgd.dampening, -0.01f);
    EXPECT_BAD_FIELD(sgd_case, sgd.dampening, 1.01f);
    EXPECT_BAD_FIELD(rmsprop_case, rmsprop.lr, -1.0f);
    EXPECT_BAD_FIELD(rmsprop_case, rmsprop.alpha, -0.01f);
    EXPECT_BAD_FIELD(rmsprop_case, rmsprop.alpha, 1.01f);
    EXPECT_BAD_FIELD(rmsprop_case, rmsprop.eps, -1e-8f);
    EXPECT_BAD_FIELD(rmsprop_case, rmsprop.weight_decay, -1.0f);
    EXPECT_BAD_FIELD(rmsprop_case, rmsprop.momentum, -0.9f);
    EXPECT_BAD_FIELD(adam_case, adam.lr, -1e-3f);
    EXPECT_BAD_FIELD(adam_case, adam.beta1, 1.0f);
    EXPECT_BAD_FIELD(adam_case, adam.beta1, -0.1f);
    EXPECT_BAD_FIELD(adam_case, adam.beta2, 1.0f);
    EXPECT_BAD_FIELD(adam_case, adam.beta2, -1e-9f);
    EXPECT_BAD_FIELD(adam_case, adam.eps, -1e-8f);
    EXPECT_BAD_FIELD(adam_case, adam.weight_decay, -0.01f);

    /* nesterov needs momentum > 0 and dampening == 0 */
    optimizer_case c = sgd_case();
    c.sgd.nesterov = true;
    c.sgd.momentum = 0.0f;
    expect_full(&c, LOSSOPT_ERR_ARG, "nesterov without momentum");
    c = sgd_case();
    c.sgd.nesterov = true;
    c.sgd.dampening = 0.1f;
    expect_full(&c, LOSSOPT_ERR_ARG, "nesterov with dampening");

    /* step < 1 */
    static const int64_t bad_steps[] = {0, -1, INT64_MIN};
    for (int i = 0; i < 3; i++) {
        c = sgd_case();
        c.step = bad_steps[i];
        expect_full(&c, LOSSOPT_ERR_ARG, "sgd step < 1");
        c.sgd.momentum = 0.0f; /* validated even when the step is not used */
        expect_full(&c, LOSSOPT_ERR_ARG, "plain sgd step < 1");
        c = adam_case();
        c.step = bad_steps[i];
        expect_full(&c, LOSSOPT_ERR_ARG, "adam step < 1");
    }

    /* the edges of each domain are valid */
    c = sgd_case();
    c.sgd.dampening = 1.0f;
    expect_full(&c, LOSSOPT_OK, "dampening 1");
    c = rmsprop_case();
    c.rmsprop.alpha = 0.0f;
    expect_full(&c, LOSSOPT_OK, "alpha 0");
    c.rmsprop.alpha = 1.0f;
    expect_full(&c, LOSSOPT_OK, "alpha 1");
    c = adam_case();
    c.adam.beta1 = 0.0f;
    c.adam.beta2 = 0.0f;
    c.adam.eps = 0.0f;
    c.adam.lr = 0.0f;
    expect_full(&c, LOSSOPT_OK, "betas 0, eps 0, lr 0");
    c = adam_case();
    c.step = INT64_MAX;
    expect_full(&c, LOSSOPT_OK, "adam step INT64_MAX");
    /* doubles just inside the domain that no float can tell from its edge */
    c = adam_case();
    c.adam.beta1 = 1.0 - 0x1p-53;
    c.adam.beta2 = 0x1p-1074;
    expect_full(&c, LOSSOPT_OK, "beta1 = 1 - 2^-53, beta2 = the smallest double");

    test_derived_coefficients();
}

static void test_null_and_size(void)
{
    const optimizer_case cases[] = {sgd_case(), rmsprop_case(), adam_case()};
    for (int k = 0; k < 3; k++) {
        const optimizer_case *c = &cases[k];
        unsigned used = optimizer_case_used_state(c);
        expect(c, NULL, grad, state[0], state[1], state[2], N, LOSSOPT_ERR_NULL, "NULL param");
        expect(c, param, NULL, state[0], state[1], state[2], N, LOSSOPT_ERR_NULL, "NULL grad");
        for (int s = 0; s < MAX_STATE_BUFFERS; s++) {
            if (!((used >> s) & 1))
                continue;
            float *st[3] = {state[0], state[1], state[2]};
            st[s] = NULL;
            char why[64];
            snprintf(why, sizeof why, "NULL used state buffer %d", s);
            expect(c, param, grad, st[0], st[1], st[2], N, LOSSOPT_ERR_NULL, why);
        }
        /* n == 0: NULL data is fine, and the config is still validated */
        expect(c, NULL, NULL, NULL, NULL, NULL, 0, LOSSOPT_OK, "n == 0 with NULL data");
        optimizer_case bad = *c;
        bad.sgd.lr = bad.rmsprop.lr = bad.adam.lr = NAN;
        expect(&bad, NULL, NULL, NULL, NULL, NULL, 0, LOSSOPT_ERR_ARG, "n == 0, lr NaN");
        /* NULL is checked before SIZE and ARG */
        expect(&bad, NULL, grad, state[0], state[1], state[2], N, LOSSOPT_ERR_NULL,
               "NULL param and lr NaN");
        /* a length whose bytes overflow: SIZE, before ARG, nothing touched */
        expect(c, param, grad, state[0], state[1], state[2], SIZE_MAX / 2, LOSSOPT_ERR_SIZE,
               "n = SIZE_MAX / 2");
        expect(&bad, param, grad, state[0], state[1], state[2], SIZE_MAX, LOSSOPT_ERR_SIZE,
               "n = SIZE_MAX and lr NaN");
    }
    /* cfg NULL */
    unsigned isas = lossopt_supported_isas();
    for (int isa = 0; isa <= LOSSOPT_ISA_NEON; isa++) {
        if (!((isas >> isa) & 1))
            continue;
        fill_and_snapshot();
        lossopt_isa i = (lossopt_isa)isa;
        test_check(lossopt_sgd_step_f32_isa(i, param, grad, state[0], N, NULL, 1) == LOSSOPT_ERR_NULL,
                   "sgd NULL cfg");
        test_check(lossopt_rmsprop_step_f32_isa(i, param, grad, state[0], state[1], state[2], N,
                                                NULL) == LOSSOPT_ERR_NULL, "rmsprop NULL cfg");
        test_check(lossopt_adam_step_f32_isa(i, param, grad, state[0], state[1], state[2], N, NULL,
                                             1) == LOSSOPT_ERR_NULL, "adam NULL cfg");
        test_check(unchanged(), "NULL cfg wrote");
    }
    test_check(lossopt_sgd_step_f32(param, grad, state[0], N, NULL, 1) == LOSSOPT_ERR_NULL,
               "public sgd NULL cfg");
}

/* A buffer the configuration does not use is never read or written. */
static void test_unused_buffers_untouched(void)
{
    const optimizer_case *cases;
    size_t count = optimizer_cases_all(&cases);
    unsigned isas = lossopt_supported_isas();
    for (size_t k = 0; k < count; k++) {
        unsigned used = optimizer_case_used_state(&cases[k]);
        for (int isa = 0; isa <= LOSSOPT_ISA_NEON; isa++) {
            if (!((isas >> isa) & 1))
                continue;
            fill_and_snapshot();
            float *st[MAX_STATE_BUFFERS] = {state[0], state[1], state[2]};
            lossopt_status got = optimizer_case_run(
                &cases[k], false, lossopt_kernel_table_for((lossopt_isa)isa), param, grad, st, N);
            test_check(got == LOSSOPT_OK, "%s: status %d", optimizer_case_describe(&cases[k]), got);
            const unsigned char *snap = snapshot + 2 * sizeof param;
            for (int s = 0; s < MAX_STATE_BUFFERS; s++)
                if (!((used >> s) & 1))
                    test_check(memcmp(snap + s * sizeof state[0], state[s], sizeof state[s]) == 0,
                               "%s on %s: unused state buffer %d was written",
                               optimizer_case_describe(&cases[k]), lossopt_isa_name((lossopt_isa)isa), s);
            test_check(memcmp(snapshot + sizeof param, grad, sizeof grad) == 0, "grad was written");
        }
    }
}

/* An ISA that is not supported (or not an ISA at all) is refused. */
static void test_unsupported_isa(void)
{
    optimizer_case c = adam_case();
    unsigned isas = lossopt_supported_isas();
    const int candidates[] = {LOSSOPT_ISA_AVX2, LOSSOPT_ISA_AVX512, LOSSOPT_ISA_NEON, 4, 99, -1};
    for (int i = 0; i < 6; i++) {
        int isa = candidates[i];
        if (isa >= 0 && isa <= LOSSOPT_ISA_NEON && ((isas >> isa) & 1))
            continue;
        fill_and_snapshot();
        float *st[MAX_STATE_BUFFERS] = {state[0], state[1], state[2]};
        lossopt_isa i = (lossopt_isa)isa;
        lossopt_status got = lossopt_adam_step_f32_isa(i, param, grad, st[0], st[1], st[2], N,
                                                       &c.adam, c.step);
        test_check(got == LOSSOPT_ERR_ISA, "isa %d: adam status %d, want LOSSOPT_ERR_ISA", isa, got);
        got = lossopt_sgd_step_f32_isa(i, param, grad, st[0], N, &c.sgd, 1);
        test_check(got == LOSSOPT_ERR_ISA, "isa %d: sgd status %d, want LOSSOPT_ERR_ISA", isa, got);
        got = lossopt_rmsprop_step_f32_isa(i, param, grad, st[0], st[1], st[2], N, &c.rmsprop);
        test_check(got == LOSSOPT_ERR_ISA, "isa %d: rmsprop status %d, want LOSSOPT_ERR_ISA", isa,
                   got);
        test_check(unchanged(), "isa %d: refused call wrote", isa);
        test_check(lossopt_set_isa((lossopt_isa)isa) == LOSSOPT_ERR_ISA,
                   "lossopt_set_isa(%d) accepted an unsupported ISA", isa);
    }
}

int main(void)
{
    test_init("test_optimizer_errors");
    test_skip_unless_forced_isa_supported();
    test_invalid_scalars();
    test_null_and_size();
    test_unused_buffers_untouched();
    test_unsupported_isa();
    return test_finish();
}
