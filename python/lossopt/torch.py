"""lossopt.torch: torch.optim drop-ins that run lossopt's tensor-list step.

    from lossopt.torch import AdamW
    opt = AdamW(model.parameters(), lr=1e-3)   # instead of torch.optim.AdamW
    loss.backward(); opt.step(); opt.zero_grad()

SGD, RMSprop, Adam, AdamW, Adagrad, Adamax, NAdam, RAdam, Lion and LAMB are
torch.optim.Optimizer subclasses with the constructor arguments, defaults,
param groups, state keys and state_dict() of their PyTorch 1.13 namesakes
(Lion and LAMB, which torch lacks, take include/lossopt.h's names and defaults:
Lion(lr=1e-4, betas=(0.9, 0.99), weight_decay=0, maximize=False);
LAMB(lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01,
max_trust_ratio=0, bias_correction=True, always_adapt=False, maximize=False)).
NAdam and RAdam also take torch 2.x's keyword-only `maximize` and
`decoupled_weight_decay` (default False). Each step() runs one C call
(lossopt_<opt>_step) per param group, zero-copy on the tensors' memory; the
results match torch.optim's single-tensor path within a few ulp per element
(NAdam: PyTorch 2.x's algorithm, i.e. torch 1.13's foreach path; 1.13's
single-tensor NAdam multiplies mu_product twice per step).

Torch-only switches: `foreach` and `fused` are accepted and ignored (every
lossopt step is one fused pass over a tensor list); `capturable=True` and
`differentiable=True` (CUDA graphs, autograd through the step) raise
ValueError.

lossopt's extras, keyword-only on every constructor, all off by default:
  max_grad_norm=0.0   > 0: clip the global L2 norm of every grad of every group
                      to this, as torch.nn.utils.clip_grad_norm_(all params)
                      before the step (the norm is of the unscaled grads; an
                      infinite norm clips with coefficient 0, as torch's; a NaN
                      one makes every grad NaN in torch, and does so here in
                      a single C call, but with several calls (groups, dtypes)
                      it is treated as infinite: use skip_nonfinite).
  loss_scale=None     the grads carry this factor (dynamic loss scaling) and
                      are divided by it inside the step; change it with
                      opt.loss_scale = s or opt.set_loss_scale(s) (None or 0:
                      off). A power of two gives the same bits as unscaled grads.
  skip_nonfinite=False  an inf or NaN grad anywhere: nothing is written, the
                      step counters do not advance, last_report.skipped is True
                      (GradScaler's skip, without the Python pass over grads).
  threads=None        None or 1: the calling thread; n > 1: a lossopt thread
                      pool of n threads (counting the caller), created once and
                      joined when the optimizer is collected; 0: one per CPU.
                      Every thread count gives the same bits.
After each step(), opt.last_report is a StepReport(grad_norm, nonfinite,
skipped): grad_norm and nonfinite are computed only when max_grad_norm or
skip_nonfinite ask for the statistics pass (else NaN and False).

Dtype rules. Params and grads must be CPU, strided (not sparse) and
contiguous, float32, bfloat16 or float16 (TypeError/ValueError before any C
call). Optimizer state is always float32 (NAdam's mu_product a float64 0-dim
tensor, as the C API keeps it in double; "step" a float32 0-dim tensor as
torch's). A bfloat16/float16 param gets an f32 master copy, state[p]["master"],
made from the param on its first step: the step updates the master with the
16-bit grad and writes the master rounded to nearest into the param, so the
model always holds round(master). The master is authoritative: after writing
new values into a 16-bit param by hand, delete its state["master"] (or
load_state_dict) so that it is taken from the param again. A param group that
mixes dtypes runs one C call per dtype (f32, bf16, f16, in order of first
appearance); the update of every tensor is the same as in one call, except
that with max_grad_norm / skip_nonfinite the statistics are then combined over
the calls exactly as include/lossopt.h describes for several groups.

Per-parameter step counts live in state[p]["step"] as in torch (0-dim float32
tensors that are views of one buffer per C call, so advancing them is one
op); SGD keeps no step, as torch's, and a missing momentum_buffer means the
first step. save -> load_state_dict into a fresh optimizer -> continue gives
the same bits as never stopping (load_state_dict keeps lossopt's f32/f64
state in its own dtypes where torch would cast it to the param's dtype).
The step writes through data_ptr() and so does not bump the params' autograd
version counters.
"""
import collections
import ctypes
import math
import operator
from itertools import chain

import torch
from torch.optim.optimizer import Optimizer, required

from . import _native as _n

__all__ = ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adamax", "NAdam", "RAdam", "Lion",
           "LAMB", "StepReport"]

StepReport = collections.namedtuple("StepReport", "grad_norm nonfinite skipped")
StepReport.__doc__ = ("What the last step() did: grad_norm (L2 norm of the unscaled grads before "
                      "clipping; NaN when not computed), nonfinite (an inf/NaN grad was seen), "
                      "skipped (nothing was written).")

_CODES = {torch.float32: _n.F32, torch.bfloat16: _n.BF16, torch.float16: _n.F16}
_STRIDED = torch.strided
_EXTRAS = ("max_grad_norm", "loss_scale", "skip_nonfinite", "threads")
# The smallest positive double: a grad_multiplier that the C call accepts
# (0 would mean "off") and that rounds to the float 0, i.e. torch's clip
# coefficient 0 for an infinite global norm.
_TINY = 5e-324


def _reject(p, g):
    """Raises the error that the fast combined check of step() detected."""
    for what, t in (("parameter", p), ("gradient", g)):
        if not t.is_cpu:
            raise TypeError("lossopt.torch: %s on %s; lossopt runs on CPU tensors only "
                            "(use torch.optim for other devices)" % (what, t.device))
        if t.layout is not _STRIDED:
            raise TypeError("lossopt.torch: %s with layout %s; sparse parameters and "
                            "gradients are not supported" % (what, t.layout))
    if p.dtype not in _CODES:
        raise TypeError("lossopt.torch: %s parameter; lossopt takes float32, bfloat16 and "
                        "float16 parameters" % p.dtype)
    if g.dtype is not p.dtype:
        raise TypeError("lossopt.torch: %s gradient of a %s parameter" % (g.dtype, p.dtype))
    for what, t in (("parameter", p), ("gradient", g)):
        if not t.is_contiguous():
            raise ValueError("lossopt.torch: non-contiguous %s (shape %s, stride %s); lossopt "
                             "needs contiguous memory" % (what, tuple(t.shape), t.stride()))
    raise AssertionError("unreachable")


def _check_nonneg(**values):
    for name, v in values.items():
        if not 0.0 <= v:
            raise ValueError("Invalid %s value: %s" % (name, v))


def _check_betas(betas):
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:
            raise ValueError("Invalid beta parameter at index %d: %s" % (i, b))


def _no_torch_only(capturable=False, differentiable=False):
    if capturable:
        raise ValueError("lossopt.torch: capturable=True (CUDA graphs) is not supported")
    if differentiable:
        raise ValueError("lossopt.torch: differentiable=True is not supported "
                         "(the step writes memory directly)")


class _Call:
    """One C call of one step: the params of one group with one dtype, their
    lossopt_tensor array and the buffers behind their per-tensor scalars. It is
    kept while the same params (same memory) with grads come back, so a step
    only refreshes grad pointers."""
    __slots__ = ("params", "names", "pptrs", "gptrs", "arr", "count", "code", "options",
                 "precision", "extra", "steps", "mu", "counts", "common", "fresh")


class _LossoptOptimizer(Optimizer):
    """The shared machinery; the subclasses say which C call, which state
    buffers and which config. Not for direct use."""
    _c_name = None          # lossopt_<name>_step
    _config_type = None     # its ctypes config struct
    _keeps_step = True      # state[p]["step"] exists (SGD: no, as torch)
    _keeps_mu = False       # state[p]["mu_product"] (NAdam)
    # class defaults keep an unpickled optimizer (torch pickles only
    # defaults, state and param_groups) working: single thread, options off
    _parallel = None
    _version = 0
    max_grad_norm = 0.0
    skip_nonfinite = False
    last_report = None
    _loss_scale = 0.0

    def __init__(self, params, defaults, options):
        unknown = set(options) - set(_EXTRAS)
        if unknown:
            raise TypeError("%s got unexpected keyword argument(s) %s" %
                            (type(self).__name__, ", ".join(sorted(unknown))))
        self._cache = {}
        self._cache_version = -1
        super().__init__(params, defaults)
        self.max_grad_norm = float(options.get("max_grad_norm") or 0.0)
        if not (0.0 <= self.max_grad_norm < math.inf):
            raise ValueError("Invalid max_grad_norm value: %s" % self.max_grad_norm)
        self.set_loss_scale(options.get("loss_scale"))
        self.skip_nonfinite = bool(options.get("skip_nonfinite", False))
        threads = options.get("threads")
        self.threads = 1 if threads is None else int(threads)
        if self.threads < 0:
            raise ValueError("Invalid threads value: %s" % threads)
        self._fn = getattr(_n.lib, "lossopt_%s_step" % self._c_name)
        self._report = _n.StepReport()
        if self.threads != 1:
            pool = _n.Parallel()
            _n.call("threads_create", self.threads, ctypes.byref(pool))
            self._parallel = pool
            self._parallel_p = ctypes.pointer(pool)

    def __del__(self):
        pool = self._parallel
        if pool is not None and _n is not None and getattr(_n, "lib", None) is not None:
            self._parallel = None
            _n.lib.lossopt_threads_destroy(ctypes.byref(pool))

    # ---- lossopt's options ----------------------------------------------------

    @property
    def loss_scale(self):
        """The factor the grads carry (divided out by the step); None when off."""
        return self._loss_scale or None

    @loss_scale.setter
    def loss_scale(self, s):
        self.set_loss_scale(s)

    def set_loss_scale(self, s):
        """Sets the loss scale of the next steps (None or 0: off)."""
        s = float(s or 0.0)
        if not (0.0 <= s < math.inf):
            raise ValueError("Invalid loss_scale value: %s (a finite float > 0, or None)" % s)
        self._loss_scale = s

    # ---- torch.optim.Optimizer's hooks ------------------------------------------

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        self._version += 1

    def __setstate__(self, state):
        super().__setstate__(state)
        if "_fn" not in self.__dict__:  # unpickled: what __init__ adds to torch's state
            self._cache, self._cache_version, self.threads = {}, -1, 1
            self._fn = getattr(_n.lib, "lossopt_%s_step" % self._c_name)
            self._report = _n.StepReport()
        for group in self.param_groups:
            for k, v in self.defaults.items():
                group.setdefault(k, v)
        self._version += 1

    def load_state_dict(self, state_dict):
        """torch.optim's load_state_dict, except that lossopt's state keeps its
        dtypes: torch casts every floating state tensor but "step" to the
        param's dtype, which would round a bf16 param's f32 master and moments
        to bf16 and NAdam's float64 mu_product to float32."""
        super().load_state_dict(state_dict)
        saved = chain.from_iterable(g["params"] for g in state_dict["param_groups"])
        ours = chain.from_iterable(g["params"] for g in self.param_groups)
        for key, p in zip(saved, ours):
            for name, v in state_dict["state"].get(key, {}).items():
                want = self._state_dtype(name)
                if (want is not None and isinstance(v, torch.Tensor)
                        and self.state[p][name].dtype is not want):
                    self.state[p][name] = v.detach().to("cpu", want, copy=True)
        self._version += 1

    # ---- what the subclasses define ------------------------------------------------

    def _buffers(self, group):
        """The names of state[0..2] of the C tensor for this group's options
        (None where unused)."""
        raise NotImplementedError

    def _config(self, group):
        raise NotImplementedError

    def _new_buffer(self, p, name, group):
        return torch.zeros(p.shape, dtype=torch.float32)

    @staticmethod
    def _state_dtype(name):
        if name == "step":
            return None
        return torch.float64 if name == "mu_product" else torch.float32

    def _count(self, st, created):
        """Steps already taken by a param, from its state."""
        return int(float(st["step"]))

    # ---- the step ----------------------------------------------------------------------

    def _ensure_state(self, p, st, group, names):
        """Creates the state a param's step needs; returns the new keys."""
        created = []
        if self._keeps_step and "step" not in st:
            st["step"] = torch.tensor(0.0)
            created.append("step")
        if self._keeps_mu and "mu_product" not in st:
            st["mu_product"] = torch.tensor(1.0, dtype=torch.float64)
            created.append("mu_product")
        for name in names:
            if name is not None and name not in st:
                st[name] = self._new_buffer(p, name, group)
                created.append(name)
        if p.dtype is not torch.float32 and "master" not in st:
            st["master"] = p.detach().to(torch.float32, copy=True)
            created.append("master")
        return created

    def _f32_state(self, p, st, name):
        """state[p][name] as a CPU contiguous f32 tensor of p's size (a loaded
        state of another dtype is converted once), else ValueError."""
        t = st[name]
        if (not isinstance(t, torch.Tensor) or not t.is_cpu or t.layout is not _STRIDED
                or not t.is_floating_point() or t.numel() != p.numel()):
            raise ValueError("lossopt.torch: state[p][%r] must be a CPU float tensor of %d "
                             "elements like its parameter, got %r" %
                             (name, p.numel(), type(t) if not isinstance(t, torch.Tensor)
                              else (t.dtype, t.device, tuple(t.shape))))
        if t.dtype is not torch.float32 or not t.is_contiguous():
            t = st[name] = t.to(torch.float32, memory_format=torch.contiguous_format)
        return t

    def _build(self, c, group, code, ps, gs, names):
        """Fills a new _Call for these params: state created or checked, the
        lossopt_tensor array filled, step and mu_product moved into one
        buffer each (their state entries become views of it). A failure
        removes the state it created."""
        n = len(ps)
        c.params, c.names, c.code, c.count = ps, names, code, n
        c.arr = (_n.Tensor * n)()
        c.fresh = []
        try:
            counts, mus = self._fill(c, group, code, ps, gs, names)
        except BaseException:
            self._rollback([(None, c)])
            raise
        if self._keeps_step:
            c.steps = torch.tensor([float(k) for k in counts], dtype=torch.float32)
            for p, view in zip(ps, c.steps.unbind()):
                self.state[p]["step"] = view
        else:
            c.steps = None
        c.extra = ()
        if self._keeps_mu:
            c.mu = torch.tensor(mus, dtype=torch.float64)
            for p, view in zip(ps, c.mu.unbind()):
                self.state[p]["mu_product"] = view
            c.extra = (ctypes.cast(c.mu.data_ptr(), _n.c_double_p),)
        c.counts = counts
        c.common = counts[0] if all(k == counts[0] for k in counts) else None
        if c.common is None:
            for t, k in zip(c.arr, counts):
                t.step = k + 1
        c.pptrs = [p.data_ptr() for p in ps]
        c.gptrs = [g.data_ptr() for g in gs]
        if code == _n.F32:
            c.precision = None
        else:
            c.precision = _n.Precision(param=_n.F32, grad=code, state=_n.F32, param_copy=code)
        c.options = _n.StepOptions(
            precision=ctypes.pointer(c.precision) if c.precision is not None else None,
            parallel=self._parallel_p if self._parallel is not None else None)

    def _fill(self, c, group, code, ps, gs, names):
        """_build's loop over the params: (step counts, mu_products)."""
        counts, mus = [], []
        for i, (p, g) in enumerate(zip(ps, gs)):
            st = self.state[p]
            created = self._ensure_state(p, st, group, names)
            if created:
                c.fresh.append((p, created))
            t = c.arr[i]
            t.n = p.numel()
            t.grad = g.data_ptr()
            for k, name in enumerate(names):
                if name is not None:
                    t.state[k] = self._f32_state(p, st, name).data_ptr()
            if code == _n.F32:
                t.param = p.data_ptr()
            else:
                t.param = self._f32_state(p, st, "master").data_ptr()
                t.param_copy = p.data_ptr()
            counts.append(self._count(st, created))
            if self._keeps_mu:
                mus.append(float(st["mu_product"]))
        return counts, mus

    def _gather(self):
        """[(config, call)] for every group x dtype with grads. Every param and
        grad is checked before any state is created."""
        if self._cache_version != self._version:
            self._cache = {}
            self._cache_version = self._version
        found = []
        for gi, group in enumerate(self.param_groups):
            buckets = {}
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                d = p.dtype
                if (p.layout is not _STRIDED or g.layout is not _STRIDED or not p.is_cpu
                        or not g.is_cpu or g.dtype is not d or d not in _CODES
                        or not p.is_contiguous() or not g.is_contiguous()):
                    _reject(p, g)
                b = buckets.get(d)
                if b is None:
                    b = buckets[d] = ([], [])
                b[0].append(p)
                b[1].append(g)
            if buckets:
                found.append((gi, group, buckets))
        calls = []
        try:
            for gi, group, buckets in found:
                cfg = self._config(group)
                names = self._buffers(group)
                for d, (ps, gs) in buckets.items():
                    calls.append((cfg, self._call(gi, group, d, ps, gs, names)))
        except BaseException:
            self._rollback(calls)
            raise
        return calls

    def _call(self, gi, group, d, ps, gs, names):
        """The cached _Call of these params if their memory is unchanged (with
        the grad pointers refreshed), else a new one."""
        key = (gi, d)
        c = self._cache.get(key)
        if (c is None or c.names != names or c.count != len(ps)
                or not all(map(operator.is_, c.params, ps))
                or c.pptrs != [p.data_ptr() for p in ps]):
            c = self._cache[key] = _Call()
            self._build(c, group, _CODES[d], ps, gs, names)
            return c
        gptrs = [g.data_ptr() for g in gs]
        if gptrs != c.gptrs:
            for i, (old, new) in enumerate(zip(c.gptrs, gptrs)):
                if old != new:
                    c.arr[i].grad = new
            c.gptrs = gptrs
        return c

    def _run(self, cfg, c, report):
        step = 1 if c.common is None else c.common + 1
        _n.check(self._fn(ctypes.byref(cfg), *c.extra, c.arr, c.count, step,
                          ctypes.byref(c.options), report), "lossopt_%s_step" % self._c_name)

    def _rollback(self, calls):
        """Removes the state a failed or skipped step created, as if the
        params had not been seen."""
        for _, c in calls:
            for p, created in c.fresh:
                st = self.state[p]
                for name in created:
                    del st[name]
                if not st:
                    del self.state[p]
        self._version += 1

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every param with a grad; returns closure()'s loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        calls = self._gather()
        try:
            self.last_report = self._step(calls)
        except BaseException:
            self._rollback(calls)
            raise
        if self.last_report.skipped:
            self._rollback(calls)
            return loss
        for _, c in calls:
            if c.steps is not None:
                c.steps += 1
            if c.common is not None:
                c.common += 1
            else:
                c.counts = [k + 1 for k in c.counts]
                for t, k in zip(c.arr, c.counts):
                    t.step = k + 1
            c.fresh = []
        return loss

    def _step(self, calls):
        ls, mgn, skip = self._loss_scale, self.max_grad_norm, self.skip_nonfinite
        if len(calls) == 1:
            # one call: lossopt's own statistics pass, clipping and skipping
            cfg, c = calls[0]
            o = c.options
            o.loss_scale, o.grad_multiplier, o.max_grad_norm, o.skip_nonfinite = ls, 0.0, mgn, skip
            rep = self._report
            self._run(cfg, c, ctypes.byref(rep))
            return StepReport(rep.grad_norm, rep.nonfinite, rep.skipped)
        if not calls:
            return StepReport(math.nan, False, False)
        # several calls (groups, dtypes): every config is checked before any
        # call writes (a count-0 call validates config and step), then the
        # norm and the skip are global, as the header's several-groups recipe
        for cfg, c in calls:
            step = 1 if c.common is None else c.common + 1
            _n.check(self._fn(ctypes.byref(cfg), *(None for _ in c.extra), None, 0, step,
                              ctypes.byref(c.options), None), "lossopt_%s_step" % self._c_name)
        norm, bad, mult = math.nan, False, 0.0
        if mgn > 0 or skip:
            total, part, b = 0.0, ctypes.c_double(), ctypes.c_bool()
            for _, c in calls:
                _n.check(_n.lib.lossopt_grad_stats(c.arr, c.count, c.code, c.options.parallel,
                                                   ctypes.byref(part), ctypes.byref(b)),
                         "lossopt_grad_stats")
                total += part.value
                bad = bad or b.value
            norm = math.sqrt(total) / ls if ls else math.sqrt(total)
            if skip and bad:
                return StepReport(norm, True, True)
            if mgn > 0:
                coef = mgn / (norm + 1e-6)
                # coef >= 1: no clipping. An infinite norm gives torch's
                # coefficient 0; a NaN one (NaN grads, skip_nonfinite off) has
                # no C equivalent across calls and is treated as 0 as well:
                # finite grads step with 0, non-finite ones make NaN.
                if coef != coef or coef <= 0.0:
                    mult = _TINY
                elif coef < 1.0:
                    mult = coef
        for cfg, c in calls:
            o = c.options
            o.loss_scale, o.grad_multiplier = ls, mult
            o.max_grad_norm, o.skip_nonfinite = 0.0, False
            self._run(cfg, c, None)
        return StepReport(norm, bad, False)


# ---- the optimizers ------------------------------------------------------------------


def _betas_config(cls, group, **more):
    b1, b2 = group["betas"]
    return cls(lr=group["lr"], beta1=b1, beta2=b2, **more)


class SGD(_LossoptOptimizer):
    """torch.optim.SGD (momentum, dampening, Nesterov, weight decay, maximize)
    over lossopt_sgd_step. State: "momentum_buffer" when momentum != 0; like
    torch, no step count (a param without a momentum_buffer takes a first
    step, which sets the buffer to the gradient)."""
    _c_name, _keeps_step = "sgd", False

    def __init__(self, params, lr=required, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 **options):
        _no_torch_only(differentiable=differentiable)
        if lr is not required:
            _check_nonneg(lr=lr)
        _check_nonneg(momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable), options)

    def _buffers(self, group):
        return ("momentum_buffer" if group["momentum"] != 0 else None,)

    def _config(self, group):
        return _n.SgdConfig(lr=group["lr"], momentum=group["momentum"],
                            dampening=group["dampening"], weight_decay=group["weight_decay"],
                            nesterov=group["nesterov"], maximize=group["maximize"])

    def _count(self, st, created):
        return 0 if "momentum_buffer" in created else 1


class RMSprop(_LossoptOptimizer):
    """torch.optim.RMSprop (centered, momentum, weight decay, maximize) over
    lossopt_rmsprop_step. State: step, square_avg, grad_avg (centered),
    momentum_buffer (momentum > 0)."""
    _c_name = "rmsprop"

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, foreach=None, maximize=False, differentiable=False, **options):
        _no_torch_only(differentiable=differentiable)
        _check_nonneg(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable), options)

    def _buffers(self, group):
        return ("square_avg", "grad_avg" if group["centered"] else None,
                "momentum_buffer" if group["momentum"] > 0 else None)

    def _config(self, group):
        return _n.RmspropConfig(lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                                weight_decay=group["weight_decay"], momentum=group["momentum"],
                                centered=group["centered"], maximize=group["maximize"])


class Adam(_LossoptOptimizer):
    """torch.optim.Adam (amsgrad, maximize, L2 weight decay) over
    lossopt_adam_step. State: step, exp_avg, exp_avg_sq, max_exp_avg_sq
    (amsgrad)."""
    _c_name = "adam"
    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=False, **options):
        _no_torch_only(capturable, differentiable)
        _check_nonneg(lr=lr, eps=eps, weight_decay=weight_decay)
        _check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused), options)

    def _buffers(self, group):
        return ("exp_avg", "exp_avg_sq", "max_exp_avg_sq" if group["amsgrad"] else None)

    def _config(self, group):
        return _betas_config(_n.AdamConfig, group, eps=group["eps"],
                             weight_decay=group["weight_decay"],
                             decoupled_weight_decay=self._decoupled, amsgrad=group["amsgrad"],
                             maximize=group["maximize"])


class AdamW(Adam):
    """torch.optim.AdamW (decoupled weight decay, default 1e-2) over
    lossopt_adam_step; state as Adam."""
    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False, **options):
        _no_torch_only(capturable)
        _check_nonneg(lr=lr, eps=eps, weight_decay=weight_decay)
        _check_betas(betas)
        _LossoptOptimizer.__init__(self, params, dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
            foreach=foreach, maximize=maximize, capturable=capturable), options)


class Adagrad(_LossoptOptimizer):
    """torch.optim.Adagrad over lossopt_adagrad_step. State: step, sum
    (created at construction and filled with initial_accumulator_value, as
    torch does)."""
    _c_name = "adagrad"

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, **options):
        _check_nonneg(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                      initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize), options)
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state[p]
                st["step"] = torch.tensor(0.0)
                st["sum"] = self._new_buffer(p, "sum", group)

    def _buffers(self, group):
        return ("sum",)

    def _new_buffer(self, p, name, group):
        return torch.full(p.shape, float(group["initial_accumulator_value"]),
                          dtype=torch.float32)

    def _config(self, group):
        return _n.AdagradConfig(lr=group["lr"], lr_decay=group["lr_decay"],
                                weight_decay=group["weight_decay"],
                                initial_accumulator_value=group["initial_accumulator_value"],
                                eps=group["eps"], maximize=group["maximize"])


class Adamax(_LossoptOptimizer):
    """torch.optim.Adamax over lossopt_adamax_step. State: step, exp_avg,
    exp_inf."""
    _c_name = "adamax"

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, **options):
        _check_nonneg(lr=lr, eps=eps, weight_decay=weight_decay)
        _check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize), options)

    def _buffers(self, group):
        return ("exp_avg", "exp_inf")

    def _config(self, group):
        return _betas_config(_n.AdamaxConfig, group, eps=group["eps"],
                             weight_decay=group["weight_decay"], maximize=group["maximize"])


class NAdam(_LossoptOptimizer):
    """torch.optim.NAdam over lossopt_nadam_step: PyTorch 2.x's algorithm
    (torch 1.13's foreach path; its single-tensor path multiplies mu_product
    twice per step). Keyword-only extras of torch 2.x: maximize,
    decoupled_weight_decay. State: step, mu_product (float64), exp_avg,
    exp_avg_sq."""
    _c_name, _keeps_mu = "nadam", True

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, foreach=None, *, maximize=False,
                 decoupled_weight_decay=False, **options):
        _check_nonneg(lr=lr, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay)
        _check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, foreach=foreach,
                                      maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay), options)

    def _buffers(self, group):
        return ("exp_avg", "exp_avg_sq")

    def _config(self, group):
        return _betas_config(_n.NadamConfig, group, eps=group["eps"],
                             weight_decay=group["weight_decay"],
                             momentum_decay=group["momentum_decay"],
                             decoupled_weight_decay=group["decoupled_weight_decay"],
                             maximize=group["maximize"])


class RAdam(_LossoptOptimizer):
    """torch.optim.RAdam over lossopt_radam_step, with torch 2.x's
    keyword-only maximize and decoupled_weight_decay. State: step, exp_avg,
    exp_avg_sq."""
    _c_name = "radam"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, decoupled_weight_decay=False, **options):
        _check_nonneg(lr=lr, eps=eps, weight_decay=weight_decay)
        _check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay), options)

    def _buffers(self, group):
        return ("exp_avg", "exp_avg_sq")

    def _config(self, group):
        return _betas_config(_n.RadamConfig, group, eps=group["eps"],
                             weight_decay=group["weight_decay"],
                             decoupled_weight_decay=group["decoupled_weight_decay"],
                             maximize=group["maximize"])


_LION = _n.defaults("lion")
_LAMB = _n.defaults("lamb")


class Lion(_LossoptOptimizer):
    """Lion (Chen et al. 2023) over lossopt_lion_step, defaults from
    lossopt_lion_defaults(). State: step (Lion's update uses none; it is kept
    for the checkpoint and stochastic rounding), exp_avg."""
    _c_name = "lion"

    def __init__(self, params, lr=_LION.lr, betas=(_LION.beta1, _LION.beta2),
                 weight_decay=_LION.weight_decay, *, maximize=_LION.maximize, **options):
        _check_nonneg(lr=lr, weight_decay=weight_decay)
        _check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay,
                                      maximize=maximize), options)

    def _buffers(self, group):
        return ("exp_avg",)

    def _config(self, group):
        return _betas_config(_n.LionConfig, group, weight_decay=group["weight_decay"],
                             maximize=group["maximize"])


class LAMB(_LossoptOptimizer):
    """LAMB (You et al. 2020, apex FusedLAMB's formula) over
    lossopt_lamb_step, defaults from lossopt_lamb_defaults(); the trust ratio
    is per tensor. State: step, exp_avg, exp_avg_sq."""
    _c_name = "lamb"

    def __init__(self, params, lr=_LAMB.lr, betas=(_LAMB.beta1, _LAMB.beta2), eps=_LAMB.eps,
                 weight_decay=_LAMB.weight_decay, *, max_trust_ratio=_LAMB.max_trust_ratio,
                 bias_correction=_LAMB.bias_correction, always_adapt=_LAMB.always_adapt,
                 maximize=_LAMB.maximize, **options):
        _check_nonneg(lr=lr, eps=eps, weight_decay=weight_decay, max_trust_ratio=max_trust_ratio)
        _check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      max_trust_ratio=max_trust_ratio,
                                      bias_correction=bias_correction, always_adapt=always_adapt,
                                      maximize=maximize), options)

    def _buffers(self, group):
        return ("exp_avg", "exp_avg_sq")

    def _config(self, group):
        return _betas_config(_n.LambConfig, group, eps=group["eps"],
                             weight_decay=group["weight_decay"],
                             max_trust_ratio=group["max_trust_ratio"],
                             bias_correction=group["bias_correction"],
                             always_adapt=group["always_adapt"], maximize=group["maximize"])
