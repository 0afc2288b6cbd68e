/* tests/parity_common.c - the harness of the PyTorch parity tests (see
 * parity_common.h): one walk over the implementations, one set of buffers
 * and same-bits checks, one replay of optimizer steps and one reader and
 * checker of row-wise loss cases, so that a parity test only says what its
 * family's cases are and how close they must be. */
#include "parity_common.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the implementations ------------------------------------------------------ */

static const char *test_name = "parity";

const char *parity_name(void) { return test_name; }

size_t parity_entries(variant *out)
{
    /* Computed once: test_variants() reports a skipped variant, once is enough. */
    static variant entries[PARITY_MAX_ENTRIES];
    static size_t count;
    static char public_name[32];
    if (count == 0) {
        entries[count++] = (variant){false, test_oracle(), "scalar"};
        count += test_variants(entries + count);
        snprintf(public_name, sizeof public_name, "public(%s)",
                 lossopt_isa_name(lossopt_active_isa()));
        for (size_t e = 0; e < count; e++)
            if (entries[e].public_api)
                entries[e].name = public_name;
    }
    memcpy(out, entries, count * sizeof *out);
    return count;
}

static void free_buffers(void);

int parity_main(int argc, char **argv, const char *name, const char *file, size_t line_capacity,
                bool (*check_file)(ref_reader *r), void (*report)(void))
{
    test_name = name;
    test_init(name);
    test_skip_unless_forced_isa_supported();
    if (argc < 2) {
        test_check(false, "usage: %s %s (the reference data is missing)", argv[0], file);
        return test_finish();
    }
    char *line = malloc(line_capacity);
    if (line == NULL) {
        printf("FAIL: out of memory\n");
        exit(1);
    }
    ref_reader r;
    bool ok = ref_open(&r, argv[1], line, line_capacity);
    if (ok) {
        ok = check_file(&r) && !r.failed;
        ref_close(&r);
    }
    variant entries[PARITY_MAX_ENTRIES];
    size_t count = parity_entries(entries);
    printf("%s: entries checked:", name);
    for (size_t e = 0; e < count; e++)
        printf(" %s", entries[e].name);
    printf("\n");
    if (ok && report != NULL)
        report();
    free(line);
    free_buffers();
    return test_finish();
}

/* ---- buffers ---------------------------------------------------------------------- */

void parity_poison(float *p, size_t n)
{
    const uint32_t bits = 0x7fa5a5a5u;
    for (size_t i = 0; i < n; i++)
        memcpy(&p[i], &bits, sizeof bits);
}

static struct staged_input {
    float *guarded; /* ends at a guard page */
    size_t capacity; /* floats */
    const void *source;
    const void *copy;
    size_t bytes;
    bool live;
} inputs[PARITY_MAX_INPUTS];

void *parity_stage_input(int slot, const void *data, size_t bytes)
{
    struct staged_input *s = &inputs[slot];
    size_t floats = (bytes + sizeof(float) - 1) / sizeof(float);
    if (s->guarded == NULL || s->capacity < floats) {
        test_guarded_free(s->guarded);
        s->capacity = floats > 0 ? floats : 1;
        s->guarded = test_guarded_alloc(s->capacity);
    }
    unsigned char *copy = (unsigned char *)(s->guarded + s->capacity) - bytes;
    if (bytes > 0)
        memcpy(copy, data, bytes);
    *s = (struct staged_input){s->guarded, s->capacity, data, copy, bytes, true};
    return copy;
}

void parity_check_inputs(const char *what)
{
    bool untouched = true;
    for (int i = 0; i < PARITY_MAX_INPUTS; i++) {
        if (inputs[i].live && inputs[i].bytes > 0)
            untouched &= memcmp(inputs[i].copy, inputs[i].source, inputs[i].bytes) == 0;
        inputs[i].live = false;
    }
    test_check(untouched, "%s: an input buffer was written", what);
}

void parity_check_same_bits(const char *prefix, const char *array, const float *ours,
                            const float *oracle, size_t count)
{
    size_t i = test_first_difference(ours, oracle, count);
    test_check(i == count, "%s: %s[%zu] = %a differs from the scalar oracle's %a", prefix, array,
               i, i < count ? (double)ours[i] : 0.0, i < count ? (double)oracle[i] : 0.0);
}

/* The loss and gradient outputs (guard pages) and the oracle's, per reduction. */
static struct outputs {
    float *loss, *grad;
    size_t loss_capacity, grad_capacity;
    float *oracle_loss[PARITY_REDUCTIONS], *oracle_grad[PARITY_REDUCTIONS];
} out;

static float *allocate_floats(size_t n)
{
    float *p = calloc(n > 0 ? n : 1, sizeof(float));
    if (p == NULL) {
        printf("FAIL: out of memory\n");
        exit(1);
    }
    return p;
}

static void free_outputs(void)
{
    test_guarded_free(out.loss);
    test_guarded_free(out.grad);
    for (int r = 0; r < PARITY_REDUCTIONS; r++) {
        free(out.oracle_loss[r]);
        free(out.oracle_grad[r]);
    }
    memset(&out, 0, sizeof out);
}

static void ensure_outputs(size_t loss_capacity, size_t grad_capacity)
{
    if (out.loss != NULL && out.loss_capacity >= loss_capacity &&
        out.grad_capacity >= grad_capacity)
        return;
    free_outputs();
    out.loss_capacity = loss_capacity;
    out.grad_capacity = grad_capacity;
    out.loss = test_guarded_alloc(loss_capacity);
    out.grad = test_guarded_alloc(grad_capacity);
    for (int r = 0; r < PARITY_REDUCTIONS; r++) {
        out.oracle_loss[r] = allocate_floats(loss_capacity);
        out.oracle_grad[r] = allocate_floats(grad_capacity);
    }
}

static void free_buffers(void)
{
    free_outputs();
    for (int i = 0; i < PARITY_MAX_INPUTS; i++)
        test_guarded_free(inputs[i].guarded);
    memset(inputs, 0, sizeof inputs);
}

/* ---- errors ------------------------------------------------------------------------ */

void parity_note(parity_worst *w, double ratio, double measure, const char *fmt, ...)
{
    if (w->seen && !(ratio > w->ratio))
        return;
    w->seen = true;
    w->ratio = ratio;
    w->measure = measure;
    va_list args;
    va_start(args, fmt);
    vsnprintf(w->where, sizeof w->where, fmt, args);
    va_end(args);
}

void parity_print_worst(const char *indent, const char *label, const parity_worst *w,
                        const char *unit)
{
    if (!w->seen)
        printf("%s%-36s (none)\n", indent, label);
    else
        printf("%s%-36s %.3g %s, %.3f of bound, at %s\n", indent, label, w->measure, unit,
               w->ratio, w->where);
}

double parity_ratio(double error, double allowed)
{
    if (allowed > 0.0)
        return error / allowed;
    return error > 0.0 ? INFINITY : 0.0;
}

double parity_error(double ours, double expected)
{
    return isnan(ours) ? INFINITY : fabs(ours - expected);
}

bool parity_special_ok(double ours, double expected, bool *finite)
{
    *finite = false;
    if (isnan(expected))
        return isnan(ours);
    if (isinf(expected))
        return ours == expected;
    if (!isfinite(ours))
        return false;
    *finite = true;
    return true;
}

/* ---- losses: every entry, every reduction ------------------------------------- */

const char *const parity_reduction_names[PARITY_REDUCTIONS] = {"none", "mean", "sum"};
const lossopt_reduction parity_reductions[PARITY_REDUCTIONS] = {LOSSOPT_NONE, LOSSOPT_MEAN,
                                                                LOSSOPT_SUM};

void parity_run_loss_case(const parity_loss_family *f, const void *c, size_t none_count,
                          size_t n)
{
    ensure_outputs(f->max_loss, f->max_grad);
    char what[160];
    f->describe(c, what, sizeof what);
    variant entries[PARITY_MAX_ENTRIES];
    size_t count = parity_entries(entries);
    float *grad = out.grad + (out.grad_capacity - n);
    for (size_t e = 0; e < count; e++) {
        const variant *v = &entries[e];
        for (int reduction = 0; reduction < PARITY_REDUCTIONS; reduction++) {
            size_t loss_count = reduction == PARITY_NONE ? none_count : 1;
            float *loss = out.loss + (out.loss_capacity - loss_count);
            float *oracle_loss = out.oracle_loss[reduction];
            float *oracle_grad = out.oracle_grad[reduction];
            char prefix[256];
            snprintf(prefix, sizeof prefix, "%s %s %s", what, parity_reduction_names[reduction],
                     v->name);
            parity_poison(loss, loss_count);
            parity_poison(grad, n);
            lossopt_status status = f->run(v, c, reduction, loss, grad);
            if (!test_check(status == LOSSOPT_OK, "%s: status %s", prefix,
                            lossopt_status_string(status)))
                continue;
            f->check(c, reduction, loss, grad, what, v->name);
            if (e == 0) { /* the oracle */
                memcpy(oracle_loss, loss, loss_count * sizeof(float));
                memcpy(oracle_grad, grad, n * sizeof(float));
            } else {
                parity_check_same_bits(prefix, "loss", loss, oracle_loss, loss_count);
                parity_check_same_bits(prefix, "grad", grad, oracle_grad, n);
            }
            /* The loss only, then the gradient only: the same bits in each output. */
            parity_poison(loss, loss_count);
            status = f->run(v, c, reduction, loss, NULL);
            if (test_check(status == LOSSOPT_OK, "%s loss only: status %s", prefix,
                           lossopt_status_string(status)))
                parity_check_same_bits(prefix, "loss (loss only)", loss, oracle_loss, loss_count);
            parity_poison(grad, n);
            status = f->run(v, c, reduction, NULL, grad);
            if (test_check(status == LOSSOPT_OK, "%s grad only: status %s", prefix,
                           lossopt_status_string(status)))
                parity_check_same_bits(prefix, "grad (grad only)", grad, oracle_grad, n);
        }
    }
}

/* ---- optimizers: recorded steps ------------------------------------------------- */

bool parity_parse_options(ref_reader *r, char *cursor, parity_option *options, size_t count)
{
    char *token;
    while ((token = ref_next_token(&cursor)) != NULL) {
        char *equals = strchr(token, '=');
        if (equals == NULL)
            return ref_error(r, "expected name=value", token);
        *equals = '\0';
        const char *value = equals + 1;
        parity_option *o = NULL;
        for (size_t i = 0; i < count; i++)
            if (strcmp(options[i].name, token) == 0)
                o = &options[i];
        if (o == NULL)
            return ref_error(r, "unknown option", token);
        if (o->seen)
            return ref_error(r, "repeated option", token);
        o->seen = true;
        if (o->real != NULL && !ref_parse_hex_double(value, o->real))
            return ref_error(r, "expected 16 hex digits for", token);
        if (o->flag != NULL && !ref_parse_choice(value, "1", "0", o->flag))
            return ref_error(r, "expected 0 or 1 for", token);
    }
    for (size_t i = 0; i < count; i++)
        if (!options[i].seen)
            return ref_error(r, "missing option", options[i].name);
    return true;
}

#define BIT(b) (1u << (b))

typedef struct step_state {
    parity_optimizer *optimizer;
    const void *config;
    int index;
    unsigned used;
    size_t n;
    float *before[PARITY_MAX_BUFFERS]; /* torch's state before the step (the file)   */
    float *after[PARITY_MAX_BUFFERS];  /* torch's state after the step (the file)    */
    float *oracle[PARITY_MAX_BUFFERS]; /* the scalar oracle's outputs of this step   */
    double *magnitude[PARITY_MAX_BUFFERS]; /* operand magnitude per output element  */
    float *work[PARITY_MAX_BUFFERS];   /* guard-page outputs the kernels update     */
} step_state;

/* One output buffer of one entry's step against torch: one check. */
static void compare_step_with_torch(const step_state *s, int b, int64_t step, const char *entry,
                                    double tolerance_ulp)
{
    const char *buffer = s->optimizer->buffers[b];
    size_t failures = 0, first = 0;
    double first_ulps = 0.0;
    for (size_t i = 0; i < s->n; i++) {
        float ours = s->work[b][i], torch = s->after[b][i];
        double ulps = fabs((double)ours - (double)torch) / ref_ulp_at(s->magnitude[b][i]);
        if (isnan(ours))
            ulps = INFINITY;
        parity_note(&s->optimizer->worst, ulps / tolerance_ulp, ulps,
                    "config %d step %lld %s[%zu] (%s)", s->index, (long long)step, buffer, i,
                    entry);
        if (!(ulps <= tolerance_ulp) && failures++ == 0) {
            first = i;
            first_ulps = ulps;
        }
    }
    if (failures == 0) {
        test_check(true, "");
        return;
    }
    size_t i = first;
    test_check(false,
               "config %d (%s) step %lld %s: %s[%zu] = %.9g (%08x), torch %.9g (%08x), "
               "before %.9g (%08x): %.2f ulp of operand magnitude %.9g > %.0f "
               "(%zu of %zu elements fail)",
               s->index, s->optimizer->name, (long long)step, entry, buffer, i,
               (double)s->work[b][i], (unsigned)ref_float_bits(s->work[b][i]),
               (double)s->after[b][i], (unsigned)ref_float_bits(s->after[b][i]),
               (double)s->before[b][i], (unsigned)ref_float_bits(s->before[b][i]), first_ulps,
               s->magnitude[b][i], tolerance_ulp, failures, s->n);
}

/* One recorded step on every entry, the oracle first. */
static void check_step(step_state *s, int64_t step, double tolerance_ulp)
{
    size_t n = s->n;
    s->optimizer->magnitudes(s->config, step, n, s->before, s->after, s->magnitude);
    variant entries[PARITY_MAX_ENTRIES];
    size_t count = parity_entries(entries);
    for (size_t e = 0; e < count; e++) {
        char prefix[160];
        snprintf(prefix, sizeof prefix, "config %d (%s) step %lld %s", s->index,
                 s->optimizer->name, (long long)step, entries[e].name);
        float *buffers[PARITY_MAX_BUFFERS] = {0};
        for (int b = 0; b < PARITY_MAX_BUFFERS; b++) {
            if (!(s->used & BIT(b)))
                continue;
            buffers[b] = b == 1 ? parity_stage_input(0, s->before[b], n * sizeof(float))
                                : s->work[b];
            if (b != 1)
                memcpy(buffers[b], s->before[b], n * sizeof(float));
        }
        lossopt_status status = s->optimizer->run(&entries[e], s->config, buffers, n, step);
        if (!test_check(status == LOSSOPT_OK, "%s: status %s", prefix,
                        lossopt_status_string(status)))
            continue;
        parity_check_inputs(prefix); /* the gradient */
        for (int b = 0; b < PARITY_MAX_BUFFERS; b++) {
            if (b == 1 || !(s->used & BIT(b)))
                continue;
            compare_step_with_torch(s, b, step, entries[e].name, tolerance_ulp);
            if (e == 0)
                memcpy(s->oracle[b], buffers[b], n * sizeof(float));
            else
                parity_check_same_bits(prefix, s->optimizer->buffers[b], buffers[b],
                                       s->oracle[b], n);
        }
    }
    s->optimizer->steps++;
}

/* Parses "<before|after> <buffer> <n hex words>" into values[buffer] (the
 * first word is already read); *buffer receives the index. */
static bool read_buffer_line(ref_reader *r, char *cursor, const step_state *s,
                             float *const values[], int *buffer)
{
    const char *name = ref_next_token(&cursor);
    if (name == NULL)
        return ref_error(r, "expected a buffer name", NULL);
    *buffer = -1;
    for (int b = 0; s->optimizer->buffers[b] != NULL; b++)
        if (strcmp(s->optimizer->buffers[b], name) == 0)
            *buffer = b;
    if (*buffer < 0)
        return ref_error(r, "unknown buffer", name);
    for (size_t i = 0; i < s->n; i++) {
        const char *word = ref_next_token(&cursor);
        if (word == NULL)
            return ref_error(r, "too few values for", name);
        if (!ref_parse_hex_float(word, &values[*buffer][i]))
            return ref_error(r, "expected 8 hex digits, got", word);
    }
    if (ref_next_token(&cursor) != NULL)
        return ref_error(r, "too many values for", name);
    return true;
}

/* Reads one step's before/after lines, checks that they are exactly what the
 * format requires, and runs the step. */
static bool read_and_check_step(ref_reader *r, step_state *s, long step, double tolerance_ulp)
{
    char *line = ref_next_line(r);
    if (line == NULL)
        return r->failed ? false : ref_error(r, "unexpected end of file in a configuration",
                                               NULL);
    char *cursor = line;
    const char *word = ref_next_token(&cursor);
    long k;
    if (strcmp(word, "step") != 0 || !ref_parse_long(ref_next_token(&cursor), 1, step, &k) ||
        k != step || ref_next_token(&cursor) != NULL) {
        char expected[32];
        snprintf(expected, sizeof expected, "step %ld", step);
        return ref_error(r, "expected", expected);
    }
    unsigned seen_before = 0, seen_after = 0;
    while ((line = ref_next_line(r)) != NULL) {
        /* Look at the first word without splitting the line, so that a line
         * of the next step or configuration can be pushed back intact. */
        cursor = line + strspn(line, " \t");
        size_t length = strcspn(cursor, " \t");
        bool is_before = length == 6 && strncmp(cursor, "before", 6) == 0;
        bool is_after = length == 5 && strncmp(cursor, "after", 5) == 0;
        if (!is_before && !is_after) {
            r->pushed_back = true;
            break;
        }
        ref_next_token(&cursor);
        int b = 0; /* set by read_buffer_line when it succeeds */
        if (!read_buffer_line(r, cursor, s, is_before ? s->before : s->after, &b))
            return false;
        unsigned *seen = is_before ? &seen_before : &seen_after;
        if (!(s->used & BIT(b)) || (is_after && b == 1))
            return ref_error(r, "buffer not used by this configuration",
                             s->optimizer->buffers[b]);
        if (*seen & BIT(b))
            return ref_error(r, "repeated buffer", s->optimizer->buffers[b]);
        *seen |= BIT(b);
    }
    if (r->failed)
        return false;
    /* Step 1 gives every buffer; later steps give the fresh gradient and
     * continue from the previous step's "after" state (already in before). */
    unsigned needed_before = step == 1 ? s->used : BIT(1);
    unsigned needed_after = s->used & ~BIT(1);
    for (int b = 0; s->optimizer->buffers[b] != NULL; b++) {
        if ((needed_before & BIT(b)) && !(seen_before & BIT(b)))
            return ref_error(r, "step lacks a 'before' line for", s->optimizer->buffers[b]);
        if ((needed_after & BIT(b)) && !(seen_after & BIT(b)))
            return ref_error(r, "step lacks an 'after' line for", s->optimizer->buffers[b]);
    }
    check_step(s, step, tolerance_ulp);
    for (int b = 0; b < PARITY_MAX_BUFFERS; b++)
        if (b != 1 && (s->used & BIT(b)))
            memcpy(s->before[b], s->after[b], s->n * sizeof(float));
    return true;
}

/* Parses "config <index> <optimizer> <options...>" (cursor after "config"). */
static bool read_config(ref_reader *r, char *cursor, parity_optimizer *optimizers, size_t count,
                        step_state *s)
{
    long index;
    if (!ref_parse_long(ref_next_token(&cursor), 0, 1000000, &index))
        return ref_error(r, "expected a configuration index", NULL);
    s->index = (int)index;
    const char *name = ref_next_token(&cursor);
    if (name == NULL)
        return ref_error(r, "expected an optimizer name", NULL);
    s->optimizer = NULL;
    for (size_t i = 0; i < count; i++)
        if (strcmp(optimizers[i].name, name) == 0)
            s->optimizer = &optimizers[i];
    if (s->optimizer == NULL)
        return ref_error(r, "unknown optimizer", name);
    s->config = s->optimizer->parse(r, cursor, &s->used);
    return s->config != NULL;
}

bool parity_replay_steps(ref_reader *r, const char *magic, parity_optimizer *optimizers,
                         size_t count, long max_n, double tolerance_ulp)
{
    long n, steps, declared_configs;
    if (!ref_expect_first_line(r, magic) ||
        !ref_expect_count(r, "n", 1, max_n, &n) ||
        !ref_expect_count(r, "steps", 1, 1000000, &steps) ||
        !ref_expect_count(r, "configs", 1, 1000000, &declared_configs))
        return false;
    step_state s = {.n = (size_t)n};
    for (int b = 0; b < PARITY_MAX_BUFFERS; b++) {
        s.before[b] = allocate_floats(s.n);
        s.after[b] = allocate_floats(s.n);
        s.oracle[b] = allocate_floats(s.n);
        s.magnitude[b] = calloc(s.n, sizeof(double));
        if (s.magnitude[b] == NULL) {
            printf("FAIL: out of memory\n");
            exit(1);
        }
        s.work[b] = test_guarded_alloc(s.n);
    }
    long configs = 0;
    bool ok = true, ended = false;
    char *line;
    while (ok && (line = ref_next_line(r)) != NULL) {
        char *cursor = line;
        const char *word = ref_next_token(&cursor);
        if (strcmp(word, "end") == 0 && ref_next_token(&cursor) == NULL) {
            ended = true;
            break;
        }
        if (strcmp(word, "config") != 0) {
            ok = ref_error(r, "expected 'config' or 'end', got", word);
            break;
        }
        if (!read_config(r, cursor, optimizers, count, &s)) {
            ok = false;
            break;
        }
        if (s.index != configs) {
            ok = ref_error(r, "configurations are not numbered in order", NULL);
            break;
        }
        for (int b = 0; b < PARITY_MAX_BUFFERS; b++)
            memset(s.before[b], 0, s.n * sizeof(float));
        for (long step = 1; ok && step <= steps; step++)
            ok = read_and_check_step(r, &s, step, tolerance_ulp);
        configs++;
    }
    if (ok && !r->failed)
        ok = ref_expect_clean_end(r, ended);
    if (ok) {
        char message[128];
        snprintf(message, sizeof message, "%ld configurations parsed, header declares %ld",
                 configs, declared_configs);
        ok = test_check(configs == declared_configs, "%s: %s", r->path, message);
        printf("%s: %s; %ld steps each, n = %ld\n", test_name, message, steps, n);
    }
    for (int b = 0; b < PARITY_MAX_BUFFERS; b++) {
        free(s.before[b]);
        free(s.after[b]);
        free(s.oracle[b]);
        free(s.magnitude[b]);
        test_guarded_free(s.work[b]);
    }
    return ok && !r->failed;
}

void parity_report_steps(const parity_optimizer *optimizers, size_t count, double tolerance_ulp)
{
    for (size_t i = 0; i < count; i++) {
        const parity_optimizer *o = &optimizers[i];
        printf("%s: %-7s %4ld steps, max error %.3f ulp of the operand magnitude (bound %.0f) "
               "at %s\n", test_name, o->name, o->steps, o->worst.measure, tolerance_ulp,
               o->worst.seen ? o->worst.where : "(none)");
    }
}

/* ---- row-wise losses ------------------------------------------------------------ */

#define ROW_ULPS 4.0
#define ROW_RELATIVE 1e-6
#define REDUCED_RELATIVE 1e-6
#define GRAD_ULPS 2.0
#define GRAD_FRACTION_OF_BOUND 0x1p-20
#define TORCH_RELATIVE 1e-5
#define TORCH_ABSOLUTE 1e-6

static struct rows_stats {
    parity_worst row, reduced, grad, torch_value, torch_grad;
    double max_row_ulps;
    long rows_over_4ulp, rows_checked, grads_checked, cases;
} rows_stats[PARITY_ROWS_MAX_KINDS];
static long nan_rows, inf_rows, ignored_rows, torch_nan_zero_log_zero;

bool parity_rows_read_shape(ref_reader *r, char **cursor, parity_rows_case *c,
                            const parity_rows_limits *limits)
{
    long rows, classes;
    const char *text;
    char message[64];
    if ((text = ref_expect_option(r, cursor, "rows")) == NULL)
        return false;
    snprintf(message, sizeof message, "rows must be in 1..%ld, got", limits->max_rows);
    if (!ref_parse_long(text, 1, limits->max_rows, &rows))
        return ref_error(r, message, text);
    if ((text = ref_expect_option(r, cursor, "classes")) == NULL)
        return false;
    snprintf(message, sizeof message, "classes must be in 1..%ld, got", limits->max_classes);
    if (!ref_parse_long(text, 1, limits->max_classes, &classes))
        return ref_error(r, message, text);
    snprintf(message, sizeof message, "rows * classes exceeds %ld", limits->max_elements);
    if (rows * classes > limits->max_elements)
        return ref_error(r, message, NULL);
    c->rows = (size_t)rows;
    c->classes = (size_t)classes;
    c->n = c->rows * c->classes;
    return ref_expect_flag(r, cursor, "weighted", "1", "0", &c->weighted);
}

bool parity_rows_read_logits_option(ref_reader *r, char **cursor, parity_rows_case *c)
{
    return ref_expect_flag(r, cursor, "logits", "gen", "hex", &c->generated);
}

bool parity_rows_read_grads_option(ref_reader *r, char **cursor, parity_rows_case *c)
{
    return ref_expect_flag(r, cursor, "grads", "sampled", "all", &c->sampled) &&
           (ref_next_token(cursor) == NULL ||
            ref_error(r, "unexpected text after the case's options", NULL));
}

static bool read_labels(ref_reader *r, parity_rows_case *c)
{
    char *cursor = ref_expect_line(r, "labels");
    if (cursor == NULL)
        return false;
    for (size_t i = 0; i < c->rows; i++) {
        long v;
        const char *word = ref_next_token(&cursor);
        if (word == NULL)
            return ref_error(r, "too few values in", "labels");
        if (!ref_parse_long(word, -1000000, (long)c->classes - 1, &v))
            return ref_error(r, "expected a label below classes, got", word);
        c->labels[i] = v;
    }
    return ref_expect_end_of_line(r, &cursor, "labels");
}

static bool read_patches(ref_reader *r, parity_rows_case *c)
{
    char *cursor = ref_expect_line(r, "logits_patch");
    if (cursor == NULL)
        return false;
    long count;
    if (!ref_parse_long(ref_next_token(&cursor), 0, (long)c->n, &count))
        return ref_error(r, "expected a patch count", NULL);
    for (long p = 0; p < count; p++) {
        char *word = ref_next_token(&cursor);
        char *colon = word ? strchr(word, ':') : NULL;
        long at;
        float value;
        if (colon == NULL)
            return ref_error(r, "expected <index>:<f32> in", "logits_patch");
        *colon = '\0';
        if (!ref_parse_long(word, 0, (long)c->n - 1, &at) ||
            !ref_parse_hex_float(colon + 1, &value))
            return ref_error(r, "bad <index>:<f32> in", "logits_patch");
        c->logits[at] = value;
    }
    return ref_expect_end_of_line(r, &cursor, "logits_patch");
}

bool parity_rows_read_inputs(ref_reader *r, parity_rows_case *c)
{
    if (c->has_labels && !read_labels(r, c))
        return false;
    if (c->weighted &&
        !(c->generated ? ref_expect_generator(r, "weight_gen", c->index, c->weight, c->classes,
                                              false)
                       : ref_expect_values(r, "weight", c->classes, c->weight, NULL)))
        return false;
    if (c->generated)
        return ref_expect_generator(r, "logits_gen", c->index, c->logits, c->n, true) &&
               read_patches(r, c);
    return ref_expect_values(r, "logits", c->n, c->logits, NULL);
}

static bool read_grad_index(ref_reader *r, parity_rows_case *c)
{
    if (!c->sampled) {
        c->k = c->n;
        for (size_t i = 0; i < c->n; i++)
            c->grad_index[i] = i;
        return true;
    }
    char *cursor = ref_expect_line(r, "grad_index");
    if (cursor == NULL)
        return false;
    long count;
    if (!ref_parse_long(ref_next_token(&cursor), 1, (long)c->n, &count))
        return ref_error(r, "expected an index count", NULL);
    c->k = (size_t)count;
    for (size_t i = 0; i < c->k; i++) {
        long at;
        if (!ref_parse_long(ref_next_token(&cursor), 0, (long)c->n - 1, &at) ||
            (i > 0 && (size_t)at <= c->grad_index[i - 1]))
            return ref_error(r, "expected increasing flat indices in", "grad_index");
        c->grad_index[i] = (size_t)at;
    }
    return ref_expect_end_of_line(r, &cursor, "grad_index");
}

bool parity_rows_read_results(ref_reader *r, parity_rows_case *c)
{
    if (!ref_expect_values(r, "torch_loss_none", c->rows, c->torch_loss_none, NULL) ||
        !ref_expect_values(r, "torch_loss_mean", 1, &c->torch_mean, NULL) ||
        !ref_expect_values(r, "torch_loss_sum", 1, &c->torch_sum, NULL) ||
        !ref_expect_values(r, "ref_loss", c->rows, NULL, c->ref_loss) ||
        !ref_expect_values(r, "ref_mean", 1, NULL, &c->ref_mean) ||
        !ref_expect_values(r, "ref_sum", 1, NULL, &c->ref_sum) ||
        !ref_expect_values(r, "ref_divisor", 1, NULL, &c->ref_divisor) ||
        !ref_expect_values(r, "ref_row_max", c->rows, NULL, c->ref_row_max))
        return false;
    if (!c->has_bound)
        memcpy(c->ref_row_bound, c->ref_row_max, c->rows * sizeof(double));
    else if (!ref_expect_values(r, "ref_row_bound", c->rows, NULL, c->ref_row_bound))
        return false;
    return read_grad_index(r, c) &&
           ref_expect_values(r, "torch_grad_sum", c->k, c->torch_grad_sum, NULL) &&
           ref_expect_values(r, "torch_grad_mean", c->k, c->torch_grad_mean, NULL) &&
           ref_expect_values(r, "ref_grad", c->k, NULL, c->ref_grad);
}

/* The file's own consistency: catches a corrupted or hand-edited file. */
static void check_rows_file(const parity_rows_case *c, const char *what)
{
    double divisor = 0.0, sum = 0.0, magnitude = 0.0;
    bool special = false;
    for (size_t r = 0; r < c->rows; r++) {
        if (!c->has_labels || c->labels[r] >= 0)
            divisor += c->weighted_divisor && c->weighted ? (double)c->weight[c->labels[r]] : 1.0;
        else
            test_check(c->ref_loss[r] == 0.0 && c->ref_row_max[r] == 0.0 &&
                           c->ref_row_bound[r] == 0.0 && c->torch_loss_none[r] == 0.0f,
                       "%s: ignored row %zu has a nonzero reference", what, r);
        special |= !isfinite(c->ref_loss[r]);
        sum += c->ref_loss[r];
        magnitude += fabs(c->ref_loss[r]);
        if (c->has_bound)
            test_check(isnan(c->ref_row_max[r]) ? isnan(c->ref_row_bound[r])
                                                : c->ref_row_bound[r] >= c->ref_row_max[r],
                       "%s: ref_row_bound[%zu] %.17g is below the row's max |grad| %.17g", what,
                       r, c->ref_row_bound[r], c->ref_row_max[r]);
    }
    test_check(divisor == c->ref_divisor, "%s: ref_divisor %.17g, the %s give %.17g", what,
               c->ref_divisor, c->has_labels ? "labels" : "rows", divisor);
    if (!special)
        test_check(fabs(sum - c->ref_sum) <= 1e-12 * magnitude,
                   "%s: ref_sum %.17g is not the sum of ref_loss (%.17g)", what, c->ref_sum, sum);
    if (c->sampled)
        return;
    for (size_t r = 0; r < c->rows; r++) {
        double largest = 0.0;
        bool nan = false;
        for (size_t j = 0; j < c->classes; j++) {
            double g = fabs(c->ref_grad[r * c->classes + j]);
            nan |= isnan(g);
            if (g > largest)
                largest = g;
        }
        test_check(nan ? isnan(c->ref_row_max[r]) : largest == c->ref_row_max[r],
                   "%s: ref_row_max[%zu] %.17g is not the row's max |ref_grad| %.17g", what, r,
                   c->ref_row_max[r], largest);
    }
}

void parity_rows_run_case(const parity_loss_family *f, parity_rows_case *c)
{
    char what[160];
    f->describe(c, what, sizeof what);
    check_rows_file(c, what);
    for (size_t r = 0; r < c->rows; r++) {
        nan_rows += isnan(c->ref_loss[r]);
        inf_rows += isinf(c->ref_loss[r]);
        ignored_rows += c->has_labels && c->labels[r] < 0;
    }
    c->staged_logits = parity_stage_input(1, c->logits, c->n * sizeof(float));
    c->staged_weight =
        c->weighted ? parity_stage_input(2, c->weight, c->classes * sizeof(float)) : NULL;
    c->staged_labels =
        c->has_labels ? parity_stage_input(3, c->labels, c->rows * sizeof(int64_t)) : NULL;
    parity_run_loss_case(f, c, c->rows, c->n);
    parity_check_inputs(what);
    rows_stats[c->kind].cases++;
}

/* PyTorch's value against ours, loosely; NaN in PyTorch where ours is finite
 * only at 0 log 0. */
static void check_torch_value(const parity_rows_case *c, int reduction, size_t row, double ours,
                              double torch, double ref, bool zero_log_zero, const char *what,
                              const char *entry)
{
    bool torch_finite;
    if (isnan(torch) && !isnan(ours) && zero_log_zero) {
        torch_nan_zero_log_zero++;
        return;
    }
    const char *reduction_name = parity_reduction_names[reduction];
    if (!test_check(parity_special_ok(ours, torch, &torch_finite),
                    "%s %s %s: row %zu: loss %.9g, PyTorch %.9g", what, reduction_name, entry,
                    row, ours, torch) ||
        !torch_finite)
        return;
    double error = fabs(ours - torch);
    double allowed = TORCH_RELATIVE * fmax(fabs(torch), fabs(ref)) + TORCH_ABSOLUTE;
    parity_note(&rows_stats[c->kind].torch_value, error / allowed,
                error / fmax(fabs(torch), 1e-300), "case %d %s row %zu (%s)", c->index,
                reduction_name, row, entry);
    test_check(error <= allowed,
               "%s %s %s: row %zu: loss %.9g, PyTorch %.9g: differs by more than 1e-5 relative "
               "+ 1e-6", what, reduction_name, entry, row, ours, torch);
}

static void check_row_losses(const parity_rows_case *c, const float *loss, const char *what,
                             const char *entry)
{
    struct rows_stats *s = &rows_stats[c->kind];
    for (size_t r = 0; r < c->rows; r++) {
        double ours = loss[r], ref = c->ref_loss[r];
        long long label = c->has_labels ? (long long)c->labels[r] : -1;
        bool finite;
        if (!parity_special_ok(ours, ref, &finite)) {
            test_check(false, "%s none %s: row %zu (label %lld): loss %.9g, float64 reference "
                       "%.17g", what, entry, r, label, ours, ref);
            continue;
        }
        check_torch_value(c, PARITY_NONE, r, ours, c->torch_loss_none[r], ref,
                          c->zero_log_zero[r], what, entry);
        if (!finite)
            continue;
        double error = fabs(ours - ref);
        double ulps = error / ref_ulp_at(ref);
        double allowed = fmax(ROW_ULPS * ref_ulp_at(ref), ROW_RELATIVE * fabs(ref));
        if (ref == 0.0)
            allowed = 0.0;
        parity_note(&s->row, parity_ratio(error, allowed), ulps, "case %d none row %zu (%s)",
                    c->index, r, entry);
        s->max_row_ulps = fmax(s->max_row_ulps, ulps);
        s->rows_over_4ulp += ulps > ROW_ULPS;
        s->rows_checked++;
        size_t y = label >= 0 ? (size_t)label : 0;
        test_check(error <= allowed,
                   "%s none %s: row %zu (label %lld, logit %.9g)%s: loss %.9g, float64 reference "
                   "%.17g: error %.3g (%.2f ulp) > max(4 ulp, 1e-6 relative)",
                   what, entry, r, label, (double)c->logits[r * c->classes + y],
                   c->zero_log_zero[r] ? " (0 log 0)" : "", ours, ref, error, ulps);
    }
}

static void check_reduced(const parity_rows_case *c, int reduction, float value,
                          const char *what, const char *entry)
{
    double ours = value;
    double ref = reduction == PARITY_MEAN ? c->ref_mean : c->ref_sum;
    double torch = reduction == PARITY_MEAN ? c->torch_mean : c->torch_sum;
    const char *reduction_name = parity_reduction_names[reduction];
    bool finite, zero_log_zero = false;
    if (!test_check(parity_special_ok(ours, ref, &finite),
                    "%s %s %s: loss %.9g, float64 reference %.17g", what, reduction_name, entry,
                    ours, ref))
        return;
    for (size_t r = 0; r < c->rows; r++)
        zero_log_zero |= c->zero_log_zero[r];
    check_torch_value(c, reduction, 0, ours, torch, ref, zero_log_zero, what, entry);
    if (!finite)
        return;
    double error = fabs(ours - ref);
    double relative = parity_ratio(error, fabs(ref));
    parity_note(&rows_stats[c->kind].reduced, relative / REDUCED_RELATIVE, relative,
                "case %d %s (%s)", c->index, reduction_name, entry);
    test_check(error <= REDUCED_RELATIVE * fabs(ref),
               "%s %s %s: loss %.9g, float64 reference %.17g: relative error %.3g > 1e-6", what,
               reduction_name, entry, ours, ref, relative);
}

static void check_gradient(const parity_rows_case *c, int reduction, const float *grad,
                           const char *what, const char *entry)
{
    struct rows_stats *s = &rows_stats[c->kind];
    const char *reduction_name = parity_reduction_names[reduction];
    /* Every row ignored (divisor 0): every entry is in an ignored row, whose
     * gradient is 0 for MEAN too (PyTorch's as well). */
    double scale =
        reduction == PARITY_MEAN && c->ref_divisor != 0.0 ? 1.0 / c->ref_divisor : 1.0;
    const float *torch = reduction == PARITY_MEAN ? c->torch_grad_mean : c->torch_grad_sum;
    /* PyTorch's largest |grad| per row over the stored entries */
    double torch_row_max[PARITY_ROWS_MAX_ROWS] = {0};
    for (size_t i = 0; i < c->k; i++) {
        size_t r = c->grad_index[i] / c->classes;
        double t = fabs((double)torch[i]);
        if (t > torch_row_max[r])
            torch_row_max[r] = t;
    }
    size_t failures = 0, torch_failures = 0;
    for (size_t i = 0; i < c->k; i++) {
        size_t at = c->grad_index[i], r = at / c->classes, j = at % c->classes;
        double ours = grad[at], ref = c->ref_grad[i] * scale;
        double bound = c->ref_row_bound[r] * scale;
        bool finite;
        if (!parity_special_ok(ours, ref, &finite)) {
            if (failures++ < 3)
                test_check(false, "%s %s %s: grad[row %zu][class %zu] = %.9g, float64 reference "
                           "%.17g", what, reduction_name, entry, r, j, ours, ref);
            continue;
        }
        bool torch_finite;
        if (!parity_special_ok(ours, torch[i], &torch_finite)) {
            if (torch_failures++ < 3)
                test_check(false, "%s %s %s: grad[row %zu][class %zu] = %.9g, PyTorch %.9g", what,
                           reduction_name, entry, r, j, ours, (double)torch[i]);
        } else if (torch_finite) {
            double g = fmax(torch_row_max[r], bound);
            double error = fabs(ours - torch[i]);
            double allowed = TORCH_RELATIVE * g + TORCH_ABSOLUTE;
            parity_note(&s->torch_grad, error / allowed, error / fmax(g, 1e-300),
                        "case %d %s row %zu class %zu (%s)", c->index, reduction_name, r, j,
                        entry);
            if (!(error <= allowed) && torch_failures++ < 3)
                test_check(false, "%s %s %s: grad[row %zu][class %zu] = %.9g, PyTorch %.9g: "
                           "differs by more than 1e-5 of the row's scale %.9g + 1e-6",
                           what, reduction_name, entry, r, j, ours, (double)torch[i], g);
        }
        if (!finite)
            continue;
        double error = fabs(ours - ref);
        double allowed = fmax(GRAD_ULPS * ref_ulp_at(ref), GRAD_FRACTION_OF_BOUND * bound);
        parity_note(&s->grad, parity_ratio(error, allowed), error / ref_ulp_at(ref),
                    "case %d %s row %zu class %zu (%s)", c->index, reduction_name, r, j, entry);
        s->grads_checked++;
        if (!(error <= allowed) && failures++ < 3)
            test_check(false, "%s %s %s: grad[row %zu][class %zu] = %.9g, float64 reference "
                       "%.17g: error %.3g > max(2 ulp, 2^-20 * %s %.9g) (label %lld, logit "
                       "%.9g)", what, reduction_name, entry, r, j, ours, ref, error,
                       c->bound_name, bound, c->has_labels ? (long long)c->labels[r] : -1LL,
                       (double)c->logits[at]);
    }
    test_check(failures == 0, "%s %s %s: %zu gradient entries off the float64 reference", what,
               reduction_name, entry, failures);
    test_check(torch_failures == 0, "%s %s %s: %zu gradient entries off PyTorch", what,
               reduction_name, entry, torch_failures);
}

void parity_rows_check(const void *c, int reduction, const float *loss, const float *grad,
                       const char *what, const char *entry)
{
    if (reduction == PARITY_NONE)
        check_row_losses(c, loss, what, entry);
    else
        check_reduced(c, reduction, loss[0], what, entry);
    check_gradient(c, reduction, grad, what, entry);
}

void parity_rows_report(const char *const *kind_names, int kinds)
{
    printf("%s: reference rows: %ld NaN, %ld +inf, %ld ignored; %ld PyTorch NaN results at "
           "0 log 0 where ours are finite (checked against the float64 reference instead)\n",
           test_name, nan_rows, inf_rows, ignored_rows, torch_nan_zero_log_zero);
    printf("%s: largest errors (\"of bound\" <= 1 passes):\n", test_name);
    for (int kind = 0; kind < kinds; kind++) {
        const struct rows_stats *s = &rows_stats[kind];
        printf("    %s: %ld cases, %ld row-loss and %ld gradient checks (per entry and "
               "reduction)\n", kind_names[kind], s->cases, s->rows_checked, s->grads_checked);
        parity_print_worst("      ", "row loss (4 ulp or 1e-6 rel):", &s->row, "ulp");
        printf("      %-36s max %.3f ulp; %ld row checks above 4 ulp\n", "", s->max_row_ulps,
               s->rows_over_4ulp);
        parity_print_worst("      ", "reduced loss (1e-6 relative):", &s->reduced, "relative");
        parity_print_worst("      ", "grad (2 ulp or 2^-20 B_r / D):", &s->grad, "ulp");
        parity_print_worst("      ", "vs PyTorch, loss (1e-5 + 1e-6):", &s->torch_value,
                           "relative");
        parity_print_worst("      ", "vs PyTorch, grad (1e-5 G + 1e-6):", &s->torch_grad,
                           "of row scale");
    }
}
