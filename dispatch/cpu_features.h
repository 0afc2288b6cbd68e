/* dispatch/cpu_features.h - what this CPU and OS can run (capability only; the
 * choice among those ISAs is dispatch.c's policy). */
#ifndef LOSSOPT_CPU_FEATURES_H
#define LOSSOPT_CPU_FEATURES_H

#include <stdbool.h>

/* Bit (1u << lossopt_isa) for each ISA whose instructions this CPU executes
 * and whose registers this OS saves, whether or not the library built it. */
unsigned lossopt_cpu_runnable_isas(void);

/* Whether this CPU's 512-bit divide and square root cost no more per element
 * than its 256-bit ones, so the all-512-bit AVX-512 table is the faster one
 * (dispatch.c). True on AMD: every AMD CPU with AVX-512 is Zen 4 or later
 * (Zen 4 splits a 512-bit divide into two 256-bit halves at the same cost per
 * element; Zen 5 divides 512 bits at full rate: 2x the 256-bit table on
 * Adam, bench/RESULTS-zen5-quick.md). False on Intel, where a 512-bit divide
 * costs twice a 256-bit one per element (issue 14), and off x86. */
bool lossopt_cpu_full_rate_512bit_divide(void);

/* A one-line human description of the feature bits it looked at, written
 * into buffer (for the demo and diagnostics). */
void lossopt_cpu_describe(char *buffer, unsigned long size);

#endif /* LOSSOPT_CPU_FEATURES_H */
