"""lossopt's optimizer steps on NumPy float32 arrays: one step of one
parameter buffer, in place (include/lossopt.h, the _f32 calls), with
PyTorch's torch.optim semantics and the library's bits on every CPU.

    lossopt.adam_step(param, grad, exp_avg, exp_avg_sq, step=t, lr=1e-3)

  - Positional: the parameter (updated in place), its gradient (only read),
    then the optimizer's state buffers in the order of the C call. Every one
    is a float32, C-contiguous array of the parameter's shape (any shape;
    the step works on param.size elements); param and the state buffers must
    be writeable, and no two may share memory.
  - State buffers start zero-filled by the caller (np.zeros_like(param)), as
    PyTorch's state does; the one exception is Adagrad's `sum`, filled with
    initial_accumulator_value. Keep them between steps. A buffer the
    configuration does not use may be None (and is never touched if given);
    one it uses may not (LossoptError LOSSOPT_ERR_NULL). Each function's
    docstring says which it needs.
  - Keyword-only: `step`, 1-based, counting this update (every optimizer but
    RMSprop, which has no counter; Lion takes it, validates it, and does not
    use it), then the hyper-parameters, named as the fields of the C config
    struct (lossopt_<name>_config) and defaulting to the C library's
    lossopt_<name>_defaults() (PyTorch's defaults; apex FusedLAMB's for
    LAMB; the paper's for Lion). help(lossopt.adam_step) shows them. Real
    values go to C as doubles, exactly as given (PyTorch's hyper-parameters
    are Python floats too); flags are bools.
  - NAdam's mu_product, the product of the earlier steps' momentum
    coefficients, is a Python float the caller keeps: pass 1.0 at step 1 and
    each call's return value to the next call (PyTorch keeps it per
    parameter). Every other step returns None.
  - Errors: a wrong type raises TypeError, a wrong shape, non-contiguous or
    read-only memory or overlapping buffers ValueError, each naming the
    argument, before anything is called; an invalid configuration (lr=nan,
    beta1 >= 1, step < 1, ...) raises lossopt.LossoptError with .name
    "LOSSOPT_ERR_ARG". A failed call has changed no array.

NumPy is imported on the first call, so `import lossopt` works without it.
"""
import ctypes
import functools
import inspect

from . import _arrays, _native
from ._native import check, lib

__all__ = ["sgd_step", "rmsprop_step", "adam_step", "adamw_step", "adagrad_step",
           "adamax_step", "nadam_step", "radam_step", "lion_step", "lamb_step"]

# torch.optim.AdamW's default weight decay. The C library has no AdamW config
# of its own (AdamW is Adam with decoupled_weight_decay; lossopt.h leaves the
# weight decay to the caller), so this is the one default not read from it.
ADAMW_WEIGHT_DECAY = 1e-2


# ---- hyper-parameters ---------------------------------------------------------------

def _flag(function, name, value):
    try:
        ok = value in (False, True)
    except (TypeError, ValueError):  # e.g. an array: no single truth value
        ok = False
    if not ok:
        raise TypeError("lossopt.%s: %s must be a bool, got %r" % (function, name, value))
    return bool(value)


def _hyper_parameters(optimizer, fixed=None, defaults=None):
    """Gives a step function the C config's fields as keyword-only arguments.

    The decorated body takes (arrays..., *, step..., config); the public
    function takes the body's arguments without `config`, plus one keyword
    argument per field of lossopt_<optimizer>_config (minus `fixed`, whose
    values are forced), defaulting to lossopt_<optimizer>_defaults() (or to
    `defaults`, field -> value), and builds the config struct from them."""
    fixed = fixed or {}
    c_defaults = _native.defaults(optimizer)
    fields = [(name, kind) for name, kind in type(c_defaults)._fields_ if name not in fixed]

    def decorate(body):
        own = [p for p in inspect.signature(body).parameters.values() if p.name != "config"]
        extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                                   default=(defaults or {}).get(name, getattr(c_defaults, name)))
                 for name, _ in fields]
        signature = inspect.Signature(own + extra)

        @functools.wraps(body)
        def step_function(*args, **kwargs):
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as e:  # name the function, as Python's own message does
                raise TypeError("lossopt.%s(): %s" % (body.__name__, e)) from None
            bound.apply_defaults()
            arguments = bound.arguments
            config = _native.defaults(optimizer)
            for name, kind in fields:
                convert = _flag if kind is ctypes.c_bool else _arrays.real
                setattr(config, name, convert(body.__name__, name, arguments.pop(name)))
            for name, value in fixed.items():
                setattr(config, name, value)
            return body(config=config, **arguments)

        step_function.__signature__ = signature
        return step_function
    return decorate


# ---- the call ------------------------------------------------------------------------

def _run(function, config, step, param, grad, states, extra=(), c_name=None):
    """Validates the buffers and calls lossopt_<c_name>_f32(param, grad,
    states..., extra..., n, config, [step]) (c_name: function by default);
    step None: the call takes none."""
    _arrays.numpy(function)
    param = _arrays.array(function, "param", param, writeable=True)
    grad = _arrays.array(function, "grad", grad, shape=param.shape)
    states = {name: _arrays.optional_array(function, name, value, shape=param.shape,
                                           writeable=True)
              for name, value in states.items()}
    _arrays.no_overlap(function, dict(param=param, **states), {"grad": grad})
    args = [param.ctypes.data, grad.ctypes.data]
    args += [_arrays.pointer(value) for value in states.values()]
    args += list(extra) + [param.size, ctypes.byref(config)]
    if step is not None:
        args.append(_arrays.integer(function, "step", step, *_arrays.INT64_RANGE))
    c_function = "lossopt_%s_f32" % (c_name or function)
    check(getattr(lib, c_function)(*args), c_function)


# ---- the optimizers --------------------------------------------------------------------

@_hyper_parameters("sgd")
def sgd_step(param, grad, momentum_buf=None, *, step, config):
    """One SGD step (torch.optim.SGD): plain or mini-batch gradient descent
    (momentum 0), momentum, Nesterov, dampening, L2 weight decay, maximize.
    State: momentum_buf, only when momentum != 0 (its contents before step 1
    do not matter: step 1 sets it to the gradient)."""
    _run("sgd_step", config, step, param, grad, dict(momentum_buf=momentum_buf))


@_hyper_parameters("rmsprop")
def rmsprop_step(param, grad, square_avg, grad_avg=None, momentum_buf=None, *, config):
    """One RMSprop step (torch.optim.RMSprop); no step counter. State:
    square_avg always, grad_avg when centered, momentum_buf when momentum > 0."""
    _run("rmsprop_step", config, None, param, grad,
         dict(square_avg=square_avg, grad_avg=grad_avg, momentum_buf=momentum_buf))


@_hyper_parameters("adam")
def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq=None, *, step, config):
    """One Adam step (torch.optim.Adam; AdamW with decoupled_weight_decay=True,
    see adamw_step). State: exp_avg, exp_avg_sq, and max_exp_avg_sq when
    amsgrad."""
    _run("adam_step", config, step, param, grad,
         dict(exp_avg=exp_avg, exp_avg_sq=exp_avg_sq, max_exp_avg_sq=max_exp_avg_sq))


@_hyper_parameters("adam", fixed={"decoupled_weight_decay": True},
                   defaults={"weight_decay": ADAMW_WEIGHT_DECAY})
def adamw_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq=None, *, step, config):
    """One AdamW step (torch.optim.AdamW): adam_step with
    decoupled_weight_decay=True and AdamW's default weight_decay (1e-2).
    State: exp_avg, exp_avg_sq, and max_exp_avg_sq when amsgrad."""
    _run("adamw_step", config, step, param, grad,
         dict(exp_avg=exp_avg, exp_avg_sq=exp_avg_sq, max_exp_avg_sq=max_exp_avg_sq),
         c_name="adam_step")


@_hyper_parameters("adagrad")
def adagrad_step(param, grad, sum, *, step, config):
    """One Adagrad step (torch.optim.Adagrad). State: sum, filled with
    initial_accumulator_value before step 1 (np.full_like(param, value));
    the step itself only validates initial_accumulator_value."""
    _run("adagrad_step", config, step, param, grad, dict(sum=sum))


@_hyper_parameters("adamax")
def adamax_step(param, grad, exp_avg, exp_inf, *, step, config):
    """One Adamax step (torch.optim.Adamax). State: exp_avg, exp_inf."""
    _run("adamax_step", config, step, param, grad, dict(exp_avg=exp_avg, exp_inf=exp_inf))


@_hyper_parameters("nadam")
def nadam_step(param, grad, exp_avg, exp_avg_sq, *, step, mu_product, config):
    """One NAdam step (torch.optim.NAdam, PyTorch 2.x's algorithm). State:
    exp_avg, exp_avg_sq, and mu_product: a float, 1.0 before step 1, in
    [0, 1]. Returns the new mu_product (mu_product times this step's
    momentum coefficient, in double) for the next call; a failed call
    raises, and the caller's value stays the old one."""
    product = ctypes.c_double(_arrays.real("nadam_step", "mu_product", mu_product))
    _run("nadam_step", config, step, param, grad,
         dict(exp_avg=exp_avg, exp_avg_sq=exp_avg_sq), extra=[ctypes.byref(product)])
    return product.value


@_hyper_parameters("radam")
def radam_step(param, grad, exp_avg, exp_avg_sq, *, step, config):
    """One RAdam step (torch.optim.RAdam). State: exp_avg, exp_avg_sq."""
    _run("radam_step", config, step, param, grad, dict(exp_avg=exp_avg, exp_avg_sq=exp_avg_sq))


@_hyper_parameters("lion")
def lion_step(param, grad, exp_avg, *, step, config):
    """One Lion step (Chen et al. 2023; decoupled weight decay). State:
    exp_avg. step is validated (>= 1) but not used by the update."""
    _run("lion_step", config, step, param, grad, dict(exp_avg=exp_avg))


@_hyper_parameters("lamb")
def lamb_step(param, grad, exp_avg, exp_avg_sq, *, step, config):
    """One LAMB step (You et al. 2020, apex FusedLAMB's formula), the trust
    ratio taken over the whole array (one tensor). State: exp_avg,
    exp_avg_sq."""
    _run("lamb_step", config, step, param, grad, dict(exp_avg=exp_avg, exp_avg_sq=exp_avg_sq))
