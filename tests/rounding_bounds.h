/* tests/rounding_bounds.h - first-order rounding-error arithmetic for the
 * tests that hold the oracle to formulas evaluated in double
 * (test_optimizers_double.c, test_more_optimizers_double.c): a
 * double-precision value with a first-order bound on the error that float
 * evaluation of the same expression may carry. Every float operation rounds
 * once, by at most UNIT_ROUNDOFF relative to its result, and propagates the
 * errors of its operands; the library must land within twice this bound
 * (second-order terms). A misplaced eps, a wrong bias correction or a
 * missing term is off by orders of magnitude more. */
#ifndef LOSSOPT_TESTS_ROUNDING_BOUNDS_H
#define LOSSOPT_TESTS_ROUNDING_BOUNDS_H

#include <math.h>

typedef struct approx {
    double v, err;
} approx;

#define UNIT_ROUNDOFF 0x1p-24
#define DENORMAL_SLACK 0x1p-149

static inline approx exact(double v) { return (approx){v, 0}; }
static inline approx rounded(double v) { return (approx){v, UNIT_ROUNDOFF * fabs(v)}; } /* a float coefficient */
static inline approx round_result(double v, double err) { return (approx){v, err + UNIT_ROUNDOFF * fabs(v)}; }
static inline approx add(approx a, approx b) { return round_result(a.v + b.v, a.err + b.err); }
static inline approx sub(approx a, approx b) { return round_result(a.v - b.v, a.err + b.err); }
static inline approx mul(approx a, approx b)
{
    return round_result(a.v * b.v, a.err * fabs(b.v) + b.err * fabs(a.v));
}
static inline approx fused(approx a, approx b, approx c) /* a*b + c, one rounding */
{
    return round_result(a.v * b.v + c.v, a.err * fabs(b.v) + b.err * fabs(a.v) + c.err);
}
static inline approx quotient(approx a, approx b)
{
    return round_result(a.v / b.v, a.err / fabs(b.v) + b.err * fabs(a.v) / (b.v * b.v));
}
static inline approx root(approx a) { return round_result(sqrt(a.v), a.v > 0 ? a.err / (2 * sqrt(a.v)) : 0); }
static inline approx negate(approx a) { return (approx){-a.v, a.err}; }
static inline approx magnitude(approx a) { return (approx){fabs(a.v), a.err}; }
/* max is 1-Lipschitz: the error of either operand bounds the result's */
static inline approx maximum(approx a, approx b) { return (approx){fmax(a.v, b.v), fmax(a.err, b.err)}; }
/* PyTorch's lerp(a, b, w) = a + w (b - a) in exact math; in float the
 * rounding error of b - a reaches the result times w on the first branch
 * (w < 0.5) and times 1 - w on the second (b - (b - a)(1 - w)). */
static inline approx interpolate(approx a, approx b, approx w)
{
    approx difference = sub(b, a);
    double carried = w.v < 0.5 ? w.v : 1.0 - w.v;
    return round_result(a.v + w.v * (b.v - a.v),
                        carried * difference.err + (w.v < 0.5 ? a.err : b.err) +
                            w.err * fabs(b.v - a.v));
}

#endif /* LOSSOPT_TESTS_ROUNDING_BOUNDS_H */
