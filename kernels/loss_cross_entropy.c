/* kernels/loss_cross_entropy.c - cross-entropy with class-index labels and
 * with soft targets, written once for all vector ISAs: per row the vector
 * passes (max, exp with the canonical sums, gradient) and the per-row
 * scalars between them (in double, SLEEF's scalar log for the row). The
 * scalar oracle, kernels/scalar/cross_entropy_scalar.c, writes the same
 * algorithm out plainly, so the per-row formulas are tested bit for bit too.
 * Order of operations: include/lossopt.h, lossopt_cross_entropy_f32 and
 * lossopt_cross_entropy_probs_f32.
 *
 * Speed (SPEC.md section 3: at most 1.5 SLEEF exp passes of the same ISA):
 * the exp calls (phase 1) take two thirds of the time and every other
 * operation per element counts, so the passes are specialised on their
 * options (no per-vector tests), the label is left out in its canonical
 * block only, the exp correction takes Fast2Sum's two operations where
 * they are exact, and with a gradient the correction loop (phase 2) of row
 * r also takes row r + 1's max and least logit and (class indices) runs
 * row r - 1's gradient pass: only the first row has a max pass and only
 * the last one a gradient pass of its own. Nothing moves into phase 1,
 * whose out-of-line calls make every added operation dearer there. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "float_ops.h"
#include "kernel_table.h"
#include "vec/vec.h"
#include "row_sums.h"


/* A row's max and least logit, as vectors of candidates: most by vec_max
 * (a NaN sticks), least by a compare and select (NaN is skipped: a NaN
 * logit makes the max NaN, and then the least is not used). Neither
 * depends on the order (only a NaN's payload or the sign of a zero could,
 * and neither changes exp(x - m) or the loss) nor on an element seen twice. */
typedef struct row_range {
    vfloat most, least;
} row_range;

LOSSOPT_ALWAYS_INLINE void range_add(row_range *r, vfloat v)
{
    r->most = vec_max(v, r->most);
    r->least = vec_select(vec_lt(v, r->least), v, r->least);
}

/* The max (returned) and the least logit (*min) of the candidates. */
static float range_finish(const row_range *r, float *min)
{
    float most[VEC_WIDTH], least[VEC_WIDTH];
    vec_store(most, r->most);
    vec_store(least, r->least);
    float m = -INFINITY, lowest = INFINITY;
    for (int l = 0; l < VEC_WIDTH; l++) {
        m = lossopt_max_nan(most[l], m);
        lowest = least[l] < lowest ? least[l] : lowest;
    }
    *min = lowest;
    return m;
}

/* max of x[0..classes), NaN if any is NaN, and in *min the least logit
 * when the max is not NaN (then no logit is), which says whether
 * exp_correct_short applies (exp_error_is_short). Four ranges take turns
 * (vec_max, a max and a NaN blend, is a chain of several cycles that one
 * would wait on), and the last vector ends at the row's end, overlapping
 * the one before it. With a gradient, the kernels take every row's range
 * but the first inside the previous row's phase 2 instead (exp_context). */
static float row_max(const float *x, size_t classes, float *min)
{
    if (classes < VEC_WIDTH) {
        float m = -INFINITY, least = INFINITY;
        for (size_t j = 0; j < classes; j++) {
            m = lossopt_max_nan(x[j], m);
            least = x[j] < least ? x[j] : least;
        }
        *min = least;
        return m;
    }
    row_range ranges[4];
    for (int q = 0; q < 4; q++)
        ranges[q].most = ranges[q].least = vec_load(x + classes - VEC_WIDTH);
    size_t j = 0;
    for (; j + 4 * VEC_WIDTH <= classes; j += 4 * VEC_WIDTH)
        for (int q = 0; q < 4; q++)
            range_add(&ranges[q], vec_load(x + j + (size_t)q * VEC_WIDTH));
    for (; j + VEC_WIDTH <= classes; j += VEC_WIDTH)
        range_add(&ranges[0], vec_load(x + j));
    for (int q = 1; q < 4; q++) { /* their lanes are row elements too */
        range_add(&ranges[0], ranges[q].most);
        range_add(&ranges[0], ranges[q].least);
    }
    return range_finish(&ranges[0], min);
}

/* The first j with x[j] == value, or classes: where a row's max sits. */
static size_t row_find(const float *x, size_t classes, float value)
{
    size_t j = 0;
    vfloat wanted = vec_set1(value);
    for (; j + VEC_WIDTH <= classes; j += VEC_WIDTH)
        if (vec_mask_any(vec_eq(vec_load(x + j), wanted)))
            break;
    for (; j < classes; j++)
        if (x[j] == value)
            return j;
    return classes;
}

/* exp(x - m) where shifted = x - m rounded: the rounding error of the
 * subtraction (exact, by TwoSum) corrects the result, e (1 + err), so a row
 * whose logits span a wide range keeps full accuracy (without it, exp
 * inherits |x - m| * 2^-24 of relative error: 28 ulp at a gap of 56). A NaN
 * error (an infinite x or m) leaves e as it is. */
LOSSOPT_ALWAYS_INLINE vfloat exp_correct(vfloat x, vfloat m, vfloat shifted, vfloat e)
{
    vfloat virtual_m = vec_sub(shifted, x);                  /* -m as rounded into shifted */
    vfloat virtual_x = vec_sub(shifted, virtual_m);
    vfloat err = vec_sub(vec_sub(x, virtual_x), vec_add(m, virtual_m));
    return vec_select(vec_isnan(err), e, vec_fma(e, err, e));
}

LOSSOPT_ALWAYS_INLINE vfloat exp_of_difference(vfloat x, vfloat m, vfloat shifted)
{
    return exp_correct(x, m, shifted, vec_exp(shifted));
}

/* The same e (1 + err) in a row where no logit has a larger exponent than m
 * (m normal and positive, x - m cannot overflow: exp_error_is_short): then
 * Dekker's Fast2Sum of -m and x gives the exact error in two operations,
 * err = x - ((x - m) + m) (its condition in radix 2: the exponent of -m is
 * at least that of x), and it is finite. The exact error is one number, so
 * this is TwoSum's err (but perhaps for the sign of a zero err, which
 * fma(e, err, e) does not see: e is in [0, 1]): the same bits as
 * exp_correct, with four fewer operations and a shorter chain per vector. */
LOSSOPT_ALWAYS_INLINE vfloat exp_correct_short(vfloat x, vfloat m, vfloat shifted, vfloat e)
{
    vfloat err = vec_sub(x, vec_add(shifted, m));
    return vec_fma(e, err, e);
}

/* Whether exp_correct_short applies to a row with max m and least logit
 * min (row_max): m normal, positive and at most 2^125 (|x - m| < 3m stays
 * finite), and min above -2^(e_m + 1), the power of two above m (every x
 * in [min, m] then has an exponent <= e_m). False for a NaN or infinite m
 * (a NaN logit makes m NaN) and for a -inf logit. */
static bool exp_error_is_short(float m, float min)
{
    if (!(m >= FLT_MIN && m <= 0x1p125f))
        return false;
    uint32_t bits;
    memcpy(&bits, &m, sizeof bits);
    bits = (bits & 0x7f800000u) + 0x00800000u; /* m's exponent + 1, mantissa 0 */
    float above;
    memcpy(&above, &bits, sizeof above);
    return min > -above;
}

/* The gradient of one vector of a row that holds its e_j: g_j = fma(e_j,
 * scale, -(w_j offset)), w_j the class weights when weighted, else 1. */
LOSSOPT_ALWAYS_INLINE void grad_vector(float *g, const float *weight, size_t offset, size_t count,
                                       vfloat scale, vfloat offset_unit, bool weighted)
{
    vfloat subtract =
        weighted ? vec_mul(vec_load_n(weight + offset, count), offset_unit) : offset_unit;
    vec_store_n(g + offset, vec_fma(vec_load_n(g + offset, count), scale, vec_negate(subtract)),
                count);
}

/* What a row's exp pass does besides the sum of e_j (each option a
 * compile-time constant in the loops: row_exp specialises on them). */
enum {
    ROW_EXP_STORE = 1,     /* e_j is stored: the gradient row receives it       */
    ROW_EXP_SHIFT_SUM = 2, /* the second sum, of w_j (x_j - m), is taken        */
    ROW_EXP_WEIGHTED = 4,  /* w_j: the class weights (else 1), in the shift sum
                              and in the fused gradient                         */
    ROW_EXP_GRAD = 8,      /* phase 2 also runs an earlier row's gradient pass  */
    ROW_EXP_SHORT = 16     /* exp_correct_short applies (with ROW_EXP_STORE)    */
};

typedef struct exp_context {
    const float *x, *weight;
    float *e_out;    /* with ROW_EXP_STORE: phase 1's raw exps, replaced by e_j */
    float *grad_row; /* with ROW_EXP_GRAD: the earlier row, see row_gradient   */
    vfloat m, grad_scale, grad_offset;
    unsigned options;
    /* With ROW_EXP_STORE phase 2 also takes the range of next_x[0..classes)
     * (the next kept row's logits, or this row's when none follows; the
     * caller has started next with one of its vectors), which saves that
     * row its max pass: phase 2's chain of adds leaves room for it. */
    const float *next_x;
    size_t classes;
    row_range next;
} exp_context;

/* One vector of phase 2: e = exp(x - m) corrected (the exp itself taken in
 * phase 1 when e is stored), terms e and w (x - m); and the same vector of
 * the earlier row's gradient with ROW_EXP_GRAD. */
LOSSOPT_ALWAYS_INLINE void exp_vector(void *context, size_t offset, size_t count, vfloat *terms)
{
    exp_context *k = context;
    vfloat logit = vec_load_n(k->x + offset, count);
    vfloat shifted = vec_sub(logit, k->m);
    vfloat e;
    if (k->options & ROW_EXP_STORE) {
        vfloat raw = vec_load_n(k->e_out + offset, count);
        e = k->options & ROW_EXP_SHORT ? exp_correct_short(logit, k->m, shifted, raw)
                                       : exp_correct(logit, k->m, shifted, raw);
        vec_store_n(k->e_out + offset, e, count);
        /* the next row's range; for a partial vector the whole vector that
         * ends at the row's end (a row shorter than a vector: not used) */
        const float *next = k->next_x + offset;
        range_add(&k->next, count == VEC_WIDTH        ? vec_load(next)
                            : k->classes >= VEC_WIDTH ? vec_load(next + count - VEC_WIDTH)
                                                      : vec_load_n(next, count));
    } else {
        e = exp_of_difference(logit, k->m, shifted);
    }
    if (k->options & ROW_EXP_GRAD)
        grad_vector(k->grad_row, k->weight, offset, count, k->grad_scale, k->grad_offset,
                    k->options & ROW_EXP_WEIGHTED);
    terms[0] = e;
    if (k->options & ROW_EXP_SHIFT_SUM)
        terms[1] = k->options & ROW_EXP_WEIGHTED
                       ? vec_mul(vec_load_n(k->weight + offset, count), shifted)
                       : shifted;
}

LOSSOPT_ALWAYS_INLINE double row_exp_specialised(exp_context *context, size_t classes,
                                                 size_t left_out, double *shift_sum,
                                                 unsigned options)
{
    exp_context k = *context;
    k.options = options;
    if (options & ROW_EXP_STORE) {
        /* Phase 1: only the exp calls, into e_out. SLEEF's exp is an
         * out-of-line call that clobbers every vector register, so a loop
         * that also kept the sums would spill them around each call; phase 2
         * then corrects, sums and stores without calls, while the row is
         * still in cache. Same operations, same bits. (Work moved into this
         * loop costs more than in phase 2: measured for the gradient and
         * the next row's max.) */
        const float *x = k.x;
        float *e_out = k.e_out;
#define EXP_INTO(offset, count)                                                         \
    vec_store_n(e_out + (offset), vec_exp(vec_sub(vec_load_n(x + (offset), (count)), k.m)), \
                (count))
        VEC_FOR_EACH_BLOCK(classes, EXP_INTO);
#undef EXP_INTO
    }
    vec_sum sums[2];
    vec_sum_start(&sums[0]);
    vec_sum_start(&sums[1]);
    row_sums_leaving_out(&k, classes, exp_vector, left_out, sums,
                         options & ROW_EXP_SHIFT_SUM ? 2 : 1);
    if (options & ROW_EXP_SHIFT_SUM)
        *shift_sum = sums[1].total;
    context->next = k.next;
    return sums[0].total;
}

/* e_j = exp(x_j - m), written to e_out with ROW_EXP_STORE; returns the
 * canonical sum of e_j over j != left_out (the label, or where the max sits;
 * classes: none left out); with ROW_EXP_SHIFT_SUM stores the canonical sum
 * of w_j (x_j - m) (w_j = 1 without ROW_EXP_WEIGHTED) in *shift_sum; with
 * ROW_EXP_GRAD runs the gradient pass of grad_row (of `classes` elements
 * too). Compiled for the combinations the kernels use only. */
static double row_exp(exp_context *context, size_t classes, size_t left_out,
                      double *shift_sum)
{
    enum {
        STORE = ROW_EXP_STORE,
        SHIFT = ROW_EXP_SHIFT_SUM,
        WEIGHTED_SHIFT = ROW_EXP_SHIFT_SUM | ROW_EXP_WEIGHTED
    };
#define ROW_EXP_CASE(options)                                                                \
    case (options):                                                                          \
        return row_exp_specialised(context, classes, left_out, shift_sum, (options));
#define ROW_EXP_STORE_CASES(store)                                                           \
    ROW_EXP_CASE(store)                                                                      \
    ROW_EXP_CASE(store | SHIFT)                                                              \
    ROW_EXP_CASE(store | WEIGHTED_SHIFT)                                                     \
    ROW_EXP_CASE(store | ROW_EXP_GRAD)                                                       \
    ROW_EXP_CASE(store | ROW_EXP_GRAD | SHIFT)                                               \
    ROW_EXP_CASE(store | ROW_EXP_GRAD | WEIGHTED_SHIFT)
    switch (context->options) {
        ROW_EXP_CASE(0)
        ROW_EXP_CASE(SHIFT)
        ROW_EXP_CASE(WEIGHTED_SHIFT)
        ROW_EXP_STORE_CASES(STORE)
        ROW_EXP_STORE_CASES(STORE | ROW_EXP_SHORT)
    }
#undef ROW_EXP_STORE_CASES
#undef ROW_EXP_CASE
    return NAN; /* not reached: the kernels pass one of the cases */
}

/* Points k's range at next_x (the next kept row, or k's own row when none
 * follows) and starts it with one of its vectors. */
static void exp_context_follow(exp_context *k, const float *next_x, size_t classes)
{
    k->next_x = next_x;
    k->classes = classes;
    k->next.most = k->next.least = classes >= VEC_WIDTH ? vec_load(next_x + classes - VEC_WIDTH)
                                                        : vec_load_n(next_x, classes);
}

/* A row's max (+0 for -0: one m on every ISA) and least logit: taken in the
 * previous row's phase 2 when *known (the range is then used up), else by
 * its own pass. */
static float row_max_once(const float *x, size_t classes, const exp_context *previous,
                          bool *known, float *min)
{
    float m = *known ? range_finish(&previous->next, min) : row_max(x, classes, min);
    *known = false;
    return m + 0.0f;
}

/* Soft targets: u = w t~, the sums of u and of u (x - m) (0 where u is 0). */
enum {
    SOFT_SMOOTHING = 1, /* t~ = fma(t, keep, spread), else t */
    SOFT_WEIGHTED = 2,  /* u = w t~, else t~                 */
    SOFT_OPTIONS = 4
};

typedef struct soft_context {
    const float *x, *t, *weight;
    vfloat m, keep, spread;
    unsigned options;
} soft_context;

LOSSOPT_ALWAYS_INLINE vfloat soft_weight(const float *t, const float *weight, size_t offset,
                                         size_t count, unsigned options, vfloat keep,
                                         vfloat spread)
{
    vfloat u = vec_load_n(t + offset, count);
    if (options & SOFT_SMOOTHING)
        u = vec_fma(u, keep, spread);
    if (options & SOFT_WEIGHTED) /* a zero target reads no weight: 0 * inf would be NaN */
        u = vec_select(vec_eq(u, vec_set1(0.0f)), u,
                       vec_mul(vec_load_n(weight + offset, count), u));
    return u;
}

LOSSOPT_ALWAYS_INLINE void soft_vector(void *context, size_t offset, size_t count, vfloat *terms)
{
    const soft_context *k = context;
    vfloat u = soft_weight(k->t, k->weight, offset, count, k->options, k->keep, k->spread);
    vfloat shifted = vec_sub(vec_load_n(k->x + offset, count), k->m);
    /* 0 log 0 = 0: a zero target weight contributes 0, even at a -inf logit */
    terms[1] = vec_select(vec_eq(u, vec_set1(0.0f)), vec_set1(0.0f), vec_mul(u, shifted));
    terms[0] = u;
}

/* The soft-target passes of one row, specialised on the options: the sums
 * (soft_sums: returns V = sum of u_j and stores U = sum of (u_j == 0 ? 0 :
 * u_j (x_j - m))) and the gradient (g_j = fma(g_j, scale, -u_j) * inv_d). */
typedef struct soft_row {
    const float *x, *t, *weight;
    float *g;
    size_t classes;
    float m, keep, spread, scale, inv_d;
    double v, shift_sum;
} soft_row;

LOSSOPT_ALWAYS_INLINE void soft_sums_specialised(soft_row *r, unsigned options)
{
    soft_context k = {r->x, r->t, r->weight, vec_set1(r->m), vec_set1(r->keep),
                      vec_set1(r->spread), options};
    r->v = row_two_sums(&k, r->classes, soft_vector, &r->shift_sum);
}

static void soft_sums(soft_row *r, unsigned options)
{
#define SOFT_SUMS_CASE(k) soft_sums_specialised(r, (k))
    VEC_SPECIALIZE_OPTIONS_BELOW(options, SOFT_OPTIONS, SOFT_SUMS_CASE)
#undef SOFT_SUMS_CASE
}

LOSSOPT_ALWAYS_INLINE void soft_grad_specialised(const soft_row *r, unsigned options)
{
    vfloat scale = vec_set1(r->scale), keep = vec_set1(r->keep), spread = vec_set1(r->spread);
    vfloat inv_d = vec_set1(r->inv_d);
    float *g = r->g;
#define SOFT_GRAD_BLOCK(offset, count)                                                       \
    do {                                                                                     \
        vfloat u = soft_weight(r->t, r->weight, (offset), (count), options, keep, spread);   \
        vfloat difference = vec_fma(vec_load_n(g + (offset), (count)), scale, vec_negate(u)); \
        vec_store_n(g + (offset), vec_mul(difference, inv_d), (count));                      \
    } while (0)
    VEC_FOR_EACH_BLOCK(r->classes, SOFT_GRAD_BLOCK);
#undef SOFT_GRAD_BLOCK
}

static void soft_grad(const soft_row *r, unsigned options)
{
#define SOFT_GRAD_CASE(k) soft_grad_specialised(r, (k))
    VEC_SPECIALIZE_OPTIONS_BELOW(options, SOFT_OPTIONS, SOFT_GRAD_CASE)
#undef SOFT_GRAD_CASE
}

/* A kept row's gradient, known but for the pass over its row (e_j becomes
 * g_j = fma(e_j, scale, -(w_j offset))) and its label's g_y, written after
 * that pass. The pass runs inside the next kept row's phase 2
 * (ROW_EXP_GRAD), or alone (row_grad) after the last one. */
typedef struct row_gradient {
    float *g; /* NULL: no row waits */
    float scale, offset, g_label;
    size_t label;
} row_gradient;

LOSSOPT_ALWAYS_INLINE void row_grad_specialised(const row_gradient *p, size_t classes,
                                                const float *weight)
{
    vfloat scale = vec_set1(p->scale), offset = vec_set1(p->offset);
#define GRAD_BLOCK(j, count) grad_vector(p->g, weight, (j), (count), scale, offset, weight != NULL)
    VEC_FOR_EACH_BLOCK(classes, GRAD_BLOCK);
#undef GRAD_BLOCK
}

/* The pass alone; weight (the w_j) is NULL or not at each call, so each is
 * its own loop. */
static void row_grad(const row_gradient *p, size_t classes, const float *weight)
{
    if (weight)
        row_grad_specialised(p, classes, weight);
    else
        row_grad_specialised(p, classes, NULL);
}

/* exp(x - m) corrected by the rounding error of x - m, one element: the
 * label's e when no gradient row holds it (vec_scalar_exp gives the lanes'
 * bits of vec_exp). */
static float scalar_exp_of_difference(float x, float m)
{
    float shifted = x - m;
    float virtual_m = shifted - x;
    float virtual_x = shifted - virtual_m;
    float err = (x - virtual_x) - (m + virtual_m);
    float e = vec_scalar_exp(shifted);
    return isnan(err) ? e : fmaf(e, err, e);
}

double KERNEL_NAME(cross_entropy_f32)(const lossopt_cross_entropy_args *a)
{
    size_t classes = a->classes;
    const float *w = a->weight;
    /* the w_j of the shift sum and of g_j: only smoothing reads them */
    const float *smooth_w = a->smooth ? w : NULL;
    unsigned options = (a->grad ? ROW_EXP_STORE : 0u) | (a->smooth ? ROW_EXP_SHIFT_SUM : 0u) |
                       (smooth_w ? ROW_EXP_WEIGHTED : 0u);
    row_gradient waiting = {NULL, 0.0f, 0.0f, 0.0f, 0};
    exp_context k = {0};
    bool range_known = false; /* k.next holds this kept row's range */
    double total = 0.0;
    for (size_t r = 0; r < a->rows; r++) {
        const float *x = a->logits + r * classes;
        float *g = a->grad ? a->grad + r * classes : NULL;
        int64_t label = a->labels[r];
        if (label < 0) { /* ignored row */
            if (g)
                memset(g, 0, classes * sizeof(float));
            if (a->loss)
                a->loss[r] = 0.0f;
            continue;
        }
        size_t y = (size_t)label;
        float min;
        float m = row_max_once(x, classes, &k, &range_known, &min);
        unsigned row_options = options | (waiting.g ? ROW_EXP_GRAD : 0u) |
                               (g && exp_error_is_short(m, min) ? ROW_EXP_SHORT : 0u);
        k = (exp_context){.x = x, .weight = smooth_w, .e_out = g, .grad_row = waiting.g,
                          .m = vec_set1(m), .grad_scale = vec_set1(waiting.scale),
                          .grad_offset = vec_set1(waiting.offset), .options = row_options};
        size_t next = r + 1;
        while (next < a->rows && a->labels[next] < 0)
            next++;
        exp_context_follow(&k, next < a->rows ? a->logits + next * classes : x, classes);
        double shift_sum = 0.0;
        double s_others = row_exp(&k, classes, y, &shift_sum);
        range_known = g && next < a->rows && classes >= VEC_WIDTH;
        if (waiting.g)
            waiting.g[waiting.label] = waiting.g_label;
        float e_y = g ? g[y] : scalar_exp_of_difference(x[y], m);
        double s = s_others + (double)e_y;
        /* with a +inf logit m is +inf and e = exp(inf - inf) is NaN: the row's
         * loss and gradient are NaN, as PyTorch's log_softmax gives; the
         * log1p shortcut (which leaves e_y out) must not hide that */
        bool label_is_max = x[y] == m && isfinite(m);
        double log_s = label_is_max ? (double)vec_scalar_log1p((float)s_others)
                                    : (double)vec_scalar_log((float)s);
        double nll = label_is_max ? log_s : ((double)m - (double)x[y]) + log_s;
        double w_y = w ? (double)w[y] : 1.0;
        double row_loss = a->keep_nll ? (1.0 - a->smoothing) * w_y * nll : 0.0;
        if (a->smooth)
            row_loss += a->per_class * (a->weight_sum * log_s - shift_sum);
        float row_loss_f = (float)row_loss;
        if (a->loss)
            a->loss[r] = row_loss_f;
        total += (double)row_loss_f;
        if (g) {
            double coefficient = ((a->keep_nll ? (1.0 - a->smoothing) * w_y : 0.0) +
                                  (a->smooth ? a->per_class * a->weight_sum : 0.0)) /
                                 a->divisor;
            double spread_y =
                a->smooth ? a->per_class * (a->weight_sum - w_y) / a->divisor : 0.0;
            waiting = (row_gradient){g, (float)(coefficient / s), a->offset,
                                     (float)(-coefficient * s_others / s + spread_y), y};
        }
    }
    if (waiting.g) {
        row_grad(&waiting, classes, smooth_w);
        waiting.g[waiting.label] = waiting.g_label;
    }
    return total;
}

double KERNEL_NAME(cross_entropy_probs_f32)(const lossopt_cross_entropy_probs_args *a)
{
    size_t classes = a->classes;
    exp_context k = {0};
    bool range_known = false; /* k.next holds this row's range */
    double total = 0.0;
    for (size_t r = 0; r < a->rows; r++) {
        const float *x = a->logits + r * classes, *t = a->targets + r * classes;
        float *g = a->grad ? a->grad + r * classes : NULL;
        float min;
        float m = row_max_once(x, classes, &k, &range_known, &min);
        /* leave the max's own e (exactly 1) out of the sum, so that
         * log(S) = log1p(S - 1) keeps its accuracy in a confident row; a row
         * with a +inf logit has no such e (exp(inf - inf) is NaN): it is NaN */
        size_t at_max = isfinite(m) ? row_find(x, classes, m) : classes;
        k = (exp_context){.x = x, .e_out = g, .m = vec_set1(m),
                          .options = g ? ROW_EXP_STORE |
                                             (exp_error_is_short(m, min) ? ROW_EXP_SHORT : 0u)
                                       : 0u};
        bool next = r + 1 < a->rows;
        exp_context_follow(&k, next ? x + classes : x, classes);
        double s_others = row_exp(&k, classes, at_max, NULL);
        range_known = g && next && classes >= VEC_WIDTH;
        double s = at_max < classes ? s_others + 1.0 : s_others;
        double log_s = at_max < classes ? (double)vec_scalar_log1p((float)s_others)
                                        : (double)vec_scalar_log((float)s);
        soft_row soft = {x, t, a->weight, g, classes, m, a->keep, a->spread, 0.0f, a->inv_d,
                         0.0, 0.0};
        unsigned options = (a->smoothing ? SOFT_SMOOTHING : 0u) | (a->weight ? SOFT_WEIGHTED : 0u);
        soft_sums(&soft, options);
        float row_loss = (float)(soft.v * log_s - soft.shift_sum);
        if (a->loss)
            a->loss[r] = row_loss;
        total += (double)row_loss;
        if (g) {
            soft.scale = (float)(soft.v / s);
            soft_grad(&soft, options);
        }
    }
    return total;
}
