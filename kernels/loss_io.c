/* kernels/loss_io.c - the conversions of the losses' io forms
 * (include/lossopt.h, "Losses for engines"), written once for every vector
 * ISA: io_widen turns n values of a 16-bit (or f32) input into f32, exactly;
 * io_store_grad stores n gradient terms into a gradient buffer of any dtype,
 * in the contract's order: new = term * scale (when scaled), then
 * widen(stored) + new in f32 (when accumulating), then one rounding to the
 * buffer's dtype (nearest even) - a multiply and an add, never an fma.
 * dispatch/loss_io.c stages every io call through them; the oracle's twins
 * are in kernels/scalar/loss_io_scalar.c. */
#include "kernel_table.h"
#include "vec/storage16.h"
#include "vec/vec.h"

LOSSOPT_ALWAYS_INLINE void widen_loop(lossopt_dtype dtype, const void *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i += VEC_WIDTH) {
        size_t count = n - i < VEC_WIDTH ? n - i : VEC_WIDTH;
        vec_store_n(dst + i, vec_storage_load(dtype, src, i, count), count);
    }
}

void KERNEL_NAME(io_widen)(lossopt_dtype dtype, const void *src, float *dst, size_t n)
{
    switch (dtype) {
    case LOSSOPT_BF16: widen_loop(LOSSOPT_BF16, src, dst, n); break;
    case LOSSOPT_F16: widen_loop(LOSSOPT_F16, src, dst, n); break;
    default: widen_loop(LOSSOPT_F32, src, dst, n); break;
    }
}

LOSSOPT_ALWAYS_INLINE void store_loop(lossopt_dtype dtype, void *dst, const float *terms, size_t n,
                                      float scale, bool scaled, bool accumulate)
{
    vfloat s = vec_set1(scale);
    for (size_t i = 0; i < n; i += VEC_WIDTH) {
        size_t count = n - i < VEC_WIDTH ? n - i : VEC_WIDTH;
        vfloat v = vec_load_n(terms + i, count);
        if (scaled)
            v = vec_mul(v, s);
        if (accumulate)
            v = vec_add(vec_storage_load(dtype, dst, i, count), v);
        vec_storage_store_nearest(dtype, dst, i, v, count);
    }
}

/* Each dtype x scaled x accumulate its own loop (the flags constant in each). */
#define IO_STORE_FLAGS(dtype)                                                          \
    do {                                                                               \
        if (scaled && accumulate)                                                      \
            store_loop(dtype, dst, terms, n, scale, true, true);                       \
        else if (scaled)                                                               \
            store_loop(dtype, dst, terms, n, scale, true, false);                      \
        else if (accumulate)                                                           \
            store_loop(dtype, dst, terms, n, scale, false, true);                      \
        else                                                                           \
            store_loop(dtype, dst, terms, n, scale, false, false);                     \
    } while (0)

void KERNEL_NAME(io_store_grad)(lossopt_dtype dtype, void *dst, const float *terms, size_t n,
                                float scale, bool scaled, bool accumulate)
{
    switch (dtype) {
    case LOSSOPT_BF16: IO_STORE_FLAGS(LOSSOPT_BF16); break;
    case LOSSOPT_F16: IO_STORE_FLAGS(LOSSOPT_F16); break;
    default: IO_STORE_FLAGS(LOSSOPT_F32); break;
    }
}
