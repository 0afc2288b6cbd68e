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

#include <stdint.h>
#include <string.h>

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
static inline vfloat vec_fms(vfloat a, vfloat b, vfloat c) { return _mm512_fmsub_ps(a, b, c); }
static inline vfloat vec_fnma(vfloat a, vfloat b, vfloat c) { return _mm512_fnmadd_ps(a, b, c); }
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

/* The plain instruction: with a NaN lane the result is either operand's
 * (x86: the second; NEON: the NaN), so only for callers where it cannot
 * matter (vec_div_by_constant). */
static inline vfloat vec_min_nan_either(vfloat a, vfloat b) { return _mm512_min_ps(a, b); }

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

/* ---- 32-bit integer lanes and 16-bit storage (the engine step, 0.2) ----
 * Built only from operations Debian's SIMDe emulates (the emulated tests
 * must cover them): integer ops, vpmovzxwd/vpmovdw, and the 16-bit float
 * conversions as two 256-bit F16C halves (AVX-512's own vcvtph2ps zmm form
 * gives the same bits, but SIMDe lacks it). */
typedef __m512i vuint; /* VEC_WIDTH uint32 lanes  */
typedef __m256i vhalf; /* VEC_WIDTH uint16 values */

static inline vuint vec_u32_set1(uint32_t x) { return _mm512_set1_epi32((int)x); }
static inline vuint vec_u32_lane_index(void)
{
    return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}
static inline vuint vec_u32_add(vuint a, vuint b) { return _mm512_add_epi32(a, b); }
static inline vuint vec_u32_mul(vuint a, vuint b) { return _mm512_mullo_epi32(a, b); }
static inline vuint vec_u32_xor(vuint a, vuint b) { return _mm512_xor_si512(a, b); }
static inline vuint vec_u32_and(vuint a, vuint b) { return _mm512_and_si512(a, b); }
static inline vuint vec_u32_or(vuint a, vuint b) { return _mm512_or_si512(a, b); }
#define vec_u32_shr(a, bits) _mm512_srli_epi32((a), (bits))
#define vec_u32_shl(a, bits) _mm512_slli_epi32((a), (bits))
static inline vuint vec_as_u32(vfloat a) { return _mm512_castps_si512(a); }
static inline vfloat vec_from_u32(vuint a) { return _mm512_castsi512_ps(a); }
static inline vuint vec_u32_select(vmask m, vuint a, vuint b) { return _mm512_mask_blend_epi32(m, b, a); }

/* 16-bit loads and stores: whole vectors directly, partial ones through the
 * stack (no byte past p[count - 1] is touched; missing lanes read 0). */
static inline vhalf vec_half_load_n(const uint16_t *p, size_t count)
{
    if (count == VEC_WIDTH)
        return _mm256_loadu_si256((const __m256i *)p);
    uint16_t lanes[VEC_WIDTH] = {0};
    memcpy(lanes, p, count * sizeof(uint16_t));
    return _mm256_loadu_si256((const __m256i *)lanes);
}

static inline void vec_half_store_n(uint16_t *p, vhalf h, size_t count)
{
    if (count == VEC_WIDTH) {
        _mm256_storeu_si256((__m256i *)p, h);
        return;
    }
    uint16_t lanes[VEC_WIDTH];
    _mm256_storeu_si256((__m256i *)lanes, h);
    memcpy(p, lanes, count * sizeof(uint16_t));
}

/* Zero-extension and narrowing per 256-bit half (SIMDe lacks vpmovzxwd zmm
 * and vpmovdw): AVX2 vpmovzxwd; packus (lanes < 65536: nothing saturates)
 * and a permute joining its 128-bit halves. */
static inline vuint vec_half_widen(vhalf h)
{
    __m256i low = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(h));
    __m256i high = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(h, 1));
    return _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
}

static inline __m128i vec_avx512_narrow8(__m256i a)
{
    return _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packus_epi32(a, a), 0x08));
}

static inline vhalf vec_half_narrow(vuint a)
{
    __m128i low = vec_avx512_narrow8(_mm512_castsi512_si256(a));
    __m128i high = vec_avx512_narrow8(_mm512_extracti64x4_epi64(a, 1));
    return _mm256_inserti128_si256(_mm256_castsi128_si256(low), high, 1);
}

static inline vfloat vec_f16_widen(vhalf h)
{
    __m256 low = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
    __m256 high = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(low)),
                                               _mm256_castps_pd(high), 1));
}

static inline vhalf vec_f16_narrow(vfloat a)
{
    __m256 low = _mm512_castps512_ps256(a);
    __m256 high = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1));
    return _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm256_cvtps_ph(low, _MM_FROUND_TO_NEAREST_INT)),
        _mm256_cvtps_ph(high, _MM_FROUND_TO_NEAREST_INT), 1);
}

#endif /* LOSSOPT_VEC_AVX512_H */
