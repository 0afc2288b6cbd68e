/* dispatch/more_coefficients.c - the 0.2 optimizers' defaults, configuration
 * checks (LOSSOPT_ERR_ARG) and per-call coefficients: every formula of
 * include/lossopt.h ("More optimizers") in double, from the config and the
 * step, rounded once to float, so every ISA's kernel receives the same
 * floats. A coefficient that is not a finite float refuses the call. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>

#include "optimizer_coefficients.h"

/* ---- defaults (PyTorch 2.x; Lion: the paper; LAMB: apex FusedLAMB) ------- */

lossopt_adagrad_config lossopt_adagrad_defaults(void)
{
    lossopt_adagrad_config cfg = {.lr = 1e-2, .eps = 1e-10};
    return cfg;
}

lossopt_adamax_config lossopt_adamax_defaults(void)
{
    lossopt_adamax_config cfg = {.lr = 2e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    return cfg;
}

lossopt_nadam_config lossopt_nadam_defaults(void)
{
    lossopt_nadam_config cfg = {
        .lr = 2e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .momentum_decay = 4e-3};
    return cfg;
}

lossopt_radam_config lossopt_radam_defaults(void)
{
    lossopt_radam_config cfg = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    return cfg;
}

lossopt_lion_config lossopt_lion_defaults(void)
{
    lossopt_lion_config cfg = {.lr = 1e-4, .beta1 = 0.9, .beta2 = 0.99};
    return cfg;
}

lossopt_lamb_config lossopt_lamb_defaults(void)
{
    lossopt_lamb_config cfg = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-6,
                               .weight_decay = 0.01, .bias_correction = true};
    return cfg;
}

/* The checks every Adam-like config shares. */
static bool adam_like_valid(double lr, double beta1, double beta2, double eps, double weight_decay,
                            int64_t step)
{
    return is_nonnegative_finite(lr) && in_half_open_unit(beta1) && in_half_open_unit(beta2) &&
           is_nonnegative_finite(eps) && is_nonnegative_finite(weight_decay) && step >= 1;
}

/* ---- Adagrad ---------------------------------------------------------------- */

lossopt_status lossopt_adagrad_coefficients_for(const lossopt_adagrad_config *cfg, int64_t step,
                                                lossopt_adagrad_coefficients *c)
{
    if (!is_nonnegative_finite(cfg->lr) || !is_nonnegative_finite(cfg->lr_decay) ||
        !is_nonnegative_finite(cfg->weight_decay) ||
        !is_nonnegative_finite(cfg->initial_accumulator_value) || !is_nonnegative_finite(cfg->eps) ||
        step < 1)
        return LOSSOPT_ERR_ARG;
    bool finite = true;
    c->negative_clr = -coefficient(cfg->lr / (1.0 + (double)(step - 1) * cfg->lr_decay), &finite);
    c->eps = coefficient(cfg->eps, &finite);
    c->maximize = cfg->maximize;
    c->use_weight_decay = cfg->weight_decay != 0.0;
    c->weight_decay = c->use_weight_decay ? coefficient(cfg->weight_decay, &finite) : 0.0f;
    return finite ? LOSSOPT_OK : LOSSOPT_ERR_ARG;
}

/* ---- Adamax ----------------------------------------------------------------- */

lossopt_status lossopt_adamax_coefficients_for(const lossopt_adamax_config *cfg, int64_t step,
                                               lossopt_adamax_coefficients *c)
{
    if (!adam_like_valid(cfg->lr, cfg->beta1, cfg->beta2, cfg->eps, cfg->weight_decay, step))
        return LOSSOPT_ERR_ARG;
    bool finite = true;
    c->negative_clr = -coefficient(cfg->lr / (1.0 - pow(cfg->beta1, (double)step)), &finite);
    c->exp_avg_lerp = lerp_for(1.0 - cfg->beta1, &finite);
    c->beta2 = coefficient(cfg->beta2, &finite);
    c->eps = coefficient(cfg->eps, &finite);
    c->maximize = cfg->maximize;
    c->use_weight_decay = cfg->weight_decay != 0.0;
    c->weight_decay = c->use_weight_decay ? coefficient(cfg->weight_decay, &finite) : 0.0f;
    return finite ? LOSSOPT_OK : LOSSOPT_ERR_ARG;
}

/* ---- NAdam ------------------------------------------------------------------ */

static bool nadam_valid(const lossopt_nadam_config *cfg, int64_t step)
{
    return adam_like_valid(cfg->lr, cfg->beta1, cfg->beta2, cfg->eps, cfg->weight_decay, step) &&
           is_nonnegative_finite(cfg->momentum_decay);
}

/* mu_t = beta1 (1 - 0.5 * 0.96^(t psi)), as PyTorch computes it in Python. */
static double nadam_mu_at(const lossopt_nadam_config *cfg, double t)
{
    return cfg->beta1 * (1.0 - 0.5 * pow(0.96, t * cfg->momentum_decay));
}

double lossopt_nadam_mu(const lossopt_nadam_config *cfg, int64_t step)
{
    return nadam_mu_at(cfg, (double)step);
}

lossopt_status lossopt_nadam_coefficients_for(const lossopt_nadam_config *cfg, int64_t step,
                                              double mu_product, lossopt_nadam_coefficients *c)
{
    if (!nadam_valid(cfg, step))
        return LOSSOPT_ERR_ARG;
    double t = (double)step;
    double mu = nadam_mu_at(cfg, t), mu_next = nadam_mu_at(cfg, t + 1.0);
    double product = mu_product * mu, product_next = product * mu_next;
    bool finite = true;
    c->grad_coefficient = coefficient(-cfg->lr * (1.0 - mu) / (1.0 - product), &finite);
    c->exp_avg_coefficient = coefficient(-cfg->lr * mu_next / (1.0 - product_next), &finite);
    c->bias_correction2_sqrt = coefficient(sqrt(1.0 - pow(cfg->beta2, t)), &finite);
    c->bias_correction2_sqrt_reciprocal = 1.0f / c->bias_correction2_sqrt; /* RN(1 / b) */
    c->exp_avg_lerp = lerp_for(1.0 - cfg->beta1, &finite);
    c->beta2 = coefficient(cfg->beta2, &finite);
    c->one_minus_beta2 = coefficient(1.0 - cfg->beta2, &finite);
    c->eps = coefficient(cfg->eps, &finite);
    c->maximize = cfg->maximize;
    c->use_l2_weight_decay = !cfg->decoupled_weight_decay && cfg->weight_decay != 0.0;
    c->use_decoupled_decay = cfg->decoupled_weight_decay && cfg->weight_decay != 0.0;
    c->weight_decay = c->use_l2_weight_decay ? coefficient(cfg->weight_decay, &finite) : 0.0f;
    c->decay_factor =
        c->use_decoupled_decay ? coefficient(1.0 - cfg->lr * cfg->weight_decay, &finite) : 1.0f;
    return finite ? LOSSOPT_OK : LOSSOPT_ERR_ARG;
}

/* ---- RAdam ------------------------------------------------------------------ */

lossopt_status lossopt_radam_coefficients_for(const lossopt_radam_config *cfg, int64_t step,
                                              lossopt_radam_coefficients *c)
{
    if (!adam_like_valid(cfg->lr, cfg->beta1, cfg->beta2, cfg->eps, cfg->weight_decay, step))
        return LOSSOPT_ERR_ARG;
    double t = (double)step;
    double bias_correction1 = 1.0 - pow(cfg->beta1, t);
    double beta2_t = pow(cfg->beta2, t);
    double bias_correction2 = 1.0 - beta2_t;
    double rho_inf = 2.0 / (1.0 - cfg->beta2) - 1.0;
    double rho_t = rho_inf - 2.0 * t * beta2_t / bias_correction2;
    c->rectified = rho_t > 5.0;
    double step_size = cfg->lr / bias_correction1;
    if (c->rectified) {
        double rect = sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf /
                           ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t));
        step_size = cfg->lr * rect * sqrt(bias_correction2) / bias_correction1;
    }
    bool finite = true;
    c->negative_step_size = -coefficient(step_size, &finite);
    c->exp_avg_lerp = lerp_for(1.0 - cfg->beta1, &finite);
    c->beta2 = coefficient(cfg->beta2, &finite);
    c->one_minus_beta2 = coefficient(1.0 - cfg->beta2, &finite);
    c->eps = coefficient(cfg->eps, &finite);
    c->maximize = cfg->maximize;
    c->use_l2_weight_decay = !cfg->decoupled_weight_decay && cfg->weight_decay != 0.0;
    c->use_decoupled_decay = cfg->decoupled_weight_decay && cfg->weight_decay != 0.0;
    c->weight_decay = c->use_l2_weight_decay ? coefficient(cfg->weight_decay, &finite) : 0.0f;
    c->decay_factor =
        c->use_decoupled_decay ? coefficient(1.0 - cfg->lr * cfg->weight_decay, &finite) : 1.0f;
    return finite ? LOSSOPT_OK : LOSSOPT_ERR_ARG;
}

/* ---- Lion ------------------------------------------------------------------- */

lossopt_status lossopt_lion_coefficients_for(const lossopt_lion_config *cfg, int64_t step,
                                             lossopt_lion_coefficients *c)
{
    if (!is_nonnegative_finite(cfg->lr) || !in_half_open_unit(cfg->beta1) ||
        !in_half_open_unit(cfg->beta2) || !is_nonnegative_finite(cfg->weight_decay) || step < 1)
        return LOSSOPT_ERR_ARG;
    bool finite = true;
    c->negative_lr = -coefficient(cfg->lr, &finite);
    c->update_lerp = lerp_for(1.0 - cfg->beta1, &finite);
    c->exp_avg_lerp = lerp_for(1.0 - cfg->beta2, &finite);
    c->maximize = cfg->maximize;
    c->use_decay = cfg->weight_decay != 0.0;
    c->decay_factor = c->use_decay ? coefficient(1.0 - cfg->lr * cfg->weight_decay, &finite) : 1.0f;
    return finite ? LOSSOPT_OK : LOSSOPT_ERR_ARG;
}

/* ---- LAMB ------------------------------------------------------------------- */

lossopt_status lossopt_lamb_coefficients_for(const lossopt_lamb_config *cfg, int64_t step,
                                             lossopt_lamb_coefficients *c)
{
    if (!adam_like_valid(cfg->lr, cfg->beta1, cfg->beta2, cfg->eps, cfg->weight_decay, step) ||
        !is_nonnegative_finite(cfg->max_trust_ratio))
        return LOSSOPT_ERR_ARG;
    double t = (double)step;
    bool finite = true;
    (void)coefficient(cfg->lr, &finite); /* lr * r is data; lr itself must be a float */
    c->exp_avg_lerp = lerp_for(1.0 - cfg->beta1, &finite);
    c->beta2 = coefficient(cfg->beta2, &finite);
    c->one_minus_beta2 = coefficient(1.0 - cfg->beta2, &finite);
    c->eps = coefficient(cfg->eps, &finite);
    c->bias_correction1 = cfg->bias_correction ? coefficient(1.0 - pow(cfg->beta1, t), &finite) : 1.0f;
    c->bias_correction2_sqrt =
        cfg->bias_correction ? coefficient(sqrt(1.0 - pow(cfg->beta2, t)), &finite) : 1.0f;
    c->bias_correction2_sqrt_reciprocal = 1.0f / c->bias_correction2_sqrt; /* RN(1 / b) */
    c->maximize = cfg->maximize;
    c->use_weight_decay = cfg->weight_decay != 0.0;
    c->weight_decay = c->use_weight_decay ? coefficient(cfg->weight_decay, &finite) : 0.0f;
    c->adapt = c->use_weight_decay || cfg->always_adapt;
    return finite ? LOSSOPT_OK : LOSSOPT_ERR_ARG;
}

float lossopt_lamb_negative_factor(const lossopt_lamb_config *cfg, double param_squares,
                                   double update_squares)
{
    double r = 1.0;
    if (cfg->weight_decay != 0.0 || cfg->always_adapt) {
        if (param_squares > 0.0 && update_squares > 0.0)
            r = sqrt(param_squares) / sqrt(update_squares);
        if (cfg->max_trust_ratio > 0.0 && r > cfg->max_trust_ratio)
            r = cfg->max_trust_ratio;
    }
    return -(float)(cfg->lr * r);
}
