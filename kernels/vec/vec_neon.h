/* kernels/vec/vec_neon.h - the vector layer on AArch64 Advanced SIMD: 4 floats
 * in a q register. Semantics of each op: kernels/vec/vec.h. */
#ifndef LOSSOPT_VEC_NEON_H
#define LOSSOPT_VEC_NEON_H

#if !defined(__aarch64__) || !defined(__ARM_NEON)
#error "vec_neon.h is the AArch64 Advanced SIMD layer: compile it for AArch64"
#endif

#include <arm_neon.h>
#include <sleef.h>
#include <string.h>

#define VEC_WIDTH 4
#define VEC_ISA_SUFFIX neon

typedef float32x4_t vfloat;
typedef uint32x4_t vmask;

static inline vfloat vec_load(const float *p) { return vld1q_f32(p); }
static inline void vec_store(float *p, vfloat v) { vst1q_f32(p, v); }

/* NEON has no masked load: copy the live floats through the stack, so no byte
 * past p[count - 1] is read or written. */
static inline vfloat vec_load_partial(const float *p, size_t count)
{
    float lanes[VEC_WIDTH] = {-0.0f, -0.0f, -0.0f, -0.0f};
    memcpy(lanes, p, count * sizeof(float));
    return vld1q_f32(lanes);
}

static inline void vec_store_partial(float *p, vfloat v, size_t count)
{
    float lanes[VEC_WIDTH];
    vst1q_f32(lanes, v);
    memcpy(p, lanes, count * sizeof(float));
}

static inline vfloat vec_set1(float x) { return vdupq_n_f32(x); }
static inline vfloat vec_add(vfloat a, vfloat b) { return vaddq_f32(a, b); }
static inline vfloat vec_sub(vfloat a, vfloat b) { return vsubq_f32(a, b); }
static inline vfloat vec_mul(vfloat a, vfloat b) { return vmulq_f32(a, b); }
static inline vfloat vec_div(vfloat a, vfloat b) { return vdivq_f32(a, b); }
static inline vfloat vec_sqrt(vfloat a) { return vsqrtq_f32(a); }
/* vfmaq_f32(c, a, b) = c + a*b, one rounding. */
static inline vfloat vec_fma(vfloat a, vfloat b, vfloat c) { return vfmaq_f32(c, a, b); }
/* fma(a, b, -c): negating c first is exact, so these are IEEE's fused forms */
static inline vfloat vec_fms(vfloat a, vfloat b, vfloat c) { return vfmaq_f32(vnegq_f32(c), a, b); }
static inline vfloat vec_fnma(vfloat a, vfloat b, vfloat c) { return vfmsq_f32(c, a, b); }

static inline vfloat vec_negate(vfloat v) { return vnegq_f32(v); }

/* vmaxq_f32 orders -0 < +0, unlike x86; a compare and select gives the x86
 * rule (b on ties) so every ISA returns the same zero. */
static inline vfloat vec_max(vfloat a, vfloat b)
{
    vfloat larger = vbslq_f32(vcgtq_f32(a, b), a, b);
    uint32x4_t a_is_nan = vmvnq_u32(vceqq_f32(a, a));
    return vbslq_f32(a_is_nan, a, larger);
}

/* ---- comparisons (false where either operand is NaN) and selection ---- */
static inline vmask vec_gt(vfloat a, vfloat b) { return vcgtq_f32(a, b); }
static inline vmask vec_lt(vfloat a, vfloat b) { return vcltq_f32(a, b); }
static inline vmask vec_ge(vfloat a, vfloat b) { return vcgeq_f32(a, b); }
static inline vmask vec_le(vfloat a, vfloat b) { return vcleq_f32(a, b); }
static inline vmask vec_eq(vfloat a, vfloat b) { return vceqq_f32(a, b); }
static inline vmask vec_isnan(vfloat a) { return vmvnq_u32(vceqq_f32(a, a)); }
static inline vmask vec_mask_and(vmask a, vmask b) { return vandq_u32(a, b); }
static inline int vec_mask_all(vmask m) { return vminvq_u32(m) == 0xffffffffu; }
static inline int vec_mask_any(vmask m) { return vmaxvq_u32(m) != 0; }
static inline vfloat vec_select(vmask m, vfloat a, vfloat b) { return vbslq_f32(m, a, b); }

static inline vfloat vec_abs(vfloat a) { return vabsq_f32(a); }

/* The plain instruction: with a NaN lane the result is either operand's
 * (x86: the second; NEON: the NaN), so only for callers where it cannot
 * matter (vec_div_by_constant). */
static inline vfloat vec_min_nan_either(vfloat a, vfloat b) { return vminq_f32(a, b); }

/* vminq_f32 orders -0 < +0, unlike x86: compare and select (b on ties). */
static inline vfloat vec_min(vfloat a, vfloat b)
{
    vfloat smaller = vbslq_f32(vcltq_f32(a, b), a, b);
    return vbslq_f32(vec_isnan(a), a, smaller);
}

/* Lanes at and after count become -0.0f (count <= VEC_WIDTH). */
static inline vfloat vec_keep_first(vfloat v, size_t count)
{
    static const uint32_t lane_index[4] = {0, 1, 2, 3};
    vmask keep = vcltq_u32(vld1q_u32(lane_index), vdupq_n_u32((uint32_t)count));
    return vbslq_f32(keep, v, vdupq_n_f32(-0.0f));
}

/* ---- SLEEF, FMA family, 1.0-ulp: the same bits as the other ISAs' ---- */
static inline vfloat vec_exp(vfloat a) { return Sleef_expf4_u10advsimd(a); }
static inline vfloat vec_log(vfloat a) { return Sleef_logf4_u10advsimd(a); }
static inline vfloat vec_log1p(vfloat a) { return Sleef_log1pf4_u10advsimd(a); }

/* ---- the canonical fold of 16 virtual lanes (include/lossopt.h) -------- */
/* lanes[q] holds lanes 4q..4q+3. */
static inline float vec_fold16(const vfloat *lanes)
{
    vfloat s8_low = vaddq_f32(lanes[0], lanes[2]);  /* j += j+8, j = 0..3 */
    vfloat s8_high = vaddq_f32(lanes[1], lanes[3]); /* j += j+8, j = 4..7 */
    vfloat s4 = vaddq_f32(s8_low, s8_high);         /* j += j+4 */
    float32x2_t s2 = vadd_f32(vget_low_f32(s4), vget_high_f32(s4)); /* j += j+2 */
    return vget_lane_f32(s2, 0) + vget_lane_f32(s2, 1);             /* j += j+1 */
}

/* ---- 32-bit integer lanes and 16-bit storage (the engine step, 0.2) ---- */
typedef uint32x4_t vuint; /* VEC_WIDTH uint32 lanes  */
typedef uint16x4_t vhalf; /* VEC_WIDTH uint16 values */

static inline vuint vec_u32_set1(uint32_t x) { return vdupq_n_u32(x); }
static inline vuint vec_u32_lane_index(void)
{
    static const uint32_t lane_index[4] = {0, 1, 2, 3};
    return vld1q_u32(lane_index);
}
static inline vuint vec_u32_add(vuint a, vuint b) { return vaddq_u32(a, b); }
static inline vuint vec_u32_mul(vuint a, vuint b) { return vmulq_u32(a, b); }
static inline vuint vec_u32_xor(vuint a, vuint b) { return veorq_u32(a, b); }
static inline vuint vec_u32_and(vuint a, vuint b) { return vandq_u32(a, b); }
static inline vuint vec_u32_or(vuint a, vuint b) { return vorrq_u32(a, b); }
#define vec_u32_shr(a, bits) vshrq_n_u32((a), (bits))
#define vec_u32_shl(a, bits) vshlq_n_u32((a), (bits))
static inline vuint vec_as_u32(vfloat a) { return vreinterpretq_u32_f32(a); }
static inline vfloat vec_from_u32(vuint a) { return vreinterpretq_f32_u32(a); }
static inline vuint vec_u32_select(vmask m, vuint a, vuint b) { return vbslq_u32(m, a, b); }

/* 16-bit loads and stores: whole vectors directly, partial ones through the
 * stack (no byte past p[count - 1] is touched; missing lanes read 0). */
static inline vhalf vec_half_load_n(const uint16_t *p, size_t count)
{
    if (count == VEC_WIDTH)
        return vld1_u16(p);
    uint16_t lanes[VEC_WIDTH] = {0};
    memcpy(lanes, p, count * sizeof(uint16_t));
    return vld1_u16(lanes);
}

static inline void vec_half_store_n(uint16_t *p, vhalf h, size_t count)
{
    if (count == VEC_WIDTH) {
        vst1_u16(p, h);
        return;
    }
    uint16_t lanes[VEC_WIDTH];
    vst1_u16(lanes, h);
    memcpy(p, lanes, count * sizeof(uint16_t));
}

static inline vuint vec_half_widen(vhalf h) { return vmovl_u16(h); }
static inline vhalf vec_half_narrow(vuint a) { return vmovn_u32(a); }

/* fcvtl/fcvtn: IEEE binary16, round to nearest even (FPCR default), subnormals
 * kept (FZ16 off), NaN quieted with its top payload bits, as x86 F16C. */
static inline vfloat vec_f16_widen(vhalf h) { return vcvt_f32_f16(vreinterpret_f16_u16(h)); }
static inline vhalf vec_f16_narrow(vfloat a) { return vreinterpret_u16_f16(vcvt_f16_f32(a)); }

#endif /* LOSSOPT_VEC_NEON_H */
