#!/usr/bin/python3
# tests/reference/make_torch_more_reference.py - generates
# more_optimizer_reference.txt, PyTorch's own per-step results for
# torch.optim.Adagrad, Adamax, NAdam and RAdam (float32, n = 37, 10 steps per
# configuration, every option torch 1.13 has), which
# tests/test_more_torch_parity.c replays through lossopt (SPEC 1.8).
# Hyper-parameters are plain Python floats, as users write them (lr=0.002,
# betas=(0.9, 0.999)), never pre-rounded to float32: lossopt's configs are
# doubles too, and the file carries their exact double bits.
#
# Which torch code path:
#   - Adagrad, Adamax, RAdam: the single-tensor path (foreach=False), as for
#     SGD/RMSprop/Adam in make_torch_reference.py.
#   - NAdam: the multi-tensor path (foreach=True). torch 1.13's single-tensor
#     NAdam multiplies mu into mu_product twice per step (`mu_product *= mu`,
#     then `mu_product * mu * mu_next` for the next product), a bug its
#     foreach path and torch 2.x do not have; lossopt implements the correct
#     algorithm (include/lossopt.h: c_avg uses P * mu_next). The foreach path
#     computes the same per-element operations as the single-tensor one except
#     that it divides sqrt(exp_avg_sq) by sqrt(bias_correction2) (2.x's and
#     lossopt's order) instead of taking sqrt(exp_avg_sq / bias_correction2).
#     Note that the foreach path adds weight_decay * param into param.grad in
#     place: the file records the gradient before the step.
#   - NAdam's mu_product: torch 1.13 keeps it as a float32 0-dim tensor
#     (rounding mu to float32 and the product to float32 every step); lossopt
#     keeps a double (lossopt_nadam_step_f32's `double *mu_product`, 1.0 before
#     step 1, updated by the call), and the parity test passes lossopt its own
#     double. So the step coefficients -lr (1 - mu) / (1 - P) and
#     -lr mu_next / (1 - P mu_next) differ slightly from torch's: the comment
#     after each NAdam step gives torch's float32 product, the double one and
#     their relative difference (asserted below 1e-6 here; it changes the
#     coefficients by about as much relative, far inside the 4 ulp bound).
#   - Options torch 1.13 lacks (NAdam/RAdam decoupled_weight_decay and
#     maximize) are not in this file; their configs are replayed with those
#     options false.
#
# Generated with: torch 1.13.0a0 (Debian python3-torch 1.13.1+dfsg,
# CPU capability AVX2), numpy 1.24.2. The output is deterministic (fixed seed)
# for a given torch/numpy build; the exact versions used are also written into
# the data file's header.
#
# Regenerate (from the repository root, with Debian's Python, no pip needed):
#     /usr/bin/python3 tests/reference/make_torch_more_reference.py \
#         > tests/reference/more_optimizer_reference.txt
#
# File format: that of make_torch_reference.py (the same reader,
# tests/parity_common.c), with other optimizer names and buffers:
#     lossopt-more-optimizer-reference 1
#     n <elements per buffer>
#     steps <steps per configuration>
#     configs <number of configurations in the file>
#     config <index> adagrad lr=<hex> lr_decay=<hex> weight_decay=<hex>
#            initial_accumulator_value=<hex> eps=<hex> maximize=<0|1>
#     config <index> adamax lr=<hex> beta1=<hex> beta2=<hex> eps=<hex>
#            weight_decay=<hex> maximize=<0|1>
#     config <index> nadam lr=<hex> beta1=<hex> beta2=<hex> eps=<hex>
#            weight_decay=<hex> momentum_decay=<hex>
#     config <index> radam lr=<hex> beta1=<hex> beta2=<hex> eps=<hex>
#            weight_decay=<hex>
#     (each config is one line; <index> counts from 0 in file order; <hex> is
#     the 16 hex digits of a double's bits)
#     step <k>                          (k = 1 .. steps, in order)
#     before <buffer> <n hex words>     (the state torch held before step k)
#     after <buffer> <n hex words>      (torch's state after step k)
#     ...
#     end
# Buffers: param, grad, then sum (Adagrad), exp_avg and exp_inf (Adamax),
# exp_avg and exp_avg_sq (NAdam, RAdam); every configuration uses all of its
# optimizer's buffers. Step 1 has a `before` line for param, grad and every
# state buffer (Adagrad's sum holds initial_accumulator_value, rounded to
# float32 as torch.full_like does; the others are zero). A step k > 1 has only
# `before grad`: every other buffer before step k is, bit for bit, torch's
# state after step k-1 (the generator asserts this). Every step has an `after`
# line for param and every state buffer.
import math

import numpy as np
import torch

from reference_writer import GRAD_SCALES, PARAM_SCALES, generate, hex32, hex64, hex_of

N = 37          # two 16-wide vectors (four 8-wide ones) plus a 5-element tail
STEPS = 10      # RAdam's rectification starts at step 6 (beta2 >= 0.9) or 7 (0.8)
SEED = 20261203





def adagrad_configs():
    base = dict(lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                eps=1e-10, maximize=False)
    variants = [
        {},
        dict(maximize=True),
        dict(weight_decay=0.01),
        dict(lr_decay=0.01, maximize=True),
        dict(initial_accumulator_value=0.1, weight_decay=0.01),
        # hyper-parameters whose float32 roundings differ from their doubles
        dict(lr=0.037, lr_decay=0.05, weight_decay=0.013, initial_accumulator_value=0.3,
             eps=1e-3, maximize=True),
        dict(lr=0.1, lr_decay=0.3, eps=1e-6),
    ]
    return [dict(base, **v) for v in variants]


def adamax_configs():
    base = dict(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, maximize=False)
    variants = [
        {},
        dict(maximize=True),
        dict(weight_decay=0.01),
        dict(weight_decay=0.01, maximize=True, lr=0.01),
        dict(lr=0.0037, beta1=0.87, beta2=0.993, eps=1e-3, weight_decay=0.013),
        # beta1 = 0 (exp_avg = g) and 1 - beta1 >= 0.5: lerp's second branch
        dict(beta1=0.0, beta2=0.9),
        dict(lr=0.005, beta1=0.3, beta2=0.5, eps=1e-6, maximize=True),
    ]
    return [dict(base, **v) for v in variants]


def nadam_configs():
    base = dict(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                momentum_decay=4e-3)
    # beta1 = 0 is not here: mu = 0 makes mu_product 0 after step 1, and
    # lossopt requires mu_product in (0, 1] (LOSSOPT_ERR_ARG at step 2).
    variants = [
        {},
        dict(weight_decay=0.01),
        dict(momentum_decay=0.0),
        dict(momentum_decay=0.07, lr=0.01),
        dict(lr=0.0037, beta1=0.87, beta2=0.993, eps=1e-3, weight_decay=0.013,
             momentum_decay=0.011),
        # 1 - beta1 >= 0.5: lerp's second branch
        dict(beta1=0.3, beta2=0.95, momentum_decay=0.5),
        dict(lr=0.005, beta1=0.45, beta2=0.8, eps=1e-6, weight_decay=0.002),
    ]
    return [dict(base, **v) for v in variants]


def radam_configs():
    base = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)
    variants = [
        {},                                   # rectified from step 6
        dict(weight_decay=0.01),
        dict(lr=0.01, beta2=0.99),            # rectified from step 6
        dict(lr=0.0037, beta1=0.87, beta2=0.993, eps=1e-3, weight_decay=0.013),
        dict(beta1=0.3, beta2=0.8),           # rectified from step 7; lerp's 2nd branch
        dict(beta1=0.0, beta2=0.9, eps=1e-6),  # exp_avg = g; rectified from step 6
        dict(lr=0.005, beta2=0.5, weight_decay=0.002),  # rho_inf = 3: never rectified
    ]
    return [dict(base, **v) for v in variants]


OPTIONS = {
    "adagrad": ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps",
                "maximize"],
    "adamax": ["lr", "beta1", "beta2", "eps", "weight_decay", "maximize"],
    "nadam": ["lr", "beta1", "beta2", "eps", "weight_decay", "momentum_decay"],
    "radam": ["lr", "beta1", "beta2", "eps", "weight_decay"],
}
STATE = {"adagrad": ["sum"], "adamax": ["exp_avg", "exp_inf"],
         "nadam": ["exp_avg", "exp_avg_sq"], "radam": ["exp_avg", "exp_avg_sq"]}
FLAGS = {"maximize"}


def make_optimizer(kind, c, param):
    if kind == "adagrad":
        return torch.optim.Adagrad([param], lr=c["lr"], lr_decay=c["lr_decay"],
                                   weight_decay=c["weight_decay"],
                                   initial_accumulator_value=c["initial_accumulator_value"],
                                   eps=c["eps"], foreach=False, maximize=c["maximize"])
    if kind == "adamax":
        return torch.optim.Adamax([param], lr=c["lr"], betas=(c["beta1"], c["beta2"]),
                                  eps=c["eps"], weight_decay=c["weight_decay"], foreach=False,
                                  maximize=c["maximize"])
    if kind == "nadam":
        # foreach=True: the single-tensor path of 1.13 has the mu_product bug
        return torch.optim.NAdam([param], lr=c["lr"], betas=(c["beta1"], c["beta2"]),
                                 eps=c["eps"], weight_decay=c["weight_decay"],
                                 momentum_decay=c["momentum_decay"], foreach=True)
    return torch.optim.RAdam([param], lr=c["lr"], betas=(c["beta1"], c["beta2"]), eps=c["eps"],
                             weight_decay=c["weight_decay"], foreach=False)


def config_line(index, kind, c):
    words = ["config", str(index), kind]
    for name in OPTIONS[kind]:
        words.append("%s=%s" % (name, ("%d" % c[name]) if name in FLAGS else hex_of(c[name])))
    return " ".join(words)


def config_comment(kind, c):
    """A readable summary of the configuration for people reading the file."""
    name = {"adagrad": "Adagrad", "adamax": "Adamax", "nadam": "NAdam", "radam": "RAdam"}[kind]
    options = []
    for key in OPTIONS[kind]:
        if key == "beta1":
            options.append("betas=(%r, %r)" % (c["beta1"], c["beta2"]))
        elif key != "beta2":
            options.append("%s=%r" % (key, c[key]))
    path = "foreach=True" if kind == "nadam" else "foreach=False"
    return "# torch.optim.%s(%s, %s)" % (name, ", ".join(options), path)


def radam_rectified(c, k):
    """Whether RAdam's step k is rectified (torch's own formula, in double)."""
    beta2 = c["beta2"]
    rho_inf = 2 / (1 - beta2) - 1
    return rho_inf - 2 * k * (beta2 ** k) / (1 - beta2 ** k) > 5.


def nadam_mu(c, k):
    return c["beta1"] * (1. - 0.5 * (0.96 ** (k * c["momentum_decay"])))


def normal(rng, scale):
    values = (rng.standard_normal(N) * scale).astype(np.float32)
    # a fresh nonzero gradient every step (and no zero parameter either)
    values[values == 0] = np.float32(scale)
    return values


def emit_config(out, rng, index, kind, c, param_scale, grad_scale):
    param = torch.nn.Parameter(torch.from_numpy(normal(rng, param_scale)))
    optimizer = make_optimizer(kind, c, param)
    buffers = STATE[kind]
    out.write("%s, param scale %g, grad scale %g\n" % (config_comment(kind, c), param_scale,
                                                         grad_scale))
    if kind == "radam":
        switch = [k for k in range(1, STEPS + 1) if radam_rectified(c, k)]
        out.write("# rectified (rho_t > 5) at steps %s\n"
                  % (", ".join(map(str, switch)) if switch else "none"))
    out.write(config_line(index, kind, c) + "\n")
    previous_after = None
    mu_product_double = 1.0
    for k in range(1, STEPS + 1):
        grad = torch.from_numpy(normal(rng, grad_scale))
        param.grad = grad.clone()  # NAdam's foreach path adds weight decay into it
        state = optimizer.state[param]
        before = {"param": param.detach().clone()}
        for name in buffers:
            buf = state.get(name) if len(state) else None
            before[name] = buf.detach().clone() if buf is not None else torch.zeros(N)
        if previous_after is not None:
            # The file omits these lines after step 1; make sure that is lossless.
            for name, value in before.items():
                same_bits = torch.equal(value.view(torch.int32),
                                        previous_after[name].view(torch.int32))
                assert same_bits, (index, k, name)
        out.write("step %d\n" % k)
        if k == 1:
            out.write("before param %s\n" % hex32(before["param"]))
        out.write("before grad %s\n" % hex32(grad))
        if k == 1:
            for name in buffers:
                out.write("before %s %s\n" % (name, hex32(before[name])))
        optimizer.step()
        after = {"param": param.detach().clone()}
        for name in buffers:
            after[name] = optimizer.state[param][name].detach().clone()
        for name in ["param"] + buffers:
            if not torch.isfinite(after[name]).all():
                raise SystemExit("non-finite %s in config %d step %d" % (name, index, k))
            out.write("after %s %s\n" % (name, hex32(after[name])))
        if kind == "nadam":
            torch_product = optimizer.state[param]["mu_product"]
            assert torch_product.dtype == torch.float32
            mu_product_double *= nadam_mu(c, k)
            difference = abs(float(torch_product) - mu_product_double) / mu_product_double
            assert difference < 1e-6, (index, k, difference)
            out.write("# mu_product after step %d: torch float32 %s = %.9g, double %.17g, "
                      "relative difference %.2g\n"
                      % (k, hex32(torch_product.reshape(1)), float(torch_product),
                         mu_product_double, difference))
        previous_after = after


def main():
    configs = ([("adagrad", c) for c in adagrad_configs()] +
               [("adamax", c) for c in adamax_configs()] +
               [("nadam", c) for c in nadam_configs()] +
               [("radam", c) for c in radam_configs()])
    # The RAdam configurations must cross the rectification switch with
    # beta2 = 0.999 and at least one other beta2.
    crossing = {c["beta2"] for kind, c in configs if kind == "radam" and
                not radam_rectified(c, 1) and radam_rectified(c, STEPS)}
    assert 0.999 in crossing and len(crossing) >= 2, crossing
    assert all(math.isfinite(v) for _, c in configs for v in c.values())

    def emit(out, rng, index, kind_and_config):
        kind, c = kind_and_config
        emit_config(out, rng, index, kind, c, PARAM_SCALES[index % len(PARAM_SCALES)],
                    GRAD_SCALES[index % len(GRAD_SCALES)])

    generate("lossopt-more-optimizer-reference 1",
             "PyTorch reference steps for tests/test_more_torch_parity.c, generated by",
             "make_torch_more_reference.py", "more_optimizer_reference.txt", SEED, configs,
             emit,
             ["config <index> <adagrad|adamax|nadam|radam> <name>=<value>...  (doubles as 16"
              " hex digits of their bits)",
              "step <k>; then 'before <buffer> <n hex words>' and 'after <buffer> <n hex words>'.",
              "Step 1 gives every 'before' buffer; a later step gives only 'before grad',",
              "the other buffers being the previous step's 'after' values.",
              "Adagrad, Adamax, RAdam: foreach=False; NAdam: foreach=True (1.13's",
              "single-tensor NAdam multiplies mu into mu_product twice per step)."],
             "n %d\nsteps %d\nconfigs %d\n" % (N, STEPS, len(configs)))


if __name__ == "__main__":
    main()
