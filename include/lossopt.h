/* lossopt.h - the public API of lossopt: SIMD loss functions (value and
 * gradient in one pass) and optimizer updates, with one result on every CPU.
 *
 * C11, usable from C++. Every kernel exists as scalar, AVX2(+FMA), AVX-512 and
 * NEON variants; a CPU-feature dispatcher picks one on first use. All variants
 * return bit-identical results for the same inputs (NaN compared as "is NaN":
 * the payload of a NaN may differ between CPUs).
 *
 * One exception, forced by hardware: an x86 CPU without FMA (before Haswell)
 * runs the scalar variant with SLEEF's non-FMA exp/log/log1p, which are
 * within 1 ulp of the FMA ones; the kernels that use them (bce, bce_logits,
 * cross_entropy, cross_entropy_probs) then differ from every other CPU by the
 * measured amounts listed in README.md ("Determinism"). Every other kernel,
 * the optimizers included, gives the same bits there too.
 *
 * Results are specified for the default floating-point environment (round to
 * nearest, no flush-to-zero or denormals-are-zero).
 *
 * Conventions for every function below
 *   - Arguments are validated before anything is written. The first failing
 *     check, in the order ISA, NULL, SIZE, ARG, DOMAIN, is returned, and a call
 *     that returns an error has changed no output, parameter or state buffer.
 *   - No function prints, aborts, allocates in its hot path, or touches memory
 *     outside the buffers it is given (tails use masked/partial loads).
 *   - Buffers need no particular alignment. Buffers of one call must not
 *     overlap (except where a comment says so); overlapping them is undefined.
 */
#ifndef LOSSOPT_H
#define LOSSOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The library version; CMakeLists.txt reads it from here (set once). */
#define LOSSOPT_VERSION_MAJOR 0
#define LOSSOPT_VERSION_MINOR 2
#define LOSSOPT_VERSION_PATCH 0

/* Marks the functions the shared library exports; the library is built with
 * -fvisibility=hidden, so nothing else (kernels, dispatcher internals) is
 * visible to a program linking liblossopt.so. */
#if defined(__GNUC__) || defined(__clang__)
#define LOSSOPT_API __attribute__((visibility("default")))
#else
#define LOSSOPT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------- */
/* Status                                                                    */
/* ------------------------------------------------------------------------- */

typedef enum lossopt_status {
    LOSSOPT_OK         = 0,
    LOSSOPT_ERR_NULL   = 1, /* a required pointer is NULL                               */
    LOSSOPT_ERR_SIZE   = 2, /* a size overflows (rows*classes) or is invalid (classes 0) */
    LOSSOPT_ERR_ARG    = 3, /* a scalar argument is outside its domain (lr NaN, beta>=1) */
    LOSSOPT_ERR_DOMAIN = 4, /* a data value is outside its domain (label >= classes,
                               probability outside [0,1])                              */
    LOSSOPT_ERR_ISA    = 5, /* the requested/forced ISA is not built or not supported  */
    LOSSOPT_ERR_RESOURCE = 6 /* a thread or memory could not be had (lossopt_threads_create) */
} lossopt_status;

/* A static English description of s ("ok", "a required pointer is NULL",
 * ...); "unknown status" for a value outside the enum. Never NULL. */
LOSSOPT_API const char *lossopt_status_string(lossopt_status s);

/* "MAJOR.MINOR.PATCH" of the library actually linked (which may differ from
 * the LOSSOPT_VERSION_* macros of the header a program was compiled with). */
LOSSOPT_API const char *lossopt_version_string(void);

/* ------------------------------------------------------------------------- */
/* ISA selection                                                             */
/* ------------------------------------------------------------------------- */

typedef enum lossopt_isa {
    LOSSOPT_ISA_INVALID = -1, /* only from lossopt_active_isa(): LOSSOPT_ISA named
                                 an unknown or unsupported ISA, so every kernel
                                 call returns LOSSOPT_ERR_ISA until
                                 lossopt_set_isa() picks a supported one       */
    LOSSOPT_ISA_SCALAR  = 0,
    LOSSOPT_ISA_AVX2    = 1,  /* AVX2 + FMA                                     */
    LOSSOPT_ISA_AVX512  = 2,  /* AVX-512 F + BW + DQ + VL                       */
    LOSSOPT_ISA_NEON    = 3   /* AArch64 Advanced SIMD                          */
} lossopt_isa;

/* The ISA the next kernel call will use. The first kernel call or query
 * selects it: the LOSSOPT_ISA environment variable if set (read once:
 * "scalar", "avx2", "avx512" or "neon"), else the best supported ISA in the
 * order avx512 > avx2 > neon > scalar. Selection is thread-safe. */
LOSSOPT_API lossopt_isa lossopt_active_isa(void);

/* "scalar", "avx2", "avx512", "neon"; "invalid" for anything else. */
LOSSOPT_API const char *lossopt_isa_name(lossopt_isa isa);

/* Bit (1u << isa) is set for each ISA that is both compiled into this library
 * and runnable on this CPU and OS (x86: CPUID and XGETBV, so the OS saves the
 * YMM/ZMM state). The scalar bit is always set. */
LOSSOPT_API unsigned lossopt_supported_isas(void);

/* Force one ISA for every later call, from any thread. Returns LOSSOPT_ERR_ISA,
 * and changes nothing, if isa is not in lossopt_supported_isas(). */
LOSSOPT_API lossopt_status lossopt_set_isa(lossopt_isa isa);

/* ------------------------------------------------------------------------- */
/* Losses: reductions and the canonical summation order                      */
/* ------------------------------------------------------------------------- */
/*
 * Every loss computes its value and, in the same pass, its gradient.
 *   loss  MEAN/SUM: one float. NONE: one float per element. May be NULL when
 *         only the gradient is wanted.
 *   grad  NULL, or n floats: d(reduced loss)/d(input); for NONE each element's
 *         own derivative. At least one of loss and grad must be non-NULL
 *         (else LOSSOPT_ERR_NULL). Asking for the loss only, the gradient only,
 *         or both gives the same bits in each output.
 *   n == 0: SUM gives +0, MEAN gives NaN (as PyTorch), NONE writes nothing.
 *   An invalid reduction value -> LOSSOPT_ERR_ARG. LOSSOPT_BATCHMEAN is valid
 *   for lossopt_kl_div_f32 only: every other loss returns LOSSOPT_ERR_ARG.
 * Outputs must not overlap the inputs.
 *
 * The canonical summation order (MEAN and SUM), the same on every ISA and
 * independent of the vector width: the per-element losses are taken in
 * blocks of 256 elements from element 0. Inside a block, element i goes to
 * virtual lane i mod 16; each lane adds its elements in order in float,
 * starting from -0. The 16 lanes are then folded in float, lane j += lane
 * j+8 (j < 8), then j += j+4, j += j+2, j += j+1, and lane 0 (the block sum)
 * is added, in block order, to a double total that starts at -0. SUM rounds
 * the total once to float; MEAN divides it by n in double and rounds once.
 * Accuracy: within 1e-6 relative of an exact sum on benign data, for any n.
 *
 * Accuracy of each element's loss: within 2 ulp of its formula evaluated in
 * double (with the float parameters the call received), except bce and
 * bce_logits: 3 ulp, since they compose two SLEEF functions that are each
 * within 1 ulp (u10). Gradients: within 2 ulp, or 2^-20 of the largest term
 * of the same array (elementwise) or row (row-wise losses); a gradient such
 * as p - 0.95 subtracts nearly equal terms, and float arithmetic cannot hold
 * it to 2^-20 of the largest *gradient*.
 *
 * Gradient scale: r = 1/n for MEAN (computed in double), 1 for SUM and NONE.
 * Each loss below names a constant c = (float)(k * r), computed in double and
 * rounded once, with its own k.
 *
 * Notation of the per-element operation order: one IEEE float operation per
 * step; fma(a, b, c) = a*b + c rounded once; exp/log/log1p are SLEEF's u10
 * functions (the same bits on every ISA); max(a, b) and min(a, b) are NaN if
 * either is NaN (b on ties); sign(d) = d > 0 ? 1 : d < 0 ? -1 : d (so NaN
 * stays NaN and +-0 stays +-0).
 */
typedef enum lossopt_reduction {
    LOSSOPT_MEAN = 0, /* zero-initialised options mean MEAN, as PyTorch's default */
    LOSSOPT_SUM = 1,
    LOSSOPT_NONE = 2,
    LOSSOPT_BATCHMEAN = 3 /* kl_div only (PyTorch's 'batchmean'): SUM / rows */
} lossopt_reduction;

/* ---- elementwise losses: n inputs against n targets ---------------------- */
/* d = input - target (one rounding) in the regression losses below. */

/* Mean squared error. loss_i = d * d; grad_i = c * d, c = (float)(2r). */
LOSSOPT_API lossopt_status lossopt_mse_f32(const float *input, const float *target, size_t n,
                                           lossopt_reduction r, float *loss, float *grad);

/* Mean absolute error. loss_i = |d|; grad_i = sign(d) * c, c = (float)r
 * (0 at d == 0, as PyTorch). */
LOSSOPT_API lossopt_status lossopt_l1_f32(const float *input, const float *target, size_t n,
                                          lossopt_reduction r, float *loss, float *grad);

/* Huber, delta > 0 (else LOSSOPT_ERR_ARG; NaN too; +inf is valid, as in
 * PyTorch: the loss is then 0.5 d^2 everywhere). a = |d|, h = (float)(delta/2),
 * and the two loss branches carry the rounding error e of d = x - t (TwoSum;
 * NaN only where d is not finite, and never used there), so the value stays
 * within 2 ulp for any delta:
 *   q = fma(0.5 * d, d, d * e)                                 (0.5 (x - t)^2)
 *   s = a - h;  l = s + (((a - s) - h) + (d < 0 ? -e : e))    (|x - t| - h;
 *                                        the tail is 0 where it is NaN)
 *   loss_i = a < delta ? q : delta * l
 *   grad_i = min(max(d, -delta), delta) * c,  c = (float)r */
LOSSOPT_API lossopt_status lossopt_huber_f32(const float *input, const float *target, size_t n,
                                             float delta, lossopt_reduction r, float *loss,
                                             float *grad);

/* Smooth L1, beta >= 0 (else LOSSOPT_ERR_ARG; NaN too); beta == 0 is
 * exactly L1; beta = +inf is valid (PyTorch: loss and gradient 0 for finite
 * d). a = |d|, h = (float)(beta/2), q and l as for huber:
 *   loss_i = a < beta ? q / beta : l
 *   grad_i = (a < beta ? d / beta : sign(d)) * c,  c = (float)r */
LOSSOPT_API lossopt_status lossopt_smooth_l1_f32(const float *input, const float *target,
                                                 size_t n, float beta, lossopt_reduction r,
                                                 float *loss, float *grad);

/* Binary hinge (linear SVM). A label > 0 is the positive class (y = +1), any
 * other label (0, -1, NaN) is y = -1, so {0,1} and {-1,+1} labels both work.
 *   m = 1 - y * score                 (y * score is exact)
 *   loss_i = max(m, 0)
 *   grad_i = m > 0 ? -y * c : (m is NaN ? NaN : 0),  c = (float)r */
LOSSOPT_API lossopt_status lossopt_hinge_f32(const float *score, const float *label, size_t n,
                                             lossopt_reduction r, float *loss, float *grad);

/* Squared hinge. m as for hinge, h = max(m, 0):
 *   loss_i = h * h;  grad_i = (-y * c) * h,  c = (float)(2r) */
LOSSOPT_API lossopt_status lossopt_squared_hinge_f32(const float *score, const float *label,
                                                     size_t n, lossopt_reduction r, float *loss,
                                                     float *grad);

/* Binary cross-entropy on probabilities (PyTorch binary_cross_entropy).
 * Every prob and target must be in [0, 1] (NaN is not) -> else
 * LOSSOPT_ERR_DOMAIN, checked before anything is written. weight: NULL (all 1)
 * or n floats, used as given. PyTorch's clamps: log at -100, denominator at 1e-12.
 *   lp = max(log(p), -100);  lq = max(log1p(-p), -100)
 *   u  = fma(y - 1, lq, -(y * lp));          loss_i = weight ? w * u : u
 *   q  = (p - y) / max((1 - p) * p, 1e-12f); grad_i = (weight ? q * w : q) * c,
 *   c = (float)r */
LOSSOPT_API lossopt_status lossopt_bce_f32(const float *prob, const float *target, size_t n,
                                           const float *weight, lossopt_reduction r, float *loss,
                                           float *grad);

/* Binary cross-entropy on logits, the stable form (PyTorch
 * binary_cross_entropy_with_logits), pos_weight >= 0 (else LOSSOPT_ERR_ARG;
 * NaN too; +inf is accepted as PyTorch does, and gives what its formula
 * gives: lw = 1 + (inf - 1) y is inf, so the loss is inf where y > 0 and NaN
 * where y = 0).
 * One exp per element, shared by the loss and the sigmoid:
 *   e   = exp(-|x|);  L = log1p(e)
 *   lw  = fma(pw1, y, 1),  pw1 = (float)(pos_weight - 1)     (1 + (pw - 1) y)
 *   py  = pos_weight * y
 *   k   = x >= 0 ? 1 - y : -py;   lin = k == 0 ? 0 : k * x
 *   u   = fma(lw, L, lin);                   loss_i = weight ? w * u : u
 *   q   = (x >= 0 ? fma(-py, e, 1 - y) : fma(1 - y, e, -py)) / (1 + e)
 *                                            grad_i = (weight ? q * w : q) * c,
 *   c = (float)r
 * These are PyTorch's (1 - y) x - lw log(sigmoid(x)) and
 * (pw y + 1 - y) sigmoid(x) - pw y rearranged so that no two large terms
 * cancel (for x < 0 in the loss; in the gradient, against a sigmoid rounded
 * near 1). At x = +-inf they give the limits where PyTorch gives NaN: the
 * loss is 0 where the target agrees (y = 1 at +inf, y = 0 at -inf) or that
 * side's weight is 0 (pos_weight y at -inf), +inf otherwise (times w; a zero
 * weight there gives 0 * inf = NaN); the gradient is w(1 - y) at +inf and
 * -w pos_weight y at -inf.
 * Targets and weights are used as given (not checked), as in PyTorch. */
LOSSOPT_API lossopt_status lossopt_bce_logits_f32(const float *logit, const float *target,
                                                  size_t n, const float *weight, float pos_weight,
                                                  lossopt_reduction r, float *loss, float *grad);

/* Soft margin (PyTorch soft_margin_loss): log(1 + exp(-y x)), in the stable
 * softplus form (PyTorch's literal form overflows to inf past |x| ~ 88; the
 * loss here stays finite and its gradient never becomes inf / inf = NaN).
 * Targets are used as given (not checked), as in PyTorch; y = +-1 is the
 * usual case. One exp per element, shared by the loss and the sigmoid; the
 * rounding error of y x (exact by fma) corrects it, so the value keeps its
 * accuracy for any target:
 *   p   = y * x;  err = fma(y, x, -p)          (p + err == y x exactly)
 *   z   = -p;     up = z >= 0                  (z is -y x as rounded)
 *   d   = up ? err : -err                      (-|-y x| = -|z| + d)
 *   e0  = exp(-|z|);  e = d is NaN ? e0 : fma(e0, d, e0)
 *   L   = log1p(e)
 *   loss_i = max(z, 0) + L
 *   s   = (up ? 1 : e) / (1 + e)               (sigmoid(-y x))
 *   grad_i = (-y * s) * c,  c = (float)r
 * At x = +-inf (y != 0) the loss is its limit (0, or +inf where -y x = +inf)
 * and the gradient its finite limit (0 or -y), where PyTorch gives inf and
 * NaN for the overflowing side; y x = NaN (y = 0 and x = +-inf, or a NaN)
 * gives NaN, as PyTorch. Accuracy: value within 3 ulp of the formula in
 * double (exp and log1p compose), gradient as every loss. */
LOSSOPT_API lossopt_status lossopt_soft_margin_f32(const float *input, const float *target,
                                                   size_t n, lossopt_reduction r, float *loss,
                                                   float *grad);

/* Poisson negative log-likelihood (PyTorch poisson_nll_loss). eps must be
 * finite and >= 0 (else LOSSOPT_ERR_ARG; NaN too), checked whatever
 * log_input is (PyTorch's default is 1e-8; it does not check eps: a negative
 * eps gives log of a negative number, an infinite one -inf or NaN losses
 * everywhere). Targets are data, used as given: log of a target <= 0 or NaN
 * in the Stirling term never fails the call (the mask drops it, or the loss
 * is NaN as in PyTorch).
 * log_input (the input is log(rate)):
 *   e = exp(x);  base = fma(-t, x, e)                (exp(x) - t x)
 *   grad_i = (e - t) * c
 * !log_input (the input is the rate): u = x + eps, with its rounding error
 * eu (TwoSum: u + eu == x + eps exactly) taken into account:
 *   lg = log(u);  q = t / u
 *   b1 = fma(-t, lg, x)                              (x - t log(u))
 *   k  = q * eu;  base = |k| < inf ? b1 - k : b1     (- t log(1 + eu / u);
 *                                       NaN or infinite k is left out)
 *   grad_i = (1 - q) * c
 * full adds Stirling's approximation of log(t!) where t > 1 (0 elsewhere,
 * PyTorch's mask), which has no gradient:
 *   S = fma(t, log(t), fma(0.5f, log(tau * t), -t))  (t log t - t + 0.5 log(2 pi t),
 *       tau = (float)(2 pi), as PyTorch multiplies a float tensor by 2 pi)
 *   loss_i = t > 1 ? base + S : base;  without full loss_i = base
 * c = (float)r. Edge cases follow PyTorch's formulas (no limits taken):
 * exp(x) overflowing gives inf, x = +inf with t > 0 gives inf - inf = NaN,
 * t = 0 with an infinite x (or log) gives 0 * inf = NaN, as PyTorch.
 * Accuracy: these subtract nearly equal terms (exp(x) against t x, x against
 * t log(x + eps), t log t against t), so the value is within 2 ulp of the
 * largest term of its formula in double (3 ulp with full: three SLEEF
 * functions compose); the gradient within 2 ulp, or 2^-20 of the largest
 * term (exp(x) or t; 1 or t / (x + eps)) of the array. */
LOSSOPT_API lossopt_status lossopt_poisson_nll_f32(const float *input, const float *target,
                                                   size_t n, bool log_input, bool full, float eps,
                                                   lossopt_reduction r, float *loss, float *grad);

/* ---- elementwise losses with three inputs and two gradients (0.2) -------- */
/* n elements of each input. Each gradient pointer may be NULL; at least one
 * of loss and the gradients must be non-NULL (else LOSSOPT_ERR_NULL), and an
 * input pointer may be NULL only when n == 0. Reductions, n == 0 and the
 * canonical sum as above; the gradients are d(reduced loss)/d(each input),
 * the same bits whichever of the outputs are asked for. Errors in the order
 * NULL, SIZE, ARG, DOMAIN, all before anything is written.
 * TwoSum(p, q) below is s = p + q with its rounding error
 *   err = (p - (s - (s - p))) + (q - (s - p))       (s + err == p + q exactly;
 *                                     NaN where s, p or q is not finite). */

/* Margin ranking (PyTorch margin_ranking_loss): max(0, -y (x1 - x2) + margin).
 * y is used as given (PyTorch documents 1 or -1 and checks nothing). margin:
 * any float but NaN (-> LOSSOPT_ERR_ARG); +-inf are accepted (PyTorch's inf,
 * NaN or 0 follow from the formula). m carries the rounding errors of the
 * difference, the product and the sum in one tail, so it is within 1 ulp of
 * -y (x1 - x2) + margin (plus ~2^-46 of |y (x1 - x2)| + |margin|) even where
 * the two terms cancel, where PyTorch's float m = (-y * d) + margin keeps
 * the rounding of d = x1 - x2 (up to half an ulp of y d, any number of ulps
 * of m):
 *   d  = x1 - x2;      e  = the TwoSum error of x1 + (-x2)
 *   p  = -y * d;       pe = fma(-y, d, -p)             (p + pe == -y d)
 *   s  = p + margin;   se = the TwoSum error of p + margin
 *   tl = (se + pe) + (-y * e)           (0 where it is NaN: d, p or s not finite)
 *   m  = s + tl
 *   loss_i    = max(m, 0)
 *   grad_x1_i = m >= 0 ? -y * c : (m is NaN ? NaN : 0),  c = (float)r
 *   grad_x2_i = m >= 0 ?  y * c : (m is NaN ? NaN : 0)
 * As PyTorch's clamp_min, the gradient passes at m == 0. Where m is NaN
 * (a NaN input, 0 * inf) the gradients are NaN, as hinge's; PyTorch gives
 * +-0 there (its clamp_min backward tests m >= 0). Accuracy: the value
 * within 2 ulp of the formula in double (0.5 ulp measured); the gradients
 * round once (exact for y = +-1 with SUM and NONE). */
LOSSOPT_API lossopt_status lossopt_margin_ranking_f32(const float *x1, const float *x2,
                                                      const float *y, size_t n, float margin,
                                                      lossopt_reduction r, float *loss,
                                                      float *grad_x1, float *grad_x2);

/* Gaussian negative log-likelihood (PyTorch 1.13 gaussian_nll_loss), with a
 * var of n elements, one per input (PyTorch's broadcast forms -- one var per
 * row, shape (..., 1) or input's shape without its last dimension -- are the
 * caller's to expand to n). Every var must be >= 0 (-0 is; NaN passes, as in
 * PyTorch, and gives NaN): else LOSSOPT_ERR_DOMAIN, read before anything is
 * written (PyTorch: ValueError "var has negative entry/entries"). eps >= 0
 * (PyTorch's default 1e-6; negative or NaN -> LOSSOPT_ERR_ARG; 0 and +inf
 * are accepted). As in PyTorch, var is clamped to eps (on a clone, under
 * no_grad): the value uses v = max(var, eps), and the gradient reaches var
 * everywhere, taken at v -- also where var < eps (PyTorch's autograd).
 *   v  = max(var, eps)
 *   d  = x - t;        e  = the TwoSum error of x + (-t)
 *   h  = fma(0.5 * d, d, d * e)     (0.5 (x - t)^2; d * e is taken as 0 where
 *                                    it is NaN: d not finite)
 *   u  = 0.5 * log(v) + h / v
 *   loss_i = full ? u + k : u,   k = (float)(0.5 log(2 pi))  (in double)
 *   z  = d / v
 *   grad_input_i = z * c,                      c  = (float)r
 *   grad_var_i   = (fma(-z, d, 1) * c2) / v,   c2 = (float)(0.5 r)
 * No limits are taken: v = 0 (eps == 0 and var == 0) gives PyTorch's NaN or
 * inf, v = +inf gives an infinite loss and zero gradients (as PyTorch).
 * Accuracy: the value within 2 ulp of the largest of |value| and its terms
 * |0.5 log(v)|, (x - t)^2 / (2v) and, with full, 0.5 log(2 pi) (they cancel
 * where log(v) < 0), evaluated in double (1.75 ulp measured); grad_input
 * within 2 ulp; grad_var, which subtracts 1/v and (x - t)^2 / v^2, within
 * 2 ulp or 2^-20 of the larger of 0.5 r / v and 0.5 r (x - t)^2 / v^2 of
 * the same element. */
LOSSOPT_API lossopt_status lossopt_gaussian_nll_f32(const float *input, const float *target,
                                                    const float *var, size_t n, bool full,
                                                    float eps, lossopt_reduction r, float *loss,
                                                    float *grad_input, float *grad_var);

/* ---- row-wise losses: rows x classes, row-major ----------------------------- */

typedef struct lossopt_ce_options {
    lossopt_reduction reduction;   /* zero-init: MEAN                          */
    const float *class_weight;     /* NULL (all 1) or `classes` floats, as given */
    float label_smoothing;         /* in [0, 1]                                */
} lossopt_ce_options;              /* a NULL options pointer = all zero        */

/* Cross-entropy on logits with class-index labels: softmax and negative
 * log-likelihood fused (PyTorch cross_entropy), loss and d/d(logits) in one
 * call. labels[r] < 0 ignores row r (PyTorch's ignore_index -100 is such a
 * label): loss 0, gradient row 0, left out of MEAN's divisor. A label >=
 * classes -> LOSSOPT_ERR_DOMAIN; classes == 0 or rows * classes overflowing
 * -> LOSSOPT_ERR_SIZE; label_smoothing outside [0, 1] or NaN -> LOSSOPT_ERR_ARG.
 * loss: one float (MEAN, SUM) or `rows` floats (NONE); grad: rows x classes.
 *
 * Per kept row (x = logits row, y = label, w = class weights or 1,
 * W = sum of w in double, eps = label_smoothing, C = classes):
 *   m      = max_j x_j                       (a NaN logit makes the row NaN)
 *   e_j    = exp(x_j - m)                    (one exp per logit; the rounding
 *            error of x_j - m, exact by TwoSum (Fast2Sum in rows where no
 *            logit's exponent exceeds m's: the same value), corrects it:
 *            e (1 + err))
 *   S_o    = canonical sum of e_j over j != y, in double;  S = S_o + e_y
 *   top    = x_y == m and m is finite
 *   logS   = top ? log1p(S_o) : log(S)       (float SLEEF; exact where it
 *                                             matters: confident rows)
 *   nll    = top ? logS : (m - x_y) + logS                (= -log p_y)
 *   smooth = W logS - T, T = canonical sum of w_j (x_j - m)  (= -sum w_j log p_j)
 *   loss_r = (float)((1 - eps) w_y nll + (eps / C) smooth)   (in double)
 * MEAN divides the double sum of loss_r, taken in row order, by D = the sum
 * of w_y over kept rows (the kept-row count without weights), as PyTorch
 * does with and without weights; all rows ignored -> NaN. SUM: the sum.
 * Gradient, with D = 1 for SUM and NONE:
 *   A = ((1 - eps) w_y + (eps / C) W) / D           (double)
 *   g_j = fma(e_j, (float)(A / S), -(w_j * (float)((eps / C) / D)))  j != y
 *   g_y = (float)(-A S_o / S + (eps / C)(W - w_y) / D)        (no cancellation)
 * A term whose coefficient is exactly 0 contributes nothing: without label
 * smoothing (eps = 0) the (eps / C) terms are left out, so no class weight
 * but the labels' is read (w_j in g_j becomes 0 and W is not used), as
 * PyTorch reads weights only where they are used: an inf or NaN weight of a
 * class absent from the batch changes nothing. With eps = 1 the NLL term is
 * left out likewise. With eps > 0 every weight is used.
 * Infinite and NaN logits: -inf logits are fine (exp gives 0; a row of only
 * -inf is NaN, as PyTorch). A +inf logit anywhere in a row makes m = +inf and
 * e = exp(inf - inf) NaN there: that row's loss and whole gradient row are
 * NaN, as PyTorch's log_softmax gives (so MEAN and SUM are NaN). A NaN logit
 * makes its row NaN likewise.
 * Accuracy: loss within 1e-6 relative of the double formula; g_j within 2 ulp
 * or 2^-20 of the row's largest term max_j(|A p_j|, |o_j|), o_j the subtracted
 * part ((1 - eps) w_y [j == y] + (eps / C) w_j) / D: with label smoothing g_j
 * is a cancelling difference such as p - 0.95.
 * Memory: no N x C temporaries; each row's logits are read twice (max, then
 * exp) and its gradient row is written in the exp pass and finished while
 * still in cache (the next row's max is taken during this row's second pass,
 * and with class-index labels this row's gradient is finished during the
 * next kept row's: the same operations, in a cache-friendlier order). */
LOSSOPT_API lossopt_status lossopt_cross_entropy_f32(const float *logits, const int64_t *labels,
                                                     size_t rows, size_t classes,
                                                     const lossopt_ce_options *opt, float *loss,
                                                     float *grad);

/* Cross-entropy with soft targets (each row of target_probs a distribution,
 * used as given), PyTorch semantics: with label smoothing the target becomes
 * t~_j = fma(t_j, 1 - eps, eps / C) (both coefficients rounded once to float),
 * loss_r = -sum_j w_j t~_j log p_j, and MEAN divides by rows (also with class
 * weights, as PyTorch). A term whose t~_j is 0 is 0, even where log p_j is
 * -inf (0 log 0 = 0; PyTorch would give NaN). Per row, with m, e_j and S
 * (canonical sum over every class, in double) as above:
 *   u_j = t~_j == 0 ? t~_j : w_j t~_j  (w_j = 1 without weights; a zero
 *         target reads no weight, so an inf or NaN weight there is harmless)
 *   V = canonical sum of u_j;  U = canonical sum of (u_j == 0 ? 0 : u_j (x_j - m))
 *   loss_r = (float)(V log(S) - U)           (in double; log(S) from float SLEEF)
 *   g_j = fma(e_j, (float)(V / S), -u_j) * (float)(1 / D)   (exactly 0 where
 *         p_j V = u_j to the last bit, e.g. a single class)
 * with D = rows for MEAN, 1 otherwise. Errors as lossopt_cross_entropy_f32
 * (no labels to check). Accuracy: g_j is a difference p_j V - u_j that
 * cancels where the prediction matches the target; it is within 2 ulp or
 * 2^-20 of the row's largest term max(p_j V, u_j) / D (a bound relative to
 * the largest gradient cannot hold there in float). S is summed without the
 * max's own e (exactly 1), and log(S) = log1p(S - 1), so a confident row
 * keeps its accuracy; a row without a finite max (a +inf or NaN logit, or
 * only -inf) uses log(S) and is NaN, as in PyTorch. */
LOSSOPT_API lossopt_status lossopt_cross_entropy_probs_f32(const float *logits,
                                                           const float *target_probs,
                                                           size_t rows, size_t classes,
                                                           const lossopt_ce_options *opt,
                                                           float *loss, float *grad);

/* Multiclass hinge (Weston-Watkins), PyTorch multi_margin_loss: p = 1 or 2
 * (else LOSSOPT_ERR_ARG), margin any non-NaN float, class_weight NULL or
 * `classes` floats, taken at the target class. Labels as for cross-entropy:
 * negative ignores the row (loss 0, gradient row 0, out of MEAN's divisor;
 * all ignored with MEAN -> NaN), >= classes -> LOSSOPT_ERR_DOMAIN. Per kept
 * row with label y:
 *   z_j = ((margin - x_y) + x_j) + err,  h_j = max(z_j, 0)     for j != y
 *         (err = (float)((margin - x_y) exactly - (margin - x_y) rounded),
 *         so a small active hinge keeps its accuracy; err = 0 where
 *         margin - x_y is not finite, so an infinite margin or score, or an
 *         overflowing margin - x_y, gives PyTorch's inf or 0, not NaN)
 *   H   = canonical sum over j != y of (p == 1 ? h_j : h_j * h_j)
 *   loss_r = (float)(w_y H / C)                             (in double)
 *   c   = (float)(w_y / (C D)), D = kept rows for MEAN, 1 otherwise
 *   g_j = p == 1 ? (h_j > 0 ? c : 0) : (2c) h_j            for j != y
 *   g_y = (float)(-(w_y / (C D)) * (p == 1 ? #{j : h_j > 0} : 2 * sum_j h_j))
 * (a NaN z_j gives a NaN g_j). MEAN divides the double sum of loss_r, in row
 * order, by D. */
LOSSOPT_API lossopt_status lossopt_multi_margin_f32(const float *scores, const int64_t *labels,
                                                    size_t rows, size_t classes, int p,
                                                    float margin, const float *class_weight,
                                                    lossopt_reduction r, float *loss,
                                                    float *grad);

/* Multi-label soft margin (PyTorch multilabel_soft_margin_loss): rows x
 * classes logits x against targets t of the same shape (each class an
 * independent binary label; targets are used as given, not checked, as in
 * PyTorch: soft labels in [0, 1] are the usual case besides 0 and 1),
 * class_weight NULL or `classes` floats, used as given (an inf or NaN
 * weight gives inf or NaN wherever PyTorch's loss * weight does). reduction
 * MEAN, SUM or NONE (`rows` values); LOSSOPT_BATCHMEAN or any other value ->
 * LOSSOPT_ERR_ARG. classes == 0 or rows * classes overflowing ->
 * LOSSOPT_ERR_SIZE (as the other row-wise losses; PyTorch would divide 0
 * by 0); rows == 0: SUM +0, MEAN NaN, NONE writes nothing.
 * Per element (x, t, w = class_weight[j], or no weight), in the stable
 * softplus form of bce_logits with pos_weight 1 (the same bits for every
 * finite t): -(t log sigmoid(x) + (1 - t) log sigmoid(-x)) = softplus(-x) +
 * (1 - t) x, one exp shared by the loss and the sigmoid:
 *   e   = exp(-|x|);  L = log1p(e)
 *   k   = x >= 0 ? 1 - t : -t;   lin = k == 0 ? 0 : k * x
 *   u   = L + lin;                         l_j = weight ? w * u : u
 *   q   = (x >= 0 ? fma(-t, e, 1 - t) : fma(1 - t, e, -t)) / (1 + e)
 *                                          (sigmoid(x) - t, no cancellation)
 *   g_j = (weight ? q * w : q) * c,  c = (float)(1 / (C D))   (in double;
 *         C = classes, D = rows for MEAN, 1 for SUM and NONE)
 * Per row: S_r = the canonical sum of l_j over the row's classes (the order
 * above, from class 0; in double), loss_r = (float)(S_r / C) (in double).
 * MEAN divides the double sum of the loss_r, taken in row order from +0, by
 * rows and rounds once; SUM rounds that sum once; NONE writes loss_r.
 * Edges: |x| past 88 stays finite (PyTorch's logsigmoid is stable too); at
 * x = +-inf the loss is its limit (0 where the target agrees, +inf
 * otherwise) and the gradient c w (1 - t) at +inf, -c w t at -inf; a NaN
 * logit or target gives NaN there; a zero weight times an infinite u is
 * NaN, as PyTorch. Accuracy: l_j within 3 ulp of the formula in double
 * (exp and log1p compose), loss_r within 1e-6 relative of the row's double
 * sum (its terms share one sign for t in [0, 1]); g_j within 2 ulp, or
 * 2^-20 of the row's largest term max(|sigmoid(x) w|, |t w|) c. */
LOSSOPT_API lossopt_status lossopt_multilabel_soft_margin_f32(const float *input,
                                                              const float *target, size_t rows,
                                                              size_t classes,
                                                              const float *class_weight,
                                                              lossopt_reduction r, float *loss,
                                                              float *grad);

/* ---- losses on log-probabilities: nll, kl_div ------------------------------ */

/* Negative log-likelihood on log-probabilities (PyTorch nll_loss), rows x
 * classes, class-index labels, the cross-entropy options: class_weight NULL
 * (all 1) or `classes` floats, reduction MEAN, SUM or NONE; label_smoothing
 * must be 0 (PyTorch's nll_loss has none; anything else, NaN included ->
 * LOSSOPT_ERR_ARG). Labels as for cross-entropy: labels[r] < 0 ignores row r
 * (PyTorch's ignore_index -100 is such a label): loss 0, gradient row 0,
 * left out of MEAN's divisor; a label >= classes -> LOSSOPT_ERR_DOMAIN, all
 * labels checked before anything is written; classes == 0 or rows * classes
 * overflowing -> LOSSOPT_ERR_SIZE. Only the labels' class weights are read
 * (an inf or NaN weight of a class absent from the batch changes nothing).
 * loss: one float (MEAN, SUM) or `rows` floats (NONE); grad: rows x classes,
 * every element written. Per kept row r (x = the row, y = its label,
 * w_y = class_weight[y] or 1):
 *   loss_r = -(w_y * x_y)                     (one rounding; -x_y exactly
 *                                              without weights)
 *   grad_r,j = 0 for j != y;  grad_r,y = (float)(-w_y / D)   (in double)
 * D = the sum of w_y over the kept rows, in row order, in double (the kept-row
 * count without weights) for MEAN, 1 for SUM and NONE. MEAN divides the double
 * sum of the loss_r, taken in row order from +0, by D and rounds once; SUM
 * rounds that sum once. All rows ignored with MEAN (or D == 0) -> NaN, as
 * PyTorch; rows == 0: SUM +0, MEAN NaN. The log-probabilities are used as
 * given (PyTorch does not check them either): a -inf at the label gives
 * +inf, a NaN gives NaN; the gradient does not depend on them.
 * Accuracy: loss_r within 0.5 ulp of w_y x_y; gradients correctly rounded. */
LOSSOPT_API lossopt_status lossopt_nll_f32(const float *log_probs, const int64_t *labels,
                                           size_t rows, size_t classes,
                                           const lossopt_ce_options *opt, float *loss,
                                           float *grad);

/* Kullback-Leibler divergence (PyTorch kl_div), elementwise over rows x cols:
 * input = log-probabilities q, target = probabilities p (log_target false) or
 * log-probabilities (log_target true). reduction MEAN (divides by rows * cols,
 * as PyTorch's 'mean'), SUM, NONE (rows * cols values) or LOSSOPT_BATCHMEAN
 * (SUM / rows, PyTorch's 'batchmean', the mathematical KL divergence of each
 * row averaged over the batch). Gradient scale r = 1 / (rows * cols) for
 * MEAN, 1 / rows for BATCHMEAN (in double), 1 for SUM and NONE;
 * c = (float)r. rows * cols == 0: SUM +0, MEAN NaN, BATCHMEAN 0 / rows
 * (NaN when rows == 0, +0 otherwise, as PyTorch's sum / input.size(0)).
 * Errors: NULL as every loss, rows * cols overflowing -> LOSSOPT_ERR_SIZE,
 * a reduction outside the four -> LOSSOPT_ERR_ARG. Targets are used as given
 * (PyTorch does not check them either).
 * Per element, with x = input, t = target and z = min(max(x, 0), 0) (+0, or
 * NaN where x is NaN):
 *   log_target false:  u = t * x;  l = fma(t, log(t), -u)
 *                      loss_i = t == 0 ? z : l      (0 log 0 = 0)
 *                      grad_i = -t * c
 *   log_target true:   e = exp(t);  l = e * (t - x)
 *                      loss_i = e == 0 ? z : l
 *                      grad_i = -e * c
 * This is PyTorch's xlogy(t, t) - t x and exp(t) (t - x), and its gradients
 * -t and -exp(t), for every finite input where the target's probability is
 * not 0. Where it is 0 (t == 0, or exp(t) == 0: t == -inf or below about
 * -104), the term is 0 for every non-NaN input, the limit of the
 * divergence: PyTorch gives NaN there for an infinite input (0 * inf) and,
 * with log_target, for t == -inf (exp(-inf) * inf). A NaN input gives NaN,
 * as PyTorch (the gradient does not depend on the input and stays -t * c,
 * -e * c). A negative target (log_target false) gives a NaN loss (log of a
 * negative number, as PyTorch's xlogy) and the gradient -t * c (as PyTorch
 * 1.13); a NaN target gives NaN in both.
 * Accuracy: each loss within 2 ulp of its largest term (max(|t log t|,
 * |t x|, |loss|), or e max(|t|, |x|, |t - x|)) -- the formula subtracts
 * nearly equal terms where the prediction matches the target -- 3 ulp with
 * log_target (exp's 1 ulp, the difference and the product: 2.4 ulp seen);
 * gradients within 2 ulp (-t * c is exact for SUM and NONE). */
LOSSOPT_API lossopt_status lossopt_kl_div_f32(const float *input, const float *target,
                                              size_t rows, size_t cols, bool log_target,
                                              lossopt_reduction r, float *loss, float *grad);

/* ---- losses on embedding rows: cosine_embedding, triplet_margin (0.2) ------ */
/* rows x dim inputs, row-major; loss: one float (MEAN over rows, SUM) or
 * `rows` floats (NONE); BATCHMEAN or another reduction -> LOSSOPT_ERR_ARG.
 * Each gradient pointer may be NULL (else rows x dim, every element
 * written); at least one of loss and the gradients must be non-NULL, and an
 * input may be NULL only when rows == 0 (else LOSSOPT_ERR_NULL); dim == 0
 * or rows * dim overflowing -> LOSSOPT_ERR_SIZE. Errors in the order NULL,
 * SIZE, ARG, all before anything is written; rows == 0: SUM +0, MEAN NaN.
 * r = 1 / rows for MEAN (in double), 1 for SUM and NONE. Per row, the sums
 * over dim are canonical sums (as above) of float terms, added up in
 * double; the per-row scalars are computed in double and rounded to float
 * once each; MEAN divides the double sum of the float row losses, in row
 * order from +0, by rows and rounds once (SUM rounds it once). */

/* Cosine embedding loss (PyTorch 1.13 cosine_embedding_loss): x1, x2 rows x
 * dim, y `rows` floats, margin any float but NaN (-> LOSSOPT_ERR_ARG;
 * PyTorch documents [-1, 1] and checks nothing). Per row:
 *   P = canonical sum of x1_j * x2_j;  m1 = (canonical sum of x1_j * x1_j) + 1e-12
 *   m2 = (canonical sum of x2_j * x2_j) + 1e-12      (PyTorch's EPSILON, added
 *                                     in double: PyTorch adds it in float)
 *   cos = P / sqrt(m1 * m2)           (double: no overflow of m1 * m2)
 *   y ==  1: loss_r = (float)(1 - cos);                s = -1
 *   y == -1: h = cos - margin; loss_r = (float)max(h, 0) (NaN stays NaN);
 *            s = h < 0 ? 0 : 1       (the gradient passes at h == 0, as
 *                                     PyTorch's clamp_min)
 *   any other y (0, 2, NaN, ...): loss_r = 0, gradient rows 0, without
 *            reading x1, x2 (PyTorch: where(y == 1, ...) + where(y == -1, ...),
 *            0 elsewhere); such rows still count in MEAN's divisor
 *   A = (float)(s r / sqrt(m1 m2)),  B1 = (float)(s r cos / m1),  B2 = (float)(s r cos / m2)
 *   grad_x1_j = fma(x2_j, A, -(x1_j * B1));  grad_x2_j = fma(x1_j, A, -(x2_j * B2))
 *   (s == 0: +0). This is PyTorch's autograd gradient s (x2 / |x1||x2| -
 *   cos x1 / |x1|^2), with |.|^2 including the 1e-12.
 * A zero vector: cos = 0 (the 1e-12 keeps the division finite), as PyTorch:
 * y == 1 gives loss 1 and, for x1 == 0, grad_x1 = -r x2 / sqrt(1e-12 m2) --
 * about 1e6 x2 / |x2| -- and grad_x2 = 0 (both 0 when both are zero).
 * Accuracy (measured against the row's largest term, as the terms cancel:
 * T = max(1, |cos|) for y = 1, max(|cos|, |margin|) for y = -1): the loss
 * within 2 ulp of T plus 2 gamma T, the rounding of the canonical float
 * sums over dim (gamma = (ceil(min(dim, 256) / 16) + 6) 2^-24); the
 * gradients within 2 ulp, or 2^-20 of the row's largest term G = r max_j of
 * |x2_j|, |x1_j| over sqrt(m1 m2) and |x1_j| / m1, |x2_j| / m2, plus 4 gamma G
 * (all against PyTorch's float64 autograd; 0.3 of that bound measured). */
LOSSOPT_API lossopt_status lossopt_cosine_embedding_f32(const float *x1, const float *x2,
                                                        const float *y, size_t rows, size_t dim,
                                                        float margin, lossopt_reduction r,
                                                        float *loss, float *grad_x1,
                                                        float *grad_x2);

/* Triplet margin loss (PyTorch 1.13 triplet_margin_loss): anchor a,
 * positive p, negative n, rows x dim each; p_norm = p is 1 or 2 (PyTorch's
 * default 2; else LOSSOPT_ERR_ARG); eps finite and >= 0 (PyTorch's default
 * 1e-6; negative, inf or NaN -> LOSSOPT_ERR_ARG: PyTorch accepts a negative
 * eps, which only shifts the difference); margin any float but NaN (PyTorch
 * checks nothing: 0 and negative margins are accepted). PyTorch's
 * pairwise_distance adds eps to the difference: per row,
 *   u_ap_j = (a_j - p_j) + eps,  u_an_j = (a_j - n_j) + eps,
 *   u_pn_j = (p_j - n_j) + eps (swap only)              (float, two roundings)
 *   D_xy = canonical sum of |u_xy_j| (p == 1), or sqrt(canonical sum of
 *          u_xy_j * u_xy_j) (p == 2, sqrt in double)
 *   D_neg = swap ? min(D_an, D_pn) : D_an     (NaN if either is NaN)
 *   h = (margin + D_ap) - D_neg               (double)
 *   loss_r = (float)max(h, 0)                 (NaN stays NaN)
 * Gradients (PyTorch's autograd choices): g = h < 0 ? 0 : r (passes at
 * h == 0, as clamp_min; NaN where h is NaN, so a NaN row's gradients are
 * NaN); min's gradient goes to the smaller distance, half to each at a tie
 * (g_an, g_pn; without swap g_an = g, g_pn = 0); a distance's slope is
 * sign(u) (p == 1, sign(0) = 0) or u / D (p == 2, 0 where D == 0: PyTorch's
 * norm gradient at 0). With A = (float)k(g, D_ap), B = (float)k(g_an, D_an),
 * C = (float)k(g_pn, D_pn), k(g, D) = g (p == 1) or g / D (p == 2; 0 * g at
 * D == 0), and v = sign(u) (p == 1) or u (p == 2):
 *   grad_anchor_j   = fma(v_ap_j, A, -(v_an_j * B))
 *   grad_positive_j = -fma(v_ap_j, A, v_pn_j * C) + 0  (-0 in place of
 *   grad_negative_j = fma(v_an_j, B, v_pn_j * C)        v_pn_j * C without swap;
 *                                       + 0: a zero grad_positive is +0)
 * (h < 0: +0). Accuracy (against PyTorch's float64 autograd, measured
 * against the row's largest term T = max(|margin|, D_ap, D_neg), as h
 * cancels): the loss within 2 ulp of T plus 2 gamma T (gamma as for
 * cosine_embedding: the canonical float sums over dim); the gradients
 * within 2 ulp, or 2^-20 of the row's largest term G (r for p == 1,
 * r max |u_j| / D for p == 2), plus 4 gamma G. */
LOSSOPT_API lossopt_status lossopt_triplet_margin_f32(const float *anchor, const float *positive,
                                                      const float *negative, size_t rows,
                                                      size_t dim, float margin, int p, float eps,
                                                      bool swap, lossopt_reduction r, float *loss,
                                                      float *grad_anchor, float *grad_positive,
                                                      float *grad_negative);

/* ------------------------------------------------------------------------- */
/* Optimizer updates                                                         */
/* ------------------------------------------------------------------------- */
/*
 * Each call updates one flat buffer of n float parameters in place, with
 * PyTorch's torch.optim semantics (single-tensor path), option for option.
 *
 * Common rules
 *   - Hyper-parameters are doubles, as PyTorch's are Python floats: PyTorch
 *     computes 1 - beta2 from the double 0.999 and rounds the result to float
 *     once; a float 0.999f would put 1 - beta2 1.3e-5 relative off and
 *     exp_avg_sq 100+ ulp away from torch.optim.Adam with its default betas.
 *   - State buffers start zeroed by the caller, as PyTorch's state does.
 *   - A state buffer that the configuration uses must not be NULL
 *     (LOSSOPT_ERR_NULL); one that it does not use may be NULL and, when not
 *     NULL, is never read or written. grad is never written. cfg NULL ->
 *     LOSSOPT_ERR_NULL. With n == 0 the data pointers may be NULL and the call
 *     still validates cfg and step.
 *   - Invalid configuration -> LOSSOPT_ERR_ARG and nothing is written: any NaN
 *     or infinite hyper-parameter; lr, eps, weight_decay or momentum < 0;
 *     beta1 or beta2 outside [0, 1); alpha or dampening outside [0, 1];
 *     nesterov with momentum == 0 or dampening != 0; step < 1; and a derived
 *     per-call coefficient (below) that is not a finite float, e.g. lr = 1e39
 *     (no float) or lr = 3e38 in Adam (finite, but its step size
 *     lr / (1 - beta1) is not). Coefficients the configuration does not use
 *     are not computed (an Adam decay factor without decoupled weight decay).
 *   - Coefficients: every per-call scalar below is computed once per call in
 *     double, from the config and `step`, as PyTorch does in Python, then
 *     rounded once to float ("(float)(...)"; a hyper-parameter used as it is
 *     is also rounded once, "(float)lr"). Every ISA receives the same floats,
 *     so every ISA gives the same bits.
 *   - Interpolations are PyTorch's two-branch lerp (torch.lerp), with the
 *     weight w rounded once to float:
 *         lerp(a, b, w) = w < 0.5 ? fma(w, b - a, a) : fma(w - 1, b - a, b)
 *     (w - 1 is exact in float for w >= 0.5). So beta1 = 0 gives
 *     exp_avg == grad bit for bit; a one-branch fma(w, b - a, a) would keep
 *     the rounding error of b - a there.
 *   - Notation for the exact per-element operation order below: each line is
 *     one IEEE float operation with one rounding; fma(a, b, c) = a*b + c with
 *     one rounding; max(a, b) is NaN if either is NaN, else the larger value,
 *     and b when a == b (so max(-0, +0) = +0 and max(+0, -0) = -0).
 *   - Accuracy: per element and per step, the result is within 4 ulp of the
 *     largest magnitude among the operands of the update of PyTorch's own
 *     single-tensor path (PyTorch's CPU kernels fuse differently from each
 *     other; ours are one fixed order on every CPU).
 */

/* --- SGD: gradient descent, mini-batch SGD, momentum, Nesterov ----------- */

typedef struct lossopt_sgd_config {
    double lr;           /* learning rate, >= 0                                  */
    double momentum;     /* >= 0; 0 = plain (mini-batch) gradient descent        */
    double dampening;    /* in [0, 1]                                           */
    double weight_decay; /* L2 penalty added to the gradient, >= 0              */
    bool nesterov;       /* needs momentum > 0 and dampening == 0               */
    bool maximize;       /* ascend instead of descend                           */
} lossopt_sgd_config;

/* PyTorch defaults: lr 1e-3, everything else 0/false. */
LOSSOPT_API lossopt_sgd_config lossopt_sgd_defaults(void);

/* One SGD step. momentum_buf (n floats) is used only when momentum != 0.
 * step is 1-based and counts this update: on step 1 the momentum buffer is set
 * to the (decayed) gradient, whatever it held, as PyTorch's first step does.
 * Coefficients: (float)lr, (float)weight_decay, (float)momentum,
 * (float)(1 - dampening).
 *
 *   g = maximize ? -grad : grad
 *   if weight_decay != 0:  g = fma(weight_decay, param, g)
 *   if momentum != 0:
 *       if step == 1:      buf = g
 *       else:              t = momentum * buf;  buf = fma(1 - dampening, g, t)
 *       if nesterov:       g = fma(momentum, buf, g)
 *       else:              g = buf
 *   param = fma(-lr, g, param)
 */
LOSSOPT_API lossopt_status lossopt_sgd_step_f32(float *param, const float *grad,
                                                float *momentum_buf, size_t n,
                                                const lossopt_sgd_config *cfg, int64_t step);

/* --- RMSprop ------------------------------------------------------------- */

typedef struct lossopt_rmsprop_config {
    double lr;           /* >= 0                                                 */
    double alpha;        /* smoothing constant of the squared average, [0, 1]    */
    double eps;          /* added to the root mean square, >= 0                  */
    double weight_decay; /* L2 penalty added to the gradient, >= 0              */
    double momentum;     /* >= 0; > 0 uses momentum_buf                         */
    bool centered;       /* subtract the squared mean gradient; uses grad_avg   */
    bool maximize;
} lossopt_rmsprop_config;

/* PyTorch defaults: lr 1e-2, alpha 0.99, eps 1e-8, everything else 0/false. */
LOSSOPT_API lossopt_rmsprop_config lossopt_rmsprop_defaults(void);

/* One RMSprop step. square_avg is always used; grad_avg only when centered;
 * momentum_buf only when momentum > 0. RMSprop has no step counter.
 * Coefficients: (float)lr, (float)alpha, (float)(1 - alpha), (float)eps,
 * (float)weight_decay, (float)momentum.
 *
 *   g = maximize ? -grad : grad
 *   if weight_decay != 0:  g = fma(weight_decay, param, g)
 *   s = alpha * square_avg;  t = (1 - alpha) * g;  square_avg = fma(t, g, s)
 *   if centered:
 *       grad_avg = lerp(grad_avg, g, 1 - alpha)            (two-branch, above)
 *       avg = sqrt(fma(-grad_avg, grad_avg, square_avg)) + eps
 *   else:
 *       avg = sqrt(square_avg) + eps
 *   if momentum > 0:
 *       t = momentum * momentum_buf;  momentum_buf = t + g / avg
 *       param = fma(-lr, momentum_buf, param)
 *   else:
 *       param = fma(-lr, g / avg, param)
 */
LOSSOPT_API lossopt_status lossopt_rmsprop_step_f32(float *param, const float *grad,
                                                    float *square_avg, float *grad_avg,
                                                    float *momentum_buf, size_t n,
                                                    const lossopt_rmsprop_config *cfg);

/* --- Adam, AdamW, AMSGrad ------------------------------------------------ */

typedef struct lossopt_adam_config {
    double lr;                   /* >= 0                                       */
    double beta1, beta2;         /* each in [0, 1)                             */
    double eps;                  /* added after the bias-corrected sqrt, >= 0  */
    double weight_decay;         /* >= 0                                       */
    bool decoupled_weight_decay; /* true = AdamW (decay the parameter),
                                    false = Adam (L2 added to the gradient)    */
    bool amsgrad;                /* uses max_exp_avg_sq                        */
    bool maximize;
} lossopt_adam_config;

/* PyTorch Adam defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.
 * For AdamW set decoupled_weight_decay = true and weight_decay (PyTorch's
 * AdamW default is 1e-2). */
LOSSOPT_API lossopt_adam_config lossopt_adam_defaults(void);

/* One Adam step; step is 1-based and counts this update. max_exp_avg_sq is
 * used only with amsgrad. Coefficients, in double, each rounded once to float:
 *   step_size  = lr / (1 - beta1^step)
 *   bc2_sqrt   = sqrt(1 - beta2^step)
 *   decay      = 1 - lr * weight_decay                     (AdamW only)
 *   and 1 - beta1, beta2, 1 - beta2, eps, weight_decay
 * Per element:
 *   g = maximize ? -grad : grad
 *   if weight_decay != 0:
 *       if decoupled:  param = param * decay
 *       else:          g = fma(weight_decay, param, g)
 *   exp_avg    = lerp(exp_avg, g, 1 - beta1)               (two-branch, above)
 *   s = beta2 * exp_avg_sq;  t = (1 - beta2) * g;  exp_avg_sq = fma(t, g, s)
 *   v = exp_avg_sq
 *   if amsgrad:  max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq);  v = max_exp_avg_sq
 *   denom = sqrt(v) / bc2_sqrt + eps
 *   param = fma(-step_size, exp_avg / denom, param)
 * (The vector kernels compute sqrt(v) / bc2_sqrt, a division by a per-call
 * constant, with a multiply and two fmas that give the IEEE quotient bit for
 * bit, so one division per element remains: PyTorch's order, PyTorch's
 * parity, at nearly the one-division speed. NAdam and LAMB do the same.)
 */
LOSSOPT_API lossopt_status lossopt_adam_step_f32(float *param, const float *grad, float *exp_avg,
                                                 float *exp_avg_sq, float *max_exp_avg_sq,
                                                 size_t n, const lossopt_adam_config *cfg,
                                                 int64_t step);

/* ------------------------------------------------------------------------- */
/* The engine step (0.2): tensor lists, 16-bit storage, unscale, clipping,    */
/* skipping, the caller's threads                                            */
/* ------------------------------------------------------------------------- */
/*
 * One call updates every tensor of one parameter group: any number of
 * tensors of any sizes (0 included), each with its param, grad, state and an
 * optional param copy, each buffer f32, bf16 or f16. It unscales and clips
 * the gradients, skips a step whose gradients overflowed, and spreads the
 * work over the caller's thread pool, in at most two passes over the
 * gradients (a statistics pass, then the step); it never writes a gradient,
 * and it gives the same bits for every thread count, with or without a
 * pool, and on every ISA.
 *
 * The gradient each element uses is
 *     g = grad * m,   m = (float)(grad_multiplier / loss_scale * clip_coef)
 * computed in double and rounded once to float (factors that are off count
 * as 1). When m is exactly 1 the grads are used as they are (no multiply), so
 * an all-f32 call with no options gives the same bits as the _f32 calls,
 * tensor by tensor. After g, each optimizer runs the per-element order of
 * its _f32 call above, in float, on the widened values.
 *
 * 16-bit storage
 *   - Loads widen exactly (bf16: the 16 bits become the f32's high half; f16:
 *     IEEE binary16, subnormals included).
 *   - Stores round to nearest even. NaN stays NaN (sign kept, quiet: bf16
 *     keeps the high half of the f32 NaN with bit 6 set; f16 keeps the top 10
 *     payload bits with bit 9 set, as x86 F16C and AArch64 fcvtn do). bf16 has
 *     every f32 exponent, so only NaN and rounding matter; f16 overflows to
 *     +-inf (from 65520 up) and has subnormals. PyTorch's c10::BFloat16 and
 *     c10::Half round the same way.
 *   - After a 16-bit store, later arithmetic of the same step uses the stored
 *     value: Adam's update reads the rounded exp_avg and exp_avg_sq, SGD's
 *     the rounded momentum buffer, the param copy the rounded param.
 *   - param_copy (optional) receives the updated param, as stored, rounded to
 *     nearest into precision.param_copy (a copy when both are f32).
 *
 * Stochastic rounding (precision.rounding = LOSSOPT_ROUND_STOCHASTIC) applies
 * to every bf16 store of param and state (f32 stores are exact; f16 stores
 * and param_copy always round to nearest). A bf16 store of a non-NaN f32 x
 * with bit pattern b stores (b + r) >> 16 (32-bit wrap-around arithmetic),
 * where r is 16 random bits: x rounds up with probability equal to its
 * distance from the value below, so E[stored] = x; patterns from 0x7F7F0001
 * up may round to +-inf. NaN is stored as with nearest. The random bits are
 * a counter-based function, the same on every ISA, thread count and
 * sharding, built from MurmurHash3's 32-bit finalizer
 *     fmix(x): x ^= x >> 16; x *= 0x85EBCA6B; x ^= x >> 13;
 *              x *= 0xC2B2AE35; x ^= x >> 16             (uint32_t arithmetic)
 * For element e of a tensor (0-based), i = e + sr_offset (uint64_t,
 * wrapping), buffer b (0 = param, 1 + k = state[k]) and the tensor's step s
 * (its own, or the call's):
 *     k = 0x243F6A88
 *     for w in (seed low, seed high, s low, s high, sr_stream low,
 *               sr_stream high, b, i high):     (32-bit halves of the uint64s)
 *         k = fmix(k ^ w) + 0x9E3779B9
 *     r = fmix(i low * 0x9E3779B1 + k) >> 16
 * where sr_stream is the tensor's sr_stream, or its position in the call's
 * array when sr_stream is 0, and s is taken as a uint64_t.
 *
 * The statistics pass runs iff max_grad_norm > 0 or skip_nonfinite; it reads
 * every grad once more. Otherwise report->grad_norm is NaN and nonfinite is
 * false (unchecked): a report never adds a pass.
 *   - nonfinite: some stored grad is inf or NaN (before any multiplier, as
 *     torch.cuda.amp.GradScaler checks).
 *   - The sum of squares: each widened grad g is squared in float (g * g,
 *     rounded) and summed in the canonical order of the losses above over
 *     each task range (below), giving a double per range; a tensor's sum adds
 *     its ranges in order in double from +0, and the call's sum adds the
 *     tensors' sums in order in double from +0.
 *   - grad_norm = sqrt(sum) * grad_multiplier / loss_scale, in double.
 *   - With max_grad_norm > 0, as torch.nn.utils.clip_grad_norm_:
 *     clip_coef = max_grad_norm / (grad_norm + 1e-6), in double; clip_coef > 1
 *     counts as 1 (no clipping); a NaN norm gives a NaN coefficient (every g
 *     becomes NaN), an infinite one 0.
 *   - With skip_nonfinite and a non-finite grad, nothing is written and the
 *     call returns LOSSOPT_OK with report->skipped = true (the step counter is
 *     the caller's: do not advance it for a skipped step). Without it,
 *     non-finite grads flow into the update as in PyTorch.
 *
 * Tasks and threads. The work is cut into tasks that depend only on the
 * tensors: a tensor of more than 65536 elements is cut into ranges of 65536
 * elements (a multiple of 256) and a last shorter range, each one task; runs
 * of consecutive tensors of at most 65536 elements each, together at most
 * 65536, are one task each. Every result (the update, the norm) is the same
 * for any split of the tasks over threads, so the bits are the same for 1, 2,
 * 3 ... 64 threads and without a pool. lossopt_parallel.run calls
 * fn(task_ctx, i) exactly once for every i < task_count, on any of its
 * threads and in any order, and returns when every call has returned.
 * lossopt never creates threads except in lossopt_threads_create; a call
 * without a pool (parallel NULL) runs every task on the calling thread and
 * allocates nothing. With a pool a call allocates one small task array (if
 * that fails it runs on the calling thread: the same bits).
 *
 * The FP environment: results are specified for the default environment
 * (round to nearest, no FTZ/DAZ). The built-in pool runs each task in the
 * calling thread's environment (fegetenv/fesetenv around the tasks); a
 * custom pool should do the same.
 *
 * Errors (class-major, as everywhere): the status is the first class, in the
 * order ISA, NULL, SIZE, ARG, DOMAIN, that fails anywhere in the config, the
 * options, the precision or any tensor, and all of it is checked before the
 * first write: a failing call (a bad buffer in tensor 7 of 10) has written
 * nothing in any tensor.
 *   - LOSSOPT_ERR_NULL: cfg NULL; t NULL with count > 0; options.parallel
 *     with a NULL run; a tensor with n > 0 and a NULL param or grad, or a
 *     NULL state buffer its configuration uses. An unused state buffer may
 *     be NULL and is never touched.
 *   - LOSSOPT_ERR_SIZE: a tensor with n > SIZE_MAX / 4 (its buffers could not
 *     fit in the address space as f32; the same bound for every dtype).
 *   - LOSSOPT_ERR_ARG: the config as in the _f32 calls; step < 1 or a
 *     tensor's step < 0; a dtype or rounding outside its enum; stochastic
 *     rounding when no param or used state store is bf16; loss_scale,
 *     grad_multiplier or max_grad_norm negative, NaN or infinite; a derived
 *     coefficient that is not a finite float, for the call's step and every
 *     tensor's own step.
 *   Tensors must not overlap each other (not checked); param_copy may have
 *   the same dtype as param (a copy) but must not overlap it.
 *
 * Several parameter groups clip globally like this (one norm over all of
 * them, as clip_grad_norm_ over model.parameters()):
 *     double sum_sq = 0, part; bool bad = false, b;
 *     for each group g: lossopt_grad_stats(g.t, g.count, grad_dtype, pool, &part, &b);
 *                       sum_sq += part; bad |= b;
 *     if (skip && bad) -> skip the whole step
 *     norm = sqrt(sum_sq) / loss_scale; coef = max / (norm + 1e-6); if (coef > 1) coef = 1;
 *     for each group g: opt.grad_multiplier = coef; opt.loss_scale = loss_scale;
 *                       opt.max_grad_norm = 0; lossopt_adam_step(&g.cfg, g.t, g.count, step, &opt, NULL);
 * (m is then (float)(coef / loss_scale), as in a one-group call that clips).
 */

typedef enum lossopt_dtype { LOSSOPT_F32 = 0, LOSSOPT_BF16 = 1, LOSSOPT_F16 = 2 } lossopt_dtype;

typedef enum lossopt_rounding {
    LOSSOPT_ROUND_NEAREST = 0,    /* IEEE round to nearest, ties to even       */
    LOSSOPT_ROUND_STOCHASTIC = 1  /* bf16 stores of param and state only       */
} lossopt_rounding;

typedef struct lossopt_tensor {   /* one parameter tensor and its buffers      */
    void *param;                  /* n values of precision.param               */
    const void *grad;             /* n values of precision.grad; never written */
    void *state[3];               /* the optimizer's state buffers, in the order
                                     its _f32 call lists them (SGD: momentum_buf;
                                     RMSprop: square_avg, grad_avg, momentum_buf;
                                     Adam: exp_avg, exp_avg_sq, max_exp_avg_sq;
                                     the 0.2 optimizers below likewise);
                                     n values of precision.state; NULL where the
                                     configuration uses none                   */
    void *param_copy;             /* NULL, or n values of precision.param_copy
                                     that receive the updated param, rounded to
                                     nearest (e.g. f32 master -> bf16 model)   */
    size_t n;
    int64_t step;                 /* 0: the call's step; else this tensor's own
                                     (torch keeps a step per parameter), >= 1   */
    uint64_t sr_stream;           /* stochastic-rounding identity of this tensor
                                     (e.g. a parameter id); 0: its array position */
    uint64_t sr_offset;           /* added to the element index in the stream: a
                                     shard starting at global element k passes k
                                     and draws the bits of the unsharded tensor */
} lossopt_tensor;

typedef struct lossopt_precision { /* zero-init: everything f32, round to nearest */
    lossopt_dtype param, grad, state, param_copy;
    lossopt_rounding rounding;     /* for 16-bit stores of param and state      */
    uint64_t seed;                 /* the stochastic-rounding stream            */
} lossopt_precision;

typedef void lossopt_task_fn(void *task_ctx, size_t task_index);

typedef struct lossopt_parallel {  /* the caller's thread pool                  */
    /* calls fn(task_ctx, i) exactly once for every i < task_count, on any of
       its threads, and returns when all calls have returned */
    void (*run)(void *pool, size_t task_count, lossopt_task_fn *fn, void *task_ctx);
    void *pool;
} lossopt_parallel;

/* A small built-in pthread pool for callers without one: threads in all,
 * counting the calling thread (which runs tasks too), so threads - 1 workers
 * are started here and kept, asleep, for every later call; 0 = one per online
 * CPU. threads > 1024 -> LOSSOPT_ERR_ARG; out NULL -> LOSSOPT_ERR_NULL; a
 * thread or memory that cannot be had -> LOSSOPT_ERR_RESOURCE (nothing kept).
 * One pool runs one call at a time (concurrent calls wait for each other); a
 * task must not call into the same pool. Destroy joins the workers; it
 * accepts a zeroed lossopt_parallel and clears *p. */
LOSSOPT_API lossopt_status lossopt_threads_create(unsigned threads, lossopt_parallel *out);
LOSSOPT_API void lossopt_threads_destroy(lossopt_parallel *p);

typedef struct lossopt_step_options {    /* zero-init (or NULL): all off       */
    const lossopt_precision *precision;  /* NULL: every buffer f32              */
    double loss_scale;      /* > 0: the grads carry this factor (dynamic loss
                               scaling) and are divided by it; 0 = none         */
    double grad_multiplier; /* > 0: one more factor on every grad, e.g. a clip
                               coefficient computed across processes; 0 = none  */
    double max_grad_norm;   /* > 0: clip the global L2 norm of all the call's
                               grads (times grad_multiplier / loss_scale) to
                               this, as torch's clip_grad_norm_; 0 = off        */
    bool skip_nonfinite;    /* any inf/NaN grad: update nothing, report it      */
    const lossopt_parallel *parallel;    /* NULL: the calling thread            */
} lossopt_step_options;

typedef struct lossopt_step_report {
    double grad_norm;       /* L2 norm of grad * grad_multiplier / loss_scale,
                               before clipping; NaN when not computed           */
    bool nonfinite;         /* some grad was inf or NaN (when checked)          */
    bool skipped;           /* nothing was written                              */
} lossopt_step_report;

/* The tensor-list steps. cfg is one parameter group's config, with the
 * semantics and validation of the _f32 call; step (1-based) is the call's
 * step, used by every tensor whose own step is 0 and by the stochastic-
 * rounding stream, so every call takes it, even where the update itself
 * does not (RMSprop). opt NULL = all options off; report NULL ok (on an
 * error it is not written). */
LOSSOPT_API lossopt_status lossopt_sgd_step(const lossopt_sgd_config *cfg, lossopt_tensor *t,
                                            size_t count, int64_t step,
                                            const lossopt_step_options *opt,
                                            lossopt_step_report *report);
LOSSOPT_API lossopt_status lossopt_rmsprop_step(const lossopt_rmsprop_config *cfg,
                                                lossopt_tensor *t, size_t count, int64_t step,
                                                const lossopt_step_options *opt,
                                                lossopt_step_report *report);
LOSSOPT_API lossopt_status lossopt_adam_step(const lossopt_adam_config *cfg, lossopt_tensor *t,
                                             size_t count, int64_t step,
                                             const lossopt_step_options *opt,
                                             lossopt_step_report *report);

/* The statistics pass alone (rules above), for engines that combine norms
 * across groups or processes: the sum of squares of the stored grads (no
 * multiplier) and whether any is inf or NaN. Only grad and n of each tensor
 * are read. sum_sq and nonfinite may be NULL. Errors: t NULL with count > 0,
 * a NULL grad with n > 0, or parallel without run -> LOSSOPT_ERR_NULL;
 * n > SIZE_MAX / 4 -> LOSSOPT_ERR_SIZE; grad outside the enum ->
 * LOSSOPT_ERR_ARG. */
LOSSOPT_API lossopt_status lossopt_grad_stats(const lossopt_tensor *t, size_t count,
                                              lossopt_dtype grad,
                                              const lossopt_parallel *parallel,
                                              double *sum_sq, bool *nonfinite);


/* ------------------------------------------------------------------------- */
/* More optimizers (0.2): Adagrad, Adamax, NAdam, RAdam, Lion, LAMB           */
/* ------------------------------------------------------------------------- */
/*
 * Each has a _f32 call on one buffer (rules of "Optimizer updates" above) and
 * a tensor-list call (rules of "The engine step" above: cfg, t, count, step,
 * opt, report; a tensor's state[k] is the k-th state buffer of its _f32 call).
 * The _f32 call is the tensor-list call on one all-f32 tensor without
 * options: the same validation, the same bits. Every config field is a
 * double hyper-parameter; NaN or infinite -> LOSSOPT_ERR_ARG, as are lr, eps,
 * weight_decay, lr_decay, momentum_decay, initial_accumulator_value or
 * max_trust_ratio < 0, beta1 or beta2 outside [0, 1), and step < 1 (every
 * call takes step: the stochastic-rounding stream uses it). The notation
 * (one IEEE float operation per step, fma, max, the two-branch lerp,
 * "(float)(...)" for a double coefficient rounded once) is the one above.
 */

/* --- Adagrad (torch.optim.Adagrad) --------------------------------------- */

typedef struct lossopt_adagrad_config {
    double lr;                        /* >= 0                                  */
    double lr_decay;                  /* >= 0                                  */
    double weight_decay;              /* L2 penalty added to the gradient      */
    double initial_accumulator_value; /* >= 0: what the caller fills `sum` with
                                         before the first step (PyTorch's state
                                         init); validated, not used by a step  */
    double eps;                       /* added to sqrt(sum), >= 0              */
    bool maximize;
} lossopt_adagrad_config;

/* PyTorch defaults: lr 1e-2, eps 1e-10, everything else 0/false. */
LOSSOPT_API lossopt_adagrad_config lossopt_adagrad_defaults(void);

/* One Adagrad step; state: sum (n floats, filled by the caller with
 * initial_accumulator_value before step 1). Coefficient:
 *   clr = lr / (1 + (step - 1) * lr_decay)
 * Per element:
 *   g = maximize ? -grad : grad
 *   if weight_decay != 0:  g = fma(weight_decay, param, g)
 *   sum = fma(g, g, sum)
 *   std = sqrt(sum) + eps
 *   param = fma(-clr, g / std, param)
 */
LOSSOPT_API lossopt_status lossopt_adagrad_step_f32(float *param, const float *grad, float *sum,
                                                    size_t n, const lossopt_adagrad_config *cfg,
                                                    int64_t step);

/* --- Adamax (torch.optim.Adamax) ----------------------------------------- */

typedef struct lossopt_adamax_config {
    double lr, beta1, beta2, eps, weight_decay;
    bool maximize;
} lossopt_adamax_config;

/* PyTorch defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0. */
LOSSOPT_API lossopt_adamax_config lossopt_adamax_defaults(void);

/* One Adamax step; states: exp_avg, exp_inf. Coefficient:
 *   clr = lr / (1 - beta1^step)
 * Per element:
 *   g = maximize ? -grad : grad
 *   if weight_decay != 0:  g = fma(weight_decay, param, g)
 *   exp_avg = lerp(exp_avg, g, 1 - beta1)
 *   s = beta2 * exp_inf;  u = |g| + eps;  exp_inf = max(s, u)
 *   param = fma(-clr, exp_avg / exp_inf, param)
 */
LOSSOPT_API lossopt_status lossopt_adamax_step_f32(float *param, const float *grad,
                                                   float *exp_avg, float *exp_inf, size_t n,
                                                   const lossopt_adamax_config *cfg,
                                                   int64_t step);

/* --- NAdam (torch.optim.NAdam, PyTorch 2.x's algorithm) ------------------- */

typedef struct lossopt_nadam_config {
    double lr, beta1, beta2, eps, weight_decay;
    double momentum_decay;       /* psi, >= 0                                   */
    bool decoupled_weight_decay; /* true: decay the parameter (NAdamW)          */
    bool maximize;
} lossopt_nadam_config;

/* PyTorch defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0,
 * momentum_decay 4e-3. */
LOSSOPT_API lossopt_nadam_config lossopt_nadam_defaults(void);

/* One NAdam step; states: exp_avg, exp_avg_sq. *mu_product is the product of
 * the momentum coefficients of the earlier steps, a double the caller keeps
 * (1.0 before the first step; PyTorch keeps it per parameter); it must be
 * in [0, 1] (else LOSSOPT_ERR_ARG: NaN, inf, negative, > 1) and NULL is
 * LOSSOPT_ERR_NULL, also with n == 0. 0 is valid: beta1 = 0 makes it 0
 * after step 1, and a long run's product underflows to 0 (beta1 0.5: step
 * 556); PyTorch carries on with 1 - 0 = 1, and so does this. A successful
 * step replaces it by P below; a failed or skipped one leaves it. Coefficients, in double (t = step):
 *   mu      = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))
 *   mu_next = beta1 * (1 - 0.5 * 0.96^((t + 1) * momentum_decay))
 *   P = *mu_product * mu;   P_next = P * mu_next
 *   c_grad  = -lr * (1 - mu) / (1 - P)
 *   c_avg   = -lr * mu_next / (1 - P_next)
 *   bc2_sqrt = sqrt(1 - beta2^t);  decay = 1 - lr * weight_decay (decoupled)
 * Per element:
 *   g = maximize ? -grad : grad
 *   if weight_decay != 0:
 *       if decoupled:  param = param * decay
 *       else:          g = fma(weight_decay, param, g)
 *   exp_avg = lerp(exp_avg, g, 1 - beta1)
 *   s = beta2 * exp_avg_sq;  t = (1 - beta2) * g;  exp_avg_sq = fma(t, g, s)
 *   denom = sqrt(exp_avg_sq) / bc2_sqrt + eps
 *   param = fma(c_grad, g / denom, param)
 *   param = fma(c_avg, exp_avg / denom, param)
 * (PyTorch 1.13's single-tensor NAdam multiplies mu into mu_product twice per
 * step, a bug its foreach path and 2.x do not have; this is 2.x's algorithm,
 * which keeps mu_product as a float tensor: ours is a double.) */
LOSSOPT_API lossopt_status lossopt_nadam_step_f32(float *param, const float *grad,
                                                  float *exp_avg, float *exp_avg_sq,
                                                  double *mu_product, size_t n,
                                                  const lossopt_nadam_config *cfg, int64_t step);

/* --- RAdam (torch.optim.RAdam) -------------------------------------------- */

typedef struct lossopt_radam_config {
    double lr, beta1, beta2, eps, weight_decay;
    bool decoupled_weight_decay; /* true: decay the parameter                   */
    bool maximize;
} lossopt_radam_config;

/* PyTorch defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0. */
LOSSOPT_API lossopt_radam_config lossopt_radam_defaults(void);

/* One RAdam step; states: exp_avg, exp_avg_sq. Coefficients, in double
 * (t = step):
 *   bc1 = 1 - beta1^t;  bc2 = 1 - beta2^t
 *   rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / bc2
 *   rectified = rho_t > 5
 *   rect = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
 *   step_size = rectified ? lr * rect * sqrt(bc2) / bc1 : lr / bc1
 *   decay = 1 - lr * weight_decay (decoupled)
 * Per element:
 *   g = maximize ? -grad : grad
 *   if weight_decay != 0:
 *       if decoupled:  param = param * decay
 *       else:          g = fma(weight_decay, param, g)
 *   exp_avg = lerp(exp_avg, g, 1 - beta1)
 *   s = beta2 * exp_avg_sq;  t = (1 - beta2) * g;  exp_avg_sq = fma(t, g, s)
 *   if rectified:  param = fma(-step_size, exp_avg / (sqrt(exp_avg_sq) + eps), param)
 *   else:          param = fma(-step_size, exp_avg, param)
 * (eps is added to the uncorrected sqrt(exp_avg_sq), as in PyTorch.) */
LOSSOPT_API lossopt_status lossopt_radam_step_f32(float *param, const float *grad,
                                                  float *exp_avg, float *exp_avg_sq, size_t n,
                                                  const lossopt_radam_config *cfg, int64_t step);

/* --- Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms") */

typedef struct lossopt_lion_config {
    double lr, beta1, beta2;
    double weight_decay;         /* decoupled: the parameter decays             */
    bool maximize;
} lossopt_lion_config;

/* Defaults: lr 1e-4, betas (0.9, 0.99), weight decay 0. */
LOSSOPT_API lossopt_lion_config lossopt_lion_defaults(void);

/* One Lion step; state: exp_avg. Coefficients: (float)lr, 1 - beta1,
 * 1 - beta2, decay = 1 - lr * weight_decay. Lion has no step counter (step
 * is still validated and seeds stochastic rounding). Per element:
 *   g = maximize ? -grad : grad
 *   c = lerp(exp_avg, g, 1 - beta1)
 *   if weight_decay != 0:  param = param * decay
 *   param = fma(-lr, sign(c), param)
 *   exp_avg = lerp(exp_avg, g, 1 - beta2)
 * sign(c) is exactly +1 for c > 0 and -1 for c < 0, however small |c| (a
 * subnormal c steps by lr), and c itself for +-0 (no step) and NaN. */
LOSSOPT_API lossopt_status lossopt_lion_step_f32(float *param, const float *grad,
                                                 float *exp_avg, size_t n,
                                                 const lossopt_lion_config *cfg, int64_t step);

/* --- LAMB (You et al. 2020; NVIDIA apex FusedLAMB's formula) -------------- */

typedef struct lossopt_lamb_config {
    double lr, beta1, beta2, eps, weight_decay;
    double max_trust_ratio; /* > 0: the trust ratio is clamped to it; 0 = off   */
    bool bias_correction;   /* divide the moments by 1 - beta^step              */
    bool always_adapt;      /* use the trust ratio also when weight_decay == 0  */
    bool maximize;
} lossopt_lamb_config;

/* apex FusedLAMB defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-6,
 * weight_decay 0.01, bias_correction true, max_trust_ratio 0,
 * always_adapt false. (apex's own global grad-norm clipping is the engine
 * step's max_grad_norm option here.) */
LOSSOPT_API lossopt_lamb_config lossopt_lamb_defaults(void);

/* One LAMB step; states: exp_avg, exp_avg_sq. Two passes over each tensor
 * (a whole buffer for the _f32 call). Coefficients, in double:
 *   bc1 = bias_correction ? 1 - beta1^step : 1
 *   bc2_sqrt = bias_correction ? sqrt(1 - beta2^step) : 1
 * Pass 1, per element:
 *   g = maximize ? -grad : grad
 *   exp_avg = lerp(exp_avg, g, 1 - beta1)
 *   s = beta2 * exp_avg_sq;  t = (1 - beta2) * g;  exp_avg_sq = fma(t, g, s)
 *   u = (exp_avg / bc1) / (sqrt(exp_avg_sq) / bc2_sqrt + eps)
 *   if weight_decay != 0:  u = fma(weight_decay, param, u)
 * and the two sums of squares p2 = sum of param * param and u2 = sum of
 * u * u (each square rounded to float), in the canonical order over each
 * task range and in double over a tensor's ranges in order, exactly as the
 * statistics pass of "The engine step" sums grads: the same bits on every
 * ISA and thread count. The trust ratio of the tensor, in double:
 *   r = 1                                  when weight_decay == 0 and not always_adapt
 *   r = p2 > 0 && u2 > 0 ? sqrt(p2) / sqrt(u2) : 1      otherwise (a NaN sum gives 1,
 *                                          an inf one inf or NaN: data, never an error)
 *   if max_trust_ratio > 0 and r > max_trust_ratio:  r = max_trust_ratio
 * Pass 2, per element, with u recomputed from the stored states and param:
 *   param = fma(-(float)(lr * r), u, param)
 * param (and the param copy) is written in pass 2 only; ||param|| is the
 * norm before the update. */
LOSSOPT_API lossopt_status lossopt_lamb_step_f32(float *param, const float *grad,
                                                 float *exp_avg, float *exp_avg_sq, size_t n,
                                                 const lossopt_lamb_config *cfg, int64_t step);

/* The tensor-list forms (rules of "The engine step"). NAdam takes one
 * mu_product per tensor (count entries, NULL -> LOSSOPT_ERR_NULL when
 * count > 0), each validated before anything is written and, when the step
 * is not skipped, multiplied by its tensor's mu (for its own step). */
LOSSOPT_API lossopt_status lossopt_adagrad_step(const lossopt_adagrad_config *cfg,
                                                lossopt_tensor *t, size_t count, int64_t step,
                                                const lossopt_step_options *opt,
                                                lossopt_step_report *report);
LOSSOPT_API lossopt_status lossopt_adamax_step(const lossopt_adamax_config *cfg,
                                               lossopt_tensor *t, size_t count, int64_t step,
                                               const lossopt_step_options *opt,
                                               lossopt_step_report *report);
LOSSOPT_API lossopt_status lossopt_nadam_step(const lossopt_nadam_config *cfg,
                                              double *mu_products, lossopt_tensor *t,
                                              size_t count, int64_t step,
                                              const lossopt_step_options *opt,
                                              lossopt_step_report *report);
LOSSOPT_API lossopt_status lossopt_radam_step(const lossopt_radam_config *cfg,
                                              lossopt_tensor *t, size_t count, int64_t step,
                                              const lossopt_step_options *opt,
                                              lossopt_step_report *report);
LOSSOPT_API lossopt_status lossopt_lion_step(const lossopt_lion_config *cfg, lossopt_tensor *t,
                                             size_t count, int64_t step,
                                             const lossopt_step_options *opt,
                                             lossopt_step_report *report);
LOSSOPT_API lossopt_status lossopt_lamb_step(const lossopt_lamb_config *cfg, lossopt_tensor *t,
                                             size_t count, int64_t step,
                                             const lossopt_step_options *opt,
                                             lossopt_step_report *report);

/* ------------------------------------------------------------------------- */
/* Losses for engines: the io forms (0.2)                                    */
/* ------------------------------------------------------------------------- */
/*
 * Every loss has one more entry point, named without _f32, that takes its
 * inputs and gradients through a layout description: 16-bit logits, a
 * gradient that accumulates over micro-batches and carries the loss scale,
 * padded rows, int32 labels, and (cross-entropy) a gradient that overwrites
 * the logits. Each io form takes the arguments of its _f32 twin with
 * `const void *` for every input that has a gradient, `void *` for every
 * gradient, and `const lossopt_loss_io *io` right before `loss`.
 *
 *   io NULL or all zero: exactly the bits of the _f32 twin.
 *   io->input types every `const void *` input that has a gradient (the
 *     predictions, logits, scores, log-probabilities; gaussian_nll's input
 *     and var; margin_ranking's x1 and x2; cosine_embedding's x1 and x2;
 *     triplet_margin's anchor, positive and negative). Targets, labels'
 *     companions, weights and the y of margin_ranking and cosine_embedding
 *     stay f32. 16-bit values widen exactly
 *     and the loss runs on the widened values: the result equals the f32
 *     call on them, bit for bit. The loss value is always f32.
 *   io->grad types every gradient. Each gradient element is the f32 term
 *     of the _f32 call (its c and reduction included), then
 *       new    = term * (float)grad_scale     (grad_scale 0 means 1: no multiply)
 *       stored = accumulate ? widen(stored) + new : new     (f32, never an fma)
 *     rounded once to the gradient's dtype, to nearest even. Outputs not
 *     requested (NULL) are not touched; the loss value ignores grad_scale.
 *   io->row_stride (row-wise losses: cross_entropy, cross_entropy_probs,
 *     multi_margin, nll, multilabel_soft_margin; and the rows x dim of
 *     cosine_embedding and triplet_margin, dim in place of classes): the
 *     elements between the starts of consecutive rows of every rows x
 *     classes operand (inputs, cross_entropy_probs' target_probs and
 *     multilabel_soft_margin's targets, gradients; not cosine_embedding's
 *     y, one float per row); 0 means classes. A buffer spans (rows - 1) * stride +
 *     classes elements; the padding columns between classes and stride are
 *     never read or written. Elementwise losses (kl_div included) take no
 *     stride: non-zero -> LOSSOPT_ERR_ARG.
 *   io->labels: the labels of cross_entropy, multi_margin and nll are
 *     int64_t (LOSSOPT_LABELS_I64) or int32_t (LOSSOPT_LABELS_I32).
 *   In place: cross_entropy and cross_entropy_probs accept grad == logits
 *     (same dtype; the stride is shared): the gradient overwrites the
 *     logits row by row, and every output equals the separate-buffer call
 *     bit for bit. With accumulate, or another grad dtype ->
 *     LOSSOPT_ERR_ARG. No other overlap is allowed (not checked).
 *
 * How (dispatch/loss_io.c): a call with any of these options is staged
 * through the _f32 kernels - elementwise losses a canonical block (256
 * elements) at a time, row-wise losses a row at a time - with the
 * vectorised conversions of the active ISA; the canonical sums and row
 * sums are unchanged, so are the bits. Row-wise calls that stage (16-bit
 * operands, a gradient that is scaled, accumulated or 16-bit, in place)
 * allocate one or two rows of f32 scratch per call: LOSSOPT_ERR_RESOURCE,
 * before anything is written, if it cannot be had. With f32 gradients each
 * logit's exp is taken once, as in the _f32 call.
 *
 * Errors, in the order of every call (NULL, SIZE, ARG, DOMAIN): those of
 * the _f32 twin; a span that overflows (SIZE); a dtype or label type
 * outside its enum, grad_scale negative, NaN, infinite or beyond the float
 * range, row_stride < classes, a row_stride on an elementwise loss, an
 * invalid in-place call (ARG). DOMAIN checks (labels, bce's probabilities,
 * gaussian_nll's var) read the widened inputs before anything is written.
 */

typedef enum lossopt_label_type { LOSSOPT_LABELS_I64 = 0, LOSSOPT_LABELS_I32 = 1 } lossopt_label_type;

typedef struct lossopt_loss_io {  /* zero-init (or NULL): f32, dense, grad overwritten, scale 1 */
    lossopt_dtype input;          /* predictions / logits / scores                  */
    lossopt_dtype grad;           /* the gradient buffers                           */
    bool accumulate;              /* grad = widen(grad) + new, rounded once         */
    double grad_scale;            /* > 0: every gradient element times (float)grad_scale;
                                     0 = 1                                          */
    size_t row_stride;            /* row-wise: elements between row starts; 0 = classes */
    lossopt_label_type labels;    /* class-index labels: int64 or int32             */
} lossopt_loss_io;

LOSSOPT_API lossopt_status lossopt_mse(const void *input, const float *target, size_t n,
                                       lossopt_reduction r, const lossopt_loss_io *io,
                                       float *loss, void *grad);
LOSSOPT_API lossopt_status lossopt_l1(const void *input, const float *target, size_t n,
                                      lossopt_reduction r, const lossopt_loss_io *io,
                                      float *loss, void *grad);
LOSSOPT_API lossopt_status lossopt_huber(const void *input, const float *target, size_t n,
                                         float delta, lossopt_reduction r,
                                         const lossopt_loss_io *io, float *loss, void *grad);
LOSSOPT_API lossopt_status lossopt_smooth_l1(const void *input, const float *target, size_t n,
                                             float beta, lossopt_reduction r,
                                             const lossopt_loss_io *io, float *loss, void *grad);
LOSSOPT_API lossopt_status lossopt_hinge(const void *score, const float *label, size_t n,
                                         lossopt_reduction r, const lossopt_loss_io *io,
                                         float *loss, void *grad);
LOSSOPT_API lossopt_status lossopt_squared_hinge(const void *score, const float *label, size_t n,
                                                 lossopt_reduction r, const lossopt_loss_io *io,
                                                 float *loss, void *grad);
LOSSOPT_API lossopt_status lossopt_bce(const void *prob, const float *target, size_t n,
                                       const float *weight, lossopt_reduction r,
                                       const lossopt_loss_io *io, float *loss, void *grad);
LOSSOPT_API lossopt_status lossopt_bce_logits(const void *logit, const float *target, size_t n,
                                              const float *weight, float pos_weight,
                                              lossopt_reduction r, const lossopt_loss_io *io,
                                              float *loss, void *grad);
LOSSOPT_API lossopt_status lossopt_soft_margin(const void *input, const float *target, size_t n,
                                               lossopt_reduction r, const lossopt_loss_io *io,
                                               float *loss, void *grad);
LOSSOPT_API lossopt_status lossopt_poisson_nll(const void *input, const float *target, size_t n,
                                               bool log_input, bool full, float eps,
                                               lossopt_reduction r, const lossopt_loss_io *io,
                                               float *loss, void *grad);
LOSSOPT_API lossopt_status lossopt_kl_div(const void *input, const float *target, size_t rows,
                                          size_t cols, bool log_target, lossopt_reduction r,
                                          const lossopt_loss_io *io, float *loss, void *grad);
LOSSOPT_API lossopt_status lossopt_margin_ranking(const void *x1, const void *x2, const float *y,
                                                  size_t n, float margin, lossopt_reduction r,
                                                  const lossopt_loss_io *io, float *loss,
                                                  void *grad_x1, void *grad_x2);
LOSSOPT_API lossopt_status lossopt_gaussian_nll(const void *input, const float *target,
                                                const void *var, size_t n, bool full, float eps,
                                                lossopt_reduction r, const lossopt_loss_io *io,
                                                float *loss, void *grad_input, void *grad_var);
LOSSOPT_API lossopt_status lossopt_cross_entropy(const void *logits, const void *labels,
                                                 size_t rows, size_t classes,
                                                 const lossopt_ce_options *opt,
                                                 const lossopt_loss_io *io, float *loss,
                                                 void *grad);
LOSSOPT_API lossopt_status lossopt_cross_entropy_probs(const void *logits,
                                                       const float *target_probs, size_t rows,
                                                       size_t classes,
                                                       const lossopt_ce_options *opt,
                                                       const lossopt_loss_io *io, float *loss,
                                                       void *grad);
LOSSOPT_API lossopt_status lossopt_multi_margin(const void *scores, const void *labels,
                                                size_t rows, size_t classes, int p, float margin,
                                                const float *class_weight, lossopt_reduction r,
                                                const lossopt_loss_io *io, float *loss, void *grad);
LOSSOPT_API lossopt_status lossopt_nll(const void *log_probs, const void *labels, size_t rows,
                                       size_t classes, const lossopt_ce_options *opt,
                                       const lossopt_loss_io *io, float *loss, void *grad);
LOSSOPT_API lossopt_status lossopt_multilabel_soft_margin(const void *input, const float *target,
                                                          size_t rows, size_t classes,
                                                          const float *class_weight,
                                                          lossopt_reduction r,
                                                          const lossopt_loss_io *io, float *loss,
                                                          void *grad);
LOSSOPT_API lossopt_status lossopt_cosine_embedding(const void *x1, const void *x2, const float *y,
                                                    size_t rows, size_t dim, float margin,
                                                    lossopt_reduction r, const lossopt_loss_io *io,
                                                    float *loss, void *grad_x1, void *grad_x2);
LOSSOPT_API lossopt_status lossopt_triplet_margin(const void *anchor, const void *positive,
                                                  const void *negative, size_t rows, size_t dim,
                                                  float margin, int p, float eps, bool swap,
                                                  lossopt_reduction r, const lossopt_loss_io *io,
                                                  float *loss, void *grad_anchor,
                                                  void *grad_positive, void *grad_negative);

#ifdef __cplusplus
}
#endif

#endif /* LOSSOPT_H */
