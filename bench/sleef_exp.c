/* bench/sleef_exp.c - the AVX2 "SLEEF exp pass" reference (bench/sleef_exp.h):
 * out[i] = Sleef_expf8_u10avx2(in[i]), 8 bytes/element. Compiled -O3 -mavx2
 * -mfma (this file only), x86-64 only.
 *
 * As fast as such a pass honestly gets: four independent calls per
 * iteration (one call per iteration measured 2 % slower on Zen 3: the loop
 * overhead between the calls), the tail through masked loads and stores
 * with the same function (inactive lanes compute exp(0) and are not
 * stored). SLEEF's vector exp is an out-of-line call that clobbers every
 * vector register, so nothing more can be kept in flight across it. */
#include <immintrin.h>
#include <sleef.h>

#include "sleef_exp.h"

void bench_sleef_exp_pass(float *out, const float *in, size_t n)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        _mm256_storeu_ps(out + i, Sleef_expf8_u10avx2(_mm256_loadu_ps(in + i)));
        _mm256_storeu_ps(out + i + 8, Sleef_expf8_u10avx2(_mm256_loadu_ps(in + i + 8)));
        _mm256_storeu_ps(out + i + 16, Sleef_expf8_u10avx2(_mm256_loadu_ps(in + i + 16)));
        _mm256_storeu_ps(out + i + 24, Sleef_expf8_u10avx2(_mm256_loadu_ps(in + i + 24)));
    }
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, Sleef_expf8_u10avx2(_mm256_loadu_ps(in + i)));
    if (i < n) {
        __m256i active = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - i)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        _mm256_maskstore_ps(out + i, active,
                            Sleef_expf8_u10avx2(_mm256_maskload_ps(in + i, active)));
    }
}

int bench_sleef_exp_supported(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
