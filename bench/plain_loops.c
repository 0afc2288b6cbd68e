/* bench/plain_loops.c - the baseline of the benchmark: each optimizer update
 * written as the plain C loop a user would write in ten minutes (PyTorch's
 * documented formulas, no intrinsics, no restrict, no pragmas).
 *
 * Not bit-compatible with lossopt (no explicit fma, the build passes
 * -ffp-contract=off), but the same work per element: the same loads and
 * stores, and the same number of square roots and divisions (Adam: one sqrt,
 * two divisions; RMSprop: one sqrt, one division; the 0.2 optimizers below
 * list theirs).
 *
 * Compiled twice (bench/CMakeLists.txt): -O3 for baseline x86-64 with
 * PLAIN_SUFFIX=O3 and -O3 -march=native with PLAIN_SUFFIX=native, giving
 * plain_adam_step_O3, plain_adam_step_native, ... (see plain_loops.h).
 *
 * Note: with GCC's default -fmath-errno, sqrtf may set errno, so GCC does not
 * vectorise the RMSprop and Adam loops at all (SGD's are vectorised). That is
 * what "-O3 -march=native" gives a user; -DLOSSOPT_BENCH_PLAIN_NOERRNO=ON adds
 * plain_native_noerrno (also -fno-math-errno), the vectorised bar. The same
 * holds for the 0.2 optimizers with a square root (Adagrad, NAdam, RAdam,
 * LAMB); Adamax and Lion have none and vectorise at -O3 already. LAMB's first
 * pass sums in double in order, which GCC does not vectorise without
 * -ffast-math, with or without -fno-math-errno. */
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

/* Adam in DeepSpeed's one-division form (its CPU Adam, cpu_adam.h): the
 * reference row "plain_onediv" of the Adam in-cache target (SPEC.md section 3,
 * 0.2). Bias corrections once per call (step_size = -lr / bc1,
 * rcp_bc2_sqrt = 1 / sqrt(bc2)), then
 * m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g;
 * denom = sqrt(v) * rcp_bc2_sqrt + eps;  p += step_size * (m / denom):
 * one sqrt and one division per element (plain_adam_step above: two
 * divisions). Not within lossopt's parity bound (4.75 ulp from PyTorch,
 * bound 4; commit a8a5547), a speed reference only. 28 bytes per element. */
void PLAIN_NAME(plain_adam_onediv_step)(float *param, const float *grad, float *exp_avg,
                                        float *exp_avg_sq, size_t n, float lr, float beta1,
                                        float beta2, float eps, int64_t step)
{
    float step_size = -lr / (1.0f - powf(beta1, (float)step));
    float rcp_bc2_sqrt = 1.0f / sqrtf(1.0f - powf(beta2, (float)step));
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        float m = beta1 * exp_avg[i] + (1.0f - beta1) * g;
        float v = beta2 * exp_avg_sq[i] + (1.0f - beta2) * g * g;
        exp_avg[i] = m;
        exp_avg_sq[i] = v;
        float denom = sqrtf(v) * rcp_bc2_sqrt + eps;
        param[i] += step_size * (m / denom);
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

/* ---- the 0.2 optimizers (include/lossopt.h, "More optimizers") -----------
 * Each is the update of the bench's configuration (bench_optimizers.cc: the
 * library defaults, lr 1e-4), so the terms a default config skips
 * (weight_decay 0, maximize false) are not written; LAMB's default
 * weight_decay 0.01 is. Coefficients in float with powf, as in the Adam loop
 * above (NAdam's running product of the momentum coefficients is a double
 * argument, its new value returned; LAMB's norms are summed in double). The
 * same loads, stores, square roots and divisions per element as lossopt:
 * Adagrad 1 sqrt + 1 div, Adamax 1 div, NAdam 1 sqrt + 3 div, RAdam 1 sqrt +
 * 1 div (rectified steps), Lion none, LAMB 1 sqrt + 3 div per pass. */

/* Adagrad: clr = lr / (1 + (step - 1) * lr_decay);  sum += g * g;
 * p -= clr * g / (sqrt(sum) + eps). 20 bytes per element (p, g, sum read;
 * p, sum written). */
void PLAIN_NAME(plain_adagrad_step)(float *param, const float *grad, float *sum, size_t n,
                                    float lr, float lr_decay, float eps, int64_t step)
{
    float clr = lr / (1.0f + (float)(step - 1) * lr_decay);
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        sum[i] += g * g;
        param[i] -= clr * g / (sqrtf(sum[i]) + eps);
    }
}

/* Adamax: m = beta1 * m + (1 - beta1) * g;  u = max(beta2 * u, |g| + eps);
 * p -= lr / (1 - beta1^t) * m / u. 28 bytes per element. */
void PLAIN_NAME(plain_adamax_step)(float *param, const float *grad, float *exp_avg,
                                   float *exp_inf, size_t n, float lr, float beta1, float beta2,
                                   float eps, int64_t step)
{
    float clr = lr / (1.0f - powf(beta1, (float)step));
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        exp_avg[i] = beta1 * exp_avg[i] + (1.0f - beta1) * g;
        float s = beta2 * exp_inf[i], u = fabsf(g) + eps;
        exp_inf[i] = s > u ? s : u;
        param[i] -= clr * exp_avg[i] / exp_inf[i];
    }
}

/* NAdam (PyTorch 2.x): mu_t = beta1 (1 - 0.5 * 0.96^(t psi)), the product
 * P = mu_product * mu_t (returned), then
 * p -= lr (1 - mu_t) / (1 - P) * g / denom + lr mu_{t+1} / (1 - P mu_{t+1}) * m / denom,
 * denom = sqrt(v) / sqrt(1 - beta2^t) + eps. 28 bytes per element. */
double PLAIN_NAME(plain_nadam_step)(float *param, const float *grad, float *exp_avg,
                                    float *exp_avg_sq, size_t n, float lr, float beta1,
                                    float beta2, float eps, float momentum_decay,
                                    double mu_product, int64_t step)
{
    float mu = beta1 * (1.0f - 0.5f * powf(0.96f, (float)step * momentum_decay));
    float mu_next = beta1 * (1.0f - 0.5f * powf(0.96f, (float)(step + 1) * momentum_decay));
    double product = mu_product * mu, product_next = product * mu_next;
    float c_grad = lr * (1.0f - mu) / (float)(1.0 - product);
    float c_avg = lr * mu_next / (float)(1.0 - product_next);
    float bc2_sqrt = sqrtf(1.0f - powf(beta2, (float)step));
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        exp_avg[i] = beta1 * exp_avg[i] + (1.0f - beta1) * g;
        exp_avg_sq[i] = beta2 * exp_avg_sq[i] + (1.0f - beta2) * g * g;
        float denom = sqrtf(exp_avg_sq[i]) / bc2_sqrt + eps;
        param[i] -= c_grad * g / denom;
        param[i] -= c_avg * exp_avg[i] / denom;
    }
    return product;
}

/* RAdam: the rectification term from rho_t once per call; rectified steps
 * p -= lr * rect * sqrt(bc2) / bc1 * m / (sqrt(v) + eps), the first ones
 * (rho_t <= 5) p -= lr / bc1 * m. 28 bytes per element. (In float, rho_t
 * loses digits to cancellation in the first tens of steps, so the step size
 * there differs from lossopt's double by up to a few per cent; the work per
 * element is the same.) */
void PLAIN_NAME(plain_radam_step)(float *param, const float *grad, float *exp_avg,
                                  float *exp_avg_sq, size_t n, float lr, float beta1,
                                  float beta2, float eps, int64_t step)
{
    float bc1 = 1.0f - powf(beta1, (float)step);
    float beta2_t = powf(beta2, (float)step), bc2 = 1.0f - beta2_t;
    float rho_inf = 2.0f / (1.0f - beta2) - 1.0f;
    float rho_t = rho_inf - 2.0f * (float)step * beta2_t / bc2;
    if (rho_t > 5.0f) {
        float rect = sqrtf((rho_t - 4.0f) * (rho_t - 2.0f) * rho_inf /
                           ((rho_inf - 4.0f) * (rho_inf - 2.0f) * rho_t));
        float step_size = lr * rect * sqrtf(bc2) / bc1;
        for (size_t i = 0; i < n; i++) {
            float g = grad[i];
            exp_avg[i] = beta1 * exp_avg[i] + (1.0f - beta1) * g;
            exp_avg_sq[i] = beta2 * exp_avg_sq[i] + (1.0f - beta2) * g * g;
            param[i] -= step_size * exp_avg[i] / (sqrtf(exp_avg_sq[i]) + eps);
        }
    } else {
        float step_size = lr / bc1;
        for (size_t i = 0; i < n; i++) {
            float g = grad[i];
            exp_avg[i] = beta1 * exp_avg[i] + (1.0f - beta1) * g;
            exp_avg_sq[i] = beta2 * exp_avg_sq[i] + (1.0f - beta2) * g * g;
            param[i] -= step_size * exp_avg[i];
        }
    }
}

/* Lion: c = beta1 * m + (1 - beta1) * g;  p -= lr * sign(c);
 * m = beta2 * m + (1 - beta2) * g. 20 bytes per element. sign is the C idiom
 * (c > 0) - (c < 0), which GCC vectorises; the nested conditional
 * c > 0 ? 1 : c < 0 ? -1 : 0 stays scalar ("control flow in loop": the
 * second comparison may raise FE_INVALID only when the first is false). */
void PLAIN_NAME(plain_lion_step)(float *param, const float *grad, float *exp_avg, size_t n,
                                 float lr, float beta1, float beta2)
{
    for (size_t i = 0; i < n; i++) {
        float g = grad[i], m = exp_avg[i];
        float c = beta1 * m + (1.0f - beta1) * g;
        param[i] -= lr * (float)((c > 0.0f) - (c < 0.0f));
        exp_avg[i] = beta2 * m + (1.0f - beta2) * g;
    }
}

/* LAMB, two passes as lossopt does them: pass 1 updates m and v and sums
 * |p|^2 and |u|^2 in double, u = (m / bc1) / (sqrt(v) / sqrt(bc2) + eps)
 * + weight_decay * p; pass 2 recomputes u from m, v, p and does
 * p -= lr * (|p| / |u|) * u. 40 bytes per element: pass 1 reads p, g, m, v
 * and writes m, v (24), pass 2 reads p, m, v and writes p (16). */
void PLAIN_NAME(plain_lamb_step)(float *param, const float *grad, float *exp_avg,
                                 float *exp_avg_sq, size_t n, float lr, float beta1, float beta2,
                                 float eps, float weight_decay, int64_t step)
{
    float bc1 = 1.0f - powf(beta1, (float)step);
    float bc2_sqrt = sqrtf(1.0f - powf(beta2, (float)step));
    double p2 = 0.0, u2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        exp_avg[i] = beta1 * exp_avg[i] + (1.0f - beta1) * g;
        exp_avg_sq[i] = beta2 * exp_avg_sq[i] + (1.0f - beta2) * g * g;
        float u = (exp_avg[i] / bc1) / (sqrtf(exp_avg_sq[i]) / bc2_sqrt + eps) +
                  weight_decay * param[i];
        p2 += param[i] * param[i];
        u2 += u * u;
    }
    float ratio = p2 > 0.0 && u2 > 0.0 ? (float)(sqrt(p2) / sqrt(u2)) : 1.0f;
    float factor = lr * ratio;
    for (size_t i = 0; i < n; i++) {
        float u = (exp_avg[i] / bc1) / (sqrtf(exp_avg_sq[i]) / bc2_sqrt + eps) +
                  weight_decay * param[i];
        param[i] -= factor * u;
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
