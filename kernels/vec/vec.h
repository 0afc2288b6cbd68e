/* kernels/vec/vec.h - picks the vector layer for the ISA this translation unit
 * is compiled for, and names the kernels after it.
 *
 * Every kernels/ source file is compiled once per ISA with -DLOSSOPT_TARGET_<ISA>
 * and that ISA's flags. It includes this header, writes its kernels once
 * against the vec_* vocabulary below, and names them with KERNEL_NAME(), so
 * adam_step_f32 becomes adam_step_f32_avx2, adam_step_f32_avx512, ...
 *
 * The vocabulary (each vec_<isa>.h defines all of it, with these semantics):
 *   vfloat                        a vector of VEC_WIDTH floats
 *   vec_load(p) / vec_store(p, v) VEC_WIDTH floats, any alignment
 *   vec_load_partial(p, count)    the first count (< VEC_WIDTH) floats; the
 *                                 other lanes are -0.0f and their memory is
 *                                 never touched (masked load or stack copy)
 *   vec_store_partial(p, v, count) writes only the first count floats
 *   vec_set1(x)                   x in every lane
 *   vec_add vec_sub vec_mul vec_div vec_sqrt   IEEE, correctly rounded
 *   vec_fma(a, b, c)              a*b + c with one rounding
 *   vec_fms(a, b, c)              fma(a, b, -c): a*b - c with one rounding
 *   vec_fnma(a, b, c)             fma(-a, b, c): c - a*b with one rounding
 *   vec_negate(v)                 -v (flips the sign bit, NaN included)
 *   vec_max(a, b)                 NaN if a or b is NaN, else a > b ? a : b
 *                                 (so b on ties: max(-0, +0) = +0)
 *   vec_min(a, b)                 NaN if a or b is NaN, else a < b ? a : b
 *   vec_min_nan_either(a, b)      the same where neither is NaN; with a NaN,
 *                                 either operand (differs across ISAs)
 *   vec_abs(v)                    |v| (clears the sign bit)
 *   vmask, vec_gt/lt/ge/le/eq(a, b), vec_isnan(a)
 *                                 lane masks; comparisons are false where
 *                                 either operand is NaN
 *   vec_mask_and(m, k), vec_mask_all(m), vec_mask_any(m)
 *   vec_select(m, a, b)           m ? a : b per lane
 *   vec_keep_first(v, count)      lanes at and after count become -0.0f
 *   vec_exp/vec_log/vec_log1p(v)  SLEEF's FMA-family u10 functions, which
 *                                 return the same bits on every ISA
 *   vec_fold16(lanes)             the canonical fold of 16 virtual lanes held
 *                                 in VEC_PER_16 vectors (include/lossopt.h)
 * No approximations (rcp/rsqrt) and no contraction: the build passes
 * -ffp-contract=off and every fused multiply-add is an explicit vec_fma.
 */
#ifndef LOSSOPT_VEC_H
#define LOSSOPT_VEC_H

#include <float.h>
#include <stddef.h>

#include "canonical_order.h"

#if defined(__GNUC__)
#define LOSSOPT_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define LOSSOPT_ALWAYS_INLINE static inline
#endif

#define LOSSOPT_CONCAT_(a, b) a##_##b
#define LOSSOPT_CONCAT(a, b) LOSSOPT_CONCAT_(a, b)

#if defined(LOSSOPT_TARGET_AVX512)
#include "vec_avx512.h"
#elif defined(LOSSOPT_TARGET_AVX2)
#include "vec_avx2.h"
#elif defined(LOSSOPT_TARGET_NEON)
#include "vec_neon.h"
#else
#error "compile kernels/<family>.c with one of LOSSOPT_TARGET_AVX2, _AVX512, _NEON"
#endif

/* Scalar exp/log/log1p for per-row scalars: SLEEF's 1-wide FMA-family u10
 * functions, which give the bits of vec_exp/vec_log/vec_log1p lane by lane
 * (every vector ISA here has FMA; the scalar oracle picks its family in
 * kernels/scalar/scalar_math.h). sleef.h declares them when the target has
 * FMA (AVX2 or AArch64), which every vector ISA's flags give. */
#ifndef FP_FAST_FMA
#error "kernels/vec: sleef.h saw no FMA target (FP_FAST_FMA): check the ISA flags"
#endif
LOSSOPT_ALWAYS_INLINE float vec_scalar_exp(float x) { return Sleef_expf1_u10purecfma(x); }
LOSSOPT_ALWAYS_INLINE float vec_scalar_log(float x) { return Sleef_logf1_u10purecfma(x); }
LOSSOPT_ALWAYS_INLINE float vec_scalar_log1p(float x) { return Sleef_log1pf1_u10purecfma(x); }

/* Vectors that hold the LOSSOPT_SUM_LANES (16) virtual lanes of the
 * canonical summation (kernels/vec/canonical_sum.h). */
#define VEC_PER_16 (LOSSOPT_SUM_LANES / VEC_WIDTH)

/* adam_step_f32 -> adam_step_f32_<VEC_ISA_SUFFIX>: adam_step_f32_avx2,
 * adam_step_f32_avx512, adam_step_f32_neon (grep for those finds the
 * declaration list in kernels/kernel_table.h and the KERNEL_NAME(...)
 * definitions in kernels/<family>.c). */
#define KERNEL_NAME(name) LOSSOPT_CONCAT(name, VEC_ISA_SUFFIX)

/* Every kernel of the list, declared for this ISA through its function type:
 * each kernels/<family>.c source sees the prototype of what it defines. */
#include "kernel_table.h"
#define LOSSOPT_DECLARE_VECTOR_KERNEL(name, type, avx512_width) type KERNEL_NAME(name);
LOSSOPT_KERNEL_LIST(LOSSOPT_DECLARE_VECTOR_KERNEL)
#undef LOSSOPT_DECLARE_VECTOR_KERNEL

/* Calls BLOCK(offset, count) for consecutive blocks covering [0, n): full
 * vectors (count == VEC_WIDTH, two per iteration so two independent update
 * chains are in flight), then at most one partial block (count < VEC_WIDTH).
 * BLOCK should be an always-inline function, so that count == VEC_WIDTH folds
 * its partial-load branches away in the main loop. */
#define VEC_FOR_EACH_BLOCK(n, BLOCK)                                           \
    do {                                                                       \
        size_t vec_offset_ = 0;                                                \
        for (; vec_offset_ + 2 * VEC_WIDTH <= (n); vec_offset_ += 2 * VEC_WIDTH) { \
            BLOCK(vec_offset_, VEC_WIDTH);                                     \
            BLOCK(vec_offset_ + VEC_WIDTH, VEC_WIDTH);                         \
        }                                                                      \
        if (vec_offset_ + VEC_WIDTH <= (n)) {                                  \
            BLOCK(vec_offset_, VEC_WIDTH);                                     \
            vec_offset_ += VEC_WIDTH;                                          \
        }                                                                      \
        if (vec_offset_ < (n)) BLOCK(vec_offset_, (n) - vec_offset_);          \
    } while (0)

/* How many option combinations each specialiser below covers: a kernel
 * asserts that its option bits fit (_Static_assert next to its enum). */
#define VEC_SPECIALIZE_OPTIONS_COUNT 32
#define VEC_SPECIALIZE_CALL_COUNT 16

/* Calls CALL(k) where k is a compile-time constant equal to options (0..31).
 * A kernel passes its option bits here and its always-inline loop receives
 * them as a constant, so every combination compiles to its own branch-free
 * loop (unused paths vanish) instead of testing options per vector. */
#define VEC_SPECIALIZE_OPTIONS(options, CALL) VEC_SPECIALIZE_OPTIONS_BELOW(options, 32u, CALL)

/* The same for kernels with fewer option bits: only the combinations below
 * count (a constant power of two <= 32) are compiled; options < count. */
#define VEC_SPECIALIZE_OPTIONS_BELOW(options, count, CALL)                    \
    switch ((options) & 31u) {                                                 \
    case 0: if (0u < (count)) CALL(0); break;                                \
    case 1: if (1u < (count)) CALL(1); break;                                \
    case 2: if (2u < (count)) CALL(2); break;                                \
    case 3: if (3u < (count)) CALL(3); break;                                \
    case 4: if (4u < (count)) CALL(4); break;                                \
    case 5: if (5u < (count)) CALL(5); break;                                \
    case 6: if (6u < (count)) CALL(6); break;                                \
    case 7: if (7u < (count)) CALL(7); break;                                \
    case 8: if (8u < (count)) CALL(8); break;                                \
    case 9: if (9u < (count)) CALL(9); break;                                \
    case 10: if (10u < (count)) CALL(10); break;                             \
    case 11: if (11u < (count)) CALL(11); break;                             \
    case 12: if (12u < (count)) CALL(12); break;                             \
    case 13: if (13u < (count)) CALL(13); break;                             \
    case 14: if (14u < (count)) CALL(14); break;                             \
    case 15: if (15u < (count)) CALL(15); break;                             \
    case 16: if (16u < (count)) CALL(16); break;                             \
    case 17: if (17u < (count)) CALL(17); break;                             \
    case 18: if (18u < (count)) CALL(18); break;                             \
    case 19: if (19u < (count)) CALL(19); break;                             \
    case 20: if (20u < (count)) CALL(20); break;                             \
    case 21: if (21u < (count)) CALL(21); break;                             \
    case 22: if (22u < (count)) CALL(22); break;                             \
    case 23: if (23u < (count)) CALL(23); break;                             \
    case 24: if (24u < (count)) CALL(24); break;                             \
    case 25: if (25u < (count)) CALL(25); break;                             \
    case 26: if (26u < (count)) CALL(26); break;                             \
    case 27: if (27u < (count)) CALL(27); break;                             \
    case 28: if (28u < (count)) CALL(28); break;                             \
    case 29: if (29u < (count)) CALL(29); break;                             \
    case 30: if (30u < (count)) CALL(30); break;                             \
    case 31: if (31u < (count)) CALL(31); break;                             \
    }

/* The same for 16 combinations, as an expression call with a result:
 * result = function(args..., k) with k the compile-time value of options. */
#define VEC_SPECIALIZE_CALL(options, result, function, ...)                    \
    switch ((options) & 15u) {                                                 \
    case 0: result = function(__VA_ARGS__, 0u); break;                        \
    case 1: result = function(__VA_ARGS__, 1u); break;                        \
    case 2: result = function(__VA_ARGS__, 2u); break;                        \
    case 3: result = function(__VA_ARGS__, 3u); break;                        \
    case 4: result = function(__VA_ARGS__, 4u); break;                        \
    case 5: result = function(__VA_ARGS__, 5u); break;                        \
    case 6: result = function(__VA_ARGS__, 6u); break;                        \
    case 7: result = function(__VA_ARGS__, 7u); break;                        \
    case 8: result = function(__VA_ARGS__, 8u); break;                        \
    case 9: result = function(__VA_ARGS__, 9u); break;                        \
    case 10: result = function(__VA_ARGS__, 10u); break;                      \
    case 11: result = function(__VA_ARGS__, 11u); break;                      \
    case 12: result = function(__VA_ARGS__, 12u); break;                      \
    case 13: result = function(__VA_ARGS__, 13u); break;                      \
    case 14: result = function(__VA_ARGS__, 14u); break;                      \
    case 15: result = function(__VA_ARGS__, 15u); break;                      \
    }

/* PyTorch's two-branch lerp(a, b, w) (kernel_table.h, lossopt_lerp_coefficients):
 * fma(coefficient, b - a, from_end ? b : a). from_end is a per-call constant
 * (an option bit), so the choice folds away in the specialised loops. */
LOSSOPT_ALWAYS_INLINE vfloat vec_lerp(vfloat a, vfloat b, vfloat coefficient, int from_end)
{
    return vec_fma(coefficient, vec_sub(b, a), from_end ? b : a);
}

/* a / b for a per-call constant b > 0 and a square root a (+-0, positive,
 * +inf or NaN), as IEEE division rounds it, without a division:
 * reciprocal = RN(1 / b) (computed once per call); the product
 * q0 = a * reciprocal is within an ulp of a / b, the excess q0 b - a is
 * exact in one fma, and q0 - excess * reciprocal rounds to RN(a / b)
 * (Markstein's theorem; checked here for 5e10 quotients: 2000 divisors x
 * every mantissa of three binades). Conditions: a / b and a * reciprocal
 * stay normal, i.e. no underflow or overflow, which the callers' ranges
 * guarantee (a = sqrt(v) >= 3.7e-23, b = sqrt(1 - beta2^t) in [2^-27, 1]).
 * The special values need no select (two fewer operations and a blend,
 * 10 % of Adam's time in cache): a = +-0 gives excess +0 and
 * q0 - (+0) = q0 = +-0, its sign kept; an exact q0 gives excess 0 and q0;
 * a = +inf meets q0 clamped to FLT_MAX, so the excess is -inf (not
 * inf - inf) and q0 - excess * reciprocal = +inf; NaN stays NaN (its
 * payload may differ, as everywhere). The scalar oracle divides: the
 * bitwise tests hold the two to the same bits. */
LOSSOPT_ALWAYS_INLINE vfloat vec_div_by_constant(vfloat a, vfloat b, vfloat reciprocal)
{
    vfloat q0 = vec_mul(a, reciprocal);
    vfloat excess = vec_fms(vec_min_nan_either(q0, vec_set1(FLT_MAX)), b, a);
    return vec_fnma(excess, reciprocal, q0);
}

/* A load or store of count floats, full or partial. */
LOSSOPT_ALWAYS_INLINE vfloat vec_load_n(const float *p, size_t count)
{
    return count == VEC_WIDTH ? vec_load(p) : vec_load_partial(p, count);
}

LOSSOPT_ALWAYS_INLINE void vec_store_n(float *p, vfloat v, size_t count)
{
    if (count == VEC_WIDTH)
        vec_store(p, v);
    else
        vec_store_partial(p, v, count);
}

#endif /* LOSSOPT_VEC_H */
