/* dispatch/cpu_x86.c - x86 feature detection: CPUID for what the CPU has and
 * XGETBV for what the OS saves on a context switch. A CPU can report AVX2 or
 * AVX-512 while the OS leaves YMM/ZMM state unsaved (then using them corrupts
 * registers), so both must agree. Compiled with baseline flags only. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#if defined(__x86_64__) || defined(__i386__)

#include <cpuid.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu_features.h"
#include "lossopt.h"

typedef struct x86_features {
    bool osxsave, avx, fma, f16c, avx2, avx512f, avx512bw, avx512dq, avx512vl;
    bool os_saves_ymm, os_saves_zmm;
    bool vendor_amd; /* CPUID leaf 0 says "AuthenticAMD" */
} x86_features;

/* XGETBV(0): the XCR0 register, which states the OS enables. Encoded as bytes
 * so that no -mxsave flag is needed; only called after CPUID said OSXSAVE. */
static uint64_t read_xcr0(void)
{
    uint32_t eax, edx;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

static x86_features detect(void)
{
    x86_features f = {0};
    unsigned eax, ebx, ecx, edx;
    if (__get_cpuid(0, &eax, &ebx, &ecx, &edx)) /* vendor string: EBX, EDX, ECX */
        f.vendor_amd = ebx == 0x68747541u && edx == 0x69746e65u && ecx == 0x444d4163u;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return f;
    f.fma = (ecx >> 12) & 1;
    f.f16c = (ecx >> 29) & 1;
    f.osxsave = (ecx >> 27) & 1;
    f.avx = (ecx >> 28) & 1;
    if (__get_cpuid_max(0, 0) >= 7) {
        __cpuid_count(7, 0, eax, ebx, ecx, edx);
        f.avx2 = (ebx >> 5) & 1;
        f.avx512f = (ebx >> 16) & 1;
        f.avx512dq = (ebx >> 17) & 1;
        f.avx512bw = (ebx >> 30) & 1;
        f.avx512vl = (ebx >> 31) & 1;
    }
    if (f.osxsave) {
        uint64_t xcr0 = read_xcr0();
        f.os_saves_ymm = (xcr0 & 0x6) == 0x6;    /* SSE and AVX state        */
        f.os_saves_zmm = (xcr0 & 0xe6) == 0xe6;  /* + opmask, ZMM0-15 high, ZMM16-31 */
    }
    return f;
}

unsigned lossopt_cpu_runnable_isas(void)
{
    x86_features f = detect();
    unsigned isas = 1u << LOSSOPT_ISA_SCALAR;
    /* F16C: the 16-bit conversions of the engine step (0.2) */
    bool avx2 = f.avx && f.avx2 && f.fma && f.f16c && f.os_saves_ymm;
    if (avx2)
        isas |= 1u << LOSSOPT_ISA_AVX2;
    if (avx2 && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && f.os_saves_zmm)
        isas |= 1u << LOSSOPT_ISA_AVX512;
    return isas;
}

bool lossopt_cpu_full_rate_512bit_divide(void) { return detect().vendor_amd; }

void lossopt_cpu_describe(char *buffer, unsigned long size)
{
    x86_features f = detect();
    snprintf(buffer, size,
             "x86: avx=%d fma=%d f16c=%d avx2=%d avx512f=%d avx512bw=%d avx512dq=%d avx512vl=%d "
             "osxsave=%d os_saves_ymm=%d os_saves_zmm=%d vendor_amd=%d",
             f.avx, f.fma, f.f16c, f.avx2, f.avx512f, f.avx512bw, f.avx512dq, f.avx512vl, f.osxsave,
             f.os_saves_ymm, f.os_saves_zmm, f.vendor_amd);
}

#else
typedef int lossopt_cpu_x86_unused; /* ISO C forbids an empty translation unit */
#endif
