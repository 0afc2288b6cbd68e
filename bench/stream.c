/* bench/stream.c - the same-run bandwidth references of the benchmark, in
 * the same binary and run as the kernels, compiled -O3 -march=native with
 * -fno-tree-loop-distribute-patterns (no loop becomes a glibc memcpy/memset,
 * whose non-temporal stores would measure something else).
 *
 * bench_stream_same_bytes: one routine family for every kernel's "own
 * stream": it moves the kernel's bytes with the kernel's access pattern -
 * the arrays an optimizer updates in place are read and written in place
 * (no write-allocate traffic), the gradient is only read, a loss's gradient
 * only written (its write-allocate read happens, as in the kernel, and is
 * not counted by either) - so "% of own stream" compares like with like.
 * (STREAM's triad, 12 B counted but 16 B moved with its write-allocate
 * read, let in-place kernels report 160-170 % of it.) Unrolled 4 x 32 bytes
 * per array and iteration with GCC vector extensions; the counts are
 * compile-time constants of each instantiation (stream_body is always
 * inlined into one function per supported combination).
 * Below it, the engine step's same-byte references (bf16 buffers and the
 * 16-bit/f32 mixes of the tensor-list step). */
#include <string.h>

#include "plain_loops.h"

typedef float stream_v8 __attribute__((vector_size(32)));

#define STREAM_MAX_RW 4
#define STREAM_MAX_R 2
#define STREAM_MAX_W 1

/* rw[k] = 0.5 rw[k] + 0.5 x, w[k] = 0.5 x, x = the sum of the r arrays:
 * values stay bounded whatever the buffers hold and however often it runs. */
static inline __attribute__((always_inline)) void
stream_body(float *const *rw_in, const int nrw, const float *const *r_in, const int nr,
            float *const *w_in, const int nw, size_t n)
{
    float *rw[STREAM_MAX_RW + 1];
    const float *r[STREAM_MAX_R + 1];
    float *w[STREAM_MAX_W + 1];
    for (int k = 0; k < nrw; k++)
        rw[k] = rw_in[k];
    for (int k = 0; k < nr; k++)
        r[k] = r_in[k];
    for (int k = 0; k < nw; k++)
        w[k] = w_in[k];
    const stream_v8 half = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const stream_v8 *s0 = (const stream_v8 *)(r[0] + i);
        stream_v8 x0 = s0[0], x1 = s0[1], x2 = s0[2], x3 = s0[3];
        for (int k = 1; k < nr; k++) {
            const stream_v8 *s = (const stream_v8 *)(r[k] + i);
            x0 += s[0];
            x1 += s[1];
            x2 += s[2];
            x3 += s[3];
        }
        x0 *= half;
        x1 *= half;
        x2 *= half;
        x3 *= half;
        for (int k = 0; k < nrw; k++) {
            stream_v8 *d = (stream_v8 *)(rw[k] + i);
            d[0] = d[0] * half + x0;
            d[1] = d[1] * half + x1;
            d[2] = d[2] * half + x2;
            d[3] = d[3] * half + x3;
        }
        for (int k = 0; k < nw; k++) {
            stream_v8 *d = (stream_v8 *)(w[k] + i);
            d[0] = x0;
            d[1] = x1;
            d[2] = x2;
            d[3] = x3;
        }
    }
    for (; i < n; i++) {
        float x = r[0][i];
        for (int k = 1; k < nr; k++)
            x += r[k][i];
        x *= 0.5f;
        for (int k = 0; k < nrw; k++)
            rw[k][i] = rw[k][i] * 0.5f + x;
        for (int k = 0; k < nw; k++)
            w[k][i] = x;
    }
}

#define STREAM_CASE(a, b, c)                                                              \
    case (a) * 100 + (b) * 10 + (c):                                                      \
        stream_body(rw, a, r, b, w, c, n);                                                \
        return 0;

int bench_stream_same_bytes(float *const *rw, int nrw, const float *const *r, int nr,
                            float *const *w, int nw, size_t n)
{
    switch (nrw * 100 + nr * 10 + nw) {
        STREAM_CASE(0, 1, 1)
        STREAM_CASE(0, 2, 1)
        STREAM_CASE(1, 1, 0)
        STREAM_CASE(1, 2, 0)
        STREAM_CASE(2, 1, 0)
        STREAM_CASE(2, 2, 0)
        STREAM_CASE(3, 1, 0)
        STREAM_CASE(3, 2, 0)
        STREAM_CASE(4, 1, 0)
        STREAM_CASE(4, 2, 0)
        STREAM_CASE(1, 1, 1)
        STREAM_CASE(1, 2, 1)
    default:
        return -1;
    }
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
