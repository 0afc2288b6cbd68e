/* dispatch/cpu_arm.c - AArch64 feature detection. Advanced SIMD (NEON) with
 * fused multiply-add, IEEE division and square root is mandatory in AArch64,
 * so every AArch64 CPU runs the NEON variant; HWCAP is still read so that a
 * kernel that hid ASIMD (which Linux never does) would fall back to scalar. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#if defined(__aarch64__)

#include <stdio.h>

#include "cpu_features.h"
#include "lossopt.h"

#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
static int has_asimd(void) { return (getauxval(AT_HWCAP) & HWCAP_ASIMD) != 0; }
#else
static int has_asimd(void) { return 1; }
#endif

unsigned lossopt_cpu_runnable_isas(void)
{
    unsigned isas = 1u << LOSSOPT_ISA_SCALAR;
    if (has_asimd())
        isas |= 1u << LOSSOPT_ISA_NEON;
    return isas;
}

bool lossopt_cpu_full_rate_512bit_divide(void) { return false; } /* no AVX-512 here */

void lossopt_cpu_describe(char *buffer, unsigned long size)
{
    snprintf(buffer, size, "aarch64: asimd=%d", has_asimd());
}

#else
typedef int lossopt_cpu_arm_unused; /* ISO C forbids an empty translation unit */
#endif
