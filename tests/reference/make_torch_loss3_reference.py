#!/usr/bin/python3
# tests/reference/make_torch_loss3_reference.py - writes loss3_reference.txt,
# PyTorch's results for the elementwise losses with three inputs and two
# gradients: torch.nn.functional.margin_ranking_loss (x1, x2, y; margin) and
# gaussian_nll_loss (input, target, var; full, eps).
#
# Each case records float32 inputs, PyTorch's loss for reduction 'none',
# 'mean' and 'sum' and the gradients autograd gives w.r.t. the first input
# (x1 / input) and the second gradient's input (x2 / var) for 'none' (each
# element's own derivative, backward(ones)) and 'mean'; next to them a float64
# reference computed with numpy from the same float32 inputs and the float32
# parameter lossopt receives (PyTorch's float results carry their own
# rounding). Options are plain Python floats, as users pass them: margin=0.3,
# eps=1e-6 (PyTorch rounds eps to float32 in its clamp_ of a float32 var, and
# lossopt receives (float)eps; the float64 reference clamps at that float).
# The float64 reference is checked here against PyTorch's float64 autograd
# run on the same inputs with the same float32-rounded parameters.
#
# Regenerate (from the repository root, with Debian's Python, no pip needed):
#     /usr/bin/python3 tests/reference/make_torch_loss3_reference.py \
#         > tests/reference/loss3_reference.txt
#
# File format (as loss_reference.txt: '#' comment lines, f32 = 8 hex digits of
# the bits, f64 = 16):
#     lossopt-loss3-reference 1
#     cases <number of cases>
#     case <index> <loss> n=<n> param=<f32> full=<0|1>
#     a <n f32>                  (x1 / input)
#     b <n f32>                  (x2 / target)
#     c <n f32>                  (y / var)
#     torch_loss_none <n f32>
#     torch_loss_mean <f32>
#     torch_loss_sum <f32>
#     torch_grad_a_none <n f32>  (d/dx1, d/dinput)
#     torch_grad_b_none <n f32>  (d/dx2, d/dvar)
#     torch_grad_a_mean <n f32>
#     torch_grad_b_mean <n f32>
#     ref_loss <n f64>           (each element's loss)
#     ref_grad_a <n f64>         (each element's own derivatives: 'none', 'sum')
#     ref_grad_b <n f64>
#     ref_sum <f64>              (math.fsum of ref_loss)
#     ...
#     end
# <loss> is margin_ranking or gaussian_nll; param is the margin or eps as
# float32; full is gaussian_nll's (0 for margin_ranking).
import math

import numpy as np
import torch
import torch.nn.functional as F

from reference_writer import F32, generate, hex32, write_values

SEED = 20261203
SIZES = (1, 7, 33)  # and one case of 300 (two canonical blocks' worth of tails) per option set
SCALES = (1e-3, 1.0, 30.0)


def case_plan():
    plan = []
    for margin in (0.0, 0.3, 1.0, -0.45):
        for scale in SCALES:
            for n in SIZES:
                plan.append(dict(loss="margin_ranking", param=margin, full=False, n=n,
                                 scale=scale, any_y=False))
        plan.append(dict(loss="margin_ranking", param=margin, full=False, n=300, scale=1.0,
                         any_y=False))
        plan.append(dict(loss="margin_ranking", param=margin, full=False, n=33, scale=1.0,
                         any_y=True))
    for eps in (1e-6, 0.37):
        for full in (False, True):
            for scale in SCALES:
                for n in SIZES:
                    plan.append(dict(loss="gaussian_nll", param=eps, full=full, n=n,
                                     scale=scale))
            plan.append(dict(loss="gaussian_nll", param=eps, full=full, n=300, scale=1.0))
    return plan


def margin_data(rng, c):
    n, s = c["n"], c["scale"]
    x1 = (rng.standard_normal(n) * s).astype(F32)
    x2 = (rng.standard_normal(n) * s).astype(F32)
    if c["any_y"]:
        y = rng.uniform(-2.0, 2.0, n).astype(F32)
    else:
        y = np.where(rng.random(n) < 0.5, F32(1.0), F32(-1.0)).astype(F32)
    # m == 0 at margin 0 (equal inputs): PyTorch's gradient passes there
    x1[np.arange(3, n, 9)] = x2[np.arange(3, n, 9)]
    return x1, x2, y


def gaussian_data(rng, c):
    n, s = c["n"], c["scale"]
    x = (rng.standard_normal(n) * s).astype(F32)
    t = (rng.standard_normal(n) * s).astype(F32)
    var = (rng.uniform(0.0, 2.0, n) * s * s).astype(F32)
    # below eps (clamped; the gradient still reaches var), exactly 0 and eps
    var[np.arange(2, n, 7)] = F32(0.0)
    var[np.arange(4, n, 11)] = F32(3e-7)
    var[np.arange(5, n, 13)] = F32(c["param"])
    return x, t, var


def torch_run(c, a, b, cc, reduction, dtype):
    ta = torch.tensor(a, dtype=dtype, requires_grad=True)
    tb = torch.tensor(b, dtype=dtype, requires_grad=c["loss"] == "margin_ranking")
    tc = torch.tensor(cc, dtype=dtype, requires_grad=c["loss"] == "gaussian_nll")
    # float32: the Python float as users pass it; float64: the float32 value
    # lossopt receives, so the reference and PyTorch's float64 run agree
    param = c["param"] if dtype == torch.float32 else float(F32(c["param"]))
    if c["loss"] == "margin_ranking":
        out = F.margin_ranking_loss(ta, tb, tc, margin=param, reduction=reduction)
        second = tb
    else:
        out = F.gaussian_nll_loss(ta, tb, tc, full=c["full"], eps=param, reduction=reduction)
        second = tc
    if reduction == "none":
        out.backward(torch.ones_like(out))
    else:
        out.backward()
    return (out.detach().numpy().reshape(-1), ta.grad.numpy().copy(),
            second.grad.numpy().copy())


def reference(c, a, b, cc):
    """Each element's loss and derivatives in float64, from the float32 inputs."""
    a64, b64, c64 = (np.asarray(v, dtype=np.float64) for v in (a, b, cc))
    p = float(F32(c["param"]))
    if c["loss"] == "margin_ranking":
        m = -c64 * (a64 - b64) + p
        loss = np.maximum(m, 0.0)
        active = m >= 0
        return loss, np.where(active, -c64, 0.0), np.where(active, c64, 0.0)
    v = np.maximum(c64, p)
    d = a64 - b64
    loss = 0.5 * (np.log(v) + d * d / v)
    if c["full"]:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return loss, d / v, 0.5 * (1.0 / v - d * d / (v * v))


def close(x, y, tol):
    return bool(np.all(np.abs(x - y) <= tol * (1.0 + np.abs(y))))


def emit_case(out, rng, index, c):
    a, b, cc = margin_data(rng, c) if c["loss"] == "margin_ranking" else gaussian_data(rng, c)
    ref_loss, ref_ga, ref_gb = reference(c, a, b, cc)
    t64 = torch_run(c, a, b, cc, "none", torch.float64)
    assert close(ref_loss, t64[0], 1e-12) and close(ref_ga, t64[1], 1e-12) and \
        close(ref_gb, t64[2], 1e-12), ("float64 reference vs torch", c)
    results = {r: torch_run(c, a, b, cc, r, torch.float32) for r in ("none", "mean", "sum")}
    out.write("# %s param=%r full=%d scale=%r%s\n"
              % (c["loss"], c["param"], c["full"], c["scale"],
                 " y uniform(-2, 2)" if c.get("any_y") else ""))
    out.write("case %d %s n=%d param=%s full=%d\n"
              % (index, c["loss"], c["n"], hex32([c["param"]]), c["full"]))
    write_values(out, "a", a)
    write_values(out, "b", b)
    write_values(out, "c", cc)
    for r in ("none", "mean", "sum"):
        write_values(out, "torch_loss_" + r, results[r][0])
    write_values(out, "torch_grad_a_none", results["none"][1])
    write_values(out, "torch_grad_b_none", results["none"][2])
    write_values(out, "torch_grad_a_mean", results["mean"][1])
    write_values(out, "torch_grad_b_mean", results["mean"][2])
    write_values(out, "ref_loss", ref_loss, 64)
    write_values(out, "ref_grad_a", ref_ga, 64)
    write_values(out, "ref_grad_b", ref_gb, 64)
    write_values(out, "ref_sum", [math.fsum(ref_loss.tolist())], 64)


def main():
    generate("lossopt-loss3-reference 1",
             "PyTorch reference of margin_ranking and gaussian_nll for\n"
             "tests/test_loss3_torch_parity.c, generated by",
             "make_torch_loss3_reference.py", "loss3_reference.txt", SEED, case_plan(),
             emit_case,
             ["case <index> <loss> n=<n> param=<f32> full=<0|1>, then a, b, c,",
              "torch_loss_none/mean/sum, torch_grad_a/b_none, torch_grad_a/b_mean, ref_loss,",
              "ref_grad_a, ref_grad_b, ref_sum lines; f32 = 8 hex digits, ref_* = 16."])


if __name__ == "__main__":
    main()
