/* examples/quickstart.c - the README's end-to-end example: logistic regression
 * trained with lossopt's loss and optimizer, the model's forward and backward
 * pass written by the caller. Only the public header is used. The test suite
 * runs it (tests/CMakeLists.txt) and checks that the loss falls. */
#include <stdio.h>
#include <stdlib.h>

#include <lossopt.h>

enum { SAMPLES = 256, FEATURES = 8, STEPS = 200 };

int main(void)
{
    /* data: y = 1 when a fixed linear score of x is positive */
    static float x[SAMPLES][FEATURES], y[SAMPLES];
    unsigned seed = 1;
    for (int i = 0; i < SAMPLES; i++) {
        float score = 0.0f;
        for (int j = 0; j < FEATURES; j++) {
            seed = seed * 1664525u + 1013904223u;
            x[i][j] = (float)(seed >> 8) / 16777216.0f * 2.0f - 1.0f;
            score += (float)(j % 3 - 1) * x[i][j];
        }
        y[i] = score > 0.0f ? 1.0f : 0.0f;
    }

    /* parameters and optimizer state: the state starts zeroed, as in PyTorch */
    float w[FEATURES] = {0}, grad_w[FEATURES];
    float exp_avg[FEATURES] = {0}, exp_avg_sq[FEATURES] = {0};
    lossopt_adam_config adam = lossopt_adam_defaults(); /* lr 1e-3, betas (0.9, 0.999) */
    adam.lr = 0.05;

    static float logits[SAMPLES], dlogits[SAMPLES];
    float first = 0.0f, loss = 0.0f;
    for (int64_t step = 1; step <= STEPS; step++) {
        for (int i = 0; i < SAMPLES; i++) { /* forward: your model */
            logits[i] = 0.0f;
            for (int j = 0; j < FEATURES; j++)
                logits[i] += w[j] * x[i][j];
        }
        /* the loss and d(loss)/d(logits) in one pass */
        lossopt_status st = lossopt_bce_logits_f32(logits, y, SAMPLES, NULL, 1.0f, LOSSOPT_MEAN,
                                                   &loss, dlogits);
        if (st != LOSSOPT_OK) {
            fprintf(stderr, "bce_logits: %s\n", lossopt_status_string(st));
            return 1;
        }
        for (int j = 0; j < FEATURES; j++) { /* backward: your model */
            grad_w[j] = 0.0f;
            for (int i = 0; i < SAMPLES; i++)
                grad_w[j] += dlogits[i] * x[i][j];
        }
        /* one Adam step on the parameters (nothing is written on an error) */
        st = lossopt_adam_step_f32(w, grad_w, exp_avg, exp_avg_sq, NULL, FEATURES, &adam, step);
        if (st != LOSSOPT_OK) {
            fprintf(stderr, "adam: %s\n", lossopt_status_string(st));
            return 1;
        }
        if (step == 1)
            first = loss;
        if (step == 1 || step % 50 == 0)
            printf("step %3d  loss %.6f\n", (int)step, loss);
    }
    printf("isa %s: loss %.6f -> %.6f\n", lossopt_isa_name(lossopt_active_isa()), first, loss);
    return loss < 0.5f * first ? 0 : 2; /* exit 2: it did not learn */
}
