/* kernels/scalar/scalar_kernels.h - the scalar oracle's kernels: name_scalar
 * for every name of LOSSOPT_KERNEL_LIST (kernels/kernel_table.h), declared
 * through the kernel's function type, so each definition in kernels/scalar/
 * is checked against it. */
#ifndef LOSSOPT_SCALAR_KERNELS_H
#define LOSSOPT_SCALAR_KERNELS_H

#include "kernel_table.h"

#define LOSSOPT_DECLARE_SCALAR_KERNEL(name, type) type name##_scalar;
LOSSOPT_KERNEL_LIST(LOSSOPT_DECLARE_SCALAR_KERNEL)
#undef LOSSOPT_DECLARE_SCALAR_KERNEL

#endif /* LOSSOPT_SCALAR_KERNELS_H */
