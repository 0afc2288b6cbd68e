/* tests/test_optimizers_double.c - the scalar oracle against the update
 * formulas evaluated in double precision (written here from the math, not
 * from the oracle's code), for every option combination. Catches math
 * mistakes that the oracle and the vector kernels would share, which the
 * bitwise tests cannot see.
 *
 * Bound: per element, twice the first-order rounding-error bound of the
 * documented operation order (see approx below), on moderate inputs. The
 * PyTorch parity test checks SPEC 1.5's 4-ulp bound against real PyTorch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lossopt_internal.h"
#include "optimizer_cases.h"
#include "rounding_bounds.h"
#include "test_support.h"

#define N 257


/* Reference results for element i: out[0] = param, out[1 + s] = state s.
 * Written from the math of SPEC 1.5 / PyTorch, with the per-call scalars
 * derived here in double from the configuration (each a float coefficient
 * in the library: rounded). */
static void reference(const optimizer_case *c, float param, float grad, const float st[3],
                      approx out[1 + MAX_STATE_BUFFERS])
{
    approx p = exact(param), g = exact(grad);
    if (c->family == FAMILY_SGD) {
        const lossopt_sgd_config *k = &c->sgd;
        if (k->maximize) g = negate(g);
        if (k->weight_decay != 0) g = fused(rounded(k->weight_decay), p, g);
        if (k->momentum != 0) {
            approx buf = c->step == 1 ? g
                                      : fused(rounded(1.0 - k->dampening), g,
                                              mul(rounded(k->momentum), exact(st[0])));
            out[1] = buf;
            g = k->nesterov ? fused(rounded(k->momentum), buf, g) : buf;
        }
        out[0] = fused(negate(rounded(k->lr)), g, p);
    } else if (c->family == FAMILY_RMSPROP) {
        const lossopt_rmsprop_config *k = &c->rmsprop;
        if (k->maximize) g = negate(g);
        if (k->weight_decay != 0) g = fused(rounded(k->weight_decay), p, g);
        approx one_minus_alpha = rounded(1.0 - k->alpha);
        approx sq = add(mul(rounded(k->alpha), exact(st[0])), mul(mul(one_minus_alpha, g), g));
        out[1] = sq;
        approx mean_square = sq;
        if (k->centered) {
            approx ga = exact(st[1]);
            ga = interpolate(ga, g, one_minus_alpha);
            out[2] = ga;
            mean_square = sub(sq, mul(ga, ga));
        }
        approx step = quotient(g, add(root(mean_square), rounded(k->eps)));
        if (k->momentum > 0) {
            step = add(mul(rounded(k->momentum), exact(st[2])), step);
            out[3] = step;
        }
        out[0] = fused(negate(rounded(k->lr)), step, p);
    } else {
        const lossopt_adam_config *k = &c->adam;
        if (k->maximize) g = negate(g);
        if (k->weight_decay != 0) {
            if (k->decoupled_weight_decay)
                p = mul(p, rounded(1.0 - (double)k->lr * k->weight_decay));
            else
                g = fused(rounded(k->weight_decay), p, g);
        }
        approx m = exact(st[0]);
        m = interpolate(m, g, rounded(1.0 - k->beta1));
        out[1] = m;
        approx v = add(mul(rounded(k->beta2), exact(st[1])), mul(mul(rounded(1.0 - k->beta2), g), g));
        out[2] = v;
        if (k->amsgrad) {
            v = st[2] > v.v ? exact(st[2]) : v;
            out[3] = v;
        }
        double steps = (double)c->step;
        approx step_size = rounded(k->lr / (1.0 - pow(k->beta1, steps)));
        approx bc2_sqrt = rounded(sqrt(1.0 - pow(k->beta2, steps)));
        approx denom = add(quotient(root(v), bc2_sqrt), rounded(k->eps));
        out[0] = fused(negate(step_size), quotient(m, denom), p);
    }
}

static void check_case(const optimizer_case *c)
{
    if (c->family == FAMILY_RMSPROP && c->rmsprop.centered && c->rmsprop.alpha == 0.0f) {
        /* square_avg = g^2 and grad_avg = g: the centered mean square is 0 by
         * definition, so the update is g/eps (or 0/0); the bitwise tests cover
         * it, there is no rounding bound to check here */
        printf("not checked against double (degenerate by definition): %s\n",
               optimizer_case_describe(c));
        return;
    }
    float param[N], grad[N], state[MAX_STATE_BUFFERS][N];
    float p0[N], g0[N], s0[MAX_STATE_BUFFERS][N];
    test_seed_case(optimizer_case_describe(c), 0, 0, 0);
    for (int i = 0; i < N; i++) {
        p0[i] = param[i] = test_random_uniform(-3, 3);
        g0[i] = grad[i] = test_random_uniform(-2, 2);
        for (int s = 0; s < MAX_STATE_BUFFERS; s++) {
            float x = test_random_uniform(-1, 1);
            if (optimizer_case_state_is_square(c, s))
                x = fabsf(x) + 0.25f; /* keep sqrt arguments away from 0 */
            if (c->family == FAMILY_RMSPROP && s == 1)
                x *= 0.25f; /* centered: keep square_avg - grad_avg^2 positive */
            s0[s][i] = state[s][i] = x;
        }
    }
    float *st[MAX_STATE_BUFFERS] = {state[0], state[1], state[2]};
    lossopt_status status = optimizer_case_run(c, false, test_oracle(), param, grad, st, N);
    if (!test_check(status == LOSSOPT_OK, "%s: status %d", optimizer_case_describe(c), status))
        return;
    unsigned used = optimizer_case_used_state(c);
    static double family_worst[3];
    for (int i = 0; i < N; i++) {
        approx want[1 + MAX_STATE_BUFFERS];
        float st_in[3] = {s0[0][i], s0[1][i], s0[2][i]};
        reference(c, p0[i], g0[i], st_in, want);
        for (int b = 0; b <= MAX_STATE_BUFFERS; b++) {
            if (b > 0 && !((used >> (b - 1)) & 1))
                continue;
            float got = b == 0 ? param[i] : state[b - 1][i];
            double bound = 2 * want[b].err + DENORMAL_SLACK;
            double error = fabs((double)got - want[b].v);
            if (error / bound > family_worst[c->family]) {
                family_worst[c->family] = error / bound;
                printf("largest error so far for %s: %.3f of the rounding bound (%s)\n",
                       c->family == FAMILY_SGD ? "sgd" : c->family == FAMILY_RMSPROP ? "rmsprop" : "adam",
                       error / bound, optimizer_case_describe(c));
            }
            test_check(error <= bound, "%s: element %d buffer %d: oracle %.9g, double %.17g, "
                       "error %.3g > bound %.3g", optimizer_case_describe(c), i, b, got,
                       want[b].v, error, bound);
        }
    }
}

int main(void)
{
    test_init("test_optimizers_double");
    test_skip_unless_forced_isa_supported();
    const optimizer_case *cases;
    size_t count = optimizer_cases_all(&cases);
    for (size_t k = 0; k < count; k++) {
        optimizer_case c = cases[k];
        check_case(&c);
        c.step += 1; /* and the following step, for step-dependent paths */
        check_case(&c);
    }
    return test_finish();
}
