"""Validation shared by lossopt.losses and lossopt.optimizers: every array is
checked here before any C call, so a mistake raises a Python exception that
names the argument, and the C library only ever sees buffers it can use.

The rules (the C functions read and write raw memory, so nothing is converted
or copied behind the caller's back):
  - not a numpy.ndarray, or not exactly the dtype asked for (float32, or int64
    for labels; native byte order)                              -> TypeError
  - the wrong shape, not C-contiguous, read-only where lossopt writes, or an
    output sharing memory with another buffer of the call        -> ValueError
NumPy is imported on first use, not when lossopt is imported, so the rest of
the package works without it.
"""
import operator

_numpy = None


def numpy(function):
    """The numpy module, imported on the first call; an ImportError naming
    NumPy and `function` (the lossopt function that needed it) if it is not
    installed."""
    global _numpy
    if _numpy is None:
        try:
            import numpy as np
        except ImportError as e:
            raise ImportError("lossopt.%s needs NumPy, which could not be imported (%s); "
                              "install it (apt-get install python3-numpy or pip install "
                              "numpy). The rest of lossopt works without it."
                              % (function, e)) from e
        _numpy = np
    return _numpy


def _describe(value):
    np = _numpy
    if isinstance(value, np.ndarray):
        return "a numpy.ndarray of dtype %s" % value.dtype
    return "%s.%s" % (type(value).__module__, type(value).__qualname__)


def array(function, name, value, dtype="float32", shape=None, writeable=False):
    """Checks one argument and returns it. dtype: "float32" or "int64";
    shape: a tuple the array must have, or None for any."""
    np = _numpy
    if not isinstance(value, np.ndarray) or value.dtype != np.dtype(dtype):
        raise TypeError("lossopt.%s: %s must be a numpy.ndarray of dtype %s (native byte "
                        "order), got %s" % (function, name, dtype, _describe(value)))
    if shape is not None and value.shape != tuple(shape):
        raise ValueError("lossopt.%s: %s has shape %s, expected %s"
                         % (function, name, value.shape, tuple(shape)))
    if not value.flags.c_contiguous:
        raise ValueError("lossopt.%s: %s must be C-contiguous (np.ascontiguousarray makes a "
                         "contiguous copy)" % (function, name))
    if writeable and not value.flags.writeable:
        raise ValueError("lossopt.%s: %s is read-only, and lossopt writes to it"
                         % (function, name))
    return value


def optional_array(function, name, value, dtype="float32", shape=None, writeable=False):
    """As array(), but None passes (a NULL pointer)."""
    if value is None:
        return None
    return array(function, name, value, dtype, shape, writeable)


def no_overlap(function, written, others):
    """ValueError if an array of `written` (name -> array, the outputs of the
    call) shares memory with any other array of the call (`written` and
    `others`; None entries are skipped). The C library leaves overlapping
    buffers undefined. np.may_share_memory compares address ranges only, so
    this costs nothing."""
    np = _numpy
    items = [(n, a, n in written) for n, a in list(written.items()) + list(others.items())
             if a is not None and a.size > 0]
    for i, (name, first, first_written) in enumerate(items):
        for other_name, other, other_written in items[i + 1:]:
            if (first_written or other_written) and np.may_share_memory(first, other):
                raise ValueError("lossopt.%s: %s and %s share memory; lossopt needs separate "
                                 "buffers" % (function, name, other_name))


def pointer(value):
    """The address of an array's data for a c_void_p argument (None -> NULL)."""
    return None if value is None else value.ctypes.data


def integer(function, name, value, low, high):
    """A Python int from an integer-like value (TypeError otherwise), in
    [low, high] (ValueError otherwise): what fits the C parameter without
    ctypes silently wrapping it."""
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError("lossopt.%s: %s must be an integer, got %s"
                        % (function, name, type(value).__name__)) from None
    if not low <= value <= high:
        raise ValueError("lossopt.%s: %s = %d does not fit the C argument (%d .. %d)"
                         % (function, name, value, low, high))
    return value


def real(function, name, value):
    """A real scalar as a Python float (ctypes then gives C its double, or
    rounds it to the float the C parameter is). Numbers only: a string such
    as "0.1" is a TypeError, not parsed."""
    if not hasattr(value, "__float__") or isinstance(value, (str, bytes)):
        raise TypeError("lossopt.%s: %s must be a real number, got %r"
                        % (function, name, value))
    return float(value)


INT_RANGE = (-2 ** 31, 2 ** 31 - 1)
INT64_RANGE = (-2 ** 63, 2 ** 63 - 1)
