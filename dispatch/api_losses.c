/* dispatch/api_losses.c - public entry points of the elementwise losses:
 * validate every argument (and, for BCE on probabilities, every data value)
 * before anything is written, hoist the per-call scalars (computed in double,
 * rounded once to float, identical for every ISA), run the chosen ISA's
 * kernel, and round its canonical double sum into the MEAN or SUM result.
 * Semantics and operation order: include/lossopt.h. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <math.h>
#include <stdint.h>

#include "loss_io.h"
#include "lossopt_internal.h"

#define MAX_ELEMENTS (SIZE_MAX / sizeof(float))

/* One call, as the public functions receive it. */
typedef struct loss_call {
    lossopt_loss_kind kind;
    const void *input; /* typed by io->input              */
    const float *target, *weight;
    size_t n;
    size_t rows;     /* kl_div: BATCHMEAN's divisor (n / cols)          */
    float parameter; /* delta, beta, pos_weight or eps */
    unsigned flags;  /* LOSSOPT_LOSS_LOG_INPUT, LOSSOPT_LOSS_FULL (poisson_nll) */
    lossopt_reduction reduction;
    const lossopt_loss_io *io; /* NULL for the _f32 calls       */
    float *loss;
    void *grad;                /* typed by io->grad              */
} loss_call;

static lossopt_status validate(const loss_call *call)
{
    if ((call->n > 0 && (call->input == NULL || call->target == NULL)) ||
        (call->loss == NULL && call->grad == NULL))
        return LOSSOPT_ERR_NULL;
    if (call->n > MAX_ELEMENTS)
        return LOSSOPT_ERR_SIZE;
    bool kl = call->kind == LOSSOPT_LOSS_KL_DIV || call->kind == LOSSOPT_LOSS_KL_DIV_LOG_TARGET;
    if (call->reduction != LOSSOPT_MEAN && call->reduction != LOSSOPT_SUM &&
        call->reduction != LOSSOPT_NONE && !(kl && call->reduction == LOSSOPT_BATCHMEAN))
        return LOSSOPT_ERR_ARG;
    float x = call->parameter;
    switch (call->kind) {
    /* +inf is a valid parameter, as in PyTorch: huber with delta = inf is
     * 0.5 d^2, smooth_l1 with beta = inf is 0 (NaN fails both tests) */
    case LOSSOPT_LOSS_HUBER:
        if (!(x > 0.0f)) return LOSSOPT_ERR_ARG;
        break;
    case LOSSOPT_LOSS_SMOOTH_L1:
    case LOSSOPT_LOSS_BCE_LOGITS:
        if (!(x >= 0.0f)) return LOSSOPT_ERR_ARG;
        break;
    /* eps: finite and >= 0, whatever log_input is (docs/decisions.md) */
    case LOSSOPT_LOSS_POISSON_NLL:
        if (!(x >= 0.0f && x < INFINITY)) return LOSSOPT_ERR_ARG;
        break;
    default:
        break;
    }
    return LOSSOPT_OK;
}

/* The derivative's constant k of each loss (grad_scale = k * r). */
static double derivative_constant(lossopt_loss_kind kind)
{
    return kind == LOSSOPT_LOSS_MSE || kind == LOSSOPT_LOSS_SQUARED_HINGE ? 2.0 : 1.0;
}

static lossopt_elementwise_fn *select_kernel(const lossopt_kernel_table *table, const loss_call *call)
{
    switch (call->kind) {
    case LOSSOPT_LOSS_MSE: return table->mse_f32;
    case LOSSOPT_LOSS_L1: return table->l1_f32;
    case LOSSOPT_LOSS_HUBER: return table->huber_f32;
    case LOSSOPT_LOSS_SMOOTH_L1: return call->parameter == 0.0f ? table->l1_f32 : table->smooth_l1_f32;
    case LOSSOPT_LOSS_HINGE: return table->hinge_f32;
    case LOSSOPT_LOSS_SQUARED_HINGE: return table->squared_hinge_f32;
    case LOSSOPT_LOSS_BCE: return table->bce_f32;
    case LOSSOPT_LOSS_BCE_LOGITS: return table->bce_logits_f32;
    case LOSSOPT_LOSS_SOFT_MARGIN: return table->soft_margin_f32;
    case LOSSOPT_LOSS_POISSON_NLL: return table->poisson_nll_f32;
    case LOSSOPT_LOSS_KL_DIV: return table->kl_div_f32;
    case LOSSOPT_LOSS_KL_DIV_LOG_TARGET: return table->kl_div_log_target_f32;
    case LOSSOPT_LOSS_KIND_COUNT: break;
    }
    return NULL;
}

/* bce's domain check on a block of widened probabilities. */
typedef struct probabilities {
    const lossopt_kernel_table *table;
    const float *target;
} probabilities;

static int probabilities_check(void *context, size_t offset, size_t count, const float *prob)
{
    const probabilities *p = context;
    return p->table->both_in_unit_interval(prob, p->target + offset, count);
}

/* One canonical block of a staged call: the kernel on the block's operands. */
typedef struct elementwise_blocks {
    lossopt_elementwise_fn *kernel;
    const lossopt_elementwise_args *a;
} elementwise_blocks;

static double elementwise_block(void *context, size_t offset, size_t count,
                                const float *const *inputs, float *const *grads)
{
    const elementwise_blocks *blocks = context;
    lossopt_elementwise_args b = *blocks->a;
    b.input = inputs[0];
    b.target = blocks->a->target + offset;
    b.weight = blocks->a->weight ? blocks->a->weight + offset : NULL;
    b.loss = blocks->a->loss ? blocks->a->loss + offset : NULL;
    b.grad = grads[0];
    b.n = count;
    return blocks->kernel(&b);
}

static lossopt_status run_loss(const lossopt_kernel_table *table, const loss_call *call)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    if (call->kind >= LOSSOPT_LOSS_KIND_COUNT)
        return LOSSOPT_ERR_ARG;
    lossopt_status status = validate(call);
    if (status == LOSSOPT_ERR_NULL || status == LOSSOPT_ERR_SIZE)
        return status;
    loss_io_plan plan;
    lossopt_status io_status = loss_io_plan_make(call->io, 0u, 1, call->n, call->input,
                                                 call->grad, &plan);
    if (io_status != LOSSOPT_OK)
        return io_status;
    if (status != LOSSOPT_OK)
        return status;
    if (call->kind == LOSSOPT_LOSS_BCE && call->n > 0 &&
        !loss_io_check_blocks(table, &plan, call->n, call->input, probabilities_check,
                              &(probabilities){table, call->target}))
        return LOSSOPT_ERR_DOMAIN;

    bool reduce = call->reduction != LOSSOPT_NONE;
    /* BATCHMEAN (kl_div): the sum divided by rows, in double (PyTorch's
     * sum / input.size(0): NaN for no rows, +0 for rows of no columns) */
    bool batchmean = call->reduction == LOSSOPT_BATCHMEAN;
    if (call->n == 0) {
        if (reduce && call->loss)
            *call->loss = call->reduction == LOSSOPT_SUM ? 0.0f
                          : batchmean                    ? (float)(0.0 / (double)call->rows)
                                                         : NAN;
        return LOSSOPT_OK;
    }
    double divisor = call->reduction == LOSSOPT_MEAN ? (double)call->n
                     : batchmean                     ? (double)call->rows
                                                     : 1.0;
    double r = 1.0 / divisor;
    double parameter = call->parameter;
    lossopt_elementwise_args a = {
        .input = plan.staged ? NULL : (const float *)call->input,
        .target = call->target,
        .weight = call->weight,
        .loss = reduce ? NULL : call->loss,
        .grad = plan.staged ? NULL : (float *)call->grad,
        .n = call->n,
        .reduce = reduce && call->loss != NULL,
        .grad_scale = (float)(derivative_constant(call->kind) * r),
        .delta = call->parameter,
        .half_delta = (float)(parameter / 2.0),
        .pos_weight = call->parameter,
        .pos_weight_minus_1 = (float)(parameter - 1.0),
        .eps = call->parameter,
        .log_input = (call->flags & LOSSOPT_LOSS_LOG_INPUT) != 0,
        .full = (call->flags & LOSSOPT_LOSS_FULL) != 0,
    };
    lossopt_elementwise_fn *kernel = select_kernel(table, call);
    double total;
    if (!plan.staged) {
        total = kernel(&a);
    } else {
        elementwise_blocks blocks = {kernel, &a};
        const void *inputs[1] = {call->input};
        void *grads[1] = {call->grad};
        total = loss_io_run_blocks(table, &plan, call->n, inputs, 1, grads, 1, elementwise_block,
                                   &blocks);
    }
    if (a.reduce)
        *call->loss = call->reduction == LOSSOPT_SUM ? (float)total : (float)(total / divisor);
    return LOSSOPT_OK;
}

lossopt_status lossopt_elementwise_loss_io_with_table(
    const lossopt_kernel_table *table, lossopt_loss_kind kind, const void *input,
    const float *target, const float *weight, size_t n, float parameter, unsigned flags,
    lossopt_reduction r, const lossopt_loss_io *io, float *loss, void *grad)
{
    loss_call call = {kind, input, target, weight, n, n, parameter, flags, r, io, loss, grad};
    return run_loss(table, &call);
}

lossopt_status lossopt_elementwise_loss_f32_with_table(
    const lossopt_kernel_table *table, lossopt_loss_kind kind, const float *input,
    const float *target, const float *weight, size_t n, float parameter, lossopt_reduction r,
    float *loss, float *grad)
{
    return lossopt_elementwise_loss_io_with_table(table, kind, input, target, weight, n,
                                                  parameter, 0u, r, NULL, loss, grad);
}

lossopt_status lossopt_elementwise_loss_ex_f32_with_table(
    const lossopt_kernel_table *table, lossopt_loss_kind kind, const float *input,
    const float *target, const float *weight, size_t n, float parameter, unsigned flags,
    lossopt_reduction r, float *loss, float *grad)
{
    return lossopt_elementwise_loss_io_with_table(table, kind, input, target, weight, n,
                                                  parameter, flags, r, NULL, loss, grad);
}

lossopt_status lossopt_kl_div_io_with_table(const lossopt_kernel_table *table, const void *input,
                                            const float *target, size_t rows, size_t cols,
                                            bool log_target, lossopt_reduction r,
                                            const lossopt_loss_io *io, float *loss, void *grad)
{
    size_t n = rows * cols;
    if (cols != 0 && rows > MAX_ELEMENTS / cols) { /* SIZE, after ISA and NULL */
        if (table == NULL)
            return LOSSOPT_ERR_ISA;
        if (loss == NULL && grad == NULL)
            return LOSSOPT_ERR_NULL;
        return input == NULL || target == NULL ? LOSSOPT_ERR_NULL : LOSSOPT_ERR_SIZE;
    }
    loss_call call = {log_target ? LOSSOPT_LOSS_KL_DIV_LOG_TARGET : LOSSOPT_LOSS_KL_DIV,
                      input, target, NULL, n, rows, 0.0f, 0u, r, io, loss, grad};
    return run_loss(table, &call);
}

lossopt_status lossopt_kl_div_f32_with_table(const lossopt_kernel_table *table,
                                             const float *input, const float *target, size_t rows,
                                             size_t cols, bool log_target, lossopt_reduction r,
                                             float *loss, float *grad)
{
    return lossopt_kl_div_io_with_table(table, input, target, rows, cols, log_target, r, NULL,
                                        loss, grad);
}

/* ---- public entry points -------------------------------------------------- */

lossopt_status lossopt_mse_f32(const float *input, const float *target, size_t n,
                               lossopt_reduction r, float *loss, float *grad)
{
    return lossopt_elementwise_loss_f32_with_table(lossopt_active_table(), LOSSOPT_LOSS_MSE, input,
                                                   target, NULL, n, 0.0f, r, loss, grad);
}

lossopt_status lossopt_l1_f32(const float *input, const float *target, size_t n,
                              lossopt_reduction r, float *loss, float *grad)
{
    return lossopt_elementwise_loss_f32_with_table(lossopt_active_table(), LOSSOPT_LOSS_L1, input,
                                                   target, NULL, n, 0.0f, r, loss, grad);
}

lossopt_status lossopt_huber_f32(const float *input, const float *target, size_t n, float delta,
                                 lossopt_reduction r, float *loss, float *grad)
{
    return lossopt_elementwise_loss_f32_with_table(lossopt_active_table(), LOSSOPT_LOSS_HUBER,
                                                   input, target, NULL, n, delta, r, loss, grad);
}

lossopt_status lossopt_smooth_l1_f32(const float *input, const float *target, size_t n,
                                     float beta, lossopt_reduction r, float *loss, float *grad)
{
    return lossopt_elementwise_loss_f32_with_table(lossopt_active_table(), LOSSOPT_LOSS_SMOOTH_L1,
                                                   input, target, NULL, n, beta, r, loss, grad);
}

lossopt_status lossopt_hinge_f32(const float *score, const float *label, size_t n,
                                 lossopt_reduction r, float *loss, float *grad)
{
    return lossopt_elementwise_loss_f32_with_table(lossopt_active_table(), LOSSOPT_LOSS_HINGE,
                                                   score, label, NULL, n, 0.0f, r, loss, grad);
}

lossopt_status lossopt_squared_hinge_f32(const float *score, const float *label, size_t n,
                                         lossopt_reduction r, float *loss, float *grad)
{
    return lossopt_elementwise_loss_f32_with_table(lossopt_active_table(),
                                                   LOSSOPT_LOSS_SQUARED_HINGE, score, label, NULL,
                                                   n, 0.0f, r, loss, grad);
}

lossopt_status lossopt_bce_f32(const float *prob, const float *target, size_t n,
                               const float *weight, lossopt_reduction r, float *loss, float *grad)
{
    return lossopt_elementwise_loss_f32_with_table(lossopt_active_table(), LOSSOPT_LOSS_BCE, prob,
                                                   target, weight, n, 0.0f, r, loss, grad);
}

lossopt_status lossopt_bce_logits_f32(const float *logit, const float *target, size_t n,
                                      const float *weight, float pos_weight, lossopt_reduction r,
                                      float *loss, float *grad)
{
    return lossopt_elementwise_loss_f32_with_table(lossopt_active_table(), LOSSOPT_LOSS_BCE_LOGITS,
                                                   logit, target, weight, n, pos_weight, r, loss,
                                                   grad);
}

lossopt_status lossopt_soft_margin_f32(const float *input, const float *target, size_t n,
                                       lossopt_reduction r, float *loss, float *grad)
{
    return lossopt_elementwise_loss_f32_with_table(lossopt_active_table(), LOSSOPT_LOSS_SOFT_MARGIN,
                                                   input, target, NULL, n, 0.0f, r, loss, grad);
}

lossopt_status lossopt_poisson_nll_f32(const float *input, const float *target, size_t n,
                                       bool log_input, bool full, float eps, lossopt_reduction r,
                                       float *loss, float *grad)
{
    unsigned flags = (log_input ? LOSSOPT_LOSS_LOG_INPUT : 0u) | (full ? LOSSOPT_LOSS_FULL : 0u);
    return lossopt_elementwise_loss_ex_f32_with_table(lossopt_active_table(),
                                                      LOSSOPT_LOSS_POISSON_NLL, input, target,
                                                      NULL, n, eps, flags, r, loss, grad);
}

lossopt_status lossopt_kl_div_f32(const float *input, const float *target, size_t rows,
                                  size_t cols, bool log_target, lossopt_reduction r, float *loss,
                                  float *grad)
{
    return lossopt_kl_div_f32_with_table(lossopt_active_table(), input, target, rows, cols,
                                         log_target, r, loss, grad);
}

/* ---- the io forms (include/lossopt.h, "Losses for engines") ----------------- */

#define ELEMENTWISE_IO(kind, input, target, weight, n, parameter, flags, r, io, loss, grad)  \
    lossopt_elementwise_loss_io_with_table(lossopt_active_table(), kind, input, target,      \
                                           weight, n, parameter, flags, r, io, loss, grad)

lossopt_status lossopt_mse(const void *input, const float *target, size_t n, lossopt_reduction r,
                           const lossopt_loss_io *io, float *loss, void *grad)
{
    return ELEMENTWISE_IO(LOSSOPT_LOSS_MSE, input, target, NULL, n, 0.0f, 0u, r, io, loss, grad);
}

lossopt_status lossopt_l1(const void *input, const float *target, size_t n, lossopt_reduction r,
                          const lossopt_loss_io *io, float *loss, void *grad)
{
    return ELEMENTWISE_IO(LOSSOPT_LOSS_L1, input, target, NULL, n, 0.0f, 0u, r, io, loss, grad);
}

lossopt_status lossopt_huber(const void *input, const float *target, size_t n, float delta,
                             lossopt_reduction r, const lossopt_loss_io *io, float *loss,
                             void *grad)
{
    return ELEMENTWISE_IO(LOSSOPT_LOSS_HUBER, input, target, NULL, n, delta, 0u, r, io, loss,
                          grad);
}

lossopt_status lossopt_smooth_l1(const void *input, const float *target, size_t n, float beta,
                                 lossopt_reduction r, const lossopt_loss_io *io, float *loss,
                                 void *grad)
{
    return ELEMENTWISE_IO(LOSSOPT_LOSS_SMOOTH_L1, input, target, NULL, n, beta, 0u, r, io, loss,
                          grad);
}

lossopt_status lossopt_hinge(const void *score, const float *label, size_t n, lossopt_reduction r,
                             const lossopt_loss_io *io, float *loss, void *grad)
{
    return ELEMENTWISE_IO(LOSSOPT_LOSS_HINGE, score, label, NULL, n, 0.0f, 0u, r, io, loss, grad);
}

lossopt_status lossopt_squared_hinge(const void *score, const float *label, size_t n,
                                     lossopt_reduction r, const lossopt_loss_io *io, float *loss,
                                     void *grad)
{
    return ELEMENTWISE_IO(LOSSOPT_LOSS_SQUARED_HINGE, score, label, NULL, n, 0.0f, 0u, r, io,
                          loss, grad);
}

lossopt_status lossopt_bce(const void *prob, const float *target, size_t n, const float *weight,
                           lossopt_reduction r, const lossopt_loss_io *io, float *loss, void *grad)
{
    return ELEMENTWISE_IO(LOSSOPT_LOSS_BCE, prob, target, weight, n, 0.0f, 0u, r, io, loss, grad);
}

lossopt_status lossopt_bce_logits(const void *logit, const float *target, size_t n,
                                  const float *weight, float pos_weight, lossopt_reduction r,
                                  const lossopt_loss_io *io, float *loss, void *grad)
{
    return ELEMENTWISE_IO(LOSSOPT_LOSS_BCE_LOGITS, logit, target, weight, n, pos_weight, 0u, r,
                          io, loss, grad);
}

lossopt_status lossopt_soft_margin(const void *input, const float *target, size_t n,
                                   lossopt_reduction r, const lossopt_loss_io *io, float *loss,
                                   void *grad)
{
    return ELEMENTWISE_IO(LOSSOPT_LOSS_SOFT_MARGIN, input, target, NULL, n, 0.0f, 0u, r, io,
                          loss, grad);
}

lossopt_status lossopt_poisson_nll(const void *input, const float *target, size_t n,
                                   bool log_input, bool full, float eps, lossopt_reduction r,
                                   const lossopt_loss_io *io, float *loss, void *grad)
{
    unsigned flags = (log_input ? LOSSOPT_LOSS_LOG_INPUT : 0u) | (full ? LOSSOPT_LOSS_FULL : 0u);
    return ELEMENTWISE_IO(LOSSOPT_LOSS_POISSON_NLL, input, target, NULL, n, eps, flags, r, io,
                          loss, grad);
}

lossopt_status lossopt_kl_div(const void *input, const float *target, size_t rows, size_t cols,
                              bool log_target, lossopt_reduction r, const lossopt_loss_io *io,
                              float *loss, void *grad)
{
    return lossopt_kl_div_io_with_table(lossopt_active_table(), input, target, rows, cols,
                                        log_target, r, io, loss, grad);
}

/* ---- three inputs, two gradients: margin_ranking, gaussian_nll ------------ */

/* gaussian_nll's var check on a block of widened values. */
static int nonnegative_check(void *context, size_t offset, size_t count, const float *var)
{
    (void)offset;
    const lossopt_kernel_table *table = context;
    return table->all_nonnegative(var, count);
}

/* One canonical block of a staged three-input call: inputs[0], inputs[1] are
 * the typed inputs (margin_ranking: x1, x2; gaussian_nll: input, var). */
typedef struct loss3_blocks {
    lossopt_elementwise3_fn *kernel;
    const lossopt_elementwise3_args *a;
    bool gaussian;
} loss3_blocks;

static double loss3_block(void *context, size_t offset, size_t count, const float *const *inputs,
                          float *const *grads)
{
    const loss3_blocks *blocks = context;
    lossopt_elementwise3_args b = *blocks->a;
    b.a = inputs[0];
    if (blocks->gaussian) {
        b.b = blocks->a->b + offset;
        b.c = inputs[1];
    } else {
        b.b = inputs[1];
        b.c = blocks->a->c + offset;
    }
    b.loss = blocks->a->loss ? blocks->a->loss + offset : NULL;
    b.grad_a = grads[0];
    b.grad_b = grads[1];
    b.n = count;
    return blocks->kernel(&b);
}

lossopt_status lossopt_loss3_io_with_table(const lossopt_kernel_table *table,
                                           lossopt_loss3_kind kind, const void *a, const void *b,
                                           const void *c, size_t n, float parameter, bool full,
                                           lossopt_reduction r, const lossopt_loss_io *io,
                                           float *loss, void *grad_a, void *grad_b)
{
    if (table == NULL)
        return LOSSOPT_ERR_ISA;
    if (kind != LOSSOPT_LOSS3_MARGIN_RANKING && kind != LOSSOPT_LOSS3_GAUSSIAN_NLL)
        return LOSSOPT_ERR_ARG;
    if ((n > 0 && (a == NULL || b == NULL || c == NULL)) ||
        (loss == NULL && grad_a == NULL && grad_b == NULL))
        return LOSSOPT_ERR_NULL;
    if (n > MAX_ELEMENTS)
        return LOSSOPT_ERR_SIZE;
    loss_io_plan plan;
    lossopt_status io_status = loss_io_plan_make(io, 0u, 1, n, a, grad_a, &plan);
    if (io_status != LOSSOPT_OK)
        return io_status;
    if (r != LOSSOPT_MEAN && r != LOSSOPT_SUM && r != LOSSOPT_NONE)
        return LOSSOPT_ERR_ARG;
    /* margin: any value but NaN (+-inf as PyTorch); eps: >= 0, +inf included */
    if (kind == LOSSOPT_LOSS3_MARGIN_RANKING ? isnan(parameter) : !(parameter >= 0.0f))
        return LOSSOPT_ERR_ARG;
    bool gaussian = kind == LOSSOPT_LOSS3_GAUSSIAN_NLL;
    /* PyTorch: ValueError("var has negative entry/entries"), before any write */
    if (gaussian && n > 0 &&
        !loss_io_check_blocks(table, &plan, n, c, nonnegative_check, (void *)table))
        return LOSSOPT_ERR_DOMAIN;

    bool reduce = r != LOSSOPT_NONE;
    if (n == 0) {
        if (reduce && loss)
            *loss = r == LOSSOPT_SUM ? 0.0f : NAN;
        return LOSSOPT_OK;
    }
    double scale = r == LOSSOPT_MEAN ? 1.0 / (double)n : 1.0;
    lossopt_elementwise3_args args = {
        .a = a,
        .b = b,
        .c = c,
        .loss = reduce ? NULL : loss,
        .grad_a = grad_a,
        .grad_b = grad_b,
        .n = n,
        .reduce = reduce && loss != NULL,
        .full = full,
        .grad_scale = (float)scale,
        .half_grad_scale = (float)(0.5 * scale),
        .parameter = parameter,
        .constant = (float)(0.5 * log(2.0 * 3.14159265358979323846)),
    };
    lossopt_elementwise3_fn *kernel = kind == LOSSOPT_LOSS3_MARGIN_RANKING
                                          ? table->margin_ranking_f32
                                          : table->gaussian_nll_f32;
    double total;
    if (!plan.staged) {
        total = kernel(&args);
    } else {
        loss3_blocks blocks = {kernel, &args, gaussian};
        const void *inputs[2] = {a, gaussian ? c : b};
        void *grads[2] = {grad_a, grad_b};
        total = loss_io_run_blocks(table, &plan, n, inputs, 2, grads, 2, loss3_block, &blocks);
    }
    if (args.reduce)
        *loss = r == LOSSOPT_SUM ? (float)total : (float)(total / (double)n);
    return LOSSOPT_OK;
}

lossopt_status lossopt_loss3_f32_with_table(const lossopt_kernel_table *table,
                                            lossopt_loss3_kind kind, const float *a,
                                            const float *b, const float *c, size_t n,
                                            float parameter, bool full, lossopt_reduction r,
                                            float *loss, float *grad_a, float *grad_b)
{
    return lossopt_loss3_io_with_table(table, kind, a, b, c, n, parameter, full, r, NULL, loss,
                                       grad_a, grad_b);
}

lossopt_status lossopt_margin_ranking_f32(const float *x1, const float *x2, const float *y,
                                          size_t n, float margin, lossopt_reduction r,
                                          float *loss, float *grad_x1, float *grad_x2)
{
    return lossopt_loss3_f32_with_table(lossopt_active_table(), LOSSOPT_LOSS3_MARGIN_RANKING, x1,
                                        x2, y, n, margin, false, r, loss, grad_x1, grad_x2);
}

lossopt_status lossopt_gaussian_nll_f32(const float *input, const float *target,
                                        const float *var, size_t n, bool full, float eps,
                                        lossopt_reduction r, float *loss, float *grad_input,
                                        float *grad_var)
{
    return lossopt_loss3_f32_with_table(lossopt_active_table(), LOSSOPT_LOSS3_GAUSSIAN_NLL, input,
                                        target, var, n, eps, full, r, loss, grad_input, grad_var);
}

lossopt_status lossopt_margin_ranking(const void *x1, const void *x2, const float *y, size_t n,
                                      float margin, lossopt_reduction r, const lossopt_loss_io *io,
                                      float *loss, void *grad_x1, void *grad_x2)
{
    return lossopt_loss3_io_with_table(lossopt_active_table(), LOSSOPT_LOSS3_MARGIN_RANKING, x1,
                                       x2, y, n, margin, false, r, io, loss, grad_x1, grad_x2);
}

lossopt_status lossopt_gaussian_nll(const void *input, const float *target, const void *var,
                                    size_t n, bool full, float eps, lossopt_reduction r,
                                    const lossopt_loss_io *io, float *loss, void *grad_input,
                                    void *grad_var)
{
    return lossopt_loss3_io_with_table(lossopt_active_table(), LOSSOPT_LOSS3_GAUSSIAN_NLL, input,
                                       target, var, n, eps, full, r, io, loss, grad_input,
                                       grad_var);
}
