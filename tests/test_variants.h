/* tests/test_variants.h - the implementations a bitwise test compares with
 * the scalar oracle: every supported vector ISA's kernel table through the
 * internal entry points (on an AVX-512 CPU also the avx512 table the
 * dispatcher did not pick, "avx512-zmm" or "avx512-mixed"), the
 * SIMDe-emulated AVX-512 table where this run
 * checks it (test_emulated_avx512: chosen at run time, skipped visibly), and
 * the public (dispatched) API; and, for the tests of rules, every entry
 * point. */
#ifndef LOSSOPT_TEST_VARIANTS_H
#define LOSSOPT_TEST_VARIANTS_H

#include <stdbool.h>
#include <stddef.h>

#include "lossopt_internal.h"
#include "test_support.h"

typedef struct variant {
    bool public_api;                   /* true: the public API, table unused */
    const lossopt_kernel_table *table; /* the internal entry point's table  */
    const char *name;
} variant;

#define TEST_MAX_VARIANTS 8

/* Fills out (TEST_MAX_VARIANTS entries) and returns the count. */
static inline size_t test_variants(variant *out)
{
    size_t count = 0;
    unsigned vector_isas = test_vector_isas();
    for (int isa = LOSSOPT_ISA_AVX2; isa <= LOSSOPT_ISA_NEON; isa++)
        if ((vector_isas >> isa) & 1)
            out[count++] = (variant){false, lossopt_kernel_table_for((lossopt_isa)isa),
                                     lossopt_isa_name((lossopt_isa)isa)};
    /* the avx512 table the dispatcher did not pick for this CPU (it picks
     * zmm on AMD, mixed on Intel), so that both run on every AVX-512 host */
    const lossopt_kernel_table *picked = lossopt_kernel_table_for(LOSSOPT_ISA_AVX512);
    const lossopt_kernel_table *zmm = lossopt_kernel_table_avx512_zmm();
    const lossopt_kernel_table *mixed = lossopt_kernel_table_avx512_mixed();
    if (zmm != NULL && zmm != picked)
        out[count++] = (variant){false, zmm, "avx512-zmm"};
    if (mixed != NULL && mixed != picked)
        out[count++] = (variant){false, mixed, "avx512-mixed"};
    const lossopt_kernel_table *emulated = test_emulated_avx512();
    if (emulated != NULL)
        out[count++] = (variant){false, emulated, "avx512-emulated"};
    out[count++] = (variant){true, NULL, "public-api"};
    return count;
}

/* Every entry point, for tests that check a rule rather than compare with
 * the oracle: the public API, then every supported ISA's table, the scalar
 * oracle's included. Fills out (TEST_MAX_VARIANTS entries), returns the count. */
static inline size_t test_all_entry_points(variant *out)
{
    size_t count = 0;
    out[count++] = (variant){true, lossopt_active_table(), "public"};
    unsigned supported = lossopt_supported_isas();
    for (int isa = LOSSOPT_ISA_SCALAR; isa <= LOSSOPT_ISA_NEON; isa++)
        if ((supported >> isa) & 1)
            out[count++] = (variant){false, lossopt_kernel_table_for((lossopt_isa)isa),
                                     lossopt_isa_name((lossopt_isa)isa)};
    return count;
}

#endif /* LOSSOPT_TEST_VARIANTS_H */
