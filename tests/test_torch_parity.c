/* tests/test_torch_parity.c - replays PyTorch's recorded optimizer steps
 * (tests/reference/optimizer_reference.txt, argv[1]) through the scalar oracle,
 * every supported vector ISA and the public API, and checks SPEC 1.5's bound:
 * per element and per step within 4 ulp of the largest operand magnitude.
 *
 * Each step starts from torch's own state before that step, so rounding
 * differences never compound across steps. The file format is described in
 * tests/reference/make_torch_reference.py, which generates the file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lossopt_internal.h"
#include "reference_reader.h"
#include "test_support.h"

#define TOLERANCE_ULP 4.0
#define MAX_ELEMENTS 4096                 /* largest n the reader accepts      */
#define LINE_CAPACITY (64 + 9 * MAX_ELEMENTS) /* "after <name>" + n hex words */
#define PUBLIC_API (-1)                   /* "isa" of the public entry points  */

/* ---- buffers and configurations ---------------------------------------- */

enum buffer_id {
    BUF_PARAM,
    BUF_GRAD,
    BUF_MOMENTUM,        /* SGD and RMSprop momentum_buffer */
    BUF_SQUARE_AVG,
    BUF_GRAD_AVG,
    BUF_EXP_AVG,
    BUF_EXP_AVG_SQ,
    BUF_MAX_EXP_AVG_SQ,
    BUF_COUNT
};

/* The names torch uses for its state, as written in the file. */
static const char *const buffer_names[BUF_COUNT] = {
    "param", "grad", "momentum_buffer", "square_avg",
    "grad_avg", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"};

enum family { FAMILY_SGD, FAMILY_RMSPROP, FAMILY_ADAM, FAMILY_COUNT };
static const char *const family_names[FAMILY_COUNT] = {"sgd", "rmsprop", "adam"};

typedef struct reference_config {
    int index;
    enum family family;
    lossopt_sgd_config sgd;
    lossopt_rmsprop_config rmsprop;
    lossopt_adam_config adam;
    unsigned used; /* bit (1u << buffer_id) for every buffer the config uses */
} reference_config;

#define BIT(b) (1u << (b))

static unsigned buffers_used(const reference_config *c)
{
    unsigned used = BIT(BUF_PARAM) | BIT(BUF_GRAD);
    switch (c->family) {
    case FAMILY_SGD:
        if (c->sgd.momentum != 0.0)
            used |= BIT(BUF_MOMENTUM);
        break;
    case FAMILY_RMSPROP:
        used |= BIT(BUF_SQUARE_AVG);
        if (c->rmsprop.centered)
            used |= BIT(BUF_GRAD_AVG);
        if (c->rmsprop.momentum > 0.0)
            used |= BIT(BUF_MOMENTUM);
        break;
    default:
        used |= BIT(BUF_EXP_AVG) | BIT(BUF_EXP_AVG_SQ);
        if (c->adam.amsgrad)
            used |= BIT(BUF_MAX_EXP_AVG_SQ);
        break;
    }
    return used;
}

/* ---- the file format (reading: reference_reader.h) ---------------------- */

/* Reads "<keyword> <integer>" with the integer in [min, max]. */
static bool expect_count(ref_reader *r, const char *keyword, long min, long max, long *value)
{
    char *line = ref_next_line(r);
    if (line == NULL)
        return r->failed ? false : ref_error(r, "unexpected end of file, expected", keyword);
    char *cursor = line;
    char *word = ref_next_token(&cursor);
    if (word == NULL || strcmp(word, keyword) != 0 ||
        !ref_parse_long(ref_next_token(&cursor), min, max, value) ||
        ref_next_token(&cursor) != NULL)
        return ref_error(r, "expected a line", keyword);
    return true;
}

/* One "name=value" option of a config line: a double (16 hex digits of its
 * bits: hyper-parameters are doubles, as the Python floats torch got) or a
 * flag. */
typedef struct option {
    const char *name;
    double *real;
    bool *flag;
    bool seen;
} option;

static bool parse_options(ref_reader *r, char *cursor, option *options, size_t count)
{
    char *token;
    while ((token = ref_next_token(&cursor)) != NULL) {
        char *equals = strchr(token, '=');
        if (equals == NULL)
            return ref_error(r, "expected name=value", token);
        *equals = '\0';
        const char *value = equals + 1;
        option *o = NULL;
        for (size_t i = 0; i < count; i++)
            if (strcmp(options[i].name, token) == 0)
                o = &options[i];
        if (o == NULL)
            return ref_error(r, "unknown option", token);
        if (o->seen)
            return ref_error(r, "repeated option", token);
        o->seen = true;
        if (o->real != NULL && !ref_parse_hex_double(value, o->real))
            return ref_error(r, "expected 16 hex digits for", token);
        if (o->flag != NULL) {
            if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
                return ref_error(r, "expected 0 or 1 for", token);
            *o->flag = value[0] == '1';
        }
    }
    for (size_t i = 0; i < count; i++)
        if (!options[i].seen)
            return ref_error(r, "missing option", options[i].name);
    return true;
}

/* Parses the rest of "config <index> <family> <options...>"; cursor points
 * after the word "config". */
static bool parse_config(ref_reader *r, char *cursor, reference_config *c)
{
    long index;
    if (!ref_parse_long(ref_next_token(&cursor), 0, 1000000, &index))
        return ref_error(r, "expected a configuration index", NULL);
    memset(c, 0, sizeof *c);
    c->index = (int)index;
    const char *family = ref_next_token(&cursor);
    if (family == NULL)
        return ref_error(r, "expected an optimizer name", NULL);
    if (strcmp(family, "sgd") == 0) {
        c->family = FAMILY_SGD;
        option options[] = {
            {"lr", &c->sgd.lr, NULL, false},
            {"momentum", &c->sgd.momentum, NULL, false},
            {"dampening", &c->sgd.dampening, NULL, false},
            {"weight_decay", &c->sgd.weight_decay, NULL, false},
            {"nesterov", NULL, &c->sgd.nesterov, false},
            {"maximize", NULL, &c->sgd.maximize, false}};
        if (!parse_options(r, cursor, options, sizeof options / sizeof options[0]))
            return false;
    } else if (strcmp(family, "rmsprop") == 0) {
        c->family = FAMILY_RMSPROP;
        option options[] = {
            {"lr", &c->rmsprop.lr, NULL, false},
            {"alpha", &c->rmsprop.alpha, NULL, false},
            {"eps", &c->rmsprop.eps, NULL, false},
            {"weight_decay", &c->rmsprop.weight_decay, NULL, false},
            {"momentum", &c->rmsprop.momentum, NULL, false},
            {"centered", NULL, &c->rmsprop.centered, false},
            {"maximize", NULL, &c->rmsprop.maximize, false}};
        if (!parse_options(r, cursor, options, sizeof options / sizeof options[0]))
            return false;
    } else if (strcmp(family, "adam") == 0) {
        c->family = FAMILY_ADAM;
        option options[] = {
            {"lr", &c->adam.lr, NULL, false},
            {"beta1", &c->adam.beta1, NULL, false},
            {"beta2", &c->adam.beta2, NULL, false},
            {"eps", &c->adam.eps, NULL, false},
            {"weight_decay", &c->adam.weight_decay, NULL, false},
            {"decoupled_weight_decay", NULL, &c->adam.decoupled_weight_decay, false},
            {"amsgrad", NULL, &c->adam.amsgrad, false},
            {"maximize", NULL, &c->adam.maximize, false}};
        if (!parse_options(r, cursor, options, sizeof options / sizeof options[0]))
            return false;
    } else {
        return ref_error(r, "unknown optimizer", family);
    }
    c->used = buffers_used(c);
    return true;
}

/* Parses "<before|after> <buffer> <n hex words>" into values[buffer];
 * *buffer receives the id. The line's first word is already known. */
static bool parse_buffer_line(ref_reader *r, char *cursor, size_t n, float *const values[BUF_COUNT],
                              int *buffer)
{
    const char *name = ref_next_token(&cursor);
    if (name == NULL)
        return ref_error(r, "expected a buffer name", NULL);
    *buffer = -1;
    for (int b = 0; b < BUF_COUNT; b++)
        if (strcmp(buffer_names[b], name) == 0)
            *buffer = b;
    if (*buffer < 0)
        return ref_error(r, "unknown buffer", name);
    for (size_t i = 0; i < n; i++) {
        const char *word = ref_next_token(&cursor);
        if (word == NULL)
            return ref_error(r, "too few values for", name);
        if (!ref_parse_hex_float(word, &values[*buffer][i]))
            return ref_error(r, "expected 8 hex digits, got", word);
    }
    if (ref_next_token(&cursor) != NULL)
        return ref_error(r, "too many values for", name);
    return true;
}

/* ---- the bound ----------------------------------------------------------- */
/*
 * SPEC 1.5: per element and per step, |ours - torch| <= 4 ulp of the largest
 * magnitude among the operands of the update. The update of one output is a
 * chain of float operations, so its operands include those of the
 * intermediates it is built from, each scaled by the factor that carries it
 * into the output. That matters where an intermediate cancels: with g = 0.57
 * and exp_avg = -0.059, Adam's new exp_avg = 0.9 * -0.059 + 0.1 * 0.57 is
 * 0.0035, and torch 1.13 (mul_ then add_) and lossopt (torch 2.x's lerp form)
 * legitimately round it 1 ulp of 0.057 apart, which is 16 ulp of 0.0035 and
 * reaches the parameter as step_size * exp_avg / denom. So every magnitude
 * below is the largest of an intermediate's value and its scaled operands
 * ("mag_x"), propagated through the linear steps of the formula:
 *
 *   mag_g     = max(|grad|, weight_decay * |param|, |g|)          g after maximize/L2
 *   SGD       buf:   max(momentum * |buf_old|, (1 - dampening) * mag_g, |buf_new|)
 *                    (mag_g on step 1, where buf = g)
 *             param: lr * (mag_g | mag_buf | max(mag_g, momentum * mag_buf, |g + momentum*buf|))
 *   RMSprop   square_avg: max(alpha * |old|, (1 - alpha) * |g| * mag_g)
 *             grad_avg:   max(alpha * |old|, (1 - alpha) * mag_g, (1 - alpha) * |g - old|)
 *             g / avg:    max(mag_g, |g| * amp) / avg, where amp = max(1, kappa / 2) is how
 *                         much centered's sqrt(square_avg - grad_avg^2) amplifies relative
 *                         errors, kappa = max(square_avg, grad_avg^2) / (square_avg - grad_avg^2)
 *             buf:   max(momentum * |old|, mag(g / avg));  param: lr * (mag(g / avg) | mag_buf)
 *   Adam      exp_avg:    max(beta1 * |old|, (1 - beta1) * mag_g, (1 - beta1) * |g - old|)
 *             exp_avg_sq: max(beta2 * |old|, (1 - beta2) * |g| * mag_g)
 *             param: max(|param|, step_size * mag_exp_avg / denom)
 *
 * Every output also counts its old and new values and their difference. All of
 * this is computed in double from torch's state before and after the step (the
 * file's values), so it is the same for every ISA.
 */

static double max3(double a, double b, double c) { return fmax(a, fmax(b, c)); }

/* max(|old|, |new|, |new - old|): the magnitudes every update has. */
static double value_magnitude(double old_value, double new_value)
{
    return max3(fabs(old_value), fabs(new_value), fabs(new_value - old_value));
}

/* Fills magnitude[b][i] for every output buffer b the configuration uses. */
static void operand_magnitudes(const reference_config *c, int64_t step, size_t n,
                               float *const before[BUF_COUNT], float *const after[BUF_COUNT],
                               double *const magnitude[BUF_COUNT])
{
    for (size_t i = 0; i < n; i++) {
        double p = before[BUF_PARAM][i], grad = before[BUF_GRAD][i];
        double param_term = 0.0; /* the scaled operands of the parameter's update */
        switch (c->family) {
        case FAMILY_SGD: {
            const lossopt_sgd_config *s = &c->sgd;
            double g = (s->maximize ? -grad : grad) + (double)s->weight_decay * p;
            double mag_g = max3(fabs(grad), s->weight_decay * fabs(p), fabs(g));
            double mag_direction = mag_g;
            if (s->momentum != 0.0) {
                double old_buf = before[BUF_MOMENTUM][i], new_buf = after[BUF_MOMENTUM][i];
                double mag_buf = step == 1 ? mag_g
                                           : fmax(s->momentum * fabs(old_buf),
                                                  (1.0 - s->dampening) * mag_g);
                mag_buf = fmax(mag_buf, value_magnitude(old_buf, new_buf));
                magnitude[BUF_MOMENTUM][i] = mag_buf;
                mag_direction = s->nesterov ? max3(mag_g, s->momentum * mag_buf,
                                                   fabs(g + (double)s->momentum * new_buf))
                                            : mag_buf;
            }
            param_term = s->lr * mag_direction;
            break;
        }
        case FAMILY_RMSPROP: {
            const lossopt_rmsprop_config *s = &c->rmsprop;
            double g = (s->maximize ? -grad : grad) + (double)s->weight_decay * p;
            double mag_g = max3(fabs(grad), s->weight_decay * fabs(p), fabs(g));
            double one_minus_alpha = 1.0 - s->alpha;
            double old_sq = before[BUF_SQUARE_AVG][i], new_sq = after[BUF_SQUARE_AVG][i];
            magnitude[BUF_SQUARE_AVG][i] =
                max3(value_magnitude(old_sq, new_sq), s->alpha * fabs(old_sq),
                     one_minus_alpha * fabs(g) * mag_g);
            double mean_square = new_sq, amplification = 1.0;
            if (s->centered) {
                double old_avg = before[BUF_GRAD_AVG][i], new_avg = after[BUF_GRAD_AVG][i];
                magnitude[BUF_GRAD_AVG][i] =
                    fmax(max3(value_magnitude(old_avg, new_avg), s->alpha * fabs(old_avg),
                              one_minus_alpha * mag_g),
                         one_minus_alpha * fabs(g - old_avg));
                double squared_avg = new_avg * new_avg;
                mean_square = new_sq - squared_avg;
                amplification = mean_square > 0.0
                                    ? fmax(1.0, 0.5 * fmax(new_sq, squared_avg) / mean_square)
                                    : INFINITY;
            }
            double avg = sqrt(fmax(mean_square, 0.0)) + s->eps;
            double mag_ratio = fmax(mag_g, fabs(g) * amplification) / avg; /* g / avg */
            double mag_direction = mag_ratio;
            if (s->momentum > 0.0) {
                double old_buf = before[BUF_MOMENTUM][i], new_buf = after[BUF_MOMENTUM][i];
                mag_direction = max3(value_magnitude(old_buf, new_buf),
                                     s->momentum * fabs(old_buf), mag_ratio);
                magnitude[BUF_MOMENTUM][i] = mag_direction;
            }
            param_term = s->lr * mag_direction;
            break;
        }
        default: {
            const lossopt_adam_config *s = &c->adam;
            double weight_decay = s->decoupled_weight_decay ? 0.0 : s->weight_decay;
            double g = (s->maximize ? -grad : grad) + weight_decay * p;
            double mag_g = max3(fabs(grad), weight_decay * fabs(p), fabs(g));
            double old_m = before[BUF_EXP_AVG][i], new_m = after[BUF_EXP_AVG][i];
            double mag_m = fmax(max3(value_magnitude(old_m, new_m), s->beta1 * fabs(old_m),
                                     (1.0 - s->beta1) * mag_g),
                                (1.0 - s->beta1) * fabs(g - old_m));
            magnitude[BUF_EXP_AVG][i] = mag_m;
            double old_v = before[BUF_EXP_AVG_SQ][i], new_v = after[BUF_EXP_AVG_SQ][i];
            magnitude[BUF_EXP_AVG_SQ][i] =
                max3(value_magnitude(old_v, new_v), s->beta2 * fabs(old_v),
                     (1.0 - s->beta2) * fabs(g) * mag_g);
            double v = new_v;
            if (s->amsgrad) {
                magnitude[BUF_MAX_EXP_AVG_SQ][i] = value_magnitude(
                    before[BUF_MAX_EXP_AVG_SQ][i], after[BUF_MAX_EXP_AVG_SQ][i]);
                v = after[BUF_MAX_EXP_AVG_SQ][i];
            }
            double steps = (double)step;
            double step_size = s->lr / (1.0 - pow(s->beta1, steps));
            double denom = sqrt(v) / sqrt(1.0 - pow(s->beta2, steps)) + s->eps;
            param_term = step_size * mag_m / denom;
            break;
        }
        }
        magnitude[BUF_PARAM][i] =
            fmax(value_magnitude(p, after[BUF_PARAM][i]), param_term);
    }
}

/* ---- running and comparing ---------------------------------------------- */

/* The largest error seen per family, in units of ulp(M), and where. */
typedef struct worst_error {
    double ulps;
    int config, buffer;
    long step;
    size_t element;
    char isa[32];
} worst_error;
static worst_error worst[FAMILY_COUNT];
static long steps_checked[FAMILY_COUNT];

static const char *entry_name(int isa, char *buffer, size_t size)
{
    if (isa == PUBLIC_API)
        snprintf(buffer, size, "public(%s)", lossopt_isa_name(lossopt_active_isa()));
    else
        snprintf(buffer, size, "%s", lossopt_isa_name((lossopt_isa)isa));
    return buffer;
}

/* One step through the given ISA (or the public API); unused buffers are NULL
 * in work, so a kernel that touched one would crash. */
static lossopt_status run_kernel(const reference_config *c, int isa, float *const work[BUF_COUNT],
                                 size_t n, int64_t step)
{
    switch (c->family) {
    case FAMILY_SGD:
        if (isa == PUBLIC_API)
            return lossopt_sgd_step_f32(work[BUF_PARAM], work[BUF_GRAD], work[BUF_MOMENTUM], n,
                                        &c->sgd, step);
        return lossopt_sgd_step_f32_isa((lossopt_isa)isa, work[BUF_PARAM], work[BUF_GRAD],
                                        work[BUF_MOMENTUM], n, &c->sgd, step);
    case FAMILY_RMSPROP:
        if (isa == PUBLIC_API)
            return lossopt_rmsprop_step_f32(work[BUF_PARAM], work[BUF_GRAD],
                                            work[BUF_SQUARE_AVG], work[BUF_GRAD_AVG],
                                            work[BUF_MOMENTUM], n, &c->rmsprop);
        return lossopt_rmsprop_step_f32_isa((lossopt_isa)isa, work[BUF_PARAM], work[BUF_GRAD],
                                            work[BUF_SQUARE_AVG], work[BUF_GRAD_AVG],
                                            work[BUF_MOMENTUM], n, &c->rmsprop);
    default:
        if (isa == PUBLIC_API)
            return lossopt_adam_step_f32(work[BUF_PARAM], work[BUF_GRAD], work[BUF_EXP_AVG],
                                         work[BUF_EXP_AVG_SQ], work[BUF_MAX_EXP_AVG_SQ], n,
                                         &c->adam, step);
        return lossopt_adam_step_f32_isa((lossopt_isa)isa, work[BUF_PARAM], work[BUF_GRAD],
                                         work[BUF_EXP_AVG], work[BUF_EXP_AVG_SQ],
                                         work[BUF_MAX_EXP_AVG_SQ], n, &c->adam, step);
    }
}

typedef struct step_buffers {
    float *before[BUF_COUNT]; /* torch's state before the step (from the file)  */
    float *after[BUF_COUNT];  /* torch's state after the step (from the file)   */
    float *oracle[BUF_COUNT]; /* the scalar oracle's outputs of this step       */
    double *magnitude[BUF_COUNT]; /* operand magnitude per output element        */
    float *work[BUF_COUNT];   /* guard-page buffers the kernels run on          */
} step_buffers;

/* Compares one output buffer of one kernel run against torch. */
static void compare_with_torch(const reference_config *c, int isa, int b, int64_t step,
                               const step_buffers *s, size_t n)
{
    char name[32];
    entry_name(isa, name, sizeof name);
    size_t failures = 0, first_failure = 0;
    double first_ulps = 0.0, first_magnitude = 0.0;
    for (size_t i = 0; i < n; i++) {
        float ours = s->work[b][i], torch = s->after[b][i];
        double magnitude = s->magnitude[b][i];
        double ulps = fabs((double)ours - (double)torch) / ref_ulp_at(magnitude);
        if (isnan(ours))
            ulps = INFINITY;
        worst_error *w = &worst[c->family];
        if (ulps > w->ulps || (w->isa[0] == '\0')) {
            w->ulps = ulps;
            w->config = c->index;
            w->buffer = b;
            w->step = (long)step;
            w->element = i;
            snprintf(w->isa, sizeof w->isa, "%s", name);
        }
        if (!(ulps <= TOLERANCE_ULP)) {
            if (failures++ == 0) {
                first_failure = i;
                first_ulps = ulps;
                first_magnitude = magnitude;
            }
        }
    }
    if (failures == 0) {
        test_check(true, "");
        return;
    }
    size_t i = first_failure;
    uint32_t ours_bits, torch_bits, before_bits;
    memcpy(&ours_bits, &s->work[b][i], 4);
    memcpy(&torch_bits, &s->after[b][i], 4);
    memcpy(&before_bits, &s->before[b][i], 4);
    test_check(false,
               "config %d (%s) step %lld %s: %s[%zu] = %.9g (%08x), torch %.9g (%08x), "
               "before %.9g (%08x): %.2f ulp of operand magnitude %.9g > %.0f "
               "(%zu of %zu elements fail)",
               c->index, family_names[c->family], (long long)step, name, buffer_names[b], i,
               (double)s->work[b][i], (unsigned)ours_bits, (double)s->after[b][i],
               (unsigned)torch_bits, (double)s->before[b][i], (unsigned)before_bits, first_ulps,
               first_magnitude, TOLERANCE_ULP, failures, n);
}

/* Runs one recorded step on every supported ISA and the public API. */
static void check_step(const reference_config *c, int64_t step, const step_buffers *s, size_t n)
{
    unsigned supported = lossopt_supported_isas();
    operand_magnitudes(c, step, n, s->before, s->after, s->magnitude);
    /* The scalar oracle first: the vector ISAs are compared with it bitwise. */
    for (int isa = LOSSOPT_ISA_SCALAR; isa <= LOSSOPT_ISA_NEON + 1; isa++) {
        int entry = isa <= LOSSOPT_ISA_NEON ? isa : PUBLIC_API;
        if (entry != PUBLIC_API && !(supported & (1u << isa)))
            continue;
        char name[32];
        entry_name(entry, name, sizeof name);
        float *work[BUF_COUNT];
        for (int b = 0; b < BUF_COUNT; b++) {
            work[b] = (c->used & BIT(b)) ? s->work[b] : NULL;
            if (work[b] != NULL)
                memcpy(work[b], s->before[b], n * sizeof(float));
        }
        lossopt_status status = run_kernel(c, entry, work, n, step);
        if (!test_check(status == LOSSOPT_OK, "config %d (%s) step %lld %s: status %s",
                        c->index, family_names[c->family], (long long)step, name,
                        lossopt_status_string(status)))
            continue;
        test_check(test_first_difference(work[BUF_GRAD], s->before[BUF_GRAD], n) == n,
                   "config %d (%s) step %lld %s: grad was written", c->index,
                   family_names[c->family], (long long)step, name);
        for (int b = 0; b < BUF_COUNT; b++) {
            if (b == BUF_GRAD || !(c->used & BIT(b)))
                continue;
            compare_with_torch(c, entry, b, step, s, n);
            if (entry == LOSSOPT_ISA_SCALAR) {
                memcpy(s->oracle[b], work[b], n * sizeof(float));
                continue;
            }
            size_t i = test_first_difference(work[b], s->oracle[b], n);
            test_check(i == n,
                       "config %d (%s) step %lld %s: %s[%zu] = %a differs from the scalar "
                       "oracle's %a",
                       c->index, family_names[c->family], (long long)step, name,
                       buffer_names[b], i, i < n ? (double)work[b][i] : 0.0,
                       i < n ? (double)s->oracle[b][i] : 0.0);
        }
    }
    steps_checked[c->family]++;
}

/* Reads one step's before/after lines, checks that they are exactly what the
 * format requires, and runs the step. */
static bool read_and_check_step(ref_reader *r, const reference_config *c, long step,
                                step_buffers *s, size_t n)
{
    char *line = ref_next_line(r);
    if (line == NULL)
        return r->failed ? false : ref_error(r, "unexpected end of file in a configuration",
                                               NULL);
    char *cursor = line;
    const char *word = ref_next_token(&cursor);
    long k;
    if (strcmp(word, "step") != 0 || !ref_parse_long(ref_next_token(&cursor), 1, step, &k) ||
        k != step || ref_next_token(&cursor) != NULL) {
        char expected[32];
        snprintf(expected, sizeof expected, "step %ld", step);
        return ref_error(r, "expected", expected);
    }
    unsigned seen_before = 0, seen_after = 0;
    while ((line = ref_next_line(r)) != NULL) {
        /* Look at the first word without splitting the line, so that a line
         * of the next step or configuration can be pushed back intact. */
        cursor = line + strspn(line, " \t");
        size_t length = strcspn(cursor, " \t");
        bool is_before = length == 6 && strncmp(cursor, "before", 6) == 0;
        bool is_after = length == 5 && strncmp(cursor, "after", 5) == 0;
        if (!is_before && !is_after) {
            r->pushed_back = true;
            break;
        }
        ref_next_token(&cursor);
        int b = 0; /* set by parse_buffer_line when it succeeds */
        if (!parse_buffer_line(r, cursor, n, is_before ? s->before : s->after, &b))
            return false;
        unsigned *seen = is_before ? &seen_before : &seen_after;
        if (!(c->used & BIT(b)) || (is_after && b == BUF_GRAD))
            return ref_error(r, "buffer not used by this configuration", buffer_names[b]);
        if (*seen & BIT(b))
            return ref_error(r, "repeated buffer", buffer_names[b]);
        *seen |= BIT(b);
    }
    if (r->failed)
        return false;
    /* Step 1 gives every buffer; later steps give the fresh gradient and
     * continue from the previous step's "after" state (already in before). */
    unsigned needed_before = step == 1 ? c->used : BIT(BUF_GRAD);
    unsigned needed_after = c->used & ~BIT(BUF_GRAD);
    for (int b = 0; b < BUF_COUNT; b++) {
        if ((needed_before & BIT(b)) && !(seen_before & BIT(b)))
            return ref_error(r, "step lacks a 'before' line for", buffer_names[b]);
        if ((needed_after & BIT(b)) && !(seen_after & BIT(b)))
            return ref_error(r, "step lacks an 'after' line for", buffer_names[b]);
    }
    check_step(c, step, s, n);
    for (int b = 0; b < BUF_COUNT; b++)
        if (b != BUF_GRAD && (c->used & BIT(b)))
            memcpy(s->before[b], s->after[b], n * sizeof(float));
    return true;
}

static float *allocate_floats(size_t n)
{
    float *p = calloc(n, sizeof(float));
    if (p == NULL) {
        printf("FAIL: out of memory\n");
        exit(1);
    }
    return p;
}

/* Parses and checks the whole file; false after a parse error. */
static bool check_file(ref_reader *r)
{
    if (!ref_expect_first_line(r, "lossopt-optimizer-reference 2"))
        return false;
    char *line;
    long n, steps, declared_configs;
    if (!expect_count(r, "n", 1, MAX_ELEMENTS, &n) ||
        !expect_count(r, "steps", 1, 1000000, &steps) ||
        !expect_count(r, "configs", 1, 1000000, &declared_configs))
        return false;

    step_buffers s;
    for (int b = 0; b < BUF_COUNT; b++) {
        s.before[b] = allocate_floats((size_t)n);
        s.after[b] = allocate_floats((size_t)n);
        s.oracle[b] = allocate_floats((size_t)n);
        s.magnitude[b] = calloc((size_t)n, sizeof(double));
        if (s.magnitude[b] == NULL) {
            printf("FAIL: out of memory\n");
            exit(1);
        }
        s.work[b] = test_guarded_alloc((size_t)n);
    }
    long configs = 0;
    bool ok = true, ended = false;
    while (ok && (line = ref_next_line(r)) != NULL) {
        char *cursor = line;
        const char *word = ref_next_token(&cursor);
        if (strcmp(word, "end") == 0 && ref_next_token(&cursor) == NULL) {
            ended = true;
            break;
        }
        if (strcmp(word, "config") != 0) {
            ok = ref_error(r, "expected 'config' or 'end', got", word);
            break;
        }
        reference_config c;
        if (!parse_config(r, cursor, &c)) {
            ok = false;
            break;
        }
        if (c.index != configs) {
            ok = ref_error(r, "configurations are not numbered in order", NULL);
            break;
        }
        for (int b = 0; b < BUF_COUNT; b++)
            memset(s.before[b], 0, (size_t)n * sizeof(float));
        for (long step = 1; ok && step <= steps; step++)
            ok = read_and_check_step(r, &c, step, &s, (size_t)n);
        configs++;
    }
    if (ok && !r->failed)
        ok = ref_expect_clean_end(r, ended);
    if (ok) {
        char message[128];
        snprintf(message, sizeof message, "%ld configurations parsed, header declares %ld",
                 configs, declared_configs);
        ok = test_check(configs == declared_configs, "%s: %s", r->path, message);
        printf("test_torch_parity: %s; %ld steps each, n = %ld\n", message, steps, n);
    }
    for (int b = 0; b < BUF_COUNT; b++) {
        free(s.before[b]);
        free(s.after[b]);
        free(s.oracle[b]);
        free(s.magnitude[b]);
        test_guarded_free(s.work[b]);
    }
    return ok && !r->failed;
}

int main(int argc, char **argv)
{
    test_init("test_torch_parity");
    test_skip_unless_forced_isa_supported();
    if (argc < 2) {
        test_check(false, "usage: %s optimizer_reference.txt", argv[0]);
        return test_finish();
    }
    static char line[LINE_CAPACITY]; /* static: large */
    ref_reader r;
    if (!ref_open(&r, argv[1], line, sizeof line))
        return test_finish();
    bool ok = check_file(&r);
    ref_close(&r);

    unsigned supported = lossopt_supported_isas();
    printf("test_torch_parity: ISAs checked:");
    for (int isa = LOSSOPT_ISA_SCALAR; isa <= LOSSOPT_ISA_NEON; isa++)
        if (supported & (1u << isa))
            printf(" %s", lossopt_isa_name((lossopt_isa)isa));
    printf(" + public API (%s)\n", lossopt_isa_name(lossopt_active_isa()));
    if (ok) {
        for (int f = 0; f < FAMILY_COUNT; f++) {
            const worst_error *w = &worst[f];
            printf("test_torch_parity: %-7s %4ld steps, max error %.3f ulp of the operand "
                   "magnitude (bound %.0f) at config %d step %ld %s[%zu] (%s)\n",
                   family_names[f], steps_checked[f], w->ulps, TOLERANCE_ULP, w->config,
                   w->step, buffer_names[w->buffer], w->element, w->isa);
        }
    }
    return test_finish();
}
