/* kernels/scalar/opt_more_scalar.c - the scalar oracle of the 0.2 optimizers
 * (Adagrad, Adamax, NAdam, RAdam, Lion, LAMB): plain per-element loops in the
 * operation order of include/lossopt.h ("More optimizers"), each element
 * loaded and stored through kernels/scalar/step_io_scalar.h (any dtype, the
 * grad multiplier, the param copy, stochastic rounding). Their _f32 calls are
 * one-tensor list calls, so these segment kernels serve both call forms.
 * Every fused multiply-add is an explicit fmaf (-ffp-contract=off). */
#include "baseline_only.h" /* first: the oracle runs on any CPU */
#include <math.h>

#include "float_ops.h"
#include "kernel_table.h"
#include "scalar/canonical_sum.h"
#include "scalar/scalar_kernels.h"
#include "scalar/step_io_scalar.h"

enum { STATE0 = LOSSOPT_BUFFER_STATE0, STATE1, STATE2 };

/* ---- Adagrad: state[0] = sum ---- */

void ORACLE_NAME(adagrad_segment)(const lossopt_step_segment *s,
                                   const lossopt_adagrad_coefficients *c)
{
    for (size_t i = 0; i < s->n; i++) {
        float p = oracle_load(s, LOSSOPT_BUFFER_PARAM, i);
        float g = oracle_load_grad(s, i);
        if (c->maximize)
            g = -g;
        if (c->use_weight_decay)
            g = fmaf(c->weight_decay, p, g);
        float sum = oracle_store(s, STATE0, i, fmaf(g, g, oracle_load(s, STATE0, i)));
        float std = sqrtf(sum) + c->eps;
        oracle_store_param(s, i, fmaf(c->negative_clr, g / std, p));
    }
}

/* ---- Adamax: state[0..1] = exp_avg, exp_inf ---- */

void ORACLE_NAME(adamax_segment)(const lossopt_step_segment *s,
                                  const lossopt_adamax_coefficients *c)
{
    for (size_t i = 0; i < s->n; i++) {
        float p = oracle_load(s, LOSSOPT_BUFFER_PARAM, i);
        float g = oracle_load_grad(s, i);
        if (c->maximize)
            g = -g;
        if (c->use_weight_decay)
            g = fmaf(c->weight_decay, p, g);
        float m = oracle_store(s, STATE0, i, oracle_lerp(oracle_load(s, STATE0, i), g, &c->exp_avg_lerp));
        float kept = c->beta2 * oracle_load(s, STATE1, i);
        float fresh = fabsf(g) + c->eps;
        float u = oracle_store(s, STATE1, i, lossopt_max_nan(kept, fresh));
        oracle_store_param(s, i, fmaf(c->negative_clr, m / u, p));
    }
}

/* ---- Adam's moment update, shared by NAdam, RAdam and LAMB ----
 * (the twin of kernels/adam_moments.h): the grad's sign and weight decay,
 * then exp_avg and exp_avg_sq, stored; returns them as stored, and p and g
 * as the update continues with them. */
typedef struct oracle_moments {
    float p, g, m, v;
} oracle_moments;

static oracle_moments oracle_adam_moments(const lossopt_step_segment *s, size_t i, bool maximize,
                                          bool decoupled, float decay_factor, bool l2,
                                          float weight_decay, const lossopt_lerp_coefficients *lerp,
                                          float beta2, float one_minus_beta2)
{
    oracle_moments r;
    r.p = oracle_load(s, LOSSOPT_BUFFER_PARAM, i);
    r.g = oracle_load_grad(s, i);
    if (maximize)
        r.g = -r.g;
    if (decoupled)
        r.p = r.p * decay_factor;
    if (l2)
        r.g = fmaf(weight_decay, r.p, r.g);
    r.m = oracle_store(s, STATE0, i, oracle_lerp(oracle_load(s, STATE0, i), r.g, lerp));
    float kept = beta2 * oracle_load(s, STATE1, i);
    float scaled_g = one_minus_beta2 * r.g;
    r.v = oracle_store(s, STATE1, i, fmaf(scaled_g, r.g, kept));
    return r;
}

/* ---- NAdam: state[0..1] = exp_avg, exp_avg_sq ---- */

void ORACLE_NAME(nadam_segment)(const lossopt_step_segment *s, const lossopt_nadam_coefficients *c)
{
    for (size_t i = 0; i < s->n; i++) {
        oracle_moments r = oracle_adam_moments(s, i, c->maximize, c->use_decoupled_decay,
                                               c->decay_factor, c->use_l2_weight_decay,
                                               c->weight_decay, &c->exp_avg_lerp, c->beta2,
                                               c->one_minus_beta2);
        float denom = sqrtf(r.v) / c->bias_correction2_sqrt + c->eps;
        float p = fmaf(c->grad_coefficient, r.g / denom, r.p);
        oracle_store_param(s, i, fmaf(c->exp_avg_coefficient, r.m / denom, p));
    }
}

/* ---- RAdam: state[0..1] = exp_avg, exp_avg_sq ---- */

void ORACLE_NAME(radam_segment)(const lossopt_step_segment *s, const lossopt_radam_coefficients *c)
{
    for (size_t i = 0; i < s->n; i++) {
        oracle_moments r = oracle_adam_moments(s, i, c->maximize, c->use_decoupled_decay,
                                               c->decay_factor, c->use_l2_weight_decay,
                                               c->weight_decay, &c->exp_avg_lerp, c->beta2,
                                               c->one_minus_beta2);
        float update = c->rectified ? r.m / (sqrtf(r.v) + c->eps) : r.m;
        oracle_store_param(s, i, fmaf(c->negative_step_size, update, r.p));
    }
}

/* ---- Lion: state[0] = exp_avg ---- */

/* +1 or -1 by the sign of c, however small; c itself for +-0 and NaN. */
static float lion_sign(float c)
{
    if (c > 0.0f)
        return 1.0f;
    if (c < 0.0f)
        return -1.0f;
    return c;
}

void ORACLE_NAME(lion_segment)(const lossopt_step_segment *s, const lossopt_lion_coefficients *c)
{
    for (size_t i = 0; i < s->n; i++) {
        float p = oracle_load(s, LOSSOPT_BUFFER_PARAM, i);
        float g = oracle_load_grad(s, i);
        if (c->maximize)
            g = -g;
        float m = oracle_load(s, STATE0, i);
        float update = oracle_lerp(m, g, &c->update_lerp);
        if (c->use_decay)
            p = p * c->decay_factor;
        oracle_store(s, STATE0, i, oracle_lerp(m, g, &c->exp_avg_lerp));
        oracle_store_param(s, i, fmaf(c->negative_lr, lion_sign(update), p));
    }
}

/* ---- LAMB: state[0..1] = exp_avg, exp_avg_sq ---- */

/* u of one element from the stored param and states (both passes). */
static float lamb_update(const lossopt_lamb_coefficients *c, float p, float m, float v)
{
    float u = (m / c->bias_correction1) / (sqrtf(v) / c->bias_correction2_sqrt + c->eps);
    return c->use_weight_decay ? fmaf(c->weight_decay, p, u) : u;
}

void ORACLE_NAME(lamb_moments)(const lossopt_step_segment *s, const lossopt_lamb_coefficients *c,
                                double sums[2])
{
    canonical_sum param_squares, update_squares;
    canonical_start(&param_squares);
    canonical_start(&update_squares);
    for (size_t i = 0; i < s->n; i++) {
        oracle_moments r = oracle_adam_moments(s, i, c->maximize, false, 1.0f, false, 0.0f,
                                               &c->exp_avg_lerp, c->beta2, c->one_minus_beta2);
        float p = r.p;
        if (c->adapt) {
            float u = lamb_update(c, p, r.m, r.v);
            canonical_add(&param_squares, i, p * p);
            canonical_add(&update_squares, i, u * u);
        }
    }
    size_t added = c->adapt ? s->n : 0;
    sums[0] = canonical_finish(&param_squares, added);
    sums[1] = canonical_finish(&update_squares, added);
}

void ORACLE_NAME(lamb_apply)(const lossopt_step_segment *s, const lossopt_lamb_coefficients *c,
                              float negative_factor)
{
    for (size_t i = 0; i < s->n; i++) {
        float p = oracle_load(s, LOSSOPT_BUFFER_PARAM, i);
        float u = lamb_update(c, p, oracle_load(s, STATE0, i), oracle_load(s, STATE1, i));
        oracle_store_param(s, i, fmaf(negative_factor, u, p));
    }
}
