/* kernels/scalar/scalar_math.c - SLEEF for the scalar oracle. Debian's
 * purecfma functions execute FMA instructions; x86 CPUs without FMA (where the
 * scalar variant is the only one that runs) must use the purec functions
 * instead, which may differ by up to 1 ulp. AArch64 always has FMA. The choice
 * is made once, from the same CPUID/XGETBV reading the dispatcher uses. */
#include "baseline_only.h" /* first: the oracle runs on any CPU */
#include <math.h>
#include <stdatomic.h>

#include <sleef.h>

/* sleef.h declares the purecfma functions only when the compiler targets FMA
 * (FP_FAST_FMA); this file is built for the baseline CPU and calls them only
 * after checking for FMA at run time, so it declares them itself. */
#ifndef FP_FAST_FMA
float Sleef_expf1_u10purecfma(float);
float Sleef_logf1_u10purecfma(float);
float Sleef_log1pf1_u10purecfma(float);
#endif

#include "cpu_features.h"
#include "lossopt.h"
#include "scalar/scalar_math.h"

enum { MATH_UNKNOWN = 0, MATH_FMA = 1, MATH_NO_FMA = 2 };
static _Atomic int math_family = MATH_UNKNOWN;

int lossopt_scalar_math_uses_fma(void)
{
    int family = atomic_load_explicit(&math_family, memory_order_relaxed);
    if (family == MATH_UNKNOWN) {
#if defined(__aarch64__)
        family = MATH_FMA;
#else
        /* AVX2 support implies FMA and the OS saving YMM (cpu_x86.c) */
        family = (lossopt_cpu_runnable_isas() & (1u << LOSSOPT_ISA_AVX2)) ? MATH_FMA : MATH_NO_FMA;
#endif
        atomic_store_explicit(&math_family, family, memory_order_relaxed);
    }
    return family == MATH_FMA;
}

float lossopt_scalar_expf(float x)
{
    return lossopt_scalar_math_uses_fma() ? Sleef_expf1_u10purecfma(x) : Sleef_expf1_u10purec(x);
}

float lossopt_scalar_logf(float x)
{
    return lossopt_scalar_math_uses_fma() ? Sleef_logf1_u10purecfma(x) : Sleef_logf1_u10purec(x);
}

float lossopt_scalar_log1pf(float x)
{
    return lossopt_scalar_math_uses_fma() ? Sleef_log1pf1_u10purecfma(x)
                                          : Sleef_log1pf1_u10purec(x);
}

float lossopt_scalar_exp_of_difference(float x, float m)
{
    /* the same TwoSum correction as kernels/loss_cross_entropy.c */
    float shifted = x - m;
    float virtual_m = shifted - x;
    float virtual_x = shifted - virtual_m;
    float err = (x - virtual_x) - (m + virtual_m);
    float e = lossopt_scalar_expf(shifted);
    return isnan(err) ? e : fmaf(e, err, e);
}
