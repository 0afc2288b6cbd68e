/* examples/lossopt_demo.c - a 5-second smoke demo (scripts/demo.sh):
 * prints what the dispatcher sees and chooses, then runs each optimizer once
 * on every supported ISA and shows that all give the same bits. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lossopt.h"
#include "lossopt_internal.h"

#define N 1000

/* A checksum of the bits, so equal results print equal numbers. */
static uint32_t fingerprint(const float *x, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        h = (h ^ bits) * 16777619u;
    }
    return h;
}

static void fill(float *x, size_t n, float scale, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        x[i] = scale * sinf((float)(i * 7 + seed) * 0.37f);
}

int main(void)
{
    char cpu[512];
    lossopt_describe_cpu(cpu, sizeof cpu);
    unsigned supported = lossopt_supported_isas(), built = lossopt_built_isas();
    printf("CPU features: %s\n", cpu);
    printf("ISAs built:     ");
    for (int isa = 0; isa <= LOSSOPT_ISA_NEON; isa++)
        if (built & (1u << isa)) printf(" %s", lossopt_isa_name((lossopt_isa)isa));
    printf("\nISAs supported: ");
    for (int isa = 0; isa <= LOSSOPT_ISA_NEON; isa++)
        if (supported & (1u << isa)) printf(" %s", lossopt_isa_name((lossopt_isa)isa));
    const char *forced = getenv("LOSSOPT_ISA");
    printf("\nActive ISA:      %s", lossopt_isa_name(lossopt_active_isa()));
    if (forced)
        printf(" (LOSSOPT_ISA=%s)", forced);
    printf("\n\nOne step of each optimizer on every supported ISA (fingerprint of the bits):\n");

    static float param[N], grad[N], s1[N], s2[N], s3[N];
    int failures = 0;
    const char *names[] = {"sgd+nesterov", "rmsprop centered+momentum", "adamw amsgrad"};
    for (int which = 0; which < 3; which++) {
        printf("%-26s", names[which]);
        uint32_t first = 0;
        for (int isa = 0; isa <= LOSSOPT_ISA_NEON; isa++) {
            if (!(supported & (1u << isa)))
                continue;
            fill(param, N, 1.0f, 1); fill(grad, N, 0.1f, 2);
            memset(s1, 0, sizeof s1); memset(s2, 0, sizeof s2); memset(s3, 0, sizeof s3);
            lossopt_status st;
            if (which == 0) {
                lossopt_sgd_config c = lossopt_sgd_defaults();
                c.lr = 0.1f; c.momentum = 0.9f; c.nesterov = true; c.weight_decay = 1e-4f;
                st = lossopt_sgd_step_f32_isa((lossopt_isa)isa, param, grad, s1, N, &c, 1);
                if (!st) st = lossopt_sgd_step_f32_isa((lossopt_isa)isa, param, grad, s1, N, &c, 2);
            } else if (which == 1) {
                lossopt_rmsprop_config c = lossopt_rmsprop_defaults();
                c.centered = true; c.momentum = 0.9f;
                st = lossopt_rmsprop_step_f32_isa((lossopt_isa)isa, param, grad, s1, s2, s3, N, &c);
            } else {
                lossopt_adam_config c = lossopt_adam_defaults();
                c.decoupled_weight_decay = true; c.weight_decay = 1e-2f; c.amsgrad = true;
                st = lossopt_adam_step_f32_isa((lossopt_isa)isa, param, grad, s1, s2, s3, N, &c, 1);
                if (!st) st = lossopt_adam_step_f32_isa((lossopt_isa)isa, param, grad, s1, s2, s3, N, &c, 2);
            }
            if (st != LOSSOPT_OK) {
                printf(" %s: error %s", lossopt_isa_name((lossopt_isa)isa), lossopt_status_string(st));
                failures++;
                continue;
            }
            uint32_t h = fingerprint(param, N);
            if (isa == 0) first = h;
            printf(" %s:%08" PRIx32 "%s", lossopt_isa_name((lossopt_isa)isa), h, h == first ? "" : "(DIFFERS)");
            failures += h != first;
        }
        printf("\n");
    }
    printf("\nparam[0..3] after the adamw step: %.9g %.9g %.9g %.9g\n", param[0], param[1],
           param[2], param[3]);
    printf("%s\n", failures ? "MISMATCH between ISAs" : "every ISA gave the same bits");
    return failures != 0;
}
