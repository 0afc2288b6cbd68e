/* fuzz/fuzz_elementwise_losses.c - differential libFuzzer target for the
 * elementwise losses (mse, l1, huber, smooth_l1, hinge, squared_hinge, bce,
 * bce_logits, soft_margin, poisson_nll, and kl_div as n rows of one column).
 * The input picks the loss (and, for the with_table entry point, an invalid
 * kind), the reduction (incl. values outside the enum), the
 * parameter (delta / beta / pos_weight: NaN, inf, negative, ...), n, which
 * pointers are NULL, and the float bits of input, target, weight and of the
 * output buffers' prior contents. Each input runs the scalar oracle, every
 * supported ISA's table and the public API on guard-page copies; traps on
 * any difference in status or output bits (NaN == NaN), on any write on
 * error, on any write to an input, and when asking for loss only or grad
 * only gives other bits than asking for both. */
#include "fuzz_common.h"

#define MAX_N 4096
enum { B_INPUT, B_TARGET, B_WEIGHT, B_LOSS, B_GRAD, NBUF };
static const char *const buf_names[NBUF] = {"input", "target", "weight", "loss", "grad"};
/* indexed by lossopt_loss_kind; the last entry names the invalid kind
 * LOSSOPT_LOSS_KIND_COUNT (the static assert keeps the two in step) */
static const char *const kind_names[] = {
    "mse",           "l1",  "huber",       "smooth_l1", "hinge",  "squared_hinge",
    "bce",           "bce_logits",         "soft_margin",         "poisson_nll",
    "kl_div",        "kl_div_log_target",  "invalid_kind"};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == LOSSOPT_LOSS_KIND_COUNT + 1,
               "one name per loss kind and one for the invalid kind");

static float initial[NBUF][MAX_N + 16];
static float result[FUZZ_MAX_IMPLS][NBUF][MAX_N + 16];
static lossopt_status status_of[FUZZ_MAX_IMPLS];

static lossopt_status call_public(lossopt_loss_kind kind, float *const p[NBUF], size_t n,
                                  float param, lossopt_reduction r)
{
    const float *x = p[B_INPUT], *t = p[B_TARGET], *w = p[B_WEIGHT];
    float *loss = p[B_LOSS], *grad = p[B_GRAD];
    switch (kind) {
    case LOSSOPT_LOSS_MSE: return lossopt_mse_f32(x, t, n, r, loss, grad);
    case LOSSOPT_LOSS_L1: return lossopt_l1_f32(x, t, n, r, loss, grad);
    case LOSSOPT_LOSS_HUBER: return lossopt_huber_f32(x, t, n, param, r, loss, grad);
    case LOSSOPT_LOSS_SMOOTH_L1: return lossopt_smooth_l1_f32(x, t, n, param, r, loss, grad);
    case LOSSOPT_LOSS_HINGE: return lossopt_hinge_f32(x, t, n, r, loss, grad);
    case LOSSOPT_LOSS_SQUARED_HINGE: return lossopt_squared_hinge_f32(x, t, n, r, loss, grad);
    case LOSSOPT_LOSS_BCE: return lossopt_bce_f32(x, t, n, w, r, loss, grad);
    case LOSSOPT_LOSS_BCE_LOGITS:
        return lossopt_bce_logits_f32(x, t, n, w, param, r, loss, grad);
    case LOSSOPT_LOSS_SOFT_MARGIN: return lossopt_soft_margin_f32(x, t, n, r, loss, grad);
    /* the with_table entry runs poisson_nll with log_input and full false */
    case LOSSOPT_LOSS_POISSON_NLL:
        return lossopt_poisson_nll_f32(x, t, n, false, false, param, r, loss, grad);
    /* the internal kinds take n as rows of one column */
    case LOSSOPT_LOSS_KL_DIV: return lossopt_kl_div_f32(x, t, n, 1, false, r, loss, grad);
    case LOSSOPT_LOSS_KL_DIV_LOG_TARGET:
        return lossopt_kl_div_f32(x, t, n, 1, true, r, loss, grad);
    default: return LOSSOPT_ERR_ARG;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_impls_init();
    fuzz_reader rd = {data, size, 0};
    /* every kind and one invalid one (LOSSOPT_LOSS_KIND_COUNT) */
    int kind_raw = rd_u8(&rd) % (LOSSOPT_LOSS_KIND_COUNT + 1);
    lossopt_loss_kind kind = (lossopt_loss_kind)kind_raw;
    uint8_t flags = rd_u8(&rd);
    uint8_t public_choice = rd_u8(&rd);
    uint16_t n_raw = rd_u16(&rd);
    float param = rd_hyper(&rd);
    lossopt_reduction red = rd_reduction(&rd);

    size_t n, alloc_n;
    if (n_raw >= 0xFF00) { /* n past the address space */
        n = SIZE_MAX / sizeof(float) + 1 + (n_raw & 0x7f);
        if (n_raw & 0x80) n = SIZE_MAX - (n_raw & 0x7f);
        alloc_n = 16;
    } else {
        n = n_raw % (MAX_N + 1);
        alloc_n = n;
    }
    size_t count[NBUF] = {alloc_n, alloc_n, alloc_n, red == LOSSOPT_NONE ? alloc_n : 1, alloc_n};

    /* flags: bit0 weight given, bit1 no loss, bit2 no grad, bit3..4 NULL
     * input/target (only with bit7). */
    bool is_null[NBUF] = {false};
    is_null[B_WEIGHT] = !(flags & 1);
    is_null[B_LOSS] = flags & 2;
    is_null[B_GRAD] = flags & 4;
    if (flags & 0x80) { is_null[B_INPUT] = flags & 8; is_null[B_TARGET] = flags & 16; }

    for (int b = 0; b < NBUF; b++) rd_floats(&rd, initial[b], count[b]);

    for (int k = 0; k < fuzz_impl_count; k++) {
        const fuzz_impl *impl = &fuzz_impls[k];
        if (impl->table == NULL && kind_raw >= LOSSOPT_LOSS_KIND_COUNT) continue;
        fuzz_impl_name = impl->name;
        float *p[NBUF];
        for (int b = 0; b < NBUF; b++)
            p[b] = is_null[b] ? NULL : fuzz_place(b, initial[b], count[b] * sizeof(float));
        lossopt_status st;
        if (impl->table) {
            st = lossopt_elementwise_loss_f32_with_table(impl->table, kind, p[B_INPUT],
                                                         p[B_TARGET], p[B_WEIGHT], n, param, red,
                                                         p[B_LOSS], p[B_GRAD]);
        } else {
            fuzz_select_public_isa(public_choice);
            st = call_public(kind, p, n, param, red);
        }
        status_of[k] = st;
        for (int b = 0; b < NBUF; b++) {
            if (is_null[b]) continue;
            fuzz_check_canary(b, buf_names[b]);
            memcpy(result[k][b], p[b], count[b] * sizeof(float));
        }
        if (st != status_of[0])
            fuzz_fail("%s n=%zu red=%d param=%a: status %d, oracle %d", kind_names[kind_raw], n,
                      (int)red, (double)param, (int)st, (int)status_of[0]);
        for (int b = 0; b < NBUF; b++) {
            if (is_null[b]) continue;
            char what[96];
            snprintf(what, sizeof what, "%s %s n=%zu red=%d param=%a status=%d",
                     kind_names[kind_raw], buf_names[b], n, (int)red, (double)param, (int)st);
            if (st != LOSSOPT_OK || b < B_LOSS)
                fuzz_expect_unchanged(what, initial[b], result[k][b], count[b] * sizeof(float));
            else
                fuzz_expect_same_floats(what, result[0][b], result[k][b], count[b]);
        }
    }

    /* Loss only / grad only must give the same bits as both (oracle). */
    if (status_of[0] == LOSSOPT_OK && (is_null[B_LOSS] || is_null[B_GRAD])) {
        fuzz_impl_name = "scalar-oracle (loss and grad)";
        float *p[NBUF];
        for (int b = 0; b < NBUF; b++)
            p[b] = (b < B_LOSS && is_null[b]) ? NULL
                                              : fuzz_place(b, initial[b], count[b] * sizeof(float));
        lossopt_status st = lossopt_elementwise_loss_f32_with_table(
            lossopt_kernel_table_for(LOSSOPT_ISA_SCALAR), kind, p[B_INPUT], p[B_TARGET],
            p[B_WEIGHT], n, param, red, p[B_LOSS], p[B_GRAD]);
        if (st != LOSSOPT_OK) fuzz_fail("%s: status %d with both outputs, OK with one",
                                        kind_names[kind_raw], (int)st);
        for (int b = B_LOSS; b < NBUF; b++) {
            if (is_null[b]) continue;
            char what[96];
            snprintf(what, sizeof what, "%s %s (one output vs both) n=%zu red=%d",
                     kind_names[kind_raw], buf_names[b], n, (int)red);
            fuzz_expect_same_floats(what, result[0][b], p[b], count[b]);
        }
    }
    fuzz_count_status(status_of[0]);
    return 0;
}
