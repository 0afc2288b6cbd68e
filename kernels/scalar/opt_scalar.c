/* kernels/scalar/opt_scalar.c - the scalar oracle of the optimizer updates:
 * plain loops, hand-written (not generated from the vector template), in the
 * operation order documented in include/lossopt.h. It is the fallback on CPUs
 * without AVX2 or NEON and the reference every vector variant must match bit
 * for bit. Every fused multiply-add is an explicit fmaf (the build passes
 * -ffp-contract=off, so nothing else is fused). */
#include "baseline_only.h" /* first: the oracle runs on any CPU */
#include <math.h>

#include "float_ops.h"
#include "kernel_table.h"
#include "scalar/scalar_kernels.h"

/* PyTorch's lerp(a, b, w): a + w (b - a) for w < 0.5, else b - (b - a)(1 - w);
 * coefficient is w or w - 1 (kernel_table.h), so both are one fma. */
static float lerp_two_branch(float a, float b, const lossopt_lerp_coefficients *lerp)
{
    if (lerp->from_end)
        return fmaf(lerp->coefficient, b - a, b);
    return fmaf(lerp->coefficient, b - a, a);
}

void ORACLE_NAME(sgd_step_f32)(float *param, const float *grad, float *momentum_buf, size_t n,
                                const lossopt_sgd_coefficients *c)
{
    for (size_t i = 0; i < n; i++) {
        float g = c->maximize ? -grad[i] : grad[i];
        if (c->use_weight_decay)
            g = fmaf(c->weight_decay, param[i], g);
        if (c->use_momentum) {
            float buf;
            if (c->first_step) {
                buf = g;
            } else {
                float kept = c->momentum * momentum_buf[i];
                buf = fmaf(c->one_minus_dampening, g, kept);
            }
            momentum_buf[i] = buf;
            g = c->nesterov ? fmaf(c->momentum, buf, g) : buf;
        }
        param[i] = fmaf(c->negative_lr, g, param[i]);
    }
}

void ORACLE_NAME(rmsprop_step_f32)(float *param, const float *grad, float *square_avg,
                                    float *grad_avg, float *momentum_buf, size_t n,
                                    const lossopt_rmsprop_coefficients *c)
{
    for (size_t i = 0; i < n; i++) {
        float g = c->maximize ? -grad[i] : grad[i];
        if (c->use_weight_decay)
            g = fmaf(c->weight_decay, param[i], g);

        float kept = c->alpha * square_avg[i];
        float scaled_g = c->one_minus_alpha * g;
        square_avg[i] = fmaf(scaled_g, g, kept);

        float mean_square = square_avg[i];
        if (c->centered) {
            grad_avg[i] = lerp_two_branch(grad_avg[i], g, &c->grad_avg_lerp);
            mean_square = fmaf(-grad_avg[i], grad_avg[i], square_avg[i]);
        }
        float avg = sqrtf(mean_square) + c->eps;

        float step = g / avg;
        if (c->use_momentum) {
            step = c->momentum * momentum_buf[i] + step;
            momentum_buf[i] = step;
        }
        param[i] = fmaf(c->negative_lr, step, param[i]);
    }
}

void ORACLE_NAME(adam_step_f32)(float *param, const float *grad, float *exp_avg,
                                 float *exp_avg_sq, float *max_exp_avg_sq, size_t n,
                                 const lossopt_adam_coefficients *c)
{
    for (size_t i = 0; i < n; i++) {
        float p = param[i];
        float g = c->maximize ? -grad[i] : grad[i];
        if (c->use_decoupled_decay)
            p = p * c->decay_factor;
        if (c->use_l2_weight_decay)
            g = fmaf(c->weight_decay, p, g);

        exp_avg[i] = lerp_two_branch(exp_avg[i], g, &c->exp_avg_lerp);

        float kept = c->beta2 * exp_avg_sq[i];
        float scaled_g = c->one_minus_beta2 * g;
        exp_avg_sq[i] = fmaf(scaled_g, g, kept);

        float v = exp_avg_sq[i];
        if (c->amsgrad) {
            max_exp_avg_sq[i] = lossopt_max_nan(max_exp_avg_sq[i], v);
            v = max_exp_avg_sq[i];
        }

        float denom = sqrtf(v) / c->bias_correction2_sqrt + c->eps;
        param[i] = fmaf(c->negative_step_size, exp_avg[i] / denom, p);
    }
}
