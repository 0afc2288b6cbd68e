#!/usr/bin/python3
# tests/reference/make_torch_soft_ce_margin_reference.py - writes
# soft_ce_margin_reference.txt, PyTorch results for soft-target cross-entropy
# (lossopt_cross_entropy_probs_f32) and the multiclass hinge
# (lossopt_multi_margin_f32), read by tests/test_soft_ce_margin_torch_parity.c.
# Modelled on make_torch_ce_reference.py (same file conventions; the shared
# lines, generators and checks in reference_writer.py).
#
# soft_ce cases record float32 logits, float32 probability targets (each row a
# distribution summing to 1 up to float rounding, with exact zeros: one-hot
# rows, sparse rows, softmax-matching rows whose gradient cancels, uniform and
# dense rows), optional float32 class weights and a float32 label_smoothing,
# then
#   - PyTorch's float32 F.cross_entropy(logits, target_probs, weight=...,
#     reduction=..., label_smoothing=...) for 'none', 'mean', 'sum', autograd's
#     d/d(logits) for 'sum' (asserted equal to 'none' with backward(ones)) and
#     'mean';
#   - a float64 reference computed with numpy from the same float32 inputs
#     (label_smoothing the float32 value lossopt receives), PyTorch's formula
#     with 0 log 0 = 0 and written so that nothing cancels in double:
#         t~_j = t_j (1 - eps) + eps / C,  u_j = w_j t~_j,  V = sum_j u_j
#         m = max_j x_j,  e_j = exp(x_j - m),  S = sum_j e_j
#         logS = log1p(sum of e_j over j != argmax)
#         loss_r = V logS - sum_{u_j != 0} u_j (x_j - m)     (two terms >= 0)
#         grad_j = V e_j / S - u_j
#     MEAN divides by rows (PyTorch does, also with weights). It is checked
#     here against PyTorch's float64 cross_entropy and autograd to 1e-12 of the
#     terms' magnitude, except where PyTorch's float64 loss is NaN: a -inf
#     logit with t~_j = 0 (0 * -inf in PyTorch; 0 log 0 = 0 in the reference
#     and in lossopt, by design). The gradient is finite in PyTorch there too
#     and is still checked. ref_row_bound is the row's largest term
#     max_j max(V e_j / S, u_j), to which include/lossopt.h's gradient bound
#     (2^-20 of it) refers.
#
# multi_margin cases record float32 scores, int64 labels (-100 marks a row
# lossopt ignores), optional class weights, p (1 or 2) and a float32 margin.
# PyTorch's multi_margin_loss has no ignore_index (a negative target is an
# error), so the PyTorch results are those of F.multi_margin_loss(scores[kept],
# labels[kept], p=p, margin=margin, weight=..., reduction=...) on the kept rows
# only, scattered back with 0 loss and a 0 gradient row for the ignored rows:
# exactly lossopt's documented semantics (MEAN over kept rows). A case whose
# every row is ignored cannot be asked of PyTorch (multi_margin_loss on an
# empty batch returns an uninitialised value, 3.3e-40, for 'mean' in 1.13): its
# PyTorch lines hold the documented values (mean NaN, sum 0, none 0, grads 0).
# The float64 reference (margin - x_y + x_j exact in double):
#     h_j = max(margin - x_y + x_j, 0),  loss_r = w_y sum_{j != y} h_j^p / C
#     grad_j = w_y (p == 1 ? [h_j > 0] : 2 h_j) / C  (j != y),  grad_y = -sum
# checked against PyTorch's float64 multi_margin_loss and autograd. Some rows
# hold exact ties (x_j = x_y - margin, so h_j = 0 and no gradient there, as
# PyTorch's z > 0).
#
# Cases with classes >= 1000 use reference_writer.py's splitmix64 logits
# generator (and its class-weight generator), and usually generated targets:
#     z_i = splitmix64 output i + 1 of the targets' seed (flat index i)
#     u_i = ((z_i >> 16) & 0xff) < zero_below ? 0 : (z_i & 0xffff) + 1
#     per row: U = sum of the row's u_i (an exact integer in double; a row
#     with U == 0 gets u at its class 0 = 1), t_i = (float)((double)u_i / U)
# with a checksum of the float32 bit patterns, as for the logits. Their
# gradients are stored at sampled indices (label, row max, largest |grad|,
# zero targets, random ones); every ISA is still compared bitwise with the
# oracle over the full arrays, and ref_row_max / ref_row_bound cover whole rows.
#
# Generated with: torch 1.13.0a0 (Debian python3-torch 1.13.1+dfsg), numpy
# 1.24.2. Deterministic (fixed seed, one torch thread).
#
# Regenerate (from the repository root, with Debian's Python, no pip needed):
#     /usr/bin/python3 tests/reference/make_torch_soft_ce_margin_reference.py \
#         > tests/reference/soft_ce_margin_reference.txt
#
# File format (line based, '#' starts a comment line, blank lines ignored; a
# float32 is the 8 lower-case hex digits of its IEEE-754 bits, a float64 16):
#     lossopt-soft-ce-margin-reference 1
#     cases <number of cases>
#     case <index> loss=soft_ce rows=<R> classes=<C> weighted=<0|1> smoothing=<f32> logits=<hex|gen> targets=<hex|gen> grads=<all|sampled>
#     case <index> loss=multi_margin rows=<R> classes=<C> weighted=<0|1> p=<1|2> margin=<f32> logits=<hex|gen> grads=<all|sampled>
#     labels <R decimal integers>                      (multi_margin only)
#     weight <C f32>                                   (weighted=1, logits=hex)
#     weight_gen <seed, 16 hex> <checksum, 8 hex>      (weighted=1, logits=gen)
#     logits <R*C f32>                                 (logits=hex)
#     logits_gen <seed, 16 hex> <factor f64> <checksum, 8 hex>   (logits=gen)
#     logits_patch <K> <flat index>:<f32> ...          (logits=gen; K may be 0)
#     targets <R*C f32>                                (soft_ce, targets=hex)
#     targets_gen <seed, 16 hex> <zero_below, decimal 0..256> <checksum, 8 hex>
#                                                      (soft_ce, targets=gen)
#     torch_loss_none <R f32>
#     torch_loss_mean <f32>
#     torch_loss_sum <f32>
#     ref_loss <R f64>          (per-row loss; 0 for ignored rows)
#     ref_mean <f64>            (fsum(ref_loss) / ref_divisor; NaN if no kept row)
#     ref_sum <f64>             (fsum(ref_loss), exactly rounded)
#     ref_divisor <f64>         (MEAN's divisor: rows (soft_ce), kept rows (multi_margin))
#     ref_row_max <R f64>       (max_j |ref grad| of each row, 'sum' gradient)
#     ref_row_bound <R f64>     (what 2^-20 applies to: soft_ce max_j max(p_j V, u_j),
#                                multi_margin = ref_row_max)
#     grad_index <K> <K increasing flat indices>       (grads=sampled only)
#     torch_grad_sum <K f32>    (K = R*C for grads=all, in flat order)
#     torch_grad_mean <K f32>
#     ref_grad <K f64>          ('sum' = 'none' gradient; 'mean' = ref_grad / ref_divisor)
#     ...
#     end
# Each case's lines come in exactly this order; <index> counts from 0.
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

from reference_writer import (F32, backward, check_against_torch64, checksum32, class_weights,
                              generate, generated_case_logits, hex32, sample_indices, splitmix64,
                              torch_reductions, write_labels, write_results,
                              write_weights_and_logits)

SEED = 20261205
IGNORE = -100


# ---- the targets generator (reimplemented in the C test) ------------------------

def generated_targets(seed, rows, classes, zero_below):
    z = splitmix64(seed, rows * classes)
    u = ((z & np.uint64(0xffff)) + np.uint64(1)).astype(np.float64)
    u[((z >> np.uint64(16)) & np.uint64(0xff)) < np.uint64(zero_below)] = 0.0
    u = u.reshape(rows, classes)
    for r in range(rows):
        if u[r].sum() == 0.0:
            u[r, 0] = 1.0
    t = (u / u.sum(axis=1, keepdims=True)).astype(F32)  # integer sums: exact in any order
    return t, checksum32(t)


# ---- the cases ------------------------------------------------------------------

CE_COMBOS = [(False, 0.0), (True, 0.0), (False, 0.1), (True, 0.1), (False, 1.0), (True, 1.0)]
MM_COMBOS = [(p, margin, weighted) for p in (1, 2) for margin in (1.0, 0.5, -0.25)
             for weighted in (False, True)]


def case_plan():
    plan = []
    # soft_ce grid: classes x rows x (weights, smoothing); rows = 13 takes
    # three of the six combinations in rotation to keep the file small.
    for classes in (1, 2, 3, 7, 17):
        for rows in (1, 5, 13):
            combos = CE_COMBOS if rows < 13 else CE_COMBOS[classes % 2::2]
            for weighted, eps in combos:
                plan.append(dict(loss="soft_ce", rows=rows, classes=classes, weighted=weighted,
                                 eps=eps, sd=3.0))
    # Large spread: confident rows (S - 1 ~ e^-50), softmax-matching targets.
    for classes, rows, weighted, eps in ((2, 13, False, 0.0), (3, 5, True, 0.1),
                                         (7, 13, True, 1.0), (17, 5, False, 0.0),
                                         (17, 5, True, 0.1)):
        plan.append(dict(loss="soft_ce", rows=rows, classes=classes, weighted=weighted, eps=eps,
                         sd=30.0))
    # -inf logits where the target is 0. eps = 0: t~ = 0 there, PyTorch's loss
    # is NaN (0 * -inf), lossopt's and the reference's finite (0 log 0 = 0).
    # eps = 0.1: t~ = eps / C > 0 there, the loss is +inf in all three.
    for classes, rows, weighted, eps in ((7, 5, True, 0.0), (17, 5, False, 0.0),
                                         (7, 5, False, 0.1)):
        plan.append(dict(loss="soft_ce", rows=rows, classes=classes, weighted=weighted, eps=eps,
                         sd=3.0, ninf=True))
    # A row whose logits are all -inf: NaN loss and gradient row, as PyTorch.
    plan.append(dict(loss="soft_ce", rows=5, classes=7, weighted=True, eps=0.0, sd=3.0,
                     all_ninf_row=2))
    # 1000 classes: generated logits, sampled gradients.
    for rows, weighted, eps, sd, zero_below, hex_targets in (
            (1, False, 0.0, 3.0, 128, False), (5, True, 0.1, 3.0, 200, False),
            (9, False, 1.0, 3.0, 64, False), (5, True, 0.0, 30.0, 250, False),
            (2, True, 0.0, 3.0, 0, True), (2, False, 0.1, 30.0, 0, True)):
        plan.append(dict(loss="soft_ce", rows=rows, classes=1000, weighted=weighted, eps=eps,
                         sd=sd, zero_below=zero_below, hex_targets=hex_targets))

    # multi_margin grid: classes x rows x (p, margin, weights).
    for classes in (1, 2, 3, 7, 17):
        for rows in (1, 5, 13):
            if rows == 5:
                combos = MM_COMBOS
            elif rows == 1:
                combos = MM_COMBOS[classes % 3::3]
            else:
                combos = MM_COMBOS[classes % 4::4]
            for p, margin, weighted in combos:
                plan.append(dict(loss="multi_margin", rows=rows, classes=classes,
                                 weighted=weighted, p=p, margin=margin, sd=1.0 if p == 2 else 2.0,
                                 ignore=rows > 1))
    # Large spread: most hinges inactive or large.
    for classes, rows, p, margin, weighted in ((3, 13, 1, 1.0, True), (7, 13, 2, 0.5, False),
                                               (17, 5, 2, -0.25, True)):
        plan.append(dict(loss="multi_margin", rows=rows, classes=classes, weighted=weighted, p=p,
                         margin=margin, sd=30.0, ignore=True))
    # Every row ignored: MEAN NaN, SUM 0, NONE zeros, gradient zeros.
    for p in (1, 2):
        plan.append(dict(loss="multi_margin", rows=5, classes=7, weighted=p == 2, p=p,
                         margin=1.0, sd=2.0, ignore=False, all_ignored=True))
    # 1000 classes: generated scores, sampled gradients.
    for rows, p, margin, weighted, sd in ((1, 1, 1.0, False, 1.0), (5, 2, 0.5, True, 1.0),
                                          (9, 1, -0.25, True, 3.0), (9, 2, 1.0, False, 3.0),
                                          (5, 1, 0.5, False, 0.3)):
        plan.append(dict(loss="multi_margin", rows=rows, classes=1000, weighted=weighted, p=p,
                         margin=margin, sd=sd, ignore=rows > 1))
    return plan


def softmax64(x):
    x = x.astype(np.float64)
    m = x.max()
    e = np.exp(x - m)
    return e / e.sum()


def target_row(rng, kind, xr):
    classes = xr.size
    if classes == 1:
        return np.ones(1, dtype=F32)
    if kind == 0:    # one-hot: every other target exactly 0
        t = np.zeros(classes)
        t[rng.integers(0, classes)] = 1.0
    elif kind == 1:  # sparse: about 40 % exact zeros
        t = rng.gamma(0.5, 1.0, classes)
        t[rng.random(classes) < 0.4] = 0.0
        if t.sum() == 0.0:
            t[rng.integers(0, classes)] = 1.0
    elif kind == 2:  # the prediction itself: the gradient cancels
        t = softmax64(xr)
    elif kind == 3:  # uniform
        t = np.ones(classes)
    else:            # dense
        t = rng.gamma(1.0, 1.0, classes) + 1e-3
    return (t / math.fsum(t.tolist())).astype(F32)


def make_data(rng, c):
    rows, classes = c["rows"], c["classes"]
    large = classes >= 1000
    x = generated_case_logits(rng, c, rows, classes)
    patches = {}

    def patch(r, j, value):
        x[r, j] = value
        patches[r * classes + j] = F32(value)

    labels = None
    t = None
    if c["loss"] == "multi_margin":
        labels = rng.integers(0, classes, rows).astype(np.int64)
        if c["ignore"]:
            ignored = rng.random(rows) < 0.2
            ignored[rng.integers(0, rows)] = True  # at least one
            labels[ignored] = IGNORE
        if c.get("all_ignored"):
            labels[:] = IGNORE
        if classes > 1:
            margin = F32(c["margin"])
            for r in range(rows):
                y = labels[r]
                if y < 0 or r % 3 != 0:
                    continue
                # exact ties: x_j = x_y - margin (exact in float), so h_j = 0
                for j in rng.choice(classes, min(3, classes), replace=False):
                    tie = F32(x[r, y]) - margin
                    if j != y and float(tie) == float(x[r, y]) - float(margin):
                        patch(r, j, tie)
    else:
        if large and not c.get("hex_targets"):
            seed = int(rng.integers(0, 2 ** 63))
            t, checksum = generated_targets(seed, rows, classes, c["zero_below"])
            c["tgen"] = (seed, c["zero_below"], checksum)
        else:
            t = np.stack([target_row(rng, 2 if large else int(rng.integers(0, 5)), x[r])
                          for r in range(rows)])
        if c.get("ninf") and classes > 1:
            for r in range(rows):
                zeros = np.flatnonzero(t[r] == 0)
                if zeros.size == 0:  # make room: a sparse row
                    t[r] = target_row(rng, 1, x[r])
                    zeros = np.flatnonzero(t[r] == 0)
                if zeros.size == classes:
                    continue
                for j in zeros[: max(1, zeros.size // 2)]:
                    patch(r, j, -np.inf)
            if c["eps"] == 0.0:
                pass
            else:  # one row also with a -inf logit at a nonzero target
                j = int(np.flatnonzero(t[rows - 1] > 0)[0])
                patch(rows - 1, j, -np.inf)
                if np.isneginf(x[rows - 1]).all():
                    patch(rows - 1, (j + 1) % classes, F32(0.5))
        if "all_ninf_row" in c:
            r = c["all_ninf_row"]
            for j in range(classes):
                patch(r, j, -np.inf)
    w = class_weights(rng, c, classes)
    c["patches"] = patches
    return x, t, labels, w


# ---- PyTorch ----------------------------------------------------------------------

def run_torch(fn, x, reduction, dtype):
    xi = torch.from_numpy(x.copy()).to(dtype).requires_grad_(True)
    out = fn(xi, reduction, dtype)
    backward(out, reduction)
    return out.detach().numpy().reshape(-1).astype(np.float64), \
        xi.grad.detach().numpy().astype(np.float64)


def torch_soft_ce(x, t, w, eps, reduction, dtype):
    tt = torch.from_numpy(t.copy()).to(dtype)
    wt = torch.from_numpy(w.copy()).to(dtype) if w is not None else None
    return run_torch(lambda xi, red, dt: F.cross_entropy(xi, tt, weight=wt, reduction=red,
                                                         label_smoothing=eps),
                     x, reduction, dtype)


def torch_margin(x, labels, w, p, margin, reduction, dtype):
    """PyTorch on the kept rows only, scattered back (ignored rows: 0)."""
    rows, classes = x.shape
    kept = labels >= 0
    loss_none = np.zeros(rows)
    grad = np.zeros((rows, classes))
    if not kept.any():
        value = {"none": loss_none, "sum": np.zeros(1), "mean": np.full(1, np.nan)}[reduction]
        return value, grad
    yt = torch.from_numpy(labels[kept].copy())
    wt = torch.from_numpy(w.copy()).to(dtype) if w is not None else None
    value, g = run_torch(lambda xi, red, dt: F.multi_margin_loss(xi, yt, p=p, margin=margin,
                                                                 weight=wt, reduction=red),
                         x[kept], reduction, dtype)
    grad[kept] = g
    if reduction == "none":
        loss_none[kept] = value
        value = loss_none
    return value, grad


# ---- float64 references --------------------------------------------------------

def reference_soft_ce(x32, t32, w32, eps):
    rows, classes = x32.shape
    x = x32.astype(np.float64)
    w = w32.astype(np.float64) if w32 is not None else np.ones(classes)
    t = t32.astype(np.float64) * (1.0 - eps) + eps / classes
    loss = np.zeros(rows)
    grad = np.zeros((rows, classes))
    bound = np.zeros(rows)
    zero_log_zero = np.zeros(rows, dtype=bool)
    for r in range(rows):
        xr = x[r]
        u = w * t[r]
        m = xr.max()
        if not np.isfinite(m):  # all -inf: NaN, as PyTorch
            loss[r] = np.nan
            grad[r] = np.nan
            bound[r] = np.nan
            continue
        e = np.exp(xr - m)
        k = int(np.argmax(xr))
        log_s = math.log1p(math.fsum(np.delete(e, k).tolist()))
        S = math.fsum(e.tolist())
        V = math.fsum(u.tolist())
        nz = u != 0
        zero_log_zero[r] = bool((np.isneginf(xr) & ~nz).any())
        with np.errstate(invalid="ignore"):
            U = math.fsum((u[nz] * (xr[nz] - m)).tolist())  # -inf if a nonzero u at -inf
        loss[r] = V * log_s - U
        g = V * e / S - u
        grad[r] = g
        bound[r] = max(float((V * e / S).max()), float(u.max()))
    return loss, grad, float(rows), bound, zero_log_zero


def reference_margin(x32, labels, w32, p, margin):
    rows, classes = x32.shape
    x = x32.astype(np.float64)
    w = w32.astype(np.float64) if w32 is not None else np.ones(classes)
    loss = np.zeros(rows)
    grad = np.zeros((rows, classes))
    divisor = 0.0
    for r in range(rows):
        y = labels[r]
        if y < 0:
            continue
        divisor += 1.0
        z = (float(margin) - x[r, y]) + x[r]  # exact in double for these inputs
        z[y] = 0.0
        h = np.maximum(z, 0.0)
        terms = h if p == 1 else h * h
        loss[r] = w[y] * math.fsum(terms.tolist()) / classes
        g = w[y] * ((h > 0).astype(np.float64) if p == 1 else 2.0 * h) / classes
        g[y] = 0.0
        g[y] = -math.fsum(g.tolist())
        grad[r] = g
    return loss, grad, divisor


def describe(c):
    extra = []
    if c["sd"] not in (1.0, 2.0, 3.0) or c["classes"] >= 1000:
        extra.append("logits N(0, %g)" % c["sd"])
    if c.get("ninf"):
        extra.append("-inf logits at zero targets")
    if "all_ninf_row" in c:
        extra.append("row %d all -inf" % c["all_ninf_row"])
    if c.get("all_ignored"):
        extra.append("every row ignored")
    if "zero_below" in c and not c.get("hex_targets"):
        extra.append("generated targets, %d/256 zero" % c["zero_below"])
    if c.get("hex_targets"):
        extra.append("targets = softmax(logits)")
    tail = (", " + ", ".join(extra)) if extra else ""
    if c["loss"] == "soft_ce":
        return ("F.cross_entropy(logits[%d x %d], target_probs%s, label_smoothing=%g)%s"
                % (c["rows"], c["classes"], ", weight=weight" if c["weighted"] else "", c["eps"],
                   tail))
    return ("F.multi_margin_loss(scores[%d x %d], labels, p=%d, margin=%g%s) on the kept rows%s"
            % (c["rows"], c["classes"], c["p"], c["margin"],
               ", weight=weight" if c["weighted"] else "", tail))


def emit_case(out, rng, index, c):
    x, t, labels, w = make_data(rng, c)
    rows, classes = x.shape
    soft = c["loss"] == "soft_ce"
    if soft:
        eps = float(F32(c["eps"]))
        run = lambda red, dt: torch_soft_ce(x, t, w, eps, red, dt)
        loss, grad, divisor, bound, zero_log_zero = reference_soft_ce(x, t, w, eps)
    else:
        margin = float(F32(c["margin"]))
        run = lambda red, dt: torch_margin(x, labels, w, c["p"], margin, red, dt)
        loss, grad, divisor = reference_margin(x, labels, w, c["p"], margin)
        bound = np.array([np.abs(g).max() for g in grad])
        zero_log_zero = np.zeros(rows, dtype=bool)
    t32, t64 = torch_reductions(run)
    check_against_torch64(loss, grad, divisor, np.nan_to_num(bound, nan=0.0), t64, zero_log_zero)
    c["zero_log_zero_rows"] = int(zero_log_zero.sum())
    generated = classes >= 1000
    grads = "sampled" if generated else "all"
    out.write("# %s\n" % describe(c))
    if soft:
        out.write("case %d loss=soft_ce rows=%d classes=%d weighted=%d smoothing=%s logits=%s "
                  "targets=%s grads=%s\n"
                  % (index, rows, classes, c["weighted"], hex32([eps]),
                     "gen" if generated else "hex", "gen" if "tgen" in c else "hex", grads))
    else:
        out.write("case %d loss=multi_margin rows=%d classes=%d weighted=%d p=%d margin=%s "
                  "logits=%s grads=%s\n"
                  % (index, rows, classes, c["weighted"], c["p"], hex32([margin]),
                     "gen" if generated else "hex", grads))
        write_labels(out, labels)
    write_weights_and_logits(out, c, x, w)
    if soft:
        if "tgen" in c:
            out.write("targets_gen %016x %d %08x\n" % c["tgen"])
        else:
            out.write("targets %s\n" % hex32(t))
    sampled = sample_indices(rng, x, labels, grad, t, signs=True) if generated else None
    write_results(out, t32, loss, grad, divisor, sampled, bound)


def main():
    plan = case_plan()
    generate("lossopt-soft-ce-margin-reference 1",
             "PyTorch soft-target cross_entropy and multi_margin_loss reference for\n"
             "tests/test_soft_ce_margin_torch_parity.c, generated by",
             "make_torch_soft_ce_margin_reference.py", "soft_ce_margin_reference.txt", SEED,
             plan, emit_case)
    soft = sum(c["loss"] == "soft_ce" for c in plan)
    sys.stderr.write("%d cases (%d soft_ce, %d multi_margin); %d rows where PyTorch's loss is "
                     "NaN at 0 * -inf\n" % (len(plan), soft, len(plan) - soft,
                                            sum(c["zero_log_zero_rows"] for c in plan)))


if __name__ == "__main__":
    main()
