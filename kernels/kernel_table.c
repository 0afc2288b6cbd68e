/* kernels/kernel_table.c - the function table of one vector ISA; compiled once
 * per ISA like every vector kernel source, so it names that ISA's kernels. */
#include "kernel_table.h"
#include "vec/vec.h"

#if defined(LOSSOPT_TARGET_AVX512)
#define TABLE_ISA LOSSOPT_ISA_AVX512
#elif defined(LOSSOPT_TARGET_AVX2)
#define TABLE_ISA LOSSOPT_ISA_AVX2
#else
#define TABLE_ISA LOSSOPT_ISA_NEON
#endif

/* The library's AVX-512 build has two tables (kernels/kernel_table.h, the
 * avx512_width column): lossopt_kernels_avx512_zmm, every kernel's 512-bit
 * build, and lossopt_kernels_avx512 ("mixed"), which runs the 256-bit build
 * of the divide- and sqrt-bound kernels (every AVX-512 CPU runs AVX2). The
 * dispatcher picks one per CPU (dispatch/dispatch.c: zmm on AMD, mixed on
 * Intel); the bits are the same.
 * The SIMDe-emulated build (tests) has only the first, as
 * lossopt_kernels_avx512emu: it exists to check the 512-bit code. */
#if defined(LOSSOPT_TARGET_AVX512) && !defined(LOSSOPT_AVX512_EMULATED)
#define FULL_WIDTH_TABLE lossopt_kernels_avx512_zmm
#define DISPATCHER_AVX512_TABLE 1
#else
#define FULL_WIDTH_TABLE KERNEL_NAME(lossopt_kernels)
#endif

/* lossopt_kernels_avx2, lossopt_kernels_avx512_zmm, lossopt_kernels_neon,
 * lossopt_kernels_avx512emu: the KERNEL_NAME of every kernel of
 * LOSSOPT_KERNEL_LIST (declared in vec.h). */
const lossopt_kernel_table FULL_WIDTH_TABLE = {
    .isa = TABLE_ISA,
#define LOSSOPT_VECTOR_ENTRY(name, type, avx512_width) .name = KERNEL_NAME(name),
    LOSSOPT_KERNEL_LIST(LOSSOPT_VECTOR_ENTRY)
#undef LOSSOPT_VECTOR_ENTRY
};

#ifdef DISPATCHER_AVX512_TABLE
#ifdef LOSSOPT_AVX512_WITH_AVX2_KERNELS /* CMakeLists.txt: the AVX2 build exists */
#define LOSSOPT_DECLARE_AVX2_KERNEL(name, type, avx512_width) type name##_avx2;
LOSSOPT_KERNEL_LIST(LOSSOPT_DECLARE_AVX2_KERNEL)
#undef LOSSOPT_DECLARE_AVX2_KERNEL
#define AVX512_PICK_YMM(name) name##_avx2
#else
#define AVX512_PICK_YMM(name) KERNEL_NAME(name)
#endif
#define AVX512_PICK_ZMM(name) KERNEL_NAME(name)

const lossopt_kernel_table lossopt_kernels_avx512 = {
    .isa = LOSSOPT_ISA_AVX512,
#define LOSSOPT_AVX512_ENTRY(name, type, avx512_width) .name = AVX512_PICK_##avx512_width(name),
    LOSSOPT_KERNEL_LIST(LOSSOPT_AVX512_ENTRY)
#undef LOSSOPT_AVX512_ENTRY
};
#endif
