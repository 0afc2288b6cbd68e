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
 *   vec_negate_if(v, sign)        v XOR sign, where sign is vec_set1(-0.0f) to
 *                                 negate or vec_set1(0.0f) to keep
 *   vec_max(a, b)                 NaN if a or b is NaN, else a > b ? a : b
 *                                 (so b on ties: max(-0, +0) = +0)
 * No approximations (rcp/rsqrt) and no contraction: the build passes
 * -ffp-contract=off and every fused multiply-add is an explicit vec_fma.
 */
#ifndef LOSSOPT_VEC_H
#define LOSSOPT_VEC_H

#include <stddef.h>

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
#error "compile kernels/*.c with one of LOSSOPT_TARGET_AVX2, _AVX512, _NEON"
#endif

/* adam_step_f32 -> adam_step_f32_<VEC_ISA_SUFFIX> */
#define KERNEL_NAME(name) LOSSOPT_CONCAT(name, VEC_ISA_SUFFIX)

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
