/* fuzz/fuzz_optimizers.c - differential libFuzzer target for the optimizer
 * steps' _f32 calls: sgd, rmsprop, adam and the 0.2 ones (adagrad, adamax,
 * nadam, radam, lion, lamb). The input picks the optimizer, every config
 * field (valid and invalid), step, n, NULL pointers (NAdam's mu_product
 * too), NAdam's *mu_product (1, a realistic product, 0, > 1, NaN, inf, raw
 * bits), for Lion gradients and momenta whose interpolation c is tiny
 * (subnormal, or cancelled to a few ulp), and the float bits of param,
 * grad and the state buffers. Each input runs the scalar oracle, every
 * supported ISA's table and the public API on guard-page copies and traps on
 * any difference (status; outputs bitwise, NaN == NaN; NAdam's updated
 * double bit for bit; nothing written on error, *mu_product included; grad
 * and unused state buffers never written). For the 0.2 optimizers the
 * oracle's run is also held to what include/lossopt.h fixes on its own: the
 * status class (NULL before SIZE before the ARG causes visible in the config,
 * step and mu_product; past those OK exactly when the coefficients the
 * header lists are finite floats), *mu_product replaced by exactly
 * *mu_product * mu_t on success, and Lion's update recomputed here from the
 * header's per-element order (sign(c) is +-1 however small |c|).
 * FUZZ_VERBOSE=1 prints what each input decodes to and the oracle's status. */
#include "fuzz_common.h"

#define MAX_N 4096
#define NBUF 5 /* param, grad, state0, state1, state2 */
#define MU_SLOT NBUF /* the guard-page slot of NAdam's *mu_product */

enum {
    OPT_SGD, OPT_RMSPROP, OPT_ADAM, /* the input's first byte % OPT_COUNT: 0..2 as before */
    OPT_ADAGRAD, OPT_ADAMAX, OPT_NADAM, OPT_RADAM, OPT_LION, OPT_LAMB,
    OPT_COUNT
};
static const char *const opt_names[OPT_COUNT] = {"sgd", "rmsprop", "adam", "adagrad", "adamax",
                                                 "nadam", "radam", "lion", "lamb"};
static const char *const buf_names[OPT_COUNT][NBUF] = {
    {"param", "grad", "momentum_buf", "(unused)", "(unused)"},
    {"param", "grad", "square_avg", "grad_avg", "momentum_buf"},
    {"param", "grad", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
    {"param", "grad", "sum", "(unused)", "(unused)"},
    {"param", "grad", "exp_avg", "exp_inf", "(unused)"},
    {"param", "grad", "exp_avg", "exp_avg_sq", "(unused)"},
    {"param", "grad", "exp_avg", "exp_avg_sq", "(unused)"},
    {"param", "grad", "exp_avg", "(unused)", "(unused)"},
    {"param", "grad", "exp_avg", "exp_avg_sq", "(unused)"},
};

static float initial[NBUF][MAX_N + 16];
static float result[FUZZ_MAX_IMPLS][NBUF][MAX_N + 16];
static lossopt_status status_of[FUZZ_MAX_IMPLS];
static double mu_after[FUZZ_MAX_IMPLS];

/* FUZZ_STATS=1: per optimizer, how many inputs the oracle ran OK (n > 0). */
static unsigned long stat_runs[OPT_COUNT], stat_ok[OPT_COUNT], stat_lion_tiny;

static void print_optimizer_stats(void)
{
    fprintf(stderr, "fuzz optimizer stats (ok with n > 0 / inputs):");
    for (int o = 0; o < OPT_COUNT; o++)
        fprintf(stderr, " %s %lu/%lu", opt_names[o], stat_ok[o], stat_runs[o]);
    fprintf(stderr, "; lion tiny-c inputs %lu\n", stat_lion_tiny);
}

static int64_t rd_step(fuzz_reader *r)
{
    static const int64_t steps[] = {1, 2, 3, 4, 5, 10, 100, 1000, 1000000, 0, -1,
                                    INT64_MAX, INT64_MIN, INT64_MAX - 1, 2147483648LL,
                                    9007199254740993LL};
    uint8_t sel = rd_u8(r);
    if (sel < 224) return steps[sel % (sizeof steps / sizeof steps[0])];
    return (int64_t)rd_u64(r);
}

static struct {
    lossopt_sgd_config sgd;
    lossopt_rmsprop_config rms;
    lossopt_adam_config adam;
    lossopt_adagrad_config adagrad;
    lossopt_adamax_config adamax;
    lossopt_nadam_config nadam;
    lossopt_radam_config radam;
    lossopt_lion_config lion;
    lossopt_lamb_config lamb;
} cfg;

/* The header's two-branch lerp with the weight rounded once to float. */
static float ref_lerp(float a, float b, float w)
{
    return w < 0.5f ? fmaf(w, b - a, a) : fmaf(w - 1.0f, b - a, b);
}

static float lion_weight(double beta) { return (float)(1.0 - beta); }

/* Lion inputs whose interpolation c = lerp(exp_avg, g, 1 - beta1) is tiny:
 * bits 0-1 of `how`: 1 exp_avg set so that c cancels (exp_avg = -w g /
 * (1 - w), or g's own value on lerp's second branch: c is then a rounding
 * error or 0), 2 grad and exp_avg scaled by 2^-(100 + bits 2-7 of how)
 * (subnormal or tiny), 3 both; 0 leaves the data. */
static void make_lion_tiny(uint8_t how, size_t n)
{
    if ((how & 3) == 0) return;
    stat_lion_tiny++;
    float w = lion_weight(cfg.lion.beta1);
    for (size_t i = 0; i < n; i++) {
        float g = cfg.lion.maximize ? -initial[1][i] : initial[1][i];
        if (how & 1) {
            if (w < 0.5f)
                initial[2][i] = (float)(-(double)w * g / (1.0 - (double)w));
            else /* fma(w - 1, g - m, g) = 0 for m = g + g / (w - 1) */
                initial[2][i] = (float)((double)g + (double)g / ((double)w - 1.0));
        }
        if (how & 2) {
            int k = 100 + (how >> 2);
            initial[1][i] = ldexpf(initial[1][i], -k);
            initial[2][i] = ldexpf(initial[2][i], -k);
        }
    }
}

static bool config_visibly_bad(int opt)
{
    switch (opt) {
    case OPT_ADAGRAD: return fuzz_adagrad_config_bad(&cfg.adagrad);
    case OPT_ADAMAX: return fuzz_adamax_config_bad(&cfg.adamax);
    case OPT_NADAM: return fuzz_nadam_config_bad(&cfg.nadam);
    case OPT_RADAM: return fuzz_radam_config_bad(&cfg.radam);
    case OPT_LION: return fuzz_lion_config_bad(&cfg.lion);
    default: return fuzz_lamb_config_bad(&cfg.lamb);
    }
}

static int coefficients_finite(int opt, int64_t step, double mu_product)
{
    static const void *const configs[] = {&cfg.adagrad, &cfg.adamax, &cfg.nadam,
                                          &cfg.radam,   &cfg.lion,   &cfg.lamb};
    return fuzz_more_coefficients_finite(opt - OPT_ADAGRAD, configs[opt - OPT_ADAGRAD], step,
                                         mu_product);
}

/* Lion per include/lossopt.h, element by element, on the initial buffers;
 * the oracle's OK result must be these bits (NaN == NaN). */
static void check_lion_reference(size_t n)
{
    const lossopt_lion_config *c = &cfg.lion;
    float lr = (float)c->lr, w1 = lion_weight(c->beta1), w2 = lion_weight(c->beta2);
    float decay = (float)(1.0 - c->lr * c->weight_decay);
    for (size_t i = 0; i < n; i++) {
        float g = c->maximize ? -initial[1][i] : initial[1][i];
        float m = initial[2][i], p = initial[0][i];
        float u = ref_lerp(m, g, w1);
        if (c->weight_decay != 0.0) p = p * decay;
        float sign = u > 0.0f ? 1.0f : u < 0.0f ? -1.0f : u;
        float want_p = fmaf(-lr, sign, p), want_m = ref_lerp(m, g, w2);
        if (!fuzz_same_float(want_p, result[0][0][i]) || !fuzz_same_float(want_m, result[0][2][i]))
            fuzz_fail("lion vs the header's order [%zu] (of %zu): c %a, param %a (0x%08" PRIx32
                      ") exp_avg %a, oracle param %a (0x%08" PRIx32 ") exp_avg %a",
                      i, n, (double)u, (double)want_p, float_to_bits(want_p), (double)want_m,
                      (double)result[0][0][i], float_to_bits(result[0][0][i]),
                      (double)result[0][2][i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_impls_init();
    static bool stats_registered;
    if (!stats_registered) {
        stats_registered = true;
        if (getenv("FUZZ_STATS")) atexit(print_optimizer_stats);
    }
    fuzz_reader rd = {data, size, 0};
    int opt = rd_u8(&rd) % OPT_COUNT;
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

    memset(&cfg, 0, sizeof cfg);
    int64_t step = 1;
    double mu_product = 1.0;
    uint8_t lion_tiny = 0;
    switch (opt) {
    case OPT_SGD:
        rd_sgd_config(&rd, flags, &cfg.sgd);
        step = rd_step(&rd);
        break;
    case OPT_RMSPROP:
        rd_rmsprop_config(&rd, flags, &cfg.rms);
        break;
    case OPT_ADAM:
        rd_adam_config(&rd, flags, &cfg.adam);
        step = rd_step(&rd);
        break;
    case OPT_ADAGRAD:
        rd_adagrad_config(&rd, flags, &cfg.adagrad);
        step = rd_step(&rd);
        break;
    case OPT_ADAMAX:
        rd_adamax_config(&rd, flags, &cfg.adamax);
        step = rd_step(&rd);
        break;
    case OPT_NADAM:
        rd_nadam_config(&rd, flags, &cfg.nadam);
        step = rd_step(&rd);
        mu_product = rd_mu_product(&rd, &cfg.nadam, step);
        break;
    case OPT_RADAM:
        rd_radam_config(&rd, flags, &cfg.radam);
        step = rd_step(&rd);
        break;
    case OPT_LION:
        rd_lion_config(&rd, flags, &cfg.lion);
        step = rd_step(&rd);
        lion_tiny = rd_u8(&rd);
        break;
    default:
        rd_lamb_config(&rd, flags, &cfg.lamb);
        step = rd_step(&rd);
        break;
    }
    bool cfg_null = (flags & 0xF0) == 0xF0;

    for (int b = 0; b < NBUF; b++) rd_floats(&rd, initial[b], alloc_n);
    if (opt == OPT_LION) make_lion_tiny(lion_tiny, alloc_n);
    /* Adagrad: the caller fills sum with initial_accumulator_value before
     * step 1 (flag bit 1: as PyTorch does; else the fuzzed bits). */
    if (opt == OPT_ADAGRAD && (flags & 2))
        for (size_t i = 0; i < alloc_n; i++) initial[2][i] = (float)cfg.adagrad.initial_accumulator_value;

    /* Which buffers the configuration uses (state buffers only). */
    bool used[NBUF] = {true, true, false, false, false};
    switch (opt) {
    case OPT_SGD: used[2] = cfg.sgd.momentum != 0.0f; break;
    case OPT_RMSPROP: used[2] = true; used[3] = cfg.rms.centered; used[4] = cfg.rms.momentum != 0.0f; break;
    case OPT_ADAM: used[2] = used[3] = true; used[4] = cfg.adam.amsgrad; break;
    case OPT_ADAGRAD: case OPT_LION: used[2] = true; break;
    default: used[2] = used[3] = true; break; /* adamax, nadam, radam, lamb */
    }

    /* NULL pointers: only when the top bit of the mask is set; bit 5 is
     * NAdam's mu_product. */
    bool is_null[NBUF] = {false};
    bool mu_null = false;
    if (null_mask & 0x80) {
        for (int b = 0; b < NBUF; b++) is_null[b] = (null_mask >> b) & 1;
        mu_null = opt == OPT_NADAM && (null_mask & 0x20);
    }

    for (int k = 0; k < fuzz_impl_count; k++) {
        const fuzz_impl *impl = &fuzz_impls[k];
        const lossopt_kernel_table *tb = impl->table;
        fuzz_impl_name = impl->name;
        float *p[NBUF];
        for (int b = 0; b < NBUF; b++)
            p[b] = is_null[b] ? NULL : fuzz_place(b, initial[b], alloc_n * sizeof(float));
        double *mu = opt != OPT_NADAM || mu_null
                         ? NULL
                         : fuzz_place(MU_SLOT, &mu_product, sizeof mu_product);
        if (tb == NULL) fuzz_select_public_isa(public_choice);
        lossopt_status st;
        switch (opt) {
        case OPT_SGD: {
            const lossopt_sgd_config *c = cfg_null ? NULL : &cfg.sgd;
            st = tb ? lossopt_sgd_step_f32_with_table(tb, p[0], p[1], p[2], n, c, step)
                    : lossopt_sgd_step_f32(p[0], p[1], p[2], n, c, step);
            break;
        }
        case OPT_RMSPROP: {
            const lossopt_rmsprop_config *c = cfg_null ? NULL : &cfg.rms;
            st = tb ? lossopt_rmsprop_step_f32_with_table(tb, p[0], p[1], p[2], p[3], p[4], n, c)
                    : lossopt_rmsprop_step_f32(p[0], p[1], p[2], p[3], p[4], n, c);
            break;
        }
        case OPT_ADAM: {
            const lossopt_adam_config *c = cfg_null ? NULL : &cfg.adam;
            st = tb ? lossopt_adam_step_f32_with_table(tb, p[0], p[1], p[2], p[3], p[4], n, c, step)
                    : lossopt_adam_step_f32(p[0], p[1], p[2], p[3], p[4], n, c, step);
            break;
        }
        case OPT_ADAGRAD: {
            const lossopt_adagrad_config *c = cfg_null ? NULL : &cfg.adagrad;
            st = tb ? lossopt_adagrad_step_f32_with_table(tb, p[0], p[1], p[2], n, c, step)
                    : lossopt_adagrad_step_f32(p[0], p[1], p[2], n, c, step);
            break;
        }
        case OPT_ADAMAX: {
            const lossopt_adamax_config *c = cfg_null ? NULL : &cfg.adamax;
            st = tb ? lossopt_adamax_step_f32_with_table(tb, p[0], p[1], p[2], p[3], n, c, step)
                    : lossopt_adamax_step_f32(p[0], p[1], p[2], p[3], n, c, step);
            break;
        }
        case OPT_NADAM: {
            const lossopt_nadam_config *c = cfg_null ? NULL : &cfg.nadam;
            st = tb ? lossopt_nadam_step_f32_with_table(tb, p[0], p[1], p[2], p[3], mu, n, c, step)
                    : lossopt_nadam_step_f32(p[0], p[1], p[2], p[3], mu, n, c, step);
            break;
        }
        case OPT_RADAM: {
            const lossopt_radam_config *c = cfg_null ? NULL : &cfg.radam;
            st = tb ? lossopt_radam_step_f32_with_table(tb, p[0], p[1], p[2], p[3], n, c, step)
                    : lossopt_radam_step_f32(p[0], p[1], p[2], p[3], n, c, step);
            break;
        }
        case OPT_LION: {
            const lossopt_lion_config *c = cfg_null ? NULL : &cfg.lion;
            st = tb ? lossopt_lion_step_f32_with_table(tb, p[0], p[1], p[2], n, c, step)
                    : lossopt_lion_step_f32(p[0], p[1], p[2], n, c, step);
            break;
        }
        default: {
            const lossopt_lamb_config *c = cfg_null ? NULL : &cfg.lamb;
            st = tb ? lossopt_lamb_step_f32_with_table(tb, p[0], p[1], p[2], p[3], n, c, step)
                    : lossopt_lamb_step_f32(p[0], p[1], p[2], p[3], n, c, step);
            break;
        }
        }
        status_of[k] = st;
        for (int b = 0; b < NBUF; b++) {
            if (is_null[b]) continue;
            fuzz_check_canary(b, buf_names[opt][b]);
            memcpy(result[k][b], p[b], alloc_n * sizeof(float));
        }
        if (mu) {
            fuzz_check_canary(MU_SLOT, "mu_product");
            memcpy(&mu_after[k], mu, sizeof mu_after[k]);
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
        if (mu) {
            /* the double is compared bit for bit (no NaN can be written) */
            if (st != LOSSOPT_OK && !fuzz_identical_double(mu_after[k], mu_product))
                fuzz_fail("nadam status %d: *mu_product changed from %a to %a", (int)st,
                          mu_product, mu_after[k]);
            if (st == LOSSOPT_OK && !fuzz_identical_double(mu_after[k], mu_after[0]))
                fuzz_fail("nadam: *mu_product %a, oracle %a (from %a)", mu_after[k], mu_after[0],
                          mu_product);
        }
    }

    /* What include/lossopt.h fixes for the 0.2 optimizers on its own. */
    if (opt >= OPT_ADAGRAD) {
        lossopt_status st = status_of[0];
        fuzz_impl_name = fuzz_impls[0].name;
        bool null = cfg_null || mu_null;
        if (n > 0)
            for (int b = 0; b < NBUF; b++) null |= used[b] && is_null[b];
        int cls = -1;
        if (null) cls = LOSSOPT_ERR_NULL;
        else if (n > SIZE_MAX / 4) cls = LOSSOPT_ERR_SIZE;
        else if (step < 1 || config_visibly_bad(opt) ||
                 (opt == OPT_NADAM && !fuzz_mu_product_valid(mu_product)))
            cls = LOSSOPT_ERR_ARG;
        if (cls >= 0 && (int)st != cls)
            fuzz_fail("%s n=%zu step %" PRId64 ": status %d, the contract says %d", opt_names[opt],
                      n, step, (int)st, cls);
        if (cls < 0 && st != LOSSOPT_OK && st != LOSSOPT_ERR_ARG)
            fuzz_fail("%s: status %d where only a coefficient can fail (ARG)", opt_names[opt], (int)st);
        int finite = cls < 0 ? coefficients_finite(opt, step, mu_product) : -1;
        if (finite >= 0 && st != (finite ? LOSSOPT_OK : LOSSOPT_ERR_ARG))
            fuzz_fail("%s n=%zu step %" PRId64 " mu_product %a: status %d, but the header's "
                      "coefficients are %s", opt_names[opt], n, step, mu_product, (int)st,
                      finite ? "all finite floats (OK)" : "not all finite floats (ARG)");
        if (st == LOSSOPT_OK && opt == OPT_NADAM) {
            double want = mu_product * fuzz_nadam_mu(&cfg.nadam, step);
            if (!fuzz_identical_double(mu_after[0], want))
                fuzz_fail("nadam: *mu_product %a, the header's %a * mu_%" PRId64 " = %a",
                          mu_after[0], mu_product, step, want);
        }
        if (st == LOSSOPT_OK && opt == OPT_LION) check_lion_reference(n);
    }
    static int verbose = -1;
    if (verbose < 0) verbose = getenv("FUZZ_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "input: %s n %zu step %" PRId64 "%s%s null_mask %#x mu_product %a -> "
                        "status %d, mu_product %a\n",
                opt_names[opt], n, step, cfg_null ? " (cfg NULL)" : "",
                opt == OPT_LION && (lion_tiny & 3) ? " (lion tiny c)" : "", null_mask, mu_product,
                (int)status_of[0], opt == OPT_NADAM && !mu_null ? mu_after[0] : mu_product);
    stat_runs[opt]++;
    stat_ok[opt] += status_of[0] == LOSSOPT_OK && n > 0;
    fuzz_count_status(status_of[0]);
    return 0;
}
