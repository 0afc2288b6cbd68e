/* kernels/baseline_only.h - included first by every source of dispatch/ and
 * kernels/scalar/: they run before (or instead of) CPU detection, on any CPU
 * of the architecture, so they must never be compiled with vector-ISA flags,
 * where the compiler could emit an instruction the CPU lacks (CMakeLists.txt
 * builds them with baseline flags; this catches a build that does not). */
#ifndef LOSSOPT_BASELINE_ONLY_H
#define LOSSOPT_BASELINE_ONLY_H

#if defined(__AVX__) || defined(__AVX2__) || defined(__FMA__) || defined(__AVX512F__)
#error "dispatch/ and kernels/scalar/ must be compiled for the baseline CPU, without AVX/FMA flags"
#endif

#endif /* LOSSOPT_BASELINE_ONLY_H */
