/* kernels/loss_multilabel.c - the multi-label soft margin (PyTorch
 * multilabel_soft_margin_loss), written once for all vector ISAs: per row
 * one vector pass over the classes (the stable softplus form of
 * bce_logits with pos_weight 1, its gradient stored) summed in the canonical
 * order (kernels/vec/canonical_sum.h), and the row's mean over the classes.
 * Formulas and operation order: include/lossopt.h,
 * lossopt_multilabel_soft_margin_f32; the scalar oracle
 * kernels/scalar/multilabel_scalar.c spells out the same order. */
#include "kernel_table.h"
#include "vec/canonical_sum.h"
#include "vec/vec.h"

typedef struct multilabel_context {
    const float *x, *t, *w; /* the row's logits and targets; the class weights */
    float *g;               /* the row's gradient, or NULL                     */
    vfloat c;               /* (float)(1 / (C D))                              */
} multilabel_context;

/* One vector of element losses (terms[0]) and, when g is set, gradients. */
LOSSOPT_ALWAYS_INLINE void multilabel_vector_body(void *context, size_t offset, size_t count,
                                                  vfloat *terms, bool weighted)
{
    const multilabel_context *k = context;
    vfloat zero = vec_set1(0.0f), one = vec_set1(1.0f);
    vfloat x = vec_load_n(k->x + offset, count);
    vfloat t = vec_load_n(k->t + offset, count);
    vfloat w = weighted ? vec_load_n(k->w + offset, count) : one;
    vfloat e = vec_exp(vec_negate(vec_abs(x))); /* the one exp, shared below */
    vfloat log1p_e = vec_log1p(e);
    vfloat one_minus_t = vec_sub(one, t);
    vmask nonnegative = vec_ge(x, zero);
    vfloat slope = vec_select(nonnegative, one_minus_t, vec_negate(t));
    /* a zero slope times an infinite logit is 0, not NaN: the limits at +-inf */
    vfloat linear = vec_select(vec_eq(slope, zero), zero, vec_mul(slope, x));
    vfloat u = vec_add(log1p_e, linear);
    if (weighted)
        u = vec_mul(w, u);
    terms[0] = u;
    if (k->g) {
        /* sigmoid(x) - t over the common denominator 1 + e */
        vfloat numerator = vec_select(nonnegative, vec_fma(vec_negate(t), e, one_minus_t),
                                      vec_fma(one_minus_t, e, vec_negate(t)));
        vfloat q = vec_div(numerator, vec_add(one, e));
        if (weighted)
            q = vec_mul(q, w);
        vec_store_n(k->g + offset, vec_mul(q, k->c), count);
    }
}

LOSSOPT_ALWAYS_INLINE void multilabel_vector(void *context, size_t offset, size_t count,
                                             vfloat *terms)
{
    multilabel_vector_body(context, offset, count, terms, false);
}

LOSSOPT_ALWAYS_INLINE void multilabel_vector_weighted(void *context, size_t offset, size_t count,
                                                      vfloat *terms)
{
    multilabel_vector_body(context, offset, count, terms, true);
}

double KERNEL_NAME(multilabel_soft_margin_f32)(const lossopt_multilabel_soft_margin_args *a)
{
    size_t classes = a->classes;
    double total = 0.0;
    for (size_t row = 0; row < a->rows; row++) {
        multilabel_context k = {a->input + row * classes, a->target + row * classes, a->weight,
                                a->grad ? a->grad + row * classes : NULL,
                                vec_set1(a->grad_scale)};
        vec_sum sum;
        vec_sum_start(&sum);
        if (a->weight)
            vec_sum_walk(&k, classes, multilabel_vector_weighted, &sum, 1);
        else
            vec_sum_walk(&k, classes, multilabel_vector, &sum, 1);
        float row_loss = (float)(sum.total / (double)classes);
        if (a->loss)
            a->loss[row] = row_loss;
        total += (double)row_loss;
    }
    return total;
}
