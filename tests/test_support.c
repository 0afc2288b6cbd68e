/* tests/test_support.c - shared helpers of the C tests (see test_support.h). */
#define _DEFAULT_SOURCE
#include "test_support.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lossopt_internal.h"

static const char *test_name = "test";
static unsigned long checks_passed, checks_failed;
static uint32_t rng_state[4];
static uint64_t base_seed = 20261126u;
static bool case_seeded; /* test_seed_case ran: the stream belongs to a case */

static uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

uint32_t test_random_u32(void)
{
    if (!case_seeded) {
        /* a draw whose numbers depend on everything drawn before it */
        test_check(false, "random data drawn before test_seed_case (test bug)");
        case_seeded = true; /* report once */
    }
    uint32_t *s = rng_state;
    uint32_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 11);
    return result;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void seed_rng(uint64_t seed)
{
    /* splitmix64 spreads any seed (even 0) over the four words */
    for (int i = 0; i < 4; i++) {
        seed += 0x9e3779b97f4a7c15ull;
        uint64_t z = seed;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        rng_state[i] = (uint32_t)(z ^ (z >> 31));
    }
}

void test_init(const char *name)
{
    test_name = name;
    const char *env = getenv("LOSSOPT_TEST_SEED");
    base_seed = env ? strtoull(env, NULL, 10) : 20261126u;
    case_seeded = false;
    const char *forced = getenv("LOSSOPT_ISA");
    printf("%s: seed %llu (set LOSSOPT_TEST_SEED to reproduce), LOSSOPT_ISA=%s\n", name,
           (unsigned long long)base_seed, forced ? forced : "(unset)");
}

uint64_t test_base_seed(void) { return base_seed; }

unsigned long test_sweep_count(bool quick)
{
    const char *env = getenv("LOSSOPT_TEST_DOUBLE_SWEEPS");
    return env ? strtoul(env, NULL, 10) : (quick ? 2 : 8);
}

void test_sweep_shape(const char *stage, unsigned long k, size_t *rows, size_t *classes)
{
    test_seed_case(stage, k, 0, 0);
    *classes = 1 + test_random_below(test_random_u32() % 4 == 0 ? 2000 : 40);
    *rows = 1 + test_random_below(*classes > 200 ? 4 : 24);
}

void test_seed_case(const char *stage, uint64_t a, uint64_t b, uint64_t c)
{
    /* FNV-1a of the stage name, then each number through splitmix64 */
    uint64_t h = 0xcbf29ce484222325ull ^ base_seed;
    for (const char *p = stage; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    uint64_t parts[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        h ^= parts[i];
        h = splitmix64(&h);
    }
    seed_rng(h);
    case_seeded = true;
}

bool test_check(bool ok, const char *fmt, ...)
{
    if (ok) {
        checks_passed++;
        return true;
    }
    checks_failed++;
    if (checks_failed <= 50) {
        va_list args;
        va_start(args, fmt);
        printf("%s: FAIL: ", test_name);
        vprintf(fmt, args);
        printf("\n");
        va_end(args);
    } else if (checks_failed == 51) {
        printf("%s: (further failures not printed)\n", test_name);
    }
    return false;
}

int test_finish(void)
{
    printf("%s: %lu passed, %lu failed\n", test_name, checks_passed, checks_failed);
    if (checks_passed + checks_failed == 0) {
        printf("%s: FAIL: no check ran\n", test_name);
        return 1;
    }
    return checks_failed ? 1 : 0;
}

void test_skip_unless_forced_isa_supported(void)
{
    const char *forced = getenv("LOSSOPT_ISA");
    if (forced == NULL)
        return;
    for (int isa = LOSSOPT_ISA_SCALAR; isa <= LOSSOPT_ISA_NEON; isa++) {
        if (strcmp(forced, lossopt_isa_name((lossopt_isa)isa)) != 0)
            continue;
        if (lossopt_supported_isas() & (1u << isa))
            return;
        char cpu[256];
        lossopt_describe_cpu(cpu, sizeof cpu);
        printf("%s: SKIPPED: LOSSOPT_ISA=%s, but %s is not %s on this machine (%s)\n", test_name,
               forced, forced, (lossopt_built_isas() & (1u << isa)) ? "runnable" : "built", cpu);
        exit(TEST_SKIP_EXIT);
    }
    printf("%s: FAIL: LOSSOPT_ISA=%s names no ISA\n", test_name, forced);
    exit(1);
}

float test_random_uniform(float lo, float hi)
{
    return lo + (hi - lo) * (float)(test_random_u32() >> 8) * (1.0f / 16777216.0f);
}

size_t test_random_below(size_t bound)
{
    uint64_t r = ((uint64_t)test_random_u32() << 32) | test_random_u32();
    return bound ? (size_t)(r % bound) : 0;
}

float test_random_special(void)
{
    static const float specials[] = {0.0f, -0.0f, 1e-45f, -1e-45f, 1e-40f, -3e-39f,
                                     INFINITY, -INFINITY, NAN, -NAN, FLT_MAX, -FLT_MAX,
                                     FLT_MIN, -FLT_MIN, 1e-30f, 1e30f, -1e30f, 1.0f};
    uint32_t r = test_random_u32() % 16;
    if (r < 11)
        return test_random_uniform(-4.0f, 4.0f);
    if (r < 13) {
        uint32_t bits = test_random_u32();
        float f;
        memcpy(&f, &bits, sizeof f);
        return f; /* any bit pattern */
    }
    return specials[test_random_u32() % (sizeof specials / sizeof specials[0])];
}

/* Layout: [pad][data ...][guard page]: data ends exactly where the
 * inaccessible page begins. Live mappings are remembered for the free. */
#define MAX_GUARDED 512
static struct guarded_mapping {
    void *data;
    void *base;
    size_t length;
} guarded[MAX_GUARDED];

float *test_guarded_alloc(size_t count)
{
    return test_guarded_alloc_bytes(count * sizeof(float));
}

void *test_guarded_alloc_bytes(size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (bytes + page - 1) / page + 1;
    size_t length = (data_pages + 1) * page;
    unsigned char *base =
        mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        printf("FAIL: mmap of %zu bytes failed\n", length);
        exit(1);
    }
    unsigned char *guard = base + data_pages * page;
    if (mprotect(guard, page, PROT_NONE) != 0) {
        printf("FAIL: mprotect failed\n");
        exit(1);
    }
    void *data = guard - bytes;
    for (int i = 0; i < MAX_GUARDED; i++) {
        if (guarded[i].base == NULL) {
            guarded[i].data = data;
            guarded[i].base = base;
            guarded[i].length = length;
            return data;
        }
    }
    printf("FAIL: more than %d guarded buffers live\n", MAX_GUARDED);
    exit(1);
}

void test_guarded_free(void *p)
{
    for (int i = 0; p != NULL && i < MAX_GUARDED; i++) {
        if (guarded[i].base != NULL && guarded[i].data == p) {
            munmap(guarded[i].base, guarded[i].length);
            guarded[i].base = NULL;
            return;
        }
    }
}

bool test_same_float(float a, float b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    uint32_t x, y;
    memcpy(&x, &a, 4);
    memcpy(&y, &b, 4);
    return x == y;
}

size_t test_first_difference(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!test_same_float(a[i], b[i]))
            return i;
    return n;
}

/* Maps floats onto a line of integers where neighbours differ by one. */
static int64_t ordered(float x)
{
    int32_t i;
    memcpy(&i, &x, 4);
    return i < 0 ? -(int64_t)(i & 0x7fffffff) : (int64_t)i;
}

uint32_t test_ulp_distance(float a, float b)
{
    if (isnan(a) || isnan(b))
        return UINT32_MAX;
    int64_t d = ordered(a) - ordered(b);
    if (d < 0) d = -d;
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

double test_ulp_of(float x)
{
    float ax = fabsf(x);
    if (ax == 0.0f || !isfinite(ax))
        return ax == 0.0f ? 1.401298464324817e-45 : INFINITY;
    return (double)nextafterf(ax, INFINITY) - (double)ax;
}

unsigned test_vector_isas(void)
{
    return lossopt_supported_isas() & ~(1u << LOSSOPT_ISA_SCALAR);
}

const lossopt_kernel_table *test_oracle(void)
{
    return lossopt_kernel_table_for(LOSSOPT_ISA_SCALAR);
}

#ifdef LOSSOPT_TEST_HAVE_AVX512EMU
extern const lossopt_kernel_table lossopt_kernels_avx512emu;
#endif

const lossopt_kernel_table *test_emulated_avx512(void)
{
    static bool told;
    const lossopt_kernel_table *table = NULL;
#ifdef LOSSOPT_TEST_HAVE_AVX512EMU
    table = &lossopt_kernels_avx512emu;
#endif
    char why[320] = "", cpu[256];
    if (table == NULL) {
        snprintf(why, sizeof why, "not built here (x86 with SIMDe, native builds only)");
    } else if (!(lossopt_supported_isas() & (1u << LOSSOPT_ISA_AVX2))) {
        lossopt_describe_cpu(cpu, sizeof cpu);
        snprintf(why, sizeof why, "this CPU cannot run AVX2, which the emulation needs (%s)",
                 cpu);
    } else if (getenv("LOSSOPT_ISA") != NULL) {
        snprintf(why, sizeof why, "LOSSOPT_ISA is set (it runs once, in the run that forces "
                                  "no ISA)");
    }
    if (why[0] != '\0' && !told)
        printf("%s: SKIPPED variant avx512-emulated: %s\n", test_name, why);
    told = true;
    return why[0] == '\0' ? table : NULL;
}
