#!/usr/bin/python3
# tests/reference/make_torch_ce_reference.py - writes ce_reference.txt, PyTorch
# cross-entropy results for tests/test_ce_torch_parity.c.
#
# Each case records float32 logits, int64 class-index labels (-100 = PyTorch's
# ignore_index, ignored), optional float32 class weights and a float32
# label_smoothing, then
#   - PyTorch's float32 torch.nn.functional.cross_entropy(logits, labels,
#     weight=..., ignore_index=-100, reduction=..., label_smoothing=...) for
#     reduction 'none', 'mean' and 'sum', and autograd's d/d(logits) for 'sum'
#     (identical to 'none' with backward(ones), which is asserted) and 'mean';
#   - a float64 reference computed with numpy from the same float32 inputs
#     (label_smoothing is the float32 value lossopt receives; PyTorch gets the
#     same value as a Python float). It is PyTorch's formula - log_softmax,
#     nll with class weights, PyTorch's label smoothing, MEAN divided by the
#     sum of w[label] over kept rows - written so that nothing cancels in
#     double:
#         m = max_j x_j,  e_j = exp(x_j - m),  S = sum_j e_j
#         logS = log1p(sum of e_j over j != argmax)  (exact for confident rows,
#                where log(S) in double rounds 1 + 1e-20 to 1 and gives 0)
#         -log p_j = (m - x_j) + logS                (two terms >= 0)
#         loss_r = (1 - eps) w_y (-log p_y) + (eps / C) sum_j w_j (-log p_j)
#         grad_j = A e_j / S - (eps / C) w_j,  j != y,  A = (1 - eps) w_y + (eps / C) W
#         grad_y = -A S_o / S + (eps / C)(W - w_y),  S_o = sum_{j != y} e_j
#     and checked here against PyTorch's own float64 cross_entropy and float64
#     autograd (the formulas the brief names) to 1e-12 of the terms' magnitude.
#     PyTorch's float64 loss itself is not written: for a confident row it
#     loses all relative accuracy (log(1 + tiny) = 0), which would make the C
#     test's 4-ulp bound on per-row losses meaningless there.
#
# Large cases (classes >= 1000) would not fit a 1 MB file: their logits and
# class weights come from the seeded generators of reference_writer.py, which
# the C test reimplements, and are checked by a checksum. Their gradients are
# stored at sampled indices only (the label, the row max, -inf positions, the
# largest |grad| and random ones); every ISA is still compared bitwise with the
# oracle on the full arrays, and ref_row_max (max |grad| over the whole row) is
# always stored.
#
# Generated with: torch 1.13.0a0 (Debian python3-torch 1.13.1+dfsg), numpy
# 1.24.2. Deterministic (fixed seed, one torch thread).
#
# Regenerate (from the repository root, with Debian's Python, no pip needed):
#     /usr/bin/python3 tests/reference/make_torch_ce_reference.py \
#         > tests/reference/ce_reference.txt
#
# File format (line based, '#' starts a comment line, blank lines ignored; a
# float32 is the 8 lower-case hex digits of its IEEE-754 bits, a float64 16):
#     lossopt-ce-reference 1
#     cases <number of cases>
#     case <index> rows=<R> classes=<C> weighted=<0|1> smoothing=<f32> logits=<hex|gen> grads=<all|sampled>
#     labels <R decimal integers>
#     weight <C f32>                                   (weighted=1, logits=hex)
#     weight_gen <seed, 16 hex> <checksum, 8 hex>      (weighted=1, logits=gen)
#     logits <R*C f32>                                 (logits=hex)
#     logits_gen <seed, 16 hex> <factor f64> <checksum, 8 hex>   (logits=gen)
#     logits_patch <K> <flat index>:<f32> ...          (logits=gen; K may be 0)
#     torch_loss_none <R f32>
#     torch_loss_mean <f32>
#     torch_loss_sum <f32>
#     ref_loss <R f64>          (per-row loss; 0 for ignored rows)
#     ref_mean <f64>            (fsum(ref_loss) / ref_divisor; NaN if all ignored)
#     ref_sum <f64>             (fsum(ref_loss), exactly rounded)
#     ref_divisor <f64>         (sum of w[label] over kept rows)
#     ref_row_max <R f64>       (max_j |ref grad| of each row, 'sum' gradient)
#     grad_index <K> <K increasing flat indices>       (grads=sampled only)
#     torch_grad_sum <K f32>    (K = R*C for grads=all, in flat order)
#     torch_grad_mean <K f32>
#     ref_grad <K f64>          ('sum' = 'none' gradient; 'mean' = ref_grad / ref_divisor)
#     ...
#     end
# Each case's lines come in exactly this order; <index> counts from 0.
import math

import numpy as np
import torch
import torch.nn.functional as F

from reference_writer import (F32, backward, check_against_torch64, class_weights, generate,
                              generated_case_logits, hex32, sample_indices, torch_reductions,
                              write_labels, write_results, write_weights_and_logits)

SEED = 20261128
IGNORE = -100


# ---- the cases ------------------------------------------------------------------

COMBOS = [(False, 0.0), (True, 0.0), (False, 0.1), (True, 0.1), (False, 1.0), (True, 1.0)]


def case_plan():
    plan = []
    # The grid: classes x rows x (weights, smoothing); rows = 33 takes three of
    # the six combinations in rotation to keep the file small.
    for classes in (1, 2, 3, 7, 16, 17):
        for rows in (1, 5, 33):
            combos = COMBOS if rows < 33 else COMBOS[classes % 2::2]
            for weighted, eps in combos:
                plan.append(dict(rows=rows, classes=classes, weighted=weighted, eps=eps,
                                 sd=3.0, ninf=False, ignore=rows > 1))
    # Large spread (confident rows: the label often the max with S_o ~ e^-50).
    for classes, rows, weighted, eps in ((2, 33, False, 0.0), (3, 5, True, 0.1),
                                         (7, 33, True, 1.0), (16, 5, False, 0.1),
                                         (17, 33, False, 0.0)):
        plan.append(dict(rows=rows, classes=classes, weighted=weighted, eps=eps, sd=30.0,
                         ninf=False, ignore=True))
    # -inf logits (never at the label; one row with only the label finite). With
    # smoothing > 0 the loss is +inf (PyTorch's too): -log p_j = inf there.
    for classes, rows, weighted, eps in ((3, 5, False, 0.0), (7, 5, True, 0.0),
                                         (16, 33, True, 0.0), (17, 5, False, 0.1),
                                         (2, 5, True, 1.0)):
        plan.append(dict(rows=rows, classes=classes, weighted=weighted, eps=eps, sd=3.0,
                         ninf=True, ignore=True))
    # A kept row whose logits are all -inf: NaN loss and gradient row, as PyTorch.
    for eps in (0.0, 0.1):
        plan.append(dict(rows=5, classes=7, weighted=eps > 0, eps=eps, sd=3.0, ninf=False,
                         ignore=False, all_ninf_row=2))
    # Every row ignored: MEAN NaN, SUM 0, NONE zeros, gradient zeros.
    for weighted, eps in ((False, 0.0), (True, 0.1)):
        plan.append(dict(rows=5, classes=7, weighted=weighted, eps=eps, sd=3.0, ninf=False,
                         ignore=False, all_ignored=True))
    # Large rows: generated logits, sampled gradients.
    for rows, weighted, eps, sd, ninf in ((1, False, 0.0, 3.0, False), (5, True, 0.1, 3.0, False),
                                          (33, False, 0.1, 3.0, False), (33, True, 0.0, 3.0, True),
                                          (5, False, 1.0, 30.0, False), (33, True, 1.0, 30.0, False)):
        plan.append(dict(rows=rows, classes=1000, weighted=weighted, eps=eps, sd=sd, ninf=ninf,
                         ignore=rows > 1))
    plan.append(dict(rows=2, classes=32000, weighted=True, eps=0.1, sd=3.0, ninf=False,
                     ignore=False))
    return plan


def make_data(rng, c):
    rows, classes = c["rows"], c["classes"]
    x = generated_case_logits(rng, c, rows, classes)
    labels = rng.integers(0, classes, rows).astype(np.int64)
    if c["ignore"]:
        ignored = rng.random(rows) < 0.2
        ignored[rng.integers(0, rows)] = True  # at least one
        labels[ignored] = IGNORE
    if c.get("all_ignored"):
        labels[:] = IGNORE
    patches = {}

    def patch(r, j, value):
        x[r, j] = value
        patches[r * classes + j] = F32(value)

    if classes > 1:
        # Some rows with the label at the row max (x_y == m: the log1p branch).
        for r in range(0, rows, 4):
            if labels[r] >= 0:
                patch(r, labels[r], F32(x[r].max()) + F32(abs(c["sd"]) * 0.25))
    if c["ninf"] and classes > 1:
        share = 0.3 if classes < 100 else 0.01
        for r in range(rows):
            y = labels[r]
            if y < 0:
                continue  # PyTorch: an all -inf ignored row has a NaN gradient row
            for j in range(classes):
                if j != y and (rng.random() < share or r == 1):
                    patch(r, j, -np.inf)  # row 1 (if kept): only the label finite
    if "all_ninf_row" in c:
        r = c["all_ninf_row"]
        labels[r] = rng.integers(0, classes)
        for j in range(classes):
            patch(r, j, -np.inf)
    w = class_weights(rng, c, classes)
    c["patches"] = patches
    return x, labels, w


# ---- PyTorch ----------------------------------------------------------------------

def torch_ce(x, labels, w, eps, reduction, dtype):
    xi = torch.from_numpy(x.copy()).to(dtype).requires_grad_(True)
    lt = torch.from_numpy(labels.copy())
    wt = torch.from_numpy(w.copy()).to(dtype) if w is not None else None
    out = F.cross_entropy(xi, lt, weight=wt, ignore_index=IGNORE, reduction=reduction,
                          label_smoothing=eps)
    backward(out, reduction)
    return out.detach().numpy().reshape(-1), xi.grad.detach().numpy()


# ---- float64 reference ----------------------------------------------------------

def reference(x32, labels, w32, eps):
    rows, classes = x32.shape
    x = x32.astype(np.float64)
    w = w32.astype(np.float64) if w32 is not None else np.ones(classes)
    W = math.fsum(w.tolist())
    pc = eps / classes
    loss = np.zeros(rows)
    grad = np.zeros((rows, classes))
    divisor = 0.0
    for r in range(rows):
        y = labels[r]
        if y < 0:
            continue
        divisor += w[y]
        xr = x[r]
        m = xr.max()
        if not np.isfinite(m):  # all -inf (m = -inf): NaN, as PyTorch
            loss[r] = np.nan
            grad[r] = np.nan
            continue
        e = np.exp(xr - m)
        k = int(np.argmax(xr))
        log_s = math.log1p(math.fsum(np.delete(e, k).tolist()))
        S = math.fsum(e.tolist())
        s_o = math.fsum(np.delete(e, y).tolist())
        neg_logp = (m - xr) + log_s  # >= 0 each, inf at -inf logits
        nll = neg_logp[y]
        value = (1.0 - eps) * w[y] * nll
        if eps > 0:
            value += pc * math.fsum((w * neg_logp).tolist())
        loss[r] = value
        A = (1.0 - eps) * w[y] + pc * W
        g = A * e / S - pc * w
        g[y] = -A * s_o / S + pc * (W - w[y])
        grad[r] = g
    return loss, grad, divisor


def describe(c):
    extra = []
    if c["sd"] != 3.0:
        extra.append("logits N(0, %g)" % c["sd"])
    if c["ninf"]:
        extra.append("-inf logits")
    if "all_ninf_row" in c:
        extra.append("row %d all -inf" % c["all_ninf_row"])
    if c.get("all_ignored"):
        extra.append("every row ignored")
    return ("F.cross_entropy(logits[%d x %d], labels%s, label_smoothing=%g)%s"
            % (c["rows"], c["classes"], ", weight=weight" if c["weighted"] else "",
               c["eps"], (", " + ", ".join(extra)) if extra else ""))


def emit_case(out, rng, index, c):
    x, labels, w = make_data(rng, c)
    rows, classes = x.shape
    eps = float(F32(c["eps"]))
    t32, t64 = torch_reductions(lambda r, dtype: torch_ce(x, labels, w, eps, r, dtype))
    loss, grad, divisor = reference(x, labels, w, eps)
    row_max = np.nanmax(np.abs(grad), axis=1, initial=0.0) if grad.size else np.zeros(0)
    check_against_torch64(loss, grad, divisor, row_max, t64)
    generated = classes >= 1000
    out.write("# %s\n" % describe(c))
    out.write("case %d rows=%d classes=%d weighted=%d smoothing=%s logits=%s grads=%s\n"
              % (index, rows, classes, c["weighted"], hex32([eps]), "gen" if generated else "hex",
                 "sampled" if generated else "all"))
    write_labels(out, labels)
    write_weights_and_logits(out, c, x, w)
    sampled = sample_indices(rng, x, labels, grad, ninf=True) if generated else None
    write_results(out, t32, loss, grad, divisor, sampled)


def main():
    generate("lossopt-ce-reference 1",
             "PyTorch cross_entropy reference for tests/test_ce_torch_parity.c, generated by",
             "make_torch_ce_reference.py", "ce_reference.txt", SEED, case_plan(), emit_case)


if __name__ == "__main__":
    main()
