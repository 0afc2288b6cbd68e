/* fuzz/fuzz_optimizers.c - differential libFuzzer target for the optimizer
 * steps (sgd, rmsprop, adam): the input picks the optimizer, every config
 * field (valid and invalid), step, n, NULL pointers and the float bits of
 * param, grad and the state buffers. Each input runs the scalar oracle, every
 * supported ISA's table and the public API on guard-page copies and traps on
 * any difference (status; outputs bitwise, NaN == NaN; nothing written on
 * error; grad and unused state buffers never written). */
#include "fuzz_common.h"

#define MAX_N 4096
#define NBUF 5 /* param, grad, state0, state1, state2 */

enum { OPT_SGD, OPT_RMSPROP, OPT_ADAM };
static const char *const opt_names[] = {"sgd", "rmsprop", "adam"};
static const char *const buf_names[3][NBUF] = {
    {"param", "grad", "momentum_buf", "(unused)", "(unused)"},
    {"param", "grad", "square_avg", "grad_avg", "momentum_buf"},
    {"param", "grad", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
};

static float initial[NBUF][MAX_N + 16];
static float result[FUZZ_MAX_IMPLS][NBUF][MAX_N + 16];
static lossopt_status status_of[FUZZ_MAX_IMPLS];

static int64_t rd_step(fuzz_reader *r)
{
    static const int64_t steps[] = {1, 2, 3, 4, 5, 10, 100, 1000, 1000000, 0, -1,
                                    INT64_MAX, INT64_MIN, INT64_MAX - 1, 2147483648LL,
                                    9007199254740993LL};
    uint8_t sel = rd_u8(r);
    if (sel < 224) return steps[sel % (sizeof steps / sizeof steps[0])];
    return (int64_t)rd_u64(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_impls_init();
    fuzz_reader rd = {data, size, 0};
    int opt = rd_u8(&rd) % 3;
    uint8_t flags = rd_u8(&rd);
    uint8_t null_mask = rd_u8(&rd);
    uint8_t public_choice = rd_u8(&rd);
    uint16_t n_raw = rd_u16(&rd);

    size_t n, alloc_n;
    if (n_raw >= 0xFF00) { /* n past the address space: must be ERR_SIZE (or NULL/earlier) */
        n = SIZE_MAX / sizeof(float) + 1 + (n_raw & 0x7f);
        if (n_raw & 0x80) n = SIZE_MAX - (n_raw & 0x7f);
        alloc_n = 16;
    } else {
        n = n_raw % (MAX_N + 1);
        alloc_n = n;
    }

    lossopt_sgd_config sgd = {0};
    lossopt_rmsprop_config rms = {0};
    lossopt_adam_config adam = {0};
    int64_t step = 1;
    switch (opt) {
    case OPT_SGD:
        sgd.lr = rd_hyper(&rd);
        sgd.momentum = rd_hyper(&rd);
        sgd.dampening = rd_hyper(&rd);
        sgd.weight_decay = rd_hyper(&rd);
        sgd.nesterov = flags & 1;
        sgd.maximize = flags & 2;
        step = rd_step(&rd);
        break;
    case OPT_RMSPROP:
        rms.lr = rd_hyper(&rd);
        rms.alpha = rd_hyper(&rd);
        rms.eps = rd_hyper(&rd);
        rms.weight_decay = rd_hyper(&rd);
        rms.momentum = rd_hyper(&rd);
        rms.centered = flags & 1;
        rms.maximize = flags & 2;
        break;
    default:
        adam.lr = rd_hyper(&rd);
        adam.beta1 = rd_hyper(&rd);
        adam.beta2 = rd_hyper(&rd);
        adam.eps = rd_hyper(&rd);
        adam.weight_decay = rd_hyper(&rd);
        adam.decoupled_weight_decay = flags & 1;
        adam.amsgrad = flags & 2;
        adam.maximize = flags & 4;
        step = rd_step(&rd);
        break;
    }
    bool cfg_null = (flags & 0xF0) == 0xF0;

    for (int b = 0; b < NBUF; b++) rd_floats(&rd, initial[b], alloc_n);

    /* Which buffers the configuration uses (state buffers only). */
    bool used[NBUF] = {true, true, false, false, false};
    if (opt == OPT_SGD) used[2] = sgd.momentum != 0.0f;
    if (opt == OPT_RMSPROP) { used[2] = true; used[3] = rms.centered; used[4] = rms.momentum != 0.0f; }
    if (opt == OPT_ADAM) { used[2] = used[3] = true; used[4] = adam.amsgrad; }

    /* NULL pointers: only when the top bit of the mask is set. */
    bool is_null[NBUF] = {false};
    if (null_mask & 0x80)
        for (int b = 0; b < NBUF; b++) is_null[b] = (null_mask >> b) & 1;

    for (int k = 0; k < fuzz_impl_count; k++) {
        const fuzz_impl *impl = &fuzz_impls[k];
        fuzz_impl_name = impl->name;
        float *p[NBUF];
        for (int b = 0; b < NBUF; b++)
            p[b] = is_null[b] ? NULL : fuzz_place(b, initial[b], alloc_n * sizeof(float));
        if (impl->table == NULL) fuzz_select_public_isa(public_choice);
        lossopt_status st;
        switch (opt) {
        case OPT_SGD:
            st = impl->table ? lossopt_sgd_step_f32_with_table(impl->table, p[0], p[1], p[2], n,
                                                               cfg_null ? NULL : &sgd, step)
                             : lossopt_sgd_step_f32(p[0], p[1], p[2], n, cfg_null ? NULL : &sgd,
                                                    step);
            break;
        case OPT_RMSPROP:
            st = impl->table
                     ? lossopt_rmsprop_step_f32_with_table(impl->table, p[0], p[1], p[2], p[3],
                                                           p[4], n, cfg_null ? NULL : &rms)
                     : lossopt_rmsprop_step_f32(p[0], p[1], p[2], p[3], p[4], n,
                                                cfg_null ? NULL : &rms);
            break;
        default:
            st = impl->table
                     ? lossopt_adam_step_f32_with_table(impl->table, p[0], p[1], p[2], p[3], p[4],
                                                        n, cfg_null ? NULL : &adam, step)
                     : lossopt_adam_step_f32(p[0], p[1], p[2], p[3], p[4], n,
                                             cfg_null ? NULL : &adam, step);
            break;
        }
        status_of[k] = st;
        for (int b = 0; b < NBUF; b++) {
            if (is_null[b]) continue;
            fuzz_check_canary(b, buf_names[opt][b]);
            memcpy(result[k][b], p[b], alloc_n * sizeof(float));
        }
        if (st != status_of[0])
            fuzz_fail("%s n=%zu: status %d, oracle %d", opt_names[opt], n, (int)st,
                      (int)status_of[0]);
        if (st != LOSSOPT_OK && (st < LOSSOPT_ERR_NULL || st > LOSSOPT_ERR_ISA))
            fuzz_fail("%s: status %d outside the enum", opt_names[opt], (int)st);
        for (int b = 0; b < NBUF; b++) {
            if (is_null[b]) continue;
            char what[64];
            snprintf(what, sizeof what, "%s %s n=%zu status=%d", opt_names[opt],
                     buf_names[opt][b], n, (int)st);
            if (st != LOSSOPT_OK || b == 1 || !used[b])
                fuzz_expect_unchanged(what, initial[b], result[k][b], alloc_n * sizeof(float));
            else
                fuzz_expect_same_floats(what, result[0][b], result[k][b], alloc_n);
        }
    }
    fuzz_count_status(status_of[0]);
    return 0;
}
