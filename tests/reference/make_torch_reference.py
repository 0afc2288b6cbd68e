#!/usr/bin/python3
# tests/reference/make_torch_reference.py - generates optimizer_reference.txt,
# PyTorch's own per-step results for torch.optim.SGD, RMSprop, Adam and AdamW
# (single-tensor path, foreach=False, float32, n = 67, 12 steps, every option
# combination), which tests/test_torch_parity.c replays through lossopt.
# Hyper-parameters are plain Python floats, as users write them (lr=0.001,
# betas=(0.9, 0.999)), never pre-rounded to float32: lossopt's configs are
# doubles too, and the file carries their exact double bits.
#
# Generated with: torch 1.13.0a0 (Debian python3-torch 1.13.1+dfsg,
# CPU capability AVX2), numpy 1.24.2. The output is deterministic (fixed seed)
# for a given torch/numpy build; the exact versions used are also written into
# the data file's header.
#
# Regenerate (from the repository root, with Debian's Python, no pip needed):
#     /usr/bin/python3 tests/reference/make_torch_reference.py \
#         > tests/reference/optimizer_reference.txt
#
# File format (line based, '#' starts a comment line, blank lines ignored;
# every buffer value is the 8 lower-case hex digits of its IEEE-754 binary32
# bit pattern, every hyper-parameter the 16 hex digits of its binary64 bit
# pattern, so the text loses nothing):
#     lossopt-optimizer-reference 2
#     n <elements per buffer>
#     steps <steps per configuration>
#     configs <number of configurations in the file>
#     config <index> sgd lr=<hex> momentum=<hex> dampening=<hex>
#            weight_decay=<hex> nesterov=<0|1> maximize=<0|1>
#     config <index> rmsprop lr=<hex> alpha=<hex> eps=<hex> weight_decay=<hex>
#            momentum=<hex> centered=<0|1> maximize=<0|1>
#     config <index> adam lr=<hex> beta1=<hex> beta2=<hex> eps=<hex> weight_decay=<hex>
#            decoupled_weight_decay=<0|1> amsgrad=<0|1> maximize=<0|1>
#     (each config is one line; <index> counts from 0 in file order)
#     step <k>                          (k = 1 .. steps, in order)
#     before <buffer> <n hex words>     (the state torch held before step k)
#     after <buffer> <n hex words>      (torch's state after step k)
#     ...
#     end
# Buffers: param, grad, momentum_buffer (SGD with momentum != 0; RMSprop with
# momentum > 0), square_avg, grad_avg (centered) (RMSprop), exp_avg,
# exp_avg_sq, max_exp_avg_sq (amsgrad) (Adam/AdamW). A configuration lists
# exactly the buffers it uses.
# Step 1 has a `before` line for param, grad and every state buffer (all zero:
# torch creates its state at the first step; SGD has no momentum buffer yet).
# To keep the file small, a step k > 1 has only `before grad` (the fresh
# gradient): every other buffer before step k is, bit for bit, torch's state
# after step k-1 (the generator asserts this). Every step has an `after` line
# for param and every state buffer. adam with decoupled_weight_decay=1 is
# torch.optim.AdamW; with 0 it is torch.optim.Adam (weight_decay = L2 penalty).
import numpy as np
import torch

from reference_writer import GRAD_SCALES, PARAM_SCALES, generate, hex32, hex64, hex_of

N = 67          # four 16-wide vectors plus a 3-element tail (and 8-wide ones)
STEPS = 12
SEED = 20261126





def sgd_configs():
    configs = []
    for momentum, dampening, nesterov in [(0.0, 0.0, False), (0.9, 0.0, False),
                                          (0.9, 0.0, True), (0.9, 0.1, False)]:
        for weight_decay in (0.0, 0.01):
            for maximize in (False, True):
                configs.append(dict(momentum=momentum, dampening=dampening, nesterov=nesterov,
                                    weight_decay=weight_decay, maximize=maximize))
    # lr 0.1 for every third configuration, 0.01 otherwise
    for i, c in enumerate(configs):
        c["lr"] = 0.1 if i % 3 == 2 else 0.01
    # hyper-parameters whose float32 roundings differ from their doubles
    configs.append(dict(lr=0.037, momentum=0.87, dampening=0.3, nesterov=False,
                        weight_decay=0.013, maximize=False))
    configs.append(dict(lr=0.003, momentum=0.95, dampening=0.0, nesterov=True,
                        weight_decay=0.0, maximize=True))
    return configs


def rmsprop_configs():
    configs = []
    for centered in (False, True):
        for momentum in (0.0, 0.9):
            for weight_decay in (0.0, 0.01):
                for maximize in (False, True):
                    configs.append(dict(lr=0.01, alpha=0.99, eps=1e-8, centered=centered,
                                        momentum=momentum, weight_decay=weight_decay,
                                        maximize=maximize))
    # variants of the hyper-parameters, on top of the full option grid
    configs.append(dict(lr=0.01, alpha=0.9, eps=1e-8, centered=True, momentum=0.9,
                        weight_decay=0.01, maximize=False))
    configs.append(dict(lr=0.001, alpha=0.99, eps=1e-3, centered=False, momentum=0.0,
                        weight_decay=0.0, maximize=True))
    # 1 - alpha >= 0.5: the second branch of the lerp of grad_avg
    configs.append(dict(lr=0.007, alpha=0.3, eps=1e-6, centered=True, momentum=0.0,
                        weight_decay=0.0, maximize=False))
    configs.append(dict(lr=0.0013, alpha=0.45, eps=1e-8, centered=True, momentum=0.7,
                        weight_decay=0.003, maximize=True))
    return configs


def adam_configs():
    configs = []
    for amsgrad in (False, True):
        for weight_decay, decoupled in ((0.0, False), (0.01, False), (0.01, True)):
            for maximize in (False, True):
                configs.append(dict(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8,
                                    weight_decay=weight_decay, decoupled=decoupled,
                                    amsgrad=amsgrad, maximize=maximize))
    configs.append(dict(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-8, weight_decay=0.01,
                        decoupled=True, amsgrad=True, maximize=False))
    configs.append(dict(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-3, weight_decay=0.0,
                        decoupled=False, amsgrad=False, maximize=True))
    # beta1 = 0 (exp_avg = grad exactly) and 1 - beta1 >= 0.5: lerp's second branch
    configs.append(dict(lr=0.005, beta1=0.0, beta2=0.999, eps=1e-8, weight_decay=0.0,
                        decoupled=False, amsgrad=False, maximize=False))
    configs.append(dict(lr=0.002, beta1=0.0, beta2=0.99, eps=1e-8, weight_decay=0.02,
                        decoupled=True, amsgrad=True, maximize=True))
    configs.append(dict(lr=0.0007, beta1=0.3, beta2=0.95, eps=1e-7, weight_decay=0.011,
                        decoupled=False, amsgrad=False, maximize=False))
    configs.append(dict(lr=0.003, beta1=0.45, beta2=0.9, eps=1e-8, weight_decay=0.0,
                        decoupled=False, amsgrad=True, maximize=False))
    return configs


def make_optimizer(kind, c, param):
    if kind == "sgd":
        return torch.optim.SGD([param], lr=c["lr"], momentum=c["momentum"],
                               dampening=c["dampening"], weight_decay=c["weight_decay"],
                               nesterov=c["nesterov"], maximize=c["maximize"], foreach=False)
    if kind == "rmsprop":
        return torch.optim.RMSprop([param], lr=c["lr"], alpha=c["alpha"], eps=c["eps"],
                                   weight_decay=c["weight_decay"], momentum=c["momentum"],
                                   centered=c["centered"], maximize=c["maximize"],
                                   foreach=False)
    cls = torch.optim.AdamW if c["decoupled"] else torch.optim.Adam
    return cls([param], lr=c["lr"], betas=(c["beta1"], c["beta2"]), eps=c["eps"],
               weight_decay=c["weight_decay"], amsgrad=c["amsgrad"], maximize=c["maximize"],
               foreach=False)


def config_line(index, kind, c):
    if kind == "sgd":
        return ("config %d sgd lr=%s momentum=%s dampening=%s weight_decay=%s nesterov=%d "
                "maximize=%d" % (index, hex_of(c["lr"]), hex_of(c["momentum"]),
                                 hex_of(c["dampening"]), hex_of(c["weight_decay"]),
                                 c["nesterov"], c["maximize"]))
    if kind == "rmsprop":
        return ("config %d rmsprop lr=%s alpha=%s eps=%s weight_decay=%s momentum=%s "
                "centered=%d maximize=%d" % (index, hex_of(c["lr"]), hex_of(c["alpha"]),
                                             hex_of(c["eps"]), hex_of(c["weight_decay"]),
                                             hex_of(c["momentum"]), c["centered"],
                                             c["maximize"]))
    return ("config %d adam lr=%s beta1=%s beta2=%s eps=%s weight_decay=%s "
            "decoupled_weight_decay=%d amsgrad=%d maximize=%d"
            % (index, hex_of(c["lr"]), hex_of(c["beta1"]), hex_of(c["beta2"]),
               hex_of(c["eps"]), hex_of(c["weight_decay"]), c["decoupled"], c["amsgrad"],
               c["maximize"]))


def config_comment(kind, c):
    """A readable summary of the configuration for people reading the file."""
    if kind == "adam":
        name = "AdamW" if c["decoupled"] else "Adam"
        options = {k: v for k, v in c.items() if k != "decoupled"}
    else:
        name = {"sgd": "SGD", "rmsprop": "RMSprop"}[kind]
        options = c
    return "# torch.optim.%s(%s)" % (name, ", ".join("%s=%r" % kv for kv in options.items()))


def state_buffers(kind, c):
    """The state buffers this configuration uses, as (file name, torch state key)."""
    if kind == "sgd":
        return [("momentum_buffer", "momentum_buffer")] if c["momentum"] != 0 else []
    if kind == "rmsprop":
        names = ["square_avg"]
        if c["centered"]:
            names.append("grad_avg")
        if c["momentum"] > 0:
            names.append("momentum_buffer")
        return [(name, name) for name in names]
    names = ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if c["amsgrad"] else [])
    return [(name, name) for name in names]


def normal(rng, scale):
    values = (rng.standard_normal(N) * scale).astype(np.float32)
    # a fresh nonzero gradient every step (and no zero parameter either)
    values[values == 0] = np.float32(scale)
    return values


def emit_config(out, rng, index, kind, c, param_scale, grad_scale):
    param = torch.nn.Parameter(torch.from_numpy(normal(rng, param_scale)))
    optimizer = make_optimizer(kind, c, param)
    buffers = state_buffers(kind, c)
    out.write("%s, param scale %g, grad scale %g\n" % (config_comment(kind, c), param_scale,
                                                         grad_scale))
    out.write(config_line(index, kind, c) + "\n")
    previous_after = None
    for k in range(1, STEPS + 1):
        param.grad = torch.from_numpy(normal(rng, grad_scale))
        state = optimizer.state[param]
        before = {"param": param.detach().clone()}
        for name, key in buffers:
            buf = state.get(key) if len(state) else None
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
        out.write("before grad %s\n" % hex32(param.grad))
        if k == 1:
            for name, _ in buffers:
                out.write("before %s %s\n" % (name, hex32(before[name])))
        optimizer.step()
        after = {"param": param.detach().clone()}
        for name, key in buffers:
            after[name] = optimizer.state[param][key].detach().clone()
        for name in ["param"] + [name for name, _ in buffers]:
            if not torch.isfinite(after[name]).all():
                raise SystemExit("non-finite %s in config %d step %d" % (name, index, k))
            out.write("after %s %s\n" % (name, hex32(after[name])))
        previous_after = after


def main():
    configs = ([("sgd", c) for c in sgd_configs()] +
               [("rmsprop", c) for c in rmsprop_configs()] +
               [("adam", c) for c in adam_configs()])

    def emit(out, rng, index, kind_and_config):
        kind, c = kind_and_config
        emit_config(out, rng, index, kind, c, PARAM_SCALES[index % len(PARAM_SCALES)],
                    GRAD_SCALES[index % len(GRAD_SCALES)])

    generate("lossopt-optimizer-reference 2",
             "PyTorch reference steps for tests/test_torch_parity.c, generated by",
             "make_torch_reference.py", "optimizer_reference.txt", SEED, configs, emit,
             ["config <index> <sgd|rmsprop|adam> <name>=<value>...  (doubles as 16 hex digits"
              " of their bits)",
              "step <k>; then 'before <buffer> <n hex words>' and 'after <buffer> <n hex words>'.",
              "Step 1 gives every 'before' buffer; a later step gives only 'before grad',",
              "the other buffers being the previous step's 'after' values.",
              "adam with decoupled_weight_decay=1 is torch.optim.AdamW."],
             "n %d\nsteps %d\nconfigs %d\n" % (N, STEPS, len(configs)))


if __name__ == "__main__":
    main()
