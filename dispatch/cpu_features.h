/* dispatch/cpu_features.h - what this CPU and OS can run (capability only; the
 * choice among those ISAs is dispatch.c's policy). */
#ifndef LOSSOPT_CPU_FEATURES_H
#define LOSSOPT_CPU_FEATURES_H

/* Bit (1u << lossopt_isa) for each ISA whose instructions this CPU executes
 * and whose registers this OS saves, whether or not the library built it. */
unsigned lossopt_cpu_runnable_isas(void);

/* A one-line human description of the feature bits it looked at, written
 * into buffer (for the demo and diagnostics). */
void lossopt_cpu_describe(char *buffer, unsigned long size);

#endif /* LOSSOPT_CPU_FEATURES_H */
