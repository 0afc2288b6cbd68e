/* fuzz/fuzz_loss_io.c - differential libFuzzer target for the io forms of
 * the losses (include/lossopt.h, "Losses for engines"): every elementwise
 * kind (kl_div as n rows of one column), margin_ranking and gaussian_nll,
 * cross_entropy, cross_entropy_probs, nll, multi_margin,
 * multilabel_soft_margin, cosine_embedding and triplet_margin. The input picks the loss, n or rows x classes,
 * the whole lossopt_loss_io (input and grad dtypes, also outside the enum;
 * accumulate; grad_scale from valid, boundary and invalid doubles; a row
 * stride that is dense, padded or too small; int32 or int64 labels, or a
 * label type outside the enum), in-place cross-entropy, NULL outputs, the
 * reduction, and the bits of every buffer (16-bit ones raw; the gradients'
 * prior contents too, which accumulate reads). Each input runs the scalar
 * oracle, every supported ISA's table and the public io call on buffers that
 * end at guard pages; traps on any difference in status or output bytes, any
 * write on error, any write to an input (but the logits of an in-place
 * call), and any write to a padding column between classes and the stride. */
#include "fuzz_common.h"

#define MAX_ELEMENTWISE 1024
#define MAX_ROWS 12
#define MAX_CLASSES 300
#define MAX_STRIDE (MAX_CLASSES + 40)

enum { S_A, S_B, S_C, S_WEIGHT, S_LABELS, S_LOSS, S_GRAD0, S_GRAD1, NSLOT };
/* triplet_margin has no weights or labels: its third gradient takes the
 * labels' slot (fuzz_common.h has 8 guard-page slots) */
#define S_GRAD2 S_LABELS
static const char *const slot_names[NSLOT] = {"a", "b", "c", "weight", "labels", "loss",
                                              "grad0", "grad1"};

typedef enum family {
    F_ELEMENTWISE, F_LOSS3, F_CE, F_CE_PROBS, F_NLL, F_MULTI_MARGIN, F_MULTILABEL, F_COSINE,
    F_TRIPLET, F_COUNT
} family;
static const char *const family_names[F_COUNT] = {
    "elementwise", "loss3", "cross_entropy", "cross_entropy_probs", "nll", "multi_margin",
    "multilabel_soft_margin", "cosine_embedding", "triplet_margin"};

/* One fuzz case, the same for every implementation. */
typedef struct io_call {
    family fam;
    int kind;              /* elementwise kind or loss3 kind */
    size_t n, rows, classes;
    float parameter;
    unsigned flags;        /* poisson_nll's log_input / full */
    lossopt_reduction r;
    lossopt_ce_options ce;
    int p;
    lossopt_loss_io io;
    bool in_place;
    bool null_slot[NSLOT];
    size_t bytes[NSLOT];
} io_call;

static unsigned char initial[NSLOT][FUZZ_SLOT_BYTES];
static unsigned char oracle_out[NSLOT][FUZZ_SLOT_BYTES];
static lossopt_status oracle_status;

static size_t dtype_bytes(lossopt_dtype d) { return d == LOSSOPT_BF16 || d == LOSSOPT_F16 ? 2 : 4; }

static bool row_wise(family f) { return f >= F_CE; }

/* Whether slot s holds an input of io->input's dtype (else f32 data). */
static bool typed_input(const io_call *c, int s)
{
    if (s == S_A) return true;
    if (c->fam == F_COSINE) return s == S_B;
    if (c->fam == F_TRIPLET) return s == S_B || s == S_C;
    if (c->fam != F_LOSS3) return false;
    /* margin_ranking types x1, x2 (a, b); gaussian_nll input and var (a, c) */
    return c->kind == LOSSOPT_LOSS3_MARGIN_RANKING ? s == S_B : s == S_C;
}

static lossopt_status run(const io_call *c, const lossopt_kernel_table *t, void *const p[NSLOT])
{
    const lossopt_loss_io *io = &c->io;
    float *loss = p[S_LOSS];
    void *g0 = c->in_place ? p[S_A] : p[S_GRAD0];
    const float *target = p[S_B], *weight = p[S_WEIGHT];
    const void *a = p[S_A], *labels = p[S_LABELS];
    lossopt_ce_options ce = c->ce; /* its class weights are this run's buffer */
    ce.class_weight = weight;
    switch (c->fam) {
    case F_ELEMENTWISE:
        if (t)
            return lossopt_elementwise_loss_io_with_table(t, (lossopt_loss_kind)c->kind, a, target,
                                                          weight, c->n, c->parameter, c->flags,
                                                          c->r, io, loss, g0);
        switch ((lossopt_loss_kind)c->kind) {
        case LOSSOPT_LOSS_MSE: return lossopt_mse(a, target, c->n, c->r, io, loss, g0);
        case LOSSOPT_LOSS_L1: return lossopt_l1(a, target, c->n, c->r, io, loss, g0);
        case LOSSOPT_LOSS_HUBER:
            return lossopt_huber(a, target, c->n, c->parameter, c->r, io, loss, g0);
        case LOSSOPT_LOSS_SMOOTH_L1:
            return lossopt_smooth_l1(a, target, c->n, c->parameter, c->r, io, loss, g0);
        case LOSSOPT_LOSS_HINGE: return lossopt_hinge(a, target, c->n, c->r, io, loss, g0);
        case LOSSOPT_LOSS_SQUARED_HINGE:
            return lossopt_squared_hinge(a, target, c->n, c->r, io, loss, g0);
        case LOSSOPT_LOSS_BCE: return lossopt_bce(a, target, c->n, weight, c->r, io, loss, g0);
        case LOSSOPT_LOSS_BCE_LOGITS:
            return lossopt_bce_logits(a, target, c->n, weight, c->parameter, c->r, io, loss, g0);
        case LOSSOPT_LOSS_SOFT_MARGIN:
            return lossopt_soft_margin(a, target, c->n, c->r, io, loss, g0);
        case LOSSOPT_LOSS_POISSON_NLL:
            return lossopt_poisson_nll(a, target, c->n, c->flags & LOSSOPT_LOSS_LOG_INPUT,
                                       c->flags & LOSSOPT_LOSS_FULL, c->parameter, c->r, io, loss,
                                       g0);
        case LOSSOPT_LOSS_KL_DIV:
            return lossopt_kl_div(a, target, c->n, 1, false, c->r, io, loss, g0);
        case LOSSOPT_LOSS_KL_DIV_LOG_TARGET:
            return lossopt_kl_div(a, target, c->n, 1, true, c->r, io, loss, g0);
        case LOSSOPT_LOSS_KIND_COUNT: break;
        }
        return LOSSOPT_ERR_ARG;
    case F_LOSS3:
        if (t)
            return lossopt_loss3_io_with_table(t, (lossopt_loss3_kind)c->kind, a, p[S_B], p[S_C],
                                               c->n, c->parameter, c->flags != 0, c->r, io, loss,
                                               g0, p[S_GRAD1]);
        if (c->kind == LOSSOPT_LOSS3_MARGIN_RANKING)
            return lossopt_margin_ranking(a, p[S_B], p[S_C], c->n, c->parameter, c->r, io, loss,
                                          g0, p[S_GRAD1]);
        return lossopt_gaussian_nll(a, p[S_B], p[S_C], c->n, c->flags != 0, c->parameter, c->r,
                                    io, loss, g0, p[S_GRAD1]);
    case F_CE:
        return t ? lossopt_cross_entropy_io_with_table(t, a, labels, c->rows, c->classes, &ce,
                                                       io, loss, g0)
                 : lossopt_cross_entropy(a, labels, c->rows, c->classes, &ce, io, loss, g0);
    case F_CE_PROBS:
        return t ? lossopt_cross_entropy_probs_io_with_table(t, a, target, c->rows, c->classes,
                                                             &ce, io, loss, g0)
                 : lossopt_cross_entropy_probs(a, target, c->rows, c->classes, &ce, io, loss,
                                               g0);
    case F_NLL:
        return t ? lossopt_nll_io_with_table(t, a, labels, c->rows, c->classes, &ce, io, loss,
                                             g0)
                 : lossopt_nll(a, labels, c->rows, c->classes, &ce, io, loss, g0);
    case F_MULTI_MARGIN:
        return t ? lossopt_multi_margin_io_with_table(t, a, labels, c->rows, c->classes, c->p,
                                                      c->parameter, weight, c->r, io, loss, g0)
                 : lossopt_multi_margin(a, labels, c->rows, c->classes, c->p, c->parameter, weight,
                                        c->r, io, loss, g0);
    case F_MULTILABEL:
        return t ? lossopt_multilabel_soft_margin_io_with_table(t, a, target, c->rows, c->classes,
                                                                weight, c->r, io, loss, g0)
                 : lossopt_multilabel_soft_margin(a, target, c->rows, c->classes, weight, c->r,
                                                  io, loss, g0);
    case F_COSINE:
        return t ? lossopt_cosine_embedding_io_with_table(t, a, p[S_B], p[S_C], c->rows,
                                                          c->classes, c->parameter, c->r, io,
                                                          loss, g0, p[S_GRAD1])
                 : lossopt_cosine_embedding(a, p[S_B], p[S_C], c->rows, c->classes,
                                            c->parameter, c->r, io, loss, g0, p[S_GRAD1]);
    case F_TRIPLET: {
        float eps = (c->flags & 2) ? 1e-6f : (float)(c->flags >> 2) * 0.125f - 0.125f;
        return t ? lossopt_triplet_margin_io_with_table(t, a, p[S_B], p[S_C], c->rows, c->classes,
                                                        c->parameter, c->p, eps, c->flags & 1,
                                                        c->r, io, loss, g0, p[S_GRAD1],
                                                        p[S_GRAD2])
                 : lossopt_triplet_margin(a, p[S_B], p[S_C], c->rows, c->classes, c->parameter,
                                          c->p, eps, c->flags & 1, c->r, io, loss, g0,
                                          p[S_GRAD1], p[S_GRAD2]);
    }
    case F_COUNT: break;
    }
    return LOSSOPT_ERR_ARG;
}

/* Fills `bytes` bytes of slot data: f32 values through rd_floats, 16-bit
 * values as the high halves of such floats (bf16's own patterns; for f16 a
 * spread over every exponent, NaN and inf included). */
static void fill(fuzz_reader *rd, unsigned char *out, size_t count, size_t element_bytes)
{
    static float values[FUZZ_SLOT_BYTES / 4];
    rd_floats(rd, values, count);
    if (element_bytes == 4) {
        memcpy(out, values, count * 4);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        uint16_t h = (uint16_t)(float_to_bits(values[i]) >> 16);
        memcpy(out + 2 * i, &h, 2);
    }
}

/* Bitwise equality of one element of dtype, any NaN equal to any NaN (as
 * the other fuzzers: NaN payloads are not part of the contract). */
static bool is_nan16(lossopt_dtype dtype, uint16_t h)
{
    return dtype == LOSSOPT_F16 ? (h & 0x7fffu) > 0x7c00u : (h & 0x7fffu) > 0x7f80u;
}

static bool same_value(lossopt_dtype dtype, const unsigned char *a, const unsigned char *b)
{
    if (dtype == LOSSOPT_BF16 || dtype == LOSSOPT_F16) {
        uint16_t x, y;
        memcpy(&x, a, 2);
        memcpy(&y, b, 2);
        return x == y || (is_nan16(dtype, x) && is_nan16(dtype, y));
    }
    float x, y;
    memcpy(&x, a, 4);
    memcpy(&y, b, 4);
    return fuzz_same_float(x, y);
}

static const char *show(lossopt_dtype dtype, const unsigned char *p, int which)
{
    static char text[2][48];
    if (dtype == LOSSOPT_BF16 || dtype == LOSSOPT_F16) {
        uint16_t h;
        memcpy(&h, p, 2);
        snprintf(text[which], sizeof text[which], "0x%04x", h);
    } else {
        float f;
        memcpy(&f, p, 4);
        snprintf(text[which], sizeof text[which], "%a (0x%08" PRIx32 ")", (double)f,
                 float_to_bits(f));
    }
    return text[which];
}

/* Whether byte offset `at` of a rows x classes buffer with this stride and
 * element size is a padding column (never to be written). */
static bool is_padding(const io_call *c, size_t at, size_t element_bytes)
{
    size_t stride = c->io.row_stride ? c->io.row_stride : c->classes;
    if (stride <= c->classes) return false;
    size_t element = at / element_bytes;
    return element % stride >= c->classes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_impls_init();
    fuzz_reader rd = {data, size, 0};
    io_call c;
    memset(&c, 0, sizeof c);
    c.fam = (family)(rd_u8(&rd) % F_COUNT);
    uint8_t kind_byte = rd_u8(&rd), flags = rd_u8(&rd), io_byte = rd_u8(&rd);
    uint8_t public_choice = rd_u8(&rd);
    uint16_t n_raw = rd_u16(&rd);
    uint8_t stride_byte = rd_u8(&rd);
    c.parameter = (float)rd_hyper(&rd);
    c.r = rd_reduction(&rd);

    /* the io: dtypes 0..3 (3 is outside the enum), labels 0..2 (2 is) */
    c.io.input = (lossopt_dtype)(io_byte % 4);
    c.io.grad = (lossopt_dtype)((io_byte / 4) % 4);
    c.io.accumulate = io_byte & 0x10;
    c.io.labels = (lossopt_label_type)((io_byte >> 5) % 3);
    c.io.grad_scale = (flags & 0x40) ? rd_hyper(&rd) : 0.0;

    if (row_wise(c.fam)) {
        c.rows = (n_raw & 0xff) % (MAX_ROWS + 1);
        c.classes = ((size_t)(n_raw >> 8) * 5u) % (MAX_CLASSES + 1);
        if (stride_byte < 96) c.io.row_stride = 0;
        else if (stride_byte < 224) c.io.row_stride = c.classes + 1 + stride_byte % 40;
        else c.io.row_stride = c.classes ? stride_byte % c.classes : 1; /* too small (or 0 classes) */
        c.in_place = (c.fam == F_CE || c.fam == F_CE_PROBS) && (flags & 0x20);
        c.ce.reduction = c.r;
        c.ce.label_smoothing = (flags & 8) ? (float)(kind_byte % 5) * 0.25f : 0.0f;
        c.p = kind_byte & 1 ? 2 : (kind_byte & 2 ? 1 : (int)(kind_byte >> 2) - 10);
        c.flags = (unsigned)(kind_byte >> 4); /* triplet: swap, eps choice */
    } else {
        c.n = n_raw % (MAX_ELEMENTWISE + 1);
        c.rows = 1;
        c.classes = c.n;
        c.io.row_stride = stride_byte >= 240 ? stride_byte : 0; /* any stride is an error */
        if (c.fam == F_ELEMENTWISE) {
            c.kind = kind_byte % LOSSOPT_LOSS_KIND_COUNT;
            c.flags = flags & 3u;
        } else {
            c.kind = kind_byte % LOSSOPT_LOSS3_KIND_COUNT;
            c.flags = flags & 1u; /* gaussian_nll's full */
        }
    }
    size_t stride = c.io.row_stride > c.classes ? c.io.row_stride : c.classes;
    size_t span = row_wise(c.fam) ? (c.rows ? (c.rows - 1) * stride + c.classes : 0) : c.n;
    size_t in_bytes = dtype_bytes(c.io.input), grad_bytes = dtype_bytes(c.io.grad);
    bool two_grads = c.fam == F_LOSS3 || c.fam == F_COSINE || c.fam == F_TRIPLET;
    bool three_grads = c.fam == F_TRIPLET;
    bool has_labels = c.fam == F_CE || c.fam == F_NLL || c.fam == F_MULTI_MARGIN;
    bool strided_target = c.fam == F_CE_PROBS || c.fam == F_MULTILABEL;
    bool has_weight = (c.fam == F_ELEMENTWISE) || c.fam == F_CE || c.fam == F_CE_PROBS ||
                      c.fam == F_NLL || c.fam == F_MULTI_MARGIN || c.fam == F_MULTILABEL;

    c.bytes[S_A] = span * in_bytes;
    c.bytes[S_B] = typed_input(&c, S_B)                    ? span * in_bytes
                   : strided_target || !row_wise(c.fam)     ? span * 4
                                                            : 0;
    c.bytes[S_C] = typed_input(&c, S_C) ? span * in_bytes
                   : c.fam == F_LOSS3  ? span * 4
                   : c.fam == F_COSINE ? c.rows * 4 /* y */
                                       : 0;
    c.bytes[S_WEIGHT] = !has_weight ? 0 : (row_wise(c.fam) ? c.classes : c.n) * 4;
    size_t label_bytes = c.io.labels == LOSSOPT_LABELS_I32 ? 4 : 8;
    c.bytes[S_LABELS] = has_labels ? c.rows * label_bytes : three_grads ? span * grad_bytes : 0;
    size_t loss_count = c.r == LOSSOPT_NONE ? (row_wise(c.fam) ? c.rows : c.n) : 1;
    c.bytes[S_LOSS] = (loss_count ? loss_count : 1) * 4;
    c.bytes[S_GRAD0] = c.in_place ? 0 : span * grad_bytes;
    c.bytes[S_GRAD1] = two_grads ? span * grad_bytes : 0;

    /* NULLs: weight and labels as given by the bytes; outputs */
    c.null_slot[S_WEIGHT] = !has_weight || !(flags & 0x80);
    c.null_slot[S_LABELS] = !has_labels && !(three_grads && !(kind_byte & 0x40));
    c.null_slot[S_B] = c.bytes[S_B] == 0 && !(c.fam == F_LOSS3 || strided_target ||
                                               !row_wise(c.fam));
    c.null_slot[S_C] = c.bytes[S_C] == 0;
    c.null_slot[S_LOSS] = (flags & 4) && !(flags & 0x10);
    c.null_slot[S_GRAD0] = c.in_place || ((flags & 0x10) && !(flags & 4));
    c.null_slot[S_GRAD1] = !two_grads || (kind_byte & 0x80);

    for (int s = 0; s < NSLOT; s++) {
        if (s == S_LABELS && has_labels) {
            static int64_t labels[MAX_ROWS];
            rd_labels(&rd, labels, c.rows, c.classes);
            for (size_t i = 0; i < c.rows; i++) {
                if (label_bytes == 4) {
                    int32_t l = (int32_t)labels[i];
                    memcpy(initial[s] + 4 * i, &l, 4);
                } else {
                    memcpy(initial[s] + 8 * i, &labels[i], 8);
                }
            }
            continue;
        }
        bool grad_slot = s == S_GRAD0 || s == S_GRAD1 || (three_grads && s == S_GRAD2);
        size_t element = typed_input(&c, s) ? in_bytes : grad_slot ? grad_bytes : 4;
        fill(&rd, initial[s], c.bytes[s] / element, element);
    }

    for (int k = 0; k < fuzz_impl_count; k++) {
        const fuzz_impl *impl = &fuzz_impls[k];
        fuzz_impl_name = impl->name;
        void *p[NSLOT];
        for (int s = 0; s < NSLOT; s++)
            p[s] = c.null_slot[s] ? NULL : fuzz_place(s, initial[s], c.bytes[s]);
        if (!impl->table) fuzz_select_public_isa(public_choice);
        lossopt_status st = run(&c, impl->table, p);
        if (k == 0) oracle_status = st;
        char what[160];
        snprintf(what, sizeof what,
                 "%s kind %d n=%zu %zux%zu stride=%zu in=%d grad=%d acc=%d scale=%a labels=%d "
                 "in_place=%d red=%d status=%d",
                 family_names[c.fam], c.kind, c.n, c.rows, c.classes, c.io.row_stride,
                 (int)c.io.input, (int)c.io.grad, (int)c.io.accumulate, c.io.grad_scale,
                 (int)c.io.labels, (int)c.in_place, (int)c.r, (int)st);
        if (st != oracle_status) fuzz_fail("%s: oracle status %d", what, (int)oracle_status);
        for (int s = 0; s < NSLOT; s++) {
            if (c.null_slot[s]) continue;
            char slot_what[200];
            snprintf(slot_what, sizeof slot_what, "%s %s", what, slot_names[s]);
            fuzz_check_canary(s, slot_what);
            bool output = s == S_LOSS || s == S_GRAD0 || s == S_GRAD1 ||
                          (three_grads && s == S_GRAD2) || (s == S_A && c.in_place);
            if (st != LOSSOPT_OK || !output) {
                fuzz_expect_unchanged(slot_what, initial[s], p[s], c.bytes[s]);
                continue;
            }
            size_t element = s == S_LOSS ? 4 : s == S_A ? in_bytes : grad_bytes;
            lossopt_dtype dtype = s == S_LOSS ? LOSSOPT_F32 : s == S_A ? c.io.input : c.io.grad;
            if (k == 0) memcpy(oracle_out[s], p[s], c.bytes[s]);
            else
                for (size_t at = 0; at < c.bytes[s]; at += element)
                    if (!same_value(dtype, oracle_out[s] + at, (const unsigned char *)p[s] + at))
                        fuzz_fail("%s: element %zu of %zu differs from the oracle (%s vs %s)",
                                  slot_what, at / element, c.bytes[s] / element,
                                  show(dtype, oracle_out[s] + at, 0),
                                  show(dtype, (const unsigned char *)p[s] + at, 1));
            if (s != S_LOSS && row_wise(c.fam)) {
                size_t element = s == S_A ? in_bytes : grad_bytes;
                const unsigned char *g = p[s];
                for (size_t at = 0; at < c.bytes[s]; at++)
                    if (is_padding(&c, at, element) && g[at] != initial[s][at])
                        fuzz_fail("%s: padding byte %zu written", slot_what, at);
            }
        }
    }
    fuzz_count_status(oracle_status);
    return 0;
}
