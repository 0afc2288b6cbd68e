/* bench/sleef_exp.c - the "SLEEF exp pass" reference: one exp per element
 * with SLEEF's AVX2 u10 expf, out[i] = exp(in[i]) (8 bytes/element). No loss
 * with an exp in it (bce_logits; bce's logs cost about the same) can beat one
 * such pass, so it is the floor the transcendental losses are measured
 * against. Compiled -O3 -mavx2 -mfma (this file only), x86-64 only. */
#include <immintrin.h>
#include <sleef.h>

#include "plain_loops.h"

void bench_sleef_exp_pass(float *out, const float *in, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, Sleef_expf8_u10avx2(_mm256_loadu_ps(in + i)));
    for (; i < n; i++)
        out[i] = Sleef_expf_u10(in[i]);
}

int bench_sleef_exp_supported(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
