/* fuzz/fuzz_pairwise_losses.c - differential libFuzzer target for the
 * elementwise losses with three inputs and two gradients (margin_ranking,
 * gaussian_nll). The input picks the loss (and, for the with_table entry
 * point, an invalid kind), gaussian_nll's full, the reduction (incl. values
 * outside the enum), the parameter (margin / eps: NaN, inf, negative, ...),
 * n, which pointers are NULL, and the float bits of the three inputs and of
 * the output buffers' prior contents (var's sign included: negative vars are
 * LOSSOPT_ERR_DOMAIN). Each input runs the scalar oracle, every supported
 * ISA's table and the public API on guard-page copies; traps on any
 * difference in status or output bits (NaN == NaN), on any write on error,
 * on any write to an input, and when asking for a subset of the outputs
 * gives other bits than asking for all three.
 * Byte layout: kind, flags, public ISA choice, n (u16), parameter (rd_hyper,
 * rounded to float), reduction, then the five buffers' floats (a, b, c, loss,
 * grad_a, grad_b: six). */
#include "fuzz_common.h"

#define MAX_N 4096
enum { B_A, B_B, B_C, B_LOSS, B_GA, B_GB, NBUF };
static const char *const buf_names[NBUF] = {"a", "b", "c", "loss", "grad_a", "grad_b"};
static const char *const kind_names[] = {"margin_ranking", "gaussian_nll", "invalid_kind"};

static float initial[NBUF][MAX_N + 16];
static float result[FUZZ_MAX_IMPLS][NBUF][MAX_N + 16];
static lossopt_status status_of[FUZZ_MAX_IMPLS];

static lossopt_status call_public(int kind, float *const p[NBUF], size_t n, float param,
                                  bool full, lossopt_reduction r)
{
    if (kind == LOSSOPT_LOSS3_MARGIN_RANKING)
        return lossopt_margin_ranking_f32(p[B_A], p[B_B], p[B_C], n, param, r, p[B_LOSS],
                                          p[B_GA], p[B_GB]);
    return lossopt_gaussian_nll_f32(p[B_A], p[B_B], p[B_C], n, full, param, r, p[B_LOSS],
                                    p[B_GA], p[B_GB]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_impls_init();
    fuzz_reader rd = {data, size, 0};
    int kind = rd_u8(&rd) % 3;
    uint8_t flags = rd_u8(&rd);
    uint8_t public_choice = rd_u8(&rd);
    uint16_t n_raw = rd_u16(&rd);
    float param = (float)rd_hyper(&rd);
    lossopt_reduction red = rd_reduction(&rd);
    bool full = flags & 0x40;

    size_t n, alloc_n;
    if (n_raw >= 0xFF00) { /* n past the address space */
        n = SIZE_MAX / sizeof(float) + 1 + (n_raw & 0x7f);
        if (n_raw & 0x80) n = SIZE_MAX - (n_raw & 0x7f);
        alloc_n = 16;
    } else {
        n = n_raw % (MAX_N + 1);
        alloc_n = n;
    }
    size_t count[NBUF] = {alloc_n, alloc_n, alloc_n, red == LOSSOPT_NONE ? alloc_n : 1, alloc_n,
                          alloc_n};

    /* flags: bit0 no loss, bit1 no grad_a, bit2 no grad_b, bit3..5 NULL a/b/c
     * (only with bit7), bit6 full; bit 4 without bit7: |c| (a valid var) */
    bool is_null[NBUF] = {false};
    is_null[B_LOSS] = flags & 1;
    is_null[B_GA] = flags & 2;
    is_null[B_GB] = flags & 4;
    if (flags & 0x80) {
        is_null[B_A] = flags & 8;
        is_null[B_B] = flags & 16;
        is_null[B_C] = flags & 32;
    }
    for (int b = 0; b < NBUF; b++) rd_floats(&rd, initial[b], count[b]);
    if (!(flags & 0x80) && (flags & 16))
        for (size_t i = 0; i < count[B_C]; i++) initial[B_C][i] = fabsf(initial[B_C][i]);

    for (int k = 0; k < fuzz_impl_count; k++) {
        const fuzz_impl *impl = &fuzz_impls[k];
        if (impl->table == NULL && kind >= LOSSOPT_LOSS3_KIND_COUNT) continue;
        fuzz_impl_name = impl->name;
        float *p[NBUF];
        for (int b = 0; b < NBUF; b++)
            p[b] = is_null[b] ? NULL : fuzz_place(b, initial[b], count[b] * sizeof(float));
        lossopt_status st;
        if (impl->table) {
            st = lossopt_loss3_f32_with_table(impl->table, (lossopt_loss3_kind)kind, p[B_A],
                                              p[B_B], p[B_C], n, param, full, red, p[B_LOSS],
                                              p[B_GA], p[B_GB]);
        } else {
            fuzz_select_public_isa(public_choice);
            st = call_public(kind, p, n, param, full, red);
        }
        status_of[k] = st;
        for (int b = 0; b < NBUF; b++) {
            if (is_null[b]) continue;
            fuzz_check_canary(b, buf_names[b]);
            memcpy(result[k][b], p[b], count[b] * sizeof(float));
        }
        if (st != status_of[0])
            fuzz_fail("%s n=%zu red=%d param=%a: status %d, oracle %d", kind_names[kind], n,
                      (int)red, (double)param, (int)st, (int)status_of[0]);
        for (int b = 0; b < NBUF; b++) {
            if (is_null[b]) continue;
            char what[96];
            snprintf(what, sizeof what, "%s %s n=%zu red=%d param=%a status=%d",
                     kind_names[kind], buf_names[b], n, (int)red, (double)param, (int)st);
            if (st != LOSSOPT_OK || b < B_LOSS)
                fuzz_expect_unchanged(what, initial[b], result[k][b], count[b] * sizeof(float));
            else
                fuzz_expect_same_floats(what, result[0][b], result[k][b], count[b]);
        }
    }

    /* A subset of the outputs must give the bits of all three (oracle). */
    if (status_of[0] == LOSSOPT_OK && (is_null[B_LOSS] || is_null[B_GA] || is_null[B_GB])) {
        fuzz_impl_name = "scalar-oracle (every output)";
        float *p[NBUF];
        for (int b = 0; b < NBUF; b++)
            p[b] = (b < B_LOSS && is_null[b]) ? NULL
                                              : fuzz_place(b, initial[b], count[b] * sizeof(float));
        lossopt_status st = lossopt_loss3_f32_with_table(
            lossopt_kernel_table_for(LOSSOPT_ISA_SCALAR), (lossopt_loss3_kind)kind, p[B_A],
            p[B_B], p[B_C], n, param, full, red, p[B_LOSS], p[B_GA], p[B_GB]);
        if (st != LOSSOPT_OK) fuzz_fail("%s: status %d with every output, OK with a subset",
                                        kind_names[kind], (int)st);
        for (int b = B_LOSS; b < NBUF; b++) {
            if (is_null[b]) continue;
            char what[96];
            snprintf(what, sizeof what, "%s %s (a subset vs every output) n=%zu red=%d",
                     kind_names[kind], buf_names[b], n, (int)red);
            fuzz_expect_same_floats(what, result[0][b], p[b], count[b]);
        }
    }
    fuzz_count_status(status_of[0]);
    return 0;
}
