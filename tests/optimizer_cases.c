/* tests/optimizer_cases.c - the option combinations every optimizer test runs
 * (see optimizer_cases.h). */
#include "optimizer_cases.h"

#include <stdio.h>

#include "lossopt_internal.h"

lossopt_status optimizer_case_run(const optimizer_case *c, bool public_api,
                                  const lossopt_kernel_table *table,
                                  float *param, const float *grad,
                                  float *const state[MAX_STATE_BUFFERS], size_t n)
{
    switch (c->family) {
    case FAMILY_SGD:
        return public_api ? lossopt_sgd_step_f32(param, grad, state[0], n, &c->sgd, c->step)
                          : lossopt_sgd_step_f32_with_table(table, param, grad, state[0], n, &c->sgd, c->step);
    case FAMILY_RMSPROP:
        return public_api
                   ? lossopt_rmsprop_step_f32(param, grad, state[0], state[1], state[2], n, &c->rmsprop)
                   : lossopt_rmsprop_step_f32_with_table(table, param, grad, state[0], state[1], state[2], n,
                                                  &c->rmsprop);
    case FAMILY_ADAM:
        return public_api ? lossopt_adam_step_f32(param, grad, state[0], state[1], state[2], n,
                                                  &c->adam, c->step)
                          : lossopt_adam_step_f32_with_table(table, param, grad, state[0], state[1],
                                                      state[2], n, &c->adam, c->step);
    }
    return LOSSOPT_ERR_ARG;
}

unsigned optimizer_case_used_state(const optimizer_case *c)
{
    switch (c->family) {
    case FAMILY_SGD: return c->sgd.momentum != 0.0f ? 1u : 0u;
    case FAMILY_RMSPROP:
        return 1u | (c->rmsprop.centered ? 2u : 0u) | (c->rmsprop.momentum != 0.0f ? 4u : 0u);
    case FAMILY_ADAM: return 3u | (c->adam.amsgrad ? 4u : 0u);
    }
    return 0;
}

bool optimizer_case_state_is_square(const optimizer_case *c, int i)
{
    return (c->family == FAMILY_RMSPROP && i == 0) || (c->family == FAMILY_ADAM && i >= 1);
}

const char *optimizer_case_describe(const optimizer_case *c)
{
    static char text[256];
    switch (c->family) {
    case FAMILY_SGD:
        snprintf(text, sizeof text, "sgd lr=%g momentum=%g dampening=%g wd=%g%s%s step=%lld",
                 c->sgd.lr, c->sgd.momentum, c->sgd.dampening, c->sgd.weight_decay,
                 c->sgd.nesterov ? " nesterov" : "", c->sgd.maximize ? " maximize" : "",
                 (long long)c->step);
        break;
    case FAMILY_RMSPROP:
        snprintf(text, sizeof text, "rmsprop lr=%g alpha=%g eps=%g wd=%g momentum=%g%s%s",
                 c->rmsprop.lr, c->rmsprop.alpha, c->rmsprop.eps, c->rmsprop.weight_decay,
                 c->rmsprop.momentum, c->rmsprop.centered ? " centered" : "",
                 c->rmsprop.maximize ? " maximize" : "");
        break;
    case FAMILY_ADAM:
        snprintf(text, sizeof text, "adam lr=%g betas=(%g,%g) eps=%g wd=%g%s%s%s step=%lld",
                 c->adam.lr, c->adam.beta1, c->adam.beta2, c->adam.eps, c->adam.weight_decay,
                 c->adam.decoupled_weight_decay ? " decoupled" : "",
                 c->adam.amsgrad ? " amsgrad" : "", c->adam.maximize ? " maximize" : "",
                 (long long)c->step);
        break;
    }
    return text;
}

#define MAX_CASES 512
static optimizer_case all_cases[MAX_CASES];
static size_t case_count;

static void add(optimizer_case c)
{
    if (case_count < MAX_CASES)
        all_cases[case_count++] = c;
}

static void enumerate(void)
{
    static const float sgd_lrs[] = {1e-3f, 3.0f};
    static const int64_t steps[] = {1, 2, 1000003};
    for (int momentum = 0; momentum < 2; momentum++)
    for (int dampening = 0; dampening < 2; dampening++)
    for (int nesterov = 0; nesterov < 2; nesterov++)
    for (int wd = 0; wd < 2; wd++)
    for (int maximize = 0; maximize < 2; maximize++)
    for (int s = 0; s < 3; s++) {
        if (nesterov && (!momentum || dampening))
            continue;
        if (!momentum && s > 0) /* the step only matters with momentum */
            continue;
        optimizer_case c = {.family = FAMILY_SGD, .step = steps[s]};
        c.sgd = lossopt_sgd_defaults();
        c.sgd.lr = sgd_lrs[(momentum + wd + s) % 2];
        c.sgd.momentum = momentum ? 0.9f : 0.0f;
        c.sgd.dampening = dampening ? 0.25f : 0.0f;
        c.sgd.nesterov = nesterov;
        c.sgd.weight_decay = wd ? 0.01f : 0.0f;
        c.sgd.maximize = maximize;
        add(c);
    }
    for (int centered = 0; centered < 2; centered++)
    for (int momentum = 0; momentum < 2; momentum++)
    for (int wd = 0; wd < 2; wd++)
    for (int maximize = 0; maximize < 2; maximize++)
    for (int variant = 0; variant < 2; variant++) {
        optimizer_case c = {.family = FAMILY_RMSPROP, .step = 1};
        c.rmsprop = lossopt_rmsprop_defaults();
        c.rmsprop.centered = centered;
        c.rmsprop.momentum = momentum ? 0.9f : 0.0f;
        c.rmsprop.weight_decay = wd ? 0.1f : 0.0f;
        c.rmsprop.maximize = maximize;
        if (variant) { /* the edges of alpha's and eps's domains */
            c.rmsprop.alpha = (centered + momentum) % 2 ? 0.0f : 1.0f;
            c.rmsprop.eps = 0.0f;
            c.rmsprop.lr = 0.5f;
        }
        add(c);
    }
    static const int64_t adam_steps[] = {1, 10, 1000003};
    for (int amsgrad = 0; amsgrad < 2; amsgrad++)
    for (int decay = 0; decay < 3; decay++)
    for (int maximize = 0; maximize < 2; maximize++)
    for (int betas = 0; betas < 2; betas++)
    for (int s = 0; s < 3; s++) {
        optimizer_case c = {.family = FAMILY_ADAM, .step = adam_steps[s]};
        c.adam = lossopt_adam_defaults();
        c.adam.amsgrad = amsgrad;
        c.adam.weight_decay = decay ? 0.01f : 0.0f;
        c.adam.decoupled_weight_decay = decay == 2;
        c.adam.maximize = maximize;
        if (betas) {
            c.adam.beta1 = s == 2 ? 0.0f : 0.5f;
            c.adam.beta2 = s == 1 ? 0.0f : 0.75f;
            c.adam.eps = s == 0 ? 0.0f : 1e-3f;
            c.adam.lr = 0.25f;
        }
        add(c);
    }

    /* huge and tiny learning rates (products overflow to inf or fall into
     * denormals on the special-value inputs) */
    static const float extreme_lrs[] = {1e30f, 1e-38f};
    for (int e = 0; e < 2; e++) {
        optimizer_case c = {.family = FAMILY_SGD, .step = 4};
        c.sgd = lossopt_sgd_defaults();
        c.sgd.lr = extreme_lrs[e];
        c.sgd.momentum = 0.9f;
        c.sgd.nesterov = e == 0;
        c.sgd.weight_decay = 0.5f;
        add(c);
        optimizer_case r = {.family = FAMILY_RMSPROP, .step = 1};
        r.rmsprop = lossopt_rmsprop_defaults();
        r.rmsprop.lr = extreme_lrs[e];
        r.rmsprop.centered = true;
        r.rmsprop.momentum = 0.5f;
        add(r);
        optimizer_case a = {.family = FAMILY_ADAM, .step = 7};
        a.adam = lossopt_adam_defaults();
        a.adam.lr = extreme_lrs[e];
        a.adam.amsgrad = true;
        a.adam.weight_decay = 1e-2f;
        a.adam.decoupled_weight_decay = e == 1;
        add(a);
    }
}

size_t optimizer_cases_all(const optimizer_case **cases)
{
    if (case_count == 0)
        enumerate();
    *cases = all_cases;
    return case_count;
}
