/* examples/engine_step.c - how a training engine calls lossopt's step (the
 * README's "The engine step" section shows this file): two parameter groups
 * (weights with AdamW's decay, biases without), f32 master weights and
 * states, bf16 model weights and bf16 gradients, dynamic loss scaling, global
 * gradient-norm clipping across both groups, skipping overflowed steps, and a
 * thread pool. The "model" is a least-squares fit, so the example can check
 * that it trains: it exits 2 unless the loss falls by 10x.
 *
 * Build: cc engine_step.c $(pkg-config --cflags --libs lossopt) */
#include <lossopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROWS = 512, IN = 64, OUT = 16 };

typedef struct parameter {   /* what an engine keeps per parameter tensor */
    size_t n;
    float *master;           /* f32 master weights (the optimizer's param)  */
    uint16_t *model;         /* bf16 weights the forward pass reads         */
    uint16_t *grad;          /* bf16 gradients the backward pass writes     */
    float *exp_avg, *exp_avg_sq;
} parameter;

static uint16_t to_bf16(float x) /* round to nearest even (finite x) */
{
    uint32_t b;
    memcpy(&b, &x, 4);
    return (uint16_t)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

static float from_bf16(uint16_t h)
{
    uint32_t b = (uint32_t)h << 16;
    float x;
    memcpy(&x, &b, 4);
    return x;
}

static parameter make_parameter(size_t n, float scale)
{
    parameter p = {n, calloc(n, 4), calloc(n, 2), calloc(n, 2), calloc(n, 4), calloc(n, 4)};
    for (size_t i = 0; i < n; i++) {
        p.master[i] = scale * (float)((int)(i * 2654435761u % 1000) - 500) / 500.0f;
        p.model[i] = to_bf16(p.master[i]);
    }
    return p;
}

/* Forward + backward of mean((x W + b - y)^2) on the bf16 weights; the
 * gradients are multiplied by the loss scale and stored as bf16, as a
 * mixed-precision backward pass leaves them. Returns the loss. */
static double forward_backward(const float *x, const float *y, parameter *w, parameter *b,
                               double loss_scale)
{
    static float gw[IN * OUT], gb[OUT];
    memset(gw, 0, sizeof gw);
    memset(gb, 0, sizeof gb);
    double loss = 0;
    for (int r = 0; r < ROWS; r++)
        for (int o = 0; o < OUT; o++) {
            float z = from_bf16(b->model[o]);
            for (int i = 0; i < IN; i++)
                z += x[r * IN + i] * from_bf16(w->model[i * OUT + o]);
            float d = z - y[r * OUT + o];
            loss += (double)d * d;
            float g = 2.0f * d / (ROWS * OUT);
            gb[o] += g;
            for (int i = 0; i < IN; i++)
                gw[i * OUT + o] += g * x[r * IN + i];
        }
    for (size_t i = 0; i < w->n; i++)
        w->grad[i] = to_bf16(gw[i] * (float)loss_scale);
    for (size_t i = 0; i < b->n; i++)
        b->grad[i] = to_bf16(gb[i] * (float)loss_scale);
    return loss / (ROWS * OUT);
}

static void free_parameter(parameter *p)
{
    free(p->master);
    free(p->model);
    free(p->grad);
    free(p->exp_avg);
    free(p->exp_avg_sq);
}

static lossopt_tensor tensor_of(parameter *p)
{
    lossopt_tensor t = {.param = p->master, .grad = p->grad,
                        .state = {p->exp_avg, p->exp_avg_sq, NULL},
                        .param_copy = p->model, .n = p->n};
    return t;
}

int main(void)
{
    float *x = malloc(sizeof(float) * ROWS * IN), *y = malloc(sizeof(float) * ROWS * OUT);
    for (int i = 0; i < ROWS * IN; i++)
        x[i] = (float)((i * 7919) % 201 - 100) / 100.0f;
    for (int r = 0; r < ROWS; r++)
        for (int o = 0; o < OUT; o++) {
            float target = 0.1f * (float)o;
            for (int i = 0; i < IN; i++)
                target += x[r * IN + i] * (float)(((i + 3 * o) % 7) - 3) / 10.0f;
            y[r * OUT + o] = target;
        }
    parameter w = make_parameter(IN * OUT, 0.05f), b = make_parameter(OUT, 0.0f);

    /* Two parameter groups: one config each. */
    lossopt_adam_config weights = lossopt_adam_defaults();
    weights.lr = 1e-2;
    weights.decoupled_weight_decay = true; /* AdamW */
    weights.weight_decay = 1e-4;
    lossopt_adam_config biases = weights;
    biases.weight_decay = 0.0;
    lossopt_tensor group_w[1] = {tensor_of(&w)}, group_b[1] = {tensor_of(&b)};

    /* f32 master weights and states, bf16 grads, bf16 model copy. */
    lossopt_precision precision = {.param = LOSSOPT_F32, .grad = LOSSOPT_BF16,
                                   .state = LOSSOPT_F32, .param_copy = LOSSOPT_BF16};
    lossopt_parallel pool;
    if (lossopt_threads_create(2, &pool) != LOSSOPT_OK)
        return 1;

    double loss_scale = 65536.0, max_norm = 1.0, first = 0, last = 0;
    int64_t step = 0;
    for (int iteration = 0; iteration < 300; iteration++) {
        last = forward_backward(x, y, &w, &b, loss_scale);
        if (iteration == 0)
            first = last;

        /* Global clipping across both groups: the statistics pass per group
         * (raw, scaled grads), one coefficient, one skip decision. */
        double sum_w, sum_b;
        bool bad_w, bad_b;
        lossopt_grad_stats(group_w, 1, LOSSOPT_BF16, &pool, &sum_w, &bad_w);
        lossopt_grad_stats(group_b, 1, LOSSOPT_BF16, &pool, &sum_b, &bad_b);
        if (bad_w || bad_b) { /* overflow: skip the step, lower the scale */
            loss_scale /= 2;
            continue;
        }
        double norm = sqrt(sum_w + sum_b) / loss_scale;
        double coef = max_norm / (norm + 1e-6);
        if (coef > 1.0)
            coef = 1.0;

        lossopt_step_options options = {.precision = &precision, .loss_scale = loss_scale,
                                        .grad_multiplier = coef, .parallel = &pool};
        step++;
        if (lossopt_adam_step(&weights, group_w, 1, step, &options, NULL) != LOSSOPT_OK ||
            lossopt_adam_step(&biases, group_b, 1, step, &options, NULL) != LOSSOPT_OK) {
            fprintf(stderr, "lossopt_adam_step failed\n");
            return 1;
        }
        if (iteration % 50 == 0)
            printf("step %3lld  loss %.6f  grad norm %.4f  loss scale %.0f\n", (long long)step,
                   last, norm, loss_scale);
    }
    printf("loss %.6f -> %.6f after %lld steps\n", first, last, (long long)step);
    lossopt_threads_destroy(&pool);
    free_parameter(&w);
    free_parameter(&b);
    free(x);
    free(y);
    return last < first / 10 ? 0 : 2;
}
