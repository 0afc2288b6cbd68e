/* kernels/loss_pairwise.c - the elementwise losses with three inputs and two
 * gradients (margin ranking; Gaussian NLL), value and both gradients in one
 * pass, written once for all vector ISAs, and the var check of gaussian_nll.
 * Formulas and operation order: include/lossopt.h; the scalar oracle
 * kernels/scalar/loss_scalar.c spells out the same order. The driver is
 * loss_elementwise.h's, widened to three loads and two gradient stores. */
#include "kernel_table.h"
#include "vec/canonical_sum.h"
#include "vec/vec.h"

/* Option bits; each combination gets its own loop (VEC_SPECIALIZE_CALL). */
enum {
    PAIR_GRAD_A = 1,      /* write grad_a (grad_x1, grad_input)        */
    PAIR_GRAD_B = 2,      /* write grad_b (grad_x2, grad_var)          */
    PAIR_REDUCE = 4,      /* MEAN or SUM: sum the per-element losses   */
    PAIR_PER_ELEMENT = 8, /* NONE with a loss buffer: store each loss  */
};
_Static_assert(PAIR_PER_ELEMENT * 2 <= VEC_SPECIALIZE_CALL_COUNT,
               "the option bits exceed VEC_SPECIALIZE_CALL");

/* The per-call scalars as vectors, broadcast once per call. */
typedef struct pair_vectors {
    vfloat grad_scale, half_grad_scale, parameter, constant;
    int full;
} pair_vectors;

typedef void pair_element_fn(vfloat a, vfloat b, vfloat c, const pair_vectors *k, vfloat *loss,
                             vfloat *grad_a, vfloat *grad_b);

typedef struct pair_walk {
    const lossopt_elementwise3_args *a;
    const pair_vectors *k;
    pair_element_fn *element;
    unsigned options; /* a constant in each specialised loop */
} pair_walk;

LOSSOPT_ALWAYS_INLINE void pair_vector(void *context, size_t offset, size_t count, vfloat *terms)
{
    const pair_walk *walk = context;
    const lossopt_elementwise3_args *a = walk->a;
    unsigned options = walk->options;
    vfloat x = vec_load_n(a->a + offset, count);
    vfloat y = vec_load_n(a->b + offset, count);
    vfloat z = vec_load_n(a->c + offset, count);
    vfloat loss, grad_a, grad_b;
    walk->element(x, y, z, walk->k, &loss, &grad_a, &grad_b);
    if (options & PAIR_GRAD_A)
        vec_store_n(a->grad_a + offset, grad_a, count);
    if (options & PAIR_GRAD_B)
        vec_store_n(a->grad_b + offset, grad_b, count);
    if (options & PAIR_PER_ELEMENT)
        vec_store_n(a->loss + offset, loss, count);
    terms[0] = loss;
}

LOSSOPT_ALWAYS_INLINE double pair_run(const lossopt_elementwise3_args *a, const pair_vectors *k,
                                      pair_element_fn *element, unsigned options)
{
    pair_walk walk = {a, k, element, options};
    vec_sum sum;
    vec_sum_start(&sum);
    vec_sum_walk(&walk, a->n, pair_vector, &sum, (options & PAIR_REDUCE) ? 1 : 0);
    return (options & PAIR_REDUCE) ? sum.total : 0.0;
}

LOSSOPT_ALWAYS_INLINE double pair_kernel(const lossopt_elementwise3_args *a,
                                         pair_element_fn *element)
{
    /* broadcast into locals: the loop's float stores may alias *a's floats */
    const pair_vectors k = {vec_set1(a->grad_scale), vec_set1(a->half_grad_scale),
                            vec_set1(a->parameter), vec_set1(a->constant), a->full};
    const lossopt_elementwise3_args local = *a;
    unsigned options = (local.grad_a ? PAIR_GRAD_A : 0u) | (local.grad_b ? PAIR_GRAD_B : 0u) |
                       (local.reduce ? PAIR_REDUCE : 0u) |
                       (!local.reduce && local.loss ? PAIR_PER_ELEMENT : 0u);
    double total = 0.0;
    VEC_SPECIALIZE_CALL(options, total, pair_run, &local, &k, element);
    return total;
}

/* TwoSum's rounding error of s = p + q (s + error == p + q exactly; NaN
 * where s, p or q is not finite). */
LOSSOPT_ALWAYS_INLINE vfloat sum_error(vfloat p, vfloat q, vfloat s)
{
    vfloat virtual_q = vec_sub(s, p);
    vfloat virtual_p = vec_sub(s, virtual_q);
    return vec_add(vec_sub(p, virtual_p), vec_sub(q, virtual_q));
}

/* margin ranking: m = -y (x1 - x2) + margin with the rounding errors of the
 * difference, the product and the sum carried in one tail (include/lossopt.h),
 * so m stays within 1 ulp where -y d and margin cancel. */
LOSSOPT_ALWAYS_INLINE void margin_ranking_element(vfloat x1, vfloat x2, vfloat y,
                                                  const pair_vectors *k, vfloat *loss,
                                                  vfloat *grad_a, vfloat *grad_b)
{
    vfloat zero = vec_set1(0.0f);
    vfloat d = vec_sub(x1, x2);
    vfloat e = sum_error(x1, vec_negate(x2), d);
    vfloat neg_y = vec_negate(y);
    vfloat p = vec_mul(neg_y, d);
    vfloat pe = vec_fma(neg_y, d, vec_negate(p));
    vfloat s = vec_add(p, k->parameter);
    vfloat se = sum_error(p, k->parameter, s);
    vfloat tail = vec_add(vec_add(se, pe), vec_mul(neg_y, e));
    tail = vec_select(vec_isnan(tail), zero, tail); /* d, p or s not finite */
    vfloat m = vec_add(s, tail);
    *loss = vec_max(m, zero);
    vmask active = vec_ge(m, zero);
    vfloat outside = vec_select(vec_isnan(m), m, zero);
    *grad_a = vec_select(active, vec_mul(neg_y, k->grad_scale), outside);
    *grad_b = vec_select(active, vec_mul(y, k->grad_scale), outside);
}
double KERNEL_NAME(margin_ranking_f32)(const lossopt_elementwise3_args *a)
{
    return pair_kernel(a, margin_ranking_element);
}

/* Gaussian NLL: v = max(var, eps); the value carries d's rounding error in
 * 0.5 d^2 (as huber's), the gradients are taken at v. */
LOSSOPT_ALWAYS_INLINE void gaussian_nll_element(vfloat x, vfloat t, vfloat var,
                                                const pair_vectors *k, vfloat *loss,
                                                vfloat *grad_a, vfloat *grad_b)
{
    vfloat zero = vec_set1(0.0f), half = vec_set1(0.5f), one = vec_set1(1.0f);
    vfloat v = vec_max(var, k->parameter);
    vfloat d = vec_sub(x, t);
    vfloat e = sum_error(x, vec_negate(t), d);
    vfloat cross = vec_mul(d, e);
    cross = vec_select(vec_isnan(cross), zero, cross); /* d not finite */
    vfloat h = vec_fma(vec_mul(half, d), d, cross);
    vfloat q = vec_div(h, v);
    vfloat u = vec_add(vec_mul(half, vec_log(v)), q);
    if (k->full)
        u = vec_add(u, k->constant);
    *loss = u;
    vfloat z = vec_div(d, v);
    *grad_a = vec_mul(z, k->grad_scale);
    *grad_b = vec_div(vec_mul(vec_fnma(z, d, one), k->half_grad_scale), v);
}
double KERNEL_NAME(gaussian_nll_f32)(const lossopt_elementwise3_args *a)
{
    return pair_kernel(a, gaussian_nll_element);
}

int KERNEL_NAME(all_nonnegative)(const float *x, size_t n)
{
    vfloat zero = vec_set1(0.0f);
    for (size_t offset = 0; offset < n; offset += VEC_WIDTH) {
        size_t count = n - offset < VEC_WIDTH ? n - offset : VEC_WIDTH;
        /* partial loads fill the missing lanes with -0, which is not < 0 */
        vfloat v = vec_load_n(x + offset, count);
        if (vec_mask_any(vec_lt(v, zero)))
            return 0;
    }
    return 1;
}
