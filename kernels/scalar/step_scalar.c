/* kernels/scalar/step_scalar.c - the oracle of the engine step's statistics
 * pass: the squared grads summed in the canonical order, literally
 * (kernels/scalar/canonical_sum.h). The update kernels are in opt_scalar.c. */
#include "baseline_only.h" /* first: the oracle runs on any CPU */
#include "kernel_table.h"
#include "scalar/canonical_sum.h"
#include "scalar/scalar_kernels.h"
#include "scalar/storage16_scalar.h"

double ORACLE_NAME(grad_sumsq)(const void *grad, lossopt_dtype dtype, size_t n)
{
    canonical_sum sum;
    canonical_start(&sum);
    for (size_t i = 0; i < n; i++) {
        float g = dtype == LOSSOPT_F32    ? ((const float *)grad)[i]
                  : dtype == LOSSOPT_BF16 ? lossopt_bf16_to_f32(((const uint16_t *)grad)[i])
                                          : lossopt_f16_to_f32(((const uint16_t *)grad)[i]);
        canonical_add(&sum, i, g * g);
    }
    return canonical_finish(&sum, n);
}
