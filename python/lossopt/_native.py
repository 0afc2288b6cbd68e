"""The ctypes layer: finds liblossopt.so, declares every C struct and function
of include/lossopt.h that the binding uses, and turns a status into an
exception. Standard library only; everything above it (NumPy, PyTorch) lives in
other modules.

Which library is loaded, in this order (the first that exists wins):
  1. $LOSSOPT_LIBRARY, a path to liblossopt.so (an error if it does not load);
  2. the library this package was installed or staged with: `_location.py`,
     written by CMake next to this file (the build tree's copy in
     <build>/python/lossopt names <build>/liblossopt.so; an install names
     <prefix>/<libdir>/liblossopt.so.N);
  3. a source checkout: <repo>/build/native/liblossopt.so (scripts/test.sh's
     build directory), when this file sits in <repo>/python/lossopt;
  4. the system loader's liblossopt.so.0 (ldconfig's cache, LD_LIBRARY_PATH).
lossopt.info() says which file it was and why.
"""
import ctypes
import ctypes.util
import os

# ---- finding the library ------------------------------------------------------

_HERE = os.path.dirname(os.path.abspath(__file__))
SONAME = "liblossopt.so.0"


def _candidates():
    env = os.environ.get("LOSSOPT_LIBRARY")
    if env:
        yield env, "LOSSOPT_LIBRARY"
        return  # an explicit choice is never silently replaced by another file
    try:
        from . import _location  # written by CMake (build tree or install)
        yield _location.LIBRARY, _location.KIND
    except ImportError:
        pass
    repo_build = os.path.join(os.path.dirname(os.path.dirname(_HERE)), "build", "native",
                              "liblossopt.so")
    yield repo_build, "source checkout's build/native"
    yield SONAME, "system loader"


def _load():
    tried = []
    for path, how in _candidates():
        if how != "system loader" and how != "LOSSOPT_LIBRARY" and not os.path.exists(path):
            tried.append("%s (%s): no such file" % (path, how))
            continue
        try:
            return ctypes.CDLL(path), path, how
        except OSError as e:
            tried.append("%s (%s): %s" % (path, how, e))
    raise ImportError("lossopt: cannot load liblossopt.so; tried:\n  " + "\n  ".join(tried) +
                      "\nBuild it (cmake -S . -B build/native && cmake --build build/native), "
                      "install it, or set LOSSOPT_LIBRARY to its path.")


lib, LIBRARY_PATH, LIBRARY_FOUND_BY = _load()

# ---- enums -------------------------------------------------------------------

OK, ERR_NULL, ERR_SIZE, ERR_ARG, ERR_DOMAIN, ERR_ISA, ERR_RESOURCE = range(7)
STATUS_NAMES = {0: "LOSSOPT_OK", 1: "LOSSOPT_ERR_NULL", 2: "LOSSOPT_ERR_SIZE",
                3: "LOSSOPT_ERR_ARG", 4: "LOSSOPT_ERR_DOMAIN", 5: "LOSSOPT_ERR_ISA",
                6: "LOSSOPT_ERR_RESOURCE"}
ISA_NAMES = {-1: "invalid", 0: "scalar", 1: "avx2", 2: "avx512", 3: "neon"}
REDUCTIONS = {"mean": 0, "sum": 1, "none": 2}
F32, BF16, F16 = 0, 1, 2
ROUND_NEAREST, ROUND_STOCHASTIC = 0, 1

# ---- structs (field for field as include/lossopt.h) -------------------------

c_float_p = ctypes.POINTER(ctypes.c_float)
c_int64_p = ctypes.POINTER(ctypes.c_int64)
c_double_p = ctypes.POINTER(ctypes.c_double)
c_bool_p = ctypes.POINTER(ctypes.c_bool)


class CeOptions(ctypes.Structure):
    _fields_ = [("reduction", ctypes.c_int), ("class_weight", c_float_p),
                ("label_smoothing", ctypes.c_float)]


def _config(name, doubles, bools):
    fields = [(f, ctypes.c_double) for f in doubles] + [(f, ctypes.c_bool) for f in bools]
    return type(name, (ctypes.Structure,), {"_fields_": fields})


SgdConfig = _config("SgdConfig", ["lr", "momentum", "dampening", "weight_decay"],
                    ["nesterov", "maximize"])
RmspropConfig = _config("RmspropConfig", ["lr", "alpha", "eps", "weight_decay", "momentum"],
                        ["centered", "maximize"])
AdamConfig = _config("AdamConfig", ["lr", "beta1", "beta2", "eps", "weight_decay"],
                     ["decoupled_weight_decay", "amsgrad", "maximize"])
AdagradConfig = _config("AdagradConfig", ["lr", "lr_decay", "weight_decay",
                                          "initial_accumulator_value", "eps"], ["maximize"])
AdamaxConfig = _config("AdamaxConfig", ["lr", "beta1", "beta2", "eps", "weight_decay"],
                       ["maximize"])
NadamConfig = _config("NadamConfig", ["lr", "beta1", "beta2", "eps", "weight_decay",
                                      "momentum_decay"], ["decoupled_weight_decay", "maximize"])
RadamConfig = _config("RadamConfig", ["lr", "beta1", "beta2", "eps", "weight_decay"],
                      ["decoupled_weight_decay", "maximize"])
LionConfig = _config("LionConfig", ["lr", "beta1", "beta2", "weight_decay"], ["maximize"])
LambConfig = _config("LambConfig", ["lr", "beta1", "beta2", "eps", "weight_decay",
                                    "max_trust_ratio"],
                     ["bias_correction", "always_adapt", "maximize"])


class Tensor(ctypes.Structure):
    _fields_ = [("param", ctypes.c_void_p), ("grad", ctypes.c_void_p),
                ("state", ctypes.c_void_p * 3), ("param_copy", ctypes.c_void_p),
                ("n", ctypes.c_size_t), ("step", ctypes.c_int64),
                ("sr_stream", ctypes.c_uint64), ("sr_offset", ctypes.c_uint64)]


class Precision(ctypes.Structure):
    _fields_ = [("param", ctypes.c_int), ("grad", ctypes.c_int), ("state", ctypes.c_int),
                ("param_copy", ctypes.c_int), ("rounding", ctypes.c_int),
                ("seed", ctypes.c_uint64)]


TaskFn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t)


class Parallel(ctypes.Structure):
    _fields_ = [("run", ctypes.c_void_p), ("pool", ctypes.c_void_p)]


class StepOptions(ctypes.Structure):
    _fields_ = [("precision", ctypes.POINTER(Precision)), ("loss_scale", ctypes.c_double),
                ("grad_multiplier", ctypes.c_double), ("max_grad_norm", ctypes.c_double),
                ("skip_nonfinite", ctypes.c_bool), ("parallel", ctypes.POINTER(Parallel))]


class StepReport(ctypes.Structure):
    _fields_ = [("grad_norm", ctypes.c_double), ("nonfinite", ctypes.c_bool),
                ("skipped", ctypes.c_bool)]


# ---- prototypes ----------------------------------------------------------------

_S, _P, _F, _D, _I64, _Z, _R = (ctypes.c_int, ctypes.c_void_p, ctypes.c_float,
                                ctypes.c_double, ctypes.c_int64, ctypes.c_size_t, ctypes.c_int)


def _proto(name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


_proto("lossopt_status_string", ctypes.c_char_p, _S)
_proto("lossopt_version_string", ctypes.c_char_p)
_proto("lossopt_active_isa", ctypes.c_int)
_proto("lossopt_isa_name", ctypes.c_char_p, ctypes.c_int)
_proto("lossopt_supported_isas", ctypes.c_uint)
_proto("lossopt_set_isa", _S, ctypes.c_int)

# losses: (inputs..., n, [params...], reduction, loss, grad); pointers as void*
for _name in ("mse", "l1", "hinge", "squared_hinge", "soft_margin"):
    _proto("lossopt_%s_f32" % _name, _S, _P, _P, _Z, _R, _P, _P)
_proto("lossopt_huber_f32", _S, _P, _P, _Z, _F, _R, _P, _P)
_proto("lossopt_smooth_l1_f32", _S, _P, _P, _Z, _F, _R, _P, _P)
_proto("lossopt_bce_f32", _S, _P, _P, _Z, _P, _R, _P, _P)
_proto("lossopt_bce_logits_f32", _S, _P, _P, _Z, _P, _F, _R, _P, _P)
_proto("lossopt_poisson_nll_f32", _S, _P, _P, _Z, ctypes.c_bool, ctypes.c_bool, _F, _R,
       _P, _P)
# three inputs, two gradients: (a, b, c, n, [params...], reduction, loss, grad_a, grad_b)
_proto("lossopt_margin_ranking_f32", _S, _P, _P, _P, _Z, _F, _R, _P, _P, _P)
_proto("lossopt_gaussian_nll_f32", _S, _P, _P, _P, _Z, ctypes.c_bool, _F, _R, _P, _P, _P)
_proto("lossopt_cross_entropy_f32", _S, _P, _P, _Z, _Z, ctypes.POINTER(CeOptions), _P, _P)
_proto("lossopt_cross_entropy_probs_f32", _S, _P, _P, _Z, _Z, ctypes.POINTER(CeOptions), _P, _P)
_proto("lossopt_multi_margin_f32", _S, _P, _P, _Z, _Z, ctypes.c_int, _F, _P, _R, _P, _P)
_proto("lossopt_nll_f32", _S, _P, _P, _Z, _Z, ctypes.POINTER(CeOptions), _P, _P)
# kl_div: (input, target, rows, cols, log_target, reduction incl. BATCHMEAN, loss, grad)
_proto("lossopt_kl_div_f32", _S, _P, _P, _Z, _Z, ctypes.c_bool, _R, _P, _P)
# multilabel_soft_margin: (input, target, rows, classes, class_weight, reduction, loss, grad)
_proto("lossopt_multilabel_soft_margin_f32", _S, _P, _P, _Z, _Z, _P, _R, _P, _P)
# embedding rows: (inputs..., rows, dim, [params...], reduction, loss, grads...)
_proto("lossopt_cosine_embedding_f32", _S, _P, _P, _P, _Z, _Z, _F, _R, _P, _P, _P)
_proto("lossopt_triplet_margin_f32", _S, _P, _P, _P, _Z, _Z, _F, ctypes.c_int, _F,
       ctypes.c_bool, _R, _P, _P, _P, _P)

# The io forms of the losses (lossopt_<loss> without _f32): the _f32 arguments
# with a const lossopt_loss_io * before the outputs (loss, then 1-3 gradients).
LOSS_OUTPUTS = {"margin_ranking": 3, "gaussian_nll": 3, "cosine_embedding": 3,
                "triplet_margin": 4}
for _name in ("mse", "l1", "hinge", "squared_hinge", "soft_margin", "huber", "smooth_l1", "bce",
              "bce_logits", "poisson_nll", "margin_ranking", "gaussian_nll", "cross_entropy",
              "cross_entropy_probs", "multi_margin", "nll", "kl_div", "multilabel_soft_margin",
              "cosine_embedding", "triplet_margin"):
    _args = list(getattr(lib, "lossopt_%s_f32" % _name).argtypes)
    _outputs = LOSS_OUTPUTS.get(_name, 2)
    _proto("lossopt_" + _name, _S, *(_args[:-_outputs] + [_P] + _args[-_outputs:]))

# optimizers: defaults, _f32 and tensor-list forms
OPTIMIZERS = {
    # name: (config struct, number of state buffers, extra _f32 args before n)
    "sgd": SgdConfig, "rmsprop": RmspropConfig, "adam": AdamConfig,
    "adagrad": AdagradConfig, "adamax": AdamaxConfig, "nadam": NadamConfig,
    "radam": RadamConfig, "lion": LionConfig, "lamb": LambConfig,
}
for _name, _cfg in OPTIMIZERS.items():
    _proto("lossopt_%s_defaults" % _name, _cfg)
    _cp = ctypes.POINTER(_cfg)
    if _name == "nadam":
        _proto("lossopt_nadam_step", _S, _cp, c_double_p, ctypes.POINTER(Tensor), _Z, _I64,
               ctypes.POINTER(StepOptions), ctypes.POINTER(StepReport))
    else:
        _proto("lossopt_%s_step" % _name, _S, _cp, ctypes.POINTER(Tensor), _Z, _I64,
               ctypes.POINTER(StepOptions), ctypes.POINTER(StepReport))
_proto("lossopt_sgd_step_f32", _S, _P, _P, _P, _Z, ctypes.POINTER(SgdConfig), _I64)
_proto("lossopt_rmsprop_step_f32", _S, _P, _P, _P, _P, _P, _Z, ctypes.POINTER(RmspropConfig))
_proto("lossopt_adam_step_f32", _S, _P, _P, _P, _P, _P, _Z, ctypes.POINTER(AdamConfig), _I64)
_proto("lossopt_adagrad_step_f32", _S, _P, _P, _P, _Z, ctypes.POINTER(AdagradConfig), _I64)
_proto("lossopt_adamax_step_f32", _S, _P, _P, _P, _P, _Z, ctypes.POINTER(AdamaxConfig), _I64)
_proto("lossopt_nadam_step_f32", _S, _P, _P, _P, _P, c_double_p, _Z,
       ctypes.POINTER(NadamConfig), _I64)
_proto("lossopt_radam_step_f32", _S, _P, _P, _P, _P, _Z, ctypes.POINTER(RadamConfig), _I64)
_proto("lossopt_lion_step_f32", _S, _P, _P, _P, _Z, ctypes.POINTER(LionConfig), _I64)
_proto("lossopt_lamb_step_f32", _S, _P, _P, _P, _P, _Z, ctypes.POINTER(LambConfig), _I64)

_proto("lossopt_grad_stats", _S, ctypes.POINTER(Tensor), _Z, ctypes.c_int,
       ctypes.POINTER(Parallel), c_double_p, c_bool_p)
_proto("lossopt_threads_create", _S, ctypes.c_uint, ctypes.POINTER(Parallel))
_proto("lossopt_threads_destroy", None, ctypes.POINTER(Parallel))

# ---- errors ----------------------------------------------------------------------


class LossoptError(Exception):
    """A lossopt call returned a status other than LOSSOPT_OK. Nothing was
    written (the C library validates everything before the first write).
    .status is the number, .name the enum name, .function the C function."""

    def __init__(self, status, function):
        self.status = int(status)
        self.name = STATUS_NAMES.get(self.status, "unknown status %d" % self.status)
        self.function = function
        text = lib.lossopt_status_string(self.status).decode()
        super().__init__("%s returned %s (%s)" % (function, self.name, text))


def check(status, function):
    """Raises LossoptError unless status is LOSSOPT_OK."""
    if status != OK:
        raise LossoptError(status, function)


def call(name, *args):
    """Calls lossopt_<name> and raises LossoptError on a failing status."""
    check(getattr(lib, "lossopt_" + name)(*args), "lossopt_" + name)


def defaults(optimizer):
    """The C library's default config (PyTorch's defaults) of one optimizer."""
    return getattr(lib, "lossopt_%s_defaults" % optimizer)()
