#!/usr/bin/python3
# tests/reference/make_torch_loss_reference.py - writes loss_reference.txt, PyTorch loss results.
#
# For every elementwise loss PyTorch has (torch.nn.functional.mse_loss,
# l1_loss, huber_loss, smooth_l1_loss, binary_cross_entropy,
# binary_cross_entropy_with_logits, soft_margin_loss, poisson_nll_loss and kl_div, without and with log_target) each case records float32 inputs, PyTorch's
# loss for reduction 'none', 'mean' and 'sum', and the gradient autograd gives
# w.r.t. the input for each reduction ('none': loss.backward(ones_like(loss)),
# so each element's own derivative). Next to PyTorch's float32 results it
# records a float64 reference computed with numpy from the same float32 inputs,
# because PyTorch's float results carry their own rounding error (up to a few
# ulp of the largest term its formula subtracts); the C test holds lossopt to
# SPEC 2's bounds against the float64 reference and checks it against PyTorch
# only loosely, to catch a semantic mismatch (a different clamp, branch or
# convention).
# Hinge and squared hinge have no PyTorch counterpart: their cases hold only
# scores and labels, and the C test evaluates the formula of include/lossopt.h
# in double.
#
# Generated with: torch 1.13.0a0 (Debian python3-torch 1.13.1+dfsg), numpy
# 1.24.2. The output is deterministic (fixed seed, one torch thread) for a given
# torch/numpy build; the versions used are written into the file's header.
#
# Regenerate (from the repository root, with Debian's Python, no pip needed):
#     /usr/bin/python3 tests/reference/make_torch_loss_reference.py \
#         > tests/reference/loss_reference.txt
#
# File format (line based, '#' starts a comment line, blank lines ignored; a
# float32 is the 8 lower-case hex digits of its IEEE-754 bit pattern, a float64
# the 16 hex digits of its bit pattern, so the text loses nothing):
#     lossopt-loss-reference 1
#     cases <number of cases in the file>
#     case <index> <loss> n=<n> param=<f32> weighted=<0|1> torch=<0|1>
#     input <n f32>                    (prediction, probability, logit or score)
#     target <n f32>                   (target or label)
#     weight <n f32>                   (weighted=1 only)
#     torch_loss_none <n f32>          (torch=1 only, these six lines ...)
#     torch_loss_mean <f32>
#     torch_loss_sum <f32>
#     torch_grad_none <n f32>
#     torch_grad_mean <n f32>
#     torch_grad_sum <n f32>
#     ref_loss <n f64>                 (... and these three)
#     ref_grad <n f64>
#     ref_sum <f64>
#     ...
#     end
# Each case's lines come in exactly this order. <index> counts from 0 in file
# order. <loss> is mse, l1, huber, smooth_l1, hinge, squared_hinge, bce,
# bce_logits, soft_margin, poisson_nll, poisson_nll_log, poisson_nll_full,
# poisson_nll_log_full (log_input=False/True, full=False/True), kl_div or
# kl_div_log_target (n elements as lossopt's loss_case_kl_rows(n) rows; BATCHMEAN
# is not recorded here); param is huber's delta, smooth_l1's beta, bce_logits'
# pos_weight (torch gets it as torch.full((n,), pos_weight), or as None when the
# comment above the case says so - the same thing for pos_weight 1), poisson_nll's
# eps, and 0 otherwise. ref_loss is each element's loss, ref_grad each element's
# derivative d loss_i / d input_i (the gradient of 'none' and of 'sum'; 'mean'
# divides it by n), ref_sum the exactly rounded sum of ref_loss (math.fsum).
# hinge and squared_hinge cases have torch=0 and no torch_* or ref_* lines.
import math

import numpy as np
import torch
import torch.nn.functional as F

from reference_writer import F32, backward, generate, hex32, write_values

SEED = 20261127
SMALL_SIZES = (1, 7, 33)         # one element, a short tail, two 16-wide vectors + 1
SCALES = (1e-3, 1.0, 30.0)
REDUCTIONS = ("none", "mean", "sum")
EPSILON = float(F32(1e-12))      # PyTorch's float clamp of BCE's gradient denominator


# ---- the cases ------------------------------------------------------------

def case_plan():
    """Every case as a dict; the order is the file's order."""
    plan = []
    # Regression: every configuration at every scale and small size; a few
    # larger ones (several canonical-sum blocks of 256 plus a tail) draw each
    # element's scale from SCALES, so one case meets both huber/smooth_l1
    # branches and sums very different magnitudes.
    # Parameters are plain Python floats, as users pass them to PyTorch; most
    # are not powers of two (d / beta and d * (1 / beta) differ then), and
    # +inf is PyTorch's limit case (huber: 0.5 d^2; smooth_l1: 0).
    inf = float("inf")
    regression = [("mse", 0.0), ("l1", 0.0), ("huber", 0.3), ("huber", 1.0), ("huber", 1.7),
                  ("huber", inf), ("smooth_l1", 0.0), ("smooth_l1", 0.37), ("smooth_l1", 1.0),
                  ("smooth_l1", 2.3), ("smooth_l1", inf)]
    large = {("mse", 0.0): 1000, ("l1", 0.0): 300, ("huber", 1.0): 300, ("huber", 1.7): 300,
             ("smooth_l1", 1.0): 300, ("smooth_l1", 2.3): 300}
    for loss, param in regression:
        for scale in SCALES:
            for n in SMALL_SIZES:
                plan.append(dict(loss=loss, param=param, n=n, scale=scale, weighted=False))
        if (loss, param) in large:
            plan.append(dict(loss=loss, param=param, n=large[(loss, param)], scale="mixed",
                             weighted=False))
    # BCE on probabilities: hard or soft targets, with and without weight. The
    # n = 33 cases also hold exact 0 and 1, 1 - 2^-24, tiny and denormal
    # probabilities (PyTorch's -100 log clamp and 1e-12 denominator clamp);
    # they are kept out of the large cases because a 1e12 gradient would make
    # the "2^-20 of the largest gradient" bound meaningless for the others.
    for weighted in (False, True):
        for targets in ("hard", "soft"):
            for n in SMALL_SIZES:
                plan.append(dict(loss="bce", param=0.0, n=n, targets=targets, weighted=weighted,
                                 edges=n == 33))
    plan.append(dict(loss="bce", param=0.0, n=300, targets="hard", weighted=False, edges=False))
    plan.append(dict(loss="bce", param=0.0, n=1000, targets="soft", weighted=True, edges=False))
    # BCE on logits: pos_weight None (PyTorch's default) and 1, 0.43, 2.7, 0 as
    # a broadcast tensor, with and without weight; targets mix hard and soft.
    pos_weights = [(1.0, False), (1.0, True), (0.43, True), (2.7, True), (0.0, True)]
    for weighted in (False, True):
        for pos_weight, as_tensor in pos_weights:
            for n in SMALL_SIZES:
                plan.append(dict(loss="bce_logits", param=pos_weight, tensor=as_tensor, n=n,
                                 weighted=weighted))
    plan.append(dict(loss="bce_logits", param=1.0, tensor=False, n=1000, weighted=False))
    plan.append(dict(loss="bce_logits", param=2.7, tensor=True, n=300, weighted=True))
    # Hinge losses: no PyTorch counterpart, scores and labels only.
    for loss in ("hinge", "squared_hinge"):
        for scale in SCALES:
            for n in SMALL_SIZES:
                plan.append(dict(loss=loss, param=0.0, n=n, scale=scale, weighted=False))
        plan.append(dict(loss=loss, param=0.0, n=300, scale="mixed", weighted=False))
    plan.append(dict(loss="hinge", param=0.0, n=1000, scale="mixed", weighted=False))
    # Soft margin: +-1 targets, some cases with any target (used as given).
    # Logits stay within |x| <= 80: past ~88 PyTorch's log(1 + exp(-y x))
    # overflows to inf (lossopt's stable form does not; test_losses_double and
    # the bitwise tests cover that range).
    for targets in ("sign", "any"):
        for n in SMALL_SIZES:
            plan.append(dict(loss="soft_margin", param=0.0, n=n, targets=targets, weighted=False))
    plan.append(dict(loss="soft_margin", param=0.0, n=300, targets="sign", weighted=False))
    # Poisson NLL: each (log_input, full), PyTorch's default eps 1e-8 and a
    # large one (plain Python floats, as users pass them).
    for log_input in (True, False):
        for full in (False, True):
            name = "poisson_nll" + ("_log" if log_input else "") + ("_full" if full else "")
            for eps in ((1e-8,) if log_input else (1e-8, 0.37)):
                for n in SMALL_SIZES:
                    plan.append(dict(loss=name, param=eps, n=n, weighted=False,
                                     log_input=log_input, full=full))
            plan.append(dict(loss=name, param=1e-8, n=300, weighted=False, log_input=log_input,
                             full=full))
    # kl_div (appended last: the cases above keep their data): log-probability
    # inputs against probabilities with exact zeros (0 log 0 = 0), or against
    # log-probabilities (log_target=True), some predictions equal to the
    # target (the terms cancel there).
    for log_target in (False, True):
        for n in SMALL_SIZES + (300,):
            plan.append(dict(loss="kl_div_log_target" if log_target else "kl_div",
                             param=0.0, n=n, weighted=False))
    return plan


def scales_for(rng, c):
    if c["scale"] == "mixed":
        return rng.choice(np.array(SCALES), c["n"])
    return c["scale"]


def regression_data(rng, c):
    n, param = c["n"], c["param"]
    scale = scales_for(rng, c)
    x = (rng.standard_normal(n) * scale).astype(F32)
    t = (rng.standard_normal(n) * scale).astype(F32)
    # d == 0 exactly: l1's and smooth_l1(0)'s gradient is 0 there, as PyTorch's.
    ties = np.arange(3, n, 8)
    t[ties] = x[ties]
    p32 = float(F32(param))  # the float lossopt receives (PyTorch rounds it the same)
    if 0 < p32 < float("inf"):
        # |d| == delta (beta) exactly, the branch point: pairs (x, t) built
        # from 0, +-p and +-2p, whose differences are exact in float32.
        pairs = [(p32, 0.0), (0.0, p32), (2 * p32, p32), (-p32, -2 * p32), (-p32, 0.0)]
        for k, i in enumerate(range(5, n, 8)):
            x[i], t[i] = (F32(v) for v in pairs[k % len(pairs)])
            assert abs(float(x[i]) - float(t[i])) == p32
    return x, t


# Probabilities at the edges of [0, 1]: exact 0 and 1, the float32 neighbours
# of 1 and of 0.5, 2^-24, a denormal whose log is below -100 (clamped), a
# denormal whose log is not, and a tiny normal value.
EDGE_PROBABILITIES = [0.0, 1.0, 1.0 - 2.0 ** -24, 2.0 ** -24, 1e-44, 1e-40, 1e-20, 0.5,
                      1.0, 0.0]


def bce_data(rng, c):
    n = c["n"]
    p = rng.random(n, dtype=F32)      # [0, 1) on a 2^-24 grid: never rounds up to 1
    p[p == 0] = F32(0.5)
    if c["targets"] == "hard":
        y = rng.integers(0, 2, n).astype(F32)
    else:
        y = rng.random(n, dtype=F32)
    if c["edges"]:
        where = np.arange(0, n, 3)[:len(EDGE_PROBABILITIES)]
        p[where] = np.array(EDGE_PROBABILITIES[:where.size], dtype=F32)
        if c["targets"] == "soft":
            y[np.arange(1, n, 5)] = F32(1.0)
            y[np.arange(2, n, 7)] = F32(0.0)
    return p, y


def bce_logits_data(rng, c):
    n = c["n"]
    x = (rng.standard_normal(n) * 3.0).astype(F32)
    big = np.arange(2, n, 9)
    x[big] = np.where(rng.random(big.size) < 0.5, F32(30.0), F32(-30.0))
    x[np.arange(5, n, 13)] = F32(0.0)
    soft = rng.random(n, dtype=F32)
    hard = rng.integers(0, 2, n).astype(F32)
    y = np.where(rng.random(n) < 0.5, hard, soft).astype(F32)
    return x, y


HINGE_LABELS = np.array([0.0, 1.0, -1.0, 1.0, 0.5, -2.0], dtype=F32)


def hinge_data(rng, c):
    n = c["n"]
    s = (rng.standard_normal(n) * scales_for(rng, c)).astype(F32)
    labels = rng.choice(HINGE_LABELS, n)
    # margin exactly 0 (score == y): the gradient is 0 there (m > 0 is false)
    at_margin = np.arange(4, n, 9)
    s[at_margin] = np.where(labels[at_margin] > 0, F32(1.0), F32(-1.0))
    s[np.arange(6, n, 11)] = F32(0.0)
    return s, labels


SOFT_MARGIN_ANY_TARGETS = np.array([0.5, -2.3, 0.0, 1.7, -0.25], dtype=F32)


def soft_margin_data(rng, c):
    n = c["n"]
    x = (rng.standard_normal(n) * 4.0).astype(F32)
    big = np.arange(2, n, 9)
    x[big] = rng.uniform(-80.0, 80.0, big.size).astype(F32)
    x[np.arange(5, n, 13)] = F32(0.0)
    y = np.where(rng.random(n) < 0.5, F32(1.0), F32(-1.0)).astype(F32)
    if c["targets"] == "any":
        some = np.arange(1, n, 2)
        y[some] = rng.choice(SOFT_MARGIN_ANY_TARGETS, some.size)
    return x, y


def poisson_data(rng, c):
    n = c["n"]
    if c["log_input"]:
        x = (rng.standard_normal(n) * 2.0).astype(F32)       # log(rate)
        rate = np.exp(x.astype(np.float64))
    else:
        x = rng.uniform(0.01, 12.0, n).astype(F32)            # rate
        tiny = np.arange(4, n, 7)
        x[tiny] = rng.uniform(0.0, 1e-6, tiny.size).astype(F32)  # where eps matters
        rate = x.astype(np.float64)
    # counts drawn from the rate (0 and 1 fall under the Stirling mask), and
    # some non-integer targets
    t = rng.poisson(np.minimum(rate, 50.0)).astype(F32)
    frac = np.arange(3, n, 5)
    t[frac] = rng.uniform(0.0, 20.0, frac.size).astype(F32)
    return x, t


def kl_data(rng, c):
    n = c["n"]
    x = (rng.standard_normal(n) * 3.0 - 2.0).astype(F32)
    if c["loss"] == "kl_div":
        t = rng.random(n, dtype=F32)
        t[np.arange(2, n, 7)] = F32(0.0)
        same = np.arange(4, n, 9)
        same = same[t[same] != 0]
        x[same] = np.log(t[same].astype(np.float64)).astype(F32)  # t log t - t x cancels
    else:
        t = (rng.standard_normal(n) * 3.0 - 2.0).astype(F32)
        same = np.arange(4, n, 9)
        x[same] = t[same]
    return x, t


def weights(rng, n):
    return rng.uniform(0.0, 2.0, n).astype(F32)


# ---- PyTorch --------------------------------------------------------------

def torch_loss(c, x, t, w, reduction):
    """PyTorch's loss and autograd's input gradient for one reduction."""
    xi = torch.from_numpy(x.copy()).requires_grad_(True)
    tt = torch.from_numpy(t.copy())
    wt = torch.from_numpy(w.copy()) if w is not None else None
    loss, param = c["loss"], c["param"]
    if loss == "mse":
        out = F.mse_loss(xi, tt, reduction=reduction)
    elif loss == "l1":
        out = F.l1_loss(xi, tt, reduction=reduction)
    elif loss == "huber":
        out = F.huber_loss(xi, tt, reduction=reduction, delta=param)
    elif loss == "smooth_l1":
        out = F.smooth_l1_loss(xi, tt, reduction=reduction, beta=param)
    elif loss == "bce":
        out = F.binary_cross_entropy(xi, tt, weight=wt, reduction=reduction)
    elif loss == "soft_margin":
        out = F.soft_margin_loss(xi, tt, reduction=reduction)
    elif loss.startswith("poisson_nll"):
        out = F.poisson_nll_loss(xi, tt, log_input=c["log_input"], full=c["full"], eps=param,
                                 reduction=reduction)
    elif loss in ("kl_div", "kl_div_log_target"):
        out = F.kl_div(xi, tt, reduction=reduction, log_target=loss == "kl_div_log_target")
    else:
        pos_weight = torch.full((x.size,), param, dtype=torch.float32) if c["tensor"] else None
        out = F.binary_cross_entropy_with_logits(xi, tt, weight=wt, pos_weight=pos_weight,
                                                 reduction=reduction)
    backward(out, reduction)
    value = out.detach().numpy().astype(F32).reshape(-1)
    grad = xi.grad.detach().numpy().astype(F32)
    if not (np.isfinite(value).all() and np.isfinite(grad).all()):
        raise SystemExit("non-finite PyTorch result in %r" % c)
    return value, grad


# ---- float64 references -----------------------------------------------------

def reference(c, x32, t32, w32):
    """Each element's loss and derivative in float64 from the float32 inputs,
    written so that double rounding stays ~1e-16 relative (no cancellation)."""
    x = x32.astype(np.float64)
    t = t32.astype(np.float64)
    loss = c["loss"]
    param = float(F32(c["param"]))  # lossopt's float parameter, exactly
    if loss in ("mse", "l1", "huber", "smooth_l1"):
        d = x - t
        a = np.abs(d)
        if loss == "mse":
            value, grad = d * d, 2.0 * d
        elif loss == "l1" or (loss == "smooth_l1" and param == 0.0):
            value, grad = a, np.sign(d)
        elif loss == "huber":
            with np.errstate(invalid="ignore"):  # the unused branch at param = inf
                value = np.where(a < param, 0.5 * d * d, param * (a - 0.5 * param))
            grad = np.clip(d, -param, param)
        else:
            with np.errstate(invalid="ignore"):
                value = np.where(a < param, 0.5 * d * d / param, a - 0.5 * param)
            grad = np.where(a < param, d / param, np.sign(d))
        return value, grad
    if loss == "soft_margin":
        # softplus(z), z = -y x (exact in double), and -y sigmoid(z), stable
        z = -(t * x)
        e = np.exp(-np.abs(z))
        value = np.maximum(z, 0.0) + np.log1p(e)
        grad = -t * np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return value, grad
    if loss.startswith("poisson_nll"):
        value, grad, _, _ = poisson_reference(c, x, t, param)
        return value, grad
    if loss == "kl_div":  # xlogy(t, t) - t x, 0 log 0 = 0; derivative -t
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(t == 0, 0.0, t * (np.log(np.where(t == 0, 1.0, t)) - x))
        return value, -t
    if loss == "kl_div_log_target":  # exp(t) (t - x); derivative -exp(t)
        return np.exp(t) * (t - x), -np.exp(t)
    w = w32.astype(np.float64) if w32 is not None else np.ones_like(x)
    if loss == "bce":
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(x), -100.0)
            log_q = np.maximum(np.log1p(-x), -100.0)
        value = -(t * log_p + (1.0 - t) * log_q)  # two terms of one sign: no cancellation
        grad = (x - t) / np.maximum(x * (1.0 - x), EPSILON)
        return w * value, w * grad
    # bce_logits: (1 - y) x - lw log(sigmoid(x)), lw = 1 + (pw - 1) y, and its
    # derivative (pw y + 1 - y) sigmoid(x) - pw y, rearranged (exact identities)
    # so that no two large terms cancel in double either:
    #   loss = lw log1p(e) + ((1 - y) x  if x >= 0  else  pw y |x|),  e = exp(-|x|)
    #   grad = ((1 - y) - pw y e) / (1 + e)  if x >= 0  else  ((1 - y) e - pw y) / (1 + e)
    pw = param
    e = np.exp(-np.abs(x))
    lw = 1.0 + (pw - 1.0) * t
    py = pw * t
    linear = np.where(x >= 0, (1.0 - t) * x, py * -x)
    value = lw * np.log1p(e) + linear
    grad = np.where(x >= 0, (1.0 - t) - py * e, (1.0 - t) * e - py) / (1.0 + e)
    return w * value, w * grad


def poisson_reference(c, x, t, eps):
    """poisson_nll_loss in float64, with the largest term of the value and of
    the derivative (the formulas subtract nearly equal terms)."""
    if c["log_input"]:
        e = np.exp(x)
        value, grad = e - t * x, e - t
        value_term, grad_term = np.maximum(e, np.abs(t * x)), np.maximum(e, np.abs(t))
    else:
        u = x + eps
        lg = np.log(u)
        value, grad = x - t * lg, 1.0 - t / u
        value_term, grad_term = np.maximum(np.abs(x), np.abs(t * lg)), np.maximum(1.0, t / u)
    if c["full"]:
        with np.errstate(divide="ignore", invalid="ignore"):
            lt = t * np.log(t)
            half = 0.5 * np.log(2 * math.pi * t)
        big = t > 1
        value = value + np.where(big, lt - t + half, 0.0)
        value_term = np.maximum(value_term, np.where(big, np.maximum(np.maximum(lt, t),
                                                                     np.abs(half)), 0.0))
    return value, grad, value_term, grad_term


def check_reference_against_torch(c, ref_value, ref_grad, torch_value, torch_grad):
    """The generator's own sanity check: the float64 formulas mean what PyTorch
    means (a loose bound; the C test is the precise one)."""
    if c["loss"].startswith("poisson_nll"):
        x, t = c["x"].astype(np.float64), c["t"].astype(np.float64)
        _, _, value_term, grad_term = poisson_reference(c, x, t, float(F32(c["param"])))
        assert (np.abs(torch_value - ref_value) <= 1e-5 * value_term + 1e-30).all(), c
        assert (np.abs(torch_grad - ref_grad) <= 1e-5 * grad_term.max() + 1e-30).all(), c
        return
    # PyTorch's soft_margin takes log(1 + exp(-y x)): 1 + exp rounds at 1
    scale = np.maximum(np.abs(ref_value),
                       1.0 if c["loss"] in ("bce", "bce_logits", "soft_margin") else 0.0)
    if c["loss"].startswith("kl_div"):
        scale = np.maximum(scale, 30.0)  # PyTorch's xlogy(t, t) - t x cancels
    if c["loss"] == "bce_logits":
        scale = np.maximum(scale, 30.0)  # PyTorch's (1 - y) x - lw log sigmoid(x) cancels
    assert (np.abs(torch_value - ref_value) <= 1e-5 * scale + 1e-30).all(), c
    g_scale = max(np.abs(ref_grad).max(), 3.0 if c["loss"] == "bce_logits" else 0.0)
    close = np.abs(torch_grad - ref_grad) <= 1e-5 * g_scale + 1e-30
    if c["loss"] == "smooth_l1" and c["param"] == 0.0:
        # PyTorch 1.13's smooth_l1_loss backward with beta=0 gives -1 at d == 0
        # (l1_loss gives 0, as lossopt and this reference do); the C test
        # documents the difference and skips those elements against torch.
        close |= (ref_grad == 0) & (torch_grad == -1)
    assert close.all(), c


# ---- output ---------------------------------------------------------------

def describe(c):
    loss, param = c["loss"], c["param"]
    call = {"mse": "mse_loss(input, target)", "l1": "l1_loss(input, target)",
            "huber": "huber_loss(input, target, delta=%g)" % param,
            "smooth_l1": "smooth_l1_loss(input, target, beta=%g)" % param}
    if loss in call:
        return "F.%s, scale %s, n %d" % (call[loss], c["scale"], c["n"])
    if loss == "bce":
        return ("F.binary_cross_entropy(prob, target%s), %s targets%s, n %d"
                % (", weight=weight" if c["weighted"] else "", c["targets"],
                   ", edge probabilities" if c["edges"] else "", c["n"]))
    if loss.startswith("kl_div"):
        return ("F.kl_div(input, target, log_target=%s), n %d"
                % (loss == "kl_div_log_target", c["n"]))
    if loss == "bce_logits":
        pos_weight = "torch.full((n,), %g)" % param if c["tensor"] else "None"
        return ("F.binary_cross_entropy_with_logits(logit, target%s, pos_weight=%s), n %d"
                % (", weight=weight" if c["weighted"] else "", pos_weight, c["n"]))
    if loss == "soft_margin":
        return "F.soft_margin_loss(input, target), %s targets, n %d" % (c["targets"], c["n"])
    if loss.startswith("poisson_nll"):
        return ("F.poisson_nll_loss(input, target, log_input=%s, full=%s, eps=%r), n %d"
                % (c["log_input"], c["full"], param, c["n"]))
    return "%s (no PyTorch counterpart), scale %s, n %d" % (loss, c["scale"], c["n"])


def emit_case(out, rng, index, c):
    loss = c["loss"]
    if loss in ("mse", "l1", "huber", "smooth_l1"):
        x, t = regression_data(rng, c)
    elif loss == "bce":
        x, t = bce_data(rng, c)
    elif loss == "bce_logits":
        x, t = bce_logits_data(rng, c)
    elif loss == "soft_margin":
        x, t = soft_margin_data(rng, c)
    elif loss.startswith("poisson_nll"):
        x, t = poisson_data(rng, c)
        c = dict(c, x=x, t=t)
    elif loss.startswith("kl_div"):
        x, t = kl_data(rng, c)
    else:
        x, t = hinge_data(rng, c)
    w = weights(rng, c["n"]) if c["weighted"] else None
    with_torch = loss not in ("hinge", "squared_hinge")
    out.write("# %s\n" % describe(c))
    out.write("case %d %s n=%d param=%s weighted=%d torch=%d\n"
              % (index, loss, c["n"], hex32([c["param"]]), c["weighted"], with_torch))
    write_values(out, "input", x)
    write_values(out, "target", t)
    if w is not None:
        write_values(out, "weight", w)
    if not with_torch:
        return
    results = {r: torch_loss(c, x, t, w, r) for r in REDUCTIONS}
    ref_value, ref_grad = reference(c, x, t, w)
    check_reference_against_torch(c, ref_value, ref_grad, results["none"][0],
                                  results["none"][1])
    for r in REDUCTIONS:
        write_values(out, "torch_loss_" + r, results[r][0])
    for r in REDUCTIONS:
        write_values(out, "torch_grad_" + r, results[r][1])
    write_values(out, "ref_loss", ref_value, 64)
    write_values(out, "ref_grad", ref_grad, 64)
    write_values(out, "ref_sum", [math.fsum(ref_value.tolist())], 64)


def main():
    generate("lossopt-loss-reference 1",
             "PyTorch loss reference for tests/test_loss_torch_parity.c, generated by",
             "make_torch_loss_reference.py", "loss_reference.txt", SEED, case_plan(), emit_case,
             ["case <index> <loss> n=<n> param=<f32> weighted=<0|1> torch=<0|1>, then",
              "input, target, [weight], [torch_loss_none/mean/sum, torch_grad_none/mean/sum,",
              "ref_loss, ref_grad, ref_sum] lines; f32 = 8 hex digits, ref_* = 16 (float64)."])


if __name__ == "__main__":
    main()
