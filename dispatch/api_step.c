/* dispatch/api_step.c - the engine step's public entry points (the
 * tensor-list steps and lossopt_grad_stats): validate everything before the
 * first write, run the statistics pass when clipping or skipping needs it,
 * compute the one grad multiplier, and run the step's tasks on the caller's
 * pool or the calling thread. The arithmetic is in the segment kernels
 * (kernels/opt_*.c, kernels/grad_norm.c); the task split is
 * dispatch/step_tasks.h. Semantics: include/lossopt.h, "The engine step". */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lossopt_internal.h"
#include "optimizer_coefficients.h"
#include "step_driver.h"
#include "step_tasks.h"
#include "stochastic_rounding.h"

static size_t dtype_size(lossopt_dtype d) { return d == LOSSOPT_BF16 || d == LOSSOPT_F16 ? 2 : 4; }
static bool dtype_valid(lossopt_dtype d) { return d == LOSSOPT_F32 || d == LOSSOPT_BF16 || d == LOSSOPT_F16; }
static bool factor_valid(double x) { return isfinite(x) && x >= 0.0; }

/* ---- the statistics pass ---------------------------------------------------- */

/* Whether any of n stored grads is inf or NaN: its exponent bits all set.
 * Only run on a range whose sum of squares is not finite (a finite sum
 * proves every grad finite), so it costs nothing on healthy steps. */
static bool any_nonfinite(const void *grad, lossopt_dtype dtype, size_t n)
{
    if (dtype == LOSSOPT_F32) {
        const unsigned char *bytes = grad;
        for (size_t i = 0; i < n; i++) {
            uint32_t bits;
            memcpy(&bits, bytes + 4 * i, sizeof bits);
            if ((bits & 0x7F800000u) == 0x7F800000u)
                return true;
        }
        return false;
    }
    const uint16_t *half = grad;
    uint16_t exponent = dtype == LOSSOPT_BF16 ? 0x7F80u : 0x7C00u;
    for (size_t i = 0; i < n; i++)
        if ((half[i] & exponent) == exponent)
            return true;
    return false;
}

typedef struct range_stats {
    double sum;
    bool nonfinite;
} range_stats;

static range_stats stats_of_range(const lossopt_kernel_table *table, const lossopt_tensor *tensor,
                                  lossopt_dtype dtype, size_t begin, size_t end)
{
    range_stats r = {0.0, false};
    if (end == begin)
        return r;
    const void *grad = (const unsigned char *)tensor->grad + begin * dtype_size(dtype);
    r.sum = table->grad_sumsq(grad, dtype, end - begin);
    r.nonfinite = !isfinite(r.sum) && any_nonfinite(grad, dtype, end - begin);
    return r;
}

/* Adds the ranges in order: a tensor's ranges into its sum, the tensors'
 * sums into the total (both in double from +0). */
typedef struct stats_total {
    size_t tensor;
    bool started, nonfinite;
    double tensor_sum, total;
} stats_total;

static void stats_add(stats_total *s, size_t tensor, range_stats r)
{
    if (s->started && tensor != s->tensor) {
        s->total += s->tensor_sum;
        s->tensor_sum = 0.0;
    }
    s->started = true;
    s->tensor = tensor;
    s->tensor_sum += r.sum;
    s->nonfinite = s->nonfinite || r.nonfinite;
}

static void stats_finish(stats_total *s)
{
    if (s->started)
        s->total += s->tensor_sum;
    s->tensor_sum = 0.0;
    s->started = false;
}

typedef struct stats_context {
    const lossopt_kernel_table *table;
    const lossopt_tensor *t;
    lossopt_dtype dtype;
    const step_task *tasks;
    range_stats *ranges;
} stats_context;

static void stats_task(void *context, size_t index)
{
    const stats_context *c = context;
    const step_task *task = &c->tasks[index];
    for (size_t j = 0; j < task->tensor_count; j++) {
        size_t begin, end;
        step_task_range(task, c->t, j, &begin, &end);
        c->ranges[task->first_range + j] =
            stats_of_range(c->table, &c->t[task->first_tensor + j], c->dtype, begin, end);
    }
}

/* Counts the call's tasks and ranges. */
static void count_tasks(const lossopt_tensor *t, size_t count, size_t *tasks, size_t *ranges)
{
    step_task_cursor cursor = step_tasks_start(t, count);
    step_task task;
    *tasks = 0;
    while (step_tasks_next(&cursor, &task))
        ++*tasks;
    *ranges = cursor.ranges;
}

/* The sum of squares and the non-finite flag of every grad (validated). */
static void grad_statistics(const lossopt_kernel_table *table, const lossopt_tensor *t,
                            size_t count, lossopt_dtype dtype, const lossopt_parallel *parallel,
                            double *sum, bool *nonfinite)
{
    stats_total total = {0, false, false, 0.0, 0.0};
    size_t task_count = 0, range_count = 0;
    step_task *tasks = NULL;
    range_stats *ranges = NULL;
    if (parallel != NULL) {
        count_tasks(t, count, &task_count, &range_count);
        if (task_count > 1) {
            tasks = malloc(task_count * sizeof *tasks);
            ranges = malloc(range_count * sizeof *ranges);
        }
    }
    step_task_cursor cursor = step_tasks_start(t, count);
    step_task task;
    if (tasks != NULL && ranges != NULL) {
        for (size_t k = 0; step_tasks_next(&cursor, &task); k++)
            tasks[k] = task;
        stats_context context = {table, t, dtype, tasks, ranges};
        parallel->run(parallel->pool, task_count, stats_task, &context);
        for (size_t k = 0; k < task_count; k++)
            for (size_t j = 0; j < tasks[k].tensor_count; j++)
                stats_add(&total, tasks[k].first_tensor + j, ranges[tasks[k].first_range + j]);
    } else { /* the calling thread, in task order: the same sums */
        while (step_tasks_next(&cursor, &task))
            for (size_t j = 0; j < task.tensor_count; j++) {
                size_t begin, end;
                step_task_range(&task, t, j, &begin, &end);
                stats_add(&total, task.first_tensor + j,
                          stats_of_range(table, &t[task.first_tensor + j], dtype, begin, end));
            }
    }
    free(tasks);
    free(ranges);
    stats_finish(&total);
    *sum = total.total;
    *nonfinite = total.nonfinite;
}

/* ---- the step pass ------------------------------------------------------------ */

/* The coefficients of one tensor's step; tensors with their own step (or
 * NAdam's own mu_product) reuse the last computation of the task
 * (validation has computed each once, so none fails here). */
typedef struct coefficient_cache {
    int64_t step;
    double mu_product;
    any_coefficients c;
} coefficient_cache;

typedef struct step_context {
    const lossopt_kernel_table *table;
    const step_optimizer *o;
    const lossopt_tensor *t;
    int64_t step;
    const any_coefficients *call_coefficients; /* for the call's step */
    lossopt_precision precision;
    bool use_multiplier;
    float multiplier;
    const step_task *tasks;   /* with a pool */
    step_pass_kind pass;      /* the pass the tasks run */
    double (*range_sums)[2];  /* LAMB's moments pass with a pool: per range */
    const float *factors;     /* LAMB's apply pass with a pool: per tensor  */
    coefficient_cache validated; /* the last per-tensor coefficients validation
                                    computed: every task's cache starts there */
} step_context;

static const any_coefficients *coefficients_for(const step_context *x, size_t i, int64_t step,
                                                coefficient_cache *cache)
{
    double mu_product = x->o->mu_products != NULL ? x->o->mu_products[i] : 1.0;
    if (step == x->step && x->o->mu_products == NULL)
        return x->call_coefficients;
    if (cache->step != step || cache->mu_product != mu_product) {
        (void)x->o->coefficients(x->o->cfg, step, mu_product, &cache->c);
        cache->step = step;
        cache->mu_product = mu_product;
    }
    return &cache->c;
}

static void *element_at(void *buffer, lossopt_dtype dtype, size_t index)
{
    return buffer == NULL ? NULL : (unsigned char *)buffer + index * dtype_size(dtype);
}

/* Runs pass->kind over elements [begin, end) of tensor i, in segments
 * within which the stochastic-rounding index's high half is constant. The
 * moments pass returns the range's sums in pass->sums: the segments' sums
 * added in order in double (one segment but near an index wrap). */
static void step_range(const step_context *x, size_t i, size_t begin, size_t end,
                       coefficient_cache *cache, step_pass *pass)
{
    const lossopt_tensor *tensor = &x->t[i];
    int64_t step = tensor->step != 0 ? tensor->step : x->step;
    const any_coefficients *c = coefficients_for(x, i, step, cache);
    double range_sums[2] = {-0.0, -0.0};
    uint64_t stream = tensor->sr_stream != 0 ? tensor->sr_stream : (uint64_t)i;
    bool stochastic = x->precision.rounding == LOSSOPT_ROUND_STOCHASTIC;

    /* Field by field, not `= {...}`: zeroing the whole struct compiled to a
     * `rep stos`, a third of a small call's dispatch time. Every field is set
     * here or in the loop below (sr_key for stochastic rounding only). */
    lossopt_step_segment s;
    s.use_multiplier = x->use_multiplier;
    s.multiplier = x->multiplier;
    s.stochastic = stochastic;
    if (!stochastic)
        for (uint32_t b = 0; b < LOSSOPT_STORED_BUFFERS; b++)
            s.sr_key[b] = 0;
    s.dtype[LOSSOPT_BUFFER_PARAM] = x->precision.param;
    s.dtype[LOSSOPT_BUFFER_GRAD] = x->precision.grad;
    for (int k = 0; k < 3; k++) /* unused ones too: one layout per call (opt_step_io.h) */
        s.dtype[LOSSOPT_BUFFER_STATE0 + k] = x->precision.state;
    s.dtype[LOSSOPT_BUFFER_COPY] = tensor->param_copy != NULL ? x->precision.param_copy : LOSSOPT_F32;

    while (begin < end) {
        uint64_t index = (uint64_t)begin + tensor->sr_offset;
        uint64_t before_wrap = ((uint64_t)1 << 32) - (uint32_t)index;
        size_t n = end - begin;
        if ((uint64_t)n > before_wrap)
            n = (size_t)before_wrap;
        s.n = n;
        s.buffer[LOSSOPT_BUFFER_PARAM] = element_at(tensor->param, s.dtype[LOSSOPT_BUFFER_PARAM], begin);
        s.buffer[LOSSOPT_BUFFER_GRAD] = element_at((void *)tensor->grad, s.dtype[LOSSOPT_BUFFER_GRAD], begin);
        for (int k = 0; k < 3; k++)
            s.buffer[LOSSOPT_BUFFER_STATE0 + k] =
                (x->o->states_used >> k) & 1
                    ? element_at(tensor->state[k], s.dtype[LOSSOPT_BUFFER_STATE0 + k], begin)
                    : NULL;
        s.buffer[LOSSOPT_BUFFER_COPY] = element_at(tensor->param_copy, s.dtype[LOSSOPT_BUFFER_COPY], begin);
        s.sr_index = (uint32_t)index;
        if (stochastic)
            for (uint32_t b = 0; b < LOSSOPT_STORED_BUFFERS; b++)
                s.sr_key[b] = lossopt_sr_key(x->precision.seed, (uint64_t)step, stream, b,
                                             (uint32_t)(index >> 32));
        x->o->segment(x->table, &s, c, pass);
        if (pass->kind == STEP_PASS_MOMENTS) {
            range_sums[0] += pass->sums[0];
            range_sums[1] += pass->sums[1];
        }
        begin += n;
    }
    pass->sums[0] = range_sums[0];
    pass->sums[1] = range_sums[1];
}

static void step_one_task(const step_context *x, const step_task *task)
{
    coefficient_cache cache = x->validated;
    for (size_t j = 0; j < task->tensor_count; j++) {
        size_t begin, end, i = task->first_tensor + j;
        step_task_range(task, x->t, j, &begin, &end);
        step_pass pass = {x->pass, x->factors != NULL ? x->factors[i] : 0.0f, {0.0, 0.0}};
        step_range(x, i, begin, end, &cache, &pass);
        if (x->pass == STEP_PASS_MOMENTS && x->range_sums != NULL) {
            x->range_sums[task->first_range + j][0] = pass.sums[0];
            x->range_sums[task->first_range + j][1] = pass.sums[1];
        }
    }
}

static void step_task_fn(void *context, size_t index)
{
    const step_context *x = context;
    step_one_task(x, &x->tasks[index]);
}

static void run_step(step_context *x, size_t count, const lossopt_parallel *parallel)
{
    size_t task_count = 0, range_count = 0;
    step_task *tasks = NULL;
    if (parallel != NULL) {
        count_tasks(x->t, count, &task_count, &range_count);
        if (task_count > 1)
            tasks = malloc(task_count * sizeof *tasks);
    }
    step_task_cursor cursor = step_tasks_start(x->t, count);
    step_task task;
    if (tasks != NULL) {
        for (size_t k = 0; step_tasks_next(&cursor, &task); k++)
            tasks[k] = task;
        x->tasks = tasks;
        parallel->run(parallel->pool, task_count, step_task_fn, x);
        free(tasks);
    } else { /* the calling thread: the same tasks, the same bits */
        while (step_tasks_next(&cursor, &task))
            step_one_task(x, &task);
    }
}

/* ---- LAMB's two passes ---------------------------------------------------------- */

/* The ranges of tensor i are its task ranges (dispatch/step_tasks.h): the
 * whole tensor, or cuts of LOSSOPT_TASK_ELEMENTS from element 0. */
static size_t tensor_range_end(const lossopt_tensor *tensor, size_t begin)
{
    if (tensor->n <= LOSSOPT_TASK_ELEMENTS)
        return tensor->n;
    return tensor->n - begin > LOSSOPT_TASK_ELEMENTS ? begin + LOSSOPT_TASK_ELEMENTS : tensor->n;
}

/* A tensor's sums add its ranges' sums in order, in double from +0. */
static void add_range_sums(double tensor_sums[2], const double range_sums[2])
{
    tensor_sums[0] += range_sums[0];
    tensor_sums[1] += range_sums[1];
}

/* On the calling thread, tensor by tensor: the moments pass over every
 * range of the tensor, its factor, then the apply pass. Allocates nothing. */
static void run_two_pass_serial(step_context *x, size_t count)
{
    coefficient_cache cache = x->validated;
    for (size_t i = 0; i < count; i++) {
        const lossopt_tensor *tensor = &x->t[i];
        double sums[2] = {0.0, 0.0};
        size_t begin = 0;
        do { /* an empty tensor has one empty range */
            size_t end = tensor_range_end(tensor, begin);
            step_pass pass = {STEP_PASS_MOMENTS, 0.0f, {0.0, 0.0}};
            step_range(x, i, begin, end, &cache, &pass);
            add_range_sums(sums, pass.sums);
            begin = end;
        } while (begin < tensor->n);
        step_pass apply = {STEP_PASS_APPLY, x->o->negative_factor(x->o->cfg, sums[0], sums[1]),
                           {0.0, 0.0}};
        for (begin = 0; begin < tensor->n;) {
            size_t end = tensor_range_end(tensor, begin);
            step_range(x, i, begin, end, &cache, &apply);
            begin = end;
        }
    }
}

/* With a pool: the moments pass over every task, each range's sums kept;
 * the tensors' factors from their ranges in order; the apply pass. The same
 * sums as on the calling thread, so the same bits. */
static void run_two_pass(step_context *x, size_t count, const lossopt_parallel *parallel)
{
    size_t task_count = 0, range_count = 0;
    step_task *tasks = NULL;
    double (*range_sums)[2] = NULL;
    float *factors = NULL;
    if (parallel != NULL) {
        count_tasks(x->t, count, &task_count, &range_count);
        if (task_count > 1) {
            tasks = malloc(task_count * sizeof *tasks);
            range_sums = malloc(range_count * sizeof *range_sums);
            factors = malloc(count * sizeof *factors);
        }
    }
    if (tasks == NULL || range_sums == NULL || factors == NULL) {
        free(tasks);
        free(range_sums);
        free(factors);
        run_two_pass_serial(x, count);
        return;
    }
    step_task_cursor cursor = step_tasks_start(x->t, count);
    step_task task;
    for (size_t k = 0; step_tasks_next(&cursor, &task); k++)
        tasks[k] = task;
    x->tasks = tasks;
    x->pass = STEP_PASS_MOMENTS;
    x->range_sums = range_sums;
    parallel->run(parallel->pool, task_count, step_task_fn, x);

    size_t range = 0; /* a tensor's ranges are consecutive, in order */
    for (size_t i = 0; i < count; i++) {
        double sums[2] = {0.0, 0.0};
        size_t begin = 0;
        do {
            add_range_sums(sums, range_sums[range++]);
            begin = tensor_range_end(&x->t[i], begin);
        } while (begin < x->t[i].n);
        factors[i] = x->o->negative_factor(x->o->cfg, sums[0], sums[1]);
    }
    x->pass = STEP_PASS_APPLY;
    x->range_sums = NULL;
    x->factors = factors;
    parallel->run(parallel->pool, task_count, step_task_fn, x);
    free(tasks);
    free(range_sums);
    free(factors);
}

/* ---- validation and the call ----------------------------------------------- */

static lossopt_status validate(coefficient_cache *validated, const lossopt_kernel_table *table,
                               const step_optimizer *o,
                               const lossopt_tensor *t, size_t count, int64_t step,
                               const lossopt_step_options *opt, const lossopt_precision *p,
                               any_coefficients *call_coefficients)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    /* NULL */
    if (o->cfg == NULL || (count > 0 && t == NULL) ||
        (opt->parallel != NULL && opt->parallel->run == NULL) ||
        (o->mu != NULL && count > 0 && o->mu_products == NULL))
        return LOSSOPT_ERR_NULL;
    for (size_t i = 0; i < count; i++) {
        if (t[i].n == 0)
            continue;
        if (t[i].param == NULL || t[i].grad == NULL)
            return LOSSOPT_ERR_NULL;
        for (int k = 0; k < 3; k++)
            if (((o->states_used >> k) & 1) && t[i].state[k] == NULL)
                return LOSSOPT_ERR_NULL;
    }
    /* SIZE: every buffer's bytes fit in the address space */
    for (size_t i = 0; i < count; i++)
        if (t[i].n > SIZE_MAX / 4)
            return LOSSOPT_ERR_SIZE;
    /* ARG: the call's step first (RMSprop's coefficients ignore it, but the
     * stochastic-rounding stream uses it) */
    if (step < 1)
        return LOSSOPT_ERR_ARG;
    /* NAdam's call-level check uses mu_product 0, whose coefficients are the
     * smallest of any valid product: the config is checked, and a
     * coefficient too large for a float is found per tensor below, with the
     * tensor's own product (1.0 here would refuse valid calls) */
    lossopt_status status = o->coefficients(o->cfg, step, o->mu != NULL ? 0.0 : 1.0, call_coefficients);
    if (status != LOSSOPT_OK)
        return status;
    if (!factor_valid(opt->loss_scale) || !factor_valid(opt->grad_multiplier) ||
        !factor_valid(opt->max_grad_norm))
        return LOSSOPT_ERR_ARG;
    if (!dtype_valid(p->param) || !dtype_valid(p->grad) || !dtype_valid(p->state) ||
        !dtype_valid(p->param_copy) ||
        (p->rounding != LOSSOPT_ROUND_NEAREST && p->rounding != LOSSOPT_ROUND_STOCHASTIC))
        return LOSSOPT_ERR_ARG;
    if (p->rounding == LOSSOPT_ROUND_STOCHASTIC && p->param != LOSSOPT_BF16 &&
        !(p->state == LOSSOPT_BF16 && o->states_used != 0))
        return LOSSOPT_ERR_ARG;
    int64_t checked = step;
    for (size_t i = 0; i < count; i++) {
        if (t[i].step < 0)
            return LOSSOPT_ERR_ARG;
        if (o->mu_products != NULL) { /* NAdam: every tensor's own coefficients */
            double mu_product = o->mu_products[i];
            /* [0, 1], not SPEC's (0, 1]: a valid run reaches 0 (beta1 = 0
             * after step 1; the product of ~1000 mus underflows) */
            if (!(mu_product >= 0.0 && mu_product <= 1.0))
                return LOSSOPT_ERR_ARG;
            int64_t own = t[i].step != 0 ? t[i].step : step;
            status = o->coefficients(o->cfg, own, mu_product, &validated->c);
            if (status != LOSSOPT_OK)
                return status;
            validated->step = own;
            validated->mu_product = mu_product;
        } else if (t[i].step != 0 && t[i].step != checked) {
            status = o->coefficients(o->cfg, t[i].step, 1.0, &validated->c);
            if (status != LOSSOPT_OK)
                return status;
            checked = t[i].step;
            validated->step = checked;
            validated->mu_product = 1.0;
        }
    }
    return LOSSOPT_OK;
}

lossopt_status lossopt_step_call(const lossopt_kernel_table *table, const step_optimizer *o,
                                 lossopt_tensor *t, size_t count, int64_t step,
                                 const lossopt_step_options *opt, lossopt_step_report *report)
{
    static const lossopt_step_options no_options;
    static const lossopt_precision all_f32;
    if (opt == NULL)
        opt = &no_options;
    const lossopt_precision *precision = opt->precision != NULL ? opt->precision : &all_f32;
    any_coefficients call_coefficients;
    coefficient_cache validated = {0}; /* step 0: nothing cached */
    lossopt_status status =
        validate(&validated, table, o, t, count, step, opt, precision, &call_coefficients);
    if (status != LOSSOPT_OK)
        return status;

    lossopt_step_report r = {NAN, false, false};
    double grad_multiplier = opt->grad_multiplier > 0.0 ? opt->grad_multiplier : 1.0;
    double loss_scale = opt->loss_scale > 0.0 ? opt->loss_scale : 1.0;
    double clip_coef = 1.0;
    if (opt->max_grad_norm > 0.0 || opt->skip_nonfinite) {
        double sum;
        grad_statistics(table, t, count, precision->grad, opt->parallel, &sum, &r.nonfinite);
        r.grad_norm = sqrt(sum) * grad_multiplier / loss_scale;
        if (opt->skip_nonfinite && r.nonfinite) {
            r.skipped = true;
            if (report != NULL)
                *report = r;
            return LOSSOPT_OK;
        }
        if (opt->max_grad_norm > 0.0) {
            clip_coef = opt->max_grad_norm / (r.grad_norm + 1e-6);
            if (clip_coef > 1.0) /* NaN stays NaN, as torch.clamp */
                clip_coef = 1.0;
        }
    }
    float multiplier = (float)(grad_multiplier / loss_scale * clip_coef);

    step_context x = {table, o, t, step, &call_coefficients, *precision,
                      multiplier != 1.0f, multiplier, NULL, STEP_PASS_UPDATE, NULL, NULL,
                      validated};
    if (o->negative_factor != NULL)
        run_two_pass(&x, count, opt->parallel);
    else
        run_step(&x, count, opt->parallel);
    if (o->mu != NULL) /* NAdam: after the parameters are written */
        for (size_t i = 0; i < count; i++)
            o->mu_products[i] *= o->mu(o->cfg, t[i].step != 0 ? t[i].step : step);
    if (report != NULL)
        *report = r;
    return LOSSOPT_OK;
}

/* ---- the optimizers ------------------------------------------------------------ */

static lossopt_status sgd_coefficients(const void *cfg, int64_t step, double mu_product,
                                       any_coefficients *c)
{
    (void)mu_product;
    return lossopt_sgd_coefficients_for(cfg, step, &c->sgd);
}
static void sgd_segment(const lossopt_kernel_table *table, const lossopt_step_segment *s,
                        const any_coefficients *c, step_pass *pass)
{
    (void)pass;
    table->sgd_segment(s, &c->sgd);
}

static lossopt_status rmsprop_coefficients(const void *cfg, int64_t step, double mu_product,
                                           any_coefficients *c)
{
    (void)step; /* RMSprop has no step counter */
    (void)mu_product;
    return lossopt_rmsprop_coefficients_for(cfg, &c->rmsprop);
}
static void rmsprop_segment(const lossopt_kernel_table *table, const lossopt_step_segment *s,
                            const any_coefficients *c, step_pass *pass)
{
    (void)pass;
    table->rmsprop_segment(s, &c->rmsprop);
}

static lossopt_status adam_coefficients(const void *cfg, int64_t step, double mu_product,
                                        any_coefficients *c)
{
    (void)mu_product;
    return lossopt_adam_coefficients_for(cfg, step, &c->adam);
}
static void adam_segment(const lossopt_kernel_table *table, const lossopt_step_segment *s,
                         const any_coefficients *c, step_pass *pass)
{
    (void)pass;
    table->adam_segment(s, &c->adam);
}

lossopt_status lossopt_step_call_f32(const lossopt_kernel_table *table, const step_optimizer *o,
                                     float *param, const float *grad, float *state0,
                                     float *state1, size_t n, int64_t step)
{
    lossopt_tensor t = {.param = param, .grad = grad, .state = {state0, state1, NULL}, .n = n};
    return lossopt_step_call(table, o, &t, 1, step, NULL, NULL);
}

lossopt_status lossopt_sgd_step_with_table(const lossopt_kernel_table *table,
                                           const lossopt_sgd_config *cfg, lossopt_tensor *t,
                                           size_t count, int64_t step,
                                           const lossopt_step_options *opt,
                                           lossopt_step_report *report)
{
    step_optimizer o = {cfg, cfg != NULL && cfg->momentum != 0.0 ? 1u : 0u, NULL,
                        sgd_coefficients, sgd_segment, NULL, NULL};
    return lossopt_step_call(table, &o, t, count, step, opt, report);
}

lossopt_status lossopt_rmsprop_step_with_table(const lossopt_kernel_table *table,
                                               const lossopt_rmsprop_config *cfg,
                                               lossopt_tensor *t, size_t count, int64_t step,
                                               const lossopt_step_options *opt,
                                               lossopt_step_report *report)
{
    unsigned states = cfg == NULL ? 0u
                                  : 1u | (cfg->centered ? 2u : 0u) | (cfg->momentum != 0.0 ? 4u : 0u);
    step_optimizer o = {cfg, states, NULL, rmsprop_coefficients, rmsprop_segment, NULL, NULL};
    return lossopt_step_call(table, &o, t, count, step, opt, report);
}

lossopt_status lossopt_adam_step_with_table(const lossopt_kernel_table *table,
                                            const lossopt_adam_config *cfg, lossopt_tensor *t,
                                            size_t count, int64_t step,
                                            const lossopt_step_options *opt,
                                            lossopt_step_report *report)
{
    unsigned states = cfg == NULL ? 0u : 3u | (cfg->amsgrad ? 4u : 0u);
    step_optimizer o = {cfg, states, NULL, adam_coefficients, adam_segment, NULL, NULL};
    return lossopt_step_call(table, &o, t, count, step, opt, report);
}

lossopt_status lossopt_sgd_step(const lossopt_sgd_config *cfg, lossopt_tensor *t, size_t count,
                                int64_t step, const lossopt_step_options *opt,
                                lossopt_step_report *report)
{
    return lossopt_sgd_step_with_table(lossopt_active_table(), cfg, t, count, step, opt, report);
}

lossopt_status lossopt_rmsprop_step(const lossopt_rmsprop_config *cfg, lossopt_tensor *t,
                                    size_t count, int64_t step, const lossopt_step_options *opt,
                                    lossopt_step_report *report)
{
    return lossopt_rmsprop_step_with_table(lossopt_active_table(), cfg, t, count, step, opt, report);
}

lossopt_status lossopt_adam_step(const lossopt_adam_config *cfg, lossopt_tensor *t, size_t count,
                                 int64_t step, const lossopt_step_options *opt,
                                 lossopt_step_report *report)
{
    return lossopt_adam_step_with_table(lossopt_active_table(), cfg, t, count, step, opt, report);
}

/* ---- the statistics pass alone ----------------------------------------------------- */

lossopt_status lossopt_grad_stats_with_table(const lossopt_kernel_table *table,
                                             const lossopt_tensor *t, size_t count,
                                             lossopt_dtype grad, const lossopt_parallel *parallel,
                                             double *sum_sq, bool *nonfinite)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    if ((count > 0 && t == NULL) || (parallel != NULL && parallel->run == NULL))
        return LOSSOPT_ERR_NULL;
    for (size_t i = 0; i < count; i++)
        if (t[i].n > 0 && t[i].grad == NULL)
            return LOSSOPT_ERR_NULL;
    for (size_t i = 0; i < count; i++)
        if (t[i].n > SIZE_MAX / 4)
            return LOSSOPT_ERR_SIZE;
    if (!dtype_valid(grad))
        return LOSSOPT_ERR_ARG;
    double sum;
    bool bad;
    grad_statistics(table, t, count, grad, parallel, &sum, &bad);
    if (sum_sq != NULL)
        *sum_sq = sum;
    if (nonfinite != NULL)
        *nonfinite = bad;
    return LOSSOPT_OK;
}

lossopt_status lossopt_grad_stats(const lossopt_tensor *t, size_t count, lossopt_dtype grad,
                                  const lossopt_parallel *parallel, double *sum_sq,
                                  bool *nonfinite)
{
    return lossopt_grad_stats_with_table(lossopt_active_table(), t, count, grad, parallel, sum_sq,
                                         nonfinite);
}
