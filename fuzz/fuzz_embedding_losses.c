/* fuzz/fuzz_embedding_losses.c - differential libFuzzer target for the
 * losses on embedding rows (cosine_embedding, triplet_margin). The input
 * picks the loss, which outputs are NULL (and an input, to reach ERR_NULL),
 * swap, p (1, 2 or any int), the reduction (incl. values outside the enum),
 * margin and eps (NaN, inf, negative, ...), rows and dim (0, sizes past the
 * address space), and the float bits of the three inputs (cosine's y
 * included: +-1, 0, NaN, anything) and of the output buffers' prior
 * contents. Each input runs the scalar oracle, every supported ISA's table
 * and the public API on guard-page copies; traps on any difference in status
 * or output bits (NaN == NaN), on any write on error, on any write to an
 * input, and when asking for a subset of the outputs gives other bits than
 * asking for all of them.
 * Byte layout: kind, flags, public ISA choice, p selector, rows (u16), dim
 * (u16), margin (rd_hyper, rounded to float), eps (likewise), reduction, then
 * the seven buffers' floats (x, y, z, loss, g1, g2, g3). */
#include "fuzz_common.h"

#define MAX_ELEMENTS 4096
enum { B_X, B_Y, B_Z, B_LOSS, B_G1, B_G2, B_G3, NBUF };
static const char *const buf_names[NBUF] = {"x", "y", "z", "loss", "g1", "g2", "g3"};
static const char *const kind_names[] = {"cosine_embedding", "triplet_margin"};

static float initial[NBUF][MAX_ELEMENTS + 16];
static float result[FUZZ_MAX_IMPLS][NBUF][MAX_ELEMENTS + 16];
static lossopt_status status_of[FUZZ_MAX_IMPLS];

static lossopt_status call(const lossopt_kernel_table *table, int kind, float *const p[NBUF],
                           size_t rows, size_t dim, float margin, int pn, float eps, bool swap,
                           lossopt_reduction r)
{
    if (kind == 0)
        return table ? lossopt_cosine_embedding_f32_with_table(table, p[B_X], p[B_Y], p[B_Z],
                                                               rows, dim, margin, r, p[B_LOSS],
                                                               p[B_G1], p[B_G2])
                     : lossopt_cosine_embedding_f32(p[B_X], p[B_Y], p[B_Z], rows, dim, margin,
                                                    r, p[B_LOSS], p[B_G1], p[B_G2]);
    return table ? lossopt_triplet_margin_f32_with_table(table, p[B_X], p[B_Y], p[B_Z], rows,
                                                         dim, margin, pn, eps, swap, r,
                                                         p[B_LOSS], p[B_G1], p[B_G2], p[B_G3])
                 : lossopt_triplet_margin_f32(p[B_X], p[B_Y], p[B_Z], rows, dim, margin, pn,
                                              eps, swap, r, p[B_LOSS], p[B_G1], p[B_G2],
                                              p[B_G3]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_impls_init();
    fuzz_reader rd = {data, size, 0};
    int kind = rd_u8(&rd) % 2;
    uint8_t flags = rd_u8(&rd);
    uint8_t public_choice = rd_u8(&rd);
    uint8_t p_sel = rd_u8(&rd);
    uint16_t rows_raw = rd_u16(&rd), dim_raw = rd_u16(&rd);
    float margin = (float)rd_hyper(&rd);
    float eps = (float)rd_hyper(&rd);
    lossopt_reduction red = rd_reduction(&rd);
    bool swap = flags & 0x10;
    int pn = p_sel % 4 == 0 ? 1 : p_sel % 4 < 3 ? 2 : (int)(int8_t)p_sel >> 2;

    size_t rows, dim, alloc_rows, alloc_dim;
    if (rows_raw >= 0xFF00) { /* rows * dim past the address space */
        rows = SIZE_MAX / 4 - (rows_raw & 0x7f);
        dim = 2 + (dim_raw & 0xff);
        alloc_rows = 1;
        alloc_dim = 16;
    } else {
        dim = dim_raw % 301; /* 0: ERR_SIZE */
        rows = rows_raw % 65;
        if (dim > 0 && rows * dim > MAX_ELEMENTS)
            rows = MAX_ELEMENTS / dim;
        alloc_rows = rows;
        alloc_dim = dim;
    }
    size_t n = alloc_rows * alloc_dim;
    size_t count[NBUF] = {n, n, kind == 0 ? alloc_rows : n, red == LOSSOPT_NONE ? alloc_rows : 1,
                          n, n, n};

    /* flags: bit0 no loss, bit1..3 no g1/g2/g3, bit4 swap, bit5 a NULL input
     * (bit6 and bit7 pick which: x, y, z) */
    bool is_null[NBUF] = {false};
    is_null[B_LOSS] = flags & 1;
    is_null[B_G1] = flags & 2;
    is_null[B_G2] = flags & 4;
    is_null[B_G3] = (flags & 8) || kind == 0;
    if (flags & 0x20)
        is_null[((flags >> 6) & 3) % 3] = true;
    for (int b = 0; b < NBUF; b++)
        rd_floats(&rd, initial[b], count[b]);

    for (int k = 0; k < fuzz_impl_count; k++) {
        const fuzz_impl *impl = &fuzz_impls[k];
        fuzz_impl_name = impl->name;
        float *p[NBUF];
        for (int b = 0; b < NBUF; b++)
            p[b] = is_null[b] ? NULL : fuzz_place(b, initial[b], count[b] * sizeof(float));
        if (impl->table == NULL)
            fuzz_select_public_isa(public_choice);
        lossopt_status st = call(impl->table, kind, p, rows, dim, margin, pn, eps, swap, red);
        status_of[k] = st;
        for (int b = 0; b < NBUF; b++) {
            if (is_null[b])
                continue;
            fuzz_check_canary(b, buf_names[b]);
            memcpy(result[k][b], p[b], count[b] * sizeof(float));
        }
        if (st != status_of[0])
            fuzz_fail("%s %zux%zu red=%d margin=%a p=%d eps=%a: status %d, oracle %d",
                      kind_names[kind], rows, dim, (int)red, (double)margin, pn, (double)eps,
                      (int)st, (int)status_of[0]);
        for (int b = 0; b < NBUF; b++) {
            if (is_null[b])
                continue;
            char what[128];
            snprintf(what, sizeof what, "%s %s %zux%zu red=%d margin=%a p=%d swap=%d status=%d",
                     kind_names[kind], buf_names[b], rows, dim, (int)red, (double)margin, pn,
                     (int)swap, (int)st);
            if (st != LOSSOPT_OK || b < B_LOSS)
                fuzz_expect_unchanged(what, initial[b], result[k][b], count[b] * sizeof(float));
            else
                fuzz_expect_same_floats(what, result[0][b], result[k][b], count[b]);
        }
    }

    /* A subset of the outputs must give the bits of all of them (oracle). */
    bool subset = is_null[B_LOSS] || is_null[B_G1] || is_null[B_G2] ||
                  (kind == 1 && is_null[B_G3]);
    if (status_of[0] == LOSSOPT_OK && subset) {
        fuzz_impl_name = "scalar-oracle (every output)";
        float *p[NBUF];
        for (int b = 0; b < NBUF; b++)
            p[b] = (b < B_LOSS && is_null[b]) || (kind == 0 && b == B_G3)
                       ? NULL
                       : fuzz_place(b, initial[b], count[b] * sizeof(float));
        lossopt_status st = call(lossopt_kernel_table_for(LOSSOPT_ISA_SCALAR), kind, p, rows,
                                 dim, margin, pn, eps, swap, red);
        if (st != LOSSOPT_OK)
            fuzz_fail("%s: status %d with every output, OK with a subset", kind_names[kind],
                      (int)st);
        for (int b = B_LOSS; b < NBUF; b++) {
            if (is_null[b])
                continue;
            char what[96];
            snprintf(what, sizeof what, "%s %s (a subset vs every output) %zux%zu red=%d",
                     kind_names[kind], buf_names[b], rows, dim, (int)red);
            fuzz_expect_same_floats(what, result[0][b], p[b], count[b]);
        }
    }
    fuzz_count_status(status_of[0]);
    return 0;
}
