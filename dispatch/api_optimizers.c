/* dispatch/api_optimizers.c - public optimizer entry points: validate every
 * argument before anything is written, hoist the per-call scalars (computed
 * in double, rounded once to float, identical for every ISA), then call the
 * chosen ISA's kernel. Semantics and operation order: include/lossopt.h. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>
#include <stdint.h>

#include "lossopt_internal.h"
#include "optimizer_coefficients.h"

/* The largest n whose buffers fit in the address space. */
#define MAX_ELEMENTS (SIZE_MAX / sizeof(float))

/* ---- defaults (PyTorch 2.x) --------------------------------------------- */

lossopt_sgd_config lossopt_sgd_defaults(void)
{
    lossopt_sgd_config cfg = {.lr = 1e-3};
    return cfg;
}

lossopt_rmsprop_config lossopt_rmsprop_defaults(void)
{
    lossopt_rmsprop_config cfg = {.lr = 1e-2, .alpha = 0.99, .eps = 1e-8};
    return cfg;
}

lossopt_adam_config lossopt_adam_defaults(void)
{
    lossopt_adam_config cfg = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    return cfg;
}

/* ---- SGD ----------------------------------------------------------------- */

lossopt_status lossopt_sgd_coefficients_for(const lossopt_sgd_config *cfg, int64_t step,
                                            lossopt_sgd_coefficients *c)
{
    if (!is_nonnegative_finite(cfg->lr) || !is_nonnegative_finite(cfg->momentum) ||
        !is_nonnegative_finite(cfg->weight_decay) || !in_closed_unit(cfg->dampening) ||
        (cfg->nesterov && (cfg->momentum == 0.0 || cfg->dampening != 0.0)) || step < 1)
        return LOSSOPT_ERR_ARG;

    bool finite = true;
    c->negative_lr = -coefficient(cfg->lr, &finite);
    c->maximize = cfg->maximize;
    c->use_weight_decay = cfg->weight_decay != 0.0;
    c->weight_decay = c->use_weight_decay ? coefficient(cfg->weight_decay, &finite) : 0.0f;
    c->use_momentum = cfg->momentum != 0.0;
    c->momentum = c->use_momentum ? coefficient(cfg->momentum, &finite) : 0.0f;
    c->one_minus_dampening = coefficient(1.0 - cfg->dampening, &finite);
    c->nesterov = cfg->nesterov;
    c->first_step = step == 1;
    return finite ? LOSSOPT_OK : LOSSOPT_ERR_ARG;
}

static lossopt_status sgd_prepare(const float *param, const float *grad,
                                  const float *momentum_buf, size_t n,
                                  const lossopt_sgd_config *cfg, int64_t step,
                                  lossopt_sgd_coefficients *c)
{
    if (cfg == NULL)
        return LOSSOPT_ERR_NULL;
    if (n > 0 && (param == NULL || grad == NULL || (cfg->momentum != 0.0 && momentum_buf == NULL)))
        return LOSSOPT_ERR_NULL;
    if (n > MAX_ELEMENTS)
        return LOSSOPT_ERR_SIZE;
    return lossopt_sgd_coefficients_for(cfg, step, c);
}

lossopt_status lossopt_sgd_step_f32_with_table(const lossopt_kernel_table *table, float *param, const float *grad,
                               float *momentum_buf, size_t n, const lossopt_sgd_config *cfg,
                               int64_t step)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    lossopt_sgd_coefficients c;
    lossopt_status status = sgd_prepare(param, grad, momentum_buf, n, cfg, step, &c);
    if (status == LOSSOPT_OK && n > 0)
        table->sgd_step_f32(param, grad, momentum_buf, n, &c);
    return status;
}

lossopt_status lossopt_sgd_step_f32(float *param, const float *grad, float *momentum_buf,
                                    size_t n, const lossopt_sgd_config *cfg, int64_t step)
{
    return lossopt_sgd_step_f32_with_table(lossopt_active_table(), param, grad, momentum_buf, n, cfg, step);
}

lossopt_status lossopt_sgd_step_f32_isa(lossopt_isa isa, float *param, const float *grad,
                                        float *momentum_buf, size_t n,
                                        const lossopt_sgd_config *cfg, int64_t step)
{
    return lossopt_sgd_step_f32_with_table(lossopt_kernel_table_for(isa), param, grad, momentum_buf, n, cfg, step);
}

/* ---- RMSprop ------------------------------------------------------------- */

lossopt_status lossopt_rmsprop_coefficients_for(const lossopt_rmsprop_config *cfg,
                                                lossopt_rmsprop_coefficients *c)
{
    if (!is_nonnegative_finite(cfg->lr) || !in_closed_unit(cfg->alpha) ||
        !is_nonnegative_finite(cfg->eps) || !is_nonnegative_finite(cfg->weight_decay) ||
        !is_nonnegative_finite(cfg->momentum))
        return LOSSOPT_ERR_ARG;

    bool finite = true;
    c->negative_lr = -coefficient(cfg->lr, &finite);
    c->alpha = coefficient(cfg->alpha, &finite);
    c->one_minus_alpha = coefficient(1.0 - cfg->alpha, &finite);
    c->grad_avg_lerp = lerp_for(1.0 - cfg->alpha, &finite);
    c->eps = coefficient(cfg->eps, &finite);
    c->maximize = cfg->maximize;
    c->use_weight_decay = cfg->weight_decay != 0.0;
    c->weight_decay = c->use_weight_decay ? coefficient(cfg->weight_decay, &finite) : 0.0f;
    c->centered = cfg->centered;
    c->use_momentum = cfg->momentum > 0.0;
    c->momentum = c->use_momentum ? coefficient(cfg->momentum, &finite) : 0.0f;
    return finite ? LOSSOPT_OK : LOSSOPT_ERR_ARG;
}

static lossopt_status rmsprop_prepare(const float *param, const float *grad,
                                      const float *square_avg, const float *grad_avg,
                                      const float *momentum_buf, size_t n,
                                      const lossopt_rmsprop_config *cfg,
                                      lossopt_rmsprop_coefficients *c)
{
    if (cfg == NULL)
        return LOSSOPT_ERR_NULL;
    if (n > 0 && (param == NULL || grad == NULL || square_avg == NULL ||
                  (cfg->centered && grad_avg == NULL) ||
                  (cfg->momentum != 0.0 && momentum_buf == NULL)))
        return LOSSOPT_ERR_NULL;
    if (n > MAX_ELEMENTS)
        return LOSSOPT_ERR_SIZE;
    return lossopt_rmsprop_coefficients_for(cfg, c);
}

lossopt_status lossopt_rmsprop_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                   const float *grad, float *square_avg, float *grad_avg,
                                   float *momentum_buf, size_t n,
                                   const lossopt_rmsprop_config *cfg)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    lossopt_rmsprop_coefficients c;
    lossopt_status status =
        rmsprop_prepare(param, grad, square_avg, grad_avg, momentum_buf, n, cfg, &c);
    if (status == LOSSOPT_OK && n > 0)
        table->rmsprop_step_f32(param, grad, square_avg, grad_avg, momentum_buf, n, &c);
    return status;
}

lossopt_status lossopt_rmsprop_step_f32(float *param, const float *grad, float *square_avg,
                                        float *grad_avg, float *momentum_buf, size_t n,
                                        const lossopt_rmsprop_config *cfg)
{
    return lossopt_rmsprop_step_f32_with_table(lossopt_active_table(), param, grad, square_avg, grad_avg, momentum_buf,
                        n, cfg);
}

lossopt_status lossopt_rmsprop_step_f32_isa(lossopt_isa isa, float *param, const float *grad,
                                            float *square_avg, float *grad_avg,
                                            float *momentum_buf, size_t n,
                                            const lossopt_rmsprop_config *cfg)
{
    return lossopt_rmsprop_step_f32_with_table(lossopt_kernel_table_for(isa), param, grad, square_avg, grad_avg,
                        momentum_buf, n, cfg);
}

/* ---- Adam ---------------------------------------------------------------- */

lossopt_status lossopt_adam_coefficients_for(const lossopt_adam_config *cfg, int64_t step,
                                             lossopt_adam_coefficients *c)
{
    if (!is_nonnegative_finite(cfg->lr) || !in_half_open_unit(cfg->beta1) ||
        !in_half_open_unit(cfg->beta2) || !is_nonnegative_finite(cfg->eps) ||
        !is_nonnegative_finite(cfg->weight_decay) || step < 1)
        return LOSSOPT_ERR_ARG;

    /* As PyTorch computes them in Python: double, from the step count. */
    double steps = (double)step;
    double bias_correction1 = 1.0 - pow(cfg->beta1, steps);
    double bias_correction2 = 1.0 - pow(cfg->beta2, steps);
    bool finite = true;
    c->negative_step_size = -coefficient(cfg->lr / bias_correction1, &finite);
    c->bias_correction2_sqrt = coefficient(sqrt(bias_correction2), &finite);
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
    c->amsgrad = cfg->amsgrad;
    return finite ? LOSSOPT_OK : LOSSOPT_ERR_ARG;
}

static lossopt_status adam_prepare(const float *param, const float *grad, const float *exp_avg,
                                   const float *exp_avg_sq, const float *max_exp_avg_sq,
                                   size_t n, const lossopt_adam_config *cfg, int64_t step,
                                   lossopt_adam_coefficients *c)
{
    if (cfg == NULL)
        return LOSSOPT_ERR_NULL;
    if (n > 0 && (param == NULL || grad == NULL || exp_avg == NULL || exp_avg_sq == NULL ||
                  (cfg->amsgrad && max_exp_avg_sq == NULL)))
        return LOSSOPT_ERR_NULL;
    if (n > MAX_ELEMENTS)
        return LOSSOPT_ERR_SIZE;
    return lossopt_adam_coefficients_for(cfg, step, c);
}

lossopt_status lossopt_adam_step_f32_with_table(const lossopt_kernel_table *table, float *param, const float *grad,
                                float *exp_avg, float *exp_avg_sq, float *max_exp_avg_sq,
                                size_t n, const lossopt_adam_config *cfg, int64_t step)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    lossopt_adam_coefficients c;
    lossopt_status status =
        adam_prepare(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n, cfg, step, &c);
    if (status == LOSSOPT_OK && n > 0)
        table->adam_step_f32(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n, &c);
    return status;
}

lossopt_status lossopt_adam_step_f32(float *param, const float *grad, float *exp_avg,
                                     float *exp_avg_sq, float *max_exp_avg_sq, size_t n,
                                     const lossopt_adam_config *cfg, int64_t step)
{
    return lossopt_adam_step_f32_with_table(lossopt_active_table(), param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n,
                     cfg, step);
}

lossopt_status lossopt_adam_step_f32_isa(lossopt_isa isa, float *param, const float *grad,
                                         float *exp_avg, float *exp_avg_sq,
                                         float *max_exp_avg_sq, size_t n,
                                         const lossopt_adam_config *cfg, int64_t step)
{
    return lossopt_adam_step_f32_with_table(lossopt_kernel_table_for(isa), param, grad, exp_avg, exp_avg_sq,
                     max_exp_avg_sq, n, cfg, step);
}
