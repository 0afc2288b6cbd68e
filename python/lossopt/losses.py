"""lossopt's losses on NumPy float32 arrays: the value and the gradient in one
C call (include/lossopt.h, "Losses"), with the library's bits on every CPU.

Every function has the same form:

    loss, grad = lossopt.mse(input, target, reduction="mean", *,
                             want_loss=True, want_grad=True, grad_out=None)

  - The inputs come first, positionally; then `reduction`, one of "mean"
    (PyTorch's default), "sum", "none" (kl_div also takes "batchmean",
    PyTorch's sum / rows; any other loss raises ValueError for it); every
    other option (delta, weight, label_smoothing, p, margin, log_input,
    ...) is keyword-only, with PyTorch's name and default.
  - loss: a Python float for "mean" and "sum" (the float32 result, exactly);
    for "none" a new float32 array, of the input's shape (elementwise
    losses) or (rows,) (row-wise losses). None when want_loss=False (the C
    call gets a NULL loss pointer).
  - grad: d(loss)/d(input), a float32 array of the input's shape ("none":
    each element's own derivative). Written into grad_out when given (a
    writeable, C-contiguous float32 array of that shape, sharing no memory
    with the inputs; the same object is returned), else a new array. None
    when want_grad=False (a NULL gradient pointer; grad_out must then be
    None). Asking for the loss only, the gradient only or both gives the
    same bits in each output; asking for neither raises LossoptError
    (LOSSOPT_ERR_NULL).
  - Arrays are used in place, never converted or copied: float32 exactly
    (labels int64; or the io forms' dtypes and padded rows, below),
    C-contiguous. Elementwise losses take any shape (input,
    target and weight the same shape; n = input.size); row-wise losses take
    2-D (rows, classes) arrays; kl_div takes any shape, its rows being the
    first dimension (batchmean's divisor, as PyTorch's input.size(0)).
    Wrong types raise TypeError, wrong shapes, non-contiguous or read-only
    outputs ValueError, each naming the argument; a status of the C library
    raises lossopt.LossoptError (.name e.g. "LOSSOPT_ERR_DOMAIN" for a
    label >= classes), and a failed call has written nothing.
  - Scalar options are rounded to float32 as the C functions take them
    (delta, beta, pos_weight, label_smoothing, margin, eps); the formulas of
    include/lossopt.h use those floats. Flags (full, log_input, log_target)
    must be bools.

The losses with two gradients (margin_ranking, gaussian_nll) return
(loss, grad_a, grad_b) instead, the gradients w.r.t. their first two
differentiable inputs (input1 and input2; input and var); grad_out is then
None or a pair of arrays (either None), and want_grad=False asks for
neither. The losses on embedding rows take 2-D (rows, dim) arrays and
return (loss, grad_input1, grad_input2) (cosine_embedding) or
(loss, grad_anchor, grad_positive, grad_negative) (triplet_margin), "none"
giving (rows,) losses; grad_out is then None or a pair / triple of arrays
(each may be None).

Every function also takes io=None or a lossopt.LossIO, and 16-bit inputs:
the C library's io forms (float16 / bfloat16 inputs and gradients, int32
labels, padded rows, grad_scale, accumulate, cross-entropy in place). The
rules are in python/lossopt/_io.py; with float32 arrays and no io, nothing
changes from the above.

NumPy is imported on the first call, so `import lossopt` works without it.
"""
import ctypes
import math

from . import _arrays, _io
from ._native import REDUCTIONS, CeOptions, c_float_p, check, lib

__all__ = ["mse", "l1", "huber", "smooth_l1", "hinge", "squared_hinge", "bce", "bce_logits",
           "soft_margin", "poisson_nll", "cross_entropy", "cross_entropy_probs",
           "multi_margin", "nll", "kl_div", "margin_ranking", "gaussian_nll",
           "multilabel_soft_margin", "cosine_embedding", "triplet_margin"]

_BATCHMEAN = 3  # LOSSOPT_BATCHMEAN: lossopt_kl_div_f32's own reduction (sum / rows)


# ---- shared steps ----------------------------------------------------------------

def _reduction_code(function, reduction, batchmean=False):
    """The lossopt_reduction of a reduction name; "batchmean" only where the
    loss has it (batchmean=True: kl_div), else a ValueError saying so."""
    names = dict(REDUCTIONS, batchmean=_BATCHMEAN) if batchmean else REDUCTIONS
    if not isinstance(reduction, str) or reduction not in names:
        raise ValueError("lossopt.%s: reduction must be one of %s, got %r%s"
                         % (function, ", ".join('"%s"' % r for r in names), reduction,
                            " (only kl_div has \"batchmean\")"
                            if reduction == "batchmean" else ""))
    return names[reduction]


def _flag(function, name, value):
    """A bool option (a C bool): TypeError for anything else, so that a
    string such as "false" is not silently true."""
    if not isinstance(value, bool):
        raise TypeError("lossopt.%s: %s must be a bool, got %r" % (function, name, value))
    return value


def _rows(plan, name, value):
    """A 2-D differentiable (rows, classes) input and its two sizes."""
    value = plan.input(name, value)
    if value.ndim != 2:
        raise ValueError("lossopt.%s: %s must be 2-D (rows, classes), got shape %s"
                         % (plan.function, name, value.shape))
    return value, value.shape[0], value.shape[1]


def _call(plan, c_name, leading, inputs, shape, none_shape, reduction, want_loss, want_grad,
          grad_out, count=1, in_place=None):
    """Allocates the outputs, calls lossopt_<c_name>(*leading, loss, grads...)
    - or its io form, lossopt_<c_name without _f32>(*leading, &io, loss,
    grads...), when the plan needs one - and returns (loss, grad) (count 1)
    or (loss, grad_1, .., grad_count) as the module docstring says. inputs:
    name -> array, already validated, that no gradient may overlap; in_place:
    the name of the input a gradient may be (cross-entropy's logits)."""
    function = plan.function
    np = _arrays.numpy(function)
    loss = loss_pointer = None
    if want_loss:
        if reduction == "none":
            loss = np.empty(none_shape, np.float32)
            loss_pointer = loss.ctypes.data
        else:
            loss = ctypes.c_float()
            loss_pointer = ctypes.addressof(loss)
    names = ["grad_out"] if count == 1 else ["grad_out[%d]" % k for k in range(count)]
    grads = [None] * count
    if grad_out is not None:
        if not want_grad:
            raise ValueError("lossopt.%s: grad_out given with want_grad=False" % function)
        given = [grad_out]
        if count > 1:
            if not isinstance(grad_out, (tuple, list)) or len(grad_out) != count:
                raise TypeError("lossopt.%s: grad_out must be None or %d arrays (each may be "
                                "None), got %r" % (function, count, type(grad_out).__name__))
            given = list(grad_out)
        for k in range(count):
            if given[k] is not None:
                grads[k] = plan.grad_array(names[k], given[k], shape)
        overlapping = dict(inputs)
        if in_place is not None and grads[0] is not None and _same_buffer(grads[0],
                                                                         inputs[in_place]):
            overlapping.pop(in_place)  # the documented in-place form; the C call checks the rest
        _arrays.no_overlap(function, dict(zip(names, grads)), overlapping)
        for j in range(count):  # the gradients must not share memory either
            for k in range(j):
                if grads[j] is not None and grads[k] is not None and \
                        np.shares_memory(grads[j], grads[k]):
                    raise ValueError("lossopt.%s: %s and %s share memory"
                                     % (function, names[k], names[j]))
    elif want_grad:
        grads = [plan.new_grad(shape) for _ in range(count)]
    plan.check_accumulate(any(g is not None for g in grads) and grad_out is not None)
    io = plan.struct()
    pointers = [_arrays.pointer(g) for g in grads]
    if io is None:
        name = "lossopt_" + c_name
        check(getattr(lib, name)(*leading, loss_pointer, *pointers), name)
    else:
        name = "lossopt_" + c_name[:-len("_f32")]
        check(getattr(lib, name)(*leading, ctypes.byref(io), loss_pointer, *pointers), name)
    if isinstance(loss, ctypes.c_float):
        loss = loss.value
    return (loss,) + tuple(grads)


def _same_buffer(a, b):
    """a and b view the same elements (cross-entropy's in-place gradient)."""
    return (a.ctypes.data == b.ctypes.data and a.dtype == b.dtype and a.shape == b.shape
            and a.strides == b.strides)


def _elementwise(function, input, target, reduction, want_loss, want_grad, grad_out, io,
                 scalars=(), weight=None, weighted=False):
    """An elementwise loss: lossopt_<function>_f32(input, target, n, [weight],
    scalars..., reduction, loss, grad), or its io form."""
    _arrays.numpy(function)
    plan = _io.Plan(function, io)
    input = plan.input("input", input)
    target = _arrays.array(function, "target", target, shape=input.shape)
    weight = _arrays.optional_array(function, "weight", weight, shape=input.shape)
    code = _reduction_code(function, reduction)
    leading = [input.ctypes.data, target.ctypes.data, input.size]
    if weighted:
        leading.append(_arrays.pointer(weight))
    leading += list(scalars) + [code]
    return _call(plan, function + "_f32", leading,
                 {"input": input, "target": target, "weight": weight}, input.shape,
                 input.shape, reduction, want_loss, want_grad, grad_out)


def _ce_options(function, reduction, weight, classes, label_smoothing):
    """The lossopt_ce_options of a cross-entropy call (weight validated)."""
    options = CeOptions()
    options.reduction = _reduction_code(function, reduction)
    options.label_smoothing = _arrays.real(function, "label_smoothing", label_smoothing)
    weight = _arrays.optional_array(function, "weight", weight, shape=(classes,))
    if weight is not None:
        options.class_weight = weight.ctypes.data_as(c_float_p)
    return options, weight


# ---- elementwise losses ------------------------------------------------------------

def mse(input, target, reduction="mean", *, want_loss=True, want_grad=True, grad_out=None,
        io=None):
    """Mean squared error (torch.nn.functional.mse_loss): (input - target)^2,
    gradient 2 (input - target) (over n for "mean")."""
    return _elementwise("mse", input, target, reduction, want_loss, want_grad, grad_out, io)


def l1(input, target, reduction="mean", *, want_loss=True, want_grad=True, grad_out=None, io=None):
    """Mean absolute error (F.l1_loss): |input - target|, gradient sign(d), 0 at d == 0."""
    return _elementwise("l1", input, target, reduction, want_loss, want_grad, grad_out, io)


def huber(input, target, reduction="mean", *, delta=1.0, want_loss=True, want_grad=True,
          grad_out=None, io=None):
    """Huber loss (F.huber_loss): 0.5 d^2 where |d| < delta, else
    delta (|d| - delta/2); delta > 0 (+inf allowed)."""
    return _elementwise("huber", input, target, reduction, want_loss, want_grad, grad_out, io,
                        scalars=[_arrays.real("huber", "delta", delta)])


def smooth_l1(input, target, reduction="mean", *, beta=1.0, want_loss=True, want_grad=True,
              grad_out=None, io=None):
    """Smooth L1 (F.smooth_l1_loss): 0.5 d^2 / beta where |d| < beta, else
    |d| - beta/2; beta >= 0 (0 is exactly L1)."""
    return _elementwise("smooth_l1", input, target, reduction, want_loss, want_grad, grad_out, io,
                        scalars=[_arrays.real("smooth_l1", "beta", beta)])


def hinge(input, target, reduction="mean", *, want_loss=True, want_grad=True, grad_out=None,
          io=None):
    """Binary hinge (linear SVM) on scores `input` and labels `target`: a
    label > 0 is the positive class, any other (0, -1) the negative one;
    max(0, 1 - y input)."""
    return _elementwise("hinge", input, target, reduction, want_loss, want_grad, grad_out, io)


def squared_hinge(input, target, reduction="mean", *, want_loss=True, want_grad=True,
                  grad_out=None, io=None):
    """Squared binary hinge: max(0, 1 - y input)^2, labels as for hinge."""
    return _elementwise("squared_hinge", input, target, reduction, want_loss, want_grad,
                        grad_out, io)


def bce(input, target, reduction="mean", *, weight=None, want_loss=True, want_grad=True,
        grad_out=None, io=None):
    """Binary cross-entropy on probabilities (F.binary_cross_entropy), logs
    clamped at -100; input and target in [0, 1] (else LOSSOPT_ERR_DOMAIN).
    weight: None or a float32 array of the input's shape."""
    return _elementwise("bce", input, target, reduction, want_loss, want_grad, grad_out, io,
                        weight=weight, weighted=True)


def bce_logits(input, target, reduction="mean", *, weight=None, pos_weight=1.0, want_loss=True,
               want_grad=True, grad_out=None, io=None):
    """Binary cross-entropy on logits, the stable form
    (F.binary_cross_entropy_with_logits); pos_weight >= 0 is one scalar for
    every element; weight: None or a float32 array of the input's shape.
    +-inf logits give the limits (PyTorch gives NaN)."""
    return _elementwise("bce_logits", input, target, reduction, want_loss, want_grad, grad_out, io,
                        scalars=[_arrays.real("bce_logits", "pos_weight", pos_weight)],
                        weight=weight, weighted=True)


def soft_margin(input, target, reduction="mean", *, want_loss=True, want_grad=True,
                grad_out=None, io=None):
    """Soft margin (F.soft_margin_loss): log(1 + exp(-y x)) in the stable
    softplus form; targets used as given (+-1 the usual case). +-inf inputs
    give the limits (PyTorch gives inf and NaN past |x| ~ 88)."""
    return _elementwise("soft_margin", input, target, reduction, want_loss, want_grad,
                        grad_out, io)


def poisson_nll(input, target, reduction="mean", *, log_input=True, full=False, eps=1e-8,
                want_loss=True, want_grad=True, grad_out=None, io=None):
    """Poisson negative log-likelihood (F.poisson_nll_loss): exp(x) - t x
    with log_input, else x - t log(x + eps); full adds Stirling's term where
    t > 1 (no gradient). eps: finite and >= 0 (rounded to float32), checked
    whatever log_input is, else LossoptError LOSSOPT_ERR_ARG (PyTorch does
    not check it)."""
    function = "poisson_nll"
    return _elementwise(function, input, target, reduction, want_loss, want_grad, grad_out, io,
                        scalars=[_flag(function, "log_input", log_input),
                                 _flag(function, "full", full),
                                 _arrays.real(function, "eps", eps)])


# ---- row-wise losses ---------------------------------------------------------------

def cross_entropy(logits, labels, reduction="mean", *, weight=None, label_smoothing=0.0,
                  want_loss=True, want_grad=True, grad_out=None, io=None):
    """Softmax cross-entropy with class-index labels (F.cross_entropy).
    logits: float32 (rows, classes); labels: int64 (rows,), a negative label
    ignores its row (PyTorch's ignore_index -100 is one), a label >= classes
    raises LossoptError LOSSOPT_ERR_DOMAIN; weight: None or float32
    (classes,); label_smoothing in [0, 1]. "mean" divides by the kept rows'
    weights; loss for "none" has shape (rows,)."""
    function = "cross_entropy"
    _arrays.numpy(function)
    plan = _io.Plan(function, io, rowwise=True)
    logits, rows, classes = _rows(plan, "logits", logits)
    labels = plan.label_array("labels", labels, rows)
    options, weight = _ce_options(function, reduction, weight, classes, label_smoothing)
    return _call(plan, "cross_entropy_f32",
                 [logits.ctypes.data, labels.ctypes.data, rows, classes,
                  ctypes.byref(options)],
                 {"logits": logits, "labels": labels, "weight": weight}, logits.shape,
                 (rows,), reduction, want_loss, want_grad, grad_out, in_place="logits")


def cross_entropy_probs(logits, target_probs, reduction="mean", *, weight=None,
                        label_smoothing=0.0, want_loss=True, want_grad=True, grad_out=None,
                        io=None):
    """Softmax cross-entropy with soft targets (F.cross_entropy with a
    probability target): logits and target_probs float32 (rows, classes),
    each target row a distribution (used as given); weight: None or float32
    (classes,); "mean" divides by rows; 0 log 0 = 0."""
    function = "cross_entropy_probs"
    _arrays.numpy(function)
    plan = _io.Plan(function, io, rowwise=True)
    logits, rows, classes = _rows(plan, "logits", logits)
    target_probs = plan.rows_target("target_probs", target_probs, logits.shape)
    options, weight = _ce_options(function, reduction, weight, classes, label_smoothing)
    return _call(plan, "cross_entropy_probs_f32",
                 [logits.ctypes.data, target_probs.ctypes.data, rows, classes,
                  ctypes.byref(options)],
                 {"logits": logits, "target_probs": target_probs, "weight": weight},
                 logits.shape, (rows,), reduction, want_loss, want_grad, grad_out,
                 in_place="logits")


def multi_margin(scores, labels, reduction="mean", *, p=1, margin=1.0, weight=None,
                 want_loss=True, want_grad=True, grad_out=None, io=None):
    """Multiclass hinge (F.multi_margin_loss, Weston-Watkins): scores float32
    (rows, classes), labels int64 (rows,) (negative: ignored row, >= classes:
    LOSSOPT_ERR_DOMAIN), p 1 or 2, margin any non-NaN float, weight None or
    float32 (classes,), taken at each row's label."""
    function = "multi_margin"
    _arrays.numpy(function)
    plan = _io.Plan(function, io, rowwise=True)
    scores, rows, classes = _rows(plan, "scores", scores)
    labels = plan.label_array("labels", labels, rows)
    weight = _arrays.optional_array(function, "weight", weight, shape=(classes,))
    p = _arrays.integer(function, "p", p, *_arrays.INT_RANGE)
    code = _reduction_code(function, reduction)
    return _call(plan, "multi_margin_f32",
                 [scores.ctypes.data, labels.ctypes.data, rows, classes, p,
                  _arrays.real(function, "margin", margin), _arrays.pointer(weight), code],
                 {"scores": scores, "labels": labels, "weight": weight}, scores.shape,
                 (rows,), reduction, want_loss, want_grad, grad_out)


# ---- losses on log-probabilities ----------------------------------------------------

def nll(log_probs, labels, reduction="mean", *, weight=None, want_loss=True, want_grad=True,
        grad_out=None, io=None):
    """Negative log-likelihood on log-probabilities (F.nll_loss):
    -w_y log_probs[y] per row. log_probs float32 (rows, classes), used as
    given; labels int64 (rows,) as for cross_entropy (negative: ignored row,
    as PyTorch's ignore_index -100; >= classes: LossoptError
    LOSSOPT_ERR_DOMAIN); weight None or float32 (classes,); "mean" divides by
    the kept rows' weights; loss for "none" has shape (rows,)."""
    function = "nll"
    _arrays.numpy(function)
    plan = _io.Plan(function, io, rowwise=True)
    log_probs, rows, classes = _rows(plan, "log_probs", log_probs)
    labels = plan.label_array("labels", labels, rows)
    options, weight = _ce_options(function, reduction, weight, classes, 0.0)
    return _call(plan, "nll_f32",
                 [log_probs.ctypes.data, labels.ctypes.data, rows, classes,
                  ctypes.byref(options)],
                 {"log_probs": log_probs, "labels": labels, "weight": weight},
                 log_probs.shape, (rows,), reduction, want_loss, want_grad, grad_out)


def kl_div(input, target, reduction="mean", *, log_target=False, want_loss=True,
           want_grad=True, grad_out=None, io=None):
    """Kullback-Leibler divergence (F.kl_div): input log-probabilities,
    target probabilities (log-probabilities with log_target), of one shape,
    any shape; t log t - t x per element (0 where t == 0), or exp(t) (t - x).
    reduction also "batchmean": the sum divided by input.shape[0] (the rows;
    PyTorch's "batchmean", the divergence of each row averaged); "mean"
    divides by input.size, as PyTorch's. Targets are used as given."""
    function = "kl_div"
    _arrays.numpy(function)
    plan = _io.Plan(function, io)
    input = plan.input("input", input)
    target = _arrays.array(function, "target", target, shape=input.shape)
    code = _reduction_code(function, reduction, batchmean=True)
    # a 0-d input is one row of one element (PyTorch's batchmean is then the sum)
    rows = input.shape[0] if input.ndim else 1
    cols = math.prod(input.shape[1:])
    return _call(plan, "kl_div_f32",
                 [input.ctypes.data, target.ctypes.data, rows, cols,
                  _flag(function, "log_target", log_target), code],
                 {"input": input, "target": target}, input.shape, input.shape, reduction,
                 want_loss, want_grad, grad_out)


# ---- three inputs, two gradients --------------------------------------------------

def margin_ranking(input1, input2, target, reduction="mean", *, margin=0.0, want_loss=True,
                   want_grad=True, grad_out=None, io=None):
    """Margin ranking (F.margin_ranking_loss): max(0, -y (x1 - x2) + margin),
    input1, input2, target float32 of one shape; returns (loss, grad_input1,
    grad_input2). margin: any non-NaN float (rounded to float32)."""
    function = "margin_ranking"
    _arrays.numpy(function)
    plan = _io.Plan(function, io)
    input1 = plan.input("input1", input1)
    input2 = plan.input("input2", input2, shape=input1.shape)
    target = _arrays.array(function, "target", target, shape=input1.shape)
    code = _reduction_code(function, reduction)
    leading = [input1.ctypes.data, input2.ctypes.data, target.ctypes.data, input1.size,
               _arrays.real(function, "margin", margin), code]
    return _call(plan, "margin_ranking_f32", leading,
                 {"input1": input1, "input2": input2, "target": target}, input1.shape,
                 input1.shape, reduction, want_loss, want_grad, grad_out, count=2)


def gaussian_nll(input, target, var, reduction="mean", *, full=False, eps=1e-6, want_loss=True,
                 want_grad=True, grad_out=None, io=None):
    """Gaussian negative log-likelihood (F.gaussian_nll_loss, PyTorch 1.13):
    0.5 (log max(var, eps) + (input - target)^2 / max(var, eps)) (+ 0.5 log 2pi
    when full); input, target, var float32 of one shape (PyTorch's broadcast
    var of one value per row: expand it first, e.g. np.broadcast_to(...).copy()).
    Returns (loss, grad_input, grad_var); the gradient reaches var at the
    clamped value also where var < eps, as in PyTorch. A negative var raises
    LossoptError LOSSOPT_ERR_DOMAIN (PyTorch: ValueError), a negative or NaN
    eps LOSSOPT_ERR_ARG."""
    function = "gaussian_nll"
    _arrays.numpy(function)
    plan = _io.Plan(function, io)
    input = plan.input("input", input)
    target = _arrays.array(function, "target", target, shape=input.shape)
    var = plan.input("var", var, shape=input.shape)
    code = _reduction_code(function, reduction)
    leading = [input.ctypes.data, target.ctypes.data, var.ctypes.data, input.size,
               _flag(function, "full", full),
               _arrays.real(function, "eps", eps), code]
    return _call(plan, "gaussian_nll_f32", leading,
                 {"input": input, "target": target, "var": var}, input.shape, input.shape,
                 reduction, want_loss, want_grad, grad_out, count=2)


# ---- multi-label ------------------------------------------------------------------

def multilabel_soft_margin(input, target, reduction="mean", *, weight=None, want_loss=True,
                           want_grad=True, grad_out=None, io=None):
    """Multi-label soft margin (F.multilabel_soft_margin_loss): input logits
    and target float32 (rows, classes), each class an independent binary
    label (targets used as given: soft labels in [0, 1] are fine); per row
    the mean over the classes of w_j (softplus(-x) + (1 - t) x), the stable
    form (finite for any finite logit); weight None or float32 (classes,);
    "mean" divides by rows; loss for "none" has shape (rows,)."""
    function = "multilabel_soft_margin"
    _arrays.numpy(function)
    plan = _io.Plan(function, io, rowwise=True)
    input, rows, classes = _rows(plan, "input", input)
    target = plan.rows_target("target", target, input.shape)
    weight = _arrays.optional_array(function, "weight", weight, shape=(classes,))
    code = _reduction_code(function, reduction)
    return _call(plan, "multilabel_soft_margin_f32",
                 [input.ctypes.data, target.ctypes.data, rows, classes,
                  _arrays.pointer(weight), code],
                 {"input": input, "target": target, "weight": weight}, input.shape, (rows,),
                 reduction, want_loss, want_grad, grad_out)


# ---- embedding rows: (rows, dim) pairs and triplets ---------------------------------

def cosine_embedding(input1, input2, target, reduction="mean", *, margin=0.0, want_loss=True,
                     want_grad=True, grad_out=None, io=None):
    """Cosine embedding loss (F.cosine_embedding_loss, PyTorch 1.13): input1,
    input2 float32 (rows, dim), target float32 (rows,): 1 - cos for y = 1,
    max(0, cos - margin) for y = -1, 0 for any other y (as PyTorch); cos with
    PyTorch's 1e-12 added to each squared norm (a zero vector gives cos 0).
    Returns (loss, grad_input1, grad_input2). margin: any non-NaN float
    (rounded to float32). PyTorch's 1-D form (one pair, target a scalar) is
    a (1, dim) batch here."""
    function = "cosine_embedding"
    _arrays.numpy(function)
    plan = _io.Plan(function, io, rowwise=True)
    input1, rows, dim = _rows(plan, "input1", input1)
    input2 = plan.input("input2", input2, shape=input1.shape)
    target = _arrays.array(function, "target", target, shape=(rows,))
    code = _reduction_code(function, reduction)
    leading = [input1.ctypes.data, input2.ctypes.data, target.ctypes.data, rows, dim,
               _arrays.real(function, "margin", margin), code]
    return _call(plan, "cosine_embedding_f32", leading,
                 {"input1": input1, "input2": input2, "target": target}, input1.shape,
                 (rows,), reduction, want_loss, want_grad, grad_out, count=2)


def triplet_margin(anchor, positive, negative, reduction="mean", *, margin=1.0, p=2, eps=1e-6,
                   swap=False, want_loss=True, want_grad=True, grad_out=None, io=None):
    """Triplet margin loss (F.triplet_margin_loss, PyTorch 1.13): anchor,
    positive, negative float32 (rows, dim); max(d(a, p) - d(a, n) + margin, 0)
    with PyTorch's pairwise_distance d(x, y) = ||x - y + eps||_p, p 1 or 2 (an
    integer, or 1.0 / 2.0; anything else ValueError), eps finite and >= 0
    (else LossoptError LOSSOPT_ERR_ARG; PyTorch also takes a negative eps),
    swap: d(a, n) replaced by min(d(a, n), d(p, n)). Returns (loss,
    grad_anchor, grad_positive, grad_negative)."""
    function = "triplet_margin"
    _arrays.numpy(function)
    plan = _io.Plan(function, io, rowwise=True)
    anchor, rows, dim = _rows(plan, "anchor", anchor)
    positive = plan.input("positive", positive, shape=anchor.shape)
    negative = plan.input("negative", negative, shape=anchor.shape)
    code = _reduction_code(function, reduction)
    if isinstance(p, bool) or p not in (1, 2):
        raise ValueError("lossopt.%s: p must be 1 or 2, got %r" % (function, p))
    leading = [anchor.ctypes.data, positive.ctypes.data, negative.ctypes.data, rows, dim,
               _arrays.real(function, "margin", margin), int(p),
               _arrays.real(function, "eps", eps), _flag(function, "swap", swap), code]
    return _call(plan, "triplet_margin_f32", leading,
                 {"anchor": anchor, "positive": positive, "negative": negative},
                 anchor.shape, (rows,), reduction, want_loss, want_grad, grad_out, count=3)
