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
    LOSSOPT_ERR_ISA    = 5  /* the requested/forced ISA is not built or not supported  */
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
 *   An invalid reduction value -> LOSSOPT_ERR_ARG.
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
    LOSSOPT_NONE = 2
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
 *            error of x_j - m, exact by TwoSum, corrects it: e (1 + err))
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
 * still in cache. */
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
 */
LOSSOPT_API lossopt_status lossopt_adam_step_f32(float *param, const float *grad, float *exp_avg,
                                                 float *exp_avg_sq, float *max_exp_avg_sq,
                                                 size_t n, const lossopt_adam_config *cfg,
                                                 int64_t step);

#ifdef __cplusplus
}
#endif

#endif /* LOSSOPT_H */
