/* fuzz/fuzz_common.h - shared helpers of the differential libFuzzer targets:
 * a byte reader that turns the fuzzer's input into options, lengths, float
 * bit patterns and labels; buffers that end at a guard page (an over-read or
 * over-write faults) with a canary before the start (an under-write is
 * caught); bitwise comparison with NaN == NaN; and a trap on any mismatch.
 *
 * Header-only (static functions, marked unused where a target may not need
 * them), included by each fuzz_*.c. */
#ifndef LOSSOPT_FUZZ_COMMON_H
#define LOSSOPT_FUZZ_COMMON_H

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS under -std=c11 */
#endif

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lossopt.h"
#include "lossopt_internal.h"

/* ---- failure ------------------------------------------------------------- */

static const char *fuzz_impl_name = "?"; /* which implementation ran last */

__attribute__((noreturn, format(printf, 1, 2))) static void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "\nFUZZ MISMATCH [%s]: ", fuzz_impl_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
    __builtin_trap();
}

/* ---- input reader -------------------------------------------------------- */

typedef struct fuzz_reader {
    const uint8_t *data;
    size_t size, pos;
} fuzz_reader;

static uint8_t rd_u8(fuzz_reader *r) { return r->pos < r->size ? r->data[r->pos++] : 0; }

static uint16_t rd_u16(fuzz_reader *r)
{
    uint16_t v = rd_u8(r);
    return (uint16_t)(v | (uint16_t)rd_u8(r) << 8);
}

static uint32_t rd_u32(fuzz_reader *r)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)rd_u8(r) << (8 * i);
    return v;
}

static uint64_t rd_u64(fuzz_reader *r)
{
    uint64_t lo = rd_u32(r);
    return lo | (uint64_t)rd_u32(r) << 32;
}

static bool rd_has(const fuzz_reader *r, size_t bytes) { return r->size - r->pos >= bytes; }

static float bits_to_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint32_t float_to_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Hyper-parameter values worth hitting exactly (valid, boundary, invalid). */
static const uint32_t fuzz_hyper_bits[] = {
    0x00000000u, /* 0 */        0x80000000u, /* -0 */        0x3a83126fu, /* 1e-3 */
    0x3c23d70au, /* 1e-2 */     0x3dcccccdu, /* 0.1 */       0x3f000000u, /* 0.5 */
    0x3f666666u, /* 0.9 */      0x3f7d70a4u, /* 0.99 */      0x3f7fbe77u, /* 0.999 */
    0x3f800000u, /* 1 */        0x3f7fffffu, /* 1 - ulp */   0x3f800001u, /* 1 + ulp */
    0x40000000u, /* 2 */        0x322bcc77u, /* 1e-8 */      0x00000001u, /* denorm min */
    0x00800000u, /* FLT_MIN */  0x7f7fffffu, /* FLT_MAX */   0x7f800000u, /* +inf */
    0xff800000u, /* -inf */     0x7fc00000u, /* NaN */       0xffc00000u, /* -NaN */
    0x7fa5a5a5u, /* sNaN */     0xba83126fu, /* -1e-3 */     0xbf800000u, /* -1 */
    0x7149f2cau, /* 1e30 */     0x3e99999au, /* 0.3 */       0x40400000u, /* 3 */
    0x3e800000u, /* 0.25 */     0x42c80000u, /* 100 */       0x3c23d70au, /* 1e-2 */
    0x358637bdu, /* 1e-6 */     0x3f7ff972u, /* 0.9999 */
};
#define FUZZ_HYPER_COUNT (sizeof fuzz_hyper_bits / sizeof fuzz_hyper_bits[0])

/* Optimizer hyper-parameters are doubles: values worth hitting that no
 * float holds (PyTorch's defaults as Python floats, the edges of [0, 1) in
 * double, finite doubles past FLT_MAX, Adam step sizes that overflow). */
static const double fuzz_hyper_doubles[] = {
    0.9, 0.99, 0.999, 1e-8, 1e-3, 1.0 - 0x1p-53, 0x1p-1074, 1e39, 3e38, 3.5e37,
    1.7976931348623157e308, 1e-50, 0.45, 0.5, 0.037, 1e20, -1e-300, 0.3,
};
#define FUZZ_HYPER_DOUBLE_COUNT (sizeof fuzz_hyper_doubles / sizeof fuzz_hyper_doubles[0])

static double bits_to_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* One optimizer hyper-parameter (a double): mostly a float of the table or a
 * double of the list, else raw 32 or 64 bits. */
static double rd_hyper(fuzz_reader *r)
{
    uint8_t sel = rd_u8(r);
    if (sel < 160) return (double)bits_to_float(fuzz_hyper_bits[sel % FUZZ_HYPER_COUNT]);
    if (sel < 224) return fuzz_hyper_doubles[sel % FUZZ_HYPER_DOUBLE_COUNT];
    if (sel < 240) return (double)bits_to_float(rd_u32(r));
    return bits_to_double(rd_u64(r));
}

/* The 0.2 optimizers' hyper-parameters (Adagrad, Adamax, NAdam, RAdam, Lion,
 * LAMB): rd_hyper's mapping, except that selectors 224..239 pick one of 16
 * more doubles (their defaults as Python floats: NAdam's momentum_decay
 * 4e-3, Adagrad's eps 1e-10, Lion's lr 1e-4, LAMB's weight_decay 0.01; a
 * trust-ratio cap 10; edges: the largest float below 1 and the double just
 * above 1, a double subnormal, the largest double that rounds to FLT_MAX)
 * instead of raw 32 bits (raw 64 bits stay). rd_hyper is kept as it is for
 * sgd/rmsprop/adam so that their committed inputs keep their meaning. */
static const double fuzz_hyper_more_doubles[16] = {
    4e-3, 1e-10, 10.0, 2e-3, 1e-4, 0.95, 0.98, 1e-2,
    1e-6, 0.1, 5.0, 0x1p-149, 1.0 - 0x1p-24, 1.0 + 0x1p-52, 1e-320, 0x1.fffffefffffffp127,
};

__attribute__((unused)) static double rd_hyper_more(fuzz_reader *r)
{
    uint8_t sel = rd_u8(r);
    if (sel < 160) return (double)bits_to_float(fuzz_hyper_bits[sel % FUZZ_HYPER_COUNT]);
    if (sel < 224) return fuzz_hyper_doubles[sel % FUZZ_HYPER_DOUBLE_COUNT];
    if (sel < 240) return fuzz_hyper_more_doubles[sel - 224];
    return bits_to_double(rd_u64(r));
}

/* ---- each optimizer's config from the input -------------------------------
 * Both optimizer fuzzers read a config the same way (the same bytes, the same
 * flag bits), so a seed means the same configuration in either. */
__attribute__((unused)) static void rd_sgd_config(fuzz_reader *r, uint8_t flags, lossopt_sgd_config *c)
{
    c->lr = rd_hyper(r);
    c->momentum = rd_hyper(r);
    c->dampening = rd_hyper(r);
    c->weight_decay = rd_hyper(r);
    c->nesterov = flags & 1;
    c->maximize = flags & 2;
}

__attribute__((unused)) static void rd_rmsprop_config(fuzz_reader *r, uint8_t flags,
                                                      lossopt_rmsprop_config *c)
{
    c->lr = rd_hyper(r);
    c->alpha = rd_hyper(r);
    c->eps = rd_hyper(r);
    c->weight_decay = rd_hyper(r);
    c->momentum = rd_hyper(r);
    c->centered = flags & 1;
    c->maximize = flags & 2;
}

__attribute__((unused)) static void rd_adam_config(fuzz_reader *r, uint8_t flags, lossopt_adam_config *c)
{
    c->lr = rd_hyper(r);
    c->beta1 = rd_hyper(r);
    c->beta2 = rd_hyper(r);
    c->eps = rd_hyper(r);
    c->weight_decay = rd_hyper(r);
    c->decoupled_weight_decay = flags & 1;
    c->amsgrad = flags & 2;
    c->maximize = flags & 4;
}

__attribute__((unused)) static void rd_adagrad_config(fuzz_reader *r, uint8_t flags,
                                                      lossopt_adagrad_config *c)
{
    c->lr = rd_hyper_more(r);
    c->lr_decay = rd_hyper_more(r);
    c->weight_decay = rd_hyper_more(r);
    c->initial_accumulator_value = rd_hyper_more(r);
    c->eps = rd_hyper_more(r);
    c->maximize = flags & 1;
}

__attribute__((unused)) static void rd_adamax_config(fuzz_reader *r, uint8_t flags,
                                                     lossopt_adamax_config *c)
{
    c->lr = rd_hyper_more(r);
    c->beta1 = rd_hyper_more(r);
    c->beta2 = rd_hyper_more(r);
    c->eps = rd_hyper_more(r);
    c->weight_decay = rd_hyper_more(r);
    c->maximize = flags & 1;
}

__attribute__((unused)) static void rd_nadam_config(fuzz_reader *r, uint8_t flags, lossopt_nadam_config *c)
{
    c->lr = rd_hyper_more(r);
    c->beta1 = rd_hyper_more(r);
    c->beta2 = rd_hyper_more(r);
    c->eps = rd_hyper_more(r);
    c->weight_decay = rd_hyper_more(r);
    c->momentum_decay = rd_hyper_more(r);
    c->decoupled_weight_decay = flags & 1;
    c->maximize = flags & 2;
}

__attribute__((unused)) static void rd_radam_config(fuzz_reader *r, uint8_t flags, lossopt_radam_config *c)
{
    c->lr = rd_hyper_more(r);
    c->beta1 = rd_hyper_more(r);
    c->beta2 = rd_hyper_more(r);
    c->eps = rd_hyper_more(r);
    c->weight_decay = rd_hyper_more(r);
    c->decoupled_weight_decay = flags & 1;
    c->maximize = flags & 2;
}

__attribute__((unused)) static void rd_lion_config(fuzz_reader *r, uint8_t flags, lossopt_lion_config *c)
{
    c->lr = rd_hyper_more(r);
    c->beta1 = rd_hyper_more(r);
    c->beta2 = rd_hyper_more(r);
    c->weight_decay = rd_hyper_more(r);
    c->maximize = flags & 1;
}

__attribute__((unused)) static void rd_lamb_config(fuzz_reader *r, uint8_t flags, lossopt_lamb_config *c)
{
    c->lr = rd_hyper_more(r);
    c->beta1 = rd_hyper_more(r);
    c->beta2 = rd_hyper_more(r);
    c->eps = rd_hyper_more(r);
    c->weight_decay = rd_hyper_more(r);
    c->max_trust_ratio = rd_hyper_more(r);
    c->bias_correction = flags & 1;
    c->always_adapt = flags & 2;
    c->maximize = flags & 4;
}

/* NAdam's mu_t = beta1 (1 - 0.5 * 0.96^(t psi)) in double, the expression
 * of include/lossopt.h (and of PyTorch's Python). */
__attribute__((unused)) static double fuzz_nadam_mu(const lossopt_nadam_config *cfg, int64_t step)
{
    return cfg->beta1 * (1.0 - 0.5 * pow(0.96, (double)step * cfg->momentum_decay));
}

/* A NAdam mu_product (the product of mu_1 .. mu_(step-1), kept by the
 * caller): selector < 96: 1.0 (a first step); < 160: the product a caller
 * that started at step 1 holds before `step` (steps past 2000 take 2000's);
 * < 224: a table of valid and invalid values (in [0, 1] is valid: 0, -0,
 * the smallest subnormal, 1 - ulp; negative, > 1, 1 + ulp, NaN, +-inf are
 * not); else raw 64 bits. */
__attribute__((unused)) static double rd_mu_product(fuzz_reader *r, const lossopt_nadam_config *cfg,
                                                    int64_t step)
{
    static const double table[16] = {1.0, 0.5, 0.9, 0.45, 1e-300, 0x1p-1074, 1.0 - 0x1p-53,
                                     1.0 + 0x1p-52, 0.0, -0.0, -0.5, NAN, INFINITY, -INFINITY,
                                     2.0, 0x1p-60};
    uint8_t sel = rd_u8(r);
    if (sel < 96) return 1.0;
    if (sel < 160) {
        int64_t last = step < 1 ? 1 : step > 2000 ? 2000 : step;
        double product = 1.0;
        for (int64_t k = 1; k < last; k++) product *= fuzz_nadam_mu(cfg, k);
        return product;
    }
    if (sel < 224) return table[sel % 16];
    return bits_to_double(rd_u64(r));
}

/* The config checks include/lossopt.h ("More optimizers") states for the
 * 0.2 optimizers, which the harness decides on its own (true -> the call
 * must return LOSSOPT_ERR_ARG once NULL and SIZE pass): a NaN or infinite
 * field; lr, eps, weight_decay, lr_decay, momentum_decay,
 * initial_accumulator_value or max_trust_ratio < 0; beta1 or beta2 outside
 * [0, 1). A derived coefficient that is not a finite float may still fail. */
__attribute__((unused)) static bool fuzz_nonneg(double x) { return isfinite(x) && x >= 0.0; }
__attribute__((unused)) static bool fuzz_unit_half_open(double x) { return x >= 0.0 && x < 1.0; }

__attribute__((unused)) static bool fuzz_adagrad_config_bad(const lossopt_adagrad_config *c)
{
    return !fuzz_nonneg(c->lr) || !fuzz_nonneg(c->lr_decay) || !fuzz_nonneg(c->weight_decay) ||
           !fuzz_nonneg(c->initial_accumulator_value) || !fuzz_nonneg(c->eps);
}

__attribute__((unused)) static bool fuzz_adamax_config_bad(const lossopt_adamax_config *c)
{
    return !fuzz_nonneg(c->lr) || !fuzz_unit_half_open(c->beta1) ||
           !fuzz_unit_half_open(c->beta2) || !fuzz_nonneg(c->eps) || !fuzz_nonneg(c->weight_decay);
}

__attribute__((unused)) static bool fuzz_nadam_config_bad(const lossopt_nadam_config *c)
{
    return !fuzz_nonneg(c->lr) || !fuzz_unit_half_open(c->beta1) ||
           !fuzz_unit_half_open(c->beta2) || !fuzz_nonneg(c->eps) ||
           !fuzz_nonneg(c->weight_decay) || !fuzz_nonneg(c->momentum_decay);
}

__attribute__((unused)) static bool fuzz_radam_config_bad(const lossopt_radam_config *c)
{
    return !fuzz_nonneg(c->lr) || !fuzz_unit_half_open(c->beta1) ||
           !fuzz_unit_half_open(c->beta2) || !fuzz_nonneg(c->eps) || !fuzz_nonneg(c->weight_decay);
}

__attribute__((unused)) static bool fuzz_lion_config_bad(const lossopt_lion_config *c)
{
    return !fuzz_nonneg(c->lr) || !fuzz_unit_half_open(c->beta1) ||
           !fuzz_unit_half_open(c->beta2) || !fuzz_nonneg(c->weight_decay);
}

__attribute__((unused)) static bool fuzz_lamb_config_bad(const lossopt_lamb_config *c)
{
    return !fuzz_nonneg(c->lr) || !fuzz_unit_half_open(c->beta1) ||
           !fuzz_unit_half_open(c->beta2) || !fuzz_nonneg(c->eps) ||
           !fuzz_nonneg(c->weight_decay) || !fuzz_nonneg(c->max_trust_ratio);
}

/* A valid NAdam mu_product: in [0, 1] (include/lossopt.h since 00313a7: 0
 * is reached by valid runs; NaN, +-inf, negative and > 1 are not valid; -0
 * compares equal to 0 and counts as in [0, 1]). */
__attribute__((unused)) static bool fuzz_mu_product_valid(double m)
{
    return m >= 0.0 && m <= 1.0;
}

/* Whether every per-call coefficient include/lossopt.h lists for a 0.2
 * optimizer (computed in double from the config, the step and NAdam's
 * mu_product, rounded once to float) is a finite float, for a config and
 * step that pass the visible checks above: 1 -> the call must return OK,
 * 0 -> LOSSOPT_ERR_ARG, -1 -> either (LAMB's lr when it is no float: its
 * header names only lr * r, a datum, while the common rule refuses a
 * hyper-parameter that is no float). Only the coefficients the
 * configuration uses count (weight_decay 0: no decay factor; no bias
 * correction: no bc1 or bc2_sqrt). The expressions are the header's, left
 * to right, in double. */
__attribute__((unused)) static bool fuzz_is_float(double v) { return isfinite((float)v); }

enum { FUZZ_MORE_ADAGRAD, FUZZ_MORE_ADAMAX, FUZZ_MORE_NADAM, FUZZ_MORE_RADAM, FUZZ_MORE_LION,
       FUZZ_MORE_LAMB };

/* decay = 1 - lr * weight_decay (decoupled) or weight_decay itself (L2),
 * when weight_decay != 0 */
__attribute__((unused)) static bool fuzz_decay_is_float(double lr, double weight_decay, bool decoupled)
{
    if (weight_decay == 0.0) return true;
    return decoupled ? fuzz_is_float(1.0 - lr * weight_decay) : fuzz_is_float(weight_decay);
}

/* which: FUZZ_MORE_*; config: that optimizer's config. */
__attribute__((unused)) static int fuzz_more_coefficients_finite(int which, const void *config,
                                                                 int64_t step, double mu_product)
{
    double t = (double)step;
    switch (which) {
    case FUZZ_MORE_ADAGRAD: {
        const lossopt_adagrad_config *c = config;
        return fuzz_is_float(c->lr / (1.0 + (double)(step - 1) * c->lr_decay)) &&
               fuzz_is_float(c->eps) && fuzz_decay_is_float(c->lr, c->weight_decay, false);
    }
    case FUZZ_MORE_ADAMAX: {
        const lossopt_adamax_config *c = config;
        return fuzz_is_float(c->lr / (1.0 - pow(c->beta1, t))) && fuzz_is_float(1.0 - c->beta1) &&
               fuzz_is_float(c->beta2) && fuzz_is_float(c->eps) &&
               fuzz_decay_is_float(c->lr, c->weight_decay, false);
    }
    case FUZZ_MORE_NADAM: {
        const lossopt_nadam_config *c = config;
        double mu = fuzz_nadam_mu(c, step);
        double mu_next = c->beta1 * (1.0 - 0.5 * pow(0.96, (t + 1.0) * c->momentum_decay));
        double product = mu_product * mu, product_next = product * mu_next;
        return fuzz_is_float(-c->lr * (1.0 - mu) / (1.0 - product)) &&
               fuzz_is_float(-c->lr * mu_next / (1.0 - product_next)) &&
               fuzz_is_float(sqrt(1.0 - pow(c->beta2, t))) && fuzz_is_float(1.0 - c->beta1) &&
               fuzz_is_float(c->beta2) && fuzz_is_float(1.0 - c->beta2) && fuzz_is_float(c->eps) &&
               fuzz_decay_is_float(c->lr, c->weight_decay, c->decoupled_weight_decay);
    }
    case FUZZ_MORE_RADAM: {
        const lossopt_radam_config *c = config;
        double bc1 = 1.0 - pow(c->beta1, t), beta2_t = pow(c->beta2, t), bc2 = 1.0 - beta2_t;
        double rho_inf = 2.0 / (1.0 - c->beta2) - 1.0;
        double rho_t = rho_inf - 2.0 * t * beta2_t / bc2;
        double step_size = c->lr / bc1;
        if (rho_t > 5.0) {
            double rect = sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf /
                               ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t));
            step_size = c->lr * rect * sqrt(bc2) / bc1;
        }
        return fuzz_is_float(step_size) && fuzz_is_float(1.0 - c->beta1) &&
               fuzz_is_float(c->beta2) && fuzz_is_float(1.0 - c->beta2) && fuzz_is_float(c->eps) &&
               fuzz_decay_is_float(c->lr, c->weight_decay, c->decoupled_weight_decay);
    }
    case FUZZ_MORE_LION: {
        const lossopt_lion_config *c = config;
        return fuzz_is_float(c->lr) && fuzz_is_float(1.0 - c->beta1) &&
               fuzz_is_float(1.0 - c->beta2) && fuzz_decay_is_float(c->lr, c->weight_decay, true);
    }
    default: {
        const lossopt_lamb_config *c = config;
        bool ok = fuzz_is_float(1.0 - c->beta1) && fuzz_is_float(c->beta2) &&
                  fuzz_is_float(1.0 - c->beta2) && fuzz_is_float(c->eps) &&
                  fuzz_decay_is_float(c->lr, c->weight_decay, false);
        if (c->bias_correction)
            ok = ok && fuzz_is_float(1.0 - pow(c->beta1, t)) &&
                 fuzz_is_float(sqrt(1.0 - pow(c->beta2, t)));
        if (!ok) return 0;
        return fuzz_is_float(c->lr) ? 1 : -1;
    }
    }
}

/* Same bits, or both NaN. */
__attribute__((unused)) static bool fuzz_same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* Exactly the same bits (NaN payloads included). */
__attribute__((unused)) static bool fuzz_identical_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Data values worth hitting exactly. */
static const uint32_t fuzz_data_bits[] = {
    0x00000000u, 0x80000000u, 0x3f800000u, 0xbf800000u, 0x3f000000u, 0xbf000000u,
    0x00000001u, 0x80000001u, 0x007fffffu, 0x00800000u, 0x7f7fffffu, 0xff7fffffu,
    0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u, 0x7fa00001u, 0x7fffffffu,
    0x42c80000u, 0xc2c80000u, 0x42b20000u, 0xc2b20000u, 0x447a0000u, 0xc47a0000u,
    0x3f7fffffu, 0x3f800001u, 0x33800000u, 0x4b000000u, 0x5f000000u, 0xdf000000u,
    0x3dcccccdu, 0x40490fdbu,
};
#define FUZZ_DATA_COUNT (sizeof fuzz_data_bits / sizeof fuzz_data_bits[0])

/* splitmix64, seeded from the input, to extend short inputs to long buffers. */
static uint64_t fuzz_rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static float fuzz_rng_uniform(uint64_t *s, float lo, float hi)
{
    double u = (double)(fuzz_rng_next(s) >> 11) * 0x1p-53;
    return (float)(lo + (hi - lo) * u);
}

/* Fills n floats. The mode byte picks: 0 raw 32-bit patterns from the input,
 * 1 one table value per input byte, 2 uniform in [-s, s] for a scale s the
 * input picks, 3 moderate values with ~6% specials, 4 the unit interval
 * [0, 1] with exact 0 and 1 (bce probabilities), 5 one constant. When the
 * input runs out, values continue from a PRNG seeded by the input. */
static void rd_floats(fuzz_reader *r, float *out, size_t n)
{
    uint8_t mode = rd_u8(r) % 6;
    uint64_t seed = rd_u64(r) ^ (uint64_t)n * 0x2545f4914f6cdd1dull;
    uint8_t scale_byte = rd_u8(r);
    float scale = ldexpf(1.0f, (int)(scale_byte % 96) - 48);
    switch (mode) {
    case 0:
        for (size_t i = 0; i < n; i++)
            out[i] = rd_has(r, 4) ? bits_to_float(rd_u32(r))
                                  : bits_to_float((uint32_t)fuzz_rng_next(&seed));
        break;
    case 1:
        for (size_t i = 0; i < n; i++) {
            uint32_t k = rd_has(r, 1) ? rd_u8(r) : (uint32_t)fuzz_rng_next(&seed);
            out[i] = bits_to_float(fuzz_data_bits[k % FUZZ_DATA_COUNT]);
        }
        break;
    case 2:
        for (size_t i = 0; i < n; i++) out[i] = fuzz_rng_uniform(&seed, -scale, scale);
        break;
    case 3:
        for (size_t i = 0; i < n; i++) {
            uint64_t k = fuzz_rng_next(&seed);
            out[i] = (k & 15) == 0 ? bits_to_float(fuzz_data_bits[(k >> 8) % FUZZ_DATA_COUNT])
                                   : fuzz_rng_uniform(&seed, -4.0f, 4.0f);
        }
        break;
    case 4:
        for (size_t i = 0; i < n; i++) {
            uint64_t k = fuzz_rng_next(&seed);
            out[i] = (k & 31) == 0 ? 0.0f
                   : (k & 31) == 1 ? 1.0f
                   : (k & 31) == 2 ? bits_to_float(fuzz_data_bits[(k >> 8) % FUZZ_DATA_COUNT])
                                   : fuzz_rng_uniform(&seed, 0.0f, 1.0f);
        }
        break;
    default: {
        float c = bits_to_float(fuzz_data_bits[scale_byte % FUZZ_DATA_COUNT]);
        for (size_t i = 0; i < n; i++) out[i] = c;
        break;
    }
    }
}

/* Fills rows labels for `classes` classes: 0 raw int64 from the input,
 * 1 one byte per label (mostly valid, else a special: -1, -100, classes,
 * classes + 1, INT64_MAX, INT64_MIN, ...), 2 valid with ~6% ignored (-100),
 * 3 all valid. */
__attribute__((unused)) static void rd_labels(fuzz_reader *r, int64_t *out, size_t rows, size_t classes)
{
    uint8_t mode = rd_u8(r) % 4;
    uint64_t seed = rd_u64(r) ^ (uint64_t)rows;
    size_t c = classes ? classes : 1;
    for (size_t i = 0; i < rows; i++) {
        uint64_t k = fuzz_rng_next(&seed);
        switch (mode) {
        case 0:
            out[i] = rd_has(r, 8) ? (int64_t)rd_u64(r) : (int64_t)k;
            break;
        case 1: {
            uint8_t b = rd_has(r, 1) ? rd_u8(r) : (uint8_t)k;
            if (b < 224) { out[i] = (int64_t)(b % c); break; }
            static const int64_t specials[] = {-1, -100, 0, -2, INT64_MAX, INT64_MIN, 0, 0};
            int s = b & 7;
            out[i] = s == 2 ? (int64_t)classes : s == 6 ? (int64_t)classes + 1
                   : s == 7 ? (int64_t)classes - 1 : specials[s];
            break;
        }
        case 2:
            out[i] = (k & 15) == 0 ? -100 : (int64_t)((k >> 8) % c);
            break;
        default:
            out[i] = (int64_t)((k >> 8) % c);
            break;
        }
    }
}

/* A reduction: mostly one of the three, sometimes a raw int (invalid). */
__attribute__((unused)) static lossopt_reduction rd_reduction(fuzz_reader *r)
{
    uint8_t sel = rd_u8(r);
    if (sel < 240) return (lossopt_reduction)(sel % 3);
    return (lossopt_reduction)(int)rd_u32(r);
}

/* ---- guard-page buffers ----------------------------------------------------- */

#define FUZZ_SLOT_BYTES (64u * 1024u)   /* the largest buffer: 8192 int64 labels */
#define FUZZ_CANARY_BYTES 64u
#define FUZZ_CANARY 0xA5u
#define FUZZ_SLOTS 8

typedef struct fuzz_slot {
    unsigned char *guard; /* the first inaccessible byte */
    unsigned char *data;  /* where the current buffer starts */
    size_t bytes;
} fuzz_slot;

static fuzz_slot fuzz_slots[FUZZ_SLOTS];

static void fuzz_slots_init(void)
{
    if (fuzz_slots[0].guard) return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_bytes = (FUZZ_SLOT_BYTES + FUZZ_CANARY_BYTES + page - 1) / page * page + page;
    for (int i = 0; i < FUZZ_SLOTS; i++) {
        unsigned char *base = mmap(NULL, data_bytes + page, PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED || mprotect(base + data_bytes, page, PROT_NONE) != 0) {
            fprintf(stderr, "fuzz: mmap/mprotect failed\n");
            abort();
        }
        fuzz_slots[i].guard = base + data_bytes;
    }
}

/* Places `bytes` bytes of src (or fill, when src is NULL) in slot i so that
 * they end at its guard page, with a canary run just before them. */
__attribute__((unused)) static void *fuzz_place(int i, const void *src, size_t bytes)
{
    fuzz_slot *s = &fuzz_slots[i];
    if (bytes > FUZZ_SLOT_BYTES) { fprintf(stderr, "fuzz: buffer too big\n"); abort(); }
    s->data = s->guard - bytes;
    s->bytes = bytes;
    memset(s->data - FUZZ_CANARY_BYTES, FUZZ_CANARY, FUZZ_CANARY_BYTES);
    if (bytes) memcpy(s->data, src, bytes);
    return s->data;
}

__attribute__((unused)) static void fuzz_check_canary(int i, const char *what)
{
    const unsigned char *c = fuzz_slots[i].data - FUZZ_CANARY_BYTES;
    for (unsigned k = 0; k < FUZZ_CANARY_BYTES; k++)
        if (c[k] != FUZZ_CANARY)
            fuzz_fail("%s: byte %d before the buffer was written", what,
                      (int)k - (int)FUZZ_CANARY_BYTES);
}

/* ---- comparison ------------------------------------------------------------ */

static bool fuzz_same_float(float a, float b)
{
    return (isnan(a) && isnan(b)) || float_to_bits(a) == float_to_bits(b);
}

/* Traps unless a and b (n floats) agree bitwise (NaN == NaN). */
__attribute__((unused)) static void fuzz_expect_same_floats(const char *what, const float *want,
                                                            const float *got, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!fuzz_same_float(want[i], got[i]))
            fuzz_fail("%s[%zu] (of %zu): oracle %a (0x%08" PRIx32 ") vs %a (0x%08" PRIx32 ")",
                      what, i, n, (double)want[i], float_to_bits(want[i]), (double)got[i],
                      float_to_bits(got[i]));
}

/* Traps unless the bytes are exactly the same (buffers that must not change). */
static void fuzz_expect_unchanged(const char *what, const void *before, const void *after,
                                  size_t bytes)
{
    if (bytes && memcmp(before, after, bytes) != 0) {
        const unsigned char *a = before, *b = after;
        size_t k = 0;
        while (a[k] == b[k]) k++;
        fuzz_fail("%s changed at byte %zu of %zu", what, k, bytes);
    }
}

/* ---- implementations under test ------------------------------------------- */
/* Index 0 is the scalar oracle table; then each supported ISA's table; then
 * the public API (with lossopt_set_isa picking the ISA it dispatches to). */

#define FUZZ_MAX_IMPLS 6

typedef struct fuzz_impl {
    const char *name;
    const lossopt_kernel_table *table; /* NULL: the public API */
    lossopt_isa public_isa;
} fuzz_impl;

static fuzz_impl fuzz_impls[FUZZ_MAX_IMPLS];
static int fuzz_impl_count;
static lossopt_isa fuzz_public_isas[4];
static int fuzz_public_isa_count;

/* FUZZ_STATS=1: at exit, print how often the oracle returned each status
 * (to see that inputs reach the OK path, not only the validation). */
static unsigned long fuzz_status_counts[7];

static void fuzz_print_stats(void)
{
    fprintf(stderr, "fuzz stats: ok=%lu null=%lu size=%lu arg=%lu domain=%lu isa=%lu other=%lu\n",
            fuzz_status_counts[0], fuzz_status_counts[1], fuzz_status_counts[2],
            fuzz_status_counts[3], fuzz_status_counts[4], fuzz_status_counts[5],
            fuzz_status_counts[6]);
}

static void fuzz_count_status(lossopt_status st)
{
    fuzz_status_counts[(unsigned)st <= 5 ? (unsigned)st : 6]++;
}

static void fuzz_impls_init(void)
{
    if (fuzz_impl_count) return;
    if (getenv("FUZZ_STATS")) atexit(fuzz_print_stats);
    fuzz_slots_init();
    fuzz_impls[fuzz_impl_count++] = (fuzz_impl){"scalar-oracle", lossopt_kernel_table_for(LOSSOPT_ISA_SCALAR), 0};
    unsigned isas = lossopt_supported_isas();
    static const lossopt_isa all[] = {LOSSOPT_ISA_SCALAR, LOSSOPT_ISA_AVX2, LOSSOPT_ISA_AVX512,
                                      LOSSOPT_ISA_NEON};
    for (int k = 0; k < 4; k++) {
        if (!(isas & (1u << all[k]))) continue;
        fuzz_public_isas[fuzz_public_isa_count++] = all[k];
        const lossopt_kernel_table *t = lossopt_kernel_table_for(all[k]);
        if (t == NULL) { fprintf(stderr, "fuzz: no table for a supported ISA\n"); abort(); }
        if (t == lossopt_kernel_table_for(LOSSOPT_ISA_SCALAR)) continue; /* the oracle already runs it */
        fuzz_impls[fuzz_impl_count++] = (fuzz_impl){lossopt_isa_name(all[k]), t, all[k]};
    }
    /* the avx512 table the dispatcher did not pick for this CPU (zmm on AMD,
     * mixed on Intel): both must give the oracle's bits */
    const lossopt_kernel_table *picked = lossopt_kernel_table_for(LOSSOPT_ISA_AVX512);
    const lossopt_kernel_table *zmm = lossopt_kernel_table_avx512_zmm();
    const lossopt_kernel_table *mixed = lossopt_kernel_table_avx512_mixed();
    if (zmm != NULL && zmm != picked)
        fuzz_impls[fuzz_impl_count++] = (fuzz_impl){"avx512-zmm", zmm, LOSSOPT_ISA_AVX512};
    if (mixed != NULL && mixed != picked)
        fuzz_impls[fuzz_impl_count++] = (fuzz_impl){"avx512-mixed", mixed, LOSSOPT_ISA_AVX512};
    fuzz_impls[fuzz_impl_count++] = (fuzz_impl){"public-api", NULL, LOSSOPT_ISA_SCALAR};
    fprintf(stderr, "fuzz: comparing %d implementations:", fuzz_impl_count);
    for (int i = 0; i < fuzz_impl_count; i++) fprintf(stderr, " %s", fuzz_impls[i].name);
    fputc('\n', stderr);
}

/* Before a public-API run: route it to one of the supported ISAs. */
static void fuzz_select_public_isa(uint8_t choice)
{
    lossopt_isa isa = fuzz_public_isas[choice % fuzz_public_isa_count];
    if (lossopt_set_isa(isa) != LOSSOPT_OK) fuzz_fail("lossopt_set_isa(%d) failed", (int)isa);
    if (lossopt_active_isa() != isa) fuzz_fail("lossopt_set_isa(%d) did not stick", (int)isa);
}

#endif /* LOSSOPT_FUZZ_COMMON_H */
