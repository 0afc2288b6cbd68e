"""The io forms of the losses from Python (include/lossopt.h, "Losses for
engines"): 16-bit inputs and gradients, int32 labels, padded rows, a scaled
or accumulated gradient, cross-entropy's gradient over its logits.

Most of it is read off the arrays, so plain calls need no option at all:
  - input dtype: float32, float16, or bfloat16 (an ml_dtypes / JAX
    `bfloat16` array; or, with LossIO(bf16=True), a uint16/int16 array
    holding the raw bf16 bits, e.g. `t.view(torch.int16).numpy()` of a
    torch.bfloat16 tensor). Every differentiable input of one call has the
    same dtype; targets, weights, y stay float32.
  - labels: int64 or int32.
  - row stride (row-wise and embedding losses): a 2-D operand may have
    padded rows, `buffer[:, :classes]` of a wider buffer; every (rows,
    classes) operand of the call (inputs, the soft targets of
    cross_entropy_probs and multilabel_soft_margin, gradients) must then
    share the one stride, counted in elements. Within a row the elements
    are contiguous.
  - gradient dtype: grad_out's; without grad_out, LossIO.grad_dtype, else the
    input's (as PyTorch); a new gradient of padded operands is padded alike
    (a view of a (rows, stride) buffer).
The rest is LossIO: grad_scale (every gradient element times
float32(grad_scale)), accumulate (grad_out += the new gradient, rounded once
to its dtype; needs grad_out), grad_dtype, bf16. Cross-entropy (labels or
probabilities) also takes grad_out=logits: the gradient overwrites the logits
(not with accumulate or another gradient dtype).

A call that uses none of this runs the _f32 function; one that does runs
the io form, whose result is, bit for bit, the _f32 call on the widened
inputs, then scaled, accumulated and rounded as include/lossopt.h says.
"""
import ctypes

from . import _arrays
from ._native import BF16, F16, F32

LABELS_I64, LABELS_I32 = 0, 1


class LossIoStruct(ctypes.Structure):
    """lossopt_loss_io, field for field."""
    _fields_ = [("input", ctypes.c_int), ("grad", ctypes.c_int), ("accumulate", ctypes.c_bool),
                ("grad_scale", ctypes.c_double), ("row_stride", ctypes.c_size_t),
                ("labels", ctypes.c_int)]


class LossIO:
    """The options of a loss call that cannot be read off its arrays (see the
    module docstring of lossopt._io): grad_dtype None / "float32" /
    "float16" / "bfloat16" (or a NumPy dtype); accumulate (bool); grad_scale
    (a positive finite number; 1 = none); bf16 (bool: uint16/int16 inputs
    hold bf16 bits). Pass it as `io=` to any loss function."""
    __slots__ = ("grad_dtype", "accumulate", "grad_scale", "bf16")

    def __init__(self, *, grad_dtype=None, accumulate=False, grad_scale=1.0, bf16=False):
        self.grad_dtype = grad_dtype
        self.accumulate = accumulate
        self.grad_scale = grad_scale
        self.bf16 = bf16

    def __repr__(self):
        return "LossIO(grad_dtype=%r, accumulate=%r, grad_scale=%r, bf16=%r)" % (
            self.grad_dtype, self.accumulate, self.grad_scale, self.bf16)


_NAMES = {F32: "float32", F16: "float16", BF16: "bfloat16"}


def _is_ml_bfloat16(dtype):
    return dtype.name == "bfloat16" and dtype.itemsize == 2


def _kind_of_dtype(np, dtype):
    """F32, F16 or BF16 (an ml_dtypes bfloat16) for a NumPy dtype, else None."""
    if dtype == np.float32:
        return F32
    if dtype == np.float16:
        return F16
    if _is_ml_bfloat16(dtype):
        return BF16
    return None


class Plan:
    """What one loss call reads and writes: collects the dtypes, the row
    stride and the labels' type while the function validates its arguments,
    then gives the C function's name, its io argument and the gradients."""

    def __init__(self, function, io, rowwise=False):
        self.function = function
        self.rowwise = rowwise
        if io is None:
            io = LossIO()
        if not isinstance(io, LossIO):
            raise TypeError("lossopt.%s: io must be None or a lossopt.LossIO, got %s"
                            % (function, type(io).__name__))
        for name in ("accumulate", "bf16"):
            if not isinstance(getattr(io, name), bool):
                raise TypeError("lossopt.%s: LossIO.%s must be a bool, got %r"
                                % (function, name, getattr(io, name)))
        scale = _arrays.real(function, "LossIO.grad_scale", io.grad_scale)
        if not (scale > 0 and scale < float("inf")):
            raise ValueError("lossopt.%s: LossIO.grad_scale must be positive and finite, got %r"
                             % (function, io.grad_scale))
        self.io = io
        self.grad_scale = scale
        self.grad_kind = None if io.grad_dtype is None else self._kind_of_name(io.grad_dtype)
        self.input_kind = None   # F32 / F16 / BF16, from the first input
        self.input_dtype = None  # the NumPy dtype of the inputs
        self.stride = None       # row stride in elements (row-wise), None = not seen yet
        self.classes = None
        self.labels = LABELS_I64

    # ---- dtypes --------------------------------------------------------------

    def _kind_of_name(self, name):
        np = _arrays.numpy(self.function)
        if isinstance(name, str) and name in ("float32", "float16", "bfloat16"):
            return {"float32": F32, "float16": F16, "bfloat16": BF16}[name]
        try:
            kind = _kind_of_dtype(np, np.dtype(name))
        except TypeError:
            kind = None
        if kind is not None:
            return kind
        raise ValueError('lossopt.%s: LossIO.grad_dtype must be None, "float32", "float16" or '
                         '"bfloat16", got %r' % (self.function, name))

    def _kind_of_array(self, name, value):
        np = _arrays.numpy(self.function)
        if not isinstance(value, np.ndarray):
            raise TypeError("lossopt.%s: %s must be a numpy.ndarray, got %s"
                            % (self.function, name, type(value).__name__))
        dtype = value.dtype
        kind = _kind_of_dtype(np, dtype)
        if kind is not None:
            return kind
        if self.io.bf16 and dtype in (np.dtype(np.uint16), np.dtype(np.int16)):
            return BF16
        raise TypeError("lossopt.%s: %s must be float32, float16 or bfloat16 (an ml_dtypes "
                        "bfloat16 array, or uint16/int16 bits with LossIO(bf16=True)), native "
                        "byte order; got dtype %s" % (self.function, name, dtype))

    # ---- operands --------------------------------------------------------------

    def _layout(self, name, value, shape, writeable=False):
        """Shape, byte order, contiguity; for row-wise calls the row stride."""
        if shape is not None and value.shape != tuple(shape):
            raise ValueError("lossopt.%s: %s has shape %s, expected %s"
                             % (self.function, name, value.shape, tuple(shape)))
        if not value.dtype.isnative:
            raise TypeError("lossopt.%s: %s is not in native byte order" % (self.function, name))
        if writeable and not value.flags.writeable:
            raise ValueError("lossopt.%s: %s is read-only, and lossopt writes to it"
                             % (self.function, name))
        if not self.rowwise or value.ndim != 2:
            if not value.flags.c_contiguous:
                raise ValueError("lossopt.%s: %s must be C-contiguous (np.ascontiguousarray "
                                 "makes a contiguous copy)" % (self.function, name))
            return value
        rows, classes = value.shape
        item = value.itemsize
        if classes > 1 and value.strides[1] != item:
            raise ValueError("lossopt.%s: %s must have contiguous rows (strides %s)"
                             % (self.function, name, value.strides))
        if rows > 1 and classes > 0:
            step = value.strides[0]
            if step % item or step < classes * item:
                raise ValueError("lossopt.%s: %s must have contiguous rows and a row stride of "
                                 "at least the row's length (a [:, :classes] slice of a wider "
                                 "C-contiguous buffer is fine); strides %s"
                                 % (self.function, name, value.strides))
            stride = step // item
        else:
            stride = classes  # one row: the stride never matters
        if self.stride is None:
            self.stride, self.classes = stride, classes
        elif stride != self.stride and rows > 1:
            raise ValueError("lossopt.%s: %s has a row stride of %d elements, the call's other "
                             "(rows, classes) operands %d; lossopt takes one stride per call"
                             % (self.function, name, stride, self.stride))
        return value

    def input(self, name, value, shape=None):
        """A differentiable input: float32, float16 or bfloat16, one dtype for all."""
        kind = self._kind_of_array(name, value)
        if self.input_kind is None:
            self.input_kind, self.input_dtype = kind, value.dtype
        elif kind != self.input_kind:
            raise TypeError("lossopt.%s: %s is %s, the call's first input %s; every input with "
                            "a gradient has one dtype" % (self.function, name,
                                                          _NAMES[kind], _NAMES[self.input_kind]))
        return self._layout(name, value, shape)

    def rows_target(self, name, value, shape):
        """A float32 (rows, classes) operand without a gradient (soft targets):
        it shares the inputs' row stride."""
        np = _arrays.numpy(self.function)
        if not isinstance(value, np.ndarray) or value.dtype != np.float32:
            raise TypeError("lossopt.%s: %s must be a numpy.ndarray of dtype float32, got %s"
                            % (self.function, name, getattr(value, "dtype", type(value).__name__)))
        return self._layout(name, value, shape)

    def label_array(self, name, value, rows):
        """Class-index labels: int64 or int32, C-contiguous, shape (rows,)."""
        np = _arrays.numpy(self.function)
        if isinstance(value, np.ndarray) and value.dtype == np.int32:
            self.labels = LABELS_I32
            return _arrays.array(self.function, name, value, dtype="int32", shape=(rows,))
        return _arrays.array(self.function, name, value, dtype="int64", shape=(rows,))

    # ---- gradients -------------------------------------------------------------

    def _grad_dtype(self):
        np = _arrays.numpy(self.function)
        kind = self.grad_kind if self.grad_kind is not None else self.input_kind
        if kind == self.input_kind:
            return self.input_dtype
        if kind == F32:
            return np.dtype(np.float32)
        if kind == F16:
            return np.dtype(np.float16)
        return np.dtype(np.uint16)  # bf16 bits; the inputs are not bf16 here

    def new_grad(self, shape):
        """A new gradient array: the gradient dtype, padded as the inputs."""
        np = _arrays.numpy(self.function)
        dtype = self._grad_dtype()
        if self.rowwise and len(shape) == 2 and self.stride not in (None, shape[1]):
            return np.empty((shape[0], self.stride), dtype)[:, :shape[1]]
        return np.empty(shape, dtype)

    def grad_array(self, name, value, shape):
        """A caller's gradient buffer: any of the three dtypes (it fixes the
        gradient dtype; all of a call's gradients share it), writeable."""
        kind = self._kind_of_array(name, value)
        if self.grad_kind is not None and kind != self.grad_kind:
            raise TypeError("lossopt.%s: %s is %s, but the gradient dtype is %s"
                            % (self.function, name, _NAMES[kind], _NAMES[self.grad_kind]))
        self.grad_kind = kind
        return self._layout(name, value, shape, writeable=True)

    def check_accumulate(self, have_grad_out):
        if self.io.accumulate and not have_grad_out:
            raise ValueError("lossopt.%s: LossIO(accumulate=True) adds to grad_out: pass it"
                             % self.function)

    # ---- the call --------------------------------------------------------------

    def struct(self):
        """None when every option is the _f32 default (then the _f32
        function runs), else the lossopt_loss_io of the call."""
        grad = self.grad_kind if self.grad_kind is not None else self.input_kind
        stride = 0 if self.stride in (None, self.classes) else self.stride
        if (self.input_kind in (None, F32) and grad in (None, F32) and not self.io.accumulate
                and self.grad_scale == 1.0 and stride == 0 and self.labels == LABELS_I64):
            return None
        io = LossIoStruct()
        io.input = self.input_kind or F32
        io.grad = grad or F32
        io.accumulate = self.io.accumulate
        io.grad_scale = self.grad_scale
        io.row_stride = stride
        io.labels = self.labels
        return io
