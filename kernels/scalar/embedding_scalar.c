/* kernels/scalar/embedding_scalar.c - the scalar oracle of cosine_embedding
 * and triplet_margin: the order of include/lossopt.h written out plainly,
 * one element at a time (sums through kernels/scalar/canonical_sum.h, the
 * per-row scalars in double, every fused multiply-add an fmaf). The vector
 * kernels (kernels/loss_embedding.c) must give the same bits. */
#include "baseline_only.h" /* first: the oracle runs on any CPU */
#include <math.h>
#include <string.h>

#include "kernel_table.h"
#include "scalar/canonical_sum.h"
#include "scalar/scalar_kernels.h"

#define COSINE_EPSILON 1e-12 /* PyTorch's EPSILON (ATen Loss.cpp) */

static void zero_row(float *g, size_t dim)
{
    if (g)
        memset(g, 0, dim * sizeof(float));
}

double ORACLE_NAME(cosine_embedding_f32)(const lossopt_embedding_args *a)
{
    size_t dim = a->dim;
    double total = 0.0;
    for (size_t row = 0; row < a->rows; row++) {
        const float *x1 = a->a + row * dim, *x2 = a->b + row * dim;
        float *g1 = a->grad_a ? a->grad_a + row * dim : NULL;
        float *g2 = a->grad_b ? a->grad_b + row * dim : NULL;
        float y = a->c[row];
        double value = 0.0, slope = 0.0, cosine = 0.0, m1 = 1.0, m2 = 1.0, denom = 1.0;
        if (y == 1.0f || y == -1.0f) {
            canonical_sum dot, s1, s2;
            canonical_start(&dot);
            canonical_start(&s1);
            canonical_start(&s2);
            for (size_t j = 0; j < dim; j++) {
                canonical_add(&dot, j, x1[j] * x2[j]);
                canonical_add(&s1, j, x1[j] * x1[j]);
                canonical_add(&s2, j, x2[j] * x2[j]);
            }
            double p = canonical_finish(&dot, dim);
            m1 = canonical_finish(&s1, dim) + COSINE_EPSILON;
            m2 = canonical_finish(&s2, dim) + COSINE_EPSILON;
            denom = sqrt(m1 * m2);
            cosine = p / denom;
            if (y == 1.0f) {
                value = 1.0 - cosine;
                slope = -1.0;
            } else {
                double h = cosine - (double)a->margin;
                if (h < 0.0) {
                    value = 0.0;
                    slope = 0.0;
                } else { /* h >= 0 or NaN */
                    value = h;
                    slope = 1.0;
                }
            }
        }
        float row_loss = (float)value;
        if (a->loss)
            a->loss[row] = row_loss;
        total += (double)row_loss;
        if (g1 == NULL && g2 == NULL)
            continue;
        if (slope == 0.0) {
            zero_row(g1, dim);
            zero_row(g2, dim);
            continue;
        }
        double g = slope * a->scale;
        float ca = (float)(g / denom);
        float cb = (float)(g * cosine / m1);
        float cc = (float)(g * cosine / m2);
        for (size_t j = 0; j < dim; j++) {
            if (g1)
                g1[j] = fmaf(x2[j], ca, -(x1[j] * cb));
            if (g2)
                g2[j] = fmaf(x1[j], ca, -(x2[j] * cc));
        }
    }
    return total;
}

/* ((x - y) + eps): the difference PyTorch's pairwise_distance takes the norm of */
static float shifted_difference(float x, float y, float eps)
{
    float d = x - y;
    return d + eps;
}

static float distance_term(float d, int p)
{
    return p == 1 ? fabsf(d) : d * d;
}

/* sign(d) with sign(+-0) = +-0 and sign(NaN) = NaN (p == 1), or d (p == 2) */
static float distance_slope(float d, int p)
{
    if (p == 2)
        return d;
    if (d > 0.0f)
        return 1.0f;
    if (d < 0.0f)
        return -1.0f;
    return d;
}

static double distance_coefficient(double g, double d, int p)
{
    if (p == 1)
        return g;
    if (d == 0.0)
        return 0.0 * g;
    return g / d;
}

double ORACLE_NAME(triplet_margin_f32)(const lossopt_embedding_args *a)
{
    size_t dim = a->dim;
    int p = a->p;
    float eps = a->eps;
    bool swap = a->swap;
    double total = 0.0;
    for (size_t row = 0; row < a->rows; row++) {
        const float *an = a->a + row * dim, *po = a->b + row * dim, *ne = a->c + row * dim;
        float *ga = a->grad_a ? a->grad_a + row * dim : NULL;
        float *gp = a->grad_b ? a->grad_b + row * dim : NULL;
        float *gn = a->grad_c ? a->grad_c + row * dim : NULL;
        canonical_sum s_ap, s_an, s_pn;
        canonical_start(&s_ap);
        canonical_start(&s_an);
        canonical_start(&s_pn);
        for (size_t j = 0; j < dim; j++) {
            canonical_add(&s_ap, j, distance_term(shifted_difference(an[j], po[j], eps), p));
            canonical_add(&s_an, j, distance_term(shifted_difference(an[j], ne[j], eps), p));
            if (swap)
                canonical_add(&s_pn, j, distance_term(shifted_difference(po[j], ne[j], eps), p));
        }
        double t_ap = canonical_finish(&s_ap, dim), t_an = canonical_finish(&s_an, dim);
        double d_ap = p == 1 ? t_ap : sqrt(t_ap);
        double d_an = p == 1 ? t_an : sqrt(t_an);
        double d_pn = 0.0, d_neg = d_an;
        if (swap) {
            double t_pn = canonical_finish(&s_pn, dim);
            d_pn = p == 1 ? t_pn : sqrt(t_pn);
            if (isnan(d_an) || isnan(d_pn))
                d_neg = d_an + d_pn;
            else if (d_pn < d_an)
                d_neg = d_pn;
        }
        double h = ((double)a->margin + d_ap) - d_neg;
        double value = h < 0.0 ? 0.0 : h;
        float row_loss = (float)value;
        if (a->loss)
            a->loss[row] = row_loss;
        total += (double)row_loss;
        if (ga == NULL && gp == NULL && gn == NULL)
            continue;
        if (h < 0.0) {
            zero_row(ga, dim);
            zero_row(gp, dim);
            zero_row(gn, dim);
            continue;
        }
        double g = isnan(h) ? h : a->scale;
        double g_an = g, g_pn = 0.0;
        if (swap) {
            if (d_pn < d_an) {
                g_an = 0.0;
                g_pn = g;
            } else if (d_an < d_pn) {
                g_an = g;
                g_pn = 0.0;
            } else {
                g_an = 0.5 * g;
                g_pn = 0.5 * g;
            }
        }
        float ca = (float)distance_coefficient(g, d_ap, p);
        float cb = (float)distance_coefficient(g_an, d_an, p);
        float cc = (float)distance_coefficient(g_pn, d_pn, p);
        for (size_t j = 0; j < dim; j++) {
            float u_ap = distance_slope(shifted_difference(an[j], po[j], eps), p);
            float u_an = distance_slope(shifted_difference(an[j], ne[j], eps), p);
            float pn = -0.0f; /* without swap: fma(x, y, -0) is x * y exactly */
            if (swap)
                pn = distance_slope(shifted_difference(po[j], ne[j], eps), p) * cc;
            if (ga)
                ga[j] = fmaf(u_ap, ca, -(u_an * cb));
            if (gp)
                gp[j] = -fmaf(u_ap, ca, pn) + 0.0f; /* a zero is +0 */
            if (gn)
                gn[j] = fmaf(u_an, cb, pn);
        }
    }
    return total;
}
