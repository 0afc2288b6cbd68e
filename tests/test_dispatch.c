#define _POSIX_C_SOURCE 200809L /* pthread barriers under -std=c11 */
/* tests/test_dispatch.c - the dispatcher: first use racing from 8 threads, the
 * priority order, LOSSOPT_ISA forcing (valid, unknown and unsupported names),
 * lossopt_set_isa, the name/status helpers, and which build of each kernel
 * the dispatcher's avx512 table holds.
 *
 * Environment read by this test (set by CTest):
 *   LOSSOPT_ISA                 forced ISA (the library reads it too)
 *   LOSSOPT_TEST_EXPECT_INVALID LOSSOPT_ISA is a bad name: expect LOSSOPT_ERR_ISA
 *   LOSSOPT_TEST_EXPECT_ISA     the ISA the dispatcher must pick (emulated CPUs) */
#include <pthread.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lossopt_internal.h"
#include "test_support.h"

#define THREADS 8
#define N 50

static pthread_barrier_t start_line;

typedef struct thread_result {
    lossopt_status status;
    lossopt_isa active;
    float param[N];
} thread_result;

static void fill(float *param, float *grad)
{
    for (int i = 0; i < N; i++) {
        param[i] = (float)i * 0.25f - 3.0f;
        grad[i] = (float)(i % 7) * 0.5f - 1.0f;
    }
}


static thread_result results[THREADS];

static void *racing_call(void *arg)
{
    int index = (int)(size_t)arg;
    thread_result *r = &results[index];
    float grad[N], s0[N] = {0}, s1[N] = {0}, s2[N] = {0};
    fill(r->param, grad);
    pthread_barrier_wait(&start_line);
    switch (index % 4) {
    case 0: {
        lossopt_adam_config c = lossopt_adam_defaults();
        r->status = lossopt_adam_step_f32(r->param, grad, s0, s1, s2, N, &c, 1);
        break;
    }
    case 1: {
        lossopt_sgd_config c = lossopt_sgd_defaults();
        c.momentum = 0.9f;
        r->status = lossopt_sgd_step_f32(r->param, grad, s0, N, &c, 1);
        break;
    }
    case 2: {
        lossopt_rmsprop_config c = lossopt_rmsprop_defaults();
        r->status = lossopt_rmsprop_step_f32(r->param, grad, s0, s1, s2, N, &c);
        break;
    }
    default:
        r->active = lossopt_active_isa();
        r->status = LOSSOPT_OK;
        return NULL;
    }
    r->active = lossopt_active_isa();
    return NULL;
}

/* The oracle's answer for thread `index`'s call. */
/* The mixed avx512 table holds each kernel's 512-bit build, or its AVX2
 * build where kernels/kernel_table.h says YMM (divide/sqrt-bound);
 * lossopt_kernels_avx512_zmm holds every 512-bit build. Pointers only: this
 * runs on any x86 CPU, AVX-512 or not. */
static void check_avx512_widths(void)
{
#if defined(LOSSOPT_HAVE_AVX512) && defined(LOSSOPT_HAVE_AVX2)
    typedef void (*any_fn)(void);
    int narrow = 0;
#define CHECK_AVX512_WIDTH(name, type, avx512_width)                                         \
    {                                                                                       \
        bool ymm = strcmp(#avx512_width, "YMM") == 0;                                       \
        any_fn picked = (any_fn)lossopt_kernels_avx512.name;                                \
        any_fn wide = (any_fn)lossopt_kernels_avx512_zmm.name;                              \
        any_fn avx2 = (any_fn)lossopt_kernels_avx2.name;                                    \
        test_check(wide != avx2, "avx512_zmm." #name " is not a 512-bit build");            \
        test_check(picked == (ymm ? avx2 : wide), "avx512." #name ": not the %s build",     \
                   ymm ? "256-bit (AVX2)" : "512-bit");                                     \
        narrow += ymm;                                                                      \
    }
    LOSSOPT_KERNEL_LIST(CHECK_AVX512_WIDTH)
#undef CHECK_AVX512_WIDTH
    printf("test_dispatch: the mixed avx512 table runs %d kernels at 256 bits\n", narrow);
    test_check(narrow > 0, "no kernel runs at 256 bits in the mixed avx512 table");
#else
    printf("test_dispatch: SKIPPED the avx512 table's widths: AVX-512 or AVX2 not built\n");
#endif
}

/* Which avx512 table the dispatcher runs: every kernel's 512-bit build on AMD
 * (a 512-bit divide costs no more per element there), the mixed table
 * elsewhere. The vendor is read here from CPUID leaf 0 on its own; the
 * pointers must agree with the name lossopt-info prints. */
static void check_avx512_pick(void)
{
    const lossopt_kernel_table *picked = lossopt_kernel_table_for(LOSSOPT_ISA_AVX512);
    const char *name = lossopt_avx512_table_name();
    if (picked == NULL) {
        test_check(name == NULL, "no avx512 table, yet its name is %s", name ? name : "");
        printf("test_dispatch: SKIPPED the avx512 table pick: AVX-512 not built or not run "
               "by this CPU\n");
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    unsigned eax, ebx, ecx, edx;
    char vendor[13] = {0};
    if (__get_cpuid(0, &eax, &ebx, &ecx, &edx)) {
        memcpy(vendor, &ebx, 4);
        memcpy(vendor + 4, &edx, 4);
        memcpy(vendor + 8, &ecx, 4);
    }
    bool amd = strcmp(vendor, "AuthenticAMD") == 0;
    const lossopt_kernel_table *want =
        amd ? lossopt_kernel_table_avx512_zmm() : lossopt_kernel_table_avx512_mixed();
    test_check(want != NULL && picked == want, "vendor %s: the avx512 table is not the %s one",
               vendor, amd ? "zmm" : "mixed");
    test_check(name != NULL && strcmp(name, amd ? "zmm" : "mixed") == 0,
               "vendor %s: lossopt_avx512_table_name() says %s", vendor, name ? name : "NULL");
    printf("test_dispatch: vendor %s -> the avx512 table is \"%s\"\n", vendor,
           name ? name : "NULL");
#endif
}

static void oracle_result(int index, float *param)
{
    float grad[N], s0[N] = {0}, s1[N] = {0}, s2[N] = {0};
    fill(param, grad);
    switch (index % 4) {
    case 0: {
        lossopt_adam_config c = lossopt_adam_defaults();
        lossopt_adam_step_f32_isa(LOSSOPT_ISA_SCALAR, param, grad, s0, s1, s2, N, &c, 1);
        break;
    }
    case 1: {
        lossopt_sgd_config c = lossopt_sgd_defaults();
        c.momentum = 0.9f;
        lossopt_sgd_step_f32_isa(LOSSOPT_ISA_SCALAR, param, grad, s0, N, &c, 1);
        break;
    }
    case 2: {
        lossopt_rmsprop_config c = lossopt_rmsprop_defaults();
        lossopt_rmsprop_step_f32_isa(LOSSOPT_ISA_SCALAR, param, grad, s0, s1, s2, N, &c);
        break;
    }
    }
}

static lossopt_isa expected_initial_isa(bool expect_invalid)
{
    if (expect_invalid)
        return LOSSOPT_ISA_INVALID;
    const char *forced = getenv("LOSSOPT_ISA");
    if (forced) {
        for (int isa = 0; isa <= LOSSOPT_ISA_NEON; isa++)
            if (strcmp(forced, lossopt_isa_name((lossopt_isa)isa)) == 0)
                return (lossopt_isa)isa;
        return LOSSOPT_ISA_INVALID;
    }
    unsigned s = lossopt_supported_isas();
    if (s & (1u << LOSSOPT_ISA_AVX512)) return LOSSOPT_ISA_AVX512;
    if (s & (1u << LOSSOPT_ISA_AVX2)) return LOSSOPT_ISA_AVX2;
    if (s & (1u << LOSSOPT_ISA_NEON)) return LOSSOPT_ISA_NEON;
    return LOSSOPT_ISA_SCALAR;
}

int main(void)
{
    test_init("test_dispatch");
    bool expect_invalid = getenv("LOSSOPT_TEST_EXPECT_INVALID") != NULL;
    if (!expect_invalid)
        test_skip_unless_forced_isa_supported();

    /* 1. First use: 8 threads at once, before anything else touched the
     *    dispatcher (test_skip_unless_forced_isa_supported only queries the
     *    supported set, not the choice). */
    pthread_barrier_init(&start_line, NULL, THREADS);
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++)
        pthread_create(&threads[t], NULL, racing_call, (void *)(size_t)t);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    pthread_barrier_destroy(&start_line);

    lossopt_isa want = expected_initial_isa(expect_invalid);
    for (int t = 0; t < THREADS; t++) {
        test_check(results[t].active == want, "thread %d saw active ISA %s, want %s", t,
                   lossopt_isa_name(results[t].active), lossopt_isa_name(want));
        if (t % 4 == 3)
            continue;
        if (expect_invalid) {
            test_check(results[t].status == LOSSOPT_ERR_ISA, "thread %d: status %d, want ERR_ISA",
                       t, results[t].status);
            float untouched[N], grad[N];
            fill(untouched, grad);
            test_check(memcmp(untouched, results[t].param, sizeof untouched) == 0,
                       "thread %d: a refused call wrote its parameters", t);
        } else {
            test_check(results[t].status == LOSSOPT_OK, "thread %d: status %d", t, results[t].status);
            float oracle[N];
            oracle_result(t, oracle);
            size_t d = test_first_difference(oracle, results[t].param, N);
            test_check(d == N, "thread %d: param[%zu] differs from the oracle", t, d);
        }
    }

    /* 2. The choice is what the environment or the CPU says. */
    test_check(lossopt_active_isa() == want, "active ISA %s, want %s",
               lossopt_isa_name(lossopt_active_isa()), lossopt_isa_name(want));
    const char *expected_name = getenv("LOSSOPT_TEST_EXPECT_ISA");
    if (expected_name)
        test_check(strcmp(lossopt_isa_name(lossopt_active_isa()), expected_name) == 0,
                   "on this (emulated) CPU the dispatcher chose %s, expected %s",
                   lossopt_isa_name(lossopt_active_isa()), expected_name);

    /* 3. Supported ISAs: scalar always, and only ISAs that were built. */
    unsigned supported = lossopt_supported_isas();
    test_check(supported & (1u << LOSSOPT_ISA_SCALAR), "scalar not supported");
    test_check((supported & ~lossopt_built_isas()) == 0, "an ISA that was not built is supported");
    char cpu[256];
    lossopt_describe_cpu(cpu, sizeof cpu);
    printf("cpu: %s; supported:", cpu);
    for (int isa = 0; isa <= LOSSOPT_ISA_NEON; isa++)
        if (supported & (1u << isa))
            printf(" %s", lossopt_isa_name((lossopt_isa)isa));
    printf("\n");

    /* 4. lossopt_set_isa: each supported ISA can be forced; others are refused
     *    and change nothing. A bad LOSSOPT_ISA is cleared by a good set_isa. */
    for (int isa = -1; isa <= LOSSOPT_ISA_NEON + 1; isa++) {
        lossopt_isa before = lossopt_active_isa();
        lossopt_status st = lossopt_set_isa((lossopt_isa)isa);
        bool ok = isa >= 0 && isa <= LOSSOPT_ISA_NEON && (supported & (1u << isa));
        test_check(st == (ok ? LOSSOPT_OK : LOSSOPT_ERR_ISA), "set_isa(%d) returned %d", isa, st);
        test_check(lossopt_active_isa() == (ok ? (lossopt_isa)isa : before),
                   "after set_isa(%d) active is %s", isa, lossopt_isa_name(lossopt_active_isa()));
        if (ok) {
            float param[N], grad[N], oracle[N], s0[N] = {0};
            fill(param, grad);
            lossopt_sgd_config c = lossopt_sgd_defaults();
            c.momentum = 0.9f;
            test_check(lossopt_sgd_step_f32(param, grad, s0, N, &c, 1) == LOSSOPT_OK,
                       "call after set_isa(%s) failed", lossopt_isa_name((lossopt_isa)isa));
            oracle_result(1, oracle);
            test_check(test_first_difference(param, oracle, N) == N,
                       "set_isa(%s): result differs from the oracle",
                       lossopt_isa_name((lossopt_isa)isa));
            test_check(lossopt_active_table() == lossopt_kernel_table_for((lossopt_isa)isa) &&
                           lossopt_active_table()->isa == (lossopt_isa)isa,
                       "set_isa(%s): wrong table", lossopt_isa_name((lossopt_isa)isa));
        }
    }

    /* 5. Names. */
    test_check(strcmp(lossopt_isa_name(LOSSOPT_ISA_SCALAR), "scalar") == 0, "scalar name");
    test_check(strcmp(lossopt_isa_name(LOSSOPT_ISA_AVX2), "avx2") == 0, "avx2 name");
    test_check(strcmp(lossopt_isa_name(LOSSOPT_ISA_AVX512), "avx512") == 0, "avx512 name");
    test_check(strcmp(lossopt_isa_name(LOSSOPT_ISA_NEON), "neon") == 0, "neon name");
    test_check(strcmp(lossopt_isa_name((lossopt_isa)42), "invalid") == 0, "name of 42");
    test_check(strcmp(lossopt_isa_name(LOSSOPT_ISA_INVALID), "invalid") == 0, "name of INVALID");
    for (int s = LOSSOPT_OK; s <= LOSSOPT_ERR_RESOURCE; s++)
        test_check(strcmp(lossopt_status_string((lossopt_status)s), "unknown status") != 0,
                   "status %d has no name", s);
    test_check(strcmp(lossopt_status_string((lossopt_status)7), "unknown status") == 0,
               "status 7 has a name");
    test_check(strcmp(lossopt_status_string(LOSSOPT_OK), "ok") == 0, "ok name");
    /* 6. The avx512 table's 256-bit kernels. */
    check_avx512_widths();
    check_avx512_pick();
    return test_finish();
}
