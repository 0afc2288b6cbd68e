/* kernels/vec/vec_avx512.h - the vector layer on AVX-512 F/BW/DQ/VL: 16 floats
 * in a zmm, tails through an __mmask16. Semantics of each op: vec.h.
 *
 * LOSSOPT_AVX512_EMULATED (tests only, never in the library) compiles the same
 * code against SIMDe's portable AVX-512, so that hosts without AVX-512 still
 * check this layer's logic bit for bit against the scalar oracle. */
#ifndef LOSSOPT_VEC_AVX512_H
#define LOSSOPT_VEC_AVX512_H

#if !defined(LOSSOPT_AVX512_EMULATED) &&                                          \
    !(defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) &&  \
      defined(__AVX512VL__))
#error "vec_avx512.h needs the avx512 flags (-mavx512f -mavx512bw -mavx512dq -mavx512vl)"
#endif

#ifdef LOSSOPT_AVX512_EMULATED
/* tests/CMakeLists.txt injects the SIMDe shim with -include: the library's
 * sources never name a test file */
#ifndef LOSSOPT_AVX512_EMULATION_H
#error "the emulated AVX-512 build needs -include tests/avx512_emulation.h"
#endif
#define VEC_ISA_SUFFIX avx512emu
#else
#include <immintrin.h>
#include <sleef.h>
#define VEC_ISA_SUFFIX avx512
#endif

#define VEC_WIDTH 16

typedef __m512 vfloat;
typedef __mmask16 vmask;

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

/* ---- comparisons (false where either operand is NaN) and selection ---- */
static inline vmask vec_gt(vfloat a, vfloat b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static inline vmask vec_lt(vfloat a, vfloat b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static inline vmask vec_ge(vfloat a, vfloat b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
static inline vmask vec_le(vfloat a, vfloat b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
static inline vmask vec_eq(vfloat a, vfloat b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
static inline vmask vec_isnan(vfloat a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
static inline vmask vec_mask_and(vmask a, vmask b) { return (vmask)(a & b); }
static inline int vec_mask_all(vmask m) { return m == (vmask)0xffff; }
static inline int vec_mask_any(vmask m) { return m != 0; }
static inline vfloat vec_select(vmask m, vfloat a, vfloat b) { return _mm512_mask_blend_ps(m, b, a); }

static inline vfloat vec_abs(vfloat a) { return _mm512_andnot_ps(_mm512_set1_ps(-0.0f), a); }

/* minps returns its second operand when either is NaN or they are equal. */
static inline vfloat vec_min(vfloat a, vfloat b)
{
    __m512 smaller = _mm512_min_ps(a, b);
    return _mm512_mask_mov_ps(smaller, _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), a);
}

/* Lanes at and after count become -0.0f (count <= VEC_WIDTH). */
static inline vfloat vec_keep_first(vfloat v, size_t count)
{
    __mmask16 keep = count >= 16 ? (__mmask16)0xffff : vec_avx512_lane_mask(count);
    return _mm512_mask_mov_ps(_mm512_set1_ps(-0.0f), keep, v);
}

/* ---- SLEEF, FMA family, 1.0-ulp: the same bits as the other ISAs' ---- */
static inline vfloat vec_exp(vfloat a) { return Sleef_expf16_u10avx512f(a); }
static inline vfloat vec_log(vfloat a) { return Sleef_logf16_u10avx512f(a); }
static inline vfloat vec_log1p(vfloat a) { return Sleef_log1pf16_u10avx512f(a); }

/* ---- the canonical fold of 16 virtual lanes (include/lossopt.h) -------- */
static inline float vec_fold16(const vfloat *lanes)
{
    __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(lanes[0]),
                              _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(lanes[0]), 1)));
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_add_ss(s2, _mm_movehdup_ps(s2));
    return _mm_cvtss_f32(s1);
}

#endif /* LOSSOPT_VEC_AVX512_H */
