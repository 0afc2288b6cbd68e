/* kernels/scalar/scalar_math.h - exp/log/log1p for the scalar oracle: SLEEF's
 * 1-wide u10 functions, FMA family where the CPU has FMA. */
#ifndef LOSSOPT_SCALAR_MATH_H
#define LOSSOPT_SCALAR_MATH_H

float lossopt_scalar_expf(float x);
float lossopt_scalar_logf(float x);
float lossopt_scalar_log1pf(float x);

/* exp(x - m) corrected for the rounding of x - m (TwoSum), as the
 * cross-entropy kernels compute it. */
float lossopt_scalar_exp_of_difference(float x, float m);

/* Nonzero when the scalar oracle uses SLEEF's FMA-family (purecfma)
 * functions, which give the vector ISAs' bits; zero when this CPU lacks FMA
 * and it uses the purec functions (within 1 ulp of them). */
int lossopt_scalar_math_uses_fma(void);

#endif /* LOSSOPT_SCALAR_MATH_H */
