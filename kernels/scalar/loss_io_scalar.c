/* kernels/scalar/loss_io_scalar.c - the oracle of the losses' io
 * conversions (kernels/loss_io.c), element by element with the literal
 * 16-bit conversions of storage16_scalar.h: widen exactly; store
 * term * scale, plus the widened stored value when accumulating, rounded
 * once to nearest even. */
#include "baseline_only.h" /* first: the oracle runs on any CPU */
#include <stdint.h>

#include "kernel_table.h"
#include "scalar/scalar_kernels.h"
#include "scalar/storage16_scalar.h"

static float load_as_f32(lossopt_dtype dtype, const void *p, size_t i)
{
    if (dtype == LOSSOPT_BF16)
        return lossopt_bf16_to_f32(((const uint16_t *)p)[i]);
    if (dtype == LOSSOPT_F16)
        return lossopt_f16_to_f32(((const uint16_t *)p)[i]);
    return ((const float *)p)[i];
}

static void store_nearest(lossopt_dtype dtype, void *p, size_t i, float v)
{
    if (dtype == LOSSOPT_BF16)
        ((uint16_t *)p)[i] = lossopt_f32_to_bf16_nearest(v);
    else if (dtype == LOSSOPT_F16)
        ((uint16_t *)p)[i] = lossopt_f32_to_f16(v);
    else
        ((float *)p)[i] = v;
}

void ORACLE_NAME(io_widen)(lossopt_dtype dtype, const void *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = load_as_f32(dtype, src, i);
}

void ORACLE_NAME(io_store_grad)(lossopt_dtype dtype, void *dst, const float *terms, size_t n,
                                float scale, bool scaled, bool accumulate)
{
    for (size_t i = 0; i < n; i++) {
        float v = terms[i];
        if (scaled)
            v = v * scale;
        if (accumulate)
            v = load_as_f32(dtype, dst, i) + v;
        store_nearest(dtype, dst, i, v);
    }
}
