/* fuzz/fuzz_engine_step.c - differential libFuzzer target for the engine step
 * (include/lossopt.h, "The engine step (0.2)" and "More optimizers"): the
 * tensor-list lossopt_sgd_step / lossopt_rmsprop_step / lossopt_adam_step,
 * the 0.2 optimizers' lossopt_adagrad_step / _adamax_ / _nadam_ / _radam_ /
 * _lion_ / _lamb_step, and lossopt_grad_stats. The input picks the optimizer
 * and every config field (NAdam: mu_products NULL or, per tensor, 1, the
 * product a run holds before the tensor's step, 0, > 1, NaN, inf, raw bits),
 * the call's step, the options (loss_scale, grad_multiplier, max_grad_norm:
 * off, valid, boundary or invalid; skip_nonfinite; opt, precision and report
 * NULL), the dtypes of param/grad/state/param_copy and the rounding (values
 * outside their enums too), the stochastic-rounding seed, 0..6 tensors (or t
 * NULL) of 0..600 elements - now and then one of 60000..2^17+300 that crosses
 * the 65536-element task boundaries, or an n whose bytes overflow - and per
 * tensor its own step, sr_stream, sr_offset (near the 2^32 boundaries the
 * segments are cut at), NULL buffers, a param copy and the bits of each
 * buffer (16-bit ones as converted values or raw patterns; inf and NaN
 * optionally made finite, the grads apart from the other buffers).
 *
 * Each input runs the scalar oracle table, every other supported ISA's table,
 * the public API (routed to an ISA the input picks) and, once more, one of
 * them (the input picks) on a custom lossopt_parallel that runs the tasks in
 * reverse order; each run on fresh copies of the inputs, every buffer ending
 * at a guard page with a canary before it. It traps when:
 *   - a status differs from the oracle's, or is outside the enum;
 *   - on OK, a written buffer differs (f32: same bits or both NaN; bf16/f16:
 *     the same uint16 unless both are NaN), or the report differs (grad_norm
 *     bits or both NaN, nonfinite, skipped);
 *   - a failing call, or a skipped step, changed any byte of any tensor; a
 *     failing call wrote the report;
 *   - a grad, an unused state buffer (or anything before a buffer) changed;
 *   - NAdam's mu_products (their own guard page) differ bitwise from the
 *     oracle's on OK, or changed on a failing or skipped call;
 *   - the pool is handed another task count than the documented cut, or
 *     runs more than the two passes (LAMB: three, the statistics pass, its
 *     moments-and-norms pass and its update pass; none for a failing call:
 *     everything is validated before any pass);
 *   - lossopt_grad_stats (run after each step on the same tensors) differs
 *     from the oracle's, or writes on error.
 * and, on the oracle alone, on contract rules the harness can decide by
 * itself: the status class (NULL before SIZE before the harness-visible ARG
 * causes, the 0.2 optimizers' config rules and NAdam's mu_products in
 * [0, 1] among them), skipped / nonfinite / grad_norm NaN against the grads'
 * bits, grad_norm = sqrt(grad_stats sum) * grad_multiplier / loss_scale,
 * NAdam's mu_products[i] replaced by exactly mu_products[i] * mu_t of the
 * tensor's step, and an all-f32 step whose multiplier is exactly 1 == the
 * _f32 calls tensor by tensor (NAdam: the _f32 call's *mu_product too). */
#include "fuzz_common.h"

#include "scalar/storage16_scalar.h"

#define MAX_TENSORS 6
#define MAX_SMALL_N 600
#define TASK_ELEMENTS ((size_t)65536) /* the documented task cut */
#define MAX_N (2 * TASK_ELEMENTS + 320)
#define NBUF 6

enum { B_PARAM, B_GRAD, B_STATE0, B_STATE1, B_STATE2, B_COPY };
enum {
    OPT_SGD, OPT_RMSPROP, OPT_ADAM, /* the optimizer byte % OPT_COUNT: 0..2 as before */
    OPT_ADAGRAD, OPT_ADAMAX, OPT_NADAM, OPT_RADAM, OPT_LION, OPT_LAMB,
    OPT_COUNT
};
static const char *const opt_names[OPT_COUNT] = {"sgd", "rmsprop", "adam", "adagrad", "adamax",
                                                 "nadam", "radam", "lion", "lamb"};
static const char *const buf_names[OPT_COUNT][NBUF] = {
    {"param", "grad", "momentum_buf", "state1(unused)", "state2(unused)", "param_copy"},
    {"param", "grad", "square_avg", "grad_avg", "momentum_buf", "param_copy"},
    {"param", "grad", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "param_copy"},
    {"param", "grad", "sum", "state1(unused)", "state2(unused)", "param_copy"},
    {"param", "grad", "exp_avg", "exp_inf", "state2(unused)", "param_copy"},
    {"param", "grad", "exp_avg", "exp_avg_sq", "state2(unused)", "param_copy"},
    {"param", "grad", "exp_avg", "exp_avg_sq", "state2(unused)", "param_copy"},
    {"param", "grad", "exp_avg", "state1(unused)", "state2(unused)", "param_copy"},
    {"param", "grad", "exp_avg", "exp_avg_sq", "state2(unused)", "param_copy"},
};

/* ---- guard-page slots: one per (tensor, buffer) ------------------------------ */
/* fuzz_common.h's 8 slots of 64 KiB are too few and too small for a list of
 * tensors with a 2^17-element one; the same scheme, sized for this target. */

#define SLOT_BYTES (MAX_N * 4)

typedef struct slot {
    unsigned char *guard, *data;
    size_t bytes;
} slot;

static slot slots[MAX_TENSORS][NBUF];

static void slots_init(void)
{
    if (slots[0][0].guard) return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_bytes = (SLOT_BYTES + FUZZ_CANARY_BYTES + page - 1) / page * page + page;
    for (int i = 0; i < MAX_TENSORS; i++)
        for (int b = 0; b < NBUF; b++) {
            unsigned char *base = mmap(NULL, data_bytes + page, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (base == MAP_FAILED || mprotect(base + data_bytes, page, PROT_NONE) != 0) {
                fprintf(stderr, "fuzz: mmap/mprotect failed\n");
                abort();
            }
            slots[i][b].guard = base + data_bytes;
        }
}

/* bytes of src so that they end at the guard page, a canary run before them
 * (0 bytes: the pointer is the guard page itself, any access faults). */
static void *slot_place(int i, int b, const void *src, size_t bytes)
{
    slot *s = &slots[i][b];
    s->data = s->guard - bytes;
    s->bytes = bytes;
    memset(s->data - FUZZ_CANARY_BYTES, FUZZ_CANARY, FUZZ_CANARY_BYTES);
    if (bytes) memcpy(s->data, src, bytes);
    return s->data;
}

static void slot_check_canary(int i, int b, const char *what)
{
    const unsigned char *c = slots[i][b].data - FUZZ_CANARY_BYTES;
    for (unsigned k = 0; k < FUZZ_CANARY_BYTES; k++)
        if (c[k] != FUZZ_CANARY)
            fuzz_fail("tensor %d %s: byte %d before the buffer was written", i, what,
                      (int)k - (int)FUZZ_CANARY_BYTES);
}

/* NAdam's mu_products: up to MAX_TENSORS doubles ending at a guard page of
 * their own, a canary before them. */
static unsigned char *mu_guard;
static double *mu_data;

static void mu_slot_init(void)
{
    if (mu_guard) return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *base = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                               -1, 0);
    if (base == MAP_FAILED || mprotect(base + page, page, PROT_NONE) != 0) {
        fprintf(stderr, "fuzz: mmap/mprotect failed\n");
        abort();
    }
    mu_guard = base + page;
}

static double *mu_place(const double *src, size_t count)
{
    mu_data = (double *)(void *)(mu_guard - count * sizeof(double));
    memset((unsigned char *)mu_data - FUZZ_CANARY_BYTES, FUZZ_CANARY, FUZZ_CANARY_BYTES);
    if (count) memcpy(mu_data, src, count * sizeof(double));
    return mu_data;
}

static void mu_check_canary(void)
{
    const unsigned char *c = (const unsigned char *)mu_data - FUZZ_CANARY_BYTES;
    for (unsigned k = 0; k < FUZZ_CANARY_BYTES; k++)
        if (c[k] != FUZZ_CANARY)
            fuzz_fail("mu_products: byte %d before the array was written",
                      (int)k - (int)FUZZ_CANARY_BYTES);
}

/* ---- the decoded input ------------------------------------------------------- */

typedef struct tensor_case {
    size_t n;
    bool huge;          /* n * 4 overflows: no buffer behind the pointers */
    bool is_null[NBUF]; /* B_COPY: no param copy */
    int64_t step;
    uint64_t stream, offset;
    double mu_product; /* NAdam: its entry of mu_products */
} tensor_case;

static struct {
    int opt;
    bool cfg_null, t_null, opt_null, precision_null, report_null;
    lossopt_sgd_config sgd;
    lossopt_rmsprop_config rms;
    lossopt_adam_config adam;
    lossopt_adagrad_config adagrad;
    lossopt_adamax_config adamax;
    lossopt_nadam_config nadam;
    lossopt_radam_config radam;
    lossopt_lion_config lion;
    lossopt_lamb_config lamb;
    bool mu_null; /* NAdam: mu_products NULL */
    int64_t step;
    lossopt_step_options options;
    lossopt_precision precision;
    lossopt_precision layout; /* what the buffers hold: all f32 when precision is not passed */
    size_t count;
    tensor_case t[MAX_TENSORS];
    unsigned states_used;
    bool stats_pass;
    bool grads_bad;   /* some stored grad is inf or NaN */
    bool skip;        /* an OK call must skip: skip_nonfinite and grads_bad */
    lossopt_dtype stats_dtype; /* lossopt_grad_stats' grad argument */
    bool stats_sum_null, stats_nonfinite_null;
} in;

static unsigned char initial[MAX_TENSORS][NBUF][SLOT_BYTES];
static double mu_initial[MAX_TENSORS], mu_want[MAX_TENSORS];
static unsigned char want[MAX_TENSORS][NBUF][SLOT_BYTES];
static float scratch[MAX_N];

static bool dtype_valid(lossopt_dtype d) { return d == LOSSOPT_F32 || d == LOSSOPT_BF16 || d == LOSSOPT_F16; }

/* Bytes per element; an invalid dtype is laid out as 4 (the call fails). */
static size_t dtype_bytes(lossopt_dtype d) { return d == LOSSOPT_BF16 || d == LOSSOPT_F16 ? 2 : 4; }

static lossopt_dtype buffer_dtype(int b)
{
    return b == B_PARAM ? in.layout.param : b == B_GRAD ? in.layout.grad
         : b == B_COPY  ? in.layout.param_copy : in.layout.state;
}

static size_t buffer_bytes(int i, int b)
{
    return in.t[i].huge ? 0 : in.t[i].n * dtype_bytes(buffer_dtype(b));
}

static bool placed(int i, int b) { return !in.t_null && !in.t[i].is_null[b]; }

static float load_value(const unsigned char *buffer, lossopt_dtype d, size_t e)
{
    if (d == LOSSOPT_BF16 || d == LOSSOPT_F16) {
        uint16_t h;
        memcpy(&h, buffer + 2 * e, 2);
        return d == LOSSOPT_BF16 ? lossopt_bf16_to_f32(h) : lossopt_f16_to_f32(h);
    }
    float x;
    memcpy(&x, buffer + 4 * e, 4);
    return x;
}

/* ---- readers ----------------------------------------------------------------- */

static const int64_t step_table[] = {1, 2, 3, 4, 5, 10, 100, 1000, 1000000, 0, -1,
                                     INT64_MAX, INT64_MIN, INT64_MAX - 1, 2147483648LL,
                                     9007199254740993LL};
#define STEP_COUNT (sizeof step_table / sizeof step_table[0])

static int64_t rd_step(fuzz_reader *r)
{
    uint8_t sel = rd_u8(r);
    if (sel < 224) return step_table[sel % STEP_COUNT];
    return (int64_t)rd_u64(r);
}

/* loss_scale / grad_multiplier / max_grad_norm: mostly off (0), else a
 * valid value (dynamic loss scales, clip thresholds that clip and that do
 * not, factors whose ratio over- or underflows a float), sometimes invalid
 * (negative, NaN, inf; -0 is valid and counts as off) or any hyper value. */
static double rd_factor(fuzz_reader *r)
{
    static const double valid[] = {1.0, 1024.0, 65536.0, 0.5, 0.25, 2.0, 0x1p-24, 0x1p24,
                                   1e-6, 1e-30, 1e30, 1e300, 0x1p-1074, 3.0, 0.1, 1e-3};
    static const double invalid[] = {-1.0, NAN, INFINITY, -INFINITY, -0x1p-1074, -0.0};
    uint8_t sel = rd_u8(r);
    if (sel < 96) return 0.0;
    if (sel < 208) return valid[sel % (sizeof valid / sizeof valid[0])];
    if (sel < 224) return invalid[sel % (sizeof invalid / sizeof invalid[0])];
    return rd_hyper(r);
}

/* A dtype: mostly one of the three, sometimes outside the enum. */
static lossopt_dtype rd_dtype(fuzz_reader *r)
{
    uint8_t sel = rd_u8(r);
    if (sel < 250) return (lossopt_dtype)(sel % 3);
    return (lossopt_dtype)(sel == 255 ? (int32_t)rd_u32(r) : (int32_t)sel - 247);
}

static lossopt_rounding rd_rounding(fuzz_reader *r)
{
    uint8_t sel = rd_u8(r);
    if (sel < 250) return (lossopt_rounding)(sel & 1);
    return (lossopt_rounding)(sel == 255 ? (int32_t)rd_u32(r) : (int32_t)sel - 248);
}

/* A tensor's n: 0..600 mostly; top byte 0xFC..0xFE: one tensor per input of
 * 60000..2^17+300 (task runs that just fit or just do not, ranges of 65536,
 * a tail); 0xFF: n whose bytes overflow (no buffer). */
static void rd_size(fuzz_reader *r, tensor_case *tc, bool *big_used)
{
    static const size_t big[] = {60000, TASK_ELEMENTS - MAX_SMALL_N, TASK_ELEMENTS - 1,
                                 TASK_ELEMENTS, TASK_ELEMENTS + 1, TASK_ELEMENTS + 255,
                                 2 * TASK_ELEMENTS + 1, 2 * TASK_ELEMENTS + 300};
    uint16_t s = rd_u16(r);
    uint8_t top = (uint8_t)(s >> 8);
    if (top == 0xFF) {
        tc->huge = true;
        tc->n = SIZE_MAX / 4 + 1 + (s & 0x3F);
        if (s & 0x40) tc->n = SIZE_MAX - (s & 0x3F);
        if (s & 0x80) tc->n = SIZE_MAX / 2 + 1 + (s & 0x3F);
    } else if (top >= 0xFC && !*big_used) {
        *big_used = true;
        tc->n = big[s % (sizeof big / sizeof big[0])];
    } else {
        tc->n = s % (MAX_SMALL_N + 1);
    }
}

/* sr_offset near a 2^32 boundary (2^32, 2^33, 2^64 = 0, 2^64 - 2^32) so that
 * the stream index crosses it inside the tensor (or just at its ends). */
static uint64_t rd_offset(fuzz_reader *r, size_t n)
{
    static const uint64_t bases[] = {1ull << 32, 1ull << 33, 0, 0xFFFFFFFF00000000ull};
    uint8_t k = rd_u8(r);
    uint16_t d = rd_u16(r);
    return bases[k & 3] - (uint64_t)(d % ((n < 65536 ? n : 65536) + 2));
}

/* The bits of one buffer: rd_floats' modes; 16-bit buffers take the values
 * converted to nearest, or the high or low halves of the patterns (any bits).
 * finite: inf and NaN lose the top exponent bit (0x7FC00000 -> 1.5): most
 * modes put a special among 600 or 2^17 values, and one non-finite grad
 * makes the whole step NaN or skipped, so without this the clipping and
 * the finite sums of large inputs would hardly be reached. */
static void rd_buffer(fuzz_reader *r, unsigned char *dst, lossopt_dtype d, size_t n, bool finite)
{
    rd_floats(r, scratch, n);
    if (dtype_bytes(d) == 4) {
        for (size_t e = 0; e < n && finite; e++) {
            uint32_t bits = float_to_bits(scratch[e]);
            if ((bits & 0x7F800000u) == 0x7F800000u) scratch[e] = bits_to_float(bits & ~0x40000000u);
        }
        memcpy(dst, scratch, n * 4);
        return;
    }
    uint8_t how = rd_u8(r) % 3;
    uint16_t exponent = d == LOSSOPT_BF16 ? 0x7F80u : 0x7C00u;
    for (size_t e = 0; e < n; e++) {
        uint32_t bits = float_to_bits(scratch[e]);
        uint16_t h = how == 1 ? (uint16_t)(bits >> 16)
                   : how == 2 ? (uint16_t)bits
                   : d == LOSSOPT_BF16 ? lossopt_f32_to_bf16_nearest(scratch[e])
                                       : lossopt_f32_to_f16(scratch[e]);
        if (finite && (h & exponent) == exponent) h &= (uint16_t)~0x4000u;
        memcpy(dst + 2 * e, &h, 2);
    }
}

static void decode(const uint8_t *data, size_t size)
{
    fuzz_reader rd = {data, size, 0};
    memset(&in, 0, sizeof in);
    in.opt = rd_u8(&rd) % OPT_COUNT;
    uint8_t flags = rd_u8(&rd);
    uint8_t call = rd_u8(&rd);
    in.cfg_null = (flags & 0xF0) == 0xF0;         /* 1/16 */
    in.report_null = (call & 0x0E) == 0x0E;       /* 1/8 */
    in.opt_null = (call & 0x70) == 0x70;          /* 1/8 */
    in.precision_null = (call & 0x8E) == 0x80;    /* 1/16 */
    switch (in.opt) {
    case OPT_SGD:
        rd_sgd_config(&rd, flags, &in.sgd);
        in.states_used = in.sgd.momentum != 0.0 ? 1u : 0u;
        break;
    case OPT_RMSPROP:
        rd_rmsprop_config(&rd, flags, &in.rms);
        in.states_used = 1u | (in.rms.centered ? 2u : 0u) | (in.rms.momentum != 0.0 ? 4u : 0u);
        break;
    case OPT_ADAM:
        rd_adam_config(&rd, flags, &in.adam);
        in.states_used = 3u | (in.adam.amsgrad ? 4u : 0u);
        break;
    case OPT_ADAGRAD:
        rd_adagrad_config(&rd, flags, &in.adagrad);
        in.states_used = 1u;
        break;
    case OPT_ADAMAX:
        rd_adamax_config(&rd, flags, &in.adamax);
        in.states_used = 3u;
        break;
    case OPT_NADAM:
        rd_nadam_config(&rd, flags, &in.nadam);
        in.mu_null = rd_u8(&rd) >= 240; /* 1/16; each tensor's value follows its flags */
        in.states_used = 3u;
        break;
    case OPT_RADAM:
        rd_radam_config(&rd, flags, &in.radam);
        in.states_used = 3u;
        break;
    case OPT_LION:
        rd_lion_config(&rd, flags, &in.lion);
        in.states_used = 1u;
        break;
    default:
        rd_lamb_config(&rd, flags, &in.lamb);
        in.states_used = 3u;
        break;
    }
    /* every optimizer takes the call's step (RMSprop for the SR stream only) */
    in.step = rd_step(&rd);
    in.options.loss_scale = rd_factor(&rd);
    in.options.grad_multiplier = rd_factor(&rd);
    in.options.max_grad_norm = rd_factor(&rd);
    in.options.skip_nonfinite = call & 1;
    in.precision.param = rd_dtype(&rd);
    in.precision.grad = rd_dtype(&rd);
    in.precision.state = rd_dtype(&rd);
    in.precision.param_copy = rd_dtype(&rd);
    in.precision.rounding = rd_rounding(&rd);
    static const uint64_t seeds[] = {0, 1, 7, 2024, 0xFFFFFFFFull, 1ull << 32, UINT64_MAX,
                                     0x123456789ull};
    uint8_t seed_sel = rd_u8(&rd);
    in.precision.seed = seed_sel < 128 ? seeds[seed_sel % 8] : rd_u64(&rd);
    in.options.precision = in.precision_null ? NULL : &in.precision;
    if (!in.opt_null && !in.precision_null) in.layout = in.precision; /* else zero: all f32 */
    in.stats_pass = !in.opt_null && (in.options.max_grad_norm > 0.0 || in.options.skip_nonfinite);

    uint8_t stats_flags = rd_u8(&rd);
    in.stats_sum_null = stats_flags & 1;
    in.stats_nonfinite_null = stats_flags & 2;
    in.stats_dtype = (stats_flags & 0xF0) == 0xF0 ? (lossopt_dtype)((stats_flags & 0x0C) + 3)
                                                   : in.layout.grad;

    uint8_t finite = rd_u8(&rd); /* bit 0: every grad finite; bit 1: every other buffer */

    uint8_t count_sel = rd_u8(&rd);
    in.count = count_sel % (MAX_TENSORS + 1);
    in.t_null = (count_sel & 0xF8) == 0xF8;
    bool big_used = false;
    for (size_t i = 0; i < in.count; i++) {
        tensor_case *tc = &in.t[i];
        rd_size(&rd, tc, &big_used);
        uint8_t tf = rd_u8(&rd);
        tc->is_null[B_COPY] = !(tf & 1);
        switch ((tf >> 1) & 3) {
        case 1: tc->step = rd_step(&rd); break; /* 0, -1 and huge ones too */
        case 2: tc->step = in.step; break;       /* explicitly the call's */
        default: tc->step = 0; break;
        }
        switch ((tf >> 3) & 3) {
        case 1: tc->stream = rd_u8(&rd) % 8; break; /* may equal another's position */
        case 2: tc->stream = rd_u64(&rd); break;
        default: tc->stream = 0; break;
        }
        switch ((tf >> 5) & 3) {
        case 1: tc->offset = rd_offset(&rd, tc->huge ? 0 : tc->n); break;
        case 2: tc->offset = rd_u64(&rd); break;
        case 3: tc->offset = rd_u16(&rd); break;
        default: tc->offset = 0; break;
        }
        if (tf & 0x80) { /* NULL buffers (used ones: ERR_NULL; unused ones: fine) */
            uint8_t mask = rd_u8(&rd);
            for (int b = 0; b < NBUF; b++) tc->is_null[b] |= (mask >> b) & 1;
        }
        if (in.opt == OPT_NADAM)
            tc->mu_product = rd_mu_product(&rd, &in.nadam, tc->step != 0 ? tc->step : in.step);
        mu_initial[i] = tc->mu_product;
    }
    for (size_t i = 0; i < in.count && !in.t_null; i++)
        for (int b = 0; b < NBUF; b++)
            if (placed((int)i, b) && buffer_bytes((int)i, b))
                rd_buffer(&rd, initial[i][b], buffer_dtype(b), in.t[i].n,
                          (finite >> (b == B_GRAD ? 0 : 1)) & 1);
}

/* ---- what the harness knows on its own ----------------------------------------- */

/* The documented cut: a tensor of more than 65536 elements is one task per
 * 65536-element range; runs of consecutive smaller tensors of at most 65536
 * elements together are one task each. */
static size_t expected_tasks(void)
{
    size_t tasks = 0, i = 0;
    while (i < in.count) {
        if (in.t[i].n > TASK_ELEMENTS) {
            tasks += in.t[i].n / TASK_ELEMENTS + (in.t[i].n % TASK_ELEMENTS != 0);
            i++;
            continue;
        }
        size_t total = 0;
        while (i < in.count && in.t[i].n <= TASK_ELEMENTS && total + in.t[i].n <= TASK_ELEMENTS) {
            total += in.t[i].n;
            i++;
        }
        tasks++;
    }
    return tasks;
}

/* Some stored grad is inf or NaN (exponent bits all ones, per dtype). */
static bool grads_nonfinite(void)
{
    lossopt_dtype d = in.layout.grad;
    for (size_t i = 0; i < in.count; i++)
        for (size_t e = 0; e < in.t[i].n && !in.t[i].huge && !in.t[i].is_null[B_GRAD]; e++)
            if (!isfinite(load_value(initial[i][B_GRAD], d, e))) return true;
    return false;
}

/* The status class the contract fixes without the config's coefficients:
 * NULL, then SIZE, then the ARG causes the harness can see; -1 when the
 * config decides between OK and ARG. */
static int expected_class(void)
{
    bool null = in.cfg_null || (in.count > 0 && in.t_null) ||
                (in.opt == OPT_NADAM && in.count > 0 && in.mu_null);
    bool size = false;
    for (size_t i = 0; i < in.count && !in.t_null; i++) {
        const tensor_case *tc = &in.t[i];
        if (tc->n > 0 && (tc->is_null[B_PARAM] || tc->is_null[B_GRAD])) null = true;
        for (int k = 0; k < 3; k++)
            if (tc->n > 0 && ((in.states_used >> k) & 1) && tc->is_null[B_STATE0 + k]) null = true;
        /* the library bounds n by SIZE_MAX / 4 for every dtype (f32 buffers of
         * the tensor need it; no all-16-bit tensor that large fits anyway) */
        if (tc->n > SIZE_MAX / 4) size = true;
    }
    if (null) return LOSSOPT_ERR_NULL;
    if (size) return LOSSOPT_ERR_SIZE;
    bool arg = in.step < 1;
    for (size_t i = 0; i < in.count; i++) arg |= in.t[i].step < 0;
    /* the 0.2 optimizers' config rules, and NAdam's mu_products in (0, 1] */
    switch (in.opt) {
    case OPT_ADAGRAD: arg |= fuzz_adagrad_config_bad(&in.adagrad); break;
    case OPT_ADAMAX: arg |= fuzz_adamax_config_bad(&in.adamax); break;
    case OPT_NADAM:
        arg |= fuzz_nadam_config_bad(&in.nadam);
        for (size_t i = 0; i < in.count; i++) arg |= !fuzz_mu_product_valid(in.t[i].mu_product);
        break;
    case OPT_RADAM: arg |= fuzz_radam_config_bad(&in.radam); break;
    case OPT_LION: arg |= fuzz_lion_config_bad(&in.lion); break;
    case OPT_LAMB: arg |= fuzz_lamb_config_bad(&in.lamb); break;
    default: break;
    }
    if (!in.opt_null) {
        const lossopt_step_options *o = &in.options;
        arg |= !(isfinite(o->loss_scale) && o->loss_scale >= 0.0) ||
               !(isfinite(o->grad_multiplier) && o->grad_multiplier >= 0.0) ||
               !(isfinite(o->max_grad_norm) && o->max_grad_norm >= 0.0);
        if (!in.precision_null) {
            const lossopt_precision *p = &in.precision;
            arg |= !dtype_valid(p->param) || !dtype_valid(p->grad) || !dtype_valid(p->state) ||
                   !dtype_valid(p->param_copy) ||
                   (p->rounding != LOSSOPT_ROUND_NEAREST && p->rounding != LOSSOPT_ROUND_STOCHASTIC);
            /* stochastic rounding needs a bf16 store of param or a used state */
            arg |= p->rounding == LOSSOPT_ROUND_STOCHASTIC && p->param != LOSSOPT_BF16 &&
                   !(p->state == LOSSOPT_BF16 && in.states_used != 0);
        }
    }
    return arg ? LOSSOPT_ERR_ARG : -1;
}

/* For the 0.2 optimizers, once expected_class() leaves OK or ARG to the
 * config: whether every coefficient the header lists is a finite float for
 * the call's step and each tensor's own step (fuzz_common.h). 1 -> OK,
 * 0 -> ARG, -1 -> either: LAMB's lr that is no float, and a NAdam call
 * whose step no tensor takes, when its coefficients are finite floats for
 * mu_product 0 (the smallest of any valid product: what the library checks)
 * but not for 1 (the header does not say which product "the call's step"
 * means then). -1 for sgd/rmsprop/adam. */
static int expected_more_status(void)
{
    if (in.opt < OPT_ADAGRAD) return -1;
    static const void *const configs[] = {&in.adagrad, &in.adamax, &in.nadam,
                                          &in.radam,   &in.lion,   &in.lamb};
    int which = in.opt - OPT_ADAGRAD;
    const void *config = configs[which];
    bool nadam = in.opt == OPT_NADAM;
    int result = fuzz_more_coefficients_finite(which, config, in.step, nadam ? 0.0 : 1.0);
    if (result == 0) return 0;
    bool call_step_taken = false;
    for (size_t i = 0; i < in.count && !in.t_null; i++) {
        int64_t step = in.t[i].step != 0 ? in.t[i].step : in.step;
        call_step_taken |= step == in.step;
        int r = fuzz_more_coefficients_finite(which, config, step, nadam ? in.t[i].mu_product : 1.0);
        if (r == 0) return 0;
        if (r < 0) result = -1;
    }
    if (nadam && !call_step_taken && fuzz_more_coefficients_finite(which, config, in.step, 1.0) != 1)
        result = -1;
    return result;
}

static int expected_stats_class(void)
{
    bool null = in.count > 0 && in.t_null, size = false;
    for (size_t i = 0; i < in.count && !in.t_null; i++) {
        if (in.t[i].n > 0 && in.t[i].is_null[B_GRAD]) null = true;
        if (in.t[i].n > SIZE_MAX / 4) size = true;
    }
    return null ? LOSSOPT_ERR_NULL : size ? LOSSOPT_ERR_SIZE
         : !dtype_valid(in.stats_dtype) ? LOSSOPT_ERR_ARG : LOSSOPT_OK;
}

/* ---- the reverse-order pool ----------------------------------------------------- */

typedef struct reverse_pool {
    size_t tasks; /* what the documented cut gives */
    unsigned calls;
} reverse_pool;

static void run_reversed(void *pool, size_t task_count, lossopt_task_fn *fn, void *task_ctx)
{
    reverse_pool *p = pool;
    p->calls++;
    if (fn == NULL) fuzz_fail("pool: fn NULL");
    if (task_count != p->tasks)
        fuzz_fail("pool: %zu tasks, the documented cut gives %zu", task_count, p->tasks);
    for (size_t i = task_count; i-- > 0;) fn(task_ctx, i);
}

/* ---- statistics (FUZZ_STATS=1) ------------------------------------------------ */

static unsigned long stat_updates, stat_skipped, stat_stochastic, stat_16bit, stat_big,
    stat_pool_calls, stat_f32_equivalence, stat_opt_inputs[OPT_COUNT], stat_opt_updates[OPT_COUNT];

static void print_engine_stats(void)
{
    fprintf(stderr, "fuzz engine stats: updates=%lu skipped=%lu stochastic=%lu 16-bit=%lu "
                    "big-tensor=%lu pool-calls=%lu f32-equivalence=%lu\n",
            stat_updates, stat_skipped, stat_stochastic, stat_16bit, stat_big, stat_pool_calls,
            stat_f32_equivalence);
    fprintf(stderr, "fuzz engine stats per optimizer (updates / inputs):");
    for (int o = 0; o < OPT_COUNT; o++)
        fprintf(stderr, " %s %lu/%lu", opt_names[o], stat_opt_updates[o], stat_opt_inputs[o]);
    fputc('\n', stderr);
}

/* FUZZ_VERBOSE=1: one line per input with what it decoded to (to read a
 * reproducer). */
static void print_input(void)
{
    const lossopt_precision *p = &in.precision;
    fprintf(stderr, "input: %s%s step %" PRId64 " opt%s {ls %g gm %g max %g skip %d} precision%s "
                    "{%d %d %d %d round %d seed %#" PRIx64 "} report%s count %zu%s stats_dtype %d\n",
            opt_names[in.opt], in.cfg_null ? " (cfg NULL)" : in.mu_null ? " (mu_products NULL)" : "", in.step, in.opt_null ? " NULL" : "",
            in.options.loss_scale, in.options.grad_multiplier, in.options.max_grad_norm,
            in.options.skip_nonfinite, in.precision_null ? " NULL" : "", (int)p->param, (int)p->grad,
            (int)p->state, (int)p->param_copy, (int)p->rounding, p->seed,
            in.report_null ? " NULL" : "", in.count, in.t_null ? " (t NULL)" : "",
            (int)in.stats_dtype);
    for (size_t i = 0; i < in.count; i++) {
        const tensor_case *tc = &in.t[i];
        fprintf(stderr, "  tensor %zu: n %zu step %" PRId64 " stream %#" PRIx64 " offset %#" PRIx64,
                i, tc->n, tc->step, tc->stream, tc->offset);
        if (in.opt == OPT_NADAM) fprintf(stderr, " mu_product %a", tc->mu_product);
        fprintf(stderr, " NULL:");
        for (int b = 0; b < NBUF; b++)
            if (tc->is_null[b]) fprintf(stderr, " %s", buf_names[in.opt][b]);
        fputc('\n', stderr);
    }
}

/* ---- one run ----------------------------------------------------------------------- */

typedef struct run_result {
    lossopt_status status;
    lossopt_step_report report;
    lossopt_status stats_status;
    double sum;
    bool nonfinite;
} run_result;

static const lossopt_step_report report_sentinel = {-0x1.5p-7, true, true};

static lossopt_status call_step(const fuzz_impl *impl, lossopt_tensor *t, double *mu,
                                const lossopt_step_options *opt, lossopt_step_report *report)
{
    const lossopt_kernel_table *table = impl->table;
#define MORE_STEP(name, config)                                                                  \
    do {                                                                                         \
        const lossopt_##name##_config *cfg = in.cfg_null ? NULL : &in.config;                    \
        return table ? lossopt_##name##_step_with_table(table, cfg, t, in.count, in.step, opt,   \
                                                        report)                                  \
                     : lossopt_##name##_step(cfg, t, in.count, in.step, opt, report);            \
    } while (0)
    switch (in.opt) {
    case OPT_SGD: {
        const lossopt_sgd_config *cfg = in.cfg_null ? NULL : &in.sgd;
        return table ? lossopt_sgd_step_with_table(table, cfg, t, in.count, in.step, opt, report)
                     : lossopt_sgd_step(cfg, t, in.count, in.step, opt, report);
    }
    case OPT_RMSPROP: {
        const lossopt_rmsprop_config *cfg = in.cfg_null ? NULL : &in.rms;
        return table ? lossopt_rmsprop_step_with_table(table, cfg, t, in.count, in.step, opt, report)
                     : lossopt_rmsprop_step(cfg, t, in.count, in.step, opt, report);
    }
    case OPT_ADAM: {
        const lossopt_adam_config *cfg = in.cfg_null ? NULL : &in.adam;
        return table ? lossopt_adam_step_with_table(table, cfg, t, in.count, in.step, opt, report)
                     : lossopt_adam_step(cfg, t, in.count, in.step, opt, report);
    }
    case OPT_ADAGRAD: MORE_STEP(adagrad, adagrad);
    case OPT_ADAMAX: MORE_STEP(adamax, adamax);
    case OPT_NADAM: {
        const lossopt_nadam_config *cfg = in.cfg_null ? NULL : &in.nadam;
        return table ? lossopt_nadam_step_with_table(table, cfg, mu, t, in.count, in.step, opt,
                                                     report)
                     : lossopt_nadam_step(cfg, mu, t, in.count, in.step, opt, report);
    }
    case OPT_RADAM: MORE_STEP(radam, radam);
    case OPT_LION: MORE_STEP(lion, lion);
    default: MORE_STEP(lamb, lamb);
    }
#undef MORE_STEP
}

static bool same_element(const unsigned char *a, const unsigned char *b, lossopt_dtype d, size_t e)
{
    float x = load_value(a, d, e), y = load_value(b, d, e);
    if (isnan(x) && isnan(y)) return true;
    return memcmp(a + dtype_bytes(d) * e, b + dtype_bytes(d) * e, dtype_bytes(d)) == 0;
}

static void expect_same_buffer(int i, int b, const unsigned char *got, lossopt_dtype d,
                               const char *what)
{
    for (size_t e = 0; e < in.t[i].n; e++)
        if (!same_element(want[i][b], got, d, e)) {
            uint32_t wb = 0, gb = 0;
            memcpy(&wb, want[i][b] + dtype_bytes(d) * e, dtype_bytes(d));
            memcpy(&gb, got + dtype_bytes(d) * e, dtype_bytes(d));
            fuzz_fail("%s: tensor %d (n %zu) %s[%zu] (dtype %d): oracle %a (0x%" PRIx32
                      ") vs %a (0x%" PRIx32 ")",
                      what, i, in.t[i].n, buf_names[in.opt][b], e, (int)d,
                      (double)load_value(want[i][b], d, e), wb, (double)load_value(got, d, e), gb);
        }
}

static bool same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* The oracle's all-f32 step with a multiplier of exactly 1 == the _f32 call
 * of each tensor (include/lossopt.h: "an all-f32 call with no options gives
 * the same bits as the _f32 calls, tensor by tensor"). */
static void check_f32_equivalence(const fuzz_impl *oracle, const run_result *r)
{
    if (r->status != LOSSOPT_OK || r->report.skipped || in.t_null) return;
    const lossopt_precision *p = &in.layout;
    if (p->param != LOSSOPT_F32 || p->grad != LOSSOPT_F32 || p->state != LOSSOPT_F32 ||
        p->param_copy != LOSSOPT_F32)
        return;
    const lossopt_step_options *o = &in.options;
    double multiplier = 1.0, clip = 1.0;
    if (!in.opt_null) {
        multiplier = (o->grad_multiplier > 0.0 ? o->grad_multiplier : 1.0) /
                     (o->loss_scale > 0.0 ? o->loss_scale : 1.0);
        if (o->max_grad_norm > 0.0) {
            clip = o->max_grad_norm / (r->report.grad_norm + 1e-6);
            if (clip > 1.0) clip = 1.0;
        }
    }
    if ((float)(multiplier * clip) != 1.0f) return;
    stat_f32_equivalence++;
    for (int i = 0; i < (int)in.count; i++) {
        size_t n = in.t[i].n;
        if (n == 0) continue;
        /* the _f32 call on fresh guard-page copies of the same inputs */
        float *b[NBUF];
        for (int k = 0; k < B_COPY; k++)
            b[k] = in.t[i].is_null[k] ? NULL : slot_place(i, k, initial[i][k], n * 4);
        int64_t step = in.t[i].step != 0 ? in.t[i].step : in.step;
        double mu = in.t[i].mu_product;
        lossopt_status st;
        switch (in.opt) {
        case OPT_SGD:
            st = lossopt_sgd_step_f32_with_table(oracle->table, b[B_PARAM], b[B_GRAD], b[B_STATE0],
                                                 n, &in.sgd, step);
            break;
        case OPT_RMSPROP:
            st = lossopt_rmsprop_step_f32_with_table(oracle->table, b[B_PARAM], b[B_GRAD],
                                                     b[B_STATE0], b[B_STATE1], b[B_STATE2], n,
                                                     &in.rms);
            break;
        case OPT_ADAM:
            st = lossopt_adam_step_f32_with_table(oracle->table, b[B_PARAM], b[B_GRAD],
                                                  b[B_STATE0], b[B_STATE1], b[B_STATE2], n,
                                                  &in.adam, step);
            break;
        case OPT_ADAGRAD:
            st = lossopt_adagrad_step_f32_with_table(oracle->table, b[B_PARAM], b[B_GRAD],
                                                     b[B_STATE0], n, &in.adagrad, step);
            break;
        case OPT_ADAMAX:
            st = lossopt_adamax_step_f32_with_table(oracle->table, b[B_PARAM], b[B_GRAD],
                                                    b[B_STATE0], b[B_STATE1], n, &in.adamax, step);
            break;
        case OPT_NADAM:
            st = lossopt_nadam_step_f32_with_table(oracle->table, b[B_PARAM], b[B_GRAD],
                                                   b[B_STATE0], b[B_STATE1], &mu, n, &in.nadam,
                                                   step);
            break;
        case OPT_RADAM:
            st = lossopt_radam_step_f32_with_table(oracle->table, b[B_PARAM], b[B_GRAD],
                                                   b[B_STATE0], b[B_STATE1], n, &in.radam, step);
            break;
        case OPT_LION:
            st = lossopt_lion_step_f32_with_table(oracle->table, b[B_PARAM], b[B_GRAD],
                                                  b[B_STATE0], n, &in.lion, step);
            break;
        default:
            st = lossopt_lamb_step_f32_with_table(oracle->table, b[B_PARAM], b[B_GRAD],
                                                  b[B_STATE0], b[B_STATE1], n, &in.lamb, step);
            break;
        }
        if (st != LOSSOPT_OK)
            fuzz_fail("f32 equivalence: tensor %d: the list call is OK, the _f32 call %d", i, (int)st);
        if (in.opt == OPT_NADAM && !fuzz_identical_double(mu, mu_want[i]))
            fuzz_fail("f32 equivalence: tensor %d: *mu_product %a, the list call's %a (from %a)", i,
                      mu, mu_want[i], mu_initial[i]);
        for (int k = 0; k < B_COPY; k++) {
            if (!b[k]) continue;
            bool used = k == B_PARAM || (k != B_GRAD && ((in.states_used >> (k - B_STATE0)) & 1));
            if (used) expect_same_buffer(i, k, (const unsigned char *)b[k], LOSSOPT_F32,
                                         "the _f32 call vs the list call");
        }
        /* an f32 param copy is a copy of the updated param */
        if (!in.t[i].is_null[B_COPY])
            for (size_t e = 0; e < n; e++)
                if (!same_element(want[i][B_COPY], (const unsigned char *)b[B_PARAM], LOSSOPT_F32, e))
                    fuzz_fail("f32 equivalence: tensor %d param_copy[%zu] is not the param", i, e);
    }
}

static void run_one(const fuzz_impl *impl, bool reversed, uint8_t public_choice, bool is_oracle,
                    run_result *oracle_result)
{
    lossopt_tensor t[MAX_TENSORS];
    memset(t, 0, sizeof t);
    for (int i = 0; i < (int)in.count && !in.t_null; i++) {
        void *p[NBUF];
        for (int b = 0; b < NBUF; b++)
            p[b] = placed(i, b) ? slot_place(i, b, initial[i][b], buffer_bytes(i, b)) : NULL;
        t[i] = (lossopt_tensor){.param = p[B_PARAM], .grad = p[B_GRAD],
                                .state = {p[B_STATE0], p[B_STATE1], p[B_STATE2]},
                                .param_copy = p[B_COPY], .n = in.t[i].n, .step = in.t[i].step,
                                .sr_stream = in.t[i].stream, .sr_offset = in.t[i].offset};
    }
    reverse_pool pool = {expected_tasks(), 0};
    lossopt_parallel parallel = {run_reversed, &pool};
    lossopt_step_options options = in.options;
    options.parallel = reversed ? &parallel : NULL;
    if (impl->table == NULL) fuzz_select_public_isa(public_choice);
    double *mu = in.opt == OPT_NADAM && !in.mu_null ? mu_place(mu_initial, in.count) : NULL;

    run_result r;
    memset(&r, 0, sizeof r);
    r.report = report_sentinel;
    r.status = call_step(impl, in.t_null ? NULL : t, mu, in.opt_null ? NULL : &options,
                         in.report_null ? NULL : &r.report);
    unsigned step_calls = pool.calls;

    const char *opt = opt_names[in.opt];
    if (r.status != LOSSOPT_OK && (r.status < LOSSOPT_ERR_NULL || r.status > LOSSOPT_ERR_ISA))
        fuzz_fail("%s: status %d outside the enum", opt, (int)r.status);
    if (!is_oracle && r.status != oracle_result->status)
        fuzz_fail("%s count=%zu: status %d, oracle %d", opt, in.count, (int)r.status,
                  (int)oracle_result->status);
    /* known from the grads' bits even when the report is NULL (the oracle's
     * report is checked against it) */
    bool wrote = r.status == LOSSOPT_OK && !in.skip;
    if (r.status != LOSSOPT_OK && memcmp(&r.report, &report_sentinel, sizeof r.report) != 0)
        fuzz_fail("%s: a failing call (status %d) wrote the report", opt, (int)r.status);
    if (r.status == LOSSOPT_OK && !in.report_null && r.report.grad_norm < 0.0)
        fuzz_fail("%s: OK but the report was not written (grad_norm %a)", opt, r.report.grad_norm);
    if (r.status == LOSSOPT_OK && !in.report_null && !is_oracle) {
        const lossopt_step_report *w = &oracle_result->report;
        if (!same_double(w->grad_norm, r.report.grad_norm) || w->nonfinite != r.report.nonfinite ||
            w->skipped != r.report.skipped)
            fuzz_fail("%s: report {norm %a, nonfinite %d, skipped %d}, oracle {%a, %d, %d}", opt,
                      r.report.grad_norm, r.report.nonfinite, r.report.skipped, w->grad_norm,
                      w->nonfinite, w->skipped);
    }
    /* the statistics pass and the step; LAMB's step is two passes (moments
     * and norms, then the update: only the first reads the grads) */
    unsigned max_calls = in.opt == OPT_LAMB ? 3u : 2u;
    if (reversed && step_calls > (r.status == LOSSOPT_OK ? max_calls : 0u))
        fuzz_fail("%s: the pool ran %u passes (status %d)", opt, step_calls, (int)r.status);
    if (reversed && r.status == LOSSOPT_OK && in.skip && step_calls > 1)
        fuzz_fail("%s: a skipped step ran %u passes", opt, step_calls);

    if (mu) { /* NAdam's doubles: bit for bit; untouched by a failing or skipped call */
        mu_check_canary();
        for (size_t i = 0; i < in.count; i++) {
            if (!wrote && !fuzz_identical_double(mu[i], mu_initial[i]))
                fuzz_fail("%s (status %d, skipped %d): mu_products[%zu] changed from %a to %a", opt,
                          (int)r.status, in.skip, i, mu_initial[i], mu[i]);
            if (wrote && is_oracle) mu_want[i] = mu[i];
            if (wrote && !is_oracle && !fuzz_identical_double(mu[i], mu_want[i]))
                fuzz_fail("%s: mu_products[%zu] %a, oracle %a (from %a)", opt, i, mu[i], mu_want[i],
                          mu_initial[i]);
        }
    }
    for (int i = 0; i < (int)in.count && !in.t_null; i++)
        for (int b = 0; b < NBUF; b++) {
            if (!placed(i, b)) continue;
            const char *name = buf_names[in.opt][b];
            slot_check_canary(i, b, name);
            const unsigned char *got = slots[i][b].data;
            size_t bytes = buffer_bytes(i, b);
            char what[160];
            snprintf(what, sizeof what, "%s tensor %d (n %zu) %s, status %d, updates %d", opt, i,
                     in.t[i].n, name, (int)r.status, wrote);
            bool used = b == B_PARAM || b == B_COPY ||
                        (b >= B_STATE0 && b <= B_STATE2 && ((in.states_used >> (b - B_STATE0)) & 1));
            if (!wrote || !used) {
                fuzz_expect_unchanged(what, initial[i][b], got, bytes);
            } else if (is_oracle) {
                if (bytes) memcpy(want[i][b], got, bytes);
            } else {
                expect_same_buffer(i, b, got, buffer_dtype(b), what);
            }
        }

    /* lossopt_grad_stats on the same tensors (their grads are unchanged) */
    pool.calls = 0;
    r.sum = -3.0;
    r.nonfinite = true;
    r.stats_status = impl->table
        ? lossopt_grad_stats_with_table(impl->table, in.t_null ? NULL : t, in.count, in.stats_dtype,
                                        reversed ? &parallel : NULL,
                                        in.stats_sum_null ? NULL : &r.sum,
                                        in.stats_nonfinite_null ? NULL : &r.nonfinite)
        : lossopt_grad_stats(in.t_null ? NULL : t, in.count, in.stats_dtype,
                             reversed ? &parallel : NULL, in.stats_sum_null ? NULL : &r.sum,
                             in.stats_nonfinite_null ? NULL : &r.nonfinite);
    if (!is_oracle && r.stats_status != oracle_result->stats_status)
        fuzz_fail("grad_stats: status %d, oracle %d", (int)r.stats_status,
                  (int)oracle_result->stats_status);
    if (r.stats_status != LOSSOPT_OK && (r.sum != -3.0 || !r.nonfinite))
        fuzz_fail("grad_stats: a failing call (status %d) wrote its outputs", (int)r.stats_status);
    if (r.stats_status == LOSSOPT_OK && !is_oracle &&
        (!same_double(r.sum, oracle_result->sum) || r.nonfinite != oracle_result->nonfinite))
        fuzz_fail("grad_stats: sum %a nonfinite %d, oracle %a %d", r.sum, r.nonfinite,
                  oracle_result->sum, oracle_result->nonfinite);
    if (reversed && pool.calls > 1) fuzz_fail("grad_stats: the pool ran %u passes", pool.calls);
    for (int i = 0; i < (int)in.count && !in.t_null; i++)
        if (placed(i, B_GRAD)) {
            slot_check_canary(i, B_GRAD, "grad (grad_stats)");
            fuzz_expect_unchanged("grad after grad_stats", initial[i][B_GRAD],
                                  slots[i][B_GRAD].data, buffer_bytes(i, B_GRAD));
        }

    if (is_oracle) {
        *oracle_result = r;
        stat_updates += wrote;
        stat_opt_inputs[in.opt]++;
        stat_opt_updates[in.opt] += wrote;
        stat_skipped += r.status == LOSSOPT_OK && r.report.skipped;
    }
    if (reversed) stat_pool_calls += step_calls;
}

/* Contract rules the harness decides on its own, on the oracle's run. */
static void check_oracle_contract(const fuzz_impl *oracle, const run_result *r)
{
    const char *opt = opt_names[in.opt];
    int cls = expected_class();
    if (cls >= 0 && (int)r->status != cls)
        fuzz_fail("%s: status %d, the contract says %d (step %" PRId64 ")", opt, (int)r->status,
                  cls, in.step);
    if (cls < 0 && r->status != LOSSOPT_OK && r->status != LOSSOPT_ERR_ARG)
        fuzz_fail("%s: status %d where only the config can fail (ARG)", opt, (int)r->status);
    int more = cls < 0 ? expected_more_status() : -1;
    if (more >= 0 && r->status != (more ? LOSSOPT_OK : LOSSOPT_ERR_ARG))
        fuzz_fail("%s step %" PRId64 ": status %d, but the header's coefficients for the call's "
                  "and the tensors' steps are %s", opt, in.step, (int)r->status,
                  more ? "all finite floats (OK)" : "not all finite floats (ARG)");
    int stats_cls = expected_stats_class();
    if ((int)r->stats_status != stats_cls)
        fuzz_fail("grad_stats: status %d, the contract says %d", (int)r->stats_status, stats_cls);
    bool bad = in.grads_bad;
    if (r->stats_status == LOSSOPT_OK && in.stats_dtype == in.layout.grad) {
        if (!in.stats_nonfinite_null && r->nonfinite != bad)
            fuzz_fail("grad_stats: nonfinite %d, the grads say %d", r->nonfinite, bad);
        if (!in.stats_sum_null && !(r->sum >= 0.0) && !isnan(r->sum))
            fuzz_fail("grad_stats: sum %a", r->sum);
    }
    /* NAdam: each mu_product becomes exactly mu_product * mu_t of its tensor's step */
    if (r->status == LOSSOPT_OK && !in.skip && in.opt == OPT_NADAM && !in.mu_null)
        for (size_t i = 0; i < in.count; i++) {
            int64_t step = in.t[i].step != 0 ? in.t[i].step : in.step;
            double want_mu = mu_initial[i] * fuzz_nadam_mu(&in.nadam, step);
            if (!fuzz_identical_double(mu_want[i], want_mu))
                fuzz_fail("nadam: mu_products[%zu] %a, the header's %a * mu_%" PRId64 " = %a", i,
                          mu_want[i], mu_initial[i], step, want_mu);
        }
    if (r->status != LOSSOPT_OK || in.report_null) return;
    const lossopt_step_report *rep = &r->report;
    if (!in.stats_pass) {
        if (!isnan(rep->grad_norm) || rep->nonfinite || rep->skipped)
            fuzz_fail("%s: no statistics pass, but report {%a, %d, %d}", opt, rep->grad_norm,
                      rep->nonfinite, rep->skipped);
    } else {
        if (rep->nonfinite != bad)
            fuzz_fail("%s: report nonfinite %d, the grads say %d", opt, rep->nonfinite, bad);
        if (rep->skipped != (in.options.skip_nonfinite && bad))
            fuzz_fail("%s: skipped %d (skip_nonfinite %d, nonfinite grads %d)", opt, rep->skipped,
                      in.options.skip_nonfinite, bad);
        /* grad_norm = sqrt(sum) * grad_multiplier / loss_scale, in double */
        if (r->stats_status == LOSSOPT_OK && in.stats_dtype == in.layout.grad && !in.stats_sum_null) {
            double gm = in.options.grad_multiplier > 0.0 ? in.options.grad_multiplier : 1.0;
            double ls = in.options.loss_scale > 0.0 ? in.options.loss_scale : 1.0;
            double norm = sqrt(r->sum) * gm / ls;
            if (!same_double(norm, rep->grad_norm))
                fuzz_fail("%s: grad_norm %a, sqrt(grad_stats sum %a) * %a / %a = %a", opt,
                          rep->grad_norm, r->sum, gm, ls, norm);
        }
    }
    if (!in.report_null) check_f32_equivalence(oracle, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_impls_init();
    slots_init();
    mu_slot_init();
    static bool stats_registered;
    if (!stats_registered) {
        stats_registered = true;
        if (getenv("FUZZ_STATS")) atexit(print_engine_stats);
    }
    if (size < 2) return 0;
    uint8_t public_choice = data[0], pool_choice = data[1];
    decode(data + 2, size - 2);
    /* (t NULL or a NULL grad: the call fails, the flags do not matter) */
    in.grads_bad = !in.t_null && grads_nonfinite();
    in.skip = !in.opt_null && in.options.skip_nonfinite && in.grads_bad;
    static int verbose = -1;
    if (verbose < 0) verbose = getenv("FUZZ_VERBOSE") != NULL;
    if (verbose) print_input();

    run_result oracle_result;
    memset(&oracle_result, 0, sizeof oracle_result);
    for (int k = 0; k <= fuzz_impl_count; k++) {
        bool reversed = k == fuzz_impl_count;
        const fuzz_impl *impl = &fuzz_impls[reversed ? pool_choice % fuzz_impl_count : k];
        static char name[96];
        snprintf(name, sizeof name, "%s%s", impl->name, reversed ? "+reverse-pool" : "");
        fuzz_impl_name = name;
        run_one(impl, reversed, public_choice, k == 0, &oracle_result);
        if (k == 0) check_oracle_contract(impl, &oracle_result);
    }
    if (verbose)
        fprintf(stderr, "  -> status %d, report {%a, %d, %d}, grad_stats %d sum %a\n",
                (int)oracle_result.status, oracle_result.report.grad_norm,
                oracle_result.report.nonfinite, oracle_result.report.skipped,
                (int)oracle_result.stats_status, oracle_result.sum);

    fuzz_count_status(oracle_result.status);
    if (oracle_result.status == LOSSOPT_OK && !oracle_result.report.skipped) {
        stat_stochastic += in.layout.rounding == LOSSOPT_ROUND_STOCHASTIC;
        stat_16bit += in.layout.param != LOSSOPT_F32 || in.layout.grad != LOSSOPT_F32 ||
                      in.layout.state != LOSSOPT_F32 || in.layout.param_copy != LOSSOPT_F32;
        for (size_t i = 0; i < in.count; i++) stat_big += in.t[i].n > MAX_SMALL_N && !in.t[i].huge;
    }
    return 0;
}
