/* fuzz/fuzz_rowwise_losses.c - differential libFuzzer target for the
 * row-wise losses (cross_entropy, cross_entropy_probs, multi_margin,
 * multilabel_soft_margin: family byte % 4, 0..2 as before). The
 * input picks the loss, rows and classes (incl. classes 0 and rows * classes
 * overflowing), the options (reduction incl. invalid values, label_smoothing,
 * p, margin, class weights, NULL options), which pointers are NULL, the raw
 * int64 labels (valid, ignored, >= classes, INT64_MIN/MAX) and the float bits
 * of logits, target probabilities (multilabel: targets), weights and the
 * outputs' prior contents.
 * Each input runs the scalar oracle, every supported ISA's table and the
 * public API on guard-page copies; traps on any difference in status or
 * output bits (NaN == NaN), on any write on error or to an input, and when
 * loss-only or grad-only gives other bits than both. */
#include "fuzz_common.h"

#define MAX_ELEMS 8192
enum { B_LOGITS, B_SECOND, B_WEIGHT, B_LOSS, B_GRAD, NBUF };
enum { F_CE, F_CE_PROBS, F_MULTI_MARGIN, F_MULTILABEL, F_COUNT };
static const char *const fam_names[] = {"cross_entropy", "cross_entropy_probs", "multi_margin",
                                        "multilabel_soft_margin"};
static const char *const buf_names[F_COUNT][NBUF] = {
    {"logits", "labels", "class_weight", "loss", "grad"},
    {"logits", "target_probs", "class_weight", "loss", "grad"},
    {"scores", "labels", "class_weight", "loss", "grad"},
    {"input", "target", "class_weight", "loss", "grad"},
};

static float initial[NBUF][MAX_ELEMS + 16];
static int64_t initial_labels[MAX_ELEMS + 16];
static unsigned char result[FUZZ_MAX_IMPLS][NBUF][(MAX_ELEMS + 16) * sizeof(int64_t)];
static lossopt_status status_of[FUZZ_MAX_IMPLS];

typedef struct row_call {
    int fam;
    size_t rows, classes;
    lossopt_ce_options opt; /* class_weight filled per run */
    bool opt_null;
    int p;
    float margin;
} row_call;

static lossopt_status run(const lossopt_kernel_table *table, const row_call *c, void *const b[NBUF])
{
    const float *x = b[B_LOGITS];
    const float *w = b[B_WEIGHT];
    float *loss = b[B_LOSS], *grad = b[B_GRAD];
    lossopt_ce_options opt = c->opt;
    opt.class_weight = w;
    const lossopt_ce_options *o = c->opt_null ? NULL : &opt;
    switch (c->fam) {
    case F_CE:
        return table ? lossopt_cross_entropy_f32_with_table(table, x, b[B_SECOND], c->rows,
                                                            c->classes, o, loss, grad)
                     : lossopt_cross_entropy_f32(x, b[B_SECOND], c->rows, c->classes, o, loss,
                                                 grad);
    case F_CE_PROBS:
        return table ? lossopt_cross_entropy_probs_f32_with_table(table, x, b[B_SECOND], c->rows,
                                                                  c->classes, o, loss, grad)
                     : lossopt_cross_entropy_probs_f32(x, b[B_SECOND], c->rows, c->classes, o,
                                                       loss, grad);
    case F_MULTILABEL:
        return table ? lossopt_multilabel_soft_margin_f32_with_table(
                           table, x, b[B_SECOND], c->rows, c->classes, w, c->opt.reduction, loss,
                           grad)
                     : lossopt_multilabel_soft_margin_f32(x, b[B_SECOND], c->rows, c->classes, w,
                                                          c->opt.reduction, loss, grad);
    default:
        return table ? lossopt_multi_margin_f32_with_table(table, x, b[B_SECOND], c->rows,
                                                           c->classes, c->p, c->margin, w,
                                                           c->opt.reduction, loss, grad)
                     : lossopt_multi_margin_f32(x, b[B_SECOND], c->rows, c->classes, c->p,
                                                c->margin, w, c->opt.reduction, loss, grad);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_impls_init();
    fuzz_reader rd = {data, size, 0};
    row_call c = {0};
    c.fam = rd_u8(&rd) % F_COUNT;
    uint8_t flags = rd_u8(&rd);
    uint8_t public_choice = rd_u8(&rd);
    uint8_t size_mode = rd_u8(&rd);
    uint16_t rows_raw = rd_u16(&rd), classes_raw = rd_u16(&rd);
    c.opt.reduction = rd_reduction(&rd);
    c.opt.label_smoothing = rd_hyper(&rd);
    uint8_t psel = rd_u8(&rd);
    c.p = psel < 224 ? 1 + (psel & 1) : (int)rd_u32(&rd);
    c.margin = rd_hyper(&rd);
    c.opt_null = (flags & 0x48) == 0x48 && (c.fam == F_CE || c.fam == F_CE_PROBS);
    bool float_second = c.fam == F_CE_PROBS || c.fam == F_MULTILABEL; /* targets, not labels */
    if (c.opt_null) { /* a NULL options pointer means all zero: MEAN (sizes the loss) */
        c.opt.reduction = LOSSOPT_MEAN;
        c.opt.label_smoothing = 0.0f;
    }

    size_t alloc_rows;
    if (size_mode >= 240) { /* rows * classes overflows: must be ERR_SIZE (or NULL) */
        c.classes = 1 + classes_raw % MAX_ELEMS;
        c.rows = SIZE_MAX / sizeof(float) / c.classes + 1 + (rows_raw & 0xff);
        alloc_rows = 0;
    } else {
        c.classes = classes_raw % (MAX_ELEMS + 1);
        size_t max_rows = c.classes ? MAX_ELEMS / c.classes : 64;
        c.rows = rows_raw % (max_rows + 1);
        alloc_rows = c.rows;
    }
    size_t cells = alloc_rows * c.classes;
    bool none = c.opt.reduction == LOSSOPT_NONE;
    size_t count[NBUF] = {cells, float_second ? cells : alloc_rows, c.classes,
                          none ? alloc_rows : 1, cells};
    size_t elem[NBUF] = {4, float_second ? 4 : 8, 4, 4, 4};

    /* flags: bit0 class weights given, bit1 no loss, bit2 no grad, bit4/5
     * NULL logits/second input (only with bit7), bits 3+6 NULL options. */
    bool is_null[NBUF] = {false};
    is_null[B_WEIGHT] = !(flags & 1);
    is_null[B_LOSS] = flags & 2;
    is_null[B_GRAD] = flags & 4;
    if (flags & 0x80) { is_null[B_LOGITS] = flags & 16; is_null[B_SECOND] = flags & 32; }
    if (c.opt_null) is_null[B_WEIGHT] = true;

    rd_floats(&rd, initial[B_LOGITS], count[B_LOGITS]);
    if (float_second) rd_floats(&rd, initial[B_SECOND], count[B_SECOND]);
    else rd_labels(&rd, initial_labels, count[B_SECOND], c.classes);
    rd_floats(&rd, initial[B_WEIGHT], count[B_WEIGHT]);
    rd_floats(&rd, initial[B_LOSS], count[B_LOSS]);
    rd_floats(&rd, initial[B_GRAD], count[B_GRAD]);
    const void *init[NBUF] = {initial[B_LOGITS],
                              float_second ? (const void *)initial[B_SECOND]
                                                  : (const void *)initial_labels,
                              initial[B_WEIGHT], initial[B_LOSS], initial[B_GRAD]};

    for (int k = 0; k < fuzz_impl_count; k++) {
        const fuzz_impl *impl = &fuzz_impls[k];
        fuzz_impl_name = impl->name;
        void *b[NBUF];
        for (int i = 0; i < NBUF; i++)
            b[i] = is_null[i] ? NULL : fuzz_place(i, init[i], count[i] * elem[i]);
        if (impl->table == NULL) fuzz_select_public_isa(public_choice);
        lossopt_status st = run(impl->table, &c, b);
        status_of[k] = st;
        for (int i = 0; i < NBUF; i++) {
            if (is_null[i]) continue;
            fuzz_check_canary(i, buf_names[c.fam][i]);
            memcpy(result[k][i], b[i], count[i] * elem[i]);
        }
        if (st != status_of[0])
            fuzz_fail("%s rows=%zu classes=%zu red=%d eps=%a p=%d margin=%a: status %d, oracle %d",
                      fam_names[c.fam], c.rows, c.classes, (int)c.opt.reduction,
                      (double)c.opt.label_smoothing, c.p, (double)c.margin, (int)st,
                      (int)status_of[0]);
        for (int i = 0; i < NBUF; i++) {
            if (is_null[i]) continue;
            char what[160];
            snprintf(what, sizeof what, "%s %s rows=%zu classes=%zu red=%d eps=%a p=%d margin=%a status=%d",
                     fam_names[c.fam], buf_names[c.fam][i], c.rows, c.classes,
                     (int)c.opt.reduction, (double)c.opt.label_smoothing, c.p, (double)c.margin,
                     (int)st);
            if (st != LOSSOPT_OK || i < B_LOSS)
                fuzz_expect_unchanged(what, init[i], result[k][i], count[i] * elem[i]);
            else
                fuzz_expect_same_floats(what, (const float *)result[0][i],
                                        (const float *)result[k][i], count[i]);
        }
    }

    /* Loss only / grad only must give the same bits as both (oracle). */
    if (status_of[0] == LOSSOPT_OK && (is_null[B_LOSS] || is_null[B_GRAD])) {
        fuzz_impl_name = "scalar-oracle (loss and grad)";
        void *b[NBUF];
        for (int i = 0; i < NBUF; i++)
            b[i] = (i < B_LOSS && is_null[i]) ? NULL : fuzz_place(i, init[i], count[i] * elem[i]);
        lossopt_status st = run(lossopt_kernel_table_for(LOSSOPT_ISA_SCALAR), &c, b);
        if (st != LOSSOPT_OK)
            fuzz_fail("%s: status %d with both outputs, OK with one", fam_names[c.fam], (int)st);
        for (int i = B_LOSS; i < NBUF; i++) {
            if (is_null[i]) continue;
            char what[96];
            snprintf(what, sizeof what, "%s %s (one output vs both) rows=%zu classes=%zu red=%d",
                     fam_names[c.fam], buf_names[c.fam][i], c.rows, c.classes,
                     (int)c.opt.reduction);
            fuzz_expect_same_floats(what, (const float *)result[0][i], b[i], count[i]);
        }
    }
    fuzz_count_status(status_of[0]);
    return 0;
}
