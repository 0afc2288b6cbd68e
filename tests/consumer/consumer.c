/* tests/consumer/consumer.c - a C program outside the lossopt tree, built against the installed library: one Adam step. */
#include <lossopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N 5

int main(void)
{
    float param[N] = {1.0f, -2.0f, 0.5f, 3.0f, -0.25f};
    const float grad[N] = {0.1f, -0.3f, 0.0f, 2.0f, -0.05f};
    float exp_avg[N] = {0}, exp_avg_sq[N] = {0};
    float before[N];
    memcpy(before, param, sizeof param);

    printf("library %s\n", lossopt_version_string());
    printf("header %d.%d.%d\n", LOSSOPT_VERSION_MAJOR, LOSSOPT_VERSION_MINOR,
           LOSSOPT_VERSION_PATCH);

    lossopt_adam_config cfg = lossopt_adam_defaults();
    lossopt_status st = lossopt_adam_step_f32(param, grad, exp_avg, exp_avg_sq, NULL, N, &cfg, 1);
    printf("adam status %s\n", lossopt_status_string(st));
    if (st != LOSSOPT_OK)
        return 1;

    /* The bits, so the script can demand the same result from every build. */
    printf("adam bits");
    for (int i = 0; i < N; i++) {
        uint32_t bits;
        memcpy(&bits, &param[i], sizeof bits);
        printf(" %08x", (unsigned)bits);
    }
    printf("\n");

    /* Adam's first step moves each parameter by lr * sign(grad) (0 for a zero
     * gradient), up to eps and a few roundings: a sanity check of the value. */
    int ok = 1;
    for (int i = 0; i < N; i++) {
        float sign = grad[i] > 0 ? 1.0f : grad[i] < 0 ? -1.0f : 0.0f;
        float expected = before[i] - cfg.lr * sign;
        float error = param[i] - expected;
        if (error < 0)
            error = -error;
        if (error > 1e-5f) {
            printf("adam check FAILED at %d: %.9g, expected about %.9g\n", i, param[i], expected);
            ok = 0;
        }
    }
    if (ok)
        printf("adam check ok\n");
    return ok ? 0 : 1;
}
