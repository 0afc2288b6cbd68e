#define _POSIX_C_SOURCE 200809L /* pthread barriers under -std=c11 */
/* tests/sanitizers/test_dispatch_race.c - the dispatcher's first use, raced.
 *
 * In a fresh process (nothing touches the dispatcher before the barrier),
 * 16 threads start together. One thread calls lossopt_set_isa with every
 * supported ISA, round and round; the 15 others call the public API
 * (lossopt_adam_step_f32, lossopt_sgd_step_f32, lossopt_mse_f32,
 * lossopt_bce_logits_f32, lossopt_active_isa / lossopt_supported_isas) many
 * times each. Every call must return LOSSOPT_OK and every result must equal
 * the scalar oracle (the same call through the internal *_with_table entries
 * on test_oracle()) bit for bit, whichever ISA served it.
 *
 * Meant for ThreadSanitizer (scripts/test.sh builds it in build/tsan with
 * -fsanitize=thread and runs it with TSAN_OPTIONS=halt_on_error=1), but it is
 * also an ordinary CTest test in every build.
 *
 * Environment: LOSSOPT_TEST_SEED reproduces the inputs; LOSSOPT_ISA, if set,
 * must name a supported ISA (else the test is skipped, or fails for an
 * unknown name) since every call must succeed. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lossopt_internal.h"
#include "test_support.h"

#define THREADS 16          /* thread 0 is the lossopt_set_isa thread   */
#define CALLS_PER_THREAD 60 /* public calls per worker thread            */
#define SET_ROUNDS 400      /* lossopt_set_isa calls of the setter thread */
#define MAX_N 301

static pthread_barrier_t start_line;

typedef struct worker {
    int index;
    uint64_t rng;      /* the thread's own generator: test_random_* is not thread-safe */
    unsigned failures; /* written only by this thread, read after join */
    char first_failure[200];
} worker;

static worker workers[THREADS];

static uint32_t next_u32(worker *w)
{
    /* splitmix64 */
    uint64_t z = (w->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static float uniform(worker *w, float lo, float hi)
{
    return lo + (hi - lo) * ((float)(next_u32(w) >> 8) * (1.0f / 16777216.0f));
}

static void fail(worker *w, const char *what, int call, size_t n, const char *detail)
{
    if (w->failures++ == 0)
        snprintf(w->first_failure, sizeof w->first_failure,
                 "thread %d, call %d (%s, n=%zu): %s", w->index, call, what, n, detail);
}

static void check_status(worker *w, const char *what, int call, size_t n, lossopt_status s)
{
    if (s != LOSSOPT_OK)
        fail(w, what, call, n, lossopt_status_string(s));
}

static void check_same(worker *w, const char *what, int call, const float *got,
                       const float *want, size_t n, const char *buffer)
{
    size_t i = test_first_difference(got, want, n);
    if (i < n) {
        char detail[120];
        uint32_t a, b;
        memcpy(&a, &got[i], 4);
        memcpy(&b, &want[i], 4);
        snprintf(detail, sizeof detail, "%s[%zu] = 0x%08x, oracle 0x%08x", buffer, i,
                 (unsigned)a, (unsigned)b);
        fail(w, what, call, n, detail);
    }
}

static void adam_call(worker *w, int call, size_t n)
{
    float grad[MAX_N], p[MAX_N], m[MAX_N], v[MAX_N], mx[MAX_N];
    float op[MAX_N], om[MAX_N], ov[MAX_N], omx[MAX_N];
    for (size_t i = 0; i < n; i++) {
        p[i] = op[i] = uniform(w, -3.0f, 3.0f);
        grad[i] = uniform(w, -1.0f, 1.0f);
        m[i] = om[i] = uniform(w, -0.1f, 0.1f);
        v[i] = ov[i] = uniform(w, 0.0f, 0.01f);
        mx[i] = omx[i] = v[i] + uniform(w, 0.0f, 0.01f);
    }
    lossopt_adam_config c = lossopt_adam_defaults();
    c.amsgrad = (call & 1) != 0;
    c.weight_decay = (call & 2) ? 0.01f : 0.0f;
    c.decoupled_weight_decay = (call & 4) != 0;
    int64_t step = 1 + call % 5;
    check_status(w, "adam", call, n, lossopt_adam_step_f32(p, grad, m, v, mx, n, &c, step));
    check_status(w, "adam oracle", call, n,
                 lossopt_adam_step_f32_with_table(test_oracle(), op, grad, om, ov,
                                                  omx, n, &c, step));
    check_same(w, "adam", call, p, op, n, "param");
    check_same(w, "adam", call, m, om, n, "exp_avg");
    check_same(w, "adam", call, v, ov, n, "exp_avg_sq");
    check_same(w, "adam", call, mx, omx, n, "max_exp_avg_sq");
}

static void sgd_call(worker *w, int call, size_t n)
{
    float grad[MAX_N], p[MAX_N], buf[MAX_N], op[MAX_N], obuf[MAX_N];
    for (size_t i = 0; i < n; i++) {
        p[i] = op[i] = uniform(w, -3.0f, 3.0f);
        grad[i] = uniform(w, -1.0f, 1.0f);
        buf[i] = obuf[i] = uniform(w, -0.5f, 0.5f);
    }
    lossopt_sgd_config c = lossopt_sgd_defaults();
    c.lr = 0.05f;
    c.momentum = (call & 1) ? 0.9f : 0.0f;
    c.nesterov = (call & 3) == 3;
    c.weight_decay = (call & 4) ? 1e-3f : 0.0f;
    int64_t step = 1 + call % 3;
    check_status(w, "sgd", call, n, lossopt_sgd_step_f32(p, grad, buf, n, &c, step));
    check_status(w, "sgd oracle", call, n,
                 lossopt_sgd_step_f32_with_table(test_oracle(), op, grad, obuf, n,
                                                 &c, step));
    check_same(w, "sgd", call, p, op, n, "param");
    check_same(w, "sgd", call, buf, obuf, n, "momentum_buf");
}

static void loss_call(worker *w, int call, size_t n, lossopt_loss_kind kind)
{
    float input[MAX_N], target[MAX_N], weight[MAX_N];
    float loss[MAX_N], grad[MAX_N], oloss[MAX_N], ograd[MAX_N];
    for (size_t i = 0; i < n; i++) {
        input[i] = uniform(w, -8.0f, 8.0f);
        target[i] = kind == LOSSOPT_LOSS_BCE_LOGITS ? uniform(w, 0.0f, 1.0f)
                                                    : uniform(w, -8.0f, 8.0f);
        weight[i] = uniform(w, 0.0f, 2.0f);
    }
    lossopt_reduction r = (lossopt_reduction)(call % 3);
    size_t loss_count = r == LOSSOPT_NONE ? n : 1;
    const float *wt = (call & 4) ? weight : NULL;
    float pos_weight = 1.5f;
    memset(loss, 0, sizeof loss);
    memset(oloss, 0, sizeof oloss);
    lossopt_status s;
    const char *what;
    if (kind == LOSSOPT_LOSS_MSE) {
        what = "mse";
        s = lossopt_mse_f32(input, target, n, r, loss, grad);
    } else {
        what = "bce_logits";
        s = lossopt_bce_logits_f32(input, target, n, wt, pos_weight, r, loss, grad);
    }
    check_status(w, what, call, n, s);
    check_status(w, "loss oracle", call, n,
                 lossopt_elementwise_loss_f32_with_table(test_oracle(), kind, input,
                                                         target, wt, n, pos_weight, r, oloss,
                                                         ograd));
    check_same(w, what, call, loss, oloss, loss_count, "loss");
    check_same(w, what, call, grad, ograd, n, "grad");
}

static void query_call(worker *w, int call)
{
    unsigned supported = lossopt_supported_isas();
    lossopt_isa active = lossopt_active_isa();
    if (!(supported & (1u << LOSSOPT_ISA_SCALAR)))
        fail(w, "supported_isas", call, 0, "scalar missing from lossopt_supported_isas()");
    if (active < LOSSOPT_ISA_SCALAR || active > LOSSOPT_ISA_NEON ||
        !(supported & (1u << active))) {
        char detail[80];
        snprintf(detail, sizeof detail, "lossopt_active_isa() = %d, supported mask 0x%x",
                 (int)active, supported);
        fail(w, "active_isa", call, 0, detail);
    }
}

static void *setter(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(&start_line);
    unsigned supported = lossopt_supported_isas();
    for (int round = 0; round < SET_ROUNDS; round++)
        for (int isa = LOSSOPT_ISA_SCALAR; isa <= LOSSOPT_ISA_NEON; isa++)
            if (supported & (1u << isa)) {
                lossopt_status s = lossopt_set_isa((lossopt_isa)isa);
                if (s != LOSSOPT_OK)
                    fail(w, "set_isa", round, 0, lossopt_status_string(s));
            }
    return NULL;
}

static void *caller(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(&start_line);
    for (int call = 0; call < CALLS_PER_THREAD; call++) {
        /* lengths 0..300: empty, vector tails and several full blocks */
        size_t n = call == 0 ? (size_t)(1 + w->index) : next_u32(w) % MAX_N;
        switch ((w->index + call) % 5) {
        case 0: adam_call(w, call, n); break;
        case 1: sgd_call(w, call, n); break;
        case 2: loss_call(w, call, n, LOSSOPT_LOSS_MSE); break;
        case 3: loss_call(w, call, n, LOSSOPT_LOSS_BCE_LOGITS); break;
        default: query_call(w, call); break;
        }
    }
    return NULL;
}

int main(void)
{
    test_init("test_dispatch_race");
    /* Only reads the dispatcher when LOSSOPT_ISA is set (then the first use is
     * not pristine anyway): every call must succeed, so the ISA must exist. */
    test_skip_unless_forced_isa_supported();

    pthread_t threads[THREADS];
    if (pthread_barrier_init(&start_line, NULL, THREADS) != 0) {
        printf("test_dispatch_race: FAIL: pthread_barrier_init\n");
        return 1;
    }
    test_seed_case("dispatch race", 0, 0, 0);
    for (int t = 0; t < THREADS; t++) {
        workers[t].index = t;
        workers[t].rng = ((uint64_t)test_random_u32() << 32) | test_random_u32();
    }
    for (int t = 0; t < THREADS; t++) {
        int rc = pthread_create(&threads[t], NULL, t == 0 ? setter : caller, &workers[t]);
        if (rc != 0) {
            printf("test_dispatch_race: FAIL: pthread_create: %s\n", strerror(rc));
            return 1;
        }
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    pthread_barrier_destroy(&start_line);

    for (int t = 0; t < THREADS; t++)
        test_check(workers[t].failures == 0, "%u failure(s); first: %s", workers[t].failures,
                   workers[t].first_failure);
    lossopt_isa last = lossopt_active_isa();
    test_check((lossopt_supported_isas() & (1u << last)) != 0,
               "active ISA %d after the race is not supported", (int)last);
    printf("test_dispatch_race: %d threads x %d calls, %d lossopt_set_isa rounds over "
           "supported mask 0x%x; ended on %s\n",
           THREADS - 1, CALLS_PER_THREAD, SET_ROUNDS, lossopt_supported_isas(),
           lossopt_isa_name(last));
    return test_finish();
}
