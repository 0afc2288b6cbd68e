/* kernels/scalar/scalar_kernels.h - the scalar oracle's kernels, declared
 * through each kernel's function type (LOSSOPT_KERNEL_LIST,
 * kernels/kernel_table.h), so each definition in kernels/scalar/ is checked
 * against it. The oracle is compiled once per SLEEF family
 * (kernels/scalar/scalar_math.h): ORACLE_NAME(adam_step_f32) is
 * adam_step_f32_scalar (FMA family) or adam_step_f32_scalar_nofma (purec),
 * and the tables lossopt_kernels_scalar and lossopt_kernels_scalar_nofma. */
#ifndef LOSSOPT_SCALAR_KERNELS_H
#define LOSSOPT_SCALAR_KERNELS_H

#include "kernel_table.h"

#define LOSSOPT_ORACLE_CONCAT_(a, b) a##_##b
#define LOSSOPT_ORACLE_CONCAT(a, b) LOSSOPT_ORACLE_CONCAT_(a, b)
#ifdef LOSSOPT_ORACLE_NO_FMA
#define ORACLE_NAME(name) LOSSOPT_ORACLE_CONCAT(name, scalar_nofma)
#else
#define ORACLE_NAME(name) LOSSOPT_ORACLE_CONCAT(name, scalar)
#endif

#define LOSSOPT_DECLARE_ORACLE_KERNEL(name, type, avx512_width) type ORACLE_NAME(name);
LOSSOPT_KERNEL_LIST(LOSSOPT_DECLARE_ORACLE_KERNEL)
#undef LOSSOPT_DECLARE_ORACLE_KERNEL

#endif /* LOSSOPT_SCALAR_KERNELS_H */
