/* tests/test_losses_bitwise.c - every elementwise loss, every option
 * (parameters, weights, the three reductions, loss-only / grad-only / both),
 * every supported vector ISA and the public API: bit-identical to the scalar
 * oracle, values and gradients, over lengths 0..300 (each buffer ending at a
 * guard page), special values, random lengths to 2^16, start misalignments
 * and buffers of 10^6 elements; and the loss-only and grad-only calls give
 * the same bits as the call that asks for both.
 *
 * LOSSOPT_TEST_QUICK=1 trims sizes (emulators); LOSSOPT_TEST_NO_GUARD_PAGES=1
 * keeps buffers off guard pages (qemu-x86_64's vmaskmovps, see
 * test_optimizers_bitwise.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loss_cases.h"
#include "test_support.h"
#include "test_variants.h"

static bool guard_pages_enabled = true;
/* BATCHMEAN last: kl_div's cases only */
static const lossopt_reduction reductions[] = {LOSSOPT_MEAN, LOSSOPT_SUM, LOSSOPT_NONE,
                                               LOSSOPT_BATCHMEAN};
static const char *const reduction_names[] = {"mean", "sum", "none", "batchmean"};

/* Buffers of one call under test. */
typedef struct buffers {
    float *input, *target, *weight, *loss, *grad;
    bool guarded;
} buffers;

static buffers make_buffers(size_t n, bool guarded, size_t misalign_floats)
{
    buffers b = {.guarded = guarded};
    if (guarded) {
        b.input = test_guarded_alloc(n);
        b.target = test_guarded_alloc(n);
        b.weight = test_guarded_alloc(n);
        b.loss = test_guarded_alloc(n ? n : 1);
        b.grad = test_guarded_alloc(n);
        return b;
    }
    float **all[] = {&b.input, &b.target, &b.weight, &b.loss, &b.grad};
    for (int i = 0; i < 5; i++)
        /* aligned_alloc wants a size that is a multiple of the alignment (C11) */
        *all[i] = (float *)aligned_alloc(64, ((n + 32 + 15) & ~(size_t)15) * sizeof(float)) +
                  misalign_floats;
    return b;
}

static void free_buffers(buffers *b, size_t misalign_floats)
{
    float *all[] = {b->input, b->target, b->weight, b->loss, b->grad};
    for (int i = 0; i < 5; i++) {
        if (b->guarded)
            test_guarded_free(all[i]);
        else
            free(all[i] - misalign_floats);
    }
}

/* One comparison: oracle and variant on the same inputs, every reduction,
 * and for each the both / loss-only / grad-only calls. */
static void compare(const loss_case *c, const variant *v, size_t n, bool special, bool guarded,
                    size_t misalign_floats, const char *what)
{
    guarded = guarded && guard_pages_enabled;
    buffers b = make_buffers(n, guarded, misalign_floats);
    loss_case_fill(c, b.input, b.target, b.weight, n, special);
    size_t cap = n ? n : 1;
    float *oracle_loss = malloc(cap * sizeof(float)), *oracle_grad = malloc(cap * sizeof(float));
    float *only_loss = malloc(cap * sizeof(float)), *only_grad = malloc(cap * sizeof(float));

    for (int ri = 0; ri < (loss_case_is_kl(c) ? 4 : 3); ri++) {
        lossopt_reduction r = reductions[ri];
        size_t loss_count = r == LOSSOPT_NONE ? n : 1;
        /* the NONE loss buffer ends at the guard page; a reduced loss is one
         * float at its end too */
        float *variant_loss = r == LOSSOPT_NONE ? b.loss : b.loss + (cap - 1);
        memset(oracle_loss, 0x55, cap * sizeof(float));
        lossopt_status want = loss_case_run(c, false, test_oracle(), b.input, b.target,
                                            b.weight, n, r, oracle_loss, oracle_grad);
        lossopt_status got = loss_case_run(c, v->public_api, v->table, b.input, b.target, b.weight,
                                           n, r, variant_loss, b.grad);
        if (!test_check(want == LOSSOPT_OK && got == LOSSOPT_OK, "%s %s %s n=%zu: status %d/%d",
                        what, v->name, loss_case_describe(c), n, want, got))
            continue;
        size_t d = test_first_difference(oracle_loss, variant_loss, loss_count);
        test_check(d == loss_count, "%s %s %s %s n=%zu: loss[%zu] oracle %a, variant %a", what,
                   v->name, loss_case_describe(c), reduction_names[ri], n, d,
                   d < loss_count ? oracle_loss[d] : 0.0, d < loss_count ? variant_loss[d] : 0.0);
        d = test_first_difference(oracle_grad, b.grad, n);
        test_check(d == n, "%s %s %s %s n=%zu: grad[%zu] (input %a target %a) oracle %a, variant %a",
                   what, v->name, loss_case_describe(c), reduction_names[ri], n, d,
                   d < n ? b.input[d] : 0.0, d < n ? b.target[d] : 0.0,
                   d < n ? oracle_grad[d] : 0.0, d < n ? b.grad[d] : 0.0);

        /* loss only, grad only: the same bits in each output */
        got = loss_case_run(c, v->public_api, v->table, b.input, b.target, b.weight, n, r,
                            only_loss, NULL);
        test_check(got == LOSSOPT_OK &&
                       test_first_difference(oracle_loss, only_loss, loss_count) == loss_count,
                   "%s %s %s %s n=%zu: loss-only call differs", what, v->name,
                   loss_case_describe(c), reduction_names[ri], n);
        got = loss_case_run(c, v->public_api, v->table, b.input, b.target, b.weight, n, r, NULL,
                            only_grad);
        test_check(got == LOSSOPT_OK && test_first_difference(oracle_grad, only_grad, n) == n,
                   "%s %s %s %s n=%zu: grad-only call differs", what, v->name,
                   loss_case_describe(c), reduction_names[ri], n);
    }
    free(oracle_loss);
    free(oracle_grad);
    free(only_loss);
    free(only_grad);
    free_buffers(&b, misalign_floats);
}

/* The same for the three-input losses: oracle and variant, every reduction,
 * and each of loss / grad_a / grad_b alone gives the bits of the full call.
 * b.input, b.target, b.weight hold the three inputs; b.grad and g.grad the
 * two gradients. */
static void compare3(const loss3_case *c, const variant *v, size_t n, bool special, bool guarded,
                     size_t misalign_floats, const char *what)
{
    guarded = guarded && guard_pages_enabled;
    buffers b = make_buffers(n, guarded, misalign_floats);
    buffers g = make_buffers(n, guarded, misalign_floats); /* g.grad: the second gradient */
    loss3_case_fill(c, b.input, b.target, b.weight, n, special);
    size_t cap = n ? n : 1;
    float *oracle_loss = malloc(cap * sizeof(float)), *oracle_ga = malloc(cap * sizeof(float));
    float *oracle_gb = malloc(cap * sizeof(float)), *only = malloc(cap * sizeof(float));
    const char *name = loss3_case_describe(c);

    for (int ri = 0; ri < 3; ri++) {
        lossopt_reduction r = reductions[ri];
        size_t loss_count = r == LOSSOPT_NONE ? n : 1;
        float *variant_loss = r == LOSSOPT_NONE ? b.loss : b.loss + (cap - 1);
        memset(oracle_loss, 0x55, cap * sizeof(float));
        lossopt_status want = loss3_case_run(c, false, test_oracle(), b.input, b.target, b.weight,
                                             n, r, oracle_loss, oracle_ga, oracle_gb);
        lossopt_status got = loss3_case_run(c, v->public_api, v->table, b.input, b.target,
                                            b.weight, n, r, variant_loss, b.grad, g.grad);
        if (!test_check(want == LOSSOPT_OK && got == LOSSOPT_OK, "%s %s %s n=%zu: status %d/%d",
                        what, v->name, name, n, want, got))
            continue;
        size_t d = test_first_difference(oracle_loss, variant_loss, loss_count);
        test_check(d == loss_count, "%s %s %s %s n=%zu: loss[%zu] (%a %a %a) oracle %a, variant %a",
                   what, v->name, name, reduction_names[ri], n, d,
                   d < n ? b.input[d] : 0.0, d < n ? b.target[d] : 0.0, d < n ? b.weight[d] : 0.0,
                   d < loss_count ? oracle_loss[d] : 0.0, d < loss_count ? variant_loss[d] : 0.0);
        const float *want_grads[2] = {oracle_ga, oracle_gb};
        const float *got_grads[2] = {b.grad, g.grad};
        for (int k = 0; k < 2; k++) {
            d = test_first_difference(want_grads[k], got_grads[k], n);
            test_check(d == n, "%s %s %s %s n=%zu: grad_%c[%zu] (%a %a %a) oracle %a, variant %a",
                       what, v->name, name, reduction_names[ri], n, "ab"[k], d,
                       d < n ? b.input[d] : 0.0, d < n ? b.target[d] : 0.0,
                       d < n ? b.weight[d] : 0.0, d < n ? want_grads[k][d] : 0.0,
                       d < n ? got_grads[k][d] : 0.0);
        }
        /* each output alone: the same bits */
        for (int k = 0; k < 3; k++) {
            got = loss3_case_run(c, v->public_api, v->table, b.input, b.target, b.weight, n, r,
                                 k == 0 ? only : NULL, k == 1 ? only : NULL, k == 2 ? only : NULL);
            const float *want_only = k == 0 ? oracle_loss : want_grads[k - 1];
            size_t count = k == 0 ? loss_count : n;
            test_check(got == LOSSOPT_OK && test_first_difference(want_only, only, count) == count,
                       "%s %s %s %s n=%zu: the %s-only call differs", what, v->name, name,
                       reduction_names[ri], n, k == 0 ? "loss" : k == 1 ? "grad_a" : "grad_b");
        }
    }
    free(oracle_loss);
    free(oracle_ga);
    free(oracle_gb);
    free(only);
    free_buffers(&b, misalign_floats);
    free_buffers(&g, misalign_floats);
}

int main(void)
{
    test_init("test_losses_bitwise");
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

    const loss_case *cases;
    size_t case_count = loss_cases_all(&cases);
    variant variants[TEST_MAX_VARIANTS];
    size_t variant_count = test_variants(variants);
    printf("%zu loss cases x 3 reductions (kl_div 4); variants:", case_count);
    for (size_t v = 0; v < variant_count; v++)
        printf(" %s", variants[v].name);
    printf(" (active ISA %s)\n", lossopt_isa_name(lossopt_active_isa()));

    /* every case draws from its own seed (k = the case's index): the same
     * data for every variant and on every host */
    size_t max_length = quick ? 80 : 300;
    for (size_t v = 0; v < variant_count; v++) {
        for (size_t k = 0; k < case_count; k++) {
            const loss_case *c = &cases[k];
            for (size_t n = 0; n <= max_length; n++) {
                test_seed_case("loss lengths", k, n, 0);
                compare(c, &variants[v], n, false, true, 0, "lengths");
            }
            for (int rep = 0; rep < (quick ? 4 : 20); rep++) {
                test_seed_case("loss special values", k, (uint64_t)rep, 0);
                compare(c, &variants[v], test_random_below(600) + 1, true, true, 0,
                        "special values");
            }
            test_seed_case("loss random length", k, quick, 0);
            compare(c, &variants[v], test_random_below(quick ? 4096 : 65536), false, false, 0,
                    "random length");
            for (size_t offset = 0; offset < 16; offset += quick ? 5 : 1) {
                test_seed_case("loss misaligned", k, offset, 0);
                compare(c, &variants[v], 257 + offset * 3, false, false, offset, "misaligned");
            }
            if (!quick) {
                test_seed_case("loss large", k, 0, 0);
                compare(c, &variants[v], 1000000 + test_random_below(1000), false, false, 0,
                        "large");
            }
        }
    }
    /* the three-input losses, likewise (their cases' own seeds) */
    const loss3_case *cases3;
    size_t case3_count = loss3_cases_all(&cases3);
    printf("%zu three-input loss cases x 3 reductions\n", case3_count);
    for (size_t v = 0; v < variant_count; v++) {
        for (size_t k = 0; k < case3_count; k++) {
            const loss3_case *c = &cases3[k];
            for (size_t n = 0; n <= max_length; n++) {
                test_seed_case("loss3 lengths", k, n, 0);
                compare3(c, &variants[v], n, false, true, 0, "lengths");
            }
            for (int rep = 0; rep < (quick ? 4 : 20); rep++) {
                test_seed_case("loss3 special values", k, (uint64_t)rep, 0);
                compare3(c, &variants[v], test_random_below(600) + 1, true, true, 0,
                         "special values");
            }
            test_seed_case("loss3 random length", k, quick, 0);
            compare3(c, &variants[v], test_random_below(quick ? 4096 : 65536), false, false, 0,
                     "random length");
            for (size_t offset = 0; offset < 16; offset += quick ? 5 : 1) {
                test_seed_case("loss3 misaligned", k, offset, 0);
                compare3(c, &variants[v], 257 + offset * 3, false, false, offset, "misaligned");
            }
            if (!quick) {
                test_seed_case("loss3 large", k, 0, 0);
                compare3(c, &variants[v], 1000000 + test_random_below(1000), false, false, 0,
                         "large");
            }
        }
    }
    return test_finish();
}
