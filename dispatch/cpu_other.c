/* dispatch/cpu_other.c - any other architecture: only the scalar variant. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#if !defined(__x86_64__) && !defined(__i386__) && !defined(__aarch64__)

#include <stdio.h>

#include "cpu_features.h"
#include "lossopt.h"

unsigned lossopt_cpu_runnable_isas(void) { return 1u << LOSSOPT_ISA_SCALAR; }

bool lossopt_cpu_full_rate_512bit_divide(void) { return false; }

void lossopt_cpu_describe(char *buffer, unsigned long size)
{
    snprintf(buffer, size, "no vector ISA detection on this architecture");
}

#else
typedef int lossopt_cpu_other_unused; /* ISO C forbids an empty translation unit */
#endif
