/* tests/vector_layer_checks.c - the vector layer's vocabulary (kernels/vec/vec.h)
 * checked op by op against its documented semantics, compiled once per vector
 * ISA like the kernels (tests/CMakeLists.txt) and called from
 * tests/test_vector_layer.c once the CPU is known to run it. The kernels'
 * bitwise tests only see what today's kernels happen to ask of an op; a
 * documented edge no kernel exercises yet (vec_min with a NaN second operand,
 * the -0 of an inactive lane) would break silently for the next kernel. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "test_support.h"
#include "vec/vec.h"

float Sleef_expf1_u10purecfma(float);   /* declared by sleef.h only under FP_FAST_FMA */
float Sleef_logf1_u10purecfma(float);
float Sleef_log1pf1_u10purecfma(float);

static uint32_t bits_of(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

/* Same bits; NaN matches NaN of the same sign (payloads may differ). */
static bool same_value(float got, float want)
{
    if (isnan(want))
        return isnan(got) && signbit(got) == signbit(want);
    return bits_of(got) == bits_of(want);
}

static void lanes_of(vfloat v, float *out) { vec_store(out, v); }

static vfloat from_lanes(const float *in) { return vec_load(in); }

#define NAME VEC_ISA_SUFFIX_STRING
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define VEC_ISA_SUFFIX_STRING STRINGIFY(VEC_ISA_SUFFIX)

/* Pairs (a, b) and the documented results of max(a, b) and min(a, b):
 * NaN if either is NaN, else a > b ? a : b (b on ties), a < b ? a : b. */
static void check_max_min(void)
{
    static const float pairs[][2] = {
        {NAN, 1.0f}, {1.0f, NAN}, {-NAN, -2.0f}, {-2.0f, -NAN}, {-0.0f, 0.0f}, {0.0f, -0.0f},
        {1.0f, 2.0f}, {2.0f, 1.0f}, {INFINITY, -INFINITY}, {-INFINITY, INFINITY},
        {1e-45f, -1e-45f}, {3.0f, 3.0f}, {NAN, NAN}, {-1.0f, -0.0f}, {0.5f, -7.0f}, {8.0f, 8.5f},
    };
    float a[VEC_WIDTH], b[VEC_WIDTH], got_max[VEC_WIDTH], got_min[VEC_WIDTH];
    size_t count = sizeof pairs / sizeof pairs[0];
    for (size_t start = 0; start < count; start += VEC_WIDTH) {
        for (int l = 0; l < VEC_WIDTH; l++) {
            a[l] = pairs[(start + (size_t)l) % count][0];
            b[l] = pairs[(start + (size_t)l) % count][1];
        }
        lanes_of(vec_max(from_lanes(a), from_lanes(b)), got_max);
        lanes_of(vec_min(from_lanes(a), from_lanes(b)), got_min);
        for (int l = 0; l < VEC_WIDTH; l++) {
            float want_max = isnan(a[l]) || isnan(b[l]) ? NAN : a[l] > b[l] ? a[l] : b[l];
            float want_min = isnan(a[l]) || isnan(b[l]) ? NAN : a[l] < b[l] ? a[l] : b[l];
            test_check(isnan(want_max) ? isnan(got_max[l]) : same_value(got_max[l], want_max),
                       "%s: vec_max(%a, %a) = %a, want %a", NAME, (double)a[l], (double)b[l],
                       (double)got_max[l], (double)want_max);
            test_check(isnan(want_min) ? isnan(got_min[l]) : same_value(got_min[l], want_min),
                       "%s: vec_min(%a, %a) = %a, want %a", NAME, (double)a[l], (double)b[l],
                       (double)got_min[l], (double)want_min);
        }
    }
}

/* abs clears and negate flips the sign bit (NaN included); comparisons are
 * false with a NaN; isnan; select. */
static void check_bitwise_ops(void)
{
    static const float values[] = {-0.0f, 0.0f, -NAN, NAN, -INFINITY, 1.5f, -3e-41f, 7.0f};
    float x[VEC_WIDTH], y[VEC_WIDTH], out[VEC_WIDTH], sel[VEC_WIDTH];
    for (int l = 0; l < VEC_WIDTH; l++) {
        x[l] = values[l % 8];
        y[l] = values[(l * 3 + 1) % 8];
    }
    vfloat vx = from_lanes(x), vy = from_lanes(y);
    lanes_of(vec_abs(vx), out);
    for (int l = 0; l < VEC_WIDTH; l++)
        test_check(bits_of(out[l]) == (bits_of(x[l]) & 0x7fffffffu), "%s: vec_abs(%a)", NAME,
                   (double)x[l]);
    lanes_of(vec_negate(vx), out);
    for (int l = 0; l < VEC_WIDTH; l++)
        test_check(bits_of(out[l]) == (bits_of(x[l]) ^ 0x80000000u), "%s: vec_negate(%a)", NAME,
                   (double)x[l]);
    struct { vmask m; const char *name; int op; } masks[] = {
        {vec_gt(vx, vy), "gt", 0}, {vec_lt(vx, vy), "lt", 1}, {vec_ge(vx, vy), "ge", 2},
        {vec_le(vx, vy), "le", 3}, {vec_eq(vx, vy), "eq", 4}, {vec_isnan(vx), "isnan", 5},
    };
    for (size_t k = 0; k < sizeof masks / sizeof masks[0]; k++) {
        /* select(m, x, y) shows the mask lane by lane */
        lanes_of(vec_select(masks[k].m, vx, vy), sel);
        for (int l = 0; l < VEC_WIDTH; l++) {
            float a = x[l], b = y[l];
            bool want = masks[k].op == 0 ? a > b : masks[k].op == 1 ? a < b
                      : masks[k].op == 2 ? a >= b : masks[k].op == 3 ? a <= b
                      : masks[k].op == 4 ? a == b : isnan(a);
            test_check(bits_of(sel[l]) == bits_of(want ? a : b), "%s: vec_%s(%a, %a) lane %d",
                       NAME, masks[k].name, (double)a, (double)b, l);
        }
    }
    float ones[VEC_WIDTH];
    for (int l = 0; l < VEC_WIDTH; l++)
        ones[l] = 1.0f;
    vmask all = vec_eq(from_lanes(ones), vec_set1(1.0f));
    vmask none = vec_eq(from_lanes(ones), vec_set1(2.0f));
    test_check(vec_mask_all(all) && vec_mask_any(all) && !vec_mask_all(none) && !vec_mask_any(none),
               "%s: vec_mask_all / vec_mask_any", NAME);
    test_check(vec_mask_any(vec_isnan(vx)) && !vec_mask_all(vec_isnan(vx)) &&
                   !vec_mask_any(vec_mask_and(vec_isnan(vx), vec_gt(vx, vx))),
               "%s: vec_mask_and", NAME);
}

/* Partial loads read only the first count floats (the buffer ends at a guard
 * page) and fill the other lanes with -0; partial stores write only them;
 * keep_first turns lanes at and after count into -0. */
static void check_partial(void)
{
    float *buffer = test_guarded_alloc(VEC_WIDTH);
    float out[VEC_WIDTH], target[2 * VEC_WIDTH];
    for (size_t count = 0; count < VEC_WIDTH; count++) {
        float *p = buffer + (VEC_WIDTH - count); /* count floats before the guard page */
        for (size_t l = 0; l < count; l++)
            p[l] = 1.25f + (float)l;
        lanes_of(vec_load_partial(p, count), out);
        for (size_t l = 0; l < VEC_WIDTH; l++)
            test_check(l < count ? out[l] == p[l] : bits_of(out[l]) == 0x80000000u,
                       "%s: vec_load_partial(count %zu) lane %zu = %a", NAME, count, l,
                       (double)out[l]);
        for (size_t l = 0; l < 2 * VEC_WIDTH; l++)
            target[l] = -7.0f;
        vfloat v = vec_set1(3.0f);
        vec_store_partial(target, v, count);
        for (size_t l = 0; l < 2 * VEC_WIDTH; l++)
            test_check(target[l] == (l < count ? 3.0f : -7.0f),
                       "%s: vec_store_partial(count %zu) wrote element %zu", NAME, count, l);
        lanes_of(vec_keep_first(vec_set1(NAN), count), out);
        for (size_t l = 0; l < VEC_WIDTH; l++)
            test_check(l < count ? isnan(out[l]) : bits_of(out[l]) == 0x80000000u,
                       "%s: vec_keep_first(count %zu) lane %zu", NAME, count, l);
    }
    test_guarded_free(buffer);
}

/* IEEE arithmetic, one rounding per op, and SLEEF's FMA-family u10
 * functions: the same bits as the scalar oracle's. */
static void check_arithmetic(void)
{
    float a[VEC_WIDTH], b[VEC_WIDTH], c[VEC_WIDTH], out[VEC_WIDTH];
    for (int round = 0; round < 64; round++) {
        test_seed_case("vector layer arithmetic", (uint64_t)round, 0, 0);
        for (int l = 0; l < VEC_WIDTH; l++) {
            a[l] = test_random_special();
            b[l] = test_random_special();
            c[l] = test_random_special();
        }
        vfloat va = from_lanes(a), vb = from_lanes(b), vc = from_lanes(c);
        struct { vfloat v; const char *name; } ops[] = {
            {vec_add(va, vb), "add"}, {vec_sub(va, vb), "sub"}, {vec_mul(va, vb), "mul"},
            {vec_div(va, vb), "div"}, {vec_sqrt(va), "sqrt"}, {vec_fma(va, vb, vc), "fma"},
            {vec_exp(va), "exp"}, {vec_log(va), "log"}, {vec_log1p(va), "log1p"},
            {vec_fms(va, vb, vc), "fms"}, {vec_fnma(va, vb, vc), "fnma"},
        };
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
            lanes_of(ops[k].v, out);
            for (int l = 0; l < VEC_WIDTH; l++) {
                float x = a[l], y = b[l], want;
                switch (k) {
                case 0: want = x + y; break;
                case 1: want = x - y; break;
                case 2: want = x * y; break;
                case 3: want = x / y; break;
                case 4: want = sqrtf(x); break;
                case 5: want = fmaf(x, y, c[l]); break;
                case 6: want = Sleef_expf1_u10purecfma(x); break;
                case 7: want = Sleef_logf1_u10purecfma(x); break;
                case 8: want = Sleef_log1pf1_u10purecfma(x); break;
                case 9: want = fmaf(x, y, -c[l]); break;
                default: want = fmaf(-x, y, c[l]); break;
                }
                test_check(isnan(want) ? isnan(out[l]) : bits_of(out[l]) == bits_of(want),
                           "%s: vec_%s(%a, %a, %a) = %a, want %a", NAME, ops[k].name, (double)x,
                           (double)y, (double)c[l], (double)out[l], (double)want);
            }
        }
    }
}

/* vec_div_by_constant(a, b, RN(1/b)) == a / b for a square root a (+-0,
 * positive, +inf, NaN) and b in [2^-27, 1], the range its callers promise:
 * sqrt of special values, every binade of a, and the extreme divisors. */
static void check_div_by_constant(void)
{
    static const float divisors[] = {1.0f, 0.5f, 0.75f, 0x1p-27f, 0x1.fffffep-1f, 0x1.000002p-27f,
                                     0.044710f /* sqrt(1 - 0.999) */, 0.31622776f};
    float a[VEC_WIDTH], out[VEC_WIDTH];
    for (size_t d = 0; d < sizeof divisors / sizeof divisors[0]; d++) {
        float b = divisors[d];
        vfloat vb = vec_set1(b), reciprocal = vec_set1(1.0f / b);
        for (int round = 0; round < 64; round++) {
            test_seed_case("vector layer div_by_constant", d, (uint64_t)round, 0);
            for (int l = 0; l < VEC_WIDTH; l++) {
                float x = round < 32 ? test_random_special()
                                     : ldexpf(test_random_uniform(1.0f, 2.0f), (int)test_random_below(250) - 125);
                a[l] = sqrtf(round % 3 == 0 ? -fabsf(x) * 0.0f : fabsf(x)); /* -0 and +0 too */
                if (l == 0 && round < 4)
                    a[l] = (float[]){INFINITY, -0.0f, 0.0f, NAN}[round];
            }
            lanes_of(vec_div_by_constant(from_lanes(a), vb, reciprocal), out);
            for (int l = 0; l < VEC_WIDTH; l++) {
                float want = a[l] / b;
                test_check(isnan(want) ? isnan(out[l]) : bits_of(out[l]) == bits_of(want),
                           "%s: vec_div_by_constant(%a, %a) = %a, want %a", NAME, (double)a[l],
                           (double)b, (double)out[l], (double)want);
            }
        }
    }
}

/* The canonical fold of 16 virtual lanes: j += j+8, then j+4, j+2, j+1.
 * Values whose sum depends on the order (big and small magnitudes). */
static void check_fold(void)
{
    for (int round = 0; round < 32; round++) {
        test_seed_case("vector layer fold", (uint64_t)round, 0, 0);
        float lane[16];
        for (int j = 0; j < 16; j++)
            lane[j] = test_random_u32() % 3 == 0 ? test_random_uniform(-1e8f, 1e8f)
                                                : test_random_uniform(-1.0f, 1.0f);
        float want[16];
        memcpy(want, lane, sizeof want);
        for (int width = 8; width >= 1; width /= 2)
            for (int j = 0; j < width; j++)
                want[j] += want[j + width];
        vfloat lanes[VEC_PER_16];
        for (int q = 0; q < VEC_PER_16; q++)
            lanes[q] = vec_load(lane + q * VEC_WIDTH);
        float got = vec_fold16(lanes);
        test_check(bits_of(got) == bits_of(want[0]), "%s: vec_fold16 = %a, the canonical fold %a",
                   NAME, (double)got, (double)want[0]);
    }
}

/* lerp's two branches: fma(c, b - a, from_end ? b : a). */
static void check_lerp(void)
{
    float a[VEC_WIDTH], b[VEC_WIDTH], out[VEC_WIDTH];
    test_seed_case("vector layer lerp", 0, 0, 0);
    for (int l = 0; l < VEC_WIDTH; l++) {
        a[l] = test_random_uniform(-3.0f, 3.0f);
        b[l] = test_random_uniform(-3.0f, 3.0f);
    }
    for (int from_end = 0; from_end < 2; from_end++) {
        float coefficient = from_end ? 0.7f - 1.0f : 0.3f;
        lanes_of(vec_lerp(from_lanes(a), from_lanes(b), vec_set1(coefficient), from_end), out);
        for (int l = 0; l < VEC_WIDTH; l++) {
            float want = fmaf(coefficient, b[l] - a[l], from_end ? b[l] : a[l]);
            test_check(bits_of(out[l]) == bits_of(want), "%s: vec_lerp branch %d lane %d", NAME,
                       from_end, l);
        }
    }
}

void KERNEL_NAME(vector_layer_checks)(void)
{
    check_max_min();
    check_bitwise_ops();
    check_partial();
    check_arithmetic();
    check_div_by_constant();
    check_fold();
    check_lerp();
}
