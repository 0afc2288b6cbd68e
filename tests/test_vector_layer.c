/* tests/test_vector_layer.c - runs tests/vector_layer_checks.c, compiled once per
 * vector ISA, for every ISA this CPU runs: the vector layer's ops against
 * their documented semantics (kernels/vec/vec.h). Compiled with baseline
 * flags: the CPU is asked before any vector code runs, and an ISA it lacks is
 * skipped with the reason printed. The SIMDe-emulated AVX-512 layer runs on
 * any x86 CPU with AVX2. */
#include <stdio.h>

#include "lossopt_internal.h"
#include "test_support.h"

void vector_layer_checks_avx2(void);
void vector_layer_checks_avx512(void);
void vector_layer_checks_avx512emu(void);
void vector_layer_checks_neon(void);

static int ran;

static void run(const char *name, lossopt_isa needs, void (*checks)(void))
{
    if (!(lossopt_supported_isas() & (1u << needs))) {
        char cpu[256];
        lossopt_describe_cpu(cpu, sizeof cpu);
        printf("test_vector_layer: SKIPPED %s: this CPU cannot run %s (%s)\n", name,
               lossopt_isa_name(needs), cpu);
        return;
    }
    printf("test_vector_layer: checking %s\n", name);
    checks();
    ran++;
}

int main(void)
{
    test_init("test_vector_layer");
#ifdef LOSSOPT_TEST_HAVE_AVX2
    run("avx2", LOSSOPT_ISA_AVX2, vector_layer_checks_avx2);
#endif
#ifdef LOSSOPT_TEST_HAVE_AVX512
    run("avx512", LOSSOPT_ISA_AVX512, vector_layer_checks_avx512);
#endif
#ifdef LOSSOPT_TEST_HAVE_AVX512EMU
    run("avx512 (SIMDe-emulated)", LOSSOPT_ISA_AVX2, vector_layer_checks_avx512emu);
#endif
#ifdef LOSSOPT_TEST_HAVE_NEON
    run("neon", LOSSOPT_ISA_NEON, vector_layer_checks_neon);
#endif
    if (ran == 0) {
        printf("test_vector_layer: SKIPPED: no vector ISA built and runnable here\n");
        return TEST_SKIP_EXIT;
    }
    return test_finish();
}
