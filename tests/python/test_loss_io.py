#!/usr/bin/python3
"""tests/python/test_loss_io.py - the io forms of the losses from Python
(python/lossopt/_io.py): float16 and bfloat16 inputs and gradients, int32
labels, padded rows, grad_scale, accumulate, cross-entropy in place.

The expected bits are computed here, independently of the binding's io
path: the 16-bit inputs are widened by NumPy (float16) or by a shift of the
raw bits (bfloat16), the loss runs through the plain float32 call on those
widened arrays, and each gradient element is then
    new    = f32 gradient * float32(grad_scale)       (no multiply for 1)
    stored = accumulate ? widen(old) + new : new      (float32)
rounded once to the gradient's dtype, to nearest even (NumPy's float16 cast;
the bfloat16 rounding below) - what include/lossopt.h promises. The loss
value must be the float32 call's, bit for bit. Every one of the 20 losses
runs a covering set of input dtype x gradient dtype, the options rotating
(reduction, scale, accumulate, padding, int32 labels, a caller's grad_out);
the padding of every padded buffer and every input must be left unchanged.
Then cross-entropy in place, and the errors (each must change nothing).
The data are seeded per loss and case, the same on every host.
"""
import sys

NAME = "test_loss_io"
try:
    import numpy as np
except ImportError as e:
    print("%s: SKIPPED: %s" % (NAME, e))
    sys.exit(77)

import lossopt
from lossopt import LossIO, LossoptError

failures = []
checks = 0


def expect(condition, message):
    global checks
    checks += 1
    if not condition:
        if len(failures) < 40:
            print("%s: FAIL: %s" % (NAME, message))
        failures.append(message)
    return condition


# ---- 16-bit formats, written here on their own -------------------------------------

def bf16_to_f32(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(values):
    """Round to nearest even; the test data are finite, NaN is not needed."""
    u = np.ascontiguousarray(values, np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


DTYPES = ("float32", "float16", "bfloat16")


def narrow(values, dtype):
    """float32 values -> an array of `dtype` (bfloat16 as uint16 bits)."""
    if dtype == "float32":
        return np.ascontiguousarray(values, np.float32)
    if dtype == "float16":
        with np.errstate(over="ignore"):  # a scaled gradient may overflow to inf, as in C
            return values.astype(np.float16)
    return f32_to_bf16(values)


def widen(array, dtype):
    if dtype == "bfloat16":
        return bf16_to_f32(array)
    return array.astype(np.float32)


def raw(array):
    """The bytes of an array (or a view), to compare bit for bit."""
    return np.ascontiguousarray(array).view(np.uint8).tobytes()


def padded(values, stride, fill):
    """values (rows, classes) inside a (rows, stride) buffer filled with fill."""
    rows, classes = values.shape
    buffer = np.full((rows, stride), fill, values.dtype)
    buffer[:, :classes] = values
    return buffer[:, :classes]


def padding_of(view):
    """The padding columns of a [:, :classes] view (a copy)."""
    base = view.base
    return None if base is None or base.shape == view.shape else base[:, view.shape[1]:].copy()


# ---- the losses ---------------------------------------------------------------------

def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def make(name, rng):
    """(function, positional arrays, indices of the differentiable ones,
    indices of the float32 (rows, classes) targets, keyword options, row-wise)."""
    n, rows, classes = 53, 6, 13
    f = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    u = lambda *s: rng.uniform(0.02, 0.98, s).astype(np.float32)  # noqa: E731
    sign = lambda *s: np.where(rng.random(s) < 0.5, -1.0, 1.0).astype(np.float32)  # noqa: E731
    labels = rng.integers(0, classes, rows).astype(np.int64)
    labels[2] = -1  # an ignored row
    fn = getattr(lossopt, name)
    table = {
        "mse": ([f(n), f(n)], [0], [], {}),
        "l1": ([f(n), f(n)], [0], [], {}),
        "huber": ([f(n), f(n)], [0], [], {"delta": 0.75}),
        "smooth_l1": ([f(n), f(n)], [0], [], {"beta": 0.5}),
        "hinge": ([f(n), sign(n)], [0], [], {}),
        "squared_hinge": ([f(n), sign(n)], [0], [], {}),
        "bce": ([u(n), u(n)], [0], [], {"weight": u(n)}),
        "bce_logits": ([f(n), u(n)], [0], [], {"pos_weight": 1.5}),
        "soft_margin": ([f(n), sign(n)], [0], [], {}),
        "poisson_nll": ([f(n), np.abs(f(n)) * 3], [0], [], {}),
        "kl_div": ([np.log(softmax(f(rows, classes))), softmax(f(rows, classes))], [0], [], {}),
        "margin_ranking": ([f(n), f(n), sign(n)], [0, 1], [], {"margin": 0.25}),
        "gaussian_nll": ([f(n), f(n), u(n) + 0.1], [0, 2], [], {}),
        "cross_entropy": ([f(rows, classes), labels], [0], [], {"label_smoothing": 0.125}),
        "cross_entropy_probs": ([f(rows, classes), softmax(f(rows, classes))], [0], [1], {}),
        "multi_margin": ([f(rows, classes), labels], [0], [], {"p": 2, "margin": 0.5}),
        "nll": ([np.log(softmax(f(rows, classes))), labels], [0], [], {}),
        "multilabel_soft_margin": ([f(rows, classes), u(rows, classes)], [0], [1], {}),
        "cosine_embedding": ([f(rows, classes), f(rows, classes), sign(rows)], [0, 1], [],
                             {"margin": 0.1}),
        "triplet_margin": ([f(rows, classes), f(rows, classes), f(rows, classes)], [0, 1, 2], [],
                           {}),
    }
    arrays, diff, targets, options = table[name]
    rowwise = name in ("cross_entropy", "cross_entropy_probs", "multi_margin", "nll",
                       "multilabel_soft_margin", "cosine_embedding", "triplet_margin")
    return fn, arrays, diff, targets, options, rowwise


LOSSES = ("mse", "l1", "huber", "smooth_l1", "hinge", "squared_hinge", "bce", "bce_logits",
          "soft_margin", "poisson_nll", "kl_div", "margin_ranking", "gaussian_nll",
          "cross_entropy", "cross_entropy_probs", "multi_margin", "nll",
          "multilabel_soft_margin", "cosine_embedding", "triplet_margin")
REDUCTIONS = ("mean", "none", "sum")
SCALES = (1.0, 0.5, 1024.0, 3.0)
SENTINEL = {"float32": np.float32(-7.25), "float16": np.float16(-7.25),
            "bfloat16": np.uint16(0xC0E8)}  # -7.25 in each format


def split(result):
    """(loss, [grads]) of a loss function's result."""
    return result[0], list(result[1:])


def run_case(index, name, in_dtype, grad_dtype, case):
    rng = np.random.default_rng([index, case])
    fn, arrays, diff, targets, options, rowwise = make(name, rng)
    # case = 4 * input dtype + gradient dtype; each option rotates through
    # its values across both dtypes, so no option sticks to one dtype pair
    d, g = divmod(case, 4)
    reduction = REDUCTIONS[case % 3]
    if name == "kl_div" and case % 4 == 3:
        reduction = "batchmean"
    scale = SCALES[(d + g) % 4]
    accumulate = (d + g) % 2 == 1
    pad = rowwise and (d + 2 * g) % 3 != 1
    int32_labels = (case + d) % 2 == 0
    give_grad_out = accumulate or (d + g) % 3 == 0
    where = "%s in %s grad %s case %d (%s, scale %g%s%s%s)" % (
        name, in_dtype, grad_dtype, case, reduction, scale, ", accumulate" if accumulate else "",
        ", padded" if pad else "", ", int32 labels" if int32_labels else "")
    stride = arrays[0].shape[-1] + 3 if pad else None
    grad_kind = grad_dtype or in_dtype

    # the call's arrays, and the reference's widened float32 ones
    call_args, ref_args = [], []
    for k, a in enumerate(arrays):
        if k in diff:
            small = narrow(a, in_dtype)
            ref_args.append(widen(small, in_dtype))
            call_args.append(padded(small, stride, SENTINEL[in_dtype]) if pad else small)
        elif a.dtype == np.int64 and int32_labels:
            call_args.append(a.astype(np.int32))
            ref_args.append(a)
        else:
            call_args.append(padded(a, stride, np.float32(-7.25))
                             if pad and k in targets else a)
            ref_args.append(a)
    before = [(raw(a), padding_of(a)) for a in call_args]

    ref_loss, ref_grads = split(fn(*ref_args, reduction=reduction, **options))
    count = len(ref_grads)
    grad_out = old = None
    if give_grad_out:
        old = [narrow(rng.standard_normal(g.shape).astype(np.float32), grad_kind)
               for g in ref_grads]
        grad_out = [padded(o, stride, SENTINEL[grad_kind]) if pad else o.copy() for o in old]
    io = LossIO(grad_dtype=grad_dtype, accumulate=accumulate, grad_scale=scale,
                bf16=in_dtype == "bfloat16" or grad_kind == "bfloat16")
    got = fn(*call_args, reduction=reduction, io=io,
             grad_out=None if grad_out is None else (grad_out[0] if count == 1 else grad_out),
             **options)
    loss, grads = split(got)

    if reduction == "none":
        expect(raw(loss) == raw(ref_loss), where + ": the per-row/element losses differ")
    else:
        expect(np.float32(loss).view(np.uint32) == np.float32(ref_loss).view(np.uint32),
               where + ": loss %r, the float32 call on the widened inputs %r" % (loss, ref_loss))
    for k in range(count):
        new = ref_grads[k] if scale == 1.0 else ref_grads[k] * np.float32(scale)
        if accumulate:
            new = widen(old[k], grad_kind) + new
        want = narrow(new, grad_kind)
        g = grads[k]
        expect(g.dtype == want.dtype, where + ": grad %d has dtype %s, want %s"
               % (k, g.dtype, want.dtype))
        expect(raw(g) == raw(want), where + ": grad %d differs from the widened float32 call's"
               % k)
        if grad_out is not None:
            expect(g is grad_out[k], where + ": grad %d is not grad_out" % k)
        if pad:
            expect(g.strides[0] == stride * g.itemsize, where + ": grad %d is not padded like "
                   "the inputs (strides %s)" % (k, g.strides))
            if grad_out is not None:
                expect(np.all(padding_of(g).view(np.uint8) ==
                              np.full((g.shape[0], 3), SENTINEL[grad_kind]).view(np.uint8)),
                       where + ": grad %d's padding was written" % k)
    for (bytes_before, padding_before), a in zip(before, call_args):
        expect(raw(a) == bytes_before, where + ": an input was written")
        if padding_before is not None:
            expect(raw(padding_of(a)) == raw(padding_before), where + ": input padding written")


def in_place():
    """cross_entropy and cross_entropy_probs with grad_out=logits."""
    for case, (name, dtype) in enumerate((n, d) for n in ("cross_entropy", "cross_entropy_probs")
                                         for d in DTYPES):
        rng = np.random.default_rng([99, case])
        fn, arrays, diff, targets, options, _ = make(name, rng)
        pad = case % 2 == 0
        small = narrow(arrays[0], dtype)
        logits = padded(small, 16, SENTINEL[dtype]) if pad else small.copy()
        target = padded(arrays[1], 16, np.float32(0)) if pad and 1 in targets else arrays[1]
        where = "%s in place, %s%s" % (name, dtype, ", padded" if pad else "")
        ref_loss, ref_grad = fn(widen(small, dtype), arrays[1], **options)
        loss, grad = fn(logits, target, grad_out=logits, io=LossIO(bf16=dtype == "bfloat16"),
                        **options)
        expect(grad is logits, where + ": the gradient is not the logits array")
        expect(np.float32(loss) == np.float32(ref_loss), where + ": loss differs")
        expect(raw(logits) == raw(narrow(ref_grad, dtype)), where + ": gradient differs")
        if pad:
            expect(np.all(padding_of(logits).view(np.uint8) ==
                          np.full((logits.shape[0], 16 - logits.shape[1]),
                                  SENTINEL[dtype]).view(np.uint8)),
                   where + ": padding written")


def errors():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(20).astype(np.float32)
    t = rng.standard_normal(20).astype(np.float32)
    h = x.astype(np.float16)
    logits = rng.standard_normal((4, 9)).astype(np.float32)
    labels = np.array([1, 2, 3, 4], np.int64)
    wide = padded(logits, 12, np.float32(0))
    wider = padded(logits, 14, np.float32(0))
    grad16 = np.zeros(20, np.float16)
    cases = [
        ("mixed input dtypes", TypeError,
         lambda: lossopt.margin_ranking(h, x, np.sign(t), reduction="sum")),
        ("uint16 without bf16", TypeError, lambda: lossopt.mse(h.view(np.uint16), t)),
        ("float64 input", TypeError, lambda: lossopt.mse(x.astype(np.float64), t)),
        ("int16 labels", TypeError, lambda: lossopt.cross_entropy(logits, labels.astype(np.int16))),
        ("accumulate without grad_out", ValueError,
         lambda: lossopt.mse(x, t, io=LossIO(accumulate=True))),
        ("grad_scale 0", ValueError, lambda: lossopt.mse(x, t, io=LossIO(grad_scale=0.0))),
        ("grad_scale -1", ValueError, lambda: lossopt.mse(x, t, io=LossIO(grad_scale=-1.0))),
        ("grad_scale nan", ValueError,
         lambda: lossopt.mse(x, t, io=LossIO(grad_scale=float("nan")))),
        ("grad_scale inf", ValueError,
         lambda: lossopt.mse(x, t, io=LossIO(grad_scale=float("inf")))),
        ("grad_dtype float64", ValueError, lambda: lossopt.mse(x, t, io=LossIO(grad_dtype="f8"))),
        ("grad_out against grad_dtype", TypeError,
         lambda: lossopt.mse(x, t, grad_out=grad16, io=LossIO(grad_dtype="float32"))),
        ("io not a LossIO", TypeError, lambda: lossopt.mse(x, t, io={"grad_scale": 2.0})),
        ("accumulate a string", TypeError,
         lambda: lossopt.mse(x, t, io=LossIO(accumulate="yes"))),
        ("strided elementwise input", ValueError, lambda: lossopt.mse(x[::2], t[::2])),
        ("row strides differ", ValueError,
         lambda: lossopt.cross_entropy_probs(wide, padded(softmax(logits), 14, np.float32(0)))),
        ("grad_out's stride differs", ValueError,
         lambda: lossopt.cross_entropy(wide, labels, grad_out=wider)),
        ("non-contiguous rows", ValueError,
         lambda: lossopt.cross_entropy(np.zeros((4, 18), np.float32)[:, ::2], labels)),
        ("in place with accumulate", LossoptError,
         lambda: lossopt.cross_entropy(logits, labels, grad_out=logits,
                                       io=LossIO(accumulate=True))),
        ("in place for nll", ValueError,
         lambda: lossopt.nll(logits, labels, grad_out=logits)),
        ("grad_out overlapping the input", ValueError,
         lambda: lossopt.mse(x, t, grad_out=x)),
        ("a label >= classes, int32", LossoptError,
         lambda: lossopt.cross_entropy(logits, np.array([1, 2, 9, 0], np.int32))),
    ]
    for name, error, call in cases:
        arrays = [x, t, h, logits, labels, wide, wider, grad16]
        before = [raw(a) for a in arrays]
        try:
            call()
            expect(False, "%s: no exception, expected %s" % (name, error.__name__))
        except error:
            expect(True, name)
        except Exception as e:  # noqa: BLE001 - the wrong exception is the failure
            expect(False, "%s: %s (%s), expected %s" % (name, type(e).__name__, e,
                                                         error.__name__))
        expect(all(raw(a) == b for a, b in zip(arrays, before)), name + ": an array changed")


def main():
    print("%s: library %s (%s, active ISA %s), numpy %s"
          % (NAME, lossopt.LIBRARY_PATH, lossopt.__version__, lossopt.active_isa(),
             np.__version__))
    cases = 0
    for index, name in enumerate(LOSSES):
        for d, in_dtype in enumerate(DTYPES):
            for g, grad_dtype in enumerate((None,) + DTYPES):
                run_case(index, name, in_dtype, grad_dtype, 4 * d + g)
                cases += 1
    in_place()
    errors()
    print("%s: %d checks, %d loss calls (20 losses x 3 input dtypes x 4 gradient dtypes), "
          "6 in-place calls, the error cases" % (NAME, checks, cases))
    if failures:
        print("%s: FAILED (%d failures)" % (NAME, len(failures)))
        return 1
    print("%s: passed" % NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
