/* tests/avx512_emulation.h - test-only: the AVX-512 intrinsics that
 * kernels/vec/vec_avx512.h uses, from SIMDe's portable implementation, so the
 * avx512 vector layer can be checked bit for bit on a CPU without AVX-512.
 * SIMDe 0.7 lacks the masked loads and stores; they are written here lane by
 * lane with the hardware's semantics (inactive lanes are neither read nor
 * written). */
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

#define _mm512_mask_loadu_ps lossopt_emulated_mask_loadu_ps
#define _mm512_mask_storeu_ps lossopt_emulated_mask_storeu_ps

#endif /* LOSSOPT_AVX512_EMULATION_H */
