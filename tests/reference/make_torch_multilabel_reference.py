#!/usr/bin/python3
# tests/reference/make_torch_multilabel_reference.py - writes
# multilabel_reference.txt, PyTorch results for the multi-label soft margin
# (lossopt_multilabel_soft_margin_f32), read by
# tests/test_multilabel_torch_parity.c. Modelled on
# make_torch_soft_ce_margin_reference.py: the same row-wise case lines
# (reference_writer.py), with a float32 target per logit.
#
# Each case records float32 logits x (N(0, sd), some patched to +-100 and
# +-1e4: past the |x| ~ 88 where a literal log(1 + exp(x)) overflows in
# float), float32 targets t of the same shape (hard 0/1, soft in [0, 1], or
# outside [0, 1]: PyTorch does not check them, nor does lossopt), optional
# float32 class weights, then
#   - PyTorch's float32 F.multilabel_soft_margin_loss(x, t, weight=...,
#     reduction=...) for 'none', 'mean', 'sum', autograd's d/dx for 'sum'
#     (asserted equal to 'none' with backward(ones)) and 'mean';
#   - a float64 reference computed with numpy from the same float32 inputs,
#     written so that nothing cancels in double for t in [0, 1]:
#         l_j = w_j (x_j >= 0 ? log1p(exp(-x_j)) + (1 - t_j) x_j
#                             : log1p(exp(x_j)) - t_j x_j)
#         loss_r = fsum_j l_j / C
#         grad_j = (sigmoid(x_j) - t_j) w_j / C          ('sum' and 'none')
#     MEAN divides by rows. It is checked here against PyTorch's float64
#     multilabel_soft_margin_loss and autograd to 1e-12 of the terms'
#     magnitude. ref_row_bound is the row's largest term
#     max_j max(sigmoid(x_j), |t_j|, |sigmoid(x_j) - t_j|) |w_j| / C, to which
#     include/lossopt.h's gradient bound (2^-20 of it) refers: sigmoid(x) - t
#     cancels where the prediction matches a soft target.
#
# Generated with: torch 1.13.0a0 (Debian python3-torch 1.13.1+dfsg), numpy
# 1.24.2. Deterministic (fixed seed, one torch thread).
#
# Regenerate (from the repository root, with Debian's Python, no pip needed):
#     /usr/bin/python3 tests/reference/make_torch_multilabel_reference.py \
#         > tests/reference/multilabel_reference.txt
#
# File format (line based, '#' starts a comment line, blank lines ignored; a
# float32 is the 8 lower-case hex digits of its IEEE-754 bits, a float64 16):
#     lossopt-multilabel-reference 1
#     cases <number of cases>
#     case <index> loss=multilabel rows=<R> classes=<C> weighted=<0|1> logits=hex grads=all
#     weight <C f32>                                   (weighted=1)
#     logits <R*C f32>
#     targets <R*C f32>
#     torch_loss_none <R f32>
#     torch_loss_mean <f32>
#     torch_loss_sum <f32>
#     ref_loss <R f64>          (per-row loss)
#     ref_mean <f64>            (fsum(ref_loss) / rows)
#     ref_sum <f64>             (fsum(ref_loss), exactly rounded)
#     ref_divisor <f64>         (rows)
#     ref_row_max <R f64>       (max_j |ref grad| of each row, 'sum' gradient)
#     ref_row_bound <R f64>     (the row's largest term, above)
#     torch_grad_sum <R*C f32>  (flat order)
#     torch_grad_mean <R*C f32>
#     ref_grad <R*C f64>        ('sum' = 'none' gradient; 'mean' = ref_grad / rows)
#     ...
#     end
# Each case's lines come in exactly this order; <index> counts from 0.
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

from reference_writer import (F32, backward, check_against_torch64, class_weights, generate,
                              hex32, torch_reductions, write_results, write_values)

SEED = 20261204


def case_plan():
    plan = []
    # grid: classes x rows x weights x target kind (hard, soft, mixed)
    for classes in (1, 2, 3, 7, 17, 64):
        for rows in (1, 5, 13):
            for weighted in (False, True):
                for targets in ("hard", "soft", "mixed"):
                    if rows == 13 and targets != "mixed":
                        continue
                    plan.append(dict(rows=rows, classes=classes, weighted=weighted,
                                     targets=targets, sd=3.0))
    # large logits: confident rows, |x| past 88
    for classes, rows, weighted in ((3, 13, False), (17, 5, True), (64, 7, False)):
        plan.append(dict(rows=rows, classes=classes, weighted=weighted, targets="mixed",
                         sd=30.0, big=True))
    # targets outside [0, 1] (PyTorch does not check them)
    for classes, rows, weighted in ((7, 5, False), (17, 5, True)):
        plan.append(dict(rows=rows, classes=classes, weighted=weighted, targets="wide",
                         sd=3.0))
    # many classes: the canonical sum's blocks (256) and lanes
    for classes, rows, weighted in ((300, 8, True), (1000, 2, False), (257, 3, True)):
        plan.append(dict(rows=rows, classes=classes, weighted=weighted, targets="mixed",
                         sd=3.0))
    return plan


def make_data(rng, c):
    rows, classes = c["rows"], c["classes"]
    n = rows * classes
    x = (rng.standard_normal(n) * c["sd"]).astype(F32)
    if c.get("big"):
        at = rng.choice(n, max(1, n // 8), replace=False)
        x[at] = rng.choice(np.array([100.0, -100.0, 1e4, -1e4], dtype=F32), at.size)
    kind = c["targets"]
    if kind == "hard":
        t = (rng.random(n) < 0.5).astype(F32)
    elif kind == "soft":
        t = rng.random(n).astype(F32)
    elif kind == "mixed":
        k = rng.integers(0, 4, n)
        t = np.where(k == 0, 0.0, np.where(k == 1, 1.0, rng.random(n))).astype(F32)
    else:  # wide
        t = rng.uniform(-0.5, 1.5, n).astype(F32)
    w = class_weights(rng, c, classes)
    return x.reshape(rows, classes), t.reshape(rows, classes), w


def torch_multilabel(x, t, w, reduction, dtype):
    xi = torch.from_numpy(x.copy()).to(dtype).requires_grad_(True)
    tt = torch.from_numpy(t.copy()).to(dtype)
    wt = torch.from_numpy(w.copy()).to(dtype) if w is not None else None
    out = F.multilabel_soft_margin_loss(xi, tt, weight=wt, reduction=reduction)
    backward(out, reduction)
    return out.detach().numpy().reshape(-1).astype(np.float64), \
        xi.grad.detach().numpy().astype(np.float64)


def sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def reference(x32, t32, w32):
    rows, classes = x32.shape
    x = x32.astype(np.float64)
    t = t32.astype(np.float64)
    w = w32.astype(np.float64) if w32 is not None else np.ones(classes)
    e = np.exp(-np.abs(x))
    l = np.where(x >= 0, np.log1p(e) + (1.0 - t) * x, np.log1p(e) - t * x) * w
    loss = np.array([math.fsum(l[r].tolist()) / classes for r in range(rows)])
    s = sigmoid(x)
    grad = (s - t) * w / classes
    terms = np.maximum(np.maximum(s, np.abs(t)), np.abs(s - t)) * np.abs(w) / classes
    bound = terms.max(axis=1)
    return loss, grad, float(rows), bound


def describe(c):
    extra = ["targets %s" % c["targets"]]
    if c["sd"] != 3.0:
        extra.append("logits N(0, %g)" % c["sd"])
    if c.get("big"):
        extra.append("1/8 of the logits +-100 or +-1e4")
    return ("F.multilabel_soft_margin_loss(x[%d x %d], t%s), %s"
            % (c["rows"], c["classes"], ", weight=weight" if c["weighted"] else "",
               ", ".join(extra)))


def emit_case(out, rng, index, c):
    x, t, w = make_data(rng, c)
    rows, classes = x.shape
    loss, grad, divisor, bound = reference(x, t, w)
    t32, t64 = torch_reductions(lambda red, dt: torch_multilabel(x, t, w, red, dt))
    check_against_torch64(loss, grad, divisor, bound, t64)
    out.write("# %s\n" % describe(c))
    out.write("case %d loss=multilabel rows=%d classes=%d weighted=%d logits=hex grads=all\n"
              % (index, rows, classes, c["weighted"]))
    if w is not None:
        write_values(out, "weight", w)
    write_values(out, "logits", x)
    write_values(out, "targets", t)
    write_results(out, t32, loss, grad, divisor, None, bound)


def main():
    plan = case_plan()
    generate("lossopt-multilabel-reference 1",
             "PyTorch multilabel_soft_margin_loss reference for\n"
             "tests/test_multilabel_torch_parity.c, generated by",
             "make_torch_multilabel_reference.py", "multilabel_reference.txt", SEED,
             plan, emit_case)
    sys.stderr.write("%d cases\n" % len(plan))


if __name__ == "__main__":
    main()
