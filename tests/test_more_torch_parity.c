/* tests/test_more_torch_parity.c - replays PyTorch 1.13's recorded steps of
 * torch.optim.Adagrad, Adamax, NAdam and RAdam
 * (tests/reference/more_optimizer_reference.txt, argv[1], made by
 * tests/reference/make_torch_more_reference.py, whose header describes the
 * format and which torch path each optimizer uses) through the scalar oracle,
 * every supported vector ISA, the emulated AVX-512 table where it runs and the
 * public API (lossopt_<name>_step_f32_with_table and lossopt_<name>_step_f32),
 * and checks SPEC 1.8's bound: per element and per step within 4 ulp of the
 * largest magnitude among the operands of the update, and the oracle's bits on
 * every entry.
 *
 * Each step starts from torch's own state before that step, so rounding
 * differences never compound across steps. The replay (guard pages, poisoned
 * outputs, same-bits checks) is tests/parity_common.c's; this file says what
 * each optimizer's configuration, call and operand magnitudes are.
 *
 * NAdam's mu_product: torch 1.13 keeps it as a float32 tensor, lossopt as a
 * double that the caller keeps (1.0 before step 1, updated by each call).
 * This test gives lossopt its own double, as a user would: every entry gets
 * the product the oracle left after the previous step, every entry must leave
 * the same bits, and that must be the previous product times this step's mu
 * (include/lossopt.h's formula, in double). torch's float32 product stays
 * within 2.6e-7 relative of it over the file's steps (the generator asserts
 * < 1e-6 and writes the difference as a comment after each NAdam step), so
 * the step coefficients differ from torch's by about that much, relative: a
 * fraction of an ulp of the parameter's update, well inside the bound. */
#include <math.h>
#include <stdio.h>

#include "parity_common.h"

#define TOLERANCE_ULP 4.0
#define MAX_ELEMENTS 4096                     /* largest n the reader accepts      */
#define LINE_CAPACITY (64 + 9 * MAX_ELEMENTS) /* "after <name>" + n hex words */

/* The buffers' places in parity_optimizer.buffers: the parameter, the
 * gradient, then the state buffers of the _f32 call in its argument order. */
enum { PARAM, GRAD, SUM = 2, EXP_AVG = 2, EXP_INF = 3, EXP_AVG_SQ = 3 };

/* ---- the configurations (hyper-parameters are doubles, as the Python floats
 *      torch got, written as the 16 hex digits of their bits) ---------------- */

static lossopt_adagrad_config adagrad;
static lossopt_adamax_config adamax;
static lossopt_nadam_config nadam;
static lossopt_radam_config radam;

/* The file names each option as the config struct names its field. */
#define REAL(config, field) {#field, &(config)->field, NULL, false}
#define FLAG(config, field) {#field, NULL, &(config)->field, false}

static const void *parsed(ref_reader *r, char *cursor, parity_option *options, size_t count,
                          int state_buffers, unsigned *used, const void *config)
{
    if (!parity_parse_options(r, cursor, options, count))
        return NULL;
    *used = (1u << (2 + state_buffers)) - 1u; /* param, grad and every state buffer */
    return config;
}
#define PARSED(options, state_buffers, config)                                                 \
    parsed(r, cursor, options, sizeof options / sizeof options[0], state_buffers, used, config)

static const void *parse_adagrad(ref_reader *r, char *cursor, unsigned *used)
{
    lossopt_adagrad_config *c = &adagrad;
    *c = (lossopt_adagrad_config){0};
    parity_option options[] = {REAL(c, lr), REAL(c, lr_decay), REAL(c, weight_decay),
                               REAL(c, initial_accumulator_value), REAL(c, eps),
                               FLAG(c, maximize)};
    return PARSED(options, 1, c);
}

static const void *parse_adamax(ref_reader *r, char *cursor, unsigned *used)
{
    lossopt_adamax_config *c = &adamax;
    *c = (lossopt_adamax_config){0};
    parity_option options[] = {REAL(c, lr), REAL(c, beta1), REAL(c, beta2), REAL(c, eps),
                               REAL(c, weight_decay), FLAG(c, maximize)};
    return PARSED(options, 2, c);
}

/* torch 1.13's NAdam and RAdam have neither decoupled_weight_decay nor
 * maximize: both stay false here. */
static const void *parse_nadam(ref_reader *r, char *cursor, unsigned *used)
{
    lossopt_nadam_config *c = &nadam;
    *c = (lossopt_nadam_config){0};
    parity_option options[] = {REAL(c, lr), REAL(c, beta1), REAL(c, beta2), REAL(c, eps),
                               REAL(c, weight_decay), REAL(c, momentum_decay)};
    return PARSED(options, 2, c);
}

static const void *parse_radam(ref_reader *r, char *cursor, unsigned *used)
{
    lossopt_radam_config *c = &radam;
    *c = (lossopt_radam_config){0};
    parity_option options[] = {REAL(c, lr), REAL(c, beta1), REAL(c, beta2), REAL(c, eps),
                               REAL(c, weight_decay)};
    return PARSED(options, 2, c);
}

/* ---- the calls ------------------------------------------------------------ */

static lossopt_status run_adagrad(const variant *v, const void *p, float *const b[], size_t n,
                                  int64_t step)
{
    const lossopt_adagrad_config *c = p;
    return v->public_api
               ? lossopt_adagrad_step_f32(b[PARAM], b[GRAD], b[SUM], n, c, step)
               : lossopt_adagrad_step_f32_with_table(v->table, b[PARAM], b[GRAD], b[SUM], n, c,
                                                     step);
}

static lossopt_status run_adamax(const variant *v, const void *p, float *const b[], size_t n,
                                 int64_t step)
{
    const lossopt_adamax_config *c = p;
    return v->public_api ? lossopt_adamax_step_f32(b[PARAM], b[GRAD], b[EXP_AVG], b[EXP_INF], n,
                                                   c, step)
                         : lossopt_adamax_step_f32_with_table(v->table, b[PARAM], b[GRAD],
                                                              b[EXP_AVG], b[EXP_INF], n, c, step);
}

static lossopt_status run_radam(const variant *v, const void *p, float *const b[], size_t n,
                                int64_t step)
{
    const lossopt_radam_config *c = p;
    return v->public_api ? lossopt_radam_step_f32(b[PARAM], b[GRAD], b[EXP_AVG], b[EXP_AVG_SQ],
                                                  n, c, step)
                         : lossopt_radam_step_f32_with_table(v->table, b[PARAM], b[GRAD],
                                                             b[EXP_AVG], b[EXP_AVG_SQ], n, c,
                                                             step);
}

/* NAdam's mu_product, the caller's double: the product before the current
 * step (1.0 at step 1) and the one the first entry of the step (the oracle)
 * left, which the next step starts from. The harness computes a step's
 * magnitudes, then runs its entries, step after step, so "the step changed"
 * is all it takes to move on. */
static struct {
    int64_t step; /* the step `before` belongs to, 0 = none yet */
    double before, after;
    bool after_seen;
    double worst_product_error; /* relative, vs the header's formula */
} product;

static double nadam_mu_at(const lossopt_nadam_config *c, double t)
{
    return c->beta1 * (1.0 - 0.5 * pow(0.96, t * c->momentum_decay));
}

static double nadam_product_before(int64_t step)
{
    if (step != product.step) {
        product.before = step == 1 ? 1.0 : product.after;
        product.step = step;
        product.after_seen = false;
    }
    return product.before;
}

static lossopt_status run_nadam(const variant *v, const void *p, float *const b[], size_t n,
                                int64_t step)
{
    const lossopt_nadam_config *c = p;
    double mu_product = nadam_product_before(step);
    lossopt_status status =
        v->public_api ? lossopt_nadam_step_f32(b[PARAM], b[GRAD], b[EXP_AVG], b[EXP_AVG_SQ],
                                               &mu_product, n, c, step)
                      : lossopt_nadam_step_f32_with_table(v->table, b[PARAM], b[GRAD],
                                                          b[EXP_AVG], b[EXP_AVG_SQ], &mu_product,
                                                          n, c, step);
    if (status != LOSSOPT_OK) {
        test_check(mu_product == product.before,
                   "nadam step %lld %s: a failed step changed mu_product", (long long)step,
                   v->name);
        return status;
    }
    if (!product.after_seen) {
        double expected = product.before * nadam_mu_at(c, (double)step);
        double error = fabs(mu_product - expected) / expected;
        product.worst_product_error = fmax(product.worst_product_error, error);
        test_check(error <= 0x1p-50, "nadam step %lld %s: mu_product %.17g, expected %.17g",
                   (long long)step, v->name, mu_product, expected);
        product.after = mu_product;
        product.after_seen = true;
    } else {
        test_check(mu_product == product.after,
                   "nadam step %lld %s: mu_product %a differs from the oracle's %a",
                   (long long)step, v->name, mu_product, product.after);
    }
    return status;
}

/* ---- the bound ----------------------------------------------------------- */
/*
 * SPEC 1.8 (the rule of SPEC 1.5): per element and per step, |ours - torch|
 * <= 4 ulp of the largest magnitude among the operands of the update. As in
 * tests/test_torch_parity.c (which explains why), each magnitude is the
 * largest of an intermediate's value and its operands, scaled by the factor
 * that carries them into the output, propagated through the formula of
 * include/lossopt.h. Here, with g = (maximize ? -grad : grad) + weight_decay
 * * param (the L2 gradient: torch 1.13 has no decoupled decay for these):
 *
 *   mag_g         = max(|grad|, weight_decay |param|, |g|)
 *   first moment  exp_avg (Adamax, NAdam, RAdam; torch: mul_ then add_,
 *                 lossopt: the two-branch lerp):
 *                 max(beta1 |old|, (1 - beta1) mag_g, (1 - beta1) |g - old|)
 *   second moment exp_avg_sq (NAdam, RAdam): max(beta2 |old|, (1 - beta2) |g| mag_g)
 *                 sum (Adagrad):  max(|old|, |g| mag_g)
 *                 exp_inf (Adamax): max(beta2 |old|, mag_g + eps)
 *   a quotient x / d, where d is built from a state s (d = sqrt(s) + eps,
 *   sqrt(s) / c + eps, or s itself): mag(x / d) = max(mag_x, |x| amp) / d,
 *   with amp = max(1, k mag_s / s), k = 1/2 under a sqrt and 1 for exp_inf:
 *   how much of the state's absolute error reaches the quotient (amp = 1
 *   unless weight decay cancels in g)
 *   Adagrad  param: clr mag(g / std),   clr = lr / (1 + (step - 1) lr_decay)
 *   Adamax   param: clr mag(exp_avg / exp_inf),   clr = lr / (1 - beta1^step)
 *   NAdam    param: max(|c_grad| mag(g / denom), |c_avg| mag(exp_avg / denom),
 *                       |param + c_grad g / denom|)   (the two fmas' terms and
 *                   the intermediate; c_grad, c_avg from this test's own double
 *                   mu_product, as lossopt got)
 *   RAdam    param: rectified:  step_size mag(exp_avg / (sqrt(exp_avg_sq) + eps))
 *                   otherwise:  lr / (1 - beta1^step) mag_exp_avg
 *
 * Every output also counts its old and new values and their difference. All
 * of this is computed in double from torch's state before and after the step
 * (the file's values), so it is the same for every ISA.
 */

static double max3(double a, double b, double c) { return fmax(a, fmax(b, c)); }

/* max(|old|, |new|, |new - old|): the magnitudes every update has. */
static double value_magnitude(double old_value, double new_value)
{
    return max3(fabs(old_value), fabs(new_value), fabs(new_value - old_value));
}

/* g after maximize and the L2 term, and its magnitude. */
static double gradient(double grad, double param, bool maximize, double weight_decay,
                       double *mag_g)
{
    double g = (maximize ? -grad : grad) + weight_decay * param;
    *mag_g = max3(fabs(grad), weight_decay * fabs(param), fabs(g));
    return g;
}

/* exp_avg = beta1 exp_avg + (1 - beta1) g, in either form. */
static double first_moment_magnitude(double beta1, double g, double mag_g, double old_m,
                                     double new_m)
{
    return fmax(max3(value_magnitude(old_m, new_m), beta1 * fabs(old_m), (1.0 - beta1) * mag_g),
                (1.0 - beta1) * fabs(g - old_m));
}

/* exp_avg_sq = beta2 exp_avg_sq + (1 - beta2) g g. */
static double second_moment_magnitude(double beta2, double g, double mag_g, double old_v,
                                      double new_v)
{
    return max3(value_magnitude(old_v, new_v), beta2 * fabs(old_v),
                (1.0 - beta2) * fabs(g) * mag_g);
}

/* mag(x / d): x with magnitude mag_x over d, whose state s (magnitude mag_s)
 * enters with relative weight k (1/2 under a square root). */
static double quotient_magnitude(double x, double mag_x, double d, double s, double mag_s,
                                 double k)
{
    double amplification = s > 0.0 ? fmax(1.0, k * mag_s / s) : INFINITY;
    return fmax(mag_x, fabs(x) * amplification) / d;
}

static void adagrad_magnitudes(const void *config, int64_t step, size_t n, float *const before[],
                               float *const after[], double *const magnitude[])
{
    const lossopt_adagrad_config *c = config;
    double clr = c->lr / (1.0 + (double)(step - 1) * c->lr_decay);
    for (size_t i = 0; i < n; i++) {
        double p = before[PARAM][i], mag_g;
        double g = gradient(before[GRAD][i], p, c->maximize, c->weight_decay, &mag_g);
        double old_sum = before[SUM][i], new_sum = after[SUM][i];
        double mag_sum = fmax(value_magnitude(old_sum, new_sum), fabs(g) * mag_g);
        magnitude[SUM][i] = mag_sum;
        double std = sqrt(new_sum) + c->eps;
        double term = clr * quotient_magnitude(g, mag_g, std, new_sum, mag_sum, 0.5);
        magnitude[PARAM][i] = fmax(value_magnitude(p, after[PARAM][i]), term);
    }
}

static void adamax_magnitudes(const void *config, int64_t step, size_t n, float *const before[],
                              float *const after[], double *const magnitude[])
{
    const lossopt_adamax_config *c = config;
    double clr = c->lr / (1.0 - pow(c->beta1, (double)step));
    for (size_t i = 0; i < n; i++) {
        double p = before[PARAM][i], mag_g;
        double g = gradient(before[GRAD][i], p, c->maximize, c->weight_decay, &mag_g);
        double new_m = after[EXP_AVG][i];
        double mag_m = first_moment_magnitude(c->beta1, g, mag_g, before[EXP_AVG][i], new_m);
        magnitude[EXP_AVG][i] = mag_m;
        double old_inf = before[EXP_INF][i], new_inf = after[EXP_INF][i];
        double mag_inf =
            max3(value_magnitude(old_inf, new_inf), c->beta2 * fabs(old_inf), mag_g + c->eps);
        magnitude[EXP_INF][i] = mag_inf;
        double term = clr * quotient_magnitude(new_m, mag_m, new_inf, new_inf, mag_inf, 1.0);
        magnitude[PARAM][i] = fmax(value_magnitude(p, after[PARAM][i]), term);
    }
}

static void nadam_magnitudes(const void *config, int64_t step, size_t n, float *const before[],
                             float *const after[], double *const magnitude[])
{
    const lossopt_nadam_config *c = config;
    double t = (double)step;
    double mu = nadam_mu_at(c, t), mu_next = nadam_mu_at(c, t + 1.0);
    double p_now = nadam_product_before(step) * mu, p_next = p_now * mu_next;
    double c_grad = -c->lr * (1.0 - mu) / (1.0 - p_now);
    double c_avg = -c->lr * mu_next / (1.0 - p_next);
    double bc2_sqrt = sqrt(1.0 - pow(c->beta2, t));
    for (size_t i = 0; i < n; i++) {
        double p = before[PARAM][i], mag_g;
        double g = gradient(before[GRAD][i], p, false, c->weight_decay, &mag_g);
        double new_m = after[EXP_AVG][i], new_v = after[EXP_AVG_SQ][i];
        double mag_m = first_moment_magnitude(c->beta1, g, mag_g, before[EXP_AVG][i], new_m);
        double mag_v = second_moment_magnitude(c->beta2, g, mag_g, before[EXP_AVG_SQ][i], new_v);
        magnitude[EXP_AVG][i] = mag_m;
        magnitude[EXP_AVG_SQ][i] = mag_v;
        double denom = sqrt(new_v) / bc2_sqrt + c->eps;
        double grad_term = fabs(c_grad) * quotient_magnitude(g, mag_g, denom, new_v, mag_v, 0.5);
        double avg_term =
            fabs(c_avg) * quotient_magnitude(new_m, mag_m, denom, new_v, mag_v, 0.5);
        double intermediate = fabs(p + c_grad * g / denom);
        magnitude[PARAM][i] = fmax(value_magnitude(p, after[PARAM][i]),
                                   max3(grad_term, avg_term, intermediate));
    }
}

static void radam_magnitudes(const void *config, int64_t step, size_t n, float *const before[],
                             float *const after[], double *const magnitude[])
{
    const lossopt_radam_config *c = config;
    double t = (double)step;
    double bc1 = 1.0 - pow(c->beta1, t), bc2 = 1.0 - pow(c->beta2, t);
    double rho_inf = 2.0 / (1.0 - c->beta2) - 1.0;
    double rho_t = rho_inf - 2.0 * t * pow(c->beta2, t) / bc2;
    bool rectified = rho_t > 5.0;
    double step_size = c->lr / bc1;
    if (rectified)
        step_size *= sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf /
                          ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) *
                     sqrt(bc2);
    for (size_t i = 0; i < n; i++) {
        double p = before[PARAM][i], mag_g;
        double g = gradient(before[GRAD][i], p, false, c->weight_decay, &mag_g);
        double new_m = after[EXP_AVG][i], new_v = after[EXP_AVG_SQ][i];
        double mag_m = first_moment_magnitude(c->beta1, g, mag_g, before[EXP_AVG][i], new_m);
        double mag_v = second_moment_magnitude(c->beta2, g, mag_g, before[EXP_AVG_SQ][i], new_v);
        magnitude[EXP_AVG][i] = mag_m;
        magnitude[EXP_AVG_SQ][i] = mag_v;
        double term = rectified ? step_size * quotient_magnitude(new_m, mag_m, sqrt(new_v) + c->eps,
                                                                 new_v, mag_v, 0.5)
                                : step_size * mag_m;
        magnitude[PARAM][i] = fmax(value_magnitude(p, after[PARAM][i]), term);
    }
}

/* ---- main --------------------------------------------------------------------- */

static parity_optimizer optimizers[] = {
    {.name = "adagrad", .buffers = {"param", "grad", "sum", NULL}, .parse = parse_adagrad,
     .run = run_adagrad, .magnitudes = adagrad_magnitudes},
    {.name = "adamax", .buffers = {"param", "grad", "exp_avg", "exp_inf", NULL},
     .parse = parse_adamax, .run = run_adamax, .magnitudes = adamax_magnitudes},
    {.name = "nadam", .buffers = {"param", "grad", "exp_avg", "exp_avg_sq", NULL},
     .parse = parse_nadam, .run = run_nadam, .magnitudes = nadam_magnitudes},
    {.name = "radam", .buffers = {"param", "grad", "exp_avg", "exp_avg_sq", NULL},
     .parse = parse_radam, .run = run_radam, .magnitudes = radam_magnitudes},
};
#define OPTIMIZERS (sizeof optimizers / sizeof optimizers[0])

static bool check_file(ref_reader *r)
{
    return parity_replay_steps(r, "lossopt-more-optimizer-reference 1", optimizers, OPTIMIZERS,
                               MAX_ELEMENTS, TOLERANCE_ULP);
}

static void report(void)
{
    const char *name = parity_name();
    for (size_t i = 0; i < OPTIMIZERS; i++) {
        const parity_optimizer *o = &optimizers[i];
        test_check(o->steps > 0, "no %s configuration in the file", o->name);
        printf("%s: %-7s %4ld steps, worst error %.3f ulp of the operand magnitude = %.3f of "
               "the %.0f ulp bound, at %s\n",
               name, o->name, o->steps, o->worst.measure, o->worst.ratio, TOLERANCE_ULP,
               o->worst.seen ? o->worst.where : "(none)");
    }
    printf("%s: nadam mu_product vs the header's formula: worst relative error %.3g\n", name,
           product.worst_product_error);
}

int main(int argc, char **argv)
{
    return parity_main(argc, argv, "test_more_torch_parity", "more_optimizer_reference.txt",
                       LINE_CAPACITY, check_file, report);
}
