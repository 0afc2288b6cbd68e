/* kernels/stochastic_rounding.h - the counter-based random bits of
 * stochastic rounding (include/lossopt.h, "Stochastic rounding"), in plain
 * C: the per-segment key (computed by dispatch/ once per segment and buffer)
 * and the per-element bits (the oracle's; kernels/vec/storage16.h has the
 * vector twin). Everything is uint32_t arithmetic, so every ISA, thread
 * count and sharding draws the same bits. */
#ifndef LOSSOPT_STOCHASTIC_ROUNDING_H
#define LOSSOPT_STOCHASTIC_ROUNDING_H

#include <stdint.h>

#define LOSSOPT_SR_KEY_START 0x243F6A88u   /* pi's first fraction bits       */
#define LOSSOPT_SR_KEY_STEP 0x9E3779B9u    /* 2^32 / golden ratio             */
#define LOSSOPT_SR_INDEX_FACTOR 0x9E3779B1u /* a prime near 2^32 / golden ratio */
#define LOSSOPT_SR_FMIX_1 0x85EBCA6Bu      /* MurmurHash3's fmix32 constants  */
#define LOSSOPT_SR_FMIX_2 0xC2B2AE35u

/* MurmurHash3's 32-bit finalizer: a bijection with full avalanche. */
static inline uint32_t lossopt_sr_fmix(uint32_t x)
{
    x ^= x >> 16;
    x *= LOSSOPT_SR_FMIX_1;
    x ^= x >> 13;
    x *= LOSSOPT_SR_FMIX_2;
    x ^= x >> 16;
    return x;
}

/* The key of one buffer (0 = param, 1 + k = state[k]) of one tensor at one
 * step, for the elements whose stream index has the high half index_high. */
static inline uint32_t lossopt_sr_key(uint64_t seed, uint64_t step, uint64_t stream,
                                      uint32_t buffer, uint32_t index_high)
{
    const uint32_t words[8] = {(uint32_t)seed,   (uint32_t)(seed >> 32),
                               (uint32_t)step,   (uint32_t)(step >> 32),
                               (uint32_t)stream, (uint32_t)(stream >> 32),
                               buffer,           index_high};
    uint32_t k = LOSSOPT_SR_KEY_START;
    for (int w = 0; w < 8; w++)
        k = lossopt_sr_fmix(k ^ words[w]) + LOSSOPT_SR_KEY_STEP;
    return k;
}

/* The 16 random bits added below the bf16 cut for stream index low half
 * index_low. */
static inline uint32_t lossopt_sr_bits(uint32_t key, uint32_t index_low)
{
    return lossopt_sr_fmix(index_low * LOSSOPT_SR_INDEX_FACTOR + key) >> 16;
}

#endif /* LOSSOPT_STOCHASTIC_ROUNDING_H */
