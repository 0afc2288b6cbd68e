/* bench/stream.c - STREAM-like bandwidth reference for the benchmark, in the
 * same binary and run as the kernels. Compiled -O3 -march=native with
 * -fno-tree-loop-distribute-patterns so the copy stays a loop (not a call to
 * glibc memcpy, whose non-temporal stores would measure something else).
 * Bytes are counted as STREAM does: the write-allocate read of the
 * destination is not counted (copy 8, triad 12 bytes per float element).
 * Below them, the engine step's same-byte references (bf16 buffers and the
 * 16-bit/f32 mixes of the tensor-list step). */
#include <string.h>

#include "plain_loops.h"

void bench_stream_copy(float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = b[i];
}

void bench_stream_triad(float *a, const float *b, const float *c, float s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = b[i] + s * c[i];
}

/* ---- the engine step's references (bench_engine_step.cc) ------------------
 * Each moves the bytes of one tensor-list step configuration with its access
 * pattern: the buffers an update reads and writes in place are read and
 * written in place here, the gradient is only read, the bf16 param copy only
 * written (so its write-allocate traffic is the same as the step's), and
 * nothing is counted that the step does not move. The arithmetic is a token
 * add/scale so the loops stay pure bandwidth; bf16 values are widened
 * (bits << 16) and narrowed by truncation (bits >> 16), which vectorises to
 * shifts and packs. */
static inline float widen_bf16(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline uint16_t narrow_bf16(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return (uint16_t)(bits >> 16);
}

/* all-f32 Adam, 28 B/element: p, m, v read and written (24), g read (4).
 * The token arithmetic keeps Adam's domains (v > 0, |m| ~ |g|, p drifting by
 * 1e-4 g), so the references can run on the lossopt rows' buffers. */
void bench_stream_adam_f32(float *p, const float *g, float *m, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = g[i];
        p[i] = p[i] + 1e-4f * x;
        m[i] = 0.5f * m[i] + 0.5f * x;
        v[i] = 0.5f * v[i] + 0.5f * (x * x);
    }
}

/* bf16 grads + f32 master/states + bf16 copy, 28 B/element: p, m, v (f32)
 * read and written (24), g (bf16) read (2), copy (bf16) written (2). */
void bench_stream_adam_mixed(float *p, const uint16_t *g, float *m, float *v, uint16_t *copy,
                             size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = widen_bf16(g[i]);
        float q = p[i] + 1e-4f * x;
        p[i] = q;
        m[i] = 0.5f * m[i] + 0.5f * x;
        v[i] = 0.5f * v[i] + 0.5f * (x * x);
        copy[i] = narrow_bf16(q);
    }
}

/* all-bf16 Adam, 14 B/element: p, m, v (bf16) read and written (12), g
 * (bf16) read (2). */
void bench_stream_adam_bf16(uint16_t *p, const uint16_t *g, uint16_t *m, uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = widen_bf16(g[i]);
        p[i] = narrow_bf16(widen_bf16(p[i]) + 1e-4f * x);
        m[i] = narrow_bf16(0.5f * widen_bf16(m[i]) + 0.5f * x);
        v[i] = narrow_bf16(0.5f * widen_bf16(v[i]) + 0.5f * (x * x));
    }
}

/* Read-only streams (the statistics pass: grads read once): 4 B/element for
 * f32, 2 for bf16. Integer sums of the bit patterns, which vectorise without
 * reassociation flags; the result only keeps the loop alive. */
uint32_t bench_stream_read_f32(const float *g, size_t n)
{
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &g[i], sizeof bits);
        acc += bits;
    }
    return acc;
}

uint32_t bench_stream_read_bf16(const uint16_t *g, size_t n)
{
    uint16_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc = (uint16_t)(acc + g[i]);
    return acc;
}
