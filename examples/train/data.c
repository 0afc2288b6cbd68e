/* data.c - PRNG and a strict text-table reader for the training demo. */
#define _POSIX_C_SOURCE 200809L
#include "train.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t rng_next(rng_t *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

float rng_uniform(rng_t *r) { return (float)(rng_next(r) >> 40) * 0x1p-24f; }

uint32_t rng_below(rng_t *r, uint32_t n) { return (uint32_t)((rng_next(r) >> 32) % n); }

void rng_shuffle(rng_t *r, int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(r, (uint32_t)i + 1);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

void table_free(table_t *t)
{
    free(t->v);
    t->v = NULL;
    t->rows = t->cols = 0;
}

int table_load(const char *path, int skip_lines, int rows, int cols, table_t *t, char *err,
               size_t errlen)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1024, n = 0;
    float *v = malloc(cap * sizeof *v);
    char *line = NULL;
    size_t linecap = 0;
    ssize_t len;
    int lineno = 0, got_rows = 0;
    if (!v) {
        snprintf(err, errlen, "%s: out of memory", path);
        fclose(f);
        return -1;
    }
    while ((len = getline(&line, &linecap, f)) >= 0) {
        lineno++;
        if (lineno <= skip_lines)
            continue;
        char *p = line;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p == '\0')
            continue; /* blank line */
        if (rows >= 0 && got_rows >= rows) {
            snprintf(err, errlen, "%s:%d: more than the expected %d data rows", path, lineno,
                     rows);
            goto fail;
        }
        int fields = 0;
        for (;;) {
            while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
                p++;
            if (*p == '\0')
                break;
            char *end;
            errno = 0;
            double d = strtod(p, &end);
            if (end == p || !isfinite(d) || errno == ERANGE) {
                char tok[24];
                snprintf(tok, sizeof tok, "%.*s", (int)strcspn(p, ", \t\r\n"), p);
                snprintf(err, errlen, "%s:%d: field %d is not a finite number: \"%s\"", path,
                         lineno, fields + 1, tok);
                goto fail;
            }
            if (fields >= cols) {
                snprintf(err, errlen, "%s:%d: more than the expected %d fields", path, lineno,
                         cols);
                goto fail;
            }
            if (n == cap) {
                float *nv = realloc(v, 2 * cap * sizeof *v);
                if (!nv) {
                    snprintf(err, errlen, "%s: out of memory", path);
                    goto fail;
                }
                v = nv;
                cap *= 2;
            }
            v[n++] = (float)d;
            fields++;
            p = end;
            while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
                p++;
            if (*p == ',')
                p++;
        }
        if (fields != cols) {
            snprintf(err, errlen, "%s:%d: %d fields, expected %d", path, lineno, fields, cols);
            goto fail;
        }
        got_rows++;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        goto fail;
    }
    if ((rows >= 0 && got_rows != rows) || got_rows == 0) {
        snprintf(err, errlen, "%s: %d data rows, expected %d (truncated file?)", path, got_rows,
                 rows);
        goto fail;
    }
    free(line);
    fclose(f);
    t->rows = got_rows;
    t->cols = cols;
    t->v = v;
    return 0;
fail:
    free(line);
    free(v);
    fclose(f);
    return -1;
}
