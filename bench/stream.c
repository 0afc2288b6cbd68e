/* bench/stream.c - STREAM-like bandwidth reference for the benchmark, in the
 * same binary and run as the kernels. Compiled -O3 -march=native with
 * -fno-tree-loop-distribute-patterns so the copy stays a loop (not a call to
 * glibc memcpy, whose non-temporal stores would measure something else).
 * Bytes are counted as STREAM does: the write-allocate read of the
 * destination is not counted (copy 8, triad 12 bytes per float element). */
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
