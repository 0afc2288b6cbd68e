/* dispatch/api_more_optimizers.c - the public calls of the 0.2 optimizers
 * (Adagrad, Adamax, NAdam, RAdam, Lion, LAMB), both forms: each describes
 * itself to the generic tensor-list driver (dispatch/step_driver.h) with its
 * coefficients (dispatch/more_coefficients.c) and segment kernels, and its
 * _f32 call is the list call on one all-f32 tensor: one validation, one
 * task tree (LAMB's norms), the same bits. Semantics: include/lossopt.h,
 * "More optimizers". */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include "lossopt_internal.h"
#include "optimizer_coefficients.h"
#include "step_driver.h"

/* ---- the adapters: coefficients and segment kernels through the driver's
 * generic signatures ---- */

static lossopt_status adagrad_coefficients(const void *cfg, int64_t step, double mu_product,
                                         any_coefficients *c)
{
    (void)mu_product;
    return lossopt_adagrad_coefficients_for(cfg, step, &c->adagrad);
}

static void adagrad_segment(const lossopt_kernel_table *table, const lossopt_step_segment *s,
                          const any_coefficients *c, step_pass *pass)
{
    (void)pass;
    table->adagrad_segment(s, &c->adagrad);
}

static lossopt_status adamax_coefficients(const void *cfg, int64_t step, double mu_product,
                                         any_coefficients *c)
{
    (void)mu_product;
    return lossopt_adamax_coefficients_for(cfg, step, &c->adamax);
}

static void adamax_segment(const lossopt_kernel_table *table, const lossopt_step_segment *s,
                          const any_coefficients *c, step_pass *pass)
{
    (void)pass;
    table->adamax_segment(s, &c->adamax);
}

static lossopt_status radam_coefficients(const void *cfg, int64_t step, double mu_product,
                                         any_coefficients *c)
{
    (void)mu_product;
    return lossopt_radam_coefficients_for(cfg, step, &c->radam);
}

static void radam_segment(const lossopt_kernel_table *table, const lossopt_step_segment *s,
                          const any_coefficients *c, step_pass *pass)
{
    (void)pass;
    table->radam_segment(s, &c->radam);
}

static lossopt_status lion_coefficients(const void *cfg, int64_t step, double mu_product,
                                         any_coefficients *c)
{
    (void)mu_product;
    return lossopt_lion_coefficients_for(cfg, step, &c->lion);
}

static void lion_segment(const lossopt_kernel_table *table, const lossopt_step_segment *s,
                          const any_coefficients *c, step_pass *pass)
{
    (void)pass;
    table->lion_segment(s, &c->lion);
}

static lossopt_status lamb_coefficients(const void *cfg, int64_t step, double mu_product,
                                         any_coefficients *c)
{
    (void)mu_product;
    return lossopt_lamb_coefficients_for(cfg, step, &c->lamb);
}

static void lamb_segment(const lossopt_kernel_table *table, const lossopt_step_segment *s,
                         const any_coefficients *c, step_pass *pass)
{
    if (pass->kind == STEP_PASS_MOMENTS)
        table->lamb_moments(s, &c->lamb, pass->sums);
    else
        table->lamb_apply(s, &c->lamb, pass->negative_factor);
}
static float lamb_negative_factor(const void *cfg, double param_squares, double update_squares)
{
    return lossopt_lamb_negative_factor(cfg, param_squares, update_squares);
}

static lossopt_status nadam_coefficients(const void *cfg, int64_t step, double mu_product,
                                         any_coefficients *c)
{
    return lossopt_nadam_coefficients_for(cfg, step, mu_product, &c->nadam);
}
static double nadam_mu(const void *cfg, int64_t step) { return lossopt_nadam_mu(cfg, step); }

static void nadam_segment(const lossopt_kernel_table *table, const lossopt_step_segment *s,
                          const any_coefficients *c, step_pass *pass)
{
    (void)pass;
    table->nadam_segment(s, &c->nadam);
}


/* ---- the descriptors ---- */

static step_optimizer adagrad_optimizer(const lossopt_adagrad_config *cfg)
{
    step_optimizer o = {cfg, 1u, NULL, adagrad_coefficients, adagrad_segment, NULL, NULL};
    return o;
}

static step_optimizer adamax_optimizer(const lossopt_adamax_config *cfg)
{
    step_optimizer o = {cfg, 3u, NULL, adamax_coefficients, adamax_segment, NULL, NULL};
    return o;
}

static step_optimizer radam_optimizer(const lossopt_radam_config *cfg)
{
    step_optimizer o = {cfg, 3u, NULL, radam_coefficients, radam_segment, NULL, NULL};
    return o;
}

static step_optimizer lion_optimizer(const lossopt_lion_config *cfg)
{
    step_optimizer o = {cfg, 1u, NULL, lion_coefficients, lion_segment, NULL, NULL};
    return o;
}

static step_optimizer lamb_optimizer(const lossopt_lamb_config *cfg)
{
    step_optimizer o = {cfg, 3u, NULL, lamb_coefficients, lamb_segment, lamb_negative_factor, NULL};
    return o;
}

static step_optimizer nadam_optimizer(const lossopt_nadam_config *cfg, double *mu_products)
{
    step_optimizer o = {cfg, 3u, mu_products, nadam_coefficients, nadam_segment, NULL, nadam_mu};
    return o;
}

/* ---- the tensor-list calls ---- */

lossopt_status lossopt_adagrad_step_with_table(const lossopt_kernel_table *table,
                                          const lossopt_adagrad_config *cfg, lossopt_tensor *t,
                                          size_t count, int64_t step,
                                          const lossopt_step_options *opt,
                                          lossopt_step_report *report)
{
    step_optimizer o = adagrad_optimizer(cfg);
    return lossopt_step_call(table, &o, t, count, step, opt, report);
}

lossopt_status lossopt_adagrad_step(const lossopt_adagrad_config *cfg, lossopt_tensor *t, size_t count,
                              int64_t step, const lossopt_step_options *opt,
                              lossopt_step_report *report)
{
    return lossopt_adagrad_step_with_table(lossopt_active_table(), cfg, t, count, step, opt, report);
}

lossopt_status lossopt_adamax_step_with_table(const lossopt_kernel_table *table,
                                          const lossopt_adamax_config *cfg, lossopt_tensor *t,
                                          size_t count, int64_t step,
                                          const lossopt_step_options *opt,
                                          lossopt_step_report *report)
{
    step_optimizer o = adamax_optimizer(cfg);
    return lossopt_step_call(table, &o, t, count, step, opt, report);
}

lossopt_status lossopt_adamax_step(const lossopt_adamax_config *cfg, lossopt_tensor *t, size_t count,
                              int64_t step, const lossopt_step_options *opt,
                              lossopt_step_report *report)
{
    return lossopt_adamax_step_with_table(lossopt_active_table(), cfg, t, count, step, opt, report);
}

lossopt_status lossopt_radam_step_with_table(const lossopt_kernel_table *table,
                                          const lossopt_radam_config *cfg, lossopt_tensor *t,
                                          size_t count, int64_t step,
                                          const lossopt_step_options *opt,
                                          lossopt_step_report *report)
{
    step_optimizer o = radam_optimizer(cfg);
    return lossopt_step_call(table, &o, t, count, step, opt, report);
}

lossopt_status lossopt_radam_step(const lossopt_radam_config *cfg, lossopt_tensor *t, size_t count,
                              int64_t step, const lossopt_step_options *opt,
                              lossopt_step_report *report)
{
    return lossopt_radam_step_with_table(lossopt_active_table(), cfg, t, count, step, opt, report);
}

lossopt_status lossopt_lion_step_with_table(const lossopt_kernel_table *table,
                                          const lossopt_lion_config *cfg, lossopt_tensor *t,
                                          size_t count, int64_t step,
                                          const lossopt_step_options *opt,
                                          lossopt_step_report *report)
{
    step_optimizer o = lion_optimizer(cfg);
    return lossopt_step_call(table, &o, t, count, step, opt, report);
}

lossopt_status lossopt_lion_step(const lossopt_lion_config *cfg, lossopt_tensor *t, size_t count,
                              int64_t step, const lossopt_step_options *opt,
                              lossopt_step_report *report)
{
    return lossopt_lion_step_with_table(lossopt_active_table(), cfg, t, count, step, opt, report);
}

lossopt_status lossopt_lamb_step_with_table(const lossopt_kernel_table *table,
                                          const lossopt_lamb_config *cfg, lossopt_tensor *t,
                                          size_t count, int64_t step,
                                          const lossopt_step_options *opt,
                                          lossopt_step_report *report)
{
    step_optimizer o = lamb_optimizer(cfg);
    return lossopt_step_call(table, &o, t, count, step, opt, report);
}

lossopt_status lossopt_lamb_step(const lossopt_lamb_config *cfg, lossopt_tensor *t, size_t count,
                              int64_t step, const lossopt_step_options *opt,
                              lossopt_step_report *report)
{
    return lossopt_lamb_step_with_table(lossopt_active_table(), cfg, t, count, step, opt, report);
}

lossopt_status lossopt_nadam_step_with_table(const lossopt_kernel_table *table,
                                            const lossopt_nadam_config *cfg, double *mu_products,
                                            lossopt_tensor *t, size_t count, int64_t step,
                                            const lossopt_step_options *opt,
                                            lossopt_step_report *report)
{
    step_optimizer o = nadam_optimizer(cfg, mu_products);
    return lossopt_step_call(table, &o, t, count, step, opt, report);
}

lossopt_status lossopt_nadam_step(const lossopt_nadam_config *cfg, double *mu_products,
                                  lossopt_tensor *t, size_t count, int64_t step,
                                  const lossopt_step_options *opt, lossopt_step_report *report)
{
    return lossopt_nadam_step_with_table(lossopt_active_table(), cfg, mu_products, t, count, step,
                                         opt, report);
}

/* ---- the _f32 calls: one all-f32 tensor ---- */

lossopt_status lossopt_adagrad_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                              const float *grad, float *sum, size_t n,
                                              const lossopt_adagrad_config *cfg, int64_t step)
{
    step_optimizer o = adagrad_optimizer(cfg);
    return lossopt_step_call_f32(table, &o, param, grad, sum, NULL, n, step);
}

lossopt_status lossopt_adagrad_step_f32(float *param, const float *grad, float *sum, size_t n,
                                  const lossopt_adagrad_config *cfg, int64_t step)
{
    return lossopt_adagrad_step_f32_with_table(lossopt_active_table(), param, grad, sum, n, cfg,
                                         step);
}

lossopt_status lossopt_adamax_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                              const float *grad, float *exp_avg, float *exp_inf, size_t n,
                                              const lossopt_adamax_config *cfg, int64_t step)
{
    step_optimizer o = adamax_optimizer(cfg);
    return lossopt_step_call_f32(table, &o, param, grad, exp_avg, exp_inf, n, step);
}

lossopt_status lossopt_adamax_step_f32(float *param, const float *grad, float *exp_avg, float *exp_inf, size_t n,
                                  const lossopt_adamax_config *cfg, int64_t step)
{
    return lossopt_adamax_step_f32_with_table(lossopt_active_table(), param, grad, exp_avg, exp_inf, n, cfg,
                                         step);
}

lossopt_status lossopt_radam_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                              const float *grad, float *exp_avg, float *exp_avg_sq, size_t n,
                                              const lossopt_radam_config *cfg, int64_t step)
{
    step_optimizer o = radam_optimizer(cfg);
    return lossopt_step_call_f32(table, &o, param, grad, exp_avg, exp_avg_sq, n, step);
}

lossopt_status lossopt_radam_step_f32(float *param, const float *grad, float *exp_avg, float *exp_avg_sq, size_t n,
                                  const lossopt_radam_config *cfg, int64_t step)
{
    return lossopt_radam_step_f32_with_table(lossopt_active_table(), param, grad, exp_avg, exp_avg_sq, n, cfg,
                                         step);
}

lossopt_status lossopt_lion_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                              const float *grad, float *exp_avg, size_t n,
                                              const lossopt_lion_config *cfg, int64_t step)
{
    step_optimizer o = lion_optimizer(cfg);
    return lossopt_step_call_f32(table, &o, param, grad, exp_avg, NULL, n, step);
}

lossopt_status lossopt_lion_step_f32(float *param, const float *grad, float *exp_avg, size_t n,
                                  const lossopt_lion_config *cfg, int64_t step)
{
    return lossopt_lion_step_f32_with_table(lossopt_active_table(), param, grad, exp_avg, n, cfg,
                                         step);
}

lossopt_status lossopt_lamb_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                              const float *grad, float *exp_avg, float *exp_avg_sq, size_t n,
                                              const lossopt_lamb_config *cfg, int64_t step)
{
    step_optimizer o = lamb_optimizer(cfg);
    return lossopt_step_call_f32(table, &o, param, grad, exp_avg, exp_avg_sq, n, step);
}

lossopt_status lossopt_lamb_step_f32(float *param, const float *grad, float *exp_avg, float *exp_avg_sq, size_t n,
                                  const lossopt_lamb_config *cfg, int64_t step)
{
    return lossopt_lamb_step_f32_with_table(lossopt_active_table(), param, grad, exp_avg, exp_avg_sq, n, cfg,
                                         step);
}

lossopt_status lossopt_nadam_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                                const float *grad, float *exp_avg,
                                                float *exp_avg_sq, double *mu_product, size_t n,
                                                const lossopt_nadam_config *cfg, int64_t step)
{
    step_optimizer o = nadam_optimizer(cfg, mu_product);
    return lossopt_step_call_f32(table, &o, param, grad, exp_avg, exp_avg_sq, n, step);
}

lossopt_status lossopt_nadam_step_f32(float *param, const float *grad, float *exp_avg,
                                      float *exp_avg_sq, double *mu_product, size_t n,
                                      const lossopt_nadam_config *cfg, int64_t step)
{
    return lossopt_nadam_step_f32_with_table(lossopt_active_table(), param, grad, exp_avg, exp_avg_sq,
                                             mu_product, n, cfg, step);
}
