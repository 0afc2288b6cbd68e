"""python_step_bench: optimizer.step() of lossopt.torch.AdamW against
torch.optim.AdamW on a model of 100 tensors (50 Linear layers' weights and
biases, sizes varied, ~10M parameters), grads filled once.

    PYTHONPATH=python LOSSOPT_LIBRARY=build/native/liblossopt.so \\
        /usr/bin/python3 bench/python_step_bench.py [--repeats 30] [--out results.json]

Rows: torch.optim.AdamW with foreach=False (the single-tensor loop) and
foreach=True (multi-tensor kernels), fused=True where this torch's AdamW
accepts it on CPU, lossopt.torch.AdamW on the calling thread and with its
2-thread pool; torch runs with torch.set_num_threads(1), and foreach=True once
more with 2 torch threads for the 2-thread comparison. Timing is best-of-N
interleaved: every repeat steps every variant once, in turn, so drift of the
machine hits all of them alike. Each variant has its own optimizer state; the
params and grads are shared (the values do not change the work). The Python
overhead of lossopt's step (100 one-element tensors) is reported too.
"""
import argparse
import inspect
import json
import os
import platform
import statistics
import sys
import time

import torch

import lossopt
import lossopt.torch as lt

# 50 layers, (fan_in, fan_out) cycling through five shapes: ~9.8M weights
SHAPES = [(320, 448), (448, 576), (576, 384), (384, 512), (512, 320)]
BYTES_PER_ELEMENT = 28  # AdamW: param r+w, grad r, exp_avg r+w, exp_avg_sq r+w, f32


def make_params(layers=50):
    g = torch.Generator().manual_seed(0)
    params = []
    for i in range(layers):
        fan_in, fan_out = SHAPES[i % len(SHAPES)]
        for shape in ((fan_out, fan_in), (fan_out,)):
            p = torch.nn.Parameter(torch.randn(shape, generator=g) * 0.05)
            p.grad = torch.randn(shape, generator=g) * 1e-3
            params.append(p)
    return params


def fused_variant():
    """(name, factory) of torch's fused AdamW, or (name, reason) when absent."""
    if "fused" not in inspect.signature(torch.optim.AdamW).parameters:
        return None, "not in this torch (%s): AdamW has no fused argument" % torch.__version__
    probe = [torch.nn.Parameter(torch.zeros(4))]
    probe[0].grad = torch.ones(4)
    try:
        torch.optim.AdamW(probe, lr=1e-3, fused=True).step()
    except (RuntimeError, ValueError) as e:
        return None, "not on CPU in this torch (%s): %s" % (torch.__version__, str(e)[:80])
    return lambda ps: torch.optim.AdamW(ps, lr=1e-3, fused=True), None


def variants(params):
    """[(name, torch threads, optimizer)]"""
    rows = [("torch.optim.AdamW(foreach=False)", 1,
             torch.optim.AdamW(params, lr=1e-3, foreach=False)),
            ("torch.optim.AdamW(foreach=True)", 1,
             torch.optim.AdamW(params, lr=1e-3, foreach=True))]
    fused, reason = fused_variant()
    if fused is not None:
        rows.append(("torch.optim.AdamW(fused=True)", 1, fused(params)))
    rows += [("lossopt.torch.AdamW", 1, lt.AdamW(params, lr=1e-3)),
             ("lossopt.torch.AdamW(threads=2)", 1, lt.AdamW(params, lr=1e-3, threads=2)),
             ("torch.optim.AdamW(foreach=True), 2 torch threads", 2,
              torch.optim.AdamW(params, lr=1e-3, foreach=True))]
    return rows, reason


def python_overhead(repeats=300):
    """Best time of a lossopt step over 100 one-element tensors: the Python
    and ctypes work of a 100-tensor step, almost nothing else."""
    ps = [torch.nn.Parameter(torch.zeros(1)) for _ in range(100)]
    for p in ps:
        p.grad = torch.ones(1)
    opt = lt.AdamW(ps, lr=1e-3)
    opt.step()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        opt.step()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=30, help="interleaved rounds (default 30)")
    ap.add_argument("--out", help="write the results as JSON to this file (and the table "
                    "as markdown beside it, .md)")
    args = ap.parse_args()

    params = make_params()
    n = sum(p.numel() for p in params)
    rows, fused_reason = variants(params)
    for _, threads, opt in rows:  # state allocation and first-touch outside the timing
        torch.set_num_threads(threads)
        opt.step()
    times = {name: [] for name, _, _ in rows}
    for _ in range(args.repeats):
        for name, threads, opt in rows:
            torch.set_num_threads(threads)
            t = time.perf_counter()
            opt.step()
            times[name].append(time.perf_counter() - t)
    torch.set_num_threads(1)
    overhead = python_overhead()

    base = min(times["torch.optim.AdamW(foreach=True)"])
    results = []
    for name, threads, opt in rows:
        best = min(times[name])
        results.append({"variant": name,
                        "threads": opt.threads if isinstance(opt, lt.AdamW) else threads,
                        "best_ms": best * 1e3, "median_ms": statistics.median(times[name]) * 1e3,
                        "GB_per_s": BYTES_PER_ELEMENT * n / best / 1e9,
                        "speedup_vs_foreach": base / best})

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    lines = ["AdamW step, %d tensors, %d parameters (%.1f MB per f32 buffer); %s; torch %s; "
             "lossopt %s (%s); best of %d interleaved\n" %
             (len(params), n, n * 4 / 1e6, cpu, torch.__version__, lossopt.__version__,
              lossopt.active_isa(), args.repeats),
             "| variant | threads | best ms | median ms | GB/s (28 B/element) | vs foreach=True |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append("| %s | %d | %.2f | %.2f | %.1f | %.2fx |" %
                     (r["variant"], r["threads"], r["best_ms"], r["median_ms"], r["GB_per_s"],
                      r["speedup_vs_foreach"]))
    if fused_reason:
        lines.append("| torch.optim.AdamW(fused=True) | - | %s | | | |" % fused_reason)
    lines.append("\nlossopt.torch step overhead (100 one-element tensors): %.0f us" %
                 (overhead * 1e6))
    print("\n".join(lines))

    if args.out:
        with open(args.out, "w") as f:
            json.dump({"tensors": len(params), "parameters": n, "cpu": cpu,
                       "torch": torch.__version__, "lossopt": lossopt.__version__,
                       "isa": lossopt.active_isa(), "repeats": args.repeats,
                       "fused": fused_reason or "measured", "results": results,
                       "python_overhead_us": overhead * 1e6}, f, indent=2)
        # the printed table beside it, for bench/summarize.py --python-step
        with open(os.path.splitext(args.out)[0] + ".md", "w") as f:
            f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
