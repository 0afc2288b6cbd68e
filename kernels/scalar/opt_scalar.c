/* kernels/scalar/opt_scalar.c - the scalar oracle of the optimizer updates:
 * plain loops, hand-written (not generated from the vector template), in the
 * operation order documented in include/lossopt.h, for both call forms: the
 * segment kernels of the engine step run each element through
 * kernels/scalar/step_io_scalar.h (any dtype, the grad multiplier, the param
 * copy, stochastic rounding), and the _f32 kernels are the all-f32 segment.
 * It is the fallback on CPUs without AVX2 or NEON and the reference every
 * vector variant must match bit for bit. Every fused multiply-add is an
 * explicit fmaf (the build passes -ffp-contract=off, so nothing else is
 * fused). */
#include "baseline_only.h" /* first: the oracle runs on any CPU */
#include <math.h>

#include "float_ops.h"
#include "kernel_table.h"
#include "scalar/scalar_kernels.h"
#include "scalar/step_io_scalar.h"

/* ---- SGD: state[0] = momentum_buf ---- */

void ORACLE_NAME(sgd_segment)(const lossopt_step_segment *s, const lossopt_sgd_coefficients *c)
{
    enum { MOMENTUM_BUF = LOSSOPT_BUFFER_STATE0 };
    for (size_t i = 0; i < s->n; i++) {
        float p = oracle_load(s, LOSSOPT_BUFFER_PARAM, i);
        float g = oracle_load_grad(s, i);
        if (c->maximize)
            g = -g;
        if (c->use_weight_decay)
            g = fmaf(c->weight_decay, p, g);
        if (c->use_momentum) {
            float buf;
            if (c->first_step) {
                buf = g;
            } else {
                float kept = c->momentum * oracle_load(s, MOMENTUM_BUF, i);
                buf = fmaf(c->one_minus_dampening, g, kept);
            }
            buf = oracle_store(s, MOMENTUM_BUF, i, buf);
            g = c->nesterov ? fmaf(c->momentum, buf, g) : buf;
        }
        oracle_store_param(s, i, fmaf(c->negative_lr, g, p));
    }
}

void ORACLE_NAME(sgd_step_f32)(float *param, const float *grad, float *momentum_buf, size_t n,
                                const lossopt_sgd_coefficients *c)
{
    lossopt_step_segment s = oracle_f32_segment(param, grad, momentum_buf, NULL, NULL, n);
    ORACLE_NAME(sgd_segment)(&s, c);
}

/* ---- RMSprop: state[0..2] = square_avg, grad_avg, momentum_buf ---- */

void ORACLE_NAME(rmsprop_segment)(const lossopt_step_segment *s,
                                   const lossopt_rmsprop_coefficients *c)
{
    enum { SQUARE_AVG = LOSSOPT_BUFFER_STATE0, GRAD_AVG, MOMENTUM_BUF };
    for (size_t i = 0; i < s->n; i++) {
        float p = oracle_load(s, LOSSOPT_BUFFER_PARAM, i);
        float g = oracle_load_grad(s, i);
        if (c->maximize)
            g = -g;
        if (c->use_weight_decay)
            g = fmaf(c->weight_decay, p, g);

        float kept = c->alpha * oracle_load(s, SQUARE_AVG, i);
        float scaled_g = c->one_minus_alpha * g;
        float square_avg = oracle_store(s, SQUARE_AVG, i, fmaf(scaled_g, g, kept));

        float mean_square = square_avg;
        if (c->centered) {
            float grad_avg = oracle_lerp(oracle_load(s, GRAD_AVG, i), g, &c->grad_avg_lerp);
            grad_avg = oracle_store(s, GRAD_AVG, i, grad_avg);
            mean_square = fmaf(-grad_avg, grad_avg, square_avg);
        }
        float avg = sqrtf(mean_square) + c->eps;

        float step = g / avg;
        if (c->use_momentum) {
            step = c->momentum * oracle_load(s, MOMENTUM_BUF, i) + step;
            step = oracle_store(s, MOMENTUM_BUF, i, step);
        }
        oracle_store_param(s, i, fmaf(c->negative_lr, step, p));
    }
}

void ORACLE_NAME(rmsprop_step_f32)(float *param, const float *grad, float *square_avg,
                                    float *grad_avg, float *momentum_buf, size_t n,
                                    const lossopt_rmsprop_coefficients *c)
{
    lossopt_step_segment s = oracle_f32_segment(param, grad, square_avg, grad_avg, momentum_buf, n);
    ORACLE_NAME(rmsprop_segment)(&s, c);
}

/* ---- Adam: state[0..2] = exp_avg, exp_avg_sq, max_exp_avg_sq ---- */

void ORACLE_NAME(adam_segment)(const lossopt_step_segment *s, const lossopt_adam_coefficients *c)
{
    enum { EXP_AVG = LOSSOPT_BUFFER_STATE0, EXP_AVG_SQ, MAX_EXP_AVG_SQ };
    for (size_t i = 0; i < s->n; i++) {
        float p = oracle_load(s, LOSSOPT_BUFFER_PARAM, i);
        float g = oracle_load_grad(s, i);
        if (c->maximize)
            g = -g;
        if (c->use_decoupled_decay)
            p = p * c->decay_factor;
        if (c->use_l2_weight_decay)
            g = fmaf(c->weight_decay, p, g);

        float m = oracle_lerp(oracle_load(s, EXP_AVG, i), g, &c->exp_avg_lerp);
        m = oracle_store(s, EXP_AVG, i, m);

        float kept = c->beta2 * oracle_load(s, EXP_AVG_SQ, i);
        float scaled_g = c->one_minus_beta2 * g;
        float v = oracle_store(s, EXP_AVG_SQ, i, fmaf(scaled_g, g, kept));
        if (c->amsgrad)
            v = oracle_store(s, MAX_EXP_AVG_SQ, i, lossopt_max_nan(oracle_load(s, MAX_EXP_AVG_SQ, i), v));

        float denom = sqrtf(v) / c->bias_correction2_sqrt + c->eps;
        oracle_store_param(s, i, fmaf(c->negative_step_size, m / denom, p));
    }
}

void ORACLE_NAME(adam_step_f32)(float *param, const float *grad, float *exp_avg,
                                 float *exp_avg_sq, float *max_exp_avg_sq, size_t n,
                                 const lossopt_adam_coefficients *c)
{
    lossopt_step_segment s = oracle_f32_segment(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n);
    ORACLE_NAME(adam_segment)(&s, c);
}
