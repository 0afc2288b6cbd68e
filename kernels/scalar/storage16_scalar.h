/* kernels/scalar/storage16_scalar.h - the oracle's 16-bit conversions,
 * written out literally from the bit patterns (include/lossopt.h, "16-bit
 * storage"): bf16 and IEEE binary16 (f16), round to nearest even or, for
 * bf16, stochastically. The vector layer's twins are kernels/vec/storage16.h
 * (bf16) and each ISA's F16C / fcvtl-fcvtn conversions (f16), which these
 * match bit for bit, NaN payloads included. */
#ifndef LOSSOPT_STORAGE16_SCALAR_H
#define LOSSOPT_STORAGE16_SCALAR_H

#include <stdint.h>
#include <string.h>

static inline uint32_t lossopt_f32_bits(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline float lossopt_f32_from_bits(uint32_t b)
{
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

static inline int lossopt_bits_are_nan(uint32_t b) { return (b & 0x7FFFFFFFu) > 0x7F800000u; }

/* ---- bf16: the high half of an f32 ---------------------------------------- */

static inline float lossopt_bf16_to_f32(uint16_t h) { return lossopt_f32_from_bits((uint32_t)h << 16); }

/* NaN: the high half, made quiet (bit 6), sign and top payload kept. */
static inline uint16_t lossopt_bf16_nan(uint32_t b) { return (uint16_t)((b >> 16) | 0x0040u); }

/* Round to nearest even: add 0x7FFF plus the lowest kept bit, cut. */
static inline uint16_t lossopt_f32_to_bf16_nearest(float x)
{
    uint32_t b = lossopt_f32_bits(x);
    if (lossopt_bits_are_nan(b))
        return lossopt_bf16_nan(b);
    return (uint16_t)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

/* Stochastic: add 16 random bits (random16 < 65536) below the cut, cut. */
static inline uint16_t lossopt_f32_to_bf16_stochastic(float x, uint32_t random16)
{
    uint32_t b = lossopt_f32_bits(x);
    if (lossopt_bits_are_nan(b))
        return lossopt_bf16_nan(b);
    return (uint16_t)((b + random16) >> 16);
}

/* ---- f16: IEEE binary16 (1 sign, 5 exponent bits biased 15, 10 fraction) -- */

static inline float lossopt_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1Fu;
    uint32_t fraction = h & 0x3FFu;
    if (exponent == 0x1F) /* inf; NaN made quiet (bit 22), payload kept */
        return lossopt_f32_from_bits(sign | 0x7F800000u | (fraction ? 0x00400000u | (fraction << 13) : 0u));
    if (exponent == 0) { /* zero or subnormal: fraction * 2^-24, exact in f32 */
        float magnitude = (float)fraction * 0x1p-24f;
        return lossopt_f32_from_bits(sign | lossopt_f32_bits(magnitude));
    }
    return lossopt_f32_from_bits(sign | ((exponent + 112u) << 23) | (fraction << 13));
}

/* Round to nearest even. magnitude >= 65520 (half-way above the largest
 * f16, 65504) becomes inf; below 2^-14 the result is subnormal. */
static inline uint16_t lossopt_f32_to_f16(float x)
{
    uint32_t b = lossopt_f32_bits(x);
    uint16_t sign = (uint16_t)((b >> 16) & 0x8000u);
    uint32_t a = b & 0x7FFFFFFFu;
    if (a > 0x7F800000u) /* NaN: quiet (bit 9), top 10 payload bits */
        return (uint16_t)(sign | 0x7E00u | ((a >> 13) & 0x3FFu));
    if (a >= 0x477FF000u) /* 65520 and up, inf included */
        return (uint16_t)(sign | 0x7C00u);
    if (a >= 0x38800000u) { /* normal: rebias, round the 13 dropped bits */
        uint32_t h = (a >> 13) - (112u << 10);
        uint32_t dropped = a & 0x1FFFu;
        if (dropped > 0x1000u || (dropped == 0x1000u && (h & 1u)))
            h++; /* a carry into the exponent is the correct result */
        return (uint16_t)(sign | h);
    }
    if (a < 0x33000000u) /* below 2^-25 (half the smallest subnormal): 0 */
        return sign;
    /* subnormal: the significand (with its hidden bit) in units of 2^-24 */
    uint32_t exponent = a >> 23;               /* 102 .. 112 */
    uint32_t significand = (a & 0x7FFFFFu) | 0x800000u;
    uint32_t shift = 126u - exponent;          /* 14 .. 24 */
    uint32_t h = significand >> shift;
    uint32_t dropped = significand & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1u);
    if (dropped > half || (dropped == half && (h & 1u)))
        h++; /* 0x400 = the smallest normal is the correct result too */
    return (uint16_t)(sign | h);
}

#endif /* LOSSOPT_STORAGE16_SCALAR_H */
