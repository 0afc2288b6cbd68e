/* kernels/vec/vec_avx512.h - the vector layer on AVX-512 F/BW/DQ/VL: 16 floats
 * in a zmm, tails through an __mmask16. Semantics of each op: vec.h.
 *
 * LOSSOPT_AVX512_EMULATED (tests only, never in the library) compiles the same
 * code against SIMDe's portable AVX-512, so that hosts without AVX-512 still
 * check this layer's logic bit for bit against the scalar oracle. */
#ifndef LOSSOPT_VEC_AVX512_H
#define LOSSOPT_VEC_AVX512_H

#ifdef LOSSOPT_AVX512_EMULATED
#include "avx512_emulation.h"
#define VEC_ISA_SUFFIX avx512emu
#else
#include <immintrin.h>
#define VEC_ISA_SUFFIX avx512
#endif

#define VEC_WIDTH 16

typedef __m512 vfloat;

static inline vfloat vec_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void vec_store(float *p, vfloat v) { _mm512_storeu_ps(p, v); }

static inline __mmask16 vec_avx512_lane_mask(size_t count)
{
    return (__mmask16)((1u << count) - 1u); /* count < 16 */
}

/* Masked loads never touch (or fault on) memory of inactive lanes. */
static inline vfloat vec_load_partial(const float *p, size_t count)
{
    return _mm512_mask_loadu_ps(_mm512_set1_ps(-0.0f), vec_avx512_lane_mask(count), p);
}

static inline void vec_store_partial(float *p, vfloat v, size_t count)
{
    _mm512_mask_storeu_ps(p, vec_avx512_lane_mask(count), v);
}

static inline vfloat vec_set1(float x) { return _mm512_set1_ps(x); }
static inline vfloat vec_add(vfloat a, vfloat b) { return _mm512_add_ps(a, b); }
static inline vfloat vec_sub(vfloat a, vfloat b) { return _mm512_sub_ps(a, b); }
static inline vfloat vec_mul(vfloat a, vfloat b) { return _mm512_mul_ps(a, b); }
static inline vfloat vec_div(vfloat a, vfloat b) { return _mm512_div_ps(a, b); }
static inline vfloat vec_sqrt(vfloat a) { return _mm512_sqrt_ps(a); }
static inline vfloat vec_fma(vfloat a, vfloat b, vfloat c) { return _mm512_fmadd_ps(a, b, c); }
static inline vfloat vec_negate(vfloat v) { return _mm512_xor_ps(v, _mm512_set1_ps(-0.0f)); }

/* maxps returns its second operand when either is NaN or they are equal; the
 * masked move makes a NaN in a win too. */
static inline vfloat vec_max(vfloat a, vfloat b)
{
    __m512 larger = _mm512_max_ps(a, b);
    return _mm512_mask_mov_ps(larger, _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), a);
}

#endif /* LOSSOPT_VEC_AVX512_H */
