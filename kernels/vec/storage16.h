/* kernels/vec/storage16.h - 16-bit storage in the vector vocabulary, written
 * once for every vector ISA: bf16 widening and rounding (to nearest even and
 * stochastic) from integer lane operations, and the stochastic-rounding bits.
 * The f16 conversions are each ISA's own (vec_f16_widen/narrow: F16C, fcvtl/
 * fcvtn), which are IEEE. Semantics: include/lossopt.h ("16-bit storage",
 * "Stochastic rounding"); the oracle's literal twins are in
 * kernels/scalar/storage16_scalar.h. No AVX512_BF16 vcvtneps2bf16: it flushes
 * subnormals to zero, unlike PyTorch, and is outside lossopt's avx512 level. */
#ifndef LOSSOPT_VEC_STORAGE16_H
#define LOSSOPT_VEC_STORAGE16_H

#include "lossopt.h"
#include "stochastic_rounding.h"
#include "vec/vec.h"

/* bf16 -> f32: the 16 bits become the high half (exact). */
LOSSOPT_ALWAYS_INLINE vfloat vec_bf16_widen(vhalf h)
{
    return vec_from_u32(vec_u32_shl(vec_half_widen(h), 16));
}

/* Rounding to bf16 gives the stored value as an f32 bit pattern whose low
 * half is 0: the update continues with vec_from_u32 of it at once, and only
 * the store narrows it (no narrow-then-widen in the dependency chain). */

/* NaN keeps its sign and high payload bits, made quiet (bit 22 of the f32,
 * bit 6 of the bf16). */
LOSSOPT_ALWAYS_INLINE vuint vec_bf16_nan_bits(vuint bits)
{
    return vec_u32_and(vec_u32_or(bits, vec_u32_set1(0x00400000u)), vec_u32_set1(0xFFFF0000u));
}

/* Round to nearest even: add 0x7FFF plus the lowest kept bit and cut (a
 * carry into the exponent is the correct rounding up, to inf too). */
LOSSOPT_ALWAYS_INLINE vuint vec_bf16_round_nearest(vfloat x)
{
    vuint bits = vec_as_u32(x);
    vuint lowest_kept = vec_u32_and(vec_u32_shr(bits, 16), vec_u32_set1(1u));
    vuint rounded = vec_u32_and(vec_u32_add(bits, vec_u32_add(vec_u32_set1(0x7FFFu), lowest_kept)),
                                vec_u32_set1(0xFFFF0000u));
    return vec_u32_select(vec_isnan(x), vec_bf16_nan_bits(bits), rounded);
}

/* Stochastic: add 16 random bits below the cut and cut. */
LOSSOPT_ALWAYS_INLINE vuint vec_bf16_round_stochastic(vfloat x, vuint random16)
{
    vuint bits = vec_as_u32(x);
    vuint rounded = vec_u32_and(vec_u32_add(bits, random16), vec_u32_set1(0xFFFF0000u));
    return vec_u32_select(vec_isnan(x), vec_bf16_nan_bits(bits), rounded);
}

/* The 16-bit values of rounded patterns (low halves 0). */
LOSSOPT_ALWAYS_INLINE vhalf vec_bf16_narrow(vuint rounded)
{
    return vec_half_narrow(vec_u32_shr(rounded, 16));
}

/* MurmurHash3's fmix32 per lane (kernels/stochastic_rounding.h). */
LOSSOPT_ALWAYS_INLINE vuint vec_sr_fmix(vuint x)
{
    x = vec_u32_xor(x, vec_u32_shr(x, 16));
    x = vec_u32_mul(x, vec_u32_set1(LOSSOPT_SR_FMIX_1));
    x = vec_u32_xor(x, vec_u32_shr(x, 13));
    x = vec_u32_mul(x, vec_u32_set1(LOSSOPT_SR_FMIX_2));
    return vec_u32_xor(x, vec_u32_shr(x, 16));
}

/* The random bits of lossopt_sr_bits for the lanes' stream indices (low halves). */
LOSSOPT_ALWAYS_INLINE vuint vec_sr_bits(uint32_t key, vuint index_low)
{
    vuint mixed = vec_u32_add(vec_u32_mul(index_low, vec_u32_set1(LOSSOPT_SR_INDEX_FACTOR)),
                              vec_u32_set1(key));
    return vec_u32_shr(vec_sr_fmix(mixed), 16);
}

/* Loads count values of a buffer of dtype from element offset, widened to
 * f32 (exact). The dtype is a constant where the callers specialise. */
LOSSOPT_ALWAYS_INLINE vfloat vec_storage_load(lossopt_dtype dtype, const void *p, size_t offset,
                                              size_t count)
{
    if (dtype == LOSSOPT_F32)
        return vec_load_n((const float *)p + offset, count);
    vhalf h = vec_half_load_n((const uint16_t *)p + offset, count);
    return dtype == LOSSOPT_BF16 ? vec_bf16_widen(h) : vec_f16_widen(h);
}

/* Stores the first count lanes of v at element offset of a buffer of dtype,
 * rounded to nearest even. */
LOSSOPT_ALWAYS_INLINE void vec_storage_store_nearest(lossopt_dtype dtype, void *p, size_t offset,
                                                     vfloat v, size_t count)
{
    if (dtype == LOSSOPT_F32)
        vec_store_n((float *)p + offset, v, count);
    else if (dtype == LOSSOPT_F16)
        vec_half_store_n((uint16_t *)p + offset, vec_f16_narrow(v), count);
    else
        vec_half_store_n((uint16_t *)p + offset, vec_bf16_narrow(vec_bf16_round_nearest(v)), count);
}

#endif /* LOSSOPT_VEC_STORAGE16_H */
