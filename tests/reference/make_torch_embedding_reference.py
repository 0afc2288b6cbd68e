#!/usr/bin/python3
# tests/reference/make_torch_embedding_reference.py - writes
# embedding_reference.txt, PyTorch's results for the losses on embedding rows:
# torch.nn.functional.cosine_embedding_loss (x1, x2, y; margin) and
# triplet_margin_loss (anchor, positive, negative; margin, p, eps, swap).
#
# Each case records float32 inputs (rows x dim), PyTorch's float32 loss for
# 'none', 'mean' and 'sum' and its float32 autograd gradients for 'mean' and
# 'sum' (also NONE's, each row's own derivative); next to them a float64
# reference: PyTorch's float64 autograd on the same inputs, with the float32
# parameters lossopt receives. The options are plain Python floats, as users
# pass them (margin=0.3, eps=1e-6); lossopt receives (float)margin and
# (float)eps, and the float64 run uses those floats. For each row the file
# also gives the value's largest term, the measure of the bounds (cosine:
# max(1, |cos|) for y = 1, max(|cos|, |margin|) for y = -1; triplet:
# max(|margin|, d(a, p), the negative distance)) and how far the row is from
# a tie (the hinge's h; with swap also d(a, n) - d(p, n)), where PyTorch's
# float32 may take the other side.
#
# Regenerate (from the repository root, with Debian's Python, torch 1.13):
#     /usr/bin/python3 tests/reference/make_torch_embedding_reference.py \
#         > tests/reference/embedding_reference.txt
#
# File format: '#' comment lines; every number a C99 hex float (strtod reads
# it; float32 values exactly, float64 values exactly):
#     lossopt-embedding-reference 1
#     cases <number>
#     case <index> cosine|triplet rows=<rows> dim=<dim> margin=<f> p=<1|2> eps=<f> swap=<0|1>
#     x, y, z <values>            (cosine: x1, x2 (rows x dim), y (rows);
#                                  triplet: anchor, positive, negative)
#     torch_loss_none <rows>, torch_loss_mean <1>, torch_loss_sum <1>
#     torch_grad_mean_<k>, torch_grad_sum_<k> <rows x dim>   k = 0, 1 (cosine), 0, 1, 2 (triplet)
#     ref_loss_none <rows>        float64
#     ref_grad_sum_<k> <rows x dim>   float64, for 'sum' (MEAN's are these / rows)
#     term <rows>, tie <rows>, swap_gap <rows>
import sys

import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(20261204)


def hexes(values):
    return " ".join(float(v).hex() for v in np.asarray(values).reshape(-1))


def f32(v):
    return float(np.float32(v))


def cosine_rows(rows, dim, style):
    x1 = rng.uniform(-2, 2, (rows, dim))
    if style == "parallel":  # cos near +-1: 1 - cos cancels
        x2 = x1 * rng.choice([-1.5, 0.7], (rows, 1)) + 1e-3 * rng.uniform(-1, 1, (rows, dim))
    elif style == "zero":  # zero vectors: PyTorch's 1e-12 keeps cos = 0
        x2 = rng.uniform(-2, 2, (rows, dim))
        x1[0] = 0
        if rows > 1:
            x2[1] = 0
        if rows > 2:
            x1[2] = 0
            x2[2] = 0
    else:
        x2 = rng.uniform(-2, 2, (rows, dim))
    return x1.astype(np.float32), x2.astype(np.float32)


def triplet_rows(rows, dim, style):
    a = rng.uniform(-1, 1, (rows, dim))
    p = a + rng.uniform(-0.6, 0.6, (rows, dim))
    n = a + rng.uniform(-0.9, 0.9, (rows, dim))
    if style == "swap":  # the positive far, the negative near it: d(p, n) wins
        p = a + rng.uniform(-2, 2, (rows, dim))
        n = p + rng.uniform(-0.3, 0.3, (rows, dim))
    if style == "zero" and rows > 1:
        p[0] = a[0]  # d(a, p) = |eps|
        n[1] = a[1]
    return a.astype(np.float32), p.astype(np.float32), n.astype(np.float32)


def run(kind, inputs, margin, p, eps, swap, reduction, dtype):
    ts = [torch.tensor(v, dtype=dtype, requires_grad=True) for v in inputs[:2]]
    if kind == "cosine":
        y = torch.tensor(inputs[2], dtype=dtype)
        loss = F.cosine_embedding_loss(ts[0], ts[1], y, margin=margin, reduction=reduction)
    else:
        ts.append(torch.tensor(inputs[2], dtype=dtype, requires_grad=True))
        loss = F.triplet_margin_loss(ts[0], ts[1], ts[2], margin=margin, p=p, eps=eps,
                                     swap=swap, reduction=reduction)
    if reduction == "none":
        return loss.detach().numpy(), None
    loss.backward()
    return loss.detach().numpy(), [t.grad.numpy() for t in ts]


def terms(kind, inputs, margin, p, eps, swap):
    """the largest term, h and the swap gap of every row, in float64"""
    if kind == "cosine":
        x1, x2, y = (np.asarray(v, dtype=np.float64) for v in inputs)
        cos = (x1 * x2).sum(1) / np.sqrt(((x1 * x1).sum(1) + 1e-12) * ((x2 * x2).sum(1) + 1e-12))
        term = np.where(y == 1, np.maximum(1, np.abs(cos)), np.maximum(np.abs(cos), abs(margin)))
        tie = np.where(y == -1, cos - margin, 1.0)
        return term, tie, np.ones_like(cos)
    a, pos, neg = (np.asarray(v, dtype=np.float64) for v in inputs)

    def dist(u, v):
        d = u - v + eps
        return np.abs(d).sum(1) if p == 1 else np.sqrt((d * d).sum(1))

    dap, dan, dpn = dist(a, pos), dist(a, neg), dist(pos, neg)
    dneg = np.minimum(dan, dpn) if swap else dan
    h = margin + dap - dneg
    term = np.maximum(np.maximum(abs(margin), dap), dneg)
    gap = (dan - dpn) if swap else np.ones_like(dan)
    return term, h, gap


cases = []
for rows, dim in [(1, 1), (5, 3), (9, 16), (4, 33), (3, 70), (2, 260)]:
    for margin in [0.0, 0.5, -0.3]:
        cases.append(("cosine", rows, dim, margin, 2, 0.0, False, "plain"))
cases += [("cosine", 6, 8, 0.0, 2, 0.0, False, "zero"), ("cosine", 9, 20, 0.2, 2, 0.0, False,
                                                          "parallel"),
          ("cosine", 7, 5, 0.1, 2, 0.0, False, "others")]
for rows, dim in [(1, 1), (5, 3), (9, 16), (4, 33), (3, 70), (2, 260)]:
    for p in (1, 2):
        for swap in (False, True):
            margin = [1.0, 0.2, 0.0, -0.5][(rows + p + swap) % 4]
            eps = [1e-6, 0.0, 0.1][(dim + p) % 3]
            cases.append(("triplet", rows, dim, margin, p, eps, swap, "plain"))
for p in (1, 2):
    cases.append(("triplet", 6, 12, 1.0, p, 1e-6, True, "swap"))
    cases.append(("triplet", 4, 7, 0.5, p, 0.0, True, "zero"))
    cases.append(("triplet", 4, 7, 0.5, p, 1e-6, False, "zero"))

out = sys.stdout
out.write("# written by tests/reference/make_torch_embedding_reference.py with torch %s\n"
          % torch.__version__)
out.write("lossopt-embedding-reference 1\ncases %d\n" % len(cases))
for index, (kind, rows, dim, margin, p, eps, swap, style) in enumerate(cases):
    margin32, eps32 = f32(margin), f32(eps)
    if kind == "cosine":
        x1, x2 = cosine_rows(rows, dim, style)
        y = rng.choice([1.0, -1.0], rows).astype(np.float32)
        if style == "others":
            y[::3] = 0.0
            y[1::3] = 2.0 if rows > 1 else y[1::3]
        inputs = (x1, x2, y)
        grads = 2
    else:
        inputs = triplet_rows(rows, dim, style)
        grads = 3
    out.write("case %d %s rows=%d dim=%d margin=%s p=%d eps=%s swap=%d\n"
              % (index, kind, rows, dim, margin32.hex(), p, eps32.hex(), int(swap)))
    for name, v in zip("xyz", inputs):
        out.write("%s %s\n" % (name, hexes(v)))
    torch_none, _ = run(kind, inputs, margin, p, eps, swap, "none", torch.float32)
    torch_mean, g_mean = run(kind, inputs, margin, p, eps, swap, "mean", torch.float32)
    torch_sum, g_sum = run(kind, inputs, margin, p, eps, swap, "sum", torch.float32)
    out.write("torch_loss_none %s\ntorch_loss_mean %s\ntorch_loss_sum %s\n"
              % (hexes(torch_none), hexes(torch_mean), hexes(torch_sum)))
    for k in range(grads):
        out.write("torch_grad_mean_%d %s\n" % (k, hexes(g_mean[k])))
        out.write("torch_grad_sum_%d %s\n" % (k, hexes(g_sum[k])))
    ref_none, _ = run(kind, inputs, margin32, p, eps32, swap, "none", torch.float64)
    _, ref_g = run(kind, inputs, margin32, p, eps32, swap, "sum", torch.float64)
    out.write("ref_loss_none %s\n" % hexes(ref_none))
    for k in range(grads):
        out.write("ref_grad_sum_%d %s\n" % (k, hexes(ref_g[k])))
    term, tie, gap = terms(kind, inputs, margin32, p, eps32, swap)
    out.write("term %s\ntie %s\nswap_gap %s\n" % (hexes(term), hexes(tie), hexes(gap)))
