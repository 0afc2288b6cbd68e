"""tests/reference/make_torch_engine_reference.py - PyTorch reference steps for
tests/test_engine_torch_parity.c: the engine step's mixed-precision, clipping
and loss-scaling semantics, the way a PyTorch user gets them.

  adamw_master  bf16 model weights and grads, f32 master weights: torch.optim
                AdamW (single-tensor path) on the f32 master with the grads
                widened by .float(), then master.to(torch.bfloat16) as the
                model copy. lossopt: param f32, grad bf16, states f32,
                param_copy bf16.
  clip_sgd      grads carrying a loss scale S: unscaled by dividing by S
                (torch ops), then torch.nn.utils.clip_grad_norm_(max_norm)
                (1.13 has no foreach flag), then torch.optim.SGD. lossopt:
                loss_scale = S, max_grad_norm. The file holds the norm
                clip_grad_norm_ returned.
  scaler_adam   torch.cuda.amp.GradScaler's semantics (1.13 has no CPU kernel
                for its unscale, so with torch ops): grads / S, torch.isfinite
                over every grad, the step skipped when any is not finite;
                else torch.optim.Adam. lossopt: loss_scale = S,
                skip_nonfinite.

Plain Python floats for every hyper-parameter, as users call PyTorch. Each
step is its own case (a replay): 'before' buffers are torch's state before
the step, 'after' buffers torch's state after it.

Format (after the header):
  case <index> <kind> step <k> tensors <T> <name>=<value>...   (doubles as 16 hex digits)
  then per tensor: 'tensor <n>', 'before <buffer> <n hex words>' for param,
  grad, exp_avg, exp_avg_sq, max_exp_avg_sq (Adam kinds), 'after <buffer> ...' for param,
  copy (adamw_master: bf16 values widened to f32) and the states;
  then 'norm <16 hex digits>' (clip_sgd; else NaN) and 'skipped <0|1>'.
  Every value is an f32 as 8 hex digits of its bits (bf16 grads and copies are
  exact f32s whose low 16 bits are 0).
"""
import numpy as np
import torch

from reference_writer import generate, hex32, hex64

SEED = 20261203
TENSOR_SIZES = [37, 300, 5, 1]


def hexd(x):
    return hex64([x])


def adamw_cases():
    return [
        {"kind": "adamw_master", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
         "weight_decay": 0.01, "amsgrad": 0, "steps": 4},
        {"kind": "adamw_master", "lr": 1e-2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6,
         "weight_decay": 0.1, "amsgrad": 1, "steps": 3},
    ]


def clip_cases():
    return [
        {"kind": "clip_sgd", "lr": 0.1, "loss_scale": 1.0, "max_grad_norm": 0.5, "steps": 2},
        {"kind": "clip_sgd", "lr": 0.1, "loss_scale": 1024.0, "max_grad_norm": 0.5, "steps": 2},
        {"kind": "clip_sgd", "lr": 0.05, "loss_scale": 1000.0, "max_grad_norm": 1000.0, "steps": 1},
        {"kind": "clip_sgd", "lr": 0.05, "loss_scale": 3.0, "max_grad_norm": 0.01, "steps": 1},
    ]


def scaler_cases():
    return [
        {"kind": "scaler_adam", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
         "loss_scale": 65536.0, "inf_at_step": 2, "steps": 3},
        {"kind": "scaler_adam", "lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
         "loss_scale": 1000.0, "inf_at_step": 0, "steps": 2},
    ]


STATES = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
HYPER = ["lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad", "loss_scale", "max_grad_norm"]


def emit_tensor_before(out, n, param, grad, state):
    out.write("tensor %d\n" % n)
    out.write("before param %s\n" % hex32(param))
    out.write("before grad %s\n" % hex32(grad))
    for name in STATES:
        if name in state:
            out.write("before %s %s\n" % (name, hex32(state[name])))


def run_case(out, rng, index, c):
    kind = c["kind"]
    params = [torch.tensor(rng.standard_normal(n).astype(np.float32) * np.float32(0.5))
              for n in TENSOR_SIZES]
    if kind == "adamw_master":
        opt = torch.optim.AdamW(params, lr=c["lr"], betas=(c["beta1"], c["beta2"]), eps=c["eps"],
                                weight_decay=c["weight_decay"], amsgrad=bool(c["amsgrad"]),
                                foreach=False)
    elif kind == "clip_sgd":
        opt = torch.optim.SGD(params, lr=c["lr"], foreach=False)
    else:
        opt = torch.optim.Adam(params, lr=c["lr"], betas=(c["beta1"], c["beta2"]), eps=c["eps"],
                               foreach=False)
    sub = 0
    torch_step = 1  # torch's step count: a skipped step does not advance it
    for step in range(1, c["steps"] + 1):
        # the gradients as the backward pass leaves them
        raw = []
        for p in params:
            g = rng.standard_normal(p.numel()).astype(np.float32) * np.float32(0.03)
            if kind == "adamw_master":
                raw.append(torch.tensor(g).to(torch.bfloat16))  # bf16 grads
            else:
                scale = c["loss_scale"]
                raw.append(torch.tensor(g) * scale)  # carrying the loss scale, in f32
        if kind == "scaler_adam" and step == c["inf_at_step"]:
            raw[1][7] = float("inf")
        before_params = [p.detach().clone() for p in params]
        before_state = [{k: v.clone() for k, v in opt.state[p].items()
                         if k in STATES} for p in params]
        norm = float("nan")
        skipped = 0
        if kind == "adamw_master":
            for p, g in zip(params, raw):
                p.grad = g.float()
            opt.step()
        elif kind == "clip_sgd":
            for p, g in zip(params, raw):
                p.grad = g / c["loss_scale"]
            norm = float(torch.nn.utils.clip_grad_norm_(params, c["max_grad_norm"]))
            opt.step()
        else:
            finite = True
            for p, g in zip(params, raw):
                p.grad = g / c["loss_scale"]
                finite = finite and bool(torch.isfinite(g).all())
            if finite:
                opt.step()
            else:
                skipped = 1
        hyper = " ".join("%s=%s" % (k, hexd(float(c[k]))) for k in HYPER if k in c)
        out.write("case %d.%d %s step %d tensors %d %s\n"
                  % (index, sub, kind, torch_step, len(params), hyper))
        for i, p in enumerate(params):
            emit_tensor_before(out, p.numel(), before_params[i], raw[i].float(), before_state[i])
            out.write("after param %s\n" % hex32(p.detach()))
            if kind == "adamw_master":
                out.write("after copy %s\n" % hex32(p.detach().to(torch.bfloat16).float()))
            for name in STATES:
                if name in opt.state[p]:
                    out.write("after %s %s\n" % (name, hex32(opt.state[p][name])))
        out.write("norm %s\n" % hexd(norm))
        out.write("skipped %d\n" % skipped)
        sub += 1
        torch_step += 1 - skipped


def main():
    cases = adamw_cases() + clip_cases() + scaler_cases()
    steps = sum(c["steps"] for c in cases)
    generate("lossopt-engine-reference 1",
             "PyTorch reference steps for tests/test_engine_torch_parity.c, generated by",
             "make_torch_engine_reference.py", "engine_reference.txt", SEED, cases, run_case,
             ["case <i>.<step> <adamw_master|clip_sgd|scaler_adam> step <k> tensors <T> <name>=<hex>...",
              "per tensor: tensor <n>; before/after <buffer> <n f32 hex words>",
              "then norm <hex double> and skipped <0|1>"],
             "cases %d\n" % steps)


if __name__ == "__main__":
    main()
