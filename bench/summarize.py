#!/usr/bin/env python3
"""Summarise lossopt_bench JSON output: markdown tables, a JSON digest and an
SVG chart (standard library only).

Usage:
    lossopt_bench --benchmark_out=bench.json --benchmark_out_format=json
    python3 bench/summarize.py bench.json [--torch torch.json | --torch-note TEXT]
                               [--out DIR] [--chart-size N]

Writes DIR/results.md (also printed), DIR/results.json and DIR/speedup.svg;
DIR defaults to out/bench/. bench.json may be '-' (stdin).

Benchmark names are <kernel>/<variant>/<n>, stream_{copy,triad}/<n> and
exp_pass/sleef_avx2/<n>, and for the row-wise losses (cross_entropy,
cross_entropy_ls = label smoothing 0.1, cross_entropy_probs, multi_margin)
<kernel>/<variant>/<rows>x<classes> with exp_pass/sleef_avx2/<rows>x<classes>
(Google Benchmark appends /min_time:.../repeats:..., ignored here). With repetitions the median is used. --torch merges the JSON
of bench/torch_compare.py (variant "torch"). Columns, per kernel and size:
  ns/elem      time per element (1e9 / items_per_second)
  GB/s         bytes per second, bytes per element as in SPEC.md section 3
               (optimizers 12-36, elementwise losses 8 read + 4 written)
  % triad      GB/s over the same-run STREAM triad GB/s at the same n
  % triad+WA   the same against triad counting its write-allocate read
               (16 bytes/element, not 12): the optimizer updates are in
               place and have no write-allocate traffic, so this is the
               fairer denominator for them beyond the caches (the losses
               write their gradient to a separate buffer, as triad does:
               for them plain % triad is the fair one)
  x scalar     speedup over the scalar variant (time ratio, > 1 = faster)
  x plain_nat  speedup over the plain C loop built -O3 -march=native
  x PyTorch    speedup over PyTorch CPU, one thread (torch.optim foreach
               step; torch.nn.functional loss forward + backward)
  x exp pass   row-wise losses: time over the time of one SLEEF AVX2 exp
               pass over the same rows x classes logits (SPEC: cross_entropy
               <= 1.5; ns/elem of the same element count, so a ratio of times)
Only ratios within one run mean anything on a shared machine.

The 0.2 optimizers (adagrad, adamax, nadam, radam, lion, lamb; adam as the
reference row when present) also get a table of their own: per size the
public call's ns/elem and, as "ns (x ratio)" cells, the plain loops at -O3,
-O3 -march=native and -O3 -march=native -fno-math-errno (plain_native_noerrno,
when the bench was built with -DLOSSOPT_BENCH_PLAIN_NOERRNO=ON) and PyTorch
foreach (none for Lion and LAMB), plus % triad+WA.

The engine step's rows (bench_engine_step.cc, names step_*/<variant>/<tensors>x
<elements> and the references step_stream_*/<variant>/<n>; torch_compare.py's
step_list_adam_f32/torch/1000x4096) get their own tables: per row ns/elem,
GB/s and "% stream", its GB/s over the same-run stream of the same bytes and
access pattern (the references move exactly the row's bytes per element, so
this is also the stream's time over the row's time). The 0.2 targets of
SPEC.md section 3 are checked in a table of their own (measured, bound,
met/missed; "info" rows carry no target).
"""
import argparse
import json
import os
import statistics
import sys

VARIANT_ORDER = ["scalar", "avx2", "avx512", "neon", "public",
                 "plain_O3", "plain_native", "plain_native_noerrno", "torch"]
OPTIMIZERS = ["sgd", "sgd_momentum", "rmsprop", "adam", "adamw", "adam_amsgrad",
              "adagrad", "adamax", "nadam", "radam", "lion", "lamb"]
# The 0.2 optimizers (include/lossopt.h, "More optimizers"): a table of their
# own with the public call against every plain loop, PyTorch and the stream.
MORE_OPTIMIZERS = ["adagrad", "adamax", "nadam", "radam", "lion", "lamb"]
NO_TORCH = {"lion": "PyTorch has no Lion", "lamb": "PyTorch has no LAMB"}
LOSSES = ["mse", "l1", "huber", "smooth_l1", "hinge", "squared_hinge", "bce", "bce_logits"]
BANDWIDTH_BOUND_LOSSES = ["mse", "l1", "huber", "hinge"]
TRANSCENDENTAL_LOSSES = ["bce", "bce_logits"]
ROW_LOSSES = ["cross_entropy", "cross_entropy_ls", "cross_entropy_probs", "multi_margin"]
EXP_ROW_LOSSES = ["cross_entropy", "cross_entropy_ls", "cross_entropy_probs"]  # one exp per logit
SPEC_CE = ["cross_entropy", "cross_entropy_ls"]  # SPEC section 3's cross_entropy target
KERNEL_ORDER = OPTIMIZERS + LOSSES + ["exp_pass"]
LOSSOPT_FAST = {"avx2", "avx512", "neon", "public"}
ISAS = ["scalar", "avx2", "avx512", "neon"]
DRAM = 16 << 20          # "far beyond the last-level cache"
NOISE = 1.10             # "beyond noise": 10 % on a shared VM


def load(path):
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    return json.loads(text[text.index("{"):])


def parse_n(text):
    """65536 -> 65536; '64x1000' -> (64, 1000), a row-wise shape."""
    if "x" in text:
        rows, classes = text.split("x")
        return int(rows), int(classes)
    return int(text)


def key_of(entry):
    """('adam', 'avx2', 65536), ('stream_triad', None, 65536) or
    ('cross_entropy', 'avx2', (64, 1000))."""
    name = entry.get("run_name") or entry["name"]
    parts = [p for p in name.split("/") if ":" not in p]
    if len(parts) == 2:
        return parts[0], None, parse_n(parts[1])
    return parts[0], parts[1], parse_n(parts[2])


def collect(data):
    """key -> (items/s, bytes/s), median over repetitions."""
    medians, runs = {}, {}
    for e in data.get("benchmarks", []):
        if e.get("error_occurred"):
            continue
        k = key_of(e)
        value = (e.get("items_per_second"), e.get("bytes_per_second"))
        if None in value:
            continue
        if e.get("run_type") == "aggregate":
            if e.get("aggregate_name") == "median":
                medians[k] = value
        else:
            runs.setdefault(k, []).append(value)
    result = {k: (statistics.median(v[0] for v in vs), statistics.median(v[1] for v in vs))
              for k, vs in runs.items()}
    result.update(medians)
    return result


def size_name(n):
    if isinstance(n, tuple):
        return f"{n[0]} x {n[1]}"
    for unit, div in (("Mi", 1 << 20), ("Ki", 1 << 10)):
        if n % div == 0:
            return f"{n // div} {unit}"
    return str(n)


def order(seq, preferred):
    return sorted(seq, key=lambda x: (preferred.index(x) if x in preferred else len(preferred), x))


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


class Results:
    def __init__(self, res):
        self.res = res
        self.ns = {k: 1e9 / v[0] for k, v in res.items()}
        self.gbs = {k: v[1] / 1e9 for k, v in res.items()}
        self.sizes = sorted({k[2] for k in res if isinstance(k[2], int)})
        self.kernels = order({k[0] for k in res if k[1] is not None and isinstance(k[2], int)},
                             KERNEL_ORDER)
        # Row-wise losses: shapes (rows, classes), by classes then rows.
        self.shapes = sorted({k[2] for k in res if isinstance(k[2], tuple)},
                             key=lambda s: (s[1], s[0]))
        self.row_kernels = order({k[0] for k in res
                                  if isinstance(k[2], tuple) and k[0] != "exp_pass"}, ROW_LOSSES)

    def variants(self, kernel, n):
        return order({k[1] for k in self.res if k[0] == kernel and k[2] == n}, VARIANT_ORDER)

    def triad(self, n):
        return self.gbs.get(("stream_triad", None, n))

    def exp_pass(self, shape):
        return self.ns.get(("exp_pass", "sleef_avx2", shape))

    def best_lossopt(self, kernel, n):
        fast = [(self.ns[(kernel, v, n)], v) for v in self.variants(kernel, n) if v in LOSSOPT_FAST]
        return min(fast) if fast else (None, None)


def kernel_rows(r, kernel):
    rows = []
    for n in r.sizes:
        triad = r.triad(n)
        scalar = r.ns.get((kernel, "scalar", n))
        plain = r.ns.get((kernel, "plain_native", n))
        torch_ns = r.ns.get((kernel, "torch", n))
        for v in r.variants(kernel, n):
            k = (kernel, v, n)
            rows.append({
                "kernel": kernel, "variant": v, "n": n, "ns_per_element": r.ns[k],
                "gb_per_s": r.gbs[k],
                "pct_triad": 100 * r.gbs[k] / triad if triad else None,
                "pct_triad_wa": 100 * r.gbs[k] / (triad * 16 / 12) if triad else None,
                "x_scalar": scalar / r.ns[k] if scalar else None,
                "x_plain_native": plain / r.ns[k] if plain else None,
                "x_torch": torch_ns / r.ns[k] if torch_ns and v != "torch" else None,
            })
    return rows


def row_rows(r, kernel):
    """Rows of the row-wise table: per shape and variant, ns/elem, GB/s and
    the ratios (x exp pass only for the losses with one exp per logit)."""
    rows = []
    for shape in r.shapes:
        scalar = r.ns.get((kernel, "scalar", shape))
        torch_ns = r.ns.get((kernel, "torch", shape))
        exp_ns = r.exp_pass(shape) if kernel in EXP_ROW_LOSSES else None
        for v in r.variants(kernel, shape):
            k = (kernel, v, shape)
            rows.append({
                "kernel": kernel, "variant": v, "rows": shape[0], "classes": shape[1],
                "n": shape[0] * shape[1], "ns_per_element": r.ns[k], "gb_per_s": r.gbs[k],
                "x_scalar": scalar / r.ns[k] if scalar else None,
                "x_torch": torch_ns / r.ns[k] if torch_ns and v != "torch" else None,
                "x_exp_pass": r.ns[k] / exp_ns if exp_ns else None,
            })
    return rows


def more_optimizer_rows(r):
    """The 0.2 optimizers' rows (and adam's, the reference): per kernel and
    size, the public call against the plain loops, PyTorch and the triad."""
    rows = []
    for kernel in [k for k in ["adam"] + MORE_OPTIMIZERS if k in r.kernels]:
        for n in r.sizes:
            k = (kernel, "public", n)
            if k not in r.ns:
                continue
            ns = r.ns[k]
            triad = r.triad(n)
            row = {"kernel": kernel, "n": n, "bytes_per_element": r.gbs[k] * ns,
                   "ns_per_element": ns, "gb_per_s": r.gbs[k],
                   "pct_triad_wa": 100 * r.gbs[k] / (triad * 16 / 12) if triad else None}
            for v in ("plain_O3", "plain_native", "plain_native_noerrno", "torch"):
                other = r.ns.get((kernel, v, n))
                row[f"{v}_ns"] = other
                row[f"x_{v}"] = other / ns if other else None
            rows.append(row)
    return rows


def more_optimizers_markdown(r):
    rows = more_optimizer_rows(r)
    if not any(row["kernel"] in MORE_OPTIMIZERS for row in rows):
        return []
    lines = []
    p = lines.append
    p("### 0.2 optimizers: the public call vs the plain loops, PyTorch and the stream\n")
    p("lossopt = the public _f32 call (dispatched), ns/elem; other cells: that baseline's "
      "ns/elem (its time / lossopt's time, > 1 = lossopt faster). plain = "
      "bench/plain_loops.c compiled -O3, -O3 -march=native, and -O3 -march=native "
      "-fno-math-errno ('-' when the bench was built without it); PyTorch = "
      "torch.optim foreach, one thread (" + "; ".join(NO_TORCH.values()) + "). "
      "% triad+WA = lossopt's GB/s over the same-run triad counting its write-allocate "
      "read (16 B/elem), the fair reference for an in-place update beyond the caches. "
      "Bytes per element: adagrad 20, adamax/nadam/radam 28, lion 20, lamb 40 (two passes: "
      "24 + 16); adam (28) is the reference row.\n")
    p("| optimizer | n | B/elem | lossopt ns/elem | plain -O3 | plain native "
      "| plain native -fno-math-errno | PyTorch foreach | % triad+WA |")
    p("|---|---|---:|---:|---:|---:|---:|---:|---:|")

    def cell(row, v):
        ns, x = row[f"{v}_ns"], row[f"x_{v}"]
        if ns is None:
            return "-"
        return f"{ns:.3f} ({x:.2f}x)"

    for row in rows:
        p(f"| {row['kernel']} | {size_name(row['n'])} | {row['bytes_per_element']:.0f} "
          f"| {row['ns_per_element']:.3f} | {cell(row, 'plain_O3')} "
          f"| {cell(row, 'plain_native')} | {cell(row, 'plain_native_noerrno')} "
          f"| {cell(row, 'torch')} | {fmt(row['pct_triad_wa'], '.0f')} |")
    p("")
    return lines


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def targets(r, have_torch):
    """SPEC.md section 3, each target checked on this run: list of dicts."""
    out = []

    def add(target, where, value, met):
        out.append({"target": target, "where": where, "measured": value,
                    "status": "n/a" if met is None else ("met" if met else "missed")})

    for cfg in [c for c in OPTIMIZERS if c in r.kernels]:
        ns, v = r.best_lossopt(cfg, DRAM)
        triad = r.triad(DRAM)
        if ns and triad:
            g = r.gbs[(cfg, v, DRAM)]
            add(">= 95 % of stream beyond cache", f"{cfg}, 16 Mi ({v})",
                f"{100 * g / triad:.0f} % of triad ({100 * g / (triad * 16 / 12):.0f} % of triad+WA)",
                g / (triad * 16 / 12) >= 0.95)
        for n in [n for n in r.sizes if 1024 <= n <= 65536]:
            ns, v = r.best_lossopt(cfg, n)
            plain = r.ns.get((cfg, "plain_native", n))
            if ns and plain:
                add(">= 1.0x plain -O3 -march=native, in cache", f"{cfg}, {size_name(n)} ({v})",
                    f"{plain / ns:.2f}x", plain / ns >= 1.0 / 1.03)
            t = r.ns.get((cfg, "torch", n))
            if ns:
                add(">= 5x PyTorch foreach, in cache", f"{cfg}, {size_name(n)} ({v})",
                    f"{t / ns:.1f}x" if t else "no PyTorch", (t / ns >= 5.0) if t else None)
    for loss in [k for k in LOSSES if k in r.kernels]:
        for n in [n for n in r.sizes if n >= 1024]:
            ns, v = r.best_lossopt(loss, n)
            t = r.ns.get((loss, "torch", n))
            if ns:
                add(">= 2x PyTorch fwd+bwd", f"{loss}, {size_name(n)} ({v})",
                    f"{t / ns:.1f}x" if t else "no PyTorch", (t / ns >= 2.0) if t else None)
        if loss in BANDWIDTH_BOUND_LOSSES:
            ns, v = r.best_lossopt(loss, DRAM)
            triad = r.triad(DRAM)
            if ns and triad:
                g = r.gbs[(loss, v, DRAM)]
                add(">= 80 % of stream beyond cache (bandwidth-bound losses)",
                    f"{loss}, 16 Mi ({v})", f"{100 * g / triad:.0f} % of triad", g / triad >= 0.80)
    for ce in [k for k in SPEC_CE if k in r.row_kernels]:
        for shape in r.shapes:
            ns, v = r.best_lossopt(ce, shape)
            if not ns:
                continue
            where = f"{ce}, {size_name(shape)} ({v})"
            t = r.ns.get((ce, "torch", shape))
            add(">= 3x PyTorch cross_entropy fwd+bwd", where,
                f"{t / ns:.1f}x" if t else "no PyTorch", (t / ns >= 3.0) if t else None)
            e = r.exp_pass(shape)
            add("<= 1.5x one SLEEF exp pass over the logits", where,
                f"{ns / e:.2f}x" if e else "no exp pass", (ns / e <= 1.5) if e else None)
    # avx512 >= avx2 >= scalar, and the dispatcher's pick never slower than the best.
    order_ok, order_bad, pick_ok, pick_bad = 0, [], 0, []
    pairs = [(k, n) for k in r.kernels if k in OPTIMIZERS + LOSSES for n in r.sizes]
    pairs += [(k, s) for k in r.row_kernels for s in r.shapes]
    for kernel, n in pairs:
        times = [(isa, r.ns.get((kernel, isa, n))) for isa in ISAS]
        times = [(isa, t) for isa, t in times if t]
        for (a, ta), (b, tb) in zip(times, times[1:]):
            if b == "neon" or a == "neon":
                continue
            if tb <= ta * NOISE:
                order_ok += 1
            else:
                order_bad.append(f"{kernel}/{size_name(n)}: {b} {tb:.3f} vs {a} {ta:.3f}")
        pub = r.ns.get((kernel, "public", n))
        best = min((t for isa, t in times if isa != "scalar"), default=None)
        if pub and best:
            if pub <= best * NOISE:
                pick_ok += 1
            else:
                pick_bad.append(f"{kernel}/{size_name(n)}: public {pub:.3f} vs {best:.3f}")
    add("avx512 >= avx2 >= scalar at every size (10 % noise)", "every kernel and size",
        f"{order_ok} pairs ok" + (f"; slower: {'; '.join(order_bad)}" if order_bad else ""),
        not order_bad if order_ok or order_bad else None)
    if not any(k[1] == "avx512" for k in r.res):
        add("avx512 >= avx2", "every kernel and size", "no AVX-512 on this CPU", None)
    add("dispatcher's pick never slower than the best variant (10 % noise)",
        "every kernel and size",
        f"{pick_ok} ok" + (f"; slower: {'; '.join(pick_bad)}" if pick_bad else ""),
        not pick_bad if pick_ok or pick_bad else None)
    for kernel in ("sgd", "mse"):
        pub = r.ns.get((kernel, "public", 16))
        ts = [r.ns[(kernel, isa, 16)] for isa in ISAS[1:] if (kernel, isa, 16) in r.ns]
        if pub and ts:
            d = 16 * (pub - min(ts))
            add("public call on n = 16 within 10 ns of the variant", f"{kernel}, n = 16",
                f"{d:+.1f} ns per call", d <= 10.0)
    return out


# ---- the engine step (0.2) -----------------------------------------------------

ENGINE_PREFIX = "step_"
ENGINE_KERNELS = ["step_list_adam_f32", "step_adam_f32", "step_adam_mixed", "step_adam_bf16",
                  "step_adam_bf16_sr", "step_adam_f32_opts", "step_adam_f32_scaled",
                  "step_adam_mixed_opts",
                  "step_grad_stats_f32", "step_grad_stats_bf16"]
ENGINE_STREAMS = ["step_stream_adam_f32", "step_stream_adam_mixed", "step_stream_adam_bf16",
                  "step_stream_read_f32", "step_stream_read_bf16"]
ENGINE_VARIANTS = ["public", "one_call", "scalar", "avx2", "avx512", "neon", "native",
                   "threads_1", "threads_2", "torch"]
# Each configuration's same-byte reference (bench/stream.c).
ENGINE_STREAM_OF = {"step_adam_f32": "step_stream_adam_f32",
                    "step_adam_mixed": "step_stream_adam_mixed",
                    "step_adam_bf16": "step_stream_adam_bf16",
                    "step_adam_bf16_sr": "step_stream_adam_bf16",
                    "step_grad_stats_f32": "step_stream_read_f32",
                    "step_grad_stats_bf16": "step_stream_read_bf16"}
ENGINE_DESCRIPTION = {
    "step_list_adam_f32": "Adam, all f32, no options (28 B)",
    "step_adam_f32": "Adam, all f32 (28 B)",
    "step_adam_mixed": "Adam, bf16 grad + f32 param/states + bf16 copy (28 B)",
    "step_adam_bf16": "Adam, all bf16, round to nearest (14 B)",
    "step_adam_bf16_sr": "Adam, all bf16, stochastic rounding (14 B)",
    "step_adam_f32_opts": "step_adam_f32 + loss_scale, max_grad_norm (clipping), "
                          "skip_nonfinite (32 B)",
    "step_adam_f32_scaled": "step_adam_f32 + loss_scale alone: the multiplied step, no "
                            "statistics pass (28 B)",
    "step_adam_mixed_opts": "step_adam_mixed + the same options (30 B)",
    "step_grad_stats_f32": "lossopt_grad_stats, f32 grads (4 B)",
    "step_grad_stats_bf16": "lossopt_grad_stats, bf16 grads (2 B)",
    "step_stream_adam_f32": "f32 p, m, v in place + f32 g read (28 B)",
    "step_stream_adam_mixed": "f32 p, m, v in place + bf16 g read + bf16 copy written (28 B)",
    "step_stream_adam_bf16": "bf16 p, m, v in place + bf16 g read (14 B)",
    "step_stream_read_f32": "f32 read only (4 B)",
    "step_stream_read_bf16": "bf16 read only (2 B)",
}


class Engine:
    """The step_* rows: (kernel, variant) -> shape, ns/elem, GB/s, B/elem."""

    def __init__(self, res):
        self.rows = {}
        for (kernel, variant, n), (items, byts) in res.items():
            if kernel.startswith(ENGINE_PREFIX) and variant is not None and items:
                self.rows[(kernel, variant)] = {"kernel": kernel, "variant": variant, "shape": n,
                                                "ns_per_element": 1e9 / items,
                                                "gb_per_s": byts / 1e9,
                                                "bytes_per_element": byts / items}

    def ns(self, kernel, variant):
        row = self.rows.get((kernel, variant))
        return row["ns_per_element"] if row else None

    def stream_of(self, kernel, variant):
        """The row's same-byte reference: same thread count, same clock."""
        stream = ENGINE_STREAM_OF.get(kernel)
        if stream is None or variant in ("torch", "one_call"):
            return None
        return self.ns(stream, variant if variant in ("threads_1", "threads_2") else "native")

    def table(self, kernels):
        out = []
        for kernel in order({k for k, _ in self.rows if k in kernels}, kernels):
            for variant in order({v for k, v in self.rows if k == kernel}, ENGINE_VARIANTS):
                row = dict(self.rows[(kernel, variant)])
                stream = self.stream_of(kernel, variant)
                row["pct_stream"] = 100 * stream / row["ns_per_element"] if stream else None
                out.append(row)
        return out


def shape_name(shape):
    if isinstance(shape, tuple):
        return f"{shape[0]} x {shape[1]}"
    return f"{shape} ({size_name(shape)})"


def engine_targets(e, have_torch):
    """SPEC.md section 3, "Targets added in 0.2", each checked on this run."""
    out = []

    def add(target, where, measured, bound, met):
        out.append({"spec": "0.2", "target": target, "where": where, "measured": measured,
                    "bound": bound,
                    "status": "info" if bound == "-" else
                              "n/a" if met is None else ("met" if met else "missed")})

    def ns(kernel, variant="public"):
        return e.ns(kernel, variant)

    lst, one, torch = (ns("step_list_adam_f32"), ns("step_list_adam_f32", "one_call"),
                       ns("step_list_adam_f32", "torch"))
    if lst and one:
        add("tensor list, 1000 x 4096 f32 Adam: per-element speed vs one call over 4096000",
            "public list call vs lossopt_adam_step_f32",
            f"{one / lst:.2f}x ({lst:.3f} vs {one:.3f} ns/elem)", ">= 0.9x", one / lst >= 0.9)
    if lst:
        add("tensor list, 1000 x 4096 f32 Adam vs PyTorch foreach Adam (one thread)",
            "public list call vs torch.optim.Adam(foreach=True)",
            f"{torch / lst:.1f}x ({lst:.3f} vs {torch:.3f} ns/elem)" if torch else
            "no PyTorch", ">= 4.5x", (torch / lst >= 4.5) if torch else None)
    for kernel in ("step_adam_mixed", "step_adam_f32", "step_adam_bf16", "step_adam_bf16_sr"):
        t, st = ns(kernel), e.stream_of(kernel, "public")
        if t and st:
            targeted = kernel == "step_adam_mixed"
            add(f"{ENGINE_DESCRIPTION[kernel]}, beyond cache: % of its same-run stream"
                + ("" if targeted else " (reported, no 0.2 target)"),
                f"256 x 65536, public vs {ENGINE_STREAM_OF[kernel]}",
                f"{100 * st / t:.1f} % ({t:.3f} vs {st:.3f} ns/elem)",
                ">= 90 %" if targeted else "-", st / t >= 0.90)
    f32, bf16, sr = ns("step_adam_f32"), ns("step_adam_bf16"), ns("step_adam_bf16_sr")
    if f32 and bf16:
        add("all-bf16 Adam (14 B), round to nearest, beyond cache: speedup over all-f32 Adam",
            "256 x 65536, public", f"{f32 / bf16:.2f}x ({bf16:.3f} vs {f32:.3f} ns/elem)",
            ">= 1.8x", f32 / bf16 >= 1.8)
    if f32 and sr:
        add("all-bf16 Adam, stochastic rounding, beyond cache: speedup over all-f32 Adam "
            "(reported separately)", "256 x 65536, public",
            f"{f32 / sr:.2f}x ({sr:.3f} vs {f32:.3f} ns/elem)", "-", None)
    for opts, plain in (("step_adam_f32_opts", "step_adam_f32"),
                        ("step_adam_mixed_opts", "step_adam_mixed")):
        a, b = ns(opts), ns(plain)
        if a and b:
            add("with unscale + clipping + skip check, beyond cache: time vs the plain step",
                f"256 x 65536, public, {plain} {'(f32 grads)' if 'f32' in plain else '(bf16 grads)'}",
                f"{a / b:.2f}x ({a:.3f} vs {b:.3f} ns/elem)", "<= 1.3x", a / b <= 1.3)
    a, b, st = ns("step_adam_f32_scaled"), ns("step_adam_f32"), ns("step_grad_stats_f32")
    if a and b:
        add("unscale alone (loss_scale: the multiplied step, no statistics pass), beyond "
            "cache: time vs the plain step (reported: splits the row above)",
            "256 x 65536, public, step_adam_f32",
            f"{a / b:.2f}x ({a:.3f} vs {b:.3f} ns/elem)"
            + (f"; the statistics pass alone: {st / b:.2f}x the plain step" if st else ""),
            "-", None)
    for kernel in ("step_grad_stats_f32", "step_grad_stats_bf16"):
        t, st = ns(kernel), e.stream_of(kernel, "public")
        if t and st:
            add("lossopt_grad_stats, beyond cache: % of same-run read bandwidth",
                f"256 x 65536, public vs {ENGINE_STREAM_OF[kernel]}",
                f"{100 * st / t:.1f} % ({t:.3f} vs {st:.3f} ns/elem)", ">= 90 %", st / t >= 0.90)
    t2, s2 = ns("step_adam_f32", "threads_2"), e.stream_of("step_adam_f32", "threads_2")
    if t2 and s2:
        add("2 threads (built-in pool), beyond cache: % of a same-run 2-thread stream of the "
            "same bytes", "step_adam_f32 256 x 65536, wall time",
            f"{100 * s2 / t2:.1f} % ({t2:.3f} vs {s2:.3f} ns/elem)", ">= 90 %", s2 / t2 >= 0.90)
    t1, s1 = ns("step_adam_f32", "threads_1"), e.stream_of("step_adam_f32", "threads_1")
    if t1 and t2:
        add("2 threads vs 1, beyond cache (reported: bandwidth-bound)",
            "step_adam_f32 256 x 65536, wall time",
            f"{t1 / t2:.2f}x (stream {s1 / s2:.2f}x)" if s1 and s2 else f"{t1 / t2:.2f}x",
            "-", None)
    l1, l2 = ns("step_list_adam_f32", "threads_1"), ns("step_list_adam_f32", "threads_2")
    if l1 and l2:
        add("1000 x 4096 tensors, 2 threads (built-in pool) vs 1", "f32 Adam list, wall time",
            f"{l1 / l2:.2f}x ({l2:.3f} vs {l1:.3f} ns/elem)"
            + (f"; the 2-thread stream gains {s1 / s2:.2f}x at 16 Mi" if s1 and s2 else ""),
            ">= 1.5x", l1 / l2 >= 1.5)
    return out


def engine_markdown(e, tg):
    lines = []
    p = lines.append
    p("### Engine step (0.2): tensor-list Adam, 16-bit storage, options, threads\n")
    p("Rows: 1000 x 4096 = the tensor list (4096000 elements, one_call = one "
      "lossopt_adam_step_f32 over 1 x 4096000); 256 x 65536 = 16 Mi elements beyond the "
      "caches. public = the dispatched call, no pool; an ISA name = that kernel table; "
      "threads_1 / threads_2 = no pool / lossopt_threads_create(2), wall time. % stream = "
      "the same-run reference moving the same bytes with the same access pattern "
      "(step_stream_*, -O3 -march=native; same thread count and clock), its time over the "
      "row's time.\n")
    p("| config | variant | tensors x elements | B/elem | ns/elem | GB/s | % stream |")
    p("|---|---|---|---:|---:|---:|---:|")
    for row in e.table(ENGINE_KERNELS):
        p(f"| {row['kernel']} | {row['variant']} | {shape_name(row['shape'])} "
          f"| {row['bytes_per_element']:.0f} | {row['ns_per_element']:.3f} "
          f"| {row['gb_per_s']:.1f} | {fmt(row['pct_stream'], '.0f')} |")
    p("")
    p("Same-run references (bench/stream.c): " + "; ".join(
        f"{k}: {v}" for k, v in ENGINE_DESCRIPTION.items() if k in ENGINE_STREAMS) + "\n")
    p("| reference | variant | n | B/elem | ns/elem | GB/s |")
    p("|---|---|---|---:|---:|---:|")
    for row in e.table(ENGINE_STREAMS):
        p(f"| {row['kernel']} | {row['variant']} | {shape_name(row['shape'])} "
          f"| {row['bytes_per_element']:.0f} | {row['ns_per_element']:.3f} "
          f"| {row['gb_per_s']:.1f} |")
    p("")
    return lines


def markdown(r, ctx, torch_ctx, torch_note):
    lines = []
    p = lines.append
    p(f"lossopt_bench, {ctx.get('date', '?')}, {ctx.get('num_cpus', '?')} CPUs @ "
      f"{ctx.get('mhz_per_cpu', '?')} MHz, active ISA {ctx.get('lossopt_active_isa', '?')}, "
      f"{ctx.get('lossopt_mode', 'full')} run\n")
    if torch_ctx:
        p(f"PyTorch {torch_ctx.get('torch_version', '?')}, "
          f"{torch_ctx.get('torch_threads', '?')} thread (column x PyTorch).\n")
    else:
        p(f"PyTorch: {torch_note} (column x PyTorch empty).\n")

    p("### Same-run bandwidth reference (STREAM-like, copy 8 B/elem, triad 12 B/elem)\n")
    p("| n | copy GB/s | triad GB/s |")
    p("|---|---:|---:|")
    for n in r.sizes:
        c, t = r.gbs.get(("stream_copy", None, n)), r.gbs.get(("stream_triad", None, n))
        if c or t:
            p(f"| {size_name(n)} | {fmt(c, '.1f')} | {fmt(t, '.1f')} |")
    p("")

    for kernel in r.kernels:
        p(f"### {kernel}\n")
        p("| n | variant | ns/elem | GB/s | % triad | % triad+WA | x scalar | x plain_nat "
          "| x PyTorch |")
        p("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for row in kernel_rows(r, kernel):
            p(f"| {size_name(row['n'])} | {row['variant']} | {row['ns_per_element']:.3f} "
              f"| {row['gb_per_s']:.1f} | {fmt(row['pct_triad'], '.0f')} "
              f"| {fmt(row['pct_triad_wa'], '.0f')} | {fmt(row['x_scalar'], '.2f')} "
              f"| {fmt(row['x_plain_native'], '.2f')} | {fmt(row['x_torch'], '.2f')} |")
        p("")

    if r.row_kernels:
        p("### Row-wise losses (rows x classes logits, MEAN, loss + gradient)\n")
        p("cross_entropy: class-index labels; cross_entropy_ls: the same, label_smoothing "
          "0.1; cross_entropy_probs: soft targets; multi_margin: p = 1, margin 1. Bytes per "
          "element: 8 (logits read, gradient written), 12 for cross_entropy_probs (+ the "
          "targets). x exp pass = time / time of one SLEEF AVX2 exp pass over the same "
          "logits (SPEC: cross_entropy <= 1.5).\n")
        p("| shape | exp pass ns/elem |")
        p("|---|---:|")
        for shape in r.shapes:
            p(f"| {size_name(shape)} | {fmt(r.exp_pass(shape), '.3f')} |")
        p("")
        for kernel in r.row_kernels:
            p(f"#### {kernel}\n")
            p("| rows x classes | variant | ns/elem | GB/s | x scalar | x PyTorch | x exp pass |")
            p("|---|---|---:|---:|---:|---:|---:|")
            for row in row_rows(r, kernel):
                p(f"| {row['rows']} x {row['classes']} | {row['variant']} "
                  f"| {row['ns_per_element']:.3f} | {row['gb_per_s']:.1f} "
                  f"| {fmt(row['x_scalar'], '.2f')} | {fmt(row['x_torch'], '.2f')} "
                  f"| {fmt(row['x_exp_pass'], '.2f')} |")
            p("")

    lines += more_optimizers_markdown(r)

    p("### Best lossopt variant (vector ISAs and public) per kernel\n")
    p("cells: x plain_native / x scalar / x PyTorch (time ratios, > 1 = lossopt faster); "
      "exp_pass: ns/elem of one SLEEF AVX2 exp pass, and the loss's time in exp passes\n")
    big = [n for n in r.sizes if n >= 1024]
    p("| kernel | " + " | ".join(size_name(n) for n in big) + " |")
    p("|---|" + "---:|" * len(big))
    for kernel in [k for k in r.kernels if k != "exp_pass"]:
        cells = []
        for n in big:
            ns, v = r.best_lossopt(kernel, n)
            if not ns:
                cells.append("-")
                continue
            cell = (f"{ratio(r.ns.get((kernel, 'plain_native', n)), ns)} / "
                    f"{ratio(r.ns.get((kernel, 'scalar', n)), ns)} / "
                    f"{ratio(r.ns.get((kernel, 'torch', n)), ns)} ({v})")
            exp_ns = r.ns.get(("exp_pass", "sleef_avx2", n))
            if kernel in TRANSCENDENTAL_LOSSES and exp_ns:
                cell += f", {ns / exp_ns:.2f} exp passes"
            cells.append(cell)
        p(f"| {kernel} | " + " | ".join(cells) + " |")
    p("")
    if r.row_kernels:
        p("Row-wise losses, cells: x scalar / x PyTorch (variant), and the time in exp passes\n")
        p("| kernel | " + " | ".join(size_name(s) for s in r.shapes) + " |")
        p("|---|" + "---:|" * len(r.shapes))
        for kernel in r.row_kernels:
            cells = []
            for shape in r.shapes:
                ns, v = r.best_lossopt(kernel, shape)
                if not ns:
                    cells.append("-")
                    continue
                cell = (f"{ratio(r.ns.get((kernel, 'scalar', shape)), ns)} / "
                        f"{ratio(r.ns.get((kernel, 'torch', shape)), ns)} ({v})")
                exp_ns = r.exp_pass(shape)
                if kernel in EXP_ROW_LOSSES and exp_ns:
                    cell += f", {ns / exp_ns:.2f} exp passes"
                cells.append(cell)
            p(f"| {kernel} | " + " | ".join(cells) + " |")
        p("")
    return lines


def svg_chart(r, n):
    """Grouped bars: speedup over scalar per kernel at size n, then per
    row-wise loss at each rows x classes shape, one bar per vector ISA /
    public / plain_native / PyTorch. Hand-written SVG."""
    groups = [(k, k, n) for k in r.kernels if (k, "scalar", n) in r.ns]
    groups += [(f"{k} {s[0]}x{s[1]}", k, s) for k in r.row_kernels for s in r.shapes
               if (k, "scalar", s) in r.ns]
    kernels = [g[0] for g in groups]
    series = [v for v in ["avx2", "avx512", "neon", "public", "plain_native", "torch"]
              if any((k, v, gn) in r.ns for _, k, gn in groups)]
    colors = {"avx2": "#1f77b4", "avx512": "#9467bd", "neon": "#17becf", "public": "#2ca02c",
              "plain_native": "#ff7f0e", "torch": "#d62728"}
    vals = {(label, v): r.ns[(k, "scalar", gn)] / r.ns[(k, v, gn)]
            for label, k, gn in groups for v in series if (k, v, gn) in r.ns}
    top = max(vals.values(), default=1.0)
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500) if top / s <= 8)
    ymax = step * (int(top / step) + 1)
    W, H, left, right, top_m, bottom = 1400, 680, 70, 20, 70, 160
    pw, ph = W - left - right, H - top_m - bottom
    gw = pw / max(len(kernels), 1)
    bw = gw * 0.8 / max(len(series), 1)
    y = lambda v: top_m + ph * (1 - v / ymax)
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
         f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W / 2}" y="24" text-anchor="middle" font-size="18">lossopt: speedup over '
         f'the scalar variant, n = {n} floats ({size_name(n)}), one thread</text>',
         f'<text x="{W / 2}" y="44" text-anchor="middle" fill="#555">time of scalar / time of '
         f'variant (higher is faster); plain_native = plain C loop -O3 -march=native; '
         f'row-wise losses (right) at rows x classes</text>']
    v = 0
    while v <= ymax:
        o.append(f'<line x1="{left}" x2="{W - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                 f'stroke="#ddd"/>')
        o.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}x</text>')
        v += step
    o.append(f'<line x1="{left}" x2="{W - right}" y1="{y(1):.1f}" y2="{y(1):.1f}" '
             f'stroke="#000" stroke-dasharray="4 3"/>')
    for i, k in enumerate(kernels):
        x0 = left + i * gw + gw * 0.1
        for j, s in enumerate(series):
            if (k, s) not in vals:
                continue
            val = vals[(k, s)]
            x = x0 + j * bw
            o.append(f'<rect x="{x:.1f}" y="{y(val):.1f}" width="{bw - 1:.1f}" '
                     f'height="{top_m + ph - y(val):.1f}" fill="{colors[s]}">'
                     f'<title>{k} {s}: {val:.2f}x</title></rect>')
            o.append(f'<text x="{x + bw / 2:.1f}" y="{y(val) - 3:.1f}" text-anchor="middle" '
                     f'font-size="9" transform="rotate(-90 {x + bw / 2:.1f} {y(val) - 3:.1f})" '
                     f'dx="12" dy="3">{val:.1f}</text>')
        cx = left + i * gw + gw / 2
        o.append(f'<text x="{cx:.1f}" y="{top_m + ph + 16}" text-anchor="end" '
                 f'transform="rotate(-35 {cx:.1f} {top_m + ph + 16})">{k}</text>')
    o.append(f'<line x1="{left}" x2="{left}" y1="{top_m}" y2="{top_m + ph}" stroke="#000"/>')
    o.append(f'<line x1="{left}" x2="{W - right}" y1="{top_m + ph}" y2="{top_m + ph}" '
             f'stroke="#000"/>')
    lx = left
    for s in series:
        o.append(f'<rect x="{lx}" y="{H - 24}" width="14" height="14" fill="{colors[s]}"/>')
        label = {"torch": "PyTorch (1 thread)"}.get(s, s)
        o.append(f'<text x="{lx + 20}" y="{H - 12}">{label}</text>')
        lx += 40 + 8 * len(label)
    o.append("</svg>")
    return "\n".join(o) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description="Summarise lossopt_bench JSON output.",
                                 epilog=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("bench_json")
    ap.add_argument("--torch", help="JSON from bench/torch_compare.py")
    ap.add_argument("--torch-note", default="not measured (no --torch JSON given)",
                    help="what to print when there is no PyTorch JSON")
    ap.add_argument("--out", default="out/bench", help="output folder (default out/bench)")
    ap.add_argument("--chart-size", type=int, default=65536, help="n of the chart")
    args = ap.parse_args(argv[1:])

    data = load(args.bench_json)
    res = collect(data)
    torch_ctx = None
    if args.torch:
        tdata = load(args.torch)
        torch_ctx = tdata.get("context", {})
        res.update(collect(tdata))
    engine = Engine(res)
    r = Results({k: v for k, v in res.items() if not k[0].startswith(ENGINE_PREFIX)})
    ctx = data.get("context", {})
    tg = targets(r, torch_ctx is not None)
    etg = engine_targets(engine, torch_ctx is not None)

    lines = markdown(r, ctx, torch_ctx, args.torch_note)
    if engine.rows:
        lines += engine_markdown(engine, etg)
    lines.append("### SPEC.md section 3 targets, checked on this run\n")
    lines.append("(SPEC sets them for an AVX-512 host; \"n/a\" = not measurable here)\n")
    lines.append("| target | where | measured | status |")
    lines.append("|---|---|---|---|")
    for t in tg:
        lines.append(f"| {t['target']} | {t['where']} | {t['measured']} | {t['status']} |")
    met = sum(t["status"] == "met" for t in tg)
    missed = sum(t["status"] == "missed" for t in tg)
    lines.append(f"\n{met} met, {missed} missed, {len(tg) - met - missed} n/a. "
                 "avx512 is not measured unless the CPU has it.")
    if etg:
        lines.append("\n### SPEC.md section 3, targets added in 0.2 (engine step), checked on "
                     "this run\n")
        lines.append("(same run; ratios of ns/elem, > 1 = lossopt faster unless the bound says "
                     "<=; \"info\" rows are reported without a target)\n")
        lines.append("| target | where | measured | bound | status |")
        lines.append("|---|---|---|---|---|")
        for t in etg:
            lines.append(f"| {t['target']} | {t['where']} | {t['measured']} | {t['bound']} "
                         f"| {t['status']} |")
        emet = sum(t["status"] == "met" for t in etg)
        emissed = sum(t["status"] == "missed" for t in etg)
        ena = sum(t["status"] == "n/a" for t in etg)
        lines.append(f"\n0.2 targets: {emet} met, {emissed} missed, {ena} n/a "
                     f"({sum(t['status'] == 'info' for t in etg)} info rows).")
    md = "\n".join(lines) + "\n"

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.md"), "w", encoding="utf-8") as f:
        f.write(md)
    rows = [row for k in r.kernels for row in kernel_rows(r, k)]
    rows += [row for k in r.row_kernels for row in row_rows(r, k)]
    stream = [{"kernel": k[0], "n": k[2], "gb_per_s": r.gbs[k]}
              for k in sorted(k for k in r.gbs if k[1] is None and isinstance(k[2], int))]
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"context": ctx, "torch_context": torch_ctx,
                   "torch_note": None if torch_ctx else args.torch_note,
                   "stream": stream, "results": rows, "targets": tg,
                   "more_optimizers": more_optimizer_rows(r),
                   "engine_results": engine.table(ENGINE_KERNELS) + engine.table(ENGINE_STREAMS),
                   "engine_targets": etg}, f, indent=1)
    chart_n = args.chart_size if args.chart_size in r.sizes else max(
        (n for n in r.sizes if n >= 1024), default=args.chart_size)
    with open(os.path.join(args.out, "speedup.svg"), "w", encoding="utf-8") as f:
        f.write(svg_chart(r, chart_n))
    sys.stdout.write(md)


if __name__ == "__main__":
    main(sys.argv)
