/* dispatch/dispatch.c - ISA policy: which tables exist, which the CPU runs,
 * which one the public API uses, LOSSOPT_ISA and lossopt_set_isa.
 *
 * The choice lives in one atomic int, chosen lazily on first use. Racing first
 * calls each compute the same answer and the first compare-and-swap wins, so a
 * race only repeats identical work. Compiled with baseline flags only: nothing
 * here may execute an instruction the CPU might lack. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "lossopt_internal.h"

enum { CHOICE_UNSELECTED = -2, CHOICE_INVALID = LOSSOPT_ISA_INVALID };

static _Atomic int active_choice = CHOICE_UNSELECTED;
static _Atomic unsigned supported_cache = 0; /* 0 = not computed (scalar bit is always set) */
static _Atomic unsigned runnable_cache = 0;  /* the same for lossopt_cpu_runnable_isas() */
#ifdef LOSSOPT_HAVE_AVX512
static const lossopt_kernel_table *_Atomic avx512_cache = NULL; /* avx512_table() */
#endif

static unsigned runnable_isas(void)
{
    unsigned isas = atomic_load_explicit(&runnable_cache, memory_order_relaxed);
    if (isas == 0) {
        isas = lossopt_cpu_runnable_isas() | (1u << LOSSOPT_ISA_SCALAR);
        atomic_store_explicit(&runnable_cache, isas, memory_order_relaxed);
    }
    return isas;
}

/* The scalar variant: the oracle with SLEEF's FMA-family functions, which
 * give every vector ISA's bits, wherever the CPU executes FMA (every AArch64
 * CPU; on x86, every CPU that runs AVX2+FMA with the OS saving YMM); on an
 * x86 CPU without it, the purec build (within 1 ulp; README, "Determinism"). */
static const lossopt_kernel_table *scalar_table(void)
{
#ifdef LOSSOPT_HAVE_ORACLE_NO_FMA
    if (!(runnable_isas() & (1u << LOSSOPT_ISA_AVX2)))
        return &lossopt_kernels_scalar_nofma;
#endif
    return &lossopt_kernels_scalar;
}

bool lossopt_oracle_uses_fma(void) { return scalar_table() == &lossopt_kernels_scalar; }

#ifdef LOSSOPT_HAVE_AVX512
/* The avx512 table: both give the same bits (kernels/kernel_table.h), so this
 * is speed only. Where a 512-bit divide costs no more per element than a
 * 256-bit one (AMD), every kernel's 512-bit build; elsewhere (Intel) the
 * divide- and sqrt-bound kernels at 256 bits, which issue 14 measured faster
 * there. Cached like the ISA bits: racing first calls store the same pointer. */
static const lossopt_kernel_table *avx512_table(void)
{
    const lossopt_kernel_table *table = atomic_load_explicit(&avx512_cache, memory_order_relaxed);
    if (table == NULL) {
        table = lossopt_cpu_full_rate_512bit_divide() ? &lossopt_kernels_avx512_zmm
                                                      : &lossopt_kernels_avx512;
        atomic_store_explicit(&avx512_cache, table, memory_order_relaxed);
    }
    return table;
}
#endif

static const lossopt_kernel_table *built_table(lossopt_isa isa)
{
    switch (isa) {
    case LOSSOPT_ISA_SCALAR: return scalar_table();
#ifdef LOSSOPT_HAVE_AVX2
    case LOSSOPT_ISA_AVX2: return &lossopt_kernels_avx2;
#endif
#ifdef LOSSOPT_HAVE_AVX512
    case LOSSOPT_ISA_AVX512: return avx512_table();
#endif
#ifdef LOSSOPT_HAVE_NEON
    case LOSSOPT_ISA_NEON: return &lossopt_kernels_neon;
#endif
    default: return NULL;
    }
}

unsigned lossopt_built_isas(void)
{
    unsigned isas = 0;
    for (int isa = LOSSOPT_ISA_SCALAR; isa <= LOSSOPT_ISA_NEON; isa++)
        if (built_table((lossopt_isa)isa))
            isas |= 1u << isa;
    return isas;
}

unsigned lossopt_supported_isas(void)
{
    unsigned isas = atomic_load_explicit(&supported_cache, memory_order_relaxed);
    if (isas == 0) {
        isas = lossopt_built_isas() & runnable_isas();
        atomic_store_explicit(&supported_cache, isas, memory_order_relaxed);
    }
    return isas;
}

static int is_supported(int isa)
{
    return isa >= LOSSOPT_ISA_SCALAR && isa <= LOSSOPT_ISA_NEON &&
           (lossopt_supported_isas() & (1u << isa)) != 0;
}

/* The environment's choice, else the best supported ISA. */
static int initial_choice(void)
{
    const char *forced = getenv("LOSSOPT_ISA");
    if (forced != NULL) {
        for (int isa = LOSSOPT_ISA_SCALAR; isa <= LOSSOPT_ISA_NEON; isa++)
            if (strcmp(forced, lossopt_isa_name((lossopt_isa)isa)) == 0)
                return is_supported(isa) ? isa : CHOICE_INVALID;
        return CHOICE_INVALID; /* unknown name: an error, never a silent fallback */
    }
    static const lossopt_isa priority[] = {LOSSOPT_ISA_AVX512, LOSSOPT_ISA_AVX2,
                                           LOSSOPT_ISA_NEON};
    for (size_t i = 0; i < sizeof priority / sizeof priority[0]; i++)
        if (is_supported(priority[i]))
            return priority[i];
    return LOSSOPT_ISA_SCALAR;
}

static int current_choice(void)
{
    int choice = atomic_load_explicit(&active_choice, memory_order_acquire);
    if (choice != CHOICE_UNSELECTED)
        return choice;
    int fresh = initial_choice();
    int expected = CHOICE_UNSELECTED;
    if (atomic_compare_exchange_strong_explicit(&active_choice, &expected, fresh,
                                                memory_order_acq_rel, memory_order_acquire))
        return fresh;
    return expected; /* another thread (or lossopt_set_isa) chose first */
}

lossopt_isa lossopt_active_isa(void) { return (lossopt_isa)current_choice(); }

const lossopt_kernel_table *lossopt_active_table(void)
{
    int choice = current_choice();
    return choice == CHOICE_INVALID ? NULL : built_table((lossopt_isa)choice);
}

const lossopt_kernel_table *lossopt_kernel_table_for(lossopt_isa isa)
{
    return is_supported(isa) ? built_table(isa) : NULL;
}

const lossopt_kernel_table *lossopt_kernel_table_avx512_zmm(void)
{
#ifdef LOSSOPT_HAVE_AVX512
    return is_supported(LOSSOPT_ISA_AVX512) ? &lossopt_kernels_avx512_zmm : NULL;
#else
    return NULL;
#endif
}

const lossopt_kernel_table *lossopt_kernel_table_avx512_mixed(void)
{
#ifdef LOSSOPT_HAVE_AVX512
    return is_supported(LOSSOPT_ISA_AVX512) ? &lossopt_kernels_avx512 : NULL;
#else
    return NULL;
#endif
}

const char *lossopt_avx512_table_name(void)
{
#ifdef LOSSOPT_HAVE_AVX512
    if (is_supported(LOSSOPT_ISA_AVX512))
        return avx512_table() == &lossopt_kernels_avx512_zmm ? "zmm" : "mixed";
#endif
    return NULL;
}

lossopt_status lossopt_set_isa(lossopt_isa isa)
{
    if (!is_supported(isa))
        return LOSSOPT_ERR_ISA;
    atomic_store_explicit(&active_choice, (int)isa, memory_order_release);
    return LOSSOPT_OK;
}

const char *lossopt_isa_name(lossopt_isa isa)
{
    switch (isa) {
    case LOSSOPT_ISA_SCALAR: return "scalar";
    case LOSSOPT_ISA_AVX2: return "avx2";
    case LOSSOPT_ISA_AVX512: return "avx512";
    case LOSSOPT_ISA_NEON: return "neon";
    default: return "invalid";
    }
}

void lossopt_describe_cpu(char *buffer, unsigned long size) { lossopt_cpu_describe(buffer, size); }
