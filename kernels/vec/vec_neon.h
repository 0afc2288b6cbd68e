/* kernels/vec/vec_neon.h - the vector layer on AArch64 Advanced SIMD: 4 floats
 * in a q register. Semantics of each op: kernels/vec/vec.h. */
#ifndef LOSSOPT_VEC_NEON_H
#define LOSSOPT_VEC_NEON_H

#include <arm_neon.h>
#include <string.h>

#define VEC_WIDTH 4
#define VEC_ISA_SUFFIX neon

typedef float32x4_t vfloat;

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

static inline vfloat vec_negate(vfloat v) { return vnegq_f32(v); }

/* vmaxq_f32 orders -0 < +0, unlike x86; a compare and select gives the x86
 * rule (b on ties) so every ISA returns the same zero. */
static inline vfloat vec_max(vfloat a, vfloat b)
{
    vfloat larger = vbslq_f32(vcgtq_f32(a, b), a, b);
    uint32x4_t a_is_nan = vmvnq_u32(vceqq_f32(a, a));
    return vbslq_f32(a_is_nan, a, larger);
}

#endif /* LOSSOPT_VEC_NEON_H */
