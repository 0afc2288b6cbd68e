/* tests/test_torch_parity.c - replays PyTorch's recorded optimizer steps
 * (tests/reference/optimizer_reference.txt, argv[1]) through the scalar oracle,
 * every supported vector ISA, the emulated AVX-512 table where it runs and the
 * public API, and checks SPEC 1.5's bound: per element and per step within 4
 * ulp of the largest operand magnitude, and the oracle's bits on every entry.
 *
 * Each step starts from torch's own state before that step, so rounding
 * differences never compound across steps. The file format is described in
 * tests/reference/make_torch_reference.py, which generates the file; the
 * replay is tests/parity_common.c's, this file says what each optimizer's
 * configuration, call and operand magnitudes are. */
#include <math.h>

#include "optimizer_cases.h"
#include "parity_common.h"

#define TOLERANCE_ULP 4.0
#define MAX_ELEMENTS 4096                     /* largest n the reader accepts      */
#define LINE_CAPACITY (64 + 9 * MAX_ELEMENTS) /* "after <name>" + n hex words */

/* The buffers' places in parity_optimizer.buffers: the parameter, the
 * gradient, then optimizer_case_run's state buffers in their order. */
enum { PARAM, GRAD, SGD_MOMENTUM = 2, SQUARE_AVG = 2, GRAD_AVG = 3, RMSPROP_MOMENTUM = 4,
       EXP_AVG = 2, EXP_AVG_SQ = 3, MAX_EXP_AVG_SQ = 4 };

/* ---- the configurations (hyper-parameters are doubles, as the Python floats
 *      torch got, written as the 16 hex digits of their bits) ---------------- */

static optimizer_case parsed_config; /* the configuration being replayed */

static const void *parsed(ref_reader *r, char *cursor, parity_option *options, size_t count,
                          unsigned *used)
{
    if (!parity_parse_options(r, cursor, options, count))
        return NULL;
    *used = (1u << PARAM) | (1u << GRAD) | optimizer_case_used_state(&parsed_config) << 2;
    return &parsed_config;
}

/* The file names each option as the config struct names its field. */
#define REAL(config, field) {#field, &(config)->field, NULL, false}
#define FLAG(config, field) {#field, NULL, &(config)->field, false}
#define PARSED(options) parsed(r, cursor, options, sizeof options / sizeof options[0], used)

static const void *parse_sgd(ref_reader *r, char *cursor, unsigned *used)
{
    parsed_config = (optimizer_case){.family = FAMILY_SGD};
    lossopt_sgd_config *c = &parsed_config.sgd;
    parity_option options[] = {REAL(c, lr), REAL(c, momentum), REAL(c, dampening),
                               REAL(c, weight_decay), FLAG(c, nesterov), FLAG(c, maximize)};
    return PARSED(options);
}

static const void *parse_rmsprop(ref_reader *r, char *cursor, unsigned *used)
{
    parsed_config = (optimizer_case){.family = FAMILY_RMSPROP};
    lossopt_rmsprop_config *c = &parsed_config.rmsprop;
    parity_option options[] = {REAL(c, lr), REAL(c, alpha), REAL(c, eps), REAL(c, weight_decay),
                               REAL(c, momentum), FLAG(c, centered), FLAG(c, maximize)};
    return PARSED(options);
}

static const void *parse_adam(ref_reader *r, char *cursor, unsigned *used)
{
    parsed_config = (optimizer_case){.family = FAMILY_ADAM};
    lossopt_adam_config *c = &parsed_config.adam;
    parity_option options[] = {REAL(c, lr), REAL(c, beta1), REAL(c, beta2), REAL(c, eps),
                               REAL(c, weight_decay), FLAG(c, decoupled_weight_decay),
                               FLAG(c, amsgrad), FLAG(c, maximize)};
    return PARSED(options);
}

static lossopt_status run(const variant *v, const void *p, float *const buffers[], size_t n,
                          int64_t step)
{
    optimizer_case c = *(const optimizer_case *)p;
    c.step = step;
    return optimizer_case_run(&c, v->public_api, v->table, buffers[PARAM], buffers[GRAD],
                              buffers + 2, n);
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
 *             g / avg:    max(mag_g, |g| * amp) / avg, where amp is how much centered's
 *                         sqrt(square_avg - grad_avg^2) amplifies relative errors of its
 *                         operands: max(1, square_avg / (2 ms), grad_avg^2 / ms), with
 *                         ms = square_avg - grad_avg^2 (the sqrt halves a relative error
 *                         of ms; squaring doubles grad_avg's, so a 1-ulp order difference
 *                         in grad_avg, lerp vs torch 1.13's mul_ + add_, reaches g / avg
 *                         as grad_avg^2 / ms ulp)
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
static void operand_magnitudes(const void *config, int64_t step, size_t n, float *const before[],
                               float *const after[], double *const magnitude[])
{
    const optimizer_case *c = config;
    for (size_t i = 0; i < n; i++) {
        double p = before[PARAM][i], grad = before[GRAD][i];
        double param_term = 0.0; /* the scaled operands of the parameter's update */
        switch (c->family) {
        case FAMILY_SGD: {
            const lossopt_sgd_config *s = &c->sgd;
            double g = (s->maximize ? -grad : grad) + (double)s->weight_decay * p;
            double mag_g = max3(fabs(grad), s->weight_decay * fabs(p), fabs(g));
            double mag_direction = mag_g;
            if (s->momentum != 0.0) {
                double old_buf = before[SGD_MOMENTUM][i], new_buf = after[SGD_MOMENTUM][i];
                double mag_buf = step == 1 ? mag_g
                                           : fmax(s->momentum * fabs(old_buf),
                                                  (1.0 - s->dampening) * mag_g);
                mag_buf = fmax(mag_buf, value_magnitude(old_buf, new_buf));
                magnitude[SGD_MOMENTUM][i] = mag_buf;
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
            double old_sq = before[SQUARE_AVG][i], new_sq = after[SQUARE_AVG][i];
            magnitude[SQUARE_AVG][i] =
                max3(value_magnitude(old_sq, new_sq), s->alpha * fabs(old_sq),
                     one_minus_alpha * fabs(g) * mag_g);
            double mean_square = new_sq, amplification = 1.0;
            if (s->centered) {
                double old_avg = before[GRAD_AVG][i], new_avg = after[GRAD_AVG][i];
                magnitude[GRAD_AVG][i] =
                    fmax(max3(value_magnitude(old_avg, new_avg), s->alpha * fabs(old_avg),
                              one_minus_alpha * mag_g),
                         one_minus_alpha * fabs(g - old_avg));
                double squared_avg = new_avg * new_avg;
                mean_square = new_sq - squared_avg;
                amplification = mean_square > 0.0
                                    ? fmax(1.0, fmax(0.5 * new_sq, squared_avg) / mean_square)
                                    : INFINITY;
            }
            double avg = sqrt(fmax(mean_square, 0.0)) + s->eps;
            double mag_ratio = fmax(mag_g, fabs(g) * amplification) / avg; /* g / avg */
            double mag_direction = mag_ratio;
            if (s->momentum > 0.0) {
                double old_buf = before[RMSPROP_MOMENTUM][i], new_buf = after[RMSPROP_MOMENTUM][i];
                mag_direction = max3(value_magnitude(old_buf, new_buf),
                                     s->momentum * fabs(old_buf), mag_ratio);
                magnitude[RMSPROP_MOMENTUM][i] = mag_direction;
            }
            param_term = s->lr * mag_direction;
            break;
        }
        default: {
            const lossopt_adam_config *s = &c->adam;
            double weight_decay = s->decoupled_weight_decay ? 0.0 : s->weight_decay;
            double g = (s->maximize ? -grad : grad) + weight_decay * p;
            double mag_g = max3(fabs(grad), weight_decay * fabs(p), fabs(g));
            double old_m = before[EXP_AVG][i], new_m = after[EXP_AVG][i];
            double mag_m = fmax(max3(value_magnitude(old_m, new_m), s->beta1 * fabs(old_m),
                                     (1.0 - s->beta1) * mag_g),
                                (1.0 - s->beta1) * fabs(g - old_m));
            magnitude[EXP_AVG][i] = mag_m;
            double old_v = before[EXP_AVG_SQ][i], new_v = after[EXP_AVG_SQ][i];
            magnitude[EXP_AVG_SQ][i] =
                max3(value_magnitude(old_v, new_v), s->beta2 * fabs(old_v),
                     (1.0 - s->beta2) * fabs(g) * mag_g);
            double v = new_v;
            if (s->amsgrad) {
                magnitude[MAX_EXP_AVG_SQ][i] = value_magnitude(
                    before[MAX_EXP_AVG_SQ][i], after[MAX_EXP_AVG_SQ][i]);
                v = after[MAX_EXP_AVG_SQ][i];
            }
            double steps = (double)step;
            double step_size = s->lr / (1.0 - pow(s->beta1, steps));
            double denom = sqrt(v) / sqrt(1.0 - pow(s->beta2, steps)) + s->eps;
            param_term = step_size * mag_m / denom;
            break;
        }
        }
        magnitude[PARAM][i] =
            fmax(value_magnitude(p, after[PARAM][i]), param_term);
    }
}

/* ---- main --------------------------------------------------------------------- */

static parity_optimizer optimizers[] = {
    {.name = "sgd", .buffers = {"param", "grad", "momentum_buffer", NULL}, .parse = parse_sgd,
     .run = run, .magnitudes = operand_magnitudes},
    {.name = "rmsprop",
     .buffers = {"param", "grad", "square_avg", "grad_avg", "momentum_buffer", NULL},
     .parse = parse_rmsprop, .run = run, .magnitudes = operand_magnitudes},
    {.name = "adam",
     .buffers = {"param", "grad", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", NULL},
     .parse = parse_adam, .run = run, .magnitudes = operand_magnitudes},
};
#define OPTIMIZERS (sizeof optimizers / sizeof optimizers[0])

static bool check_file(ref_reader *r)
{
    return parity_replay_steps(r, "lossopt-optimizer-reference 2", optimizers, OPTIMIZERS,
                               MAX_ELEMENTS, TOLERANCE_ULP);
}

static void report(void) { parity_report_steps(optimizers, OPTIMIZERS, TOLERANCE_ULP); }

int main(int argc, char **argv)
{
    return parity_main(argc, argv, "test_torch_parity", "optimizer_reference.txt",
                       LINE_CAPACITY, check_file, report);
}
