/* tests/reference_reader.h - reading the PyTorch reference files of the parity tests. */
/*
 * The reference files (the .txt files of tests/reference, made by the generators in
 * tests/reference/) are line-based text: blank lines and '#' comments are
 * skipped, words are separated by spaces or tabs, floats are stored as their
 * bits in 8 hex digits and doubles in 16. Every error is reported through
 * test_check as "<path>:<line>: malformed reference file: <message>[: <detail>]"
 * and sets r->failed, so a missing, malformed or truncated file always fails
 * the test with a clear message.
 */
#ifndef LOSSOPT_TESTS_REFERENCE_READER_H
#define LOSSOPT_TESTS_REFERENCE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ref_reader {
    FILE *file;
    const char *path;
    long line_number;
    bool pushed_back; /* ref_next_line returns the current line again */
    bool failed;      /* a parse error was reported                   */
    char *line;       /* the caller's line buffer (large: make it static) */
    size_t capacity;  /* its size in bytes, at most INT_MAX          */
} ref_reader;

/* Opens path with the line buffer line[capacity]; on failure reports "cannot
 * open the reference data <path>: <reason>" and returns false. */
bool ref_open(ref_reader *r, const char *path, char *line, size_t capacity);
void ref_close(ref_reader *r);

/* Reports "<path>:<line>: malformed reference file: message[: detail]"; false. */
bool ref_error(ref_reader *r, const char *message, const char *detail);

/* The next line that is neither blank nor a '#' comment, without its newline;
 * NULL at end of file or on an over-long line or read error (r->failed is
 * then set). */
char *ref_next_line(ref_reader *r);

/* Splits off the next space-separated token (NUL-terminating it in place);
 * NULL when none is left. */
char *ref_next_token(char **cursor);

/* Word parsers: false (value untouched) on NULL or malformed text. */
bool ref_is_hex(const char *text, size_t digits);            /* exactly `digits` hex digits */
bool ref_parse_hex_float(const char *text, float *value);    /* 8 hex digits: the bits  */
bool ref_parse_hex_u64(const char *text, uint64_t *value);   /* 16 hex digits           */
bool ref_parse_hex_double(const char *text, double *value);  /* 16 hex digits: the bits */
bool ref_parse_long(const char *text, long min, long max, long *value); /* decimal in [min, max] */
/* text == yes: true; text == no: false; anything else (or NULL) fails. */
bool ref_parse_choice(const char *text, const char *yes, const char *no, bool *flag);

/* The first line must be exactly `magic`. */
bool ref_expect_first_line(ref_reader *r, const char *magic);

/* Reads the next line, which must start with the word keyword; returns the
 * cursor after it, or NULL after reporting the error (end of file included). */
char *ref_expect_line(ref_reader *r, const char *keyword);

/* Nothing may follow on the line ("too many values in <keyword>"). */
bool ref_expect_end_of_line(ref_reader *r, char **cursor, const char *keyword);

/* "<keyword> <count values>": floats (8 hex digits each) when floats is not
 * NULL, else doubles (16 each). */
bool ref_expect_values(ref_reader *r, const char *keyword, size_t count, float *floats,
                       double *doubles);

/* The next token must be "<name>=<value>"; returns value, or NULL after
 * reporting the error. */
const char *ref_expect_option(ref_reader *r, char **cursor, const char *name);

/* The next token must be "<name>=<yes>" (*flag = true) or "<name>=<no>"
 * (false); else reports "expected <no> or <yes> for <name>, got <value>". */
bool ref_expect_flag(ref_reader *r, char **cursor, const char *name, const char *yes,
                     const char *no, bool *flag);

/* The next line must be "<keyword> <integer in [min, max]>" and nothing else. */
bool ref_expect_count(ref_reader *r, const char *keyword, long min, long max, long *value);

/* After the case loop: fails unless the 'end' line was seen and nothing but
 * blank lines and comments follows it (and no error was reported before). */
bool ref_expect_clean_end(ref_reader *r, bool ended);

/* A file of cases: the first line magic, "cases <count>" (1 .. 10^6), one
 * "case ..." line per case, handed (cursor after the word "case") with its
 * index 0, 1, ... to read_case, which reads the rest of the case and checks it
 * (false after reporting an error stops the reading); then "end" and nothing
 * else. Prints "<name>: N cases parsed, header declares M" and checks N == M. */
typedef bool (*ref_case_reader)(ref_reader *r, char *cursor, long index, const void *context);
bool ref_read_case_file(ref_reader *r, const char *magic, const char *name,
                        ref_case_reader read_case, const void *context);

/* ---- bounds --------------------------------------------------------------------- */

/* The ulp at magnitude |m|, taken from the float at or below |m| so that
 * rounding m to float can never widen the bound (the largest float's ulp above
 * it). */
double ref_ulp_at(double m);

/* ---- the generators of make_torch_ce_reference.py and
 *      make_torch_soft_ce_margin_reference.py --------------------------------------- */

uint64_t ref_splitmix64_at(uint64_t seed, size_t i); /* output i + 1 of the stream */
uint32_t ref_float_bits(float x);
uint32_t ref_checksum32(const float *x, size_t n); /* the sum of the bit patterns, mod 2^32 */
void ref_generate_logits(uint64_t seed, double factor, float *x, size_t n);
void ref_generate_weights(uint64_t seed, float *w, size_t n);

/* Fails with "<what>: case <i>: checksum <ours>, file says <checksum>" unless
 * ref_checksum32(x, n) == checksum. */
bool ref_checksum_matches(ref_reader *r, int case_index, const char *what, const float *x,
                          size_t n, uint32_t checksum);

/* "<keyword> <seed> [<factor>] <checksum>": regenerates out[n] (logits with a
 * float64 factor, else class weights) and checks the checksum. */
bool ref_expect_generator(ref_reader *r, const char *keyword, int case_index, float *out,
                          size_t n, bool logits);

#endif
