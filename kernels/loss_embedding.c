/* kernels/loss_embedding.c - the losses on pairs and triplets of embedding
 * rows (PyTorch cosine_embedding_loss, triplet_margin_loss), written once for
 * all vector ISAs: per row one vector pass with up to three canonical sums
 * over dim (kernels/vec/canonical_sum.h), the per-row scalars in double, and
 * (when a gradient is asked for) a second vector pass that writes the
 * gradient rows. The scalar oracle (kernels/scalar/embedding_scalar.c)
 * spells out the same order. Formulas and order: include/lossopt.h,
 * lossopt_cosine_embedding_f32 and lossopt_triplet_margin_f32. */
#include <math.h>
#include <string.h>

#include "kernel_table.h"
#include "vec/canonical_sum.h"
#include "vec/vec.h"

/* PyTorch's EPSILON of cosine_embedding_loss (aten/src/ATen/native/Loss.cpp) */
#define COSINE_EPSILON 1e-12

typedef struct pair_rows {
    const float *x, *y, *z; /* cosine: x1, x2; triplet: anchor, positive, negative */
    float *gx, *gy, *gz;
    vfloat ca, cb, cc, eps;
    int p;
    bool swap;
} pair_rows;

/* ---- cosine_embedding ---------------------------------------------------- */

LOSSOPT_ALWAYS_INLINE void cosine_sums_vector(void *context, size_t offset, size_t count,
                                              vfloat *terms)
{
    const pair_rows *k = context;
    vfloat u = vec_load_n(k->x + offset, count);
    vfloat v = vec_load_n(k->y + offset, count);
    terms[0] = vec_mul(u, v);
    terms[1] = vec_mul(u, u);
    terms[2] = vec_mul(v, v);
}

/* grad_x1 = fma(x2, A, -(x1 * B1)), grad_x2 = fma(x1, A, -(x2 * B2)) */
static void cosine_grad_rows(const pair_rows *k, size_t dim)
{
    for (size_t offset = 0; offset < dim; offset += VEC_WIDTH) {
        size_t count = dim - offset < VEC_WIDTH ? dim - offset : VEC_WIDTH;
        vfloat u = vec_load_n(k->x + offset, count);
        vfloat v = vec_load_n(k->y + offset, count);
        if (k->gx)
            vec_store_n(k->gx + offset, vec_fma(v, k->ca, vec_negate(vec_mul(u, k->cb))), count);
        if (k->gy)
            vec_store_n(k->gy + offset, vec_fma(u, k->ca, vec_negate(vec_mul(v, k->cc))), count);
    }
}

static void zero_row(float *g, size_t dim)
{
    if (g)
        memset(g, 0, dim * sizeof(float));
}

double KERNEL_NAME(cosine_embedding_f32)(const lossopt_embedding_args *a)
{
    size_t dim = a->dim;
    double total = 0.0;
    for (size_t row = 0; row < a->rows; row++) {
        size_t at = row * dim;
        pair_rows k = {.x = a->a + at,
                       .y = a->b + at,
                       .gx = a->grad_a ? a->grad_a + at : NULL,
                       .gy = a->grad_b ? a->grad_b + at : NULL};
        float y = a->c[row];
        double value = 0.0, slope = 0.0, cosine = 0.0, m1 = 1.0, m2 = 1.0, denom = 1.0;
        if (y == 1.0f || y == -1.0f) {
            vec_sum sums[3];
            for (int s = 0; s < 3; s++)
                vec_sum_start(&sums[s]);
            vec_sum_walk(&k, dim, cosine_sums_vector, sums, 3);
            m1 = sums[1].total + COSINE_EPSILON;
            m2 = sums[2].total + COSINE_EPSILON;
            denom = sqrt(m1 * m2);
            cosine = sums[0].total / denom;
            if (y == 1.0f) {
                value = 1.0 - cosine;
                slope = -1.0;
            } else {
                double h = cosine - (double)a->margin;
                value = h < 0.0 ? 0.0 : h; /* NaN stays NaN */
                slope = h < 0.0 ? 0.0 : 1.0;
            }
        }
        float row_loss = (float)value;
        if (a->loss)
            a->loss[row] = row_loss;
        total += (double)row_loss;
        if (!k.gx && !k.gy)
            continue;
        if (slope == 0.0) { /* y neither 1 nor -1, or an inactive hinge */
            zero_row(k.gx, dim);
            zero_row(k.gy, dim);
            continue;
        }
        double g = slope * a->scale;
        k.ca = vec_set1((float)(g / denom));
        k.cb = vec_set1((float)(g * cosine / m1));
        k.cc = vec_set1((float)(g * cosine / m2));
        cosine_grad_rows(&k, dim);
    }
    return total;
}

/* ---- triplet_margin ------------------------------------------------------ */

/* |d| (p == 1) or d * d (p == 2) */
LOSSOPT_ALWAYS_INLINE vfloat distance_term(vfloat d, int p)
{
    return p == 1 ? vec_abs(d) : vec_mul(d, d);
}

/* sign(d) (p == 1: +-1, +-0 at +-0, NaN at NaN) or d itself (p == 2) */
LOSSOPT_ALWAYS_INLINE vfloat distance_slope(vfloat d, int p)
{
    if (p == 2)
        return d;
    vfloat zero = vec_set1(0.0f);
    return vec_select(vec_gt(d, zero), vec_set1(1.0f),
                      vec_select(vec_lt(d, zero), vec_set1(-1.0f), d));
}

LOSSOPT_ALWAYS_INLINE void triplet_sums_vector(void *context, size_t offset, size_t count,
                                               vfloat *terms)
{
    const pair_rows *k = context;
    vfloat an = vec_load_n(k->x + offset, count);
    vfloat po = vec_load_n(k->y + offset, count);
    vfloat ne = vec_load_n(k->z + offset, count);
    terms[0] = distance_term(vec_add(vec_sub(an, po), k->eps), k->p);
    terms[1] = distance_term(vec_add(vec_sub(an, ne), k->eps), k->p);
    if (k->swap)
        terms[2] = distance_term(vec_add(vec_sub(po, ne), k->eps), k->p);
}

/* grad_anchor   = fma(u_ap, A, -(u_an * B))
 * grad_positive = -fma(u_ap, A, u_pn * C) + 0 (-0 for u_pn * C without swap;
 *                 + 0 makes a zero +0 whatever form computes the negated
 *                 fma: the sign of an exact zero differed between x86's
 *                 fnma under valgrind, and GCC's AArch64 fnmadd for -fmaf,
 *                 and the vector forms)
 * grad_negative = fma(u_an, B, u_pn * C)       (-0 for u_pn * C without swap) */
static void triplet_grad_rows(const pair_rows *k, size_t dim)
{
    vfloat negative_zero = vec_set1(-0.0f);
    for (size_t offset = 0; offset < dim; offset += VEC_WIDTH) {
        size_t count = dim - offset < VEC_WIDTH ? dim - offset : VEC_WIDTH;
        vfloat an = vec_load_n(k->x + offset, count);
        vfloat po = vec_load_n(k->y + offset, count);
        vfloat ne = vec_load_n(k->z + offset, count);
        vfloat u_ap = distance_slope(vec_add(vec_sub(an, po), k->eps), k->p);
        vfloat u_an = distance_slope(vec_add(vec_sub(an, ne), k->eps), k->p);
        vfloat pn = negative_zero;
        if (k->swap)
            pn = vec_mul(distance_slope(vec_add(vec_sub(po, ne), k->eps), k->p), k->cc);
        if (k->gx)
            vec_store_n(k->gx + offset, vec_fma(u_ap, k->ca, vec_negate(vec_mul(u_an, k->cb))),
                        count);
        if (k->gy)
            vec_store_n(k->gy + offset,
                        vec_add(vec_negate(vec_fma(u_ap, k->ca, pn)), vec_set1(0.0f)), count);
        if (k->gz)
            vec_store_n(k->gz + offset, vec_fma(u_an, k->cb, pn), count);
    }
}

/* the coefficient of a distance's slope: g (p == 1), g / d (p == 2; 0 * g
 * at d == 0, PyTorch's norm gradient 0 at 0) */
static double distance_coefficient(double g, double d, int p)
{
    if (p == 1)
        return g;
    return d == 0.0 ? 0.0 * g : g / d;
}

double KERNEL_NAME(triplet_margin_f32)(const lossopt_embedding_args *a)
{
    size_t dim = a->dim;
    int p = a->p;
    double total = 0.0;
    for (size_t row = 0; row < a->rows; row++) {
        size_t at = row * dim;
        pair_rows k = {a->a + at,
                       a->b + at,
                       a->c + at,
                       a->grad_a ? a->grad_a + at : NULL,
                       a->grad_b ? a->grad_b + at : NULL,
                       a->grad_c ? a->grad_c + at : NULL,
                       vec_set1(0.0f),
                       vec_set1(0.0f),
                       vec_set1(0.0f),
                       vec_set1(a->eps),
                       p,
                       a->swap};
        vec_sum sums[3];
        for (int s = 0; s < 3; s++)
            vec_sum_start(&sums[s]);
        vec_sum_walk(&k, dim, triplet_sums_vector, sums, a->swap ? 3 : 2);
        double d_ap = p == 1 ? sums[0].total : sqrt(sums[0].total);
        double d_an = p == 1 ? sums[1].total : sqrt(sums[1].total);
        double d_pn = 0.0, d_neg = d_an;
        if (a->swap) {
            d_pn = p == 1 ? sums[2].total : sqrt(sums[2].total);
            d_neg = isnan(d_an) || isnan(d_pn) ? d_an + d_pn : (d_pn < d_an ? d_pn : d_an);
        }
        double h = ((double)a->margin + d_ap) - d_neg;
        float row_loss = (float)(h < 0.0 ? 0.0 : h); /* NaN stays NaN */
        if (a->loss)
            a->loss[row] = row_loss;
        total += (double)row_loss;
        if (!k.gx && !k.gy && !k.gz)
            continue;
        if (h < 0.0) {
            zero_row(k.gx, dim);
            zero_row(k.gy, dim);
            zero_row(k.gz, dim);
            continue;
        }
        double g = isnan(h) ? h : a->scale;
        double g_an = g, g_pn = 0.0;
        if (a->swap) { /* min's gradient: the smaller distance's, halved at a tie */
            if (d_pn < d_an) {
                g_an = 0.0;
                g_pn = g;
            } else if (!(d_an < d_pn)) {
                g_an = 0.5 * g;
                g_pn = 0.5 * g;
            }
        }
        k.ca = vec_set1((float)distance_coefficient(g, d_ap, p));
        k.cb = vec_set1((float)distance_coefficient(g_an, d_an, p));
        k.cc = vec_set1((float)distance_coefficient(g_pn, d_pn, p));
        triplet_grad_rows(&k, dim);
    }
    return total;
}
