/* tests/test_optimizers_bitwise.c - every optimizer, every option combination,
 * every supported vector ISA (and the public API): bit-identical to the scalar
 * oracle, over lengths 0..300, random lengths, start misalignments, buffers
 * ending at a guard page, special values and multi-step trajectories.
 *
 * LOSSOPT_TEST_QUICK=1 (set for runs under emulators) trims the sizes.
 * LOSSOPT_TEST_NO_GUARD_PAGES=1 puts the buffers on the heap instead: for
 * qemu-x86_64 7.2, whose emulation of vmaskmovps touches the masked-out lanes
 * and so faults at a guard page where real CPUs do not (tests/CMakeLists.txt). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lossopt_internal.h"
#include "optimizer_cases.h"
#include "test_support.h"
#include "test_variants.h"

enum { INPUT_MODERATE, INPUT_SPECIAL };

/* Inputs of one call: param, grad and three state buffers, same length. */
typedef struct call_buffers {
    float *param, *grad, *state[MAX_STATE_BUFFERS];
} call_buffers;

static void fill_inputs(const optimizer_case *c, const call_buffers *b, size_t n, int kind)
{
    for (size_t i = 0; i < n; i++) {
        b->param[i] = kind == INPUT_SPECIAL ? test_random_special() : test_random_uniform(-3, 3);
        b->grad[i] = kind == INPUT_SPECIAL ? test_random_special() : test_random_uniform(-2, 2);
        for (int s = 0; s < MAX_STATE_BUFFERS; s++) {
            float x = kind == INPUT_SPECIAL ? test_random_special() : test_random_uniform(-1, 1);
            /* square averages are non-negative in real use; keep most so */
            if (optimizer_case_state_is_square(c, s) && (kind != INPUT_SPECIAL || i % 4 != 0))
                x = fabsf(x);
            b->state[s][i] = x;
        }
    }
}

static void copy_buffers(const call_buffers *to, const call_buffers *from, size_t n)
{
    memcpy(to->param, from->param, n * sizeof(float));
    memcpy(to->grad, from->grad, n * sizeof(float));
    for (int s = 0; s < MAX_STATE_BUFFERS; s++)
        memcpy(to->state[s], from->state[s], n * sizeof(float));
}

/* Runs `steps` consecutive updates (step, step+1, ...) on the oracle and on
 * the variant (public API or one ISA), then compares every buffer. Unused
 * state buffers are passed as NULL to the variant: it must not touch them. */
static void compare_to_oracle(const optimizer_case *c, const variant *v,
                              const call_buffers *oracle, const call_buffers *variant,
                              size_t n, int steps, const char *what)
{
    unsigned used = optimizer_case_used_state(c);
    float *variant_state[MAX_STATE_BUFFERS];
    for (int s = 0; s < MAX_STATE_BUFFERS; s++)
        variant_state[s] = (used >> s) & 1 ? variant->state[s] : NULL;
    float *grad_before = malloc((n ? n : 1) * sizeof(float));
    memcpy(grad_before, variant->grad, n * sizeof(float));

    optimizer_case stepped = *c;
    for (int k = 0; k < steps; k++, stepped.step++) {
        lossopt_status want = optimizer_case_run(&stepped, false, test_oracle(),
                                                 oracle->param, oracle->grad, oracle->state, n);
        lossopt_status got = optimizer_case_run(&stepped, v->public_api, v->table, variant->param,
                                                variant->grad, variant_state, n);
        if (!test_check(want == LOSSOPT_OK && got == LOSSOPT_OK, "%s: %s n=%zu: status %d/%d",
                        what, optimizer_case_describe(&stepped), n, want, got))
            break;
    }
    const char *variant_name = v->name;
    size_t d = test_first_difference(oracle->param, variant->param, n);
    test_check(d == n, "%s %s: %s n=%zu steps=%d: param[%zu] oracle %a, variant %a", what,
               variant_name, optimizer_case_describe(c), n, steps, d, d < n ? oracle->param[d] : 0.0,
               d < n ? variant->param[d] : 0.0);
    for (int s = 0; s < MAX_STATE_BUFFERS; s++) {
        if (!((used >> s) & 1))
            continue;
        d = test_first_difference(oracle->state[s], variant->state[s], n);
        test_check(d == n, "%s %s: %s n=%zu steps=%d: state%d[%zu] oracle %a, variant %a", what,
                   variant_name, optimizer_case_describe(c), n, steps, s, d,
                   d < n ? oracle->state[s][d] : 0.0, d < n ? variant->state[s][d] : 0.0);
    }
    test_check(memcmp(grad_before, variant->grad, n * sizeof(float)) == 0,
               "%s %s: %s: grad was written", what, variant_name, optimizer_case_describe(c));
    free(grad_before);
}

static call_buffers heap_buffers(size_t n)
{
    call_buffers b;
    b.param = malloc((n ? n : 1) * sizeof(float));
    b.grad = malloc((n ? n : 1) * sizeof(float));
    for (int s = 0; s < MAX_STATE_BUFFERS; s++)
        b.state[s] = malloc((n ? n : 1) * sizeof(float));
    return b;
}

static void free_heap_buffers(call_buffers *b)
{
    free(b->param);
    free(b->grad);
    for (int s = 0; s < MAX_STATE_BUFFERS; s++)
        free(b->state[s]);
}

static call_buffers guarded_buffers(size_t n)
{
    call_buffers b;
    b.param = test_guarded_alloc(n);
    b.grad = test_guarded_alloc(n);
    for (int s = 0; s < MAX_STATE_BUFFERS; s++)
        b.state[s] = test_guarded_alloc(n);
    return b;
}

static void free_guarded_buffers(call_buffers *b)
{
    test_guarded_free(b->param);
    test_guarded_free(b->grad);
    for (int s = 0; s < MAX_STATE_BUFFERS; s++)
        test_guarded_free(b->state[s]);
}

/* One comparison of one case at length n on fresh random inputs. */
static bool guard_pages_enabled = true;

static void run_one(const optimizer_case *c, const variant *v, size_t n, int kind, int steps,
                    bool guarded, const char *what)
{
    guarded = guarded && guard_pages_enabled;
    call_buffers inputs = heap_buffers(n), oracle = heap_buffers(n);
    call_buffers under_test = guarded ? guarded_buffers(n) : heap_buffers(n);
    fill_inputs(c, &inputs, n, kind);
    copy_buffers(&oracle, &inputs, n);
    copy_buffers(&under_test, &inputs, n);
    compare_to_oracle(c, v, &oracle, &under_test, n, steps, what);
    free_heap_buffers(&inputs);
    free_heap_buffers(&oracle);
    if (guarded)
        free_guarded_buffers(&under_test);
    else
        free_heap_buffers(&under_test);
}

/* Start addresses 0..60 bytes past a 64-byte boundary (floats are 4-aligned). */
static void run_misaligned(const optimizer_case *c, const variant *v, size_t n, size_t offset)
{
    /* aligned_alloc wants a size that is a multiple of the alignment (C11) */
    size_t padded = (n + 16 + 15) & ~(size_t)15;
    call_buffers inputs = heap_buffers(n), oracle = heap_buffers(n), storage;
    storage.param = aligned_alloc(64, padded * sizeof(float));
    storage.grad = aligned_alloc(64, padded * sizeof(float));
    for (int s = 0; s < MAX_STATE_BUFFERS; s++)
        storage.state[s] = aligned_alloc(64, padded * sizeof(float));
    call_buffers shifted = {storage.param + offset, storage.grad + offset,
                            {storage.state[0] + offset, storage.state[1] + offset,
                             storage.state[2] + offset}};
    fill_inputs(c, &inputs, n, INPUT_MODERATE);
    copy_buffers(&oracle, &inputs, n);
    copy_buffers(&shifted, &inputs, n);
    compare_to_oracle(c, v, &oracle, &shifted, n, 1, "misaligned");
    free_heap_buffers(&inputs);
    free_heap_buffers(&oracle);
    free_heap_buffers(&storage);
}

int main(void)
{
    test_init("test_optimizers_bitwise");
    test_skip_unless_forced_isa_supported();
    bool quick = getenv("LOSSOPT_TEST_QUICK") != NULL;
    if (getenv("LOSSOPT_TEST_NO_GUARD_PAGES")) {
        guard_pages_enabled = false;
        printf("note: guard pages disabled by LOSSOPT_TEST_NO_GUARD_PAGES; over-reads are not "
               "detected in this run\n");
    }

    const char *expected = getenv("LOSSOPT_TEST_EXPECT_ISA");
    if (expected)
        test_check(strcmp(lossopt_isa_name(lossopt_active_isa()), expected) == 0,
                   "dispatcher chose %s, expected %s", lossopt_isa_name(lossopt_active_isa()),
                   expected);

    /* SGD, RMSprop and Adam, then the 0.2 optimizers (their seeds follow) */
    const optimizer_case *classic, *more;
    size_t classic_count = optimizer_cases_all(&classic);
    size_t more_count = optimizer_cases_more(&more);
    size_t case_count = classic_count + more_count;
    optimizer_case *cases = malloc(case_count * sizeof *cases);
    memcpy(cases, classic, classic_count * sizeof *cases);
    memcpy(cases + classic_count, more, more_count * sizeof *cases);
    variant variants[TEST_MAX_VARIANTS];
    size_t variant_count = test_variants(variants);
    printf("%zu option combinations; variants:", case_count);
    for (size_t v = 0; v < variant_count; v++)
        printf(" %s", variants[v].name);
    printf(" (active ISA %s)\n", lossopt_isa_name(lossopt_active_isa()));
    if (variant_count == 1 && variants[0].public_api && lossopt_active_isa() == LOSSOPT_ISA_SCALAR)
        printf("note: no vector ISA is supported here; the public API runs the scalar oracle\n");

    /* every case draws from its own seed (k = the case's index): the same
     * data for every variant and on every host */
    size_t max_length = quick ? 80 : 300;
    for (size_t v = 0; v < variant_count; v++) {
        for (size_t k = 0; k < case_count; k++) {
            const optimizer_case *c = &cases[k];
            /* every length, each ending at a guard page (so every start alignment too) */
            for (size_t n = 0; n <= max_length; n++) {
                test_seed_case("optimizer lengths", k, n, 0);
                run_one(c, &variants[v], n, INPUT_MODERATE, 1, true, "lengths");
            }
            /* special values: +-0, denormals, +-inf, NaN, +-FLT_MAX, any bit pattern */
            for (int r = 0; r < (quick ? 2 : 8); r++) {
                test_seed_case("optimizer special values", k, (uint64_t)r, 0);
                run_one(c, &variants[v], test_random_below(300) + 1, INPUT_SPECIAL, 1, true,
                        "special values");
            }
            /* trajectories: consecutive steps carry the state along */
            test_seed_case("optimizer trajectory", k, 0, 0);
            run_one(c, &variants[v], 37 + test_random_below(100), INPUT_MODERATE, 5, false,
                    "trajectory");
            /* random lengths up to 2^16 */
            test_seed_case("optimizer random length", k, quick, 0);
            run_one(c, &variants[v], test_random_below(quick ? 4096 : 65536), INPUT_MODERATE, 1,
                    false, "random length");
            /* misalignments 0..60 bytes */
            static const size_t misaligned_lengths[] = {1, 15, 17, 33, 100};
            for (size_t offset = 0; offset < 16; offset += quick ? 5 : 1) {
                test_seed_case("optimizer misaligned", k, offset, 0);
                run_misaligned(c, &variants[v], misaligned_lengths[offset % 5], offset);
            }
        }
        if (!quick) {
            /* a few large buffers: one per classic family, and LAMB's two
             * passes over many task ranges */
            for (size_t k = 0; k < case_count; k += k < classic_count ? classic_count / 3 : case_count) {
                test_seed_case("optimizer large", k, 0, 0);
                run_one(&cases[k], &variants[v], 1000000 + test_random_below(1000), INPUT_MODERATE,
                        2, false, "large");
            }
        }
    }
    if (!quick) {
        for (size_t v = 0; v < variant_count; v++) {
            test_seed_case("optimizer large lamb", 0, 0, 0);
            run_one(&more[more_count - 1], &variants[v], 300000 + test_random_below(1000),
                    INPUT_MODERATE, 2, false, "large");
        }
    }
    free(cases);
    return test_finish();
}
