/* tests/test_loss_io.c - the io forms of every loss (include/lossopt.h,
 * "Losses for engines"), on every supported vector ISA, the emulated
 * AVX-512 table, the scalar oracle and the public API:
 *   - a zero io (and NULL) gives the bits of the _f32 twin;
 *   - bf16/f16 inputs: the bits of the oracle's f32 call on the widened
 *     inputs (widened here, independently: bf16 by its bits, f16 by the
 *     compiler's _Float16);
 *   - gradients: each element is the f32 call's term, times (float)scale
 *     when scaled, plus the widened stored value when accumulating, rounded
 *     once to the gradient's dtype (nearest even, here by hand for bf16 and
 *     by _Float16 for f16);
 *   - row-wise losses: a row stride with padding that holds guard values
 *     and must keep them, the last row ending at a guard page; int32 labels;
 *     cross-entropy's gradient overwriting its logits;
 *   - errors: every invalid io field, an overflowing strided span, a DOMAIN
 *     value that only the widened input shows: the status, and nothing
 *     written.
 * Every dtype pair runs at fixed shapes with the options rotating over the
 * cases (a covering set), elementwise lengths crossing canonical blocks. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "test_variants.h"

/* ---- the test's own conversions -------------------------------------------- */

static uint32_t bits_of(float x)
{
    uint32_t b;
    memcpy(&b, &x, 4);
    return b;
}

static float float_of(uint32_t b)
{
    float x;
    memcpy(&x, &b, 4);
    return x;
}

static float widen(lossopt_dtype dtype, const void *p, size_t i)
{
    if (dtype == LOSSOPT_F32)
        return ((const float *)p)[i];
    uint16_t h = ((const uint16_t *)p)[i];
    if (dtype == LOSSOPT_BF16)
        return float_of((uint32_t)h << 16);
    _Float16 f;
    memcpy(&f, &h, 2);
    return (float)f;
}

/* Round to nearest even; NaN stays NaN (its payload is not compared). */
static void store(lossopt_dtype dtype, void *p, size_t i, float x)
{
    if (dtype == LOSSOPT_F32) {
        ((float *)p)[i] = x;
        return;
    }
    uint16_t h;
    if (dtype == LOSSOPT_BF16) {
        uint32_t b = bits_of(x);
        h = isnan(x) ? (uint16_t)((b >> 16) | 0x40u)
                     : (uint16_t)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
    } else {
        _Float16 f = (_Float16)x;
        memcpy(&h, &f, 2);
    }
    ((uint16_t *)p)[i] = h;
}

static size_t size_of(lossopt_dtype dtype) { return dtype == LOSSOPT_F32 ? 4 : 2; }

static const char *dtype_name(lossopt_dtype d)
{
    return d == LOSSOPT_F32 ? "f32" : d == LOSSOPT_BF16 ? "bf16" : "f16";
}

/* ---- the losses ----------------------------------------------------------------- */

typedef enum loss_id {
    MSE, L1, HUBER, SMOOTH_L1, HINGE, SQUARED_HINGE, BCE, BCE_LOGITS, SOFT_MARGIN, POISSON,
    KL_DIV, MARGIN_RANKING, GAUSSIAN, CROSS_ENTROPY, CE_PROBS, NLL, MULTI_MARGIN,
    MULTILABEL, COSINE, TRIPLET, LOSS_COUNT
} loss_id;

static const char *const loss_names[] = {
    "mse", "l1", "huber", "smooth_l1", "hinge", "squared_hinge", "bce", "bce_logits",
    "soft_margin", "poisson_nll", "kl_div", "margin_ranking", "gaussian_nll", "cross_entropy",
    "cross_entropy_probs", "nll", "multi_margin", "multilabel_soft_margin",
    "cosine_embedding", "triplet_margin"};

static bool row_wise(loss_id id) { return id >= CROSS_ENTROPY; }
/* typed inputs, and as many gradients */
static int input_count(loss_id id)
{
    return id == TRIPLET ? 3 : id == MARGIN_RANKING || id == GAUSSIAN || id == COSINE ? 2 : 1;
}
static bool has_labels(loss_id id) { return id == CROSS_ENTROPY || id == NLL || id == MULTI_MARGIN; }
static bool in_place_ok(loss_id id) { return id == CROSS_ENTROPY || id == CE_PROBS; }

/* One call's operands: typed inputs in[0..2] (row-wise: rows of `stride`),
 * f32 targets (CE probs, multilabel: strided like the input; cosine: y, one
 * per row), labels, weights. */
typedef struct operands {
    size_t rows, classes; /* elementwise: 1 x n */
    const void *in[3];
    const float *target, *weight;
    const void *labels;
    lossopt_reduction r;
} operands;

/* The io form on a table (the internal entry), or the public io form when
 * table is NULL; with twin set, the public _f32 call (io ignored). */
static lossopt_status call(loss_id id, const lossopt_kernel_table *table, bool twin,
                           const lossopt_loss_io *io, const operands *o, float *loss, void *g0,
                           void *g1, void *g2)
{
    size_t n = o->rows * o->classes;
    const lossopt_ce_options ce = {o->r, o->weight, 0.1f};
    const lossopt_ce_options nll = {o->r, o->weight, 0.0f};
    lossopt_loss_kind kinds[] = {LOSSOPT_LOSS_MSE, LOSSOPT_LOSS_L1, LOSSOPT_LOSS_HUBER,
                                 LOSSOPT_LOSS_SMOOTH_L1, LOSSOPT_LOSS_HINGE,
                                 LOSSOPT_LOSS_SQUARED_HINGE, LOSSOPT_LOSS_BCE,
                                 LOSSOPT_LOSS_BCE_LOGITS, LOSSOPT_LOSS_SOFT_MARGIN,
                                 LOSSOPT_LOSS_POISSON_NLL};
    float parameters[] = {0, 0, 1.7f, 0.37f, 0, 0, 0, 2.7f, 0, 1e-8f};
    if (twin) {
        const float *x = o->in[0];
        float *g = g0;
        switch (id) {
        case MSE: return lossopt_mse_f32(x, o->target, n, o->r, loss, g);
        case L1: return lossopt_l1_f32(x, o->target, n, o->r, loss, g);
        case HUBER: return lossopt_huber_f32(x, o->target, n, 1.7f, o->r, loss, g);
        case SMOOTH_L1: return lossopt_smooth_l1_f32(x, o->target, n, 0.37f, o->r, loss, g);
        case HINGE: return lossopt_hinge_f32(x, o->target, n, o->r, loss, g);
        case SQUARED_HINGE: return lossopt_squared_hinge_f32(x, o->target, n, o->r, loss, g);
        case BCE: return lossopt_bce_f32(x, o->target, n, o->weight, o->r, loss, g);
        case BCE_LOGITS:
            return lossopt_bce_logits_f32(x, o->target, n, o->weight, 2.7f, o->r, loss, g);
        case SOFT_MARGIN: return lossopt_soft_margin_f32(x, o->target, n, o->r, loss, g);
        case POISSON:
            return lossopt_poisson_nll_f32(x, o->target, n, true, true, 1e-8f, o->r, loss, g);
        case KL_DIV:
            return lossopt_kl_div_f32(x, o->target, o->rows, o->classes, false, o->r, loss, g);
        case MARGIN_RANKING:
            return lossopt_margin_ranking_f32(x, o->in[1], o->target, n, 0.3f, o->r, loss, g,
                                              g1);
        case GAUSSIAN:
            return lossopt_gaussian_nll_f32(x, o->target, o->in[1], n, true, 1e-6f, o->r, loss,
                                            g, g1);
        case CROSS_ENTROPY:
            return lossopt_cross_entropy_f32(x, o->labels, o->rows, o->classes, &ce, loss, g);
        case CE_PROBS:
            return lossopt_cross_entropy_probs_f32(x, o->target, o->rows, o->classes, &ce, loss,
                                                   g);
        case NLL: return lossopt_nll_f32(x, o->labels, o->rows, o->classes, &nll, loss, g);
        case MULTI_MARGIN:
            return lossopt_multi_margin_f32(x, o->labels, o->rows, o->classes, 2, 0.7f,
                                            o->weight, o->r, loss, g);
        case MULTILABEL:
            return lossopt_multilabel_soft_margin_f32(x, o->target, o->rows, o->classes,
                                                      o->weight, o->r, loss, g);
        case COSINE:
            return lossopt_cosine_embedding_f32(x, o->in[1], o->target, o->rows, o->classes,
                                                0.25f, o->r, loss, g, g1);
        case TRIPLET:
            return lossopt_triplet_margin_f32(x, o->in[1], o->in[2], o->rows, o->classes, 0.7f,
                                              o->r == LOSSOPT_SUM ? 1 : 2, 1e-6f, true, o->r,
                                              loss, g, g1, g2);
        case LOSS_COUNT: break;
        }
        return LOSSOPT_ERR_ARG;
    }
    if (table == NULL) {
        const void *x = o->in[0];
        switch (id) {
        case MSE: return lossopt_mse(x, o->target, n, o->r, io, loss, g0);
        case L1: return lossopt_l1(x, o->target, n, o->r, io, loss, g0);
        case HUBER: return lossopt_huber(x, o->target, n, 1.7f, o->r, io, loss, g0);
        case SMOOTH_L1: return lossopt_smooth_l1(x, o->target, n, 0.37f, o->r, io, loss, g0);
        case HINGE: return lossopt_hinge(x, o->target, n, o->r, io, loss, g0);
        case SQUARED_HINGE: return lossopt_squared_hinge(x, o->target, n, o->r, io, loss, g0);
        case BCE: return lossopt_bce(x, o->target, n, o->weight, o->r, io, loss, g0);
        case BCE_LOGITS:
            return lossopt_bce_logits(x, o->target, n, o->weight, 2.7f, o->r, io, loss, g0);
        case SOFT_MARGIN: return lossopt_soft_margin(x, o->target, n, o->r, io, loss, g0);
        case POISSON:
            return lossopt_poisson_nll(x, o->target, n, true, true, 1e-8f, o->r, io, loss, g0);
        case KL_DIV:
            return lossopt_kl_div(x, o->target, o->rows, o->classes, false, o->r, io, loss, g0);
        case MARGIN_RANKING:
            return lossopt_margin_ranking(x, o->in[1], o->target, n, 0.3f, o->r, io, loss, g0,
                                          g1);
        case GAUSSIAN:
            return lossopt_gaussian_nll(x, o->target, o->in[1], n, true, 1e-6f, o->r, io, loss,
                                        g0, g1);
        case CROSS_ENTROPY:
            return lossopt_cross_entropy(x, o->labels, o->rows, o->classes, &ce, io, loss, g0);
        case CE_PROBS:
            return lossopt_cross_entropy_probs(x, o->target, o->rows, o->classes, &ce, io, loss,
                                               g0);
        case NLL: return lossopt_nll(x, o->labels, o->rows, o->classes, &nll, io, loss, g0);
        case MULTI_MARGIN:
            return lossopt_multi_margin(x, o->labels, o->rows, o->classes, 2, 0.7f, o->weight,
                                        o->r, io, loss, g0);
        case MULTILABEL:
            return lossopt_multilabel_soft_margin(x, o->target, o->rows, o->classes, o->weight,
                                                  o->r, io, loss, g0);
        case COSINE:
            return lossopt_cosine_embedding(x, o->in[1], o->target, o->rows, o->classes, 0.25f,
                                            o->r, io, loss, g0, g1);
        case TRIPLET:
            return lossopt_triplet_margin(x, o->in[1], o->in[2], o->rows, o->classes, 0.7f,
                                          o->r == LOSSOPT_SUM ? 1 : 2, 1e-6f, true, o->r, io,
                                          loss, g0, g1, g2);
        case LOSS_COUNT: break;
        }
        return LOSSOPT_ERR_ARG;
    }
    if (id <= POISSON)
        return lossopt_elementwise_loss_io_with_table(
            table, kinds[id], o->in[0], o->target, o->weight, n, parameters[id],
            id == POISSON ? LOSSOPT_LOSS_LOG_INPUT | LOSSOPT_LOSS_FULL : 0u, o->r, io, loss, g0);
    switch (id) {
    case KL_DIV:
        return lossopt_kl_div_io_with_table(table, o->in[0], o->target, o->rows, o->classes,
                                            false, o->r, io, loss, g0);
    case MARGIN_RANKING:
        return lossopt_loss3_io_with_table(table, LOSSOPT_LOSS3_MARGIN_RANKING, o->in[0],
                                           o->in[1], o->target, n, 0.3f, false, o->r, io, loss,
                                           g0, g1);
    case GAUSSIAN:
        return lossopt_loss3_io_with_table(table, LOSSOPT_LOSS3_GAUSSIAN_NLL, o->in[0],
                                           o->target, o->in[1], n, 1e-6f, true, o->r, io, loss,
                                           g0, g1);
    case CROSS_ENTROPY:
        return lossopt_cross_entropy_io_with_table(table, o->in[0], o->labels, o->rows,
                                                   o->classes, &ce, io, loss, g0);
    case CE_PROBS:
        return lossopt_cross_entropy_probs_io_with_table(table, o->in[0], o->target, o->rows,
                                                         o->classes, &ce, io, loss, g0);
    case NLL:
        return lossopt_nll_io_with_table(table, o->in[0], o->labels, o->rows, o->classes, &nll,
                                         io, loss, g0);
    case MULTI_MARGIN:
        return lossopt_multi_margin_io_with_table(table, o->in[0], o->labels, o->rows,
                                                  o->classes, 2, 0.7f, o->weight, o->r, io, loss,
                                                  g0);
    case MULTILABEL:
        return lossopt_multilabel_soft_margin_io_with_table(table, o->in[0], o->target, o->rows,
                                                            o->classes, o->weight, o->r, io,
                                                            loss, g0);
    case COSINE:
        return lossopt_cosine_embedding_io_with_table(table, o->in[0], o->in[1], o->target,
                                                      o->rows, o->classes, 0.25f, o->r, io, loss,
                                                      g0, g1);
    case TRIPLET:
        return lossopt_triplet_margin_io_with_table(table, o->in[0], o->in[1], o->in[2], o->rows,
                                                    o->classes, 0.7f, o->r == LOSSOPT_SUM ? 1 : 2,
                                                    1e-6f, true, o->r, io, loss, g0, g1, g2);
    default: break;
    }
    return LOSSOPT_ERR_ARG;
}

/* ---- data ------------------------------------------------------------------------ */

/* The master f32 values of a case (dense rows x classes), in each loss's
 * domain, with a few special values where the loss takes them. */
typedef struct data {
    size_t rows, classes, n;
    float *in[3], *target, *weight;
    int64_t *labels64;
    int32_t *labels32;
} data;

static float input_value(loss_id id, int which)
{
    switch (id) {
    case BCE: return test_random_uniform(0.0f, 1.0f);
    case KL_DIV: case NLL: return test_random_uniform(-9.0f, 0.0f);
    case GAUSSIAN: return which == 1 ? test_random_uniform(0.0f, 3.0f) : test_random_uniform(-4, 4);
    default:
        return test_random_u32() % 50 == 0 ? test_random_special() : test_random_uniform(-6, 6);
    }
}

static data make_data(loss_id id, size_t rows, size_t classes)
{
    data d = {rows, classes, rows * classes, {NULL, NULL, NULL}, NULL, NULL, NULL, NULL};
    size_t n = d.n ? d.n : 1;
    for (int k = 0; k < 3; k++) {
        d.in[k] = malloc(n * sizeof(float));
        for (size_t i = 0; i < d.n; i++)
            d.in[k][i] = input_value(id, k);
    }
    d.target = malloc(n * sizeof(float));
    d.weight = malloc(n * sizeof(float));
    for (size_t i = 0; i < d.n; i++) {
        float u = test_random_uniform(0.0f, 1.0f);
        d.target[i] = id == HINGE || id == SQUARED_HINGE || id == SOFT_MARGIN ||
                              id == MARGIN_RANKING || id == COSINE
                          ? (u < 0.5f ? -1.0f : 1.0f)
                      : id == POISSON ? test_random_uniform(0.0f, 5.0f)
                                      : u;
        d.weight[i] = test_random_uniform(0.0f, 2.0f);
    }
    if (id == CE_PROBS) /* each row a distribution */
        for (size_t r = 0; r < rows; r++) {
            float s = 0.0f;
            for (size_t j = 0; j < classes; j++)
                s += d.target[r * classes + j];
            for (size_t j = 0; j < classes; j++)
                d.target[r * classes + j] /= s;
        }
    d.labels64 = malloc((rows ? rows : 1) * sizeof(int64_t));
    d.labels32 = malloc((rows ? rows : 1) * sizeof(int32_t));
    for (size_t r = 0; r < rows; r++) {
        int64_t label = test_random_u32() % 7 == 0 ? -100 : (int64_t)test_random_below(classes);
        d.labels64[r] = label;
        d.labels32[r] = (int32_t)label;
    }
    return d;
}

static void free_data(data *d)
{
    free(d->in[0]);
    free(d->in[1]);
    free(d->in[2]);
    free(d->target);
    free(d->weight);
    free(d->labels64);
    free(d->labels32);
}

/* A strided typed buffer on a guard page: rows of `stride`, the padding
 * (and the unused bytes before it) filled with a guard byte pattern. */
typedef struct strided {
    unsigned char *bytes;
    size_t span_bytes;
} strided;

static strided make_strided(lossopt_dtype dtype, size_t rows, size_t classes, size_t stride)
{
    size_t span = rows ? (rows - 1) * stride + classes : 0;
    strided s = {test_guarded_alloc_bytes(span ? span * size_of(dtype) : 1), span * size_of(dtype)};
    memset(s.bytes, 0xA5, s.span_bytes);
    return s;
}

/* ---- one case ---------------------------------------------------------------------- */

typedef struct io_case {
    loss_id id;
    size_t rows, classes;
    lossopt_loss_io io;
    lossopt_reduction r;
    bool in_place;
    bool want_loss, want_grads;
} io_case;

static const char *reduction_name(lossopt_reduction r)
{
    return r == LOSSOPT_MEAN ? "mean" : r == LOSSOPT_SUM ? "sum" : r == LOSSOPT_NONE ? "none"
                                                                                       : "batchmean";
}

static void describe(const io_case *c, const char *variant_name, char *out, size_t size)
{
    snprintf(out, size, "%s %s %zux%zu in %s grad %s acc %d scale %g stride %zu labels %s %s%s",
             loss_names[c->id], variant_name, c->rows, c->classes, dtype_name(c->io.input),
             dtype_name(c->io.grad), c->io.accumulate, c->io.grad_scale, c->io.row_stride,
             c->io.labels == LOSSOPT_LABELS_I32 ? "i32" : "i64", reduction_name(c->r),
             c->in_place ? " in-place" : "");
}

/* Runs case c on variant v and compares with the expectation built from the
 * oracle's f32 call on the widened inputs. */
static void run_case(const io_case *c, const variant *v, uint64_t case_index)
{
    char what[256];
    describe(c, v->name, what, sizeof what);
    test_seed_case("io case", (uint64_t)c->id, case_index, 0);
    size_t rows = c->rows, classes = c->classes, n = rows * classes;
    data d = make_data(c->id, rows, classes);
    size_t stride = row_wise(c->id) && c->io.row_stride ? c->io.row_stride : classes;
    int inputs = input_count(c->id), grads = input_count(c->id);
    lossopt_dtype din = c->io.input, dgrad = c->io.grad;

    /* typed inputs (rounded from the masters) and their widened dense twins */
    strided in[3] = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
    float *wide[3] = {NULL, NULL, NULL};
    for (int k = 0; k < inputs; k++) {
        in[k] = make_strided(din, rows, classes, stride);
        wide[k] = malloc((n ? n : 1) * sizeof(float));
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < classes; j++) {
                store(din, in[k].bytes, r * stride + j, d.in[k][r * classes + j]);
                wide[k][r * classes + j] = widen(din, in[k].bytes, r * stride + j);
            }
    }
    /* CE probs' and multilabel's targets share the stride */
    float *target_strided = d.target;
    strided target_buffer = {NULL, 0};
    if (c->id == CE_PROBS || c->id == MULTILABEL) {
        target_buffer = make_strided(LOSSOPT_F32, rows, classes, stride);
        target_strided = (float *)target_buffer.bytes;
        for (size_t r = 0; r < rows; r++)
            memcpy(target_strided + r * stride, d.target + r * classes, classes * sizeof(float));
    }

    /* the expectation: the oracle's f32 call on the widened, dense inputs */
    operands dense = {rows, classes, {wide[0], wide[1], wide[2]}, d.target, d.weight, d.labels64,
                      c->r};
    size_t loss_count = c->r == LOSSOPT_NONE ? (row_wise(c->id) ? rows : n) : 1;
    float *want_loss = malloc((loss_count ? loss_count : 1) * sizeof(float));
    float *want_grad[3];
    for (int k = 0; k < 3; k++)
        want_grad[k] = malloc((n ? n : 1) * sizeof(float));
    lossopt_status want_status = call(c->id, test_oracle(), false, NULL, &dense, want_loss,
                                      want_grad[0], grads >= 2 ? want_grad[1] : NULL,
                                      grads >= 3 ? want_grad[2] : NULL);

    /* the gradients, strided, with random stored values to accumulate onto */
    strided g[3] = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
    unsigned char *before[3] = {NULL, NULL, NULL};
    for (int k = 0; k < grads; k++) {
        if (c->in_place) {
            g[k] = in[k];
        } else {
            g[k] = make_strided(dgrad, rows, classes, stride);
            for (size_t r = 0; r < rows; r++)
                for (size_t j = 0; j < classes; j++)
                    store(dgrad, g[k].bytes, r * stride + j, test_random_uniform(-2.0f, 2.0f));
        }
        before[k] = malloc(g[k].span_bytes ? g[k].span_bytes : 1);
        memcpy(before[k], g[k].bytes, g[k].span_bytes);
    }
    float *got_loss = test_guarded_alloc(loss_count ? loss_count : 1);
    operands typed = {rows, classes, {in[0].bytes, in[1].bytes, in[2].bytes}, target_strided,
                      d.weight,
                      c->io.labels == LOSSOPT_LABELS_I32 ? (const void *)d.labels32
                                                         : (const void *)d.labels64,
                      c->r};
    lossopt_status got_status =
        call(c->id, v->public_api ? NULL : v->table, false, &c->io, &typed,
             c->want_loss ? got_loss : NULL, c->want_grads ? g[0].bytes : NULL,
             c->want_grads && grads >= 2 ? g[1].bytes : NULL,
             c->want_grads && grads >= 3 ? g[2].bytes : NULL);

    if (test_check(want_status == LOSSOPT_OK && got_status == LOSSOPT_OK,
                   "%s: status %d (oracle f32 %d)", what, got_status, want_status)) {
        if (c->want_loss) {
            size_t i = test_first_difference(want_loss, got_loss, loss_count);
            test_check(i == loss_count, "%s: loss[%zu] %a, want %a", what, i,
                       i < loss_count ? got_loss[i] : 0.0, i < loss_count ? want_loss[i] : 0.0);
        }
        float scale = c->io.grad_scale != 0.0 ? (float)c->io.grad_scale : 1.0f;
        for (int k = 0; k < grads; k++) {
            size_t bad = SIZE_MAX, bad_padding = SIZE_MAX;
            float got_at = 0, want_at = 0;
            for (size_t r = 0; r < rows; r++) {
                for (size_t j = 0; j < classes && bad == SIZE_MAX; j++) {
                    size_t at = r * stride + j;
                    float want;
                    if (!c->want_grads) {
                        want = widen(dgrad, before[k], at); /* untouched */
                    } else {
                        float term = want_grad[k][r * classes + j];
                        if (c->io.grad_scale != 0.0)
                            term = term * scale;
                        if (c->io.accumulate)
                            term = widen(dgrad, before[k], at) + term;
                        unsigned char rounded[4];
                        store(dgrad, rounded, 0, term);
                        want = widen(dgrad, rounded, 0);
                    }
                    float got = widen(dgrad, g[k].bytes, at);
                    if (!test_same_float(got, want)) {
                        bad = at;
                        got_at = got;
                        want_at = want;
                    }
                }
                /* the padding between classes and stride keeps its bytes */
                if (r + 1 < rows) {
                    size_t from = (r * stride + classes) * size_of(dgrad);
                    size_t to = ((r + 1) * stride) * size_of(dgrad);
                    if (memcmp(g[k].bytes + from, before[k] + from, to - from) != 0 &&
                        bad_padding == SIZE_MAX)
                        bad_padding = r;
                }
            }
            test_check(bad == SIZE_MAX, "%s: grad %d at %zu is %a, want %a", what, k, bad,
                       (double)got_at, (double)want_at);
            test_check(bad_padding == SIZE_MAX, "%s: grad %d padding after row %zu written",
                       what, k, bad_padding);
        }
        /* the inputs' padding is never written either (in place: checked above) */
        if (!c->in_place)
            for (int k = 0; k < inputs; k++)
                for (size_t r = 0; r + 1 < rows; r++) {
                    size_t from = (r * stride + classes) * size_of(din);
                    size_t to = ((r + 1) * stride) * size_of(din);
                    bool kept = true;
                    for (size_t b = from; b < to; b++)
                        kept = kept && in[k].bytes[b] == 0xA5;
                    if (!test_check(kept, "%s: input %d padding after row %zu written", what, k,
                                    r))
                        break;
                }
    }

    for (int k = 0; k < 3; k++) {
        if (!c->in_place && g[k].bytes)
            test_guarded_free(g[k].bytes);
        if (in[k].bytes)
            test_guarded_free(in[k].bytes);
        free(before[k]);
        free(wide[k]);
        free(want_grad[k]);
    }
    if (target_buffer.bytes)
        test_guarded_free(target_buffer.bytes);
    free(want_loss);
    test_guarded_free(got_loss);
    free_data(&d);
}

/* ---- the covering set --------------------------------------------------------------- */

static void covering_set(const variant *variants, size_t variant_count)
{
    static const lossopt_dtype dtypes[] = {LOSSOPT_F32, LOSSOPT_BF16, LOSSOPT_F16};
    static const double scales[] = {0.0, 0.37, 1024.0, 3e-5};
    static const lossopt_reduction reductions[] = {LOSSOPT_MEAN, LOSSOPT_SUM, LOSSOPT_NONE};
    /* elementwise lengths cross canonical blocks (256); rows x classes */
    static const size_t lengths[][2] = {{1, 1}, {1, 37}, {1, 600}};
    static const size_t shapes[][2] = {{1, 1}, {3, 17}, {5, 300}};
    uint64_t index = 0;
    for (int id = 0; id < LOSS_COUNT; id++)
        for (int shape = 0; shape < 3; shape++)
            for (int di = 0; di < 3; di++)
                for (int dg = 0; dg < 3; dg++, index++) {
                    io_case c = {(loss_id)id, 0, 0, {0}, reductions[index % 3], false, true, true};
                    bool rw = row_wise(c.id);
                    c.rows = rw ? shapes[shape][0] : lengths[shape][0];
                    c.classes = rw ? shapes[shape][1] : lengths[shape][1];
                    if (c.id == KL_DIV) { /* rows x cols, elementwise */
                        c.rows = shapes[shape][0];
                        c.classes = shapes[shape][1];
                        if (index % 4 == 3)
                            c.r = LOSSOPT_BATCHMEAN;
                    }
                    c.io.input = dtypes[di];
                    c.io.grad = dtypes[dg];
                    c.io.accumulate = (index / 3) % 2 == 1;
                    c.io.grad_scale = scales[(index / 2) % 4];
                    if (rw) {
                        c.io.row_stride = index % 3 == 0 ? 0 : c.classes + 1 + index % 70;
                        if (has_labels(c.id))
                            c.io.labels = index % 2 ? LOSSOPT_LABELS_I32 : LOSSOPT_LABELS_I64;
                    }
                    /* loss only, grad only, both */
                    c.want_loss = index % 5 != 1;
                    c.want_grads = index % 5 != 2;
                    for (size_t k = 0; k < variant_count; k++)
                        run_case(&c, &variants[k], index);
                    /* in place: the same case with grad == logits */
                    if (in_place_ok(c.id) && di == dg && c.want_grads) {
                        c.in_place = true;
                        c.io.accumulate = false;
                        for (size_t k = 0; k < variant_count; k++)
                            run_case(&c, &variants[k], index);
                    }
                }
}

/* A zero io and a NULL io give the bits of the _f32 twin (public API). */
static void zero_io_is_the_twin(void)
{
    static const lossopt_reduction reductions[] = {LOSSOPT_MEAN, LOSSOPT_SUM, LOSSOPT_NONE};
    for (int id = 0; id < LOSS_COUNT; id++)
        for (int ri = 0; ri < 3; ri++) {
            test_seed_case("zero io", (uint64_t)id, (uint64_t)ri, 0);
            size_t rows = row_wise((loss_id)id) || id == KL_DIV ? 7 : 1;
            size_t classes = row_wise((loss_id)id) || id == KL_DIV ? 45 : 700;
            data d = make_data((loss_id)id, rows, classes);
            size_t n = rows * classes;
            operands o = {rows, classes, {d.in[0], d.in[1], d.in[2]}, d.target, d.weight,
                          d.labels64, reductions[ri]};
            float *loss[3], *grad[3][3];
            lossopt_status status[3];
            const lossopt_loss_io zero = {0};
            for (int k = 0; k < 3; k++) {
                loss[k] = calloc(n, sizeof(float));
                grad[k][0] = calloc(n, sizeof(float));
                grad[k][1] = calloc(n, sizeof(float));
                grad[k][2] = calloc(n, sizeof(float));
                status[k] = call((loss_id)id, NULL, k == 0, k == 1 ? &zero : NULL, &o, loss[k],
                                 grad[k][0], grad[k][1], grad[k][2]);
            }
            for (int k = 1; k < 3; k++) {
                test_check(status[k] == status[0] && status[0] == LOSSOPT_OK,
                           "%s %s: %s io status %d, _f32 %d", loss_names[id],
                           reductions[ri] == LOSSOPT_NONE ? "none" : "reduced",
                           k == 1 ? "zero" : "NULL", status[k], status[0]);
                test_check(test_first_difference(loss[0], loss[k], n) == n &&
                               test_first_difference(grad[0][0], grad[k][0], n) == n &&
                               test_first_difference(grad[0][1], grad[k][1], n) == n &&
                               test_first_difference(grad[0][2], grad[k][2], n) == n,
                           "%s reduction %d: %s io differs from the _f32 call", loss_names[id],
                           ri, k == 1 ? "zero" : "NULL");
            }
            for (int k = 0; k < 3; k++) {
                free(loss[k]);
                free(grad[k][0]);
                free(grad[k][1]);
                free(grad[k][2]);
            }
            free_data(&d);
        }
}

/* ---- errors: the status, and nothing written ---------------------------------------- */

static void expect_error(loss_id id, const lossopt_loss_io *io, const operands *o,
                         lossopt_status want, const char *why)
{
    float loss[4] = {7, 7, 7, 7};
    size_t n = o->rows * o->classes;
    size_t span = io && io->row_stride ? (o->rows - 1) * io->row_stride + o->classes : n;
    unsigned char *g0 = malloc(span * 4 + 4), *g1 = malloc(span * 4 + 4), *g2 = malloc(span * 4 + 4);
    memset(g0, 0x3C, span * 4 + 4);
    memset(g1, 0x3C, span * 4 + 4);
    memset(g2, 0x3C, span * 4 + 4);
    variant entries[TEST_MAX_VARIANTS];
    size_t count = test_all_entry_points(entries);
    for (size_t e = 0; e < count; e++) {
        lossopt_status s = call(id, entries[e].public_api ? NULL : entries[e].table, false, io, o,
                                loss, g0, input_count(id) >= 2 ? g1 : NULL,
                                input_count(id) >= 3 ? g2 : NULL);
        bool untouched = loss[0] == 7 && loss[3] == 7;
        for (size_t b = 0; b < span * 4 + 4; b++)
            untouched = untouched && g0[b] == 0x3C && g1[b] == 0x3C && g2[b] == 0x3C;
        test_check(s == want && untouched, "%s %s (%s): status %d, want %d%s", loss_names[id],
                   entries[e].name, why, s, want, untouched ? "" : "; something was written");
    }
    free(g0);
    free(g1);
    free(g2);
}

static void errors(void)
{
    for (int id = 0; id < LOSS_COUNT; id++) {
        test_seed_case("io errors", (uint64_t)id, 0, 0);
        bool rw = row_wise((loss_id)id);
        size_t rows = rw || id == KL_DIV ? 3 : 1, classes = rw || id == KL_DIV ? 5 : 12;
        data d = make_data((loss_id)id, rows, classes);
        operands o = {rows, classes, {d.in[0], d.in[1], d.in[2]}, d.target, d.weight, d.labels64,
                      LOSSOPT_MEAN};
        lossopt_loss_io io = {0};
        io.input = (lossopt_dtype)3;
        expect_error((loss_id)id, &io, &o, LOSSOPT_ERR_ARG, "input dtype 3");
        io = (lossopt_loss_io){0};
        io.grad = (lossopt_dtype)-1;
        expect_error((loss_id)id, &io, &o, LOSSOPT_ERR_ARG, "grad dtype -1");
        io = (lossopt_loss_io){0};
        io.labels = (lossopt_label_type)2;
        expect_error((loss_id)id, &io, &o, LOSSOPT_ERR_ARG, "label type 2");
        static const double bad_scales[] = {-1.0, NAN, INFINITY, 1e300, -0.0 - 1e-300};
        for (int k = 0; k < 5; k++) {
            io = (lossopt_loss_io){0};
            io.grad_scale = bad_scales[k];
            expect_error((loss_id)id, &io, &o, LOSSOPT_ERR_ARG, "grad_scale");
        }
        io = (lossopt_loss_io){0};
        io.row_stride = rw ? classes - 1 : classes + 1;
        expect_error((loss_id)id, &io, &o, LOSSOPT_ERR_ARG,
                     rw ? "row_stride < classes" : "row_stride on an elementwise loss");
        if (rw) { /* a span that overflows the address space */
            operands huge = o;
            huge.rows = (size_t)1 << 40;
            huge.classes = 2;
            io = (lossopt_loss_io){0};
            io.row_stride = (size_t)1 << 23;
            lossopt_loss_io small = io; /* the buffers are never read */
            float loss = 7;
            variant entries[TEST_MAX_VARIANTS];
            size_t count = test_all_entry_points(entries);
            for (size_t e = 0; e < count; e++)
                test_check(call((loss_id)id, entries[e].public_api ? NULL : entries[e].table,
                                false, &small, &huge, &loss, NULL, NULL, NULL) == LOSSOPT_ERR_SIZE &&
                               loss == 7,
                           "%s %s: an overflowing strided span is not LOSSOPT_ERR_SIZE",
                           loss_names[id], entries[e].name);
        }
        if (in_place_ok((loss_id)id)) { /* in place with accumulate or another dtype */
            float *x = malloc(rows * classes * sizeof(float));
            memcpy(x, d.in[0], rows * classes * sizeof(float));
            float *copy = malloc(rows * classes * sizeof(float));
            memcpy(copy, x, rows * classes * sizeof(float));
            for (int k = 0; k < 2; k++) {
                io = (lossopt_loss_io){0};
                if (k == 0)
                    io.accumulate = true;
                else
                    io.grad = LOSSOPT_BF16;
                operands in_place = o;
                in_place.in[0] = x;
                float loss = 7;
                variant entries[TEST_MAX_VARIANTS];
                size_t count = test_all_entry_points(entries);
                for (size_t e = 0; e < count; e++) {
                    lossopt_status s = call((loss_id)id,
                                            entries[e].public_api ? NULL : entries[e].table,
                                            false, &io, &in_place, &loss, x, NULL, NULL);
                    test_check(s == LOSSOPT_ERR_ARG && loss == 7 &&
                                   memcmp(x, copy, rows * classes * sizeof(float)) == 0,
                               "%s %s: in place with %s: status %d or something written",
                               loss_names[id], entries[e].name,
                               k == 0 ? "accumulate" : "a bf16 grad", s);
                }
            }
            free(x);
            free(copy);
        }
        /* DOMAIN seen only in the widened values */
        if (id == BCE || id == GAUSSIAN || has_labels((loss_id)id)) {
            io = (lossopt_loss_io){0};
            io.input = LOSSOPT_BF16;
            uint16_t *typed = calloc(rows * classes, sizeof(uint16_t));
            uint16_t *typed2 = calloc(rows * classes, sizeof(uint16_t));
            for (size_t i = 0; i < rows * classes; i++) {
                store(LOSSOPT_BF16, typed, i, d.in[0][i]);
                store(LOSSOPT_BF16, typed2, i, d.in[1][i]);
            }
            operands bad = o;
            bad.in[0] = typed;
            bad.in[1] = typed2;
            int32_t labels32[3];
            if (id == BCE)
                typed[rows * classes - 1] = 0x3FC0; /* 1.5 */
            else if (id == GAUSSIAN)
                typed2[rows * classes - 1] = 0xBF80; /* -1 */
            else {
                io.labels = LOSSOPT_LABELS_I32;
                for (size_t r = 0; r < rows; r++)
                    labels32[r] = (int32_t)d.labels64[r];
                labels32[rows - 1] = (int32_t)classes;
                bad.labels = labels32;
            }
            expect_error((loss_id)id, &io, &bad, LOSSOPT_ERR_DOMAIN, "a widened domain error");
            free(typed);
            free(typed2);
        }
        free_data(&d);
    }
}

int main(void)
{
    test_init("test_loss_io");
    variant variants[TEST_MAX_VARIANTS + 1];
    size_t count = test_variants(variants);
    /* the oracle's own io path too (its conversions are the reference's twins) */
    variants[count++] = (variant){false, test_oracle(), "scalar"};
    zero_io_is_the_twin();
    covering_set(variants, count);
    errors();
    return test_finish();
}
