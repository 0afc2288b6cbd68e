/* bench/sleef_exp_avx512.c - the AVX-512 "SLEEF exp pass" reference
 * (bench/sleef_exp.h): out[i] = Sleef_expf16_u10avx512f(in[i]), 8
 * bytes/element, the same-ISA floor of the avx512 variant's cross_entropy.
 * Compiled with the library's AVX-512 flags (this file only), x86-64 only;
 * the benchmark calls it only where bench_sleef_exp_avx512_supported().
 * Written like the AVX2 twin, bench/sleef_exp.c: four independent calls per
 * iteration, the tail through a masked load and store. */
#include <immintrin.h>
#include <sleef.h>

#include "sleef_exp.h"

void bench_sleef_exp_avx512_pass(float *out, const float *in, size_t n)
{
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        _mm512_storeu_ps(out + i, Sleef_expf16_u10avx512f(_mm512_loadu_ps(in + i)));
        _mm512_storeu_ps(out + i + 16, Sleef_expf16_u10avx512f(_mm512_loadu_ps(in + i + 16)));
        _mm512_storeu_ps(out + i + 32, Sleef_expf16_u10avx512f(_mm512_loadu_ps(in + i + 32)));
        _mm512_storeu_ps(out + i + 48, Sleef_expf16_u10avx512f(_mm512_loadu_ps(in + i + 48)));
    }
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(out + i, Sleef_expf16_u10avx512f(_mm512_loadu_ps(in + i)));
    if (i < n) {
        __mmask16 active = (__mmask16)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(out + i, active,
                              Sleef_expf16_u10avx512f(_mm512_maskz_loadu_ps(active, in + i)));
    }
}

/* __builtin_cpu_supports("avx512f") also requires the OS to save the
 * AVX-512 state (XGETBV), as the library's dispatcher does. */
int bench_sleef_exp_avx512_supported(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}
