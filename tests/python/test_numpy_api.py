#!/usr/bin/python3
"""tests/python/test_numpy_api.py - lossopt's NumPy API (python/lossopt/losses.py,
optimizers.py) against PyTorch and float64 evaluations of include/lossopt.h.

Losses: every loss, every reduction, with their options (weights, delta,
beta, pos_weight, label smoothing, p, margin, log_input, full, eps,
log_target, ignored rows), against PyTorch's own function evaluated in
float64 (autograd for the gradient) on the same float32 inputs, within SPEC
2's bounds as tests/test_loss_torch_parity.c and tests/parity_common.h state
them:
  per-element loss ("none"):  2 ulp of the reference (bce, bce_logits,
                              soft_margin: 3 ulp, the header's bound: two SLEEF
                              functions); poisson_nll and kl_div 2 ulp of their
                              largest term (3 with full / log_target); row-wise
                              losses max(4 ulp, 1e-6 relative); nll exact (its
                              loss is one rounding of w_y x_y, its gradient
                              one of -w_y / D: float32 of the float64 reference)
  reduced loss:               1e-6 relative ("batchmean" too); nll exactly the
                              header's sum of the float row losses, divided once
  gradient:                   max(2 ulp, 2^-20 of the largest term of the array
                              (elementwise: |g|, poisson_nll's exp(x) or t, 1 or
                              t / (x + eps)) or of the row (row-wise: the header's
                              terms A p_j and o_j, p_j V and u_j, |g_j|))
Options are exactly representable floats (delta 0.75, label_smoothing 0.125,
...): the C functions take them as float32, and the float64 reference then
evaluates the same formula. Hinge and squared hinge have no PyTorch loss;
their reference is the header's formula written with torch float64 ops.
Also: the loss-only and gradient-only calls give the bits of the call that
asks for both, grad_out receives the same bits, inputs are never written.

Optimizers: every optimizer PyTorch 1.13 has, with its options, against
torch.optim on random data (fixed seeds), several steps. As in
tests/test_torch_parity.c, each step starts from torch's own state before
it (so rounding differences never compound), and every output is within 4
ulp of the largest magnitude among the operands of its update (SPEC 1.5
"Accuracy"; the magnitude model is the C tests', ported below). Torch's
single-tensor path (foreach=False), except NAdam: torch 1.13's single-tensor
NAdam multiplies mu into mu_product twice per step, so NAdam runs foreach=True
(tests/reference/make_torch_more_reference.py); lossopt's mu_product is the
binding's own returned double, checked against the product of the mu_t.
Options torch 1.13 lacks (NAdam/RAdam maximize and decoupled_weight_decay)
are checked through identities of the header's formulas that hold bit for
bit: maximize with grad == no maximize with -grad, decoupled decay ==
param * (float)(1 - lr wd) and no decay. Lion and LAMB (not in torch) are
checked against a float64 evaluation of the header's formulas.

Errors: wrong dtype -> TypeError; non-contiguous, read-only, wrong shape,
overlapping -> ValueError; lr=nan -> LossoptError LOSSOPT_ERR_ARG; a label >=
classes -> LOSSOPT_ERR_DOMAIN; and every array is unchanged after each failure.
"""
import inspect
import math
import sys
import warnings

NAME = "test_numpy_api"
try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print("%s: SKIPPED: %s" % (NAME, e))
    sys.exit(77)

import lossopt
from lossopt import LossoptError

torch.set_num_threads(1)  # the reference's float64 sums need no threads; less noise

FLT_MAX = float(np.finfo(np.float32).max)
failures = []
counts = {}


def count(what, n=1):
    counts[what] = counts.get(what, 0) + n


def fail(message):
    if len(failures) < 40:
        print("%s: FAIL: %s" % (NAME, message))
    failures.append(message)


def expect(condition, message):
    count("checks")
    if not condition:
        fail(message)
    return condition


def ulp_at(m):
    """The spacing of float32 at |m| (m in double), as ref_ulp_at of
    tests/reference_reader.c: the float at or below |m|, its distance to the
    next float up (the smallest subnormal at 0)."""
    m = np.minimum(np.abs(np.asarray(m, np.float64)), FLT_MAX)
    f = m.astype(np.float32)
    f = np.where(f.astype(np.float64) > m, np.nextafter(f, np.float32(0)), f)
    return np.spacing(f).astype(np.float64)


def same_bits(a, b):
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


class Worst:
    """The largest error seen of one kind, as a ratio to its bound."""

    def __init__(self):
        self.ratio, self.where = 0.0, "(none)"

    def note(self, error, allowed, where):
        error, allowed = np.asarray(error, np.float64), np.asarray(allowed, np.float64)
        ratio = np.where(error == 0, 0.0, error / np.where(allowed > 0, allowed, np.inf))
        ratio = np.where(np.isnan(error), np.inf, ratio)
        i = int(np.argmax(ratio)) if ratio.size else 0
        if ratio.size and ratio.flat[i] > self.ratio:
            self.ratio, self.where = float(ratio.flat[i]), "%s [%d]" % (where, i)
        count("element checks", int(ratio.size))
        bad = int(np.count_nonzero(~(ratio <= 1.0)))
        if bad:
            fail("%s: %d of %d elements beyond the bound, worst at [%d]: %.9g of bound "
                 "(error %.3g, allowed %.3g)" % (where, bad, ratio.size, i, ratio.flat[i],
                                                 error.flat[i], allowed.flat[i]))


# =====================================================================================
# Losses
# =====================================================================================

REDUCTIONS = ("none", "mean", "sum")
loss_worst = {"value": Worst(), "reduced": Worst(), "grad": Worst()}


def torch_reduce(per_element, reduction, divisor=None):
    if reduction == "none":
        return per_element
    total = per_element.sum()
    return total if reduction == "sum" else total / (per_element.numel() if divisor is None
                                                     else divisor)


def t64(a):
    return torch.from_numpy(np.asarray(a, np.float64).copy())


def reference(fn, inputs, reduction):
    """fn(first input as a float64 leaf, the other inputs in float64,
    reduction) -> the loss; returns (loss, d(sum of loss)/d(first input)) in
    float64 numpy."""
    x = t64(inputs[0]).requires_grad_(True)
    others = [t64(a) if a is not None and a.dtype != np.int64 else
              (torch.from_numpy(a) if a is not None else None) for a in inputs[1:]]
    loss = fn(x, *others, reduction)
    loss.sum().backward()
    return loss.detach().numpy(), x.grad.numpy()


# The elementwise losses: lossopt function, torch float64 reference, value ulps.
def hinge_ref(x, y, reduction, squared=False):
    sign = torch.where(y > 0, torch.ones_like(y), -torch.ones_like(y))
    m = torch.clamp(1 - sign * x, min=0)
    return torch_reduce(m * m if squared else m, reduction)


ELEMENTWISE = {
    "mse": (lambda x, t, w, r, o: F.mse_loss(x, t, reduction=r), 2),
    "l1": (lambda x, t, w, r, o: F.l1_loss(x, t, reduction=r), 2),
    "huber": (lambda x, t, w, r, o: F.huber_loss(x, t, reduction=r, **o), 2),
    "smooth_l1": (lambda x, t, w, r, o: F.smooth_l1_loss(x, t, reduction=r, **o), 2),
    "hinge": (lambda x, t, w, r, o: hinge_ref(x, t, r), 2),
    "squared_hinge": (lambda x, t, w, r, o: hinge_ref(x, t, r, squared=True), 2),
    "bce": (lambda x, t, w, r, o: F.binary_cross_entropy(x, t, weight=w, reduction=r), 3),
    "bce_logits": (lambda x, t, w, r, o: F.binary_cross_entropy_with_logits(
        x, t, weight=w, reduction=r,
        pos_weight=torch.tensor(o["pos_weight"], dtype=torch.float64)
        if "pos_weight" in o else None), 3),
    "soft_margin": (lambda x, t, w, r, o: F.soft_margin_loss(x, t, reduction=r), 3),
    "poisson_nll": (lambda x, t, w, r, o: F.poisson_nll_loss(x, t, reduction=r, **o), 2),
}


def poisson_terms(x, t, options):
    """poisson_nll's bounds (header): (value ulps, each element's largest
    value term, its largest gradient term before the scale r), in double."""
    x, t = x.astype(np.float64), t.astype(np.float64)
    if options.get("log_input", True):
        e = np.exp(x)
        value, grad = np.maximum(e, np.abs(t * x)), np.maximum(e, np.abs(t))
    else:
        u = x + options.get("eps", 1e-8)
        value = np.maximum(np.abs(x), np.abs(t * np.log(u)))
        grad = np.maximum(1.0, np.abs(t / u))
    if not options.get("full"):
        return 2, value, grad
    big = np.where(t > 1, t, 1.0)  # Stirling's term only where t > 1 (PyTorch's mask)
    stirling = np.maximum.reduce([np.abs(big * np.log(big)), big,
                                  np.abs(0.5 * np.log(2 * math.pi * big))])
    return 3, np.maximum(value, np.where(t > 1, stirling, 0.0)), grad


# Losses whose bounds are relative to their terms: name -> (x, t, options) ->
# (value ulps, value terms, gradient terms); the others use |value|, |grad|.
TERMS = {"poisson_nll": poisson_terms}


def elementwise_data(rng, name, shape, options):
    n = int(np.prod(shape))
    if name == "poisson_nll":
        t = rng.poisson(3.0, n).astype(np.float64)
        t[::5] = rng.uniform(0.0, 4.0, n)[::5]  # rates in (0, 1) and between counts
        if options.get("log_input", True):
            x = rng.standard_normal(n) * 1.5
        else:
            x = rng.uniform(0.01, 6.0, n)
            x[::29], t[::29] = 0.0, 0.0  # a zero rate where nothing was counted
    elif name == "soft_margin":
        x = rng.standard_normal(n) * 4
        t = np.where(rng.uniform(size=n) < 0.5, 1.0, -1.0)
        t[::7] = rng.choice([0.5, -2.0, 0.0, 3.0], n)[::7]  # targets used as given
        # PyTorch's literal log(1 + exp(-y x)) keeps float32's accuracy in float64
        # only while exp(-y x) > ~1e-9 (past |y x| ~ 21 its 1 + e rounds it away)
        x[::7] /= 3
    elif name == "bce":
        x = rng.uniform(0.001, 0.999, n)
        t = rng.uniform(0.0, 1.0, n)
        t[::3] = np.round(t[::3])  # hard labels too
    elif name == "bce_logits":
        x = rng.standard_normal(n) * 4
        t = rng.uniform(0.0, 1.0, n)
        t[::3] = np.round(t[::3])
    elif name in ("hinge", "squared_hinge"):
        x = rng.standard_normal(n) * 2
        t = np.where(rng.uniform(size=n) < 0.5, 1.0, -1.0)
        t[::4] = np.where(t[::4] > 0, 1.0, 0.0)  # {0, 1} labels work too
    else:
        x = rng.standard_normal(n) * 2
        t = rng.standard_normal(n) * 2
    weight = rng.uniform(0.5, 2.0, n).astype(np.float32).reshape(shape)
    return (x.astype(np.float32).reshape(shape), t.astype(np.float32).reshape(shape), weight)


ELEMENTWISE_OPTIONS = {
    "huber": [{}, {"delta": 0.75}, {"delta": 3.0}],
    "smooth_l1": [{}, {"beta": 0.5}, {"beta": 2.5}],
    "bce": [{}, {"weight": True}],
    "bce_logits": [{}, {"weight": True}, {"pos_weight": 2.5}, {"weight": True, "pos_weight": 0.5}],
    "poisson_nll": [{}, {"full": True}, {"log_input": False},
                    {"log_input": False, "full": True, "eps": 0.25}],
}


def check_loss_outputs(where, fn, args, kwargs, reduction, loss, grad, inputs):
    """The single-output calls and grad_out give the bits of the two-output
    call, and no input was written."""
    before = [a.copy() for a in inputs]
    loss_only, none_grad = fn(*args, reduction, want_grad=False, **kwargs)
    none_loss, grad_only = fn(*args, reduction, want_loss=False, **kwargs)
    expect(none_grad is None and none_loss is None,
           "%s: the output not asked for is not None" % where)
    expect(same_bits(loss_only, loss), "%s: the loss-only call gives other bits" % where)
    expect(same_bits(grad_only, grad), "%s: the gradient-only call gives other bits" % where)
    out = np.full_like(grad, np.nan)
    loss_out, grad_out = fn(*args, reduction, grad_out=out, **kwargs)
    expect(grad_out is out and same_bits(out, grad) and same_bits(loss_out, loss),
           "%s: grad_out does not receive the same bits" % where)
    expect(all(same_bits(a, b) for a, b in zip(inputs, before)),
           "%s: an input was written" % where)
    if reduction == "none":
        expect(isinstance(loss, np.ndarray) and loss.dtype == np.float32,
               "%s: loss for none is not a float32 array" % where)
    else:
        expect(type(loss) is float, "%s: loss is not a Python float" % where)
    expect(grad.dtype == np.float32 and grad.shape == args[0].shape,
           "%s: grad has dtype %s shape %s" % (where, grad.dtype, grad.shape))


def check_values(where, ours, ref, reduction, value_bound):
    """ours against the float64 reference: value_bound(ref) per element for
    none, 1e-6 relative for the reductions."""
    ours = np.asarray(ours, np.float64)
    ref = np.asarray(ref, np.float64)
    if reduction == "none":
        expect(ours.shape == ref.shape, "%s: loss shape %s, reference %s"
               % (where, ours.shape, ref.shape))
        loss_worst["value"].note(np.abs(ours - ref), value_bound(ref), where + " loss")
    else:
        loss_worst["reduced"].note(np.abs(ours - ref), 1e-6 * np.abs(ref), where + " loss")


def check_grad(where, ours, ref, term_bound):
    """|ours - ref| <= max(2 ulp(ref), 2^-20 term_bound) per element."""
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    allowed = np.maximum(2 * ulp_at(ref), 2.0 ** -20 * term_bound)
    loss_worst["grad"].note(np.abs(ours - ref), allowed, where + " grad")


def test_elementwise(rng):
    for name, (torch_fn, value_ulps) in ELEMENTWISE.items():
        fn = getattr(lossopt, name)
        for index, options in enumerate(ELEMENTWISE_OPTIONS.get(name, [{}])):
            shape = (8, 125) if index % 2 == 0 else (1001,)
            x, t, w = elementwise_data(rng, name, shape, options)
            kwargs = dict(options)
            if kwargs.get("weight"):
                kwargs["weight"] = w
            weight = kwargs.get("weight")
            scalars = {k: v for k, v in kwargs.items() if k != "weight"}
            ulps, value_terms, grad_terms = (TERMS[name](x, t, scalars) if name in TERMS
                                             else (value_ulps, 0.0, 0.0))
            for reduction in REDUCTIONS:
                where = "%s(%s, %s)" % (name, reduction, options)
                loss, grad = fn(x, t, reduction, **kwargs)
                ref_loss, ref_grad = reference(
                    lambda xx, tt, ww, r: torch_fn(xx, tt, ww, r, scalars), [x, t, weight],
                    reduction)
                check_values(where, loss, ref_loss, reduction,
                             lambda ref: ulps * ulp_at(np.maximum(np.abs(ref), value_terms)))
                r = 1.0 / x.size if reduction == "mean" else 1.0
                check_grad(where, grad, ref_grad,
                           max(np.abs(ref_grad).max(), r * np.max(grad_terms)))
                check_loss_outputs(where, fn, (x, t), kwargs, reduction, loss, grad,
                                   [x, t] + ([weight] if weight is not None else []))
                count("loss cases")
    # n == 0: SUM gives +0, MEAN NaN, NONE an empty array (header)
    empty = np.zeros((0, 3), np.float32)
    loss_sum, grad = lossopt.mse(empty, empty, "sum")
    loss_mean, _ = lossopt.mse(empty, empty, "mean")
    loss_none, _ = lossopt.mse(empty, empty, "none")
    expect(loss_sum == 0.0 and math.isnan(loss_mean) and loss_none.shape == (0, 3)
           and grad.shape == (0, 3), "n == 0: sum %r mean %r none %r" % (
               loss_sum, loss_mean, loss_none.shape))


# ---- losses with two gradients ------------------------------------------------------

TWO_GRADIENT_OPTIONS = [("margin_ranking", {}), ("margin_ranking", {"margin": 0.25}),
                        ("margin_ranking", {"margin": -0.5}), ("gaussian_nll", {}),
                        ("gaussian_nll", {"full": True}),
                        ("gaussian_nll", {"eps": 0.125, "full": True})]


def test_two_gradient_losses(rng):
    """margin_ranking and gaussian_nll against PyTorch's float64 autograd on
    the same float32 inputs (eps as the float32 lossopt receives), to the
    header's bounds: margin_ranking's value 2 ulp + 2^-44 of |y d| + |margin|,
    gaussian_nll's 2 ulp of its largest term; gradients 2 ulp or 2^-20 of
    their largest term (grad_var: 0.5 r max(1/v, d^2/v^2))."""
    for index, (name, options) in enumerate(TWO_GRADIENT_OPTIONS):
        fn = getattr(lossopt, name)
        shape = (8, 125) if index % 2 == 0 else (1001,)
        a = rng.standard_normal(shape).astype(np.float32)
        b = rng.standard_normal(shape).astype(np.float32)
        if name == "margin_ranking":
            c = np.where(rng.random(shape) < 0.5, 1.0, -1.0).astype(np.float32)
        else:
            c = rng.uniform(0.0, 2.0, shape).astype(np.float32)
            c.reshape(-1)[::17] = 0.0
            c.reshape(-1)[::23] = 3e-7
        a64, b64, c64 = t64(a).requires_grad_(), t64(b), t64(c)
        eps = float(np.float32(options.get("eps", 1e-6)))
        margin = options.get("margin", 0.0)
        d = a.astype(np.float64) - b.astype(np.float64)
        if name == "margin_ranking":
            b64.requires_grad_()
            terms = np.abs(c.astype(np.float64) * d) + abs(margin)
        else:
            c64.requires_grad_()
            v = np.maximum(c.astype(np.float64), eps)
            terms = np.maximum(np.abs(0.5 * np.log(v)), 0.5 * d * d / v)
            if options.get("full"):
                terms = np.maximum(terms, 0.5 * math.log(2 * math.pi))
            grad_var_terms = 0.5 * np.maximum(1 / v, d * d / (v * v))
        for reduction in REDUCTIONS:
            where = "%s(%s, %s)" % (name, reduction, options)
            loss, ga, gb = fn(a, b, c, reduction, **options)
            for t in (a64, b64, c64):
                t.grad = None
            if name == "margin_ranking":
                out = F.margin_ranking_loss(a64, b64, c64, margin=margin, reduction=reduction)
                second = b64
            else:
                out = F.gaussian_nll_loss(a64, b64, c64, full=options.get("full", False),
                                          eps=eps, reduction=reduction)
                second = c64
            out.backward(torch.ones_like(out))
            ref = out.detach().numpy()
            r = 1.0 / a.size if reduction == "mean" else 1.0
            if name == "margin_ranking":
                bound = lambda ref: 2 * ulp_at(ref) + 2.0 ** -44 * terms  # noqa: E731
            else:
                bound = lambda ref: 2 * ulp_at(np.maximum(np.abs(ref), terms))  # noqa: E731
            check_values(where, loss, ref, reduction, bound)
            ref_ga, ref_gb = a64.grad.numpy(), second.grad.numpy()
            check_grad(where + " grad_a", ga, ref_ga, np.abs(ref_ga) if name == "margin_ranking"
                       else np.abs(ref_ga))
            check_grad(where + " grad_b", gb, ref_gb, np.abs(ref_gb) if name == "margin_ranking"
                       else grad_var_terms * r)
            # each output alone, grad_out, inputs unchanged
            before = [x.copy() for x in (a, b, c)]
            loss_only, n1, n2 = fn(a, b, c, reduction, want_grad=False, **options)
            n0, ga_only, gb_only = fn(a, b, c, reduction, want_loss=False, **options)
            expect(n0 is None and n1 is None and n2 is None,
                   "%s: an output not asked for is not None" % where)
            expect(same_bits(loss_only, loss) and same_bits(ga_only, ga)
                   and same_bits(gb_only, gb), "%s: single-output calls give other bits" % where)
            out_b = np.full_like(gb, np.nan)
            _, none_a, got_b = fn(a, b, c, reduction, grad_out=(None, out_b), **options)
            expect(none_a is None and got_b is out_b and same_bits(out_b, gb),
                   "%s: grad_out=(None, array) does not receive grad_b's bits" % where)
            expect(all(same_bits(x, y) for x, y in zip((a, b, c), before)),
                   "%s: an input was written" % where)
            count("loss cases")
    # errors: a negative var, a NaN eps or margin; nothing written
    x = rng.standard_normal(40).astype(np.float32)
    var = np.ones(40, np.float32)
    var[37] = -1e-3
    out = np.full(40, np.nan, np.float32)
    expect_error("gaussian_nll negative var", LossoptError,
                 lambda: lossopt.gaussian_nll(x, x, var, "none", grad_out=(out, None)),
                 [x, var, out], status="LOSSOPT_ERR_DOMAIN")
    expect_error("gaussian_nll eps=nan", LossoptError,
                 lambda: lossopt.gaussian_nll(x, x, np.abs(var), eps=float("nan"),
                                              grad_out=(out, None)),
                 [x, out], status="LOSSOPT_ERR_ARG")
    expect_error("margin_ranking margin=nan", LossoptError,
                 lambda: lossopt.margin_ranking(x, x, x, margin=float("nan"),
                                                grad_out=(None, out)),
                 [x, out], status="LOSSOPT_ERR_ARG")
    expect_error("gaussian_nll var of another shape", ValueError,
                 lambda: lossopt.gaussian_nll(x, x, var[:20]), [x, var])


EMBEDDING_OPTIONS = [("cosine_embedding", {}), ("cosine_embedding", {"margin": 0.5}),
                     ("cosine_embedding", {"margin": -0.3}), ("triplet_margin", {}),
                     ("triplet_margin", {"p": 1, "swap": True}),
                     ("triplet_margin", {"margin": 0.2, "eps": 0.0, "swap": True}),
                     ("triplet_margin", {"margin": 0.0, "p": 1, "eps": 0.1})]


def test_embedding_losses(rng):
    """cosine_embedding and triplet_margin against PyTorch's float64 autograd
    on the same float32 inputs (margin and eps as the float32 lossopt
    receives), to the header's bounds: values 2 ulp of the row's largest
    term T plus 2 gamma T (the canonical float sums over dim), gradients 2
    ulp or 2^-20 of the row's largest term G plus 4 gamma G; rows within
    1e-5 T of a tie (the hinge, swap's two distances) keep their gradients
    unchecked."""
    for index, (name, options) in enumerate(EMBEDDING_OPTIONS):
        fn = getattr(lossopt, name)
        rows, dim = [(40, 3), (9, 70), (5, 300)][index % 3]
        gamma = ((min(dim, 256) + 15) // 16 + 6) * 2.0 ** -24
        a = rng.uniform(-1, 1, (rows, dim)).astype(np.float32)
        b = (a + rng.uniform(-0.7, 0.7, (rows, dim))).astype(np.float32)
        margin = float(np.float32(options.get("margin", 0.0 if name == "cosine_embedding"
                                               else 1.0)))
        a64, b64 = t64(a), t64(b)
        if name == "cosine_embedding":
            c = rng.choice([1.0, -1.0, 1.0, -1.0, 0.0], rows).astype(np.float32)
            b[0] = 0.0  # a zero vector
            b64 = t64(b)
            s1 = (a64 * a64).sum(1).numpy() + 1e-12
            s2 = (b64 * b64).sum(1).numpy() + 1e-12
            cos = (a64 * b64).sum(1).numpy() / np.sqrt(s1 * s2)
            terms = np.where(c == 1, np.maximum(1, np.abs(cos)),
                             np.maximum(np.abs(cos), abs(margin)))
            tie = np.where(c == -1, cos - margin, 1.0)
            den = np.sqrt(s1 * s2)[:, None]
            g_terms = np.maximum.reduce([np.abs(b) / den, np.abs(a) / s1[:, None],
                                         np.abs(a) / den, np.abs(b) / s2[:, None]]).max(1)
            gap = np.ones(rows)
        else:
            c = (a + rng.uniform(-0.9, 0.9, (rows, dim))).astype(np.float32)
            p, eps = options.get("p", 2), float(np.float32(options.get("eps", 1e-6)))
            swap = options.get("swap", False)
            c64 = t64(c)
            us = [((x - y) + np.float32(eps)).astype(np.float64) for x, y in
                  ((a, b), (a, c), (b, c))]
            ds = [np.abs(u).sum(1) if p == 1 else np.sqrt((u * u).sum(1)) for u in us]
            dneg = np.minimum(ds[1], ds[2]) if swap else ds[1]
            terms = np.maximum(np.maximum(abs(margin), ds[0]), dneg)
            tie = margin + ds[0] - dneg
            gap = ds[1] - ds[2] if swap else np.ones(rows)
            g_terms = (np.ones(rows) if p == 1 else
                       np.maximum.reduce([np.abs(u).max(1) / np.where(d > 0, d, np.inf)
                                          for u, d in zip(us, ds)]))
        skip = (np.abs(tie) <= 1e-5 * terms) | (np.abs(gap) <= 1e-5 * terms)
        for reduction in REDUCTIONS:
            where = "%s(%s, %s)" % (name, reduction, options)
            result = fn(a, b, c, reduction, **options)
            loss, grads = result[0], result[1:]
            leaves = [t64(a).requires_grad_(), t64(b).requires_grad_()]
            if name == "cosine_embedding":
                out = F.cosine_embedding_loss(leaves[0], leaves[1], t64(c), margin=margin,
                                              reduction=reduction)
            else:
                leaves.append(t64(c).requires_grad_())
                out = F.triplet_margin_loss(*leaves, margin=margin, p=p, eps=eps, swap=swap,
                                            reduction=reduction)
            out.backward(torch.ones_like(out))
            ref = out.detach().numpy()
            r = 1.0 / rows if reduction == "mean" else 1.0
            check_values(where, loss, ref, reduction,
                         lambda ref: 2 * ulp_at(terms) + 2 * gamma * terms)
            expect(len(grads) == len(leaves), "%s: %d gradients" % (where, len(grads)))
            for k, (ours, leaf) in enumerate(zip(grads, leaves)):
                want = leaf.grad.numpy()
                G = (r * g_terms)[:, None]
                allowed = np.maximum(2 * ulp_at(want), 2.0 ** -20 * G) + 4 * gamma * G
                error = np.where(skip[:, None], 0.0, np.abs(ours.astype(np.float64) - want))
                loss_worst["grad"].note(error, np.broadcast_to(allowed, error.shape),
                                        "%s grad %d" % (where, k))
            # each output alone, grad_out, inputs unchanged
            before = [x.copy() for x in (a, b, c)]
            alone = fn(a, b, c, reduction, want_grad=False, **options)
            expect(same_bits(alone[0], loss) and all(g is None for g in alone[1:]),
                   "%s: loss-only call" % where)
            no_loss = fn(a, b, c, reduction, want_loss=False, **options)
            expect(no_loss[0] is None and all(same_bits(x, y) for x, y in
                                              zip(no_loss[1:], grads)),
                   "%s: gradient-only call" % where)
            outs = [None] * len(grads)
            outs[-1] = np.full_like(grads[-1], np.nan)
            got = fn(a, b, c, reduction, grad_out=tuple(outs), **options)
            expect(got[-1] is outs[-1] and same_bits(outs[-1], grads[-1]) and
                   all(g is None for g in got[1:-1]),
                   "%s: grad_out with one array does not receive its bits" % where)
            expect(all(same_bits(x, y) for x, y in zip((a, b, c), before)),
                   "%s: an input was written" % where)
            count("loss cases")
    # errors: nothing written
    x = rng.standard_normal((4, 5)).astype(np.float32)
    y = np.ones(4, np.float32)
    out = np.full((4, 5), np.nan, np.float32)
    expect_error("cosine_embedding margin=nan", LossoptError,
                 lambda: lossopt.cosine_embedding(x, x, y, margin=float("nan"),
                                                  grad_out=(out, None)),
                 [x, y, out], status="LOSSOPT_ERR_ARG")
    expect_error("cosine_embedding target of another shape", ValueError,
                 lambda: lossopt.cosine_embedding(x, x, y[:3]), [x, y])
    expect_error("triplet_margin eps=-1", LossoptError,
                 lambda: lossopt.triplet_margin(x, x, x, eps=-1.0, grad_out=(None, out, None)),
                 [x, out], status="LOSSOPT_ERR_ARG")
    expect_error("triplet_margin p=3", ValueError,
                 lambda: lossopt.triplet_margin(x, x, x, p=3, grad_out=(out, None, None)),
                 [x, out])
    expect_error("triplet_margin 1-D", ValueError,
                 lambda: lossopt.triplet_margin(x[0], x[0], x[0]), [x])
    expect_error("triplet_margin batchmean", ValueError,
                 lambda: lossopt.triplet_margin(x, x, x, "batchmean"), [x])


# ---- row-wise losses --------------------------------------------------------------

def ce_term_bound(x, labels, weight, eps, divisor):
    """Per row, the largest term of cross_entropy's gradient (header):
    max_j max(A p_j, o_j), A = ((1 - eps) w_y + (eps / C) W) / D,
    o_j = ((1 - eps) w_y [j == y] + (eps / C) w_j) / D; 0 for ignored rows."""
    rows, classes = x.shape
    w = np.ones(classes) if weight is None else weight.astype(np.float64)
    p = torch.softmax(t64(x), dim=1).numpy()
    bound = np.zeros((rows, 1))
    for r in range(rows):
        y = labels[r]
        if y < 0:
            continue
        a = ((1 - eps) * w[y] + eps / classes * w.sum()) / divisor
        o = eps / classes * w / divisor
        o[y] += (1 - eps) * w[y] / divisor
        bound[r] = max((a * p[r]).max(), o.max())
    return bound


def probs_term_bound(x, target, weight, eps, divisor):
    """Per row max_j max(p_j V, u_j) / D, u_j = w_j t~_j, V = sum u_j."""
    classes = x.shape[1]
    w = np.ones(classes) if weight is None else weight.astype(np.float64)
    smoothed = target.astype(np.float64) * (1 - eps) + eps / classes
    u = w * smoothed
    v = u.sum(axis=1, keepdims=True)
    p = torch.softmax(t64(x), dim=1).numpy()
    return np.maximum(p * v, u).max(axis=1, keepdims=True) / divisor


def row_value_bound(ref):
    return np.maximum(4 * ulp_at(ref), 1e-6 * np.abs(ref))


def test_rowwise(rng):
    rows, classes = 16, 37
    for case in range(4):
        weighted, eps = case % 2 == 1, (0.0, 0.0, 0.125, 0.125)[case]
        x = (rng.standard_normal((rows, classes)) * 3).astype(np.float32)
        weight = rng.uniform(0.5, 2.0, classes).astype(np.float32) if weighted else None
        labels = rng.integers(0, classes, rows).astype(np.int64)
        labels[[3, 11]] = -100  # PyTorch's ignore_index: loss 0, gradient row 0
        logits = torch.softmax(torch.from_numpy(rng.standard_normal((rows, classes)) * 2),
                               dim=1)
        target = logits.numpy().astype(np.float32)
        target[5] = 0.0
        target[5, 7] = 1.0  # a one-hot row
        kept = labels >= 0
        ce_divisor = (weight[labels[kept]].astype(np.float64).sum() if weighted
                      else float(kept.sum()))
        wt = t64(weight) if weighted else None
        for reduction in REDUCTIONS:
            # class-index labels, then soft targets: the same checks, each with its
            # own MEAN divisor and term bound
            for fn, second, divisor, term_bound in (
                    (lossopt.cross_entropy, labels, ce_divisor, ce_term_bound),
                    (lossopt.cross_entropy_probs, target, rows, probs_term_bound)):
                where = "%s(%s, weighted=%s, label_smoothing=%g)" % (
                    fn.__name__, reduction, weighted, eps)
                kwargs = dict(weight=weight, label_smoothing=eps)
                loss, grad = fn(x, second, reduction, **kwargs)
                ref_loss, ref_grad = reference(
                    lambda xx, yy, r: F.cross_entropy(xx, yy, weight=wt, label_smoothing=eps,
                                                      reduction=r), [x, second], reduction)
                check_values(where, loss, ref_loss, reduction, row_value_bound)
                scale = divisor if reduction == "mean" else 1.0
                check_grad(where, grad, ref_grad, term_bound(x, second, weight, eps, scale))
                if fn is lossopt.cross_entropy:
                    expect(not grad[~kept].any(), "%s: an ignored row's gradient is not 0" % where)
                check_loss_outputs(where, fn, (x, second), kwargs, reduction, loss, grad,
                                   [x, second])

            # multi_margin: torch has no ignored rows, so its labels are all kept
            p, margin = (1, 2, 1, 2)[case], (1.0, 1.0, 0.75, 2.5)[case]
            where = "multi_margin(%s, p=%d, margin=%g, weighted=%s)" % (reduction, p, margin,
                                                                        weighted)
            full = np.where(kept, labels, 0)
            kwargs = dict(p=p, margin=margin, weight=weight)
            loss, grad = lossopt.multi_margin(x, full, reduction, **kwargs)
            ref_loss, ref_grad = reference(
                lambda xx, ll, r: F.multi_margin_loss(xx, ll, p=p, margin=margin, weight=wt,
                                                      reduction=r), [x, full], reduction)
            check_values(where, loss, ref_loss, reduction, row_value_bound)
            check_grad(where, grad, ref_grad, np.abs(ref_grad).max(axis=1, keepdims=True))
            check_loss_outputs(where, lossopt.multi_margin, (x, full), kwargs, reduction,
                               loss, grad, [x, full])
            count("loss cases", 3)
        # multi_margin's ignored rows: the kept rows' results, 0 for the others
        loss, grad = lossopt.multi_margin(x, labels, "none", weight=weight)
        kept_loss, kept_grad = lossopt.multi_margin(x[kept], labels[kept], "none",
                                                    weight=weight)
        mean, _ = lossopt.multi_margin(x, labels, "mean", weight=weight)
        expect(same_bits(loss[kept], kept_loss) and not loss[~kept].any()
               and same_bits(grad[kept], kept_grad) and not grad[~kept].any()
               and abs(mean - kept_loss.astype(np.float64).mean()) <= 1e-6 * abs(mean),
               "multi_margin: ignored rows are not left out")


# ---- losses on log-probabilities ---------------------------------------------------

def kl_terms(x, t, log_target):
    """kl_div's value bound (header): (ulps, each element's largest term:
    max(|t log t|, |t x|) or exp(t) max(|t|, |x|, |t - x|))."""
    x, t = x.astype(np.float64), t.astype(np.float64)
    if log_target:
        return 3, np.exp(t) * np.maximum.reduce([np.abs(t), np.abs(x), np.abs(t - x)])
    with np.errstate(divide="ignore", invalid="ignore"):
        t_log_t = np.where(t > 0, t * np.log(t), 0.0)
    return 2, np.maximum(np.abs(t_log_t), np.abs(t * x))


def test_log_prob_losses(rng):
    """nll: bit-exact, as the header's single roundings make it: the float32
    of PyTorch's float64 row losses and gradients, the reductions the double
    sum of those floats (exact here: 16 floats of nearby exponents) divided
    once; and within 1e-6 of PyTorch's own reduced value. kl_div: every
    reduction with "batchmean", both target kinds, a 3-D input (rows = its
    first dimension), against F.kl_div to the header's term bounds."""
    rows, classes = 16, 37
    for weighted in (False, True):
        log_probs = torch.log_softmax(torch.from_numpy(rng.standard_normal((rows, classes)) * 3),
                                      dim=1).numpy().astype(np.float32)
        labels = rng.integers(0, classes, rows).astype(np.int64)
        labels[[2, 9]] = -100  # PyTorch's ignore_index
        kept = labels >= 0
        weight = rng.uniform(0.5, 2.0, classes).astype(np.float32) if weighted else None
        wt = t64(weight) if weighted else None
        divisor = (math.fsum(weight[labels[kept]].astype(np.float64)) if weighted
                   else float(kept.sum()))
        rows_ref, _ = reference(lambda xx, ll, r: F.nll_loss(xx, ll, weight=wt, reduction=r),
                                [log_probs, labels], "none")
        row_losses = rows_ref.astype(np.float32)  # loss_r: one rounding of w_y x_y
        total = math.fsum(row_losses[kept].astype(np.float64))
        exact = {"none": row_losses, "sum": np.float32(total),
                 "mean": np.float32(total / divisor)}
        for reduction in REDUCTIONS:
            where = "nll(%s, weighted=%s)" % (reduction, weighted)
            loss, grad = lossopt.nll(log_probs, labels, reduction, weight=weight)
            ref_loss, ref_grad = reference(
                lambda xx, ll, r: F.nll_loss(xx, ll, weight=wt, reduction=r),
                [log_probs, labels], reduction)
            # == rather than same_bits: an ignored row's 0 may be -0 in PyTorch
            expect(np.array_equal(np.float32(loss), exact[reduction]),
                   "%s: loss %s, expected exactly %s" % (where, loss, exact[reduction]))
            expect(np.array_equal(grad, ref_grad.astype(np.float32)),
                   "%s: the gradient is not the float32 of -w_y / D" % where)
            count("exact nll checks", 2)
            if reduction != "none":
                check_values(where, loss, ref_loss, reduction, None)
            check_loss_outputs(where, lossopt.nll, (log_probs, labels), {"weight": weight},
                               reduction, loss, grad, [log_probs, labels])
            count("loss cases")

    shape = (6, 4, 9)
    x = torch.log_softmax(torch.from_numpy(rng.standard_normal((6, 36)) * 2), dim=1)
    x = x.numpy().astype(np.float32).reshape(shape)
    p = torch.softmax(torch.from_numpy(rng.standard_normal((6, 36)) * 2), dim=1)
    probs = p.numpy().astype(np.float32).reshape(shape)
    probs.reshape(-1)[::13] = 0.0  # 0 log 0 = 0
    log_t = torch.log_softmax(torch.from_numpy(rng.standard_normal((6, 36)) * 2), dim=1)
    log_t = log_t.numpy().astype(np.float32).reshape(shape)
    log_t.reshape(-1)[::17] = -120.0  # exp(t) is 0 in float32: the term is 0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*'mean' divides")  # PyTorch's advice
        for log_target, t in ((False, probs), (True, log_t)):
            ulps, terms = kl_terms(x, t, log_target)
            for reduction in REDUCTIONS + ("batchmean",):
                where = "kl_div(%s, log_target=%s)" % (reduction, log_target)
                loss, grad = lossopt.kl_div(x, t, reduction, log_target=log_target)
                ref_loss, ref_grad = reference(
                    lambda xx, tt, r: F.kl_div(xx, tt, reduction=r, log_target=log_target),
                    [x, t], reduction)
                check_values(where, loss, ref_loss, reduction,
                             lambda ref: ulps * ulp_at(np.maximum(np.abs(ref), terms)))
                check_grad(where, grad, ref_grad, np.abs(ref_grad).max())
                check_loss_outputs(where, lossopt.kl_div, (x, t), {"log_target": log_target},
                                   reduction, loss, grad, [x, t])
                count("loss cases")
    # batchmean of no elements: sum / rows, NaN for 0 rows, +0 for rows of nothing
    no_rows, empty_rows = np.zeros((0, 5), np.float32), np.zeros((3, 0), np.float32)
    nan_loss, _ = lossopt.kl_div(no_rows, no_rows, "batchmean")
    zero_loss, _ = lossopt.kl_div(empty_rows, empty_rows, "batchmean")
    expect(math.isnan(nan_loss) and zero_loss == 0.0 and math.copysign(1, zero_loss) > 0,
           "kl_div batchmean of no elements: %r (0 rows), %r (0 columns)"
           % (nan_loss, zero_loss))


# =====================================================================================
# Optimizers
# =====================================================================================

N = 67            # four 16-wide vectors and a 3-element tail
STEPS = 8         # RAdam's rectification starts at step 6 (beta2 0.999)
TOLERANCE_ULP = 4.0
PARAM_SCALES = [1.0, 1e-3, 10.0, 0.1, 1e-2]
GRAD_SCALES = [0.1, 10.0, 1e-3, 1.0, 1e-2, 3.0, 0.3]
optimizer_worst = {}

# Each optimizer: its lossopt function, its state buffers (lossopt's names,
# in the call's order), torch's name of each, and the configurations.
STATE = {
    "sgd": [("momentum_buf", "momentum_buffer")],
    "rmsprop": [("square_avg", "square_avg"), ("grad_avg", "grad_avg"),
                ("momentum_buf", "momentum_buffer")],
    "adam": [("exp_avg", "exp_avg"), ("exp_avg_sq", "exp_avg_sq"),
             ("max_exp_avg_sq", "max_exp_avg_sq")],
    "adagrad": [("sum", "sum")],
    "adamax": [("exp_avg", "exp_avg"), ("exp_inf", "exp_inf")],
    "nadam": [("exp_avg", "exp_avg"), ("exp_avg_sq", "exp_avg_sq")],
    "radam": [("exp_avg", "exp_avg"), ("exp_avg_sq", "exp_avg_sq")],
}


def uses(kind, c, buffer):
    """Whether a configuration uses a state buffer (include/lossopt.h)."""
    return {"momentum_buf": c.get("momentum", 0.0) != 0.0, "grad_avg": c.get("centered", False),
            "max_exp_avg_sq": c.get("amsgrad", False)}.get(buffer, True)


def sgd_configs():
    out = []
    for momentum, dampening, nesterov in [(0.0, 0.0, False), (0.9, 0.0, False),
                                          (0.9, 0.0, True), (0.87, 0.3, False)]:
        for weight_decay, maximize in [(0.0, False), (0.013, True)]:
            out.append(dict(lr=0.037 if nesterov else 0.01, momentum=momentum,
                            dampening=dampening, weight_decay=weight_decay,
                            nesterov=nesterov, maximize=maximize))
    return out


def rmsprop_configs():
    out = []
    for centered in (False, True):
        for momentum, weight_decay, maximize in [(0.0, 0.0, False), (0.9, 0.01, True)]:
            out.append(dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=weight_decay,
                            momentum=momentum, centered=centered, maximize=maximize))
    out.append(dict(lr=0.007, alpha=0.3, eps=1e-6, weight_decay=0.003, momentum=0.7,
                    centered=True, maximize=False))  # 1 - alpha >= 0.5: lerp's 2nd branch
    return out


def adam_configs():
    out = []
    for amsgrad in (False, True):
        for weight_decay, decoupled, maximize in [(0.0, False, False), (0.01, False, True),
                                                  (0.01, True, False)]:
            out.append(dict(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8,
                            weight_decay=weight_decay, decoupled_weight_decay=decoupled,
                            amsgrad=amsgrad, maximize=maximize))
    out.append(dict(lr=0.002, beta1=0.0, beta2=0.99, eps=1e-8, weight_decay=0.02,
                    decoupled_weight_decay=True, amsgrad=True, maximize=True))
    out.append(dict(lr=0.0007, beta1=0.3, beta2=0.95, eps=1e-7, weight_decay=0.011,
                    decoupled_weight_decay=False, amsgrad=False, maximize=False))
    return out


def adagrad_configs():
    return [dict(lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10, maximize=False),
            dict(lr=0.01, lr_decay=0.01, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10, maximize=True),
            dict(lr=0.037, lr_decay=0.05, weight_decay=0.013, initial_accumulator_value=0.3,
                 eps=1e-3, maximize=False)]


def adamax_configs():
    return [dict(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, maximize=False),
            dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, maximize=True),
            dict(lr=0.005, beta1=0.0, beta2=0.9, eps=1e-6, weight_decay=0.0, maximize=False)]


def nadam_configs():
    return [dict(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3),
            dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01,
                 momentum_decay=0.07),
            dict(lr=0.0037, beta1=0.3, beta2=0.95, eps=1e-3, weight_decay=0.0,
                 momentum_decay=0.5)]


def radam_configs():
    return [dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0),
            dict(lr=0.0037, beta1=0.87, beta2=0.993, eps=1e-3, weight_decay=0.013),
            dict(lr=0.005, beta1=0.0, beta2=0.5, eps=1e-6, weight_decay=0.002)]  # never rectified


CONFIGS = {"sgd": sgd_configs, "rmsprop": rmsprop_configs, "adam": adam_configs,
           "adagrad": adagrad_configs, "adamax": adamax_configs, "nadam": nadam_configs,
           "radam": radam_configs}


def torch_optimizer(kind, c, param):
    """torch.optim's optimizer for a configuration, hyper-parameters as the
    plain Python floats a user writes."""
    c = dict(c)
    if "beta1" in c:
        c["betas"] = (c.pop("beta1"), c.pop("beta2"))
    if kind == "adam":
        cls = torch.optim.AdamW if c.pop("decoupled_weight_decay") else torch.optim.Adam
        return cls([param], foreach=False, **c)
    cls = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop,
           "adagrad": torch.optim.Adagrad, "adamax": torch.optim.Adamax,
           "nadam": torch.optim.NAdam, "radam": torch.optim.RAdam}[kind]
    return cls([param], foreach=(kind == "nadam"), **c)


# ---- the bound: operand magnitudes (tests/test_torch_parity.c and
# tests/test_more_torch_parity.c explain each; this is their model in numpy) ----

def vmag(old, new):
    return np.maximum.reduce([np.abs(old), np.abs(new), np.abs(new - old)])


def gradient(grad, p, maximize, weight_decay):
    g = (-grad if maximize else grad) + weight_decay * p
    return g, np.maximum.reduce([np.abs(grad), weight_decay * np.abs(p), np.abs(g)])


def first_moment(beta1, g, mag_g, old, new):
    return np.maximum.reduce([vmag(old, new), beta1 * np.abs(old), (1 - beta1) * mag_g,
                              (1 - beta1) * np.abs(g - old)])


def second_moment(beta2, g, mag_g, old, new):
    return np.maximum.reduce([vmag(old, new), beta2 * np.abs(old),
                              (1 - beta2) * np.abs(g) * mag_g])


def quotient(x, mag_x, d, s, mag_s, k):
    with np.errstate(divide="ignore", invalid="ignore"):
        amp = np.where(s > 0, np.maximum(1.0, k * mag_s / s), np.inf)
    return np.maximum(mag_x, np.abs(x) * amp) / d


def nadam_mu(c, t):
    return c["beta1"] * (1.0 - 0.5 * 0.96 ** (t * c["momentum_decay"]))


def magnitudes(kind, c, step, b, a, mu_product=1.0):
    """magnitude[buffer] for every output of one step: b, a = the buffers
    (float64) before and after torch's step."""
    p, grad, t = b["param"], b["grad"], float(step)
    mag = {}
    if kind in ("sgd", "rmsprop", "adagrad", "adamax"):
        g, mag_g = gradient(grad, p, c["maximize"], c["weight_decay"])
    elif kind == "adam":
        wd = 0.0 if c["decoupled_weight_decay"] else c["weight_decay"]
        g, mag_g = gradient(grad, p, c["maximize"], wd)
    else:  # nadam, radam: torch 1.13 has neither maximize nor decoupled decay
        g, mag_g = gradient(grad, p, False, c["weight_decay"])
    if kind == "sgd":
        direction = mag_g
        if c["momentum"] != 0:
            old, new = b["momentum_buf"], a["momentum_buf"]
            buf = mag_g if step == 1 else np.maximum(c["momentum"] * np.abs(old),
                                                     (1 - c["dampening"]) * mag_g)
            mag["momentum_buf"] = buf = np.maximum(buf, vmag(old, new))
            direction = (np.maximum.reduce([mag_g, c["momentum"] * buf,
                                            np.abs(g + c["momentum"] * new)])
                         if c["nesterov"] else buf)
        term = c["lr"] * direction
    elif kind == "rmsprop":
        oma = 1 - c["alpha"]
        old_sq, new_sq = b["square_avg"], a["square_avg"]
        mag["square_avg"] = np.maximum.reduce([vmag(old_sq, new_sq), c["alpha"] * np.abs(old_sq),
                                               oma * np.abs(g) * mag_g])
        mean_square, amp = new_sq, 1.0
        if c["centered"]:
            old_avg, new_avg = b["grad_avg"], a["grad_avg"]
            mag["grad_avg"] = np.maximum.reduce([vmag(old_avg, new_avg),
                                                 c["alpha"] * np.abs(old_avg), oma * mag_g,
                                                 oma * np.abs(g - old_avg)])
            squared = new_avg * new_avg
            mean_square = new_sq - squared
            with np.errstate(divide="ignore", invalid="ignore"):
                amp = np.where(mean_square > 0, np.maximum(
                    1.0, np.maximum(0.5 * new_sq, squared) / mean_square), np.inf)
        avg = np.sqrt(np.maximum(mean_square, 0)) + c["eps"]
        direction = np.maximum(mag_g, np.abs(g) * amp) / avg
        if c["momentum"] > 0:
            old, new = b["momentum_buf"], a["momentum_buf"]
            direction = np.maximum.reduce([vmag(old, new), c["momentum"] * np.abs(old),
                                           direction])
            mag["momentum_buf"] = direction
        term = c["lr"] * direction
    elif kind == "adam":
        mag["exp_avg"] = m = first_moment(c["beta1"], g, mag_g, b["exp_avg"], a["exp_avg"])
        mag["exp_avg_sq"] = second_moment(c["beta2"], g, mag_g, b["exp_avg_sq"],
                                          a["exp_avg_sq"])
        v = a["exp_avg_sq"]
        if c["amsgrad"]:
            mag["max_exp_avg_sq"] = vmag(b["max_exp_avg_sq"], a["max_exp_avg_sq"])
            v = a["max_exp_avg_sq"]
        step_size = c["lr"] / (1 - c["beta1"] ** t)
        term = step_size * m / (np.sqrt(v) / math.sqrt(1 - c["beta2"] ** t) + c["eps"])
    elif kind == "adagrad":
        new = a["sum"]
        mag["sum"] = s = np.maximum(vmag(b["sum"], new), np.abs(g) * mag_g)
        clr = c["lr"] / (1 + (t - 1) * c["lr_decay"])
        term = clr * quotient(g, mag_g, np.sqrt(new) + c["eps"], new, s, 0.5)
    elif kind == "adamax":
        mag["exp_avg"] = m = first_moment(c["beta1"], g, mag_g, b["exp_avg"], a["exp_avg"])
        old, new = b["exp_inf"], a["exp_inf"]
        mag["exp_inf"] = s = np.maximum.reduce([vmag(old, new), c["beta2"] * np.abs(old),
                                                mag_g + c["eps"]])
        clr = c["lr"] / (1 - c["beta1"] ** t)
        term = clr * quotient(a["exp_avg"], m, new, new, s, 1.0)
    else:
        mag["exp_avg"] = m = first_moment(c["beta1"], g, mag_g, b["exp_avg"], a["exp_avg"])
        mag["exp_avg_sq"] = s = second_moment(c["beta2"], g, mag_g, b["exp_avg_sq"],
                                              a["exp_avg_sq"])
        new_m, new_v = a["exp_avg"], a["exp_avg_sq"]
        if kind == "nadam":
            mu, mu_next = nadam_mu(c, t), nadam_mu(c, t + 1)
            p_now = mu_product * mu
            c_grad = -c["lr"] * (1 - mu) / (1 - p_now)
            c_avg = -c["lr"] * mu_next / (1 - p_now * mu_next)
            denom = np.sqrt(new_v) / math.sqrt(1 - c["beta2"] ** t) + c["eps"]
            term = np.maximum.reduce([abs(c_grad) * quotient(g, mag_g, denom, new_v, s, 0.5),
                                      abs(c_avg) * quotient(new_m, m, denom, new_v, s, 0.5),
                                      np.abs(p + c_grad * g / denom)])
        else:
            bc1, bc2 = 1 - c["beta1"] ** t, 1 - c["beta2"] ** t
            rho_inf = 2 / (1 - c["beta2"]) - 1
            rho_t = rho_inf - 2 * t * c["beta2"] ** t / bc2
            step_size = c["lr"] / bc1
            if rho_t > 5:
                step_size *= math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                                       ((rho_inf - 4) * (rho_inf - 2) * rho_t)) * math.sqrt(bc2)
                term = step_size * quotient(new_m, m, np.sqrt(new_v) + c["eps"], new_v, s, 0.5)
            else:
                term = step_size * m
    mag["param"] = np.maximum(vmag(p, a["param"]), term)
    return mag


def normal(rng, scale):
    values = (rng.standard_normal(N) * scale).astype(np.float32)
    values[values == 0] = np.float32(scale)  # no zero gradient or parameter
    return values


def compare_step(label, ours, theirs, mag):
    """Every output within TOLERANCE_ULP of its operand magnitude."""
    worst = optimizer_worst.setdefault(label.split("(")[0], Worst())
    for name, m in mag.items():
        error = np.abs(ours[name].astype(np.float64) - theirs[name])
        worst.note(error, TOLERANCE_ULP * ulp_at(m), "%s %s" % (label, name))


def test_optimizers_against_torch(rng):
    index = 0
    for kind, configs in CONFIGS.items():
        step_fn = getattr(lossopt, kind + "_step")
        for c in configs():
            label = "%s(%s)" % (kind, ", ".join("%s=%r" % kv for kv in c.items()))
            param = torch.nn.Parameter(torch.from_numpy(
                normal(rng, PARAM_SCALES[index % len(PARAM_SCALES)])))
            grad_scale = GRAD_SCALES[index % len(GRAD_SCALES)]
            index += 1
            optimizer = torch_optimizer(kind, c, param)
            used = [(ours, theirs) for ours, theirs in STATE[kind] if uses(kind, c, ours)]
            mu_product = 1.0
            for step in range(1, STEPS + 1):
                grad = normal(rng, grad_scale)
                param.grad = torch.from_numpy(grad.copy())  # foreach NAdam writes into it
                state = optimizer.state[param]
                before = {"param": param.detach().numpy().copy(), "grad": grad}
                for ours, theirs in used:
                    buf = state.get(theirs)
                    before[ours] = (buf.numpy().copy() if buf is not None
                                    else np.zeros(N, np.float32))
                optimizer.step()
                after = {"param": param.detach().numpy().astype(np.float64)}
                for ours, theirs in used:
                    after[ours] = optimizer.state[param][theirs].numpy().astype(np.float64)

                mine = {k: v.copy() for k, v in before.items()}
                states = {ours: mine[ours] for ours, _ in used}
                kwargs = dict(c, **states)
                if kind != "rmsprop":
                    kwargs["step"] = step
                if kind == "nadam":
                    kwargs["mu_product"] = mu_product
                result = step_fn(mine["param"], mine["grad"], **kwargs)
                expect(same_bits(mine["grad"], before["grad"]), "%s: grad written" % label)
                b64 = {k: v.astype(np.float64) for k, v in before.items()}
                compare_step("%s step %d" % (label, step), mine, after,
                             magnitudes(kind, c, step, b64, after, mu_product))
                if kind == "nadam":
                    expected = mu_product * nadam_mu(c, step)
                    expect(type(result) is float and result == expected,
                           "%s step %d: mu_product %r, expected %r" % (label, step, result,
                                                                      expected))
                    mu_product = result
                else:
                    expect(result is None, "%s: returned %r" % (label, result))
                count("optimizer steps vs torch")


def test_untorched_options(rng):
    """NAdam's and RAdam's maximize and decoupled_weight_decay (not in torch
    1.13), Adam's too, through exact identities of the header's formulas:
    maximize with grad = no maximize with -grad; decoupled decay = the step
    without decay on param * (float)(1 - lr weight_decay)."""
    for kind in ("adam", "nadam", "radam"):
        step_fn = getattr(lossopt, kind + "_step")
        p, m, v = normal(rng, 1.0), normal(rng, 0.1), np.abs(normal(rng, 0.01))
        grad = normal(rng, 0.3)
        lr, wd = 0.0037, 0.013
        extra = {"mu_product": 0.81} if kind == "nadam" else {}

        def run(param, g, **options):
            buffers = [param.copy(), m.copy(), v.copy()]
            out = step_fn(buffers[0], g, buffers[1], buffers[2], step=3, lr=lr, **extra,
                          **options)
            return buffers + [out]

        a = run(p, grad, maximize=True)
        b = run(p, -grad)
        expect(all(same_bits(x, y) for x, y in zip(a[:3], b[:3])) and a[3] == b[3],
               "%s: maximize is not the step on -grad" % kind)
        a = run(p, grad, weight_decay=wd, decoupled_weight_decay=True)
        b = run(p * np.float32(1 - lr * wd), grad)
        expect(all(same_bits(x, y) for x, y in zip(a[:3], b[:3])) and a[3] == b[3],
               "%s: decoupled weight decay is not param * (1 - lr wd)" % kind)
        c = run(p, grad, weight_decay=wd)
        expect(not same_bits(a[0], c[0]), "%s: decoupled_weight_decay changes nothing" % kind)
        count("identity checks", 3)
    # adamw_step is adam_step with decoupled_weight_decay and AdamW's default decay
    p, g = normal(rng, 1.0), normal(rng, 0.1)
    a = [p.copy(), np.zeros(N, np.float32), np.zeros(N, np.float32)]
    b = [x.copy() for x in a]
    lossopt.adamw_step(a[0], g, a[1], a[2], step=1)
    lossopt.adam_step(b[0], g, b[1], b[2], step=1, decoupled_weight_decay=True,
                      weight_decay=0.01)
    expect(all(same_bits(x, y) for x, y in zip(a, b)), "adamw_step is not adam_step(AdamW)")
    count("identity checks")


# ---- Lion and LAMB: the header's formulas in float64 ---------------------------------

def lerp64(a, b, w):
    return a + w * (b - a)


def test_lion(rng):
    configs = [dict(), dict(weight_decay=0.1, lr=1e-3), dict(maximize=True, beta1=0.5, beta2=0.9),
               dict(beta1=0.0, beta2=0.999, lr=3e-4, weight_decay=0.01)]
    defaults = inspect.signature(lossopt.lion_step).parameters
    ambiguous = 0
    for index, options in enumerate(configs):
        c = {k: defaults[k].default for k in ("lr", "beta1", "beta2", "weight_decay",
                                              "maximize")}
        c.update(options)
        p = normal(rng, PARAM_SCALES[index])
        m = np.zeros(N, np.float32)
        for step in range(1, STEPS + 1):
            # gradients of every size, |c| < 1 among them (DeepSpeed's SIMD Lion fails there)
            grad = normal(rng, GRAD_SCALES[(index + step) % len(GRAD_SCALES)])
            g = -grad.astype(np.float64) if c["maximize"] else grad.astype(np.float64)
            p64, m64 = p.astype(np.float64), m.astype(np.float64)
            direction = lerp64(m64, g, 1 - c["beta1"])
            want_p = p64 * (1 - c["lr"] * c["weight_decay"]) - c["lr"] * np.sign(direction)
            want_m = lerp64(m64, g, 1 - c["beta2"])
            mine_p, mine_m = p.copy(), m.copy()
            lossopt.lion_step(mine_p, grad, mine_m, step=step, **options)
            # a direction within rounding of 0 may take either sign
            close = np.abs(direction) <= 2.0 ** -20 * np.maximum(np.abs(m64), np.abs(g))
            ambiguous += int(close.sum())
            mag_p = np.maximum.reduce([vmag(p64, want_p), np.full(N, c["lr"])])
            mag_m = first_moment(c["beta2"], g, np.abs(g), m64, want_m)
            compare_step("lion(%s) step %d" % (options, step),
                         {"param": np.where(close, want_p, mine_p), "exp_avg": mine_m},
                         {"param": want_p, "exp_avg": want_m}, {"param": mag_p, "exp_avg": mag_m})
            p, m = mine_p, mine_m  # carry on from lossopt's state
            count("lion steps")
    counts["lion directions within rounding of 0 (either sign accepted)"] = ambiguous


def test_lamb(rng):
    configs = [dict(), dict(weight_decay=0.0), dict(weight_decay=0.0, always_adapt=True),
               dict(max_trust_ratio=0.05, lr=0.01), dict(bias_correction=False, maximize=True),
               dict(beta1=0.0, beta2=0.9, eps=1e-3, weight_decay=0.05)]
    defaults = inspect.signature(lossopt.lamb_step).parameters
    for index, options in enumerate(configs):
        c = {k: defaults[k].default for k in ("lr", "beta1", "beta2", "eps", "weight_decay",
                                              "max_trust_ratio", "bias_correction",
                                              "always_adapt", "maximize")}
        c.update(options)
        p = normal(rng, PARAM_SCALES[index % len(PARAM_SCALES)])
        m, v = np.zeros(N, np.float32), np.zeros(N, np.float32)
        for step in range(1, STEPS + 1):
            grad = normal(rng, GRAD_SCALES[(index + step) % len(GRAD_SCALES)])
            g = -grad.astype(np.float64) if c["maximize"] else grad.astype(np.float64)
            p64, m64, v64 = p.astype(np.float64), m.astype(np.float64), v.astype(np.float64)
            new_m = lerp64(m64, g, 1 - c["beta1"])
            new_v = c["beta2"] * v64 + (1 - c["beta2"]) * g * g
            bc1 = 1 - c["beta1"] ** step if c["bias_correction"] else 1.0
            bc2_sqrt = math.sqrt(1 - c["beta2"] ** step) if c["bias_correction"] else 1.0
            denom = np.sqrt(new_v) / bc2_sqrt + c["eps"]
            u = (new_m / bc1) / denom
            if c["weight_decay"] != 0:
                u = u + c["weight_decay"] * p64
            ratio = 1.0
            if c["weight_decay"] != 0 or c["always_adapt"]:
                p2, u2 = (p64 * p64).sum(), (u * u).sum()
                ratio = math.sqrt(p2) / math.sqrt(u2) if p2 > 0 and u2 > 0 else 1.0
                if c["max_trust_ratio"] > 0 and ratio > c["max_trust_ratio"]:
                    ratio = c["max_trust_ratio"]
                    count("lamb steps with the trust ratio clamped")
            want_p = p64 - c["lr"] * ratio * u
            mine = [p.copy(), m.copy(), v.copy()]
            lossopt.lamb_step(mine[0], grad, mine[1], mine[2], step=step, **options)
            mag_m = first_moment(c["beta1"], g, np.abs(g), m64, new_m)
            mag_v = second_moment(c["beta2"], g, np.abs(g), v64, new_v)
            mag_u = np.maximum.reduce([quotient(new_m / bc1, mag_m / bc1, denom, new_v, mag_v, 0.5),
                                       c["weight_decay"] * np.abs(p64), np.abs(u)])
            mag_p = np.maximum(vmag(p64, want_p), c["lr"] * ratio * mag_u)
            compare_step("lamb(%s) step %d" % (options, step),
                         {"param": mine[0], "exp_avg": mine[1], "exp_avg_sq": mine[2]},
                         {"param": want_p, "exp_avg": new_m, "exp_avg_sq": new_v},
                         {"param": mag_p, "exp_avg": mag_m, "exp_avg_sq": mag_v})
            p, m, v = mine
            count("lamb steps")


# =====================================================================================
# Errors
# =====================================================================================

def unchanged(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def expect_error(label, exception, fn, arrays, status=None, mentions=None):
    """fn() raises `exception` (a LossoptError with .name == status), whose
    message mentions `mentions`, and leaves every array of `arrays` as it was."""
    saved = [a.copy() for a in arrays]
    try:
        fn()
    except exception as e:
        if status is not None:
            expect(e.name == status, "%s: %s, expected %s" % (label, e.name, status))
        if mentions is not None:
            expect(mentions in str(e), "%s: the message %r does not name %r"
                   % (label, str(e), mentions))
    except Exception as e:  # noqa: BLE001 - any other exception is the failure reported
        fail("%s: raised %s: %s, expected %s" % (label, type(e).__name__, e,
                                                exception.__name__))
    else:
        fail("%s: no exception, expected %s" % (label, exception.__name__))
    count("error cases")
    expect(all(unchanged(a, b) for a, b in zip(arrays, saved)),
           "%s: an array changed although the call failed" % label)


def read_only(a):
    a = a.copy()
    a.setflags(write=False)
    return a


def test_loss_errors(rng):
    x = rng.standard_normal(40).astype(np.float32)
    t = rng.standard_normal(40).astype(np.float32)
    out = np.full(40, np.nan, np.float32)
    every = [x, t, out]
    cases = [
        ("mse float64 input", TypeError, lambda: lossopt.mse(x.astype(np.float64), t), "input"),
        ("mse list target", TypeError, lambda: lossopt.mse(x, list(t)), "target"),
        ("mse big-endian input", TypeError, lambda: lossopt.mse(x.astype(">f4"), t), "input"),
        ("mse shape mismatch", ValueError, lambda: lossopt.mse(x, t[:-1]), "target"),
        ("mse 2-D vs 1-D", ValueError, lambda: lossopt.mse(x.reshape(8, 5), t), "target"),
        ("mse non-contiguous", ValueError, lambda: lossopt.mse(x[::2], t[::2]), "input"),
        ("mse reduction", ValueError, lambda: lossopt.mse(x, t, "avg"), "reduction"),
        ("mse read-only grad_out", ValueError,
         lambda: lossopt.mse(x, t, grad_out=read_only(out)), "grad_out"),
        ("mse float64 grad_out", TypeError,
         lambda: lossopt.mse(x, t, grad_out=out.astype(np.float64)), "grad_out"),
        ("mse grad_out shape", ValueError, lambda: lossopt.mse(x, t, grad_out=out[:-1]),
         "grad_out"),
        ("mse grad_out is input", ValueError, lambda: lossopt.mse(x, t, grad_out=x), "grad_out"),
        ("mse grad_out overlaps target", ValueError,
         lambda: lossopt.mse(x[:20], t[10:30], grad_out=t[:20]), "grad_out"),
        ("mse grad_out without want_grad", ValueError,
         lambda: lossopt.mse(x, t, want_grad=False, grad_out=out), "grad_out"),
        ("bce weight shape", ValueError,
         lambda: lossopt.bce(np.abs(x) / 10, np.abs(t) / 10, weight=t[:-1]), "weight"),
        ("huber delta type", TypeError, lambda: lossopt.huber(x, t, delta="1"), "delta"),
        ("mse batchmean", ValueError, lambda: lossopt.mse(x, t, "batchmean", grad_out=out),
         "only kl_div"),
        ("soft_margin batchmean", ValueError,
         lambda: lossopt.soft_margin(x, t, "batchmean", grad_out=out), "batchmean"),
        ("poisson_nll full 1", TypeError, lambda: lossopt.poisson_nll(x, t, full=1), "full"),
        ("poisson_nll log_input 'false'", TypeError,
         lambda: lossopt.poisson_nll(x, t, log_input="false"), "log_input"),
        ("kl_div target shape", ValueError, lambda: lossopt.kl_div(x, t[:-1]), "target"),
        ("kl_div log_target None", TypeError, lambda: lossopt.kl_div(x, t, log_target=None),
         "log_target"),
        ("kl_div reduction avg", ValueError, lambda: lossopt.kl_div(x, t, "avg"), "batchmean"),
    ]
    for label, exception, fn, mentions in cases:
        expect_error(label, exception, fn, every, mentions=mentions)
    statuses = [
        ("mse neither output", lambda: lossopt.mse(x, t, want_loss=False, want_grad=False),
         "LOSSOPT_ERR_NULL"),
        ("huber delta 0", lambda: lossopt.huber(x, t, delta=0.0, grad_out=out), "LOSSOPT_ERR_ARG"),
        ("huber delta nan", lambda: lossopt.huber(x, t, delta=math.nan, grad_out=out),
         "LOSSOPT_ERR_ARG"),
        ("smooth_l1 beta -1", lambda: lossopt.smooth_l1(x, t, beta=-1.0, grad_out=out),
         "LOSSOPT_ERR_ARG"),
        ("bce_logits pos_weight nan",
         lambda: lossopt.bce_logits(x, t, pos_weight=math.nan, grad_out=out), "LOSSOPT_ERR_ARG"),
        ("bce probability 1.5", lambda: lossopt.bce(np.abs(x) + 1.5, t * 0, grad_out=out),
         "LOSSOPT_ERR_DOMAIN"),
        ("soft_margin neither output",
         lambda: lossopt.soft_margin(x, t, want_loss=False, want_grad=False), "LOSSOPT_ERR_NULL"),
        ("poisson_nll eps -1", lambda: lossopt.poisson_nll(x, t, eps=-1.0, grad_out=out),
         "LOSSOPT_ERR_ARG"),
        ("poisson_nll eps inf, rates",
         lambda: lossopt.poisson_nll(np.abs(x), t, log_input=False, eps=math.inf, grad_out=out),
         "LOSSOPT_ERR_ARG"),
        ("kl_div neither output",
         lambda: lossopt.kl_div(x, t, "batchmean", want_loss=False, want_grad=False),
         "LOSSOPT_ERR_NULL"),
    ]
    for label, fn, status in statuses:
        expect_error(label, LossoptError, fn, every, status=status)

    rows, classes = 6, 5
    logits = rng.standard_normal((rows, classes)).astype(np.float32)
    labels = np.array([0, 4, 2, -100, 1, 3], np.int64)
    bad_labels = labels.copy()
    bad_labels[4] = classes  # a label >= classes
    probs = np.full((rows, classes), 1.0 / classes, np.float32)
    weight = np.ones(classes, np.float32)
    grid = np.full((rows, classes), np.nan, np.float32)
    every = [logits, labels, bad_labels, probs, weight, grid]
    cases = [
        ("cross_entropy int16 labels", TypeError,
         lambda: lossopt.cross_entropy(logits, labels.astype(np.int16)), "labels"),
        ("cross_entropy float labels", TypeError,
         lambda: lossopt.cross_entropy(logits, labels.astype(np.float32)), "labels"),
        ("cross_entropy 1-D logits", ValueError,
         lambda: lossopt.cross_entropy(logits[0], labels[:1]), "logits"),
        ("cross_entropy Fortran-order logits", ValueError,
         lambda: lossopt.cross_entropy(np.asfortranarray(logits), labels), "logits"),
        ("cross_entropy labels length", ValueError,
         lambda: lossopt.cross_entropy(logits, labels[:-1]), "labels"),
        ("cross_entropy weight shape", ValueError,
         lambda: lossopt.cross_entropy(logits, labels, weight=np.ones(classes + 1, np.float32)),
         "weight"),
        ("cross_entropy_probs target shape", ValueError,
         lambda: lossopt.cross_entropy_probs(logits, probs[:, :-1]), "target_probs"),
        ("multi_margin p 1.5", TypeError, lambda: lossopt.multi_margin(logits, labels, p=1.5), "p"),
        ("multi_margin p 2^40", ValueError,
         lambda: lossopt.multi_margin(logits, labels, p=2 ** 40), "p"),
        ("nll 1-D log_probs", ValueError, lambda: lossopt.nll(logits[0], labels[:1]),
         "log_probs"),
        ("nll float labels", TypeError, lambda: lossopt.nll(logits, labels.astype(np.float32)),
         "labels"),
        ("nll batchmean", ValueError, lambda: lossopt.nll(logits, labels, "batchmean"),
         "batchmean"),
        ("multilabel_soft_margin 1-D input", ValueError,
         lambda: lossopt.multilabel_soft_margin(logits[0], probs[0]), "input"),
        ("multilabel_soft_margin target shape", ValueError,
         lambda: lossopt.multilabel_soft_margin(logits, probs[:, :-1]), "target"),
        ("multilabel_soft_margin float64 target", TypeError,
         lambda: lossopt.multilabel_soft_margin(logits, probs.astype(np.float64)), "target"),
        ("multilabel_soft_margin weight shape", ValueError,
         lambda: lossopt.multilabel_soft_margin(logits, probs, weight=weight[:-1]), "weight"),
        ("multilabel_soft_margin batchmean", ValueError,
         lambda: lossopt.multilabel_soft_margin(logits, probs, "batchmean", grad_out=grid),
         "batchmean"),
    ]
    for label, exception, fn, mentions in cases:
        expect_error(label, exception, fn, every, mentions=mentions)
    statuses = [
        ("cross_entropy label >= classes",
         lambda: lossopt.cross_entropy(logits, bad_labels, "none", weight=weight, grad_out=grid),
         "LOSSOPT_ERR_DOMAIN"),
        ("multi_margin label >= classes",
         lambda: lossopt.multi_margin(logits, bad_labels, grad_out=grid), "LOSSOPT_ERR_DOMAIN"),
        ("nll label >= classes",
         lambda: lossopt.nll(logits, bad_labels, "none", weight=weight, grad_out=grid),
         "LOSSOPT_ERR_DOMAIN"),
        ("cross_entropy label_smoothing 1.5",
         lambda: lossopt.cross_entropy(logits, labels, label_smoothing=1.5, grad_out=grid),
         "LOSSOPT_ERR_ARG"),
        ("cross_entropy_probs label_smoothing nan",
         lambda: lossopt.cross_entropy_probs(logits, probs, label_smoothing=math.nan,
                                             grad_out=grid), "LOSSOPT_ERR_ARG"),
        ("multi_margin p 3", lambda: lossopt.multi_margin(logits, labels, p=3, grad_out=grid),
         "LOSSOPT_ERR_ARG"),
        ("cross_entropy 0 classes",
         lambda: lossopt.cross_entropy(np.zeros((2, 0), np.float32), np.zeros(2, np.int64)),
         "LOSSOPT_ERR_SIZE"),
        ("nll 0 classes",
         lambda: lossopt.nll(np.zeros((2, 0), np.float32), np.zeros(2, np.int64)),
         "LOSSOPT_ERR_SIZE"),
        ("multilabel_soft_margin 0 classes",
         lambda: lossopt.multilabel_soft_margin(np.zeros((2, 0), np.float32),
                                                np.zeros((2, 0), np.float32)),
         "LOSSOPT_ERR_SIZE"),
        ("multilabel_soft_margin neither output",
         lambda: lossopt.multilabel_soft_margin(logits, probs, want_loss=False,
                                                want_grad=False), "LOSSOPT_ERR_NULL"),
    ]
    for label, fn, status in statuses:
        expect_error(label, LossoptError, fn, every, status=status)
    # read-only inputs are fine: lossopt never writes them
    loss, _ = lossopt.cross_entropy(read_only(logits), read_only(labels))
    expect(math.isfinite(loss), "cross_entropy on read-only inputs: %r" % loss)


ALL_STATES = {  # every state buffer of each step function, for calls that must fail on ARG
    "sgd_step": ["momentum_buf"], "rmsprop_step": ["square_avg", "grad_avg", "momentum_buf"],
    "adam_step": ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
    "adamw_step": ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], "adagrad_step": ["sum"],
    "adamax_step": ["exp_avg", "exp_inf"], "nadam_step": ["exp_avg", "exp_avg_sq"],
    "radam_step": ["exp_avg", "exp_avg_sq"], "lion_step": ["exp_avg"],
    "lamb_step": ["exp_avg", "exp_avg_sq"],
}


def test_optimizer_errors(rng):
    n = 33
    p, g = normal(rng, 1.0)[:n].copy(), normal(rng, 0.1)[:n].copy()
    states = [np.abs(normal(rng, 0.01)[:n]).copy() for _ in range(3)]
    every = [p, g] + states
    expect(sorted(ALL_STATES) == sorted(n for n in lossopt.optimizers.__all__
                                        if n.endswith("_step")),
           "ALL_STATES does not list every step function")
    for name, state_names in ALL_STATES.items():
        fn = getattr(lossopt, name)
        kwargs = dict(zip(state_names, states))
        if name != "rmsprop_step":
            kwargs["step"] = 2
        if name == "nadam_step":
            kwargs["mu_product"] = 0.9
        expect_error(name + " lr=nan", LossoptError,
                     lambda: fn(p, g, lr=math.nan, **kwargs), every, status="LOSSOPT_ERR_ARG")
        expect_error(name + " lr=-1", LossoptError,
                     lambda: fn(p, g, lr=-1.0, **kwargs), every, status="LOSSOPT_ERR_ARG")
        expect_error(name + " float64 param", TypeError,
                     lambda: fn(p.astype(np.float64), g, **kwargs), every, mentions="param")
        expect_error(name + " read-only param", ValueError,
                     lambda: fn(read_only(p), g, **kwargs), every, mentions="param")
        expect_error(name + " grad shape", ValueError,
                     lambda: fn(p, g[:-1], **kwargs), every, mentions="grad")
        first = state_names[0]
        bad = dict(kwargs, **{first: read_only(kwargs[first])})
        expect_error(name + " read-only " + first, ValueError, lambda: fn(p, g, **bad), every,
                     mentions=first)
        bad = dict(kwargs, **{first: np.zeros(2 * n, np.float32)[::2]})
        expect_error(name + " non-contiguous " + first, ValueError, lambda: fn(p, g, **bad),
                     every, mentions=first)
        bad = dict(kwargs, **{first: p})
        expect_error(name + " " + first + " is param", ValueError, lambda: fn(p, g, **bad),
                     every, mentions="share memory")
        expect_error(name + " unknown keyword", TypeError,
                     lambda: fn(p, g, learning_rate=0.1, **kwargs), every, mentions=name)
        expect_error(name + " lr a string", TypeError,
                     lambda: fn(p, g, lr="0.1", **kwargs), every, mentions="lr")
        expect_error(name + " maximize 0.5", TypeError,
                     lambda: fn(p, g, maximize=0.5, **kwargs), every, mentions="maximize")
    s1, s2, s3 = states
    adam = lossopt.adam_step
    statuses = [
        ("adam beta1=1", lambda: adam(p, g, s1, s2, step=1, beta1=1.0), "LOSSOPT_ERR_ARG"),
        ("adam step=0", lambda: adam(p, g, s1, s2, step=0), "LOSSOPT_ERR_ARG"),
        ("adam lr=3e38", lambda: adam(p, g, s1, s2, step=1, lr=3e38), "LOSSOPT_ERR_ARG"),
        ("adam amsgrad without max_exp_avg_sq",
         lambda: adam(p, g, s1, s2, step=1, amsgrad=True), "LOSSOPT_ERR_NULL"),
        ("sgd momentum without momentum_buf",
         lambda: lossopt.sgd_step(p, g, step=2, momentum=0.9), "LOSSOPT_ERR_NULL"),
        ("sgd nesterov with momentum 0",
         lambda: lossopt.sgd_step(p, g, s1, step=2, nesterov=True), "LOSSOPT_ERR_ARG"),
        ("nadam mu_product nan",
         lambda: lossopt.nadam_step(p, g, s1, s2, step=2, mu_product=math.nan), "LOSSOPT_ERR_ARG"),
        ("nadam mu_product 1.5",
         lambda: lossopt.nadam_step(p, g, s1, s2, step=2, mu_product=1.5), "LOSSOPT_ERR_ARG"),
        ("lamb beta2=1", lambda: lossopt.lamb_step(p, g, s1, s2, step=1, beta2=1.0),
         "LOSSOPT_ERR_ARG"),
    ]
    for label, fn, status in statuses:
        expect_error(label, LossoptError, fn, every, status=status)
    cases = [
        ("adam exp_avg is exp_avg_sq", ValueError, lambda: adam(p, g, s1, s1, step=1),
         "share memory"),
        ("adam grad is param", ValueError, lambda: adam(p, p, s1, s2, step=1), "share memory"),
        ("adam missing step", TypeError, lambda: adam(p, g, s1, s2), "step"),
        ("adam step 2^64", ValueError, lambda: adam(p, g, s1, s2, step=2 ** 64), "step"),
        ("adam step 1.5", TypeError, lambda: adam(p, g, s1, s2, step=1.5), "step"),
        ("adam 2-D exp_avg", ValueError, lambda: adam(p, g, s1.reshape(3, 11), s2, step=1),
         "exp_avg"),
        ("adamw decoupled_weight_decay keyword", TypeError,
         lambda: lossopt.adamw_step(p, g, s1, s2, step=1, decoupled_weight_decay=False),
         "decoupled_weight_decay"),
    ]
    for label, exception, fn, mentions in cases:
        expect_error(label, exception, fn, every, mentions=mentions)
    # a read-only gradient is fine: lossopt never writes it
    q = p.copy()
    adam(q, read_only(g), s1.copy(), s2.copy(), step=1)
    expect(not same_bits(q, p), "adam_step with a read-only grad changed nothing")


# =====================================================================================

def test_multilabel(rng):
    """multilabel_soft_margin against F.multilabel_soft_margin_loss in float64:
    hard, soft and out-of-range targets, weights on and off, logits past
    |x| = 88; row losses max(4 ulp, 1e-6 relative), the reductions 1e-6, the
    gradient 2 ulp or 2^-20 of the row's largest term max_j max(sigmoid(x_j),
    |t_j|, |sigmoid(x_j) - t_j|) |w_j| / (C D) (header)."""
    rows, classes = 16, 37
    for case in range(4):
        weighted = case % 2 == 1
        x = (rng.standard_normal((rows, classes)) * 4).astype(np.float32)
        x[2, :4] = (100.0, -100.0, 1e4, -1e4)  # past the literal form's overflow
        kind = rng.integers(0, 3, (rows, classes))
        target = np.where(kind == 0, 0.0, np.where(kind == 1, 1.0, rng.random((rows, classes))))
        if case >= 2:
            target[7] = rng.uniform(-0.5, 1.5, classes)  # PyTorch does not check them
        target = target.astype(np.float32)
        weight = rng.uniform(0.5, 2.0, classes).astype(np.float32) if weighted else None
        wt = t64(weight) if weighted else None
        x64, t64_ = x.astype(np.float64), target.astype(np.float64)
        sig = 1.0 / (1.0 + np.exp(-x64))
        w64 = np.ones(classes) if weight is None else weight.astype(np.float64)
        terms = np.maximum(np.maximum(sig, np.abs(t64_)), np.abs(sig - t64_)) * w64 / classes
        for reduction in REDUCTIONS:
            where = "multilabel_soft_margin(%s, weighted=%s, case %d)" % (reduction, weighted,
                                                                          case)
            kwargs = dict(weight=weight)
            loss, grad = lossopt.multilabel_soft_margin(x, target, reduction, **kwargs)
            ref_loss, ref_grad = reference(
                lambda xx, tt, r: F.multilabel_soft_margin_loss(xx, tt, weight=wt, reduction=r),
                [x, target], reduction)
            check_values(where, loss, ref_loss, reduction, row_value_bound)
            divisor = rows if reduction == "mean" else 1.0
            check_grad(where, grad, ref_grad, terms.max(axis=1, keepdims=True) / divisor)
            check_loss_outputs(where, lossopt.multilabel_soft_margin, (x, target), kwargs,
                               reduction, loss, grad, [x, target])
            if reduction == "none":
                expect(loss.shape == (rows,), "%s: loss shape %s" % (where, loss.shape))
            count("loss cases")


def main():
    rng = np.random.default_rng(20261215)
    test_elementwise(rng)
    test_two_gradient_losses(rng)
    test_embedding_losses(rng)
    test_rowwise(rng)
    test_log_prob_losses(rng)
    test_optimizers_against_torch(rng)
    test_untorched_options(rng)
    test_lion(rng)
    test_lamb(rng)
    expect(counts.get("lamb steps with the trust ratio clamped", 0) > 0,
           "no LAMB step clamps its trust ratio: max_trust_ratio is not tested")
    test_loss_errors(rng)
    test_optimizer_errors(rng)
    test_multilabel(np.random.default_rng(20261204))
    print("%s: library %s (%s, active ISA %s), torch %s, numpy %s"
          % (NAME, lossopt.info()["library"], lossopt.__version__, lossopt.active_isa(),
             torch.__version__, np.__version__))
    for label, worst in loss_worst.items():
        print("%s: losses, %-8s worst %.3f of the bound at %s"
              % (NAME, label, worst.ratio, worst.where))
    for label, worst in optimizer_worst.items():
        print("%s: %-7s worst %.3f of %g ulp of the operand magnitude at %s"
              % (NAME, label, worst.ratio, TOLERANCE_ULP, worst.where))
    print("%s: %s" % (NAME, ", ".join("%d %s" % (v, k) for k, v in counts.items())))
    if failures:
        print("%s: FAILED (%d failures)" % (NAME, len(failures)))
        return 1
    print("%s: passed" % NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
