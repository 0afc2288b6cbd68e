/* bench/plain_loops.c - the baseline of the benchmark: each optimizer update
 * written as the plain C loop a user would write in ten minutes (PyTorch's
 * documented formulas, no intrinsics, no restrict, no pragmas).
 *
 * Not bit-compatible with lossopt (no explicit fma, the build passes
 * -ffp-contract=off), but the same work per element: the same loads and
 * stores, and the same number of square roots and divisions (Adam: one sqrt,
 * two divisions; RMSprop: one sqrt, one division).
 *
 * Compiled twice (bench/CMakeLists.txt): -O3 for baseline x86-64 with
 * PLAIN_SUFFIX=O3 and -O3 -march=native with PLAIN_SUFFIX=native, giving
 * plain_adam_step_O3, plain_adam_step_native, ... (see plain_loops.h).
 *
 * Note: with GCC's default -fmath-errno, sqrtf may set errno, so GCC does not
 * vectorise the RMSprop and Adam loops at all (SGD's are vectorised). That is
 * what "-O3 -march=native" gives a user; -DLOSSOPT_BENCH_PLAIN_NOERRNO=ON adds
 * plain_native_noerrno (also -fno-math-errno), the vectorised bar. */
#include <math.h>

#include "plain_loops.h"

#ifndef PLAIN_SUFFIX
#error "compile with -DPLAIN_SUFFIX=<suffix>"
#endif

/* SGD, momentum 0: p -= lr * g. 12 bytes per element. */
void PLAIN_NAME(plain_sgd_step)(float *param, const float *grad, size_t n, float lr)
{
    for (size_t i = 0; i < n; i++)
        param[i] -= lr * grad[i];
}

/* SGD with momentum (a step > 1): buf = momentum * buf + (1 - dampening) * g;
 * p -= lr * buf. 20 bytes per element. */
void PLAIN_NAME(plain_sgd_momentum_step)(float *param, const float *grad, float *momentum_buf,
                                         size_t n, float lr, float momentum, float dampening)
{
    for (size_t i = 0; i < n; i++) {
        momentum_buf[i] = momentum * momentum_buf[i] + (1.0f - dampening) * grad[i];
        param[i] -= lr * momentum_buf[i];
    }
}

/* RMSprop (plain): sq = alpha * sq + (1 - alpha) * g * g;
 * p -= lr * g / (sqrt(sq) + eps). 20 bytes per element. */
void PLAIN_NAME(plain_rmsprop_step)(float *param, const float *grad, float *square_avg,
                                    size_t n, float lr, float alpha, float eps)
{
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        square_avg[i] = alpha * square_avg[i] + (1.0f - alpha) * g * g;
        param[i] -= lr * g / (sqrtf(square_avg[i]) + eps);
    }
}

/* Adam: bias corrections once per call, then
 * m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g;
 * p -= step_size * m / (sqrt(v) / sqrt(bc2) + eps). 28 bytes per element. */
void PLAIN_NAME(plain_adam_step)(float *param, const float *grad, float *exp_avg,
                                 float *exp_avg_sq, size_t n, float lr, float beta1,
                                 float beta2, float eps, int64_t step)
{
    float step_size = lr / (1.0f - powf(beta1, (float)step));
    float bc2_sqrt = sqrtf(1.0f - powf(beta2, (float)step));
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        exp_avg[i] = beta1 * exp_avg[i] + (1.0f - beta1) * g;
        exp_avg_sq[i] = beta2 * exp_avg_sq[i] + (1.0f - beta2) * g * g;
        float denom = sqrtf(exp_avg_sq[i]) / bc2_sqrt + eps;
        param[i] -= step_size * exp_avg[i] / denom;
    }
}

/* AdamW: Adam with the parameter decayed first, p *= 1 - lr * weight_decay.
 * 28 bytes per element. */
void PLAIN_NAME(plain_adamw_step)(float *param, const float *grad, float *exp_avg,
                                  float *exp_avg_sq, size_t n, float lr, float beta1,
                                  float beta2, float eps, float weight_decay, int64_t step)
{
    float step_size = lr / (1.0f - powf(beta1, (float)step));
    float bc2_sqrt = sqrtf(1.0f - powf(beta2, (float)step));
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        param[i] *= 1.0f - lr * weight_decay;
        exp_avg[i] = beta1 * exp_avg[i] + (1.0f - beta1) * g;
        exp_avg_sq[i] = beta2 * exp_avg_sq[i] + (1.0f - beta2) * g * g;
        float denom = sqrtf(exp_avg_sq[i]) / bc2_sqrt + eps;
        param[i] -= step_size * exp_avg[i] / denom;
    }
}

/* Adam with AMSGrad: the running maximum of v feeds the denominator.
 * 36 bytes per element. */
void PLAIN_NAME(plain_adam_amsgrad_step)(float *param, const float *grad, float *exp_avg,
                                         float *exp_avg_sq, float *max_exp_avg_sq, size_t n,
                                         float lr, float beta1, float beta2, float eps,
                                         int64_t step)
{
    float step_size = lr / (1.0f - powf(beta1, (float)step));
    float bc2_sqrt = sqrtf(1.0f - powf(beta2, (float)step));
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        exp_avg[i] = beta1 * exp_avg[i] + (1.0f - beta1) * g;
        exp_avg_sq[i] = beta2 * exp_avg_sq[i] + (1.0f - beta2) * g * g;
        max_exp_avg_sq[i] = max_exp_avg_sq[i] > exp_avg_sq[i] ? max_exp_avg_sq[i] : exp_avg_sq[i];
        float denom = sqrtf(max_exp_avg_sq[i]) / bc2_sqrt + eps;
        param[i] -= step_size * exp_avg[i] / denom;
    }
}

/* ---- elementwise losses, reduction MEAN, value and gradient in one loop ----
 * What a user writes by hand: one pass, a naive float accumulator. GCC does
 * not vectorise a float sum without -ffast-math (-fassociative-math), so at
 * -O3 these loops stay scalar, which is the point of the baseline. Each reads
 * 8 bytes and writes 4 (the gradient) per element, as lossopt does. */

/* MSE: loss = mean(d*d), grad = (2/n) * d. */
float PLAIN_NAME(plain_mse_loss)(const float *input, const float *target, float *grad, size_t n)
{
    float c = 2.0f / (float)n, sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float d = input[i] - target[i];
        sum += d * d;
        grad[i] = c * d;
    }
    return sum / (float)n;
}

/* L1: loss = mean(|d|), grad = sign(d) / n. */
float PLAIN_NAME(plain_l1_loss)(const float *input, const float *target, float *grad, size_t n)
{
    float c = 1.0f / (float)n, sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float d = input[i] - target[i];
        sum += fabsf(d);
        grad[i] = d > 0.0f ? c : (d < 0.0f ? -c : 0.0f);
    }
    return sum / (float)n;
}

/* Huber: loss = |d| < delta ? d*d/2 : delta * (|d| - delta/2),
 * grad = clamp(d, -delta, delta) / n. */
float PLAIN_NAME(plain_huber_loss)(const float *input, const float *target, float *grad,
                                   size_t n, float delta)
{
    float c = 1.0f / (float)n, sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float d = input[i] - target[i];
        float a = fabsf(d);
        sum += a < delta ? 0.5f * d * d : delta * (a - 0.5f * delta);
        grad[i] = (d > delta ? delta : (d < -delta ? -delta : d)) * c;
    }
    return sum / (float)n;
}

/* Hinge, labels in {-1, +1}: m = 1 - y*s; loss = mean(max(m, 0)),
 * grad = m > 0 ? -y / n : 0. */
float PLAIN_NAME(plain_hinge_loss)(const float *score, const float *label, float *grad, size_t n)
{
    float c = 1.0f / (float)n, sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float m = 1.0f - label[i] * score[i];
        sum += m > 0.0f ? m : 0.0f;
        grad[i] = m > 0.0f ? -label[i] * c : 0.0f;
    }
    return sum / (float)n;
}
