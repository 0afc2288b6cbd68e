/* bench/sleef_exp.h - the "SLEEF exp pass" references, one per x86 ISA:
 * out[i] = exp(in[i]) with SLEEF's u10 expf of that ISA (8 bytes/element).
 * No loss with an exp in it can beat one such pass, so it is the floor of
 * the transcendental losses; SPEC.md section 3 measures cross_entropy
 * against the pass of the same ISA. sleef_exp.c (AVX2, Sleef_expf8_u10avx2;
 * declared in plain_loops.h too) and sleef_exp_avx512.c
 * (Sleef_expf16_u10avx512f) are each compiled with their ISA's flags only;
 * call a pass only where its supported() returns nonzero. */
#ifndef LOSSOPT_BENCH_SLEEF_EXP_H
#define LOSSOPT_BENCH_SLEEF_EXP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void bench_sleef_exp_pass(float *out, const float *in, size_t n);
int bench_sleef_exp_supported(void);
void bench_sleef_exp_avx512_pass(float *out, const float *in, size_t n);
int bench_sleef_exp_avx512_supported(void);

#ifdef __cplusplus
}

/* The passes built into this binary, for the exp_pass/<name>/... rows. */
struct BenchExpPass {
    const char *name;
    void (*pass)(float *out, const float *in, size_t n);
    int (*supported)(void);
    const char *unsupported; /* the skip message where supported() is 0 */
};

inline const BenchExpPass kBenchExpPasses[] = {
#ifdef LOSSOPT_BENCH_HAVE_SLEEF_EXP
    {"sleef_avx2", bench_sleef_exp_pass, bench_sleef_exp_supported, "this CPU has no AVX2+FMA"},
#endif
#ifdef LOSSOPT_BENCH_HAVE_SLEEF_EXP_AVX512
    {"sleef_avx512", bench_sleef_exp_avx512_pass, bench_sleef_exp_avx512_supported,
     "this CPU has no AVX-512F"},
#endif
    {nullptr, nullptr, nullptr, nullptr}, /* keeps the array non-empty */
};
#endif

#endif /* LOSSOPT_BENCH_SLEEF_EXP_H */
