/* bench/plain_loops.h - the plain-C baseline loops (plain_loops.c, compiled
 * twice: suffix _O3 = -O3 baseline x86-64, suffix _native = -O3 -march=native;
 * optionally _native_noerrno = -O3 -march=native -fno-math-errno)
 * and the STREAM-like reference kernels (stream.c). */
#ifndef LOSSOPT_BENCH_PLAIN_LOOPS_H
#define LOSSOPT_BENCH_PLAIN_LOOPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PLAIN_CONCAT_(a, b) a##_##b
#define PLAIN_CONCAT(a, b) PLAIN_CONCAT_(a, b)
#define PLAIN_NAME(name) PLAIN_CONCAT(name, PLAIN_SUFFIX)

#define PLAIN_DECLARE_ALL(suffix)                                                          \
    void plain_sgd_step_##suffix(float *param, const float *grad, size_t n, float lr);    \
    void plain_sgd_momentum_step_##suffix(float *param, const float *grad,                 \
                                          float *momentum_buf, size_t n, float lr,         \
                                          float momentum, float dampening);                \
    void plain_rmsprop_step_##suffix(float *param, const float *grad, float *square_avg,  \
                                     size_t n, float lr, float alpha, float eps);          \
    void plain_adam_step_##suffix(float *param, const float *grad, float *exp_avg,         \
                                  float *exp_avg_sq, size_t n, float lr, float beta1,      \
                                  float beta2, float eps, int64_t step);                   \
    void plain_adam_onediv_step_##suffix(float *param, const float *grad, float *exp_avg,  \
                                         float *exp_avg_sq, size_t n, float lr,            \
                                         float beta1, float beta2, float eps,              \
                                         int64_t step);                                    \
    void plain_adamw_step_##suffix(float *param, const float *grad, float *exp_avg,        \
                                   float *exp_avg_sq, size_t n, float lr, float beta1,     \
                                   float beta2, float eps, float weight_decay,             \
                                   int64_t step);                                          \
    void plain_adam_amsgrad_step_##suffix(float *param, const float *grad, float *exp_avg, \
                                          float *exp_avg_sq, float *max_exp_avg_sq,        \
                                          size_t n, float lr, float beta1, float beta2,    \
                                          float eps, int64_t step);                \
    void plain_adagrad_step_##suffix(float *param, const float *grad, float *sum,         \
                                     size_t n, float lr, float lr_decay, float eps,        \
                                     int64_t step);                                        \
    void plain_adamax_step_##suffix(float *param, const float *grad, float *exp_avg,       \
                                    float *exp_inf, size_t n, float lr, float beta1,       \
                                    float beta2, float eps, int64_t step);                 \
    double plain_nadam_step_##suffix(float *param, const float *grad, float *exp_avg,      \
                                     float *exp_avg_sq, size_t n, float lr, float beta1,   \
                                     float beta2, float eps, float momentum_decay,         \
                                     double mu_product, int64_t step);                     \
    void plain_radam_step_##suffix(float *param, const float *grad, float *exp_avg,        \
                                   float *exp_avg_sq, size_t n, float lr, float beta1,     \
                                   float beta2, float eps, int64_t step);                  \
    void plain_lion_step_##suffix(float *param, const float *grad, float *exp_avg,         \
                                  size_t n, float lr, float beta1, float beta2);           \
    void plain_lamb_step_##suffix(float *param, const float *grad, float *exp_avg,         \
                                  float *exp_avg_sq, size_t n, float lr, float beta1,      \
                                  float beta2, float eps, float weight_decay,              \
                                  int64_t step);                                           \
    float plain_mse_loss_##suffix(const float *input, const float *target, float *grad,   \
                                  size_t n);                                               \
    float plain_l1_loss_##suffix(const float *input, const float *target, float *grad,    \
                                 size_t n);                                                \
    float plain_huber_loss_##suffix(const float *input, const float *target, float *grad, \
                                    size_t n, float delta);                                \
    float plain_hinge_loss_##suffix(const float *score, const float *label, float *grad,  \
                                    size_t n);

PLAIN_DECLARE_ALL(O3)
PLAIN_DECLARE_ALL(native)
PLAIN_DECLARE_ALL(native_noerrno) /* only with -DLOSSOPT_BENCH_PLAIN_NOERRNO=ON */

/* Same-bytes streams (stream.c, -O3 -march=native, no memcpy): one pass over
 * n elements that reads and writes nrw arrays in place (rw), reads nr arrays
 * (r) and writes nw arrays (w), with token arithmetic, unrolled 4 x 32-byte
 * vectors per array (GCC vector extensions: AVX2/AVX-512 registers with
 * -march=native, NEON pairs on arm64). Bytes per element: 4 * (2 nrw + nr +
 * nw), write-allocate reads of the w arrays not counted (as the kernels'
 * bytes). Supported: nrw 0..4, nr 1..2, nw 0..1; returns 0, or -1 for a
 * combination outside those. Buffers 32-byte aligned. */
int bench_stream_same_bytes(float *const *rw, int nrw, const float *const *r, int nr,
                            float *const *w, int nw, size_t n);

/* The engine step's same-byte references (stream.c; bench_engine_step.cc):
 * adam_f32 28 B/element (p, m, v f32 in place, g f32 read), adam_mixed 28
 * (p, m, v f32 in place, g bf16 read, bf16 copy written), adam_bf16 14 (p,
 * m, v bf16 in place, g bf16 read), read_f32 4 and read_bf16 2 (read only).
 * bf16 buffers are uint16_t bit patterns. */
void bench_stream_adam_f32(float *p, const float *g, float *m, float *v, size_t n);
void bench_stream_adam_mixed(float *p, const uint16_t *g, float *m, float *v, uint16_t *copy,
                             size_t n);
void bench_stream_adam_bf16(uint16_t *p, const uint16_t *g, uint16_t *m, uint16_t *v, size_t n);
uint32_t bench_stream_read_f32(const float *g, size_t n);
uint32_t bench_stream_read_bf16(const uint16_t *g, size_t n);

/* The floor of the transcendental losses (sleef_exp.c, x86-64 only, compiled
 * -mavx2 -mfma): out[i] = Sleef_expf8_u10avx2(in[i]), 8 bytes/element.
 * bench_sleef_exp_supported() says whether this CPU runs AVX2+FMA. */
void bench_sleef_exp_pass(float *out, const float *in, size_t n);
int bench_sleef_exp_supported(void);

#ifdef __cplusplus
}
#endif

#endif /* LOSSOPT_BENCH_PLAIN_LOOPS_H */
