"""lossopt: SIMD loss functions and optimizer updates, bit-identical on every
CPU, from Python.

    import lossopt
    lossopt.info()                      # which liblossopt.so, its version, the ISA
    loss, grad = lossopt.mse(x, t)      # NumPy float32 arrays (lossopt.losses)
    loss, g = lossopt.cross_entropy(h, labels, io=lossopt.LossIO(grad_scale=1024.0))
                                        # float16 / bfloat16 / padded rows (lossopt._io)
    lossopt.adam_step(p, g, m, v, step=1, lr=1e-3)   # in place (lossopt.optimizers)
    import lossopt.torch                # torch.optim drop-ins (lossopt.torch)

The package itself needs only the standard library (ctypes); the array
functions need NumPy, lossopt.torch needs PyTorch. A failing C call raises
LossoptError (its status named) and has changed nothing.
"""
from ._native import LossoptError, LIBRARY_PATH, LIBRARY_FOUND_BY, ISA_NAMES
from ._native import lib as _lib
from ._io import LossIO

__version__ = _lib.lossopt_version_string().decode()


def active_isa():
    """The ISA the next call uses: "scalar", "avx2", "avx512" or "neon"."""
    return ISA_NAMES.get(_lib.lossopt_active_isa(), "invalid")


def supported_isas():
    """Every ISA compiled into the library and runnable on this CPU."""
    mask = _lib.lossopt_supported_isas()
    return [name for isa, name in sorted(ISA_NAMES.items()) if isa >= 0 and mask >> isa & 1]


def set_isa(name):
    """Forces one ISA for every later call (all give the same bits)."""
    codes = {v: k for k, v in ISA_NAMES.items() if k >= 0}
    if name not in codes:
        raise ValueError("unknown ISA %r; one of %s" % (name, sorted(codes)))
    from ._native import check
    check(_lib.lossopt_set_isa(codes[name]), "lossopt_set_isa")


def info():
    """Which library was loaded and how it was found, its version, and the ISAs."""
    return {"library": LIBRARY_PATH, "found_by": LIBRARY_FOUND_BY, "version": __version__,
            "active_isa": active_isa(), "supported_isas": supported_isas()}


from .losses import *      # noqa: E402,F401,F403  (NumPy imported on first use)
from .optimizers import *  # noqa: E402,F401,F403
