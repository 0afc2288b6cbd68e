/* tests/test_support.h - shared helpers of the C tests: seeded random numbers,
 * buffers that end at a guard page, bitwise comparison, and check counting
 * that ends in a "N passed, N failed" line.
 *
 * Seed: LOSSOPT_TEST_SEED (decimal) reproduces a run; the seed is printed. */
#ifndef LOSSOPT_TEST_SUPPORT_H
#define LOSSOPT_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lossopt.h"

/* Exit code that CTest reports as "skipped" (SKIP_RETURN_CODE). */
#define TEST_SKIP_EXIT 77

/* ---- checks ----------------------------------------------------------- */
void test_init(const char *name);              /* prints name and seed        */
bool test_check(bool ok, const char *fmt, ...); /* counts; prints on failure  */
int test_finish(void);                          /* prints the summary; exit code */
/* If LOSSOPT_ISA forces an ISA this CPU or build lacks, print why and exit
 * with TEST_SKIP_EXIT; if it names an unknown ISA, fail. */
void test_skip_unless_forced_isa_supported(void);

/* ---- random numbers (xoshiro128**) --------------------------------------- */
/* Every case draws its data from its own seed: test_seed_case mixes the run's
 * seed (LOSSOPT_TEST_SEED or the default) with the case's identity, a stage
 * name and up to three numbers (a case index, a length, a repetition...), so
 * the data of a case never depends on what ran before it, in particular not
 * on how many ISAs this host supports. Never pass a variant or ISA index.
 * Drawing before the first test_seed_case fails the test. */
void test_seed_case(const char *stage, uint64_t a, uint64_t b, uint64_t c);
/* Random row-wise shapes for checks against double: the number of shapes
 * (LOSSOPT_TEST_DOUBLE_SWEEPS, else 8, or 2 when quick), and shape k drawn
 * from its own seed (1..2000 classes, more rows when there are few). */
unsigned long test_sweep_count(bool quick);
void test_sweep_shape(const char *stage, unsigned long k, size_t *rows, size_t *classes);
/* The run's base seed (for tests that hand a seed to a generator). */
uint64_t test_base_seed(void);
uint32_t test_random_u32(void);
float test_random_uniform(float lo, float hi);
size_t test_random_below(size_t bound);
/* A float drawn to exercise edge cases: mostly moderate values, sometimes
 * +-0, denormals, +-inf, NaN, +-FLT_MAX, tiny and huge magnitudes. */
float test_random_special(void);

/* ---- guard-page buffers ------------------------------------------------- */
/* count floats whose last element ends exactly where an inaccessible page
 * begins, so any read or write past the end faults. The start's alignment is
 * therefore (-4 * count) mod 64: a sweep over lengths covers every start
 * alignment. Exits the test on failure. Free with test_guarded_free. */
float *test_guarded_alloc(size_t count);
/* The same for any number of bytes (16-bit buffers). */
void *test_guarded_alloc_bytes(size_t bytes);
void test_guarded_free(void *p);

/* ---- comparison ------------------------------------------------------- */
/* Same bits, or both NaN (NaN payloads differ across CPUs by design). */
bool test_same_float(float a, float b);
/* Index of the first element that differs (test_same_float), or n. */
size_t test_first_difference(const float *a, const float *b, size_t n);
/* ulp distance between two finite floats of any sign (large if either NaN). */
uint32_t test_ulp_distance(float a, float b);
/* The size of one ulp at |x| (for |x| == 0: the smallest denormal). */
double test_ulp_of(float x);

/* Every ISA to compare against the oracle: bit set for supported ISAs. */
unsigned test_vector_isas(void);

/* The scalar oracle's table on this CPU (lossopt_kernel_table_for(SCALAR)):
 * SLEEF's FMA family where the CPU has FMA, the purec build elsewhere. */
struct lossopt_kernel_table;
const struct lossopt_kernel_table *test_oracle(void);

/* The AVX-512 kernels compiled against SIMDe's portable AVX-512
 * (tests/avx512_emulation.h), so that a CPU without AVX-512 still checks that
 * layer bit for bit: the table when this run should check it, else NULL after
 * printing why (once). It must be built (x86, SIMDe found, not a cross build:
 * tests/CMakeLists.txt), the CPU must run AVX2 (the emulation is compiled
 * with -mavx2 -mfma), and LOSSOPT_ISA must be unset: the table does not
 * depend on the forced ISA, so it is checked once per test, in the unforced
 * run. */
const struct lossopt_kernel_table *test_emulated_avx512(void);

#endif /* LOSSOPT_TEST_SUPPORT_H */
