/* tests/reference_reader.c - reading the PyTorch reference files of the parity tests. */
#include "reference_reader.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

bool ref_open(ref_reader *r, const char *path, char *line, size_t capacity)
{
    r->path = path;
    r->line_number = 0;
    r->pushed_back = false;
    r->failed = false;
    r->line = line;
    r->capacity = capacity;
    r->file = fopen(path, "r");
    return test_check(r->file != NULL, "cannot open the reference data %s: %s", path,
                      strerror(errno));
}

void ref_close(ref_reader *r)
{
    if (r->file != NULL)
        fclose(r->file);
    r->file = NULL;
}

bool ref_error(ref_reader *r, const char *message, const char *detail)
{
    r->failed = true;
    test_check(false, "%s:%ld: malformed reference file: %s%s%s", r->path, r->line_number,
               message, detail ? ": " : "", detail ? detail : "");
    return false;
}

char *ref_next_line(ref_reader *r)
{
    if (r->pushed_back) {
        r->pushed_back = false;
        return r->line;
    }
    while (fgets(r->line, (int)r->capacity, r->file) != NULL) {
        r->line_number++;
        size_t length = strlen(r->line);
        if (length > 0 && r->line[length - 1] == '\n')
            r->line[--length] = '\0';
        else if (!feof(r->file)) {
            ref_error(r, "line too long", NULL);
            return NULL;
        }
        if (length > 0 && r->line[length - 1] == '\r')
            r->line[--length] = '\0';
        const char *first = r->line + strspn(r->line, " \t");
        if (*first != '\0' && *first != '#')
            return r->line;
    }
    if (ferror(r->file))
        ref_error(r, "read error", strerror(errno));
    return NULL;
}

char *ref_next_token(char **cursor)
{
    char *start = *cursor + strspn(*cursor, " \t");
    if (*start == '\0') {
        *cursor = start;
        return NULL;
    }
    char *end = start + strcspn(start, " \t");
    if (*end != '\0')
        *end++ = '\0';
    *cursor = end;
    return start;
}

bool ref_is_hex(const char *text, size_t digits)
{
    return text != NULL && strlen(text) == digits &&
           strspn(text, "0123456789abcdefABCDEF") == digits;
}

bool ref_parse_hex_float(const char *text, float *value)
{
    if (!ref_is_hex(text, 8))
        return false;
    uint32_t bits = (uint32_t)strtoul(text, NULL, 16);
    memcpy(value, &bits, sizeof *value);
    return true;
}

bool ref_parse_hex_u64(const char *text, uint64_t *value)
{
    if (!ref_is_hex(text, 16))
        return false;
    *value = (uint64_t)strtoull(text, NULL, 16);
    return true;
}

bool ref_parse_hex_double(const char *text, double *value)
{
    uint64_t bits;
    if (!ref_parse_hex_u64(text, &bits))
        return false;
    memcpy(value, &bits, sizeof *value);
    return true;
}

bool ref_parse_long(const char *text, long min, long max, long *value)
{
    if (text == NULL || *text == '\0')
        return false;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *value = v;
    return true;
}

bool ref_parse_choice(const char *text, const char *yes, const char *no, bool *flag)
{
    if (text == NULL)
        return false;
    if (strcmp(text, yes) == 0)
        *flag = true;
    else if (strcmp(text, no) == 0)
        *flag = false;
    else
        return false;
    return true;
}

bool ref_expect_first_line(ref_reader *r, const char *magic)
{
    char *line = ref_next_line(r);
    if (line == NULL || strcmp(line, magic) != 0)
        return r->failed ? false : ref_error(r, "expected the first line", magic);
    return true;
}

char *ref_expect_line(ref_reader *r, const char *keyword)
{
    char *line = ref_next_line(r);
    if (line == NULL) {
        if (!r->failed)
            ref_error(r, "unexpected end of file (truncated?), expected a line", keyword);
        return NULL;
    }
    char *cursor = line;
    const char *word = ref_next_token(&cursor);
    if (word == NULL || strcmp(word, keyword) != 0) {
        ref_error(r, "expected a line", keyword);
        return NULL;
    }
    return cursor;
}

bool ref_expect_end_of_line(ref_reader *r, char **cursor, const char *keyword)
{
    if (ref_next_token(cursor) != NULL)
        return ref_error(r, "too many values in", keyword);
    return true;
}

bool ref_expect_values(ref_reader *r, const char *keyword, size_t count, float *floats,
                       double *doubles)
{
    char *cursor = ref_expect_line(r, keyword);
    if (cursor == NULL)
        return false;
    for (size_t i = 0; i < count; i++) {
        const char *word = ref_next_token(&cursor);
        if (word == NULL)
            return ref_error(r, "too few values in", keyword);
        bool ok = floats ? ref_parse_hex_float(word, &floats[i])
                         : ref_parse_hex_double(word, &doubles[i]);
        if (!ok)
            return ref_error(r, floats ? "expected 8 hex digits, got"
                                       : "expected 16 hex digits, got", word);
    }
    return ref_expect_end_of_line(r, &cursor, keyword);
}

const char *ref_expect_option(ref_reader *r, char **cursor, const char *name)
{
    char *token = ref_next_token(cursor);
    size_t length = strlen(name);
    if (token == NULL || strncmp(token, name, length) != 0 || token[length] != '=') {
        ref_error(r, "expected the option", name);
        return NULL;
    }
    return token + length + 1;
}

bool ref_expect_flag(ref_reader *r, char **cursor, const char *name, const char *yes,
                     const char *no, bool *flag)
{
    const char *text = ref_expect_option(r, cursor, name);
    if (text == NULL)
        return false;
    if (ref_parse_choice(text, yes, no, flag))
        return true;
    char message[96];
    snprintf(message, sizeof message, "expected %s or %s for %s, got", no, yes, name);
    return ref_error(r, message, text);
}

bool ref_expect_count(ref_reader *r, const char *keyword, long min, long max, long *value)
{
    char *cursor = ref_expect_line(r, keyword);
    if (cursor == NULL)
        return false;
    if (!ref_parse_long(ref_next_token(&cursor), min, max, value) ||
        ref_next_token(&cursor) != NULL)
        return ref_error(r, "expected a line", keyword);
    return true;
}

bool ref_expect_clean_end(ref_reader *r, bool ended)
{
    if (r->failed)
        return false;
    if (!ended)
        return ref_error(r, "no 'end' line: the file is truncated", NULL);
    if (ref_next_line(r) != NULL || r->failed)
        return r->failed ? false : ref_error(r, "text after the 'end' line", NULL);
    return true;
}

bool ref_read_case_file(ref_reader *r, const char *magic, const char *name,
                        ref_case_reader read_case, const void *context)
{
    if (!ref_expect_first_line(r, magic))
        return false;
    char *cursor = ref_expect_line(r, "cases");
    long declared;
    if (cursor == NULL)
        return false;
    if (!ref_parse_long(ref_next_token(&cursor), 1, 1000000, &declared) ||
        ref_next_token(&cursor) != NULL)
        return ref_error(r, "expected 'cases <count>'", NULL);
    long cases = 0;
    bool ended = false;
    char *line;
    while ((line = ref_next_line(r)) != NULL) {
        cursor = line;
        const char *word = ref_next_token(&cursor);
        if (strcmp(word, "end") == 0 && ref_next_token(&cursor) == NULL) {
            ended = true;
            break;
        }
        if (strcmp(word, "case") != 0)
            return ref_error(r, "expected 'case' or 'end', got", word);
        if (!read_case(r, cursor, cases, context))
            return false;
        cases++;
    }
    if (!ref_expect_clean_end(r, ended))
        return false;
    printf("%s: %ld cases parsed, header declares %ld\n", name, cases, declared);
    return test_check(cases == declared, "%s: %ld cases parsed, header declares %ld (truncated "
                      "or edited file?)", r->path, cases, declared);
}

double ref_ulp_at(double m)
{
    m = fabs(m);
    if (m > 3.4028234663852886e38)
        return test_ulp_of(3.4028234663852886e38f);
    float f = (float)m;
    if ((double)f > m)
        f = nextafterf(f, 0.0f);
    return test_ulp_of(f);
}

uint64_t ref_splitmix64_at(uint64_t seed, size_t i)
{
    uint64_t z = seed + (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t ref_float_bits(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

uint32_t ref_checksum32(const float *x, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += ref_float_bits(x[i]);
    return sum;
}

void ref_generate_logits(uint64_t seed, double factor, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t z = ref_splitmix64_at(seed, i);
        int64_t k = (int64_t)(z & 0xffff) + (int64_t)((z >> 16) & 0xffff) +
                    (int64_t)((z >> 32) & 0xffff) + (int64_t)(z >> 48) - 131070;
        x[i] = (float)((double)k * factor);
    }
}

void ref_generate_weights(uint64_t seed, float *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t u = (ref_splitmix64_at(seed, i) & 0xffff) % 62259u;
        w[i] = (float)((double)(u + 3277u) / 32768.0);
    }
}

bool ref_checksum_matches(ref_reader *r, int case_index, const char *what, const float *x,
                          size_t n, uint32_t checksum)
{
    if (ref_checksum32(x, n) == checksum)
        return true;
    char detail[96];
    snprintf(detail, sizeof detail, "case %d: checksum %08x, file says %08x", case_index,
             (unsigned)ref_checksum32(x, n), (unsigned)checksum);
    return ref_error(r, what, detail);
}

bool ref_expect_generator(ref_reader *r, const char *keyword, int case_index, float *out,
                          size_t n, bool logits)
{
    char *cursor = ref_expect_line(r, keyword);
    if (cursor == NULL)
        return false;
    uint64_t seed;
    double factor = 0.0;
    const char *word = ref_next_token(&cursor);
    if (!ref_parse_hex_u64(word, &seed))
        return ref_error(r, "expected a 16-hex-digit seed in", keyword);
    if (logits && !ref_parse_hex_double(ref_next_token(&cursor), &factor))
        return ref_error(r, "expected a float64 factor in", keyword);
    word = ref_next_token(&cursor);
    if (!ref_is_hex(word, 8))
        return ref_error(r, "expected an 8-hex-digit checksum in", keyword);
    uint32_t checksum = (uint32_t)strtoul(word, NULL, 16);
    if (!ref_expect_end_of_line(r, &cursor, keyword))
        return false;
    if (logits)
        ref_generate_logits(seed, factor, out, n);
    else
        ref_generate_weights(seed, out, n);
    return ref_checksum_matches(r, case_index, logits
                                    ? "generated logits differ from the generator's"
                                    : "generated weights differ from the generator's",
                                out, n, checksum);
}
