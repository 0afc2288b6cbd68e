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
    case FAMILY_ADAGRAD:
        return public_api ? lossopt_adagrad_step_f32(param, grad, state[0], n, &c->adagrad, c->step)
                          : lossopt_adagrad_step_f32_with_table(table, param, grad, state[0], n,
                                                                &c->adagrad, c->step);
    case FAMILY_ADAMAX:
        return public_api ? lossopt_adamax_step_f32(param, grad, state[0], state[1], n, &c->adamax,
                                                    c->step)
                          : lossopt_adamax_step_f32_with_table(table, param, grad, state[0],
                                                               state[1], n, &c->adamax, c->step);
    case FAMILY_NADAM: {
        double mu_product = c->mu_product; /* the case stays as it is */
        return public_api ? lossopt_nadam_step_f32(param, grad, state[0], state[1], &mu_product, n,
                                                   &c->nadam, c->step)
                          : lossopt_nadam_step_f32_with_table(table, param, grad, state[0],
                                                              state[1], &mu_product, n, &c->nadam,
                                                              c->step);
    }
    case FAMILY_RADAM:
        return public_api ? lossopt_radam_step_f32(param, grad, state[0], state[1], n, &c->radam,
                                                   c->step)
                          : lossopt_radam_step_f32_with_table(table, param, grad, state[0],
                                                              state[1], n, &c->radam, c->step);
    case FAMILY_LION:
        return public_api ? lossopt_lion_step_f32(param, grad, state[0], n, &c->lion, c->step)
                          : lossopt_lion_step_f32_with_table(table, param, grad, state[0], n,
                                                             &c->lion, c->step);
    case FAMILY_LAMB:
        return public_api ? lossopt_lamb_step_f32(param, grad, state[0], state[1], n, &c->lamb,
                                                  c->step)
                          : lossopt_lamb_step_f32_with_table(table, param, grad, state[0],
                                                             state[1], n, &c->lamb, c->step);
    }
    return LOSSOPT_ERR_ARG;
}

unsigned optimizer_case_used_state(const optimizer_case *c)
{
    switch (c->family) {
    case FAMILY_SGD: return c->sgd.momentum != 0.0 ? 1u : 0u;
    case FAMILY_RMSPROP:
        return 1u | (c->rmsprop.centered ? 2u : 0u) | (c->rmsprop.momentum != 0.0 ? 4u : 0u);
    case FAMILY_ADAM: return 3u | (c->adam.amsgrad ? 4u : 0u);
    case FAMILY_ADAGRAD:
    case FAMILY_LION: return 1u;
    case FAMILY_ADAMAX:
    case FAMILY_NADAM:
    case FAMILY_RADAM:
    case FAMILY_LAMB: return 3u;
    }
    return 0;
}

bool optimizer_case_state_is_square(const optimizer_case *c, int i)
{
    switch (c->family) {
    case FAMILY_RMSPROP: return i == 0;
    case FAMILY_ADAM: return i >= 1;
    case FAMILY_ADAGRAD: return i == 0;
    case FAMILY_ADAMAX: /* exp_inf */
    case FAMILY_NADAM:
    case FAMILY_RADAM:
    case FAMILY_LAMB: return i == 1;
    default: return false;
    }
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
    case FAMILY_ADAGRAD:
        snprintf(text, sizeof text, "adagrad lr=%g lr_decay=%g wd=%g eps=%g%s step=%lld",
                 c->adagrad.lr, c->adagrad.lr_decay, c->adagrad.weight_decay, c->adagrad.eps,
                 c->adagrad.maximize ? " maximize" : "", (long long)c->step);
        break;
    case FAMILY_ADAMAX:
        snprintf(text, sizeof text, "adamax lr=%g betas=(%g,%g) eps=%g wd=%g%s step=%lld",
                 c->adamax.lr, c->adamax.beta1, c->adamax.beta2, c->adamax.eps,
                 c->adamax.weight_decay, c->adamax.maximize ? " maximize" : "", (long long)c->step);
        break;
    case FAMILY_NADAM:
        snprintf(text, sizeof text,
                 "nadam lr=%g betas=(%g,%g) eps=%g wd=%g psi=%g%s%s mu_product=%g step=%lld",
                 c->nadam.lr, c->nadam.beta1, c->nadam.beta2, c->nadam.eps, c->nadam.weight_decay,
                 c->nadam.momentum_decay, c->nadam.decoupled_weight_decay ? " decoupled" : "",
                 c->nadam.maximize ? " maximize" : "", c->mu_product, (long long)c->step);
        break;
    case FAMILY_RADAM:
        snprintf(text, sizeof text, "radam lr=%g betas=(%g,%g) eps=%g wd=%g%s%s step=%lld",
                 c->radam.lr, c->radam.beta1, c->radam.beta2, c->radam.eps, c->radam.weight_decay,
                 c->radam.decoupled_weight_decay ? " decoupled" : "",
                 c->radam.maximize ? " maximize" : "", (long long)c->step);
        break;
    case FAMILY_LION:
        snprintf(text, sizeof text, "lion lr=%g betas=(%g,%g) wd=%g%s step=%lld", c->lion.lr,
                 c->lion.beta1, c->lion.beta2, c->lion.weight_decay,
                 c->lion.maximize ? " maximize" : "", (long long)c->step);
        break;
    case FAMILY_LAMB:
        snprintf(text, sizeof text,
                 "lamb lr=%g betas=(%g,%g) eps=%g wd=%g max_trust=%g%s%s%s step=%lld", c->lamb.lr,
                 c->lamb.beta1, c->lamb.beta2, c->lamb.eps, c->lamb.weight_decay,
                 c->lamb.max_trust_ratio, c->lamb.bias_correction ? "" : " no-bias-correction",
                 c->lamb.always_adapt ? " always_adapt" : "", c->lamb.maximize ? " maximize" : "",
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

/* Hyper-parameters that are not powers of two (and whose float roundings
 * differ from their doubles), cycled over the cases, so that a bitwise test
 * sees any change of operation order: with "nice" values such as 0.5, x / b
 * and x * (1 / b) give the same bits. The domain edges (0, 1, huge, tiny)
 * are kept as cases of their own. */
static double pick(const double *values, size_t count, size_t k) { return values[k % count]; }
#define PICK(values, k) pick(values, sizeof values / sizeof values[0], (k))

static void enumerate(void)
{
    static const double lrs[] = {1e-3, 3.1, 0.037, 0.0071, 0.43};
    static const double momenta[] = {0.9, 0.87, 0.63, 0.95};
    static const double dampenings[] = {0.3, 0.11, 0.71};
    static const double weight_decays[] = {0.01, 0.013, 0.7, 3e-4};
    static const int64_t steps[] = {1, 2, 1000003};
    size_t k = 0;
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
        c.sgd.lr = PICK(lrs, k);
        c.sgd.momentum = momentum ? PICK(momenta, k) : 0.0;
        c.sgd.dampening = dampening ? PICK(dampenings, k) : 0.0;
        c.sgd.nesterov = nesterov;
        c.sgd.weight_decay = wd ? PICK(weight_decays, k) : 0.0;
        c.sgd.maximize = maximize;
        add(c);
        k++;
    }
    /* dampening 1: the buffer only decays */
    optimizer_case damped = {.family = FAMILY_SGD, .step = 3};
    damped.sgd = lossopt_sgd_defaults();
    damped.sgd.momentum = 0.77;
    damped.sgd.dampening = 1.0;
    add(damped);

    static const double alphas[] = {0.99, 0.3, 0.93, 0.45, 0.71};
    static const double rms_eps[] = {1e-8, 3e-6, 1.7e-3};
    for (int centered = 0; centered < 2; centered++)
    for (int momentum = 0; momentum < 2; momentum++)
    for (int wd = 0; wd < 2; wd++)
    for (int maximize = 0; maximize < 2; maximize++)
    for (int variant = 0; variant < 2; variant++) {
        optimizer_case c = {.family = FAMILY_RMSPROP, .step = 1};
        c.rmsprop = lossopt_rmsprop_defaults();
        c.rmsprop.centered = centered;
        c.rmsprop.momentum = momentum ? PICK(momenta, k) : 0.0;
        c.rmsprop.weight_decay = wd ? PICK(weight_decays, k) : 0.0;
        c.rmsprop.maximize = maximize;
        c.rmsprop.alpha = PICK(alphas, k); /* both branches of grad_avg's lerp */
        c.rmsprop.eps = PICK(rms_eps, k);
        c.rmsprop.lr = PICK(lrs, k + 2);
        if (variant) { /* the edges of alpha's and eps's domains */
            c.rmsprop.alpha = (centered + momentum) % 2 ? 0.0 : 1.0;
            c.rmsprop.eps = 0.0;
        }
        add(c);
        k++;
    }
    static const int64_t adam_steps[] = {1, 10, 1000003};
    static const double beta1s[] = {0.9, 0.45, 0.5, 0.83, 0.3}; /* 0.45, 0.5, 0.3: lerp's second branch */
    static const double beta2s[] = {0.999, 0.95, 0.37, 0.9993};
    static const double adam_eps[] = {1e-8, 1.3e-3, 7e-6};
    for (int amsgrad = 0; amsgrad < 2; amsgrad++)
    for (int decay = 0; decay < 3; decay++)
    for (int maximize = 0; maximize < 2; maximize++)
    for (int betas = 0; betas < 2; betas++)
    for (int s = 0; s < 3; s++) {
        optimizer_case c = {.family = FAMILY_ADAM, .step = adam_steps[s]};
        c.adam = lossopt_adam_defaults();
        c.adam.amsgrad = amsgrad;
        c.adam.weight_decay = decay ? PICK(weight_decays, k) : 0.0;
        c.adam.decoupled_weight_decay = decay == 2;
        c.adam.maximize = maximize;
        if (betas) {
            c.adam.beta1 = s == 2 ? 0.0 : PICK(beta1s, k);  /* 0: the edge */
            c.adam.beta2 = s == 1 ? 0.0 : PICK(beta2s, k);
            c.adam.eps = s == 0 ? 0.0 : PICK(adam_eps, k);
            c.adam.lr = PICK(lrs, k + 1);
        }
        add(c);
        k++;
    }

    /* huge and tiny learning rates (products overflow to inf or fall into
     * denormals on the special-value inputs) */
    static const double extreme_lrs[] = {1e30, 1e-38};
    for (int e = 0; e < 2; e++) {
        optimizer_case c = {.family = FAMILY_SGD, .step = 4};
        c.sgd = lossopt_sgd_defaults();
        c.sgd.lr = extreme_lrs[e];
        c.sgd.momentum = 0.9;
        c.sgd.nesterov = e == 0;
        c.sgd.weight_decay = 0.53;
        add(c);
        optimizer_case r = {.family = FAMILY_RMSPROP, .step = 1};
        r.rmsprop = lossopt_rmsprop_defaults();
        r.rmsprop.lr = extreme_lrs[e];
        r.rmsprop.centered = true;
        r.rmsprop.momentum = 0.57;
        add(r);
        optimizer_case a = {.family = FAMILY_ADAM, .step = 7};
        a.adam = lossopt_adam_defaults();
        a.adam.lr = extreme_lrs[e];
        a.adam.amsgrad = true;
        a.adam.weight_decay = 1e-2;
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

/* ---- the 0.2 optimizers ---- */

#define MAX_MORE_CASES 256
static optimizer_case more_cases[MAX_MORE_CASES];
static size_t more_count;

static void add_more(optimizer_case c)
{
    if (more_count < MAX_MORE_CASES)
        more_cases[more_count++] = c;
}

static void enumerate_more(void)
{
    static const double lrs[] = {1e-2, 0.37, 0.0071, 2e-3, 0.13};
    static const double weight_decays[] = {0.01, 0.013, 0.7, 3e-4};
    static const double beta1s[] = {0.9, 0.45, 0.83, 0.3}; /* 0.45, 0.3: lerp's second branch */
    static const double beta2s[] = {0.999, 0.95, 0.37, 0.9993};
    static const double epss[] = {1e-8, 1.3e-3, 7e-6, 0.0};
    size_t k = 0;
    for (int wd = 0; wd < 2; wd++)
    for (int maximize = 0; maximize < 2; maximize++)
    for (int decay = 0; decay < 2; decay++)
    for (int s = 0; s < 2; s++, k++) {
        optimizer_case c = {.family = FAMILY_ADAGRAD, .step = s ? 7 : 1};
        c.adagrad = lossopt_adagrad_defaults();
        c.adagrad.lr = PICK(lrs, k);
        c.adagrad.weight_decay = wd ? PICK(weight_decays, k) : 0.0;
        c.adagrad.maximize = maximize;
        c.adagrad.lr_decay = decay ? 0.013 : 0.0;
        c.adagrad.eps = s ? PICK(epss, k) : 1e-10;
        c.adagrad.initial_accumulator_value = 0.1;
        add_more(c);
    }
    for (int wd = 0; wd < 2; wd++)
    for (int maximize = 0; maximize < 2; maximize++)
    for (int betas = 0; betas < 2; betas++)
    for (int s = 0; s < 2; s++, k++) {
        optimizer_case c = {.family = FAMILY_ADAMAX, .step = s ? 9 : 1};
        c.adamax = lossopt_adamax_defaults();
        c.adamax.lr = PICK(lrs, k);
        c.adamax.weight_decay = wd ? PICK(weight_decays, k) : 0.0;
        c.adamax.maximize = maximize;
        if (betas) {
            c.adamax.beta1 = s ? 0.0 : PICK(beta1s, k + 1);
            c.adamax.beta2 = PICK(beta2s, k);
            c.adamax.eps = PICK(epss, k);
        }
        add_more(c);
    }
    for (int decay = 0; decay < 3; decay++)
    for (int maximize = 0; maximize < 2; maximize++)
    for (int betas = 0; betas < 2; betas++)
    for (int s = 0; s < 2; s++, k++) {
        optimizer_case c = {.family = FAMILY_NADAM, .step = s ? 30 : 1, .mu_product = 1.0};
        c.nadam = lossopt_nadam_defaults();
        c.nadam.lr = PICK(lrs, k);
        c.nadam.weight_decay = decay ? PICK(weight_decays, k) : 0.0;
        c.nadam.decoupled_weight_decay = decay == 2;
        c.nadam.maximize = maximize;
        if (s) /* the product of 29 earlier mus, roughly */
            c.mu_product = 0.0417;
        if (betas) {
            c.nadam.beta1 = PICK(beta1s, k + 1);
            c.nadam.beta2 = PICK(beta2s, k);
            c.nadam.eps = PICK(epss, k);
            c.nadam.momentum_decay = s ? 0.07 : 0.0;
        }
        add_more(c);
    }
    /* RAdam: beta2 0.999 rectifies from step 6 on (rho_t 4.99 at step 5, 5.99 at 6) */
    static const int64_t radam_steps[] = {1, 5, 6, 1000};
    for (int decay = 0; decay < 3; decay++)
    for (int maximize = 0; maximize < 2; maximize++)
    for (int s = 0; s < 4; s++, k++) {
        optimizer_case c = {.family = FAMILY_RADAM, .step = radam_steps[s]};
        c.radam = lossopt_radam_defaults();
        c.radam.lr = PICK(lrs, k);
        c.radam.weight_decay = decay ? PICK(weight_decays, k) : 0.0;
        c.radam.decoupled_weight_decay = decay == 2;
        c.radam.maximize = maximize;
        if ((k % 3) == 1) {
            c.radam.beta1 = PICK(beta1s, k + 1);
            c.radam.eps = PICK(epss, k);
        }
        add_more(c);
    }
    for (int wd = 0; wd < 2; wd++)
    for (int maximize = 0; maximize < 2; maximize++)
    for (int betas = 0; betas < 2; betas++, k++) {
        optimizer_case c = {.family = FAMILY_LION, .step = 3};
        c.lion = lossopt_lion_defaults();
        c.lion.lr = PICK(lrs, k);
        c.lion.weight_decay = wd ? PICK(weight_decays, k) : 0.0;
        c.lion.maximize = maximize;
        if (betas) { /* both lerps on their second branch, then beta1 = 0 */
            c.lion.beta1 = maximize ? 0.0 : 0.2;
            c.lion.beta2 = 0.45;
        }
        add_more(c);
    }
    for (int wd = 0; wd < 2; wd++)
    for (int adapt = 0; adapt < 2; adapt++)
    for (int bias = 0; bias < 2; bias++)
    for (int clamp = 0; clamp < 2; clamp++, k++) {
        optimizer_case c = {.family = FAMILY_LAMB, .step = bias ? 4 : 1};
        c.lamb = lossopt_lamb_defaults();
        c.lamb.lr = PICK(lrs, k);
        c.lamb.weight_decay = wd ? PICK(weight_decays, k) : 0.0;
        c.lamb.always_adapt = adapt;
        c.lamb.bias_correction = !bias || (k % 2);
        c.lamb.max_trust_ratio = clamp ? 0.5 : 0.0;
        c.lamb.maximize = (k % 3) == 0;
        if (clamp && bias) {
            c.lamb.beta1 = PICK(beta1s, k);
            c.lamb.beta2 = PICK(beta2s, k);
            c.lamb.eps = PICK(epss, k + 1);
        }
        add_more(c);
    }
}

size_t optimizer_cases_more(const optimizer_case **cases)
{
    if (more_count == 0)
        enumerate_more();
    *cases = more_cases;
    return more_count;
}
