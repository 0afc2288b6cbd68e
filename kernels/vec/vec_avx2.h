/* kernels/vec/vec_avx2.h - the vector layer on AVX2 + FMA: 8 floats in a ymm.
 * Semantics of each op: kernels/vec/vec.h. */
#ifndef LOSSOPT_VEC_AVX2_H
#define LOSSOPT_VEC_AVX2_H

#if !defined(__AVX2__) || !defined(__FMA__) || !defined(__F16C__)
#error "vec_avx2.h needs the avx2 flags (-mavx2 -mfma -mf16c): kernels are compiled per ISA by CMakeLists.txt"
#endif

#include <immintrin.h>
#include <sleef.h>
#include <stdint.h>
#include <string.h>

#define VEC_WIDTH 8
#define VEC_ISA_SUFFIX avx2

typedef __m256 vfloat;
typedef __m256 vmask; /* all-ones lanes where true */

static inline vfloat vec_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void vec_store(float *p, vfloat v) { _mm256_storeu_ps(p, v); }

/* Lane i is active when i < count: a compare against 0..7. */
static inline __m256i vec_avx2_lane_mask(size_t count)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* vmaskmovps never touches memory of inactive lanes (no fault past the end).
 * It zeroes them; OR-ing in the sign bit there makes them -0.0f. */
static inline vfloat vec_load_partial(const float *p, size_t count)
{
    __m256i active = vec_avx2_lane_mask(count);
    __m256 loaded = _mm256_maskload_ps(p, active);
    __m256 inactive_sign = _mm256_andnot_ps(_mm256_castsi256_ps(active), _mm256_set1_ps(-0.0f));
    return _mm256_or_ps(loaded, inactive_sign);
}

static inline void vec_store_partial(float *p, vfloat v, size_t count)
{
    _mm256_maskstore_ps(p, vec_avx2_lane_mask(count), v);
}

static inline vfloat vec_set1(float x) { return _mm256_set1_ps(x); }
static inline vfloat vec_add(vfloat a, vfloat b) { return _mm256_add_ps(a, b); }
static inline vfloat vec_sub(vfloat a, vfloat b) { return _mm256_sub_ps(a, b); }
static inline vfloat vec_mul(vfloat a, vfloat b) { return _mm256_mul_ps(a, b); }
static inline vfloat vec_div(vfloat a, vfloat b) { return _mm256_div_ps(a, b); }
static inline vfloat vec_sqrt(vfloat a) { return _mm256_sqrt_ps(a); }
static inline vfloat vec_fma(vfloat a, vfloat b, vfloat c) { return _mm256_fmadd_ps(a, b, c); }
static inline vfloat vec_fms(vfloat a, vfloat b, vfloat c) { return _mm256_fmsub_ps(a, b, c); }
static inline vfloat vec_fnma(vfloat a, vfloat b, vfloat c) { return _mm256_fnmadd_ps(a, b, c); }
static inline vfloat vec_negate(vfloat v) { return _mm256_xor_ps(v, _mm256_set1_ps(-0.0f)); }

/* maxps returns its second operand when either is NaN or they are equal; the
 * blend makes a NaN in a win too. */
static inline vfloat vec_max(vfloat a, vfloat b)
{
    __m256 larger = _mm256_max_ps(a, b);
    return _mm256_blendv_ps(larger, a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}

/* ---- comparisons (false where either operand is NaN) and selection ---- */
static inline vmask vec_gt(vfloat a, vfloat b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline vmask vec_lt(vfloat a, vfloat b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline vmask vec_ge(vfloat a, vfloat b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
static inline vmask vec_le(vfloat a, vfloat b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
static inline vmask vec_eq(vfloat a, vfloat b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
static inline vmask vec_isnan(vfloat a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
static inline vmask vec_mask_and(vmask a, vmask b) { return _mm256_and_ps(a, b); }
static inline int vec_mask_all(vmask m) { return _mm256_movemask_ps(m) == 0xff; }
static inline int vec_mask_any(vmask m) { return _mm256_movemask_ps(m) != 0; }
static inline vfloat vec_select(vmask m, vfloat a, vfloat b) { return _mm256_blendv_ps(b, a, m); }

static inline vfloat vec_abs(vfloat a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }

/* The plain instruction: with a NaN lane the result is either operand's
 * (x86: the second; NEON: the NaN), so only for callers where it cannot
 * matter (vec_div_by_constant). */
static inline vfloat vec_min_nan_either(vfloat a, vfloat b) { return _mm256_min_ps(a, b); }

/* minps returns its second operand when either is NaN or they are equal. */
static inline vfloat vec_min(vfloat a, vfloat b)
{
    return _mm256_blendv_ps(_mm256_min_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}

/* Lanes at and after count become -0.0f (count <= VEC_WIDTH). */
static inline vfloat vec_keep_first(vfloat v, size_t count)
{
    return _mm256_blendv_ps(_mm256_set1_ps(-0.0f), v, _mm256_castsi256_ps(vec_avx2_lane_mask(count)));
}

/* ---- SLEEF, FMA family, 1.0-ulp: the same bits as the other ISAs' ---- */
static inline vfloat vec_exp(vfloat a) { return Sleef_expf8_u10avx2(a); }
static inline vfloat vec_log(vfloat a) { return Sleef_logf8_u10avx2(a); }
static inline vfloat vec_log1p(vfloat a) { return Sleef_log1pf8_u10avx2(a); }

/* ---- the canonical fold of 16 virtual lanes (include/lossopt.h) -------- */
/* lanes[0] holds lanes 0-7, lanes[1] lanes 8-15. */
static inline float vec_fold16(const vfloat *lanes)
{
    __m256 s8 = _mm256_add_ps(lanes[0], lanes[1]);                       /* j += j+8 */
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1)); /* j += j+4 */
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));                    /* j += j+2 */
    __m128 s1 = _mm_add_ss(s2, _mm_movehdup_ps(s2));                      /* j += j+1 */
    return _mm_cvtss_f32(s1);
}

/* ---- 32-bit integer lanes and 16-bit storage (the engine step, 0.2) ---- */
typedef __m256i vuint; /* VEC_WIDTH uint32 lanes  */
typedef __m128i vhalf; /* VEC_WIDTH uint16 values */

static inline vuint vec_u32_set1(uint32_t x) { return _mm256_set1_epi32((int)x); }
static inline vuint vec_u32_lane_index(void) { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
static inline vuint vec_u32_add(vuint a, vuint b) { return _mm256_add_epi32(a, b); }
static inline vuint vec_u32_mul(vuint a, vuint b) { return _mm256_mullo_epi32(a, b); }
static inline vuint vec_u32_xor(vuint a, vuint b) { return _mm256_xor_si256(a, b); }
static inline vuint vec_u32_and(vuint a, vuint b) { return _mm256_and_si256(a, b); }
static inline vuint vec_u32_or(vuint a, vuint b) { return _mm256_or_si256(a, b); }
#define vec_u32_shr(a, bits) _mm256_srli_epi32((a), (bits))
#define vec_u32_shl(a, bits) _mm256_slli_epi32((a), (bits))
static inline vuint vec_as_u32(vfloat a) { return _mm256_castps_si256(a); }
static inline vfloat vec_from_u32(vuint a) { return _mm256_castsi256_ps(a); }
static inline vuint vec_u32_select(vmask m, vuint a, vuint b)
{
    return _mm256_blendv_epi8(b, a, _mm256_castps_si256(m));
}

/* 16-bit loads and stores: whole vectors directly, partial ones through the
 * stack (no byte past p[count - 1] is touched; missing lanes read 0). */
static inline vhalf vec_half_load_n(const uint16_t *p, size_t count)
{
    if (count == VEC_WIDTH)
        return _mm_loadu_si128((const __m128i *)p);
    uint16_t lanes[VEC_WIDTH] = {0};
    memcpy(lanes, p, count * sizeof(uint16_t));
    return _mm_loadu_si128((const __m128i *)lanes);
}

static inline void vec_half_store_n(uint16_t *p, vhalf h, size_t count)
{
    if (count == VEC_WIDTH) {
        _mm_storeu_si128((__m128i *)p, h);
        return;
    }
    uint16_t lanes[VEC_WIDTH];
    _mm_storeu_si128((__m128i *)lanes, h);
    memcpy(p, lanes, count * sizeof(uint16_t));
}

static inline vuint vec_half_widen(vhalf h) { return _mm256_cvtepu16_epi32(h); }

/* The low 16 bits of each lane (every lane < 65536: packus saturates
 * nothing); packus works per 128-bit half, the permute joins the halves. */
static inline vhalf vec_half_narrow(vuint a)
{
    __m256i packed = _mm256_packus_epi32(a, a);
    return _mm256_castsi256_si128(_mm256_permute4x64_epi64(packed, 0x08));
}

/* F16C: IEEE binary16, round to nearest even, subnormals kept, NaN quieted
 * with its top payload bits (kernels/scalar/storage16_scalar.h spells it out). */
static inline vfloat vec_f16_widen(vhalf h) { return _mm256_cvtph_ps(h); }
static inline vhalf vec_f16_narrow(vfloat a) { return _mm256_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT); }

#endif /* LOSSOPT_VEC_AVX2_H */
