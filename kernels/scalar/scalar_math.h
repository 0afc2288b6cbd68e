/* kernels/scalar/scalar_math.h - exp/log/log1p for the scalar oracle: SLEEF's
 * 1-wide u10 functions of one family, chosen when the oracle is compiled.
 * kernels/scalar/ is built twice on x86 (CMakeLists.txt): with the FMA
 * family (purecfma), whose bits every vector ISA matches, as
 * lossopt_kernels_scalar; and with LOSSOPT_ORACLE_NO_FMA, the purec family
 * (within 1 ulp; the only one a CPU without FMA can run), as
 * lossopt_kernels_scalar_nofma. Which one the scalar ISA uses is
 * dispatch.c's policy; nothing here asks the CPU. */
#ifndef LOSSOPT_SCALAR_MATH_H
#define LOSSOPT_SCALAR_MATH_H

#include <math.h>

#include <sleef.h>

/* sleef.h declares the purecfma functions only when the compiler targets FMA
 * (FP_FAST_FMA); the oracle is built for the baseline CPU, and its FMA build
 * runs only where dispatch.c found FMA, so it declares them itself. */
#ifndef FP_FAST_FMA
float Sleef_expf1_u10purecfma(float);
float Sleef_logf1_u10purecfma(float);
float Sleef_log1pf1_u10purecfma(float);
#endif

#ifdef LOSSOPT_ORACLE_NO_FMA
static inline float lossopt_scalar_expf(float x) { return Sleef_expf1_u10purec(x); }
static inline float lossopt_scalar_logf(float x) { return Sleef_logf1_u10purec(x); }
static inline float lossopt_scalar_log1pf(float x) { return Sleef_log1pf1_u10purec(x); }
#else
static inline float lossopt_scalar_expf(float x) { return Sleef_expf1_u10purecfma(x); }
static inline float lossopt_scalar_logf(float x) { return Sleef_logf1_u10purecfma(x); }
static inline float lossopt_scalar_log1pf(float x) { return Sleef_log1pf1_u10purecfma(x); }
#endif

/* exp(x - m) corrected for the rounding of x - m (TwoSum), as the
 * cross-entropy kernels compute it. */
static inline float lossopt_scalar_exp_of_difference(float x, float m)
{
    float shifted = x - m;
    float virtual_m = shifted - x;
    float virtual_x = shifted - virtual_m;
    float err = (x - virtual_x) - (m + virtual_m);
    float e = lossopt_scalar_expf(shifted);
    return isnan(err) ? e : fmaf(e, err, e);
}

#endif /* LOSSOPT_SCALAR_MATH_H */
