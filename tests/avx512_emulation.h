/* tests/avx512_emulation.h - test-only: the AVX-512 intrinsics that
 * kernels/vec/vec_avx512.h uses, from SIMDe's portable implementation, so the
 * avx512 vector layer can be checked bit for bit on a CPU without AVX-512.
 * SIMDe 0.7 lacks the masked loads and stores; they are written here lane by
 * lane with the hardware's semantics (inactive lanes are neither read nor
 * written), and so is its 32-bit multiply (below). */
#ifndef LOSSOPT_AVX512_EMULATION_H
#define LOSSOPT_AVX512_EMULATION_H

#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>

static inline __m512 lossopt_emulated_mask_loadu_ps(__m512 src, __mmask16 k, const float *p)
{
    simde__m512_private lanes = simde__m512_to_private(src);
    for (int i = 0; i < 16; i++)
        if ((k >> i) & 1)
            lanes.f32[i] = p[i];
    return simde__m512_from_private(lanes);
}

static inline void lossopt_emulated_mask_storeu_ps(float *p, __mmask16 k, __m512 v)
{
    simde__m512_private lanes = simde__m512_to_private(v);
    for (int i = 0; i < 16; i++)
        if ((k >> i) & 1)
            p[i] = lanes.f32[i];
}

/* SIMDe 0.7's _mm512_mullo_epi32 multiplies as signed int, whose overflow
 * is undefined (UBSan stops there); the hardware keeps the low 32 bits of
 * the product, which unsigned arithmetic gives exactly. */
static inline __m512i lossopt_emulated_mullo_epi32(__m512i a, __m512i b)
{
    simde__m512i_private x = simde__m512i_to_private(a), y = simde__m512i_to_private(b);
    for (int i = 0; i < 16; i++)
        x.u32[i] = x.u32[i] * y.u32[i];
    return simde__m512i_from_private(x);
}

/* SLEEF's AVX-512 functions need a real AVX-512 CPU; the AVX2 ones give the
 * same bits (FMA family, u10), so the emulation runs them on each half. */
#include <sleef.h>
#define LOSSOPT_EMULATED_SLEEF16(name, avx2_function)                          \
    static inline __m512 name(__m512 x)                                       \
    {                                                                         \
        simde__m512_private lanes = simde__m512_to_private(x);                \
        lanes.m256[0] = avx2_function(lanes.m256[0]);                         \
        lanes.m256[1] = avx2_function(lanes.m256[1]);                         \
        return simde__m512_from_private(lanes);                               \
    }
LOSSOPT_EMULATED_SLEEF16(lossopt_emulated_expf16, Sleef_expf8_u10avx2)
LOSSOPT_EMULATED_SLEEF16(lossopt_emulated_logf16, Sleef_logf8_u10avx2)
LOSSOPT_EMULATED_SLEEF16(lossopt_emulated_log1pf16, Sleef_log1pf8_u10avx2)
#define Sleef_expf16_u10avx512f lossopt_emulated_expf16
#define Sleef_logf16_u10avx512f lossopt_emulated_logf16
#define Sleef_log1pf16_u10avx512f lossopt_emulated_log1pf16

#undef _mm512_mullo_epi32 /* SIMDe's native alias */
#define _mm512_mullo_epi32 lossopt_emulated_mullo_epi32
#define _mm512_mask_loadu_ps lossopt_emulated_mask_loadu_ps
#define _mm512_mask_storeu_ps lossopt_emulated_mask_storeu_ps

#endif /* LOSSOPT_AVX512_EMULATION_H */
