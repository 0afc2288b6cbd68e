#!/usr/bin/env python3
"""Summarise lossopt_bench JSON output: markdown tables, a JSON digest and two
SVG charts (standard library only).

Usage:
    lossopt_bench --benchmark_out=bench.json --benchmark_out_format=json
    python3 bench/summarize.py bench.json [--torch torch.json | --torch-note TEXT]
                               [--python-step python_step.json | --python-step-note TEXT]
                               [--out DIR] [--chart-size N]

Writes DIR/results.md (also printed), DIR/results.json, DIR/speedup.svg and
DIR/bandwidth.svg;
DIR defaults to out/bench/. bench.json may be '-' (stdin).

Benchmark names are <kernel>/<variant>/<n>, stream_<pattern>/threads_<t>/<n>
(the same-bytes streams, bench_optimizers.cc) and exp_pass/sleef_<isa>/<n>,
and for the row-wise losses (cross_entropy, cross_entropy_ls = label
smoothing 0.1, cross_entropy_probs, multi_margin)
<kernel>/<variant>/<rows>x<classes> with exp_pass/sleef_<isa>/<rows>x<classes>
(Google Benchmark appends /min_time:.../repeats:..., ignored here). With
repetitions, or rows registered in interleaved rounds under one name, the
median is used; for the streams the best run. --torch merges the JSON of
bench/torch_compare.py (variant "torch"). Variants: the ISAs (scalar, avx2,
avx512 = the dispatcher's table, avx512_zmm / avx512_mixed = the avx512 table
it did not pick (all 512-bit / divide-bound kernels at 256 bits), neon), public (the dispatched call), threads_2 (the public
call on two threads, each one half, 16 Mi), plain_O3 / plain_native /
plain_native_noerrno (bench/plain_loops.c), plain_onediv_native[_noerrno]
(Adam only: DeepSpeed's one-division form), torch. Columns, per kernel and
size:
  ns/elem      time per element (1e9 / items_per_second)
  GB/s         bytes per second, bytes per element as in SPEC.md section 3
               (optimizers 12-40, elementwise losses 8 read + 4 written)
  % own stream at 16 Mi: GB/s over the same-run GB/s of the kernel's own
               same-bytes stream (STREAM_OF: the same bytes with the same
               access pattern, in-place arrays read and written in place),
               1 thread, or 2 threads for the threads_2 rows
  x scalar     speedup over the scalar variant (time ratio, > 1 = faster)
  x plain_nat  speedup over the plain C loop built -O3 -march=native
  x PyTorch    speedup over PyTorch CPU, one thread (torch.optim foreach
               step; torch.nn.functional loss forward + backward)
  x exp pass   row-wise losses: time over the time of one SLEEF exp pass of
               the row's ISA over the same rows x classes logits (avx2 ->
               sleef_avx2, avx512/avx512_zmm/avx512_mixed -> sleef_avx512, public and the
               rest -> the active ISA's; "*" = that pass was not measured,
               sleef_avx2 used instead) (SPEC: cross_entropy <= 1.5)
Only ratios within one run mean anything on a shared machine.

The 0.2 optimizers (adagrad, adamax, nadam, radam, lion, lamb; adam as the
reference row when present) also get a table of their own: per size the
public call's ns/elem and, as "ns (x ratio)" cells, the plain loops at -O3,
-O3 -march=native and -O3 -march=native -fno-math-errno (plain_native_noerrno,
when the bench was built with -DLOSSOPT_BENCH_PLAIN_NOERRNO=ON) and PyTorch
foreach (none for Lion and LAMB), plus % of the own stream (1 and 2 threads).

Further tables: the same-bytes streams and each kernel's fraction of its own
stream beyond cache; Adam in cache against every plain loop (one-division
form included); avx512 and the other avx512 table's time over avx2 time in cache (or a note
that the CPU has no AVX-512). Charts: speedup.svg = per kernel in cache, the
public call against PyTorch and against the plain -march=native loop (log
scale; the scalar ratio stays in the tables); bandwidth.svg = per kernel at
16 Mi, % of its own stream on 1 and 2 threads.

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

VARIANT_ORDER = ["scalar", "avx2", "avx512", "avx512_zmm", "avx512_mixed", "neon", "public", "threads_2",
                 "plain_O3", "plain_native", "plain_native_noerrno", "plain_onediv_native",
                 "plain_onediv_native_noerrno", "torch"]
# Each kernel's own same-bytes stream (bench_optimizers.cc, stream_of; the
# passes as (rw in place, r read, w written)) and the description of each.
STREAM_OF = {"sgd": "stream_rw1r1", "sgd_momentum": "stream_rw2r1", "rmsprop": "stream_rw2r1",
             "adam": "stream_rw3r1", "adamw": "stream_rw3r1", "adam_amsgrad": "stream_rw4r1",
             "adagrad": "stream_rw2r1", "adamax": "stream_rw3r1", "nadam": "stream_rw3r1",
             "radam": "stream_rw3r1", "lion": "stream_rw2r1", "lamb": "stream_lamb"}
STREAMS = {"stream_rw1r1": "1 array read+written in place, 1 read (12 B)",
           "stream_rw2r1": "2 in place, 1 read (20 B)",
           "stream_rw3r1": "3 in place, 1 read (28 B: 4 reads + 3 writes)",
           "stream_rw4r1": "4 in place, 1 read (36 B)",
           "stream_lamb": "two passes: 2 in place + 2 read, then 1 in place + 2 read (40 B)",
           "stream_r2w1": "2 read, 1 written (12 B; + its write-allocate read, not counted)"}
PLAIN_ADAM = ["plain_native", "plain_native_noerrno", "plain_onediv_native",
              "plain_onediv_native_noerrno"]
ZMM = "avx512_zmm"
MIXED = "avx512_mixed"  # the other avx512 table on a CPU where the pick is zmm (AMD)
OPTIMIZERS = ["sgd", "sgd_momentum", "rmsprop", "adam", "adamw", "adam_amsgrad",
              "adagrad", "adamax", "nadam", "radam", "lion", "lamb"]
# The 0.2 optimizers (include/lossopt.h, "More optimizers"): a table of their
# own with the public call against every plain loop, PyTorch and the stream.
MORE_OPTIMIZERS = ["adagrad", "adamax", "nadam", "radam", "lion", "lamb"]
NO_TORCH = {"lion": "PyTorch has no Lion", "lamb": "PyTorch has no LAMB"}
LOSSES = ["mse", "l1", "huber", "smooth_l1", "hinge", "squared_hinge", "bce", "bce_logits",
          "soft_margin", "poisson_nll", "kl_div"]
BANDWIDTH_BOUND_LOSSES = ["mse", "l1", "huber", "hinge"]
TRANSCENDENTAL_LOSSES = ["bce", "bce_logits", "soft_margin", "poisson_nll", "kl_div"]
STREAM_OF.update({loss: "stream_r2w1" for loss in LOSSES})
ROW_LOSSES = ["cross_entropy", "cross_entropy_ls", "cross_entropy_probs", "multi_margin",
              "multilabel_soft_margin", "cross_entropy_bf16_in_place", "nll"]
# one exp per logit
EXP_ROW_LOSSES = ["cross_entropy", "cross_entropy_ls", "cross_entropy_probs",
                  "cross_entropy_bf16_in_place"]
SPEC_CE = ["cross_entropy", "cross_entropy_ls"]  # SPEC section 3's cross_entropy target
KERNEL_ORDER = OPTIMIZERS + LOSSES + ["exp_pass"]
LOSSOPT_FAST = {"avx2", "avx512", "avx512_zmm", "avx512_mixed", "neon", "public"}
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
    """('adam', 'avx2', 65536), ('stream_rw3r1', 'threads_1', 16777216) or
    ('cross_entropy', 'avx2', (64, 1000))."""
    name = entry.get("run_name") or entry["name"]
    parts = [p for p in name.split("/") if ":" not in p]
    if len(parts) == 2:
        return parts[0], None, parse_n(parts[1])
    return parts[0], parts[1], parse_n(parts[2])


def collect(data, info=None):
    """key -> (items/s, bytes/s): the median over a name's runs (repetitions,
    or interleaved rounds registered under one name), except the same-bytes
    streams (stream_*), whose best run is kept (a bandwidth reference is the
    best the machine did in this run). info, if given, receives per key the
    number of runs and the wall-clock items/s (items/s x cpu / real time: the
    1-thread rows are timed on the CPU clock, the 2-thread ones on the wall)."""
    medians, runs = {}, {}
    for index, e in enumerate(data.get("benchmarks", [])):
        if e.get("error_occurred"):
            continue
        k = key_of(e)
        value = (e.get("items_per_second"), e.get("bytes_per_second"))
        if None in value:
            continue
        wall = value[0]
        if e.get("cpu_time") and e.get("real_time") and "/real_time" not in e.get("name", ""):
            wall = value[0] * e["cpu_time"] / e["real_time"]
        if e.get("run_type") == "aggregate":
            if e.get("aggregate_name") == "median":
                medians[k] = value
        else:
            runs.setdefault(k, []).append(value + (wall, index))
    result = {}
    for k, vs in runs.items():
        if k[0].startswith("stream_"):
            best = max(vs)
            result[k] = best[:2]
            walls = [v[2] for v in vs]
            if info is not None:
                info[k] = {"runs": len(vs), "wall_items": max(walls),
                           "at": [(v[3], v[0]) for v in vs]}
        else:
            result[k] = (statistics.median(v[0] for v in vs), statistics.median(v[1] for v in vs))
            if info is not None:
                info[k] = {"runs": len(vs), "wall_items": statistics.median(v[2] for v in vs),
                           "at": [(v[3], v[0]) for v in vs]}
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
    def __init__(self, res, ctx=None, info=None):
        self.res = res
        self.ctx = ctx or {}
        self.info = info or {}
        self.active = self.ctx.get("lossopt_active_isa", "avx2")
        self.ns = {k: 1e9 / v[0] for k, v in res.items()}
        self.gbs = {k: v[1] / 1e9 for k, v in res.items()}
        self.sizes = sorted({k[2] for k in res if isinstance(k[2], int)})
        self.kernels = order({k[0] for k in res if k[1] is not None and isinstance(k[2], int)
                              and not k[0].startswith("stream_")}, KERNEL_ORDER)
        self.streams = order({k[0] for k in res if k[0].startswith("stream_")}, list(STREAMS))
        # Row-wise losses: shapes (rows, classes), by classes then rows.
        self.shapes = sorted({k[2] for k in res if isinstance(k[2], tuple)},
                             key=lambda s: (s[1], s[0]))
        self.row_kernels = order({k[0] for k in res
                                  if isinstance(k[2], tuple) and k[0] != "exp_pass"}, ROW_LOSSES)

    def variants(self, kernel, n):
        return order({k[1] for k in self.res if k[0] == kernel and k[2] == n}, VARIANT_ORDER)

    def stream_gbs(self, kernel, n, threads):
        """GB/s of kernel's own stream at n with 1 or 2 threads (1: CPU clock, 2: wall)."""
        name = STREAM_OF.get(kernel)
        return self.gbs.get((name, f"threads_{threads}", n)) if name else None

    def local_stream_gbs(self, kernel, variant, n):
        """The stream reference of one row: the best of its own stream's runs
        adjacent to the row in the run order (the last one before it and the
        first one after it, same thread count), so that a drift of a shared
        machine's load between distant runs does not enter the ratio; the
        best of all runs when the order is unknown."""
        name = STREAM_OF.get(kernel)
        t = 2 if variant == "threads_2" else 1
        if not name:
            return None
        at = self.info.get((kernel, variant, n), {}).get("at")
        sk = (name, f"threads_{t}", n)
        sat = self.info.get(sk, {}).get("at")
        if not at or not sat or sk not in self.res:
            return self.stream_gbs(kernel, n, t)
        i = statistics.median(a for a, _ in at)
        before = [r for r in sat if r[0] < i]
        after = [r for r in sat if r[0] > i]
        near = ([max(before)] if before else []) + ([min(after)] if after else [])
        bpe = self.res[sk][1] / self.res[sk][0]
        return max(items for _, items in near) * bpe / 1e9 if near else None

    def pct_stream(self, kernel, variant, n):
        """A row's GB/s over its own stream's at the same n (local_stream_gbs):
        threads_2 rows against the 2-thread stream, every other row against
        the 1-thread one."""
        k = (kernel, variant, n)
        if k not in self.gbs or variant == "torch":
            return None
        st = self.local_stream_gbs(kernel, variant, n)
        return 100 * self.gbs[k] / st if st else None

    def exp_isa(self, variant):
        """The ISA whose SLEEF exp pass is a row's reference."""
        if variant in ("avx512", ZMM, MIXED):
            return "avx512"
        if variant in ("avx2", "neon"):
            return variant
        return self.active  # public, scalar, plain, torch: the machine's active ISA

    def exp_pass_of(self, shape, variant="public"):
        """(ns/elem, reference name, fell back?) of the exp pass of the row's
        ISA, falling back to sleef_avx2 when that ISA's pass was not measured."""
        want = "sleef_" + self.exp_isa(variant)
        ns = self.ns.get(("exp_pass", want, shape))
        if ns:
            return ns, want, False
        ns = self.ns.get(("exp_pass", "sleef_avx2", shape))
        return (ns, "sleef_avx2", True) if ns else (None, None, False)

    def exp_pass(self, shape, variant="public"):
        return self.exp_pass_of(shape, variant)[0]

    def best_lossopt(self, kernel, n):
        fast = [(self.ns[(kernel, v, n)], v) for v in self.variants(kernel, n) if v in LOSSOPT_FAST]
        return min(fast) if fast else (None, None)


def kernel_rows(r, kernel):
    rows = []
    for n in r.sizes:
        scalar = r.ns.get((kernel, "scalar", n))
        plain = r.ns.get((kernel, "plain_native", n))
        torch_ns = r.ns.get((kernel, "torch", n))
        for v in r.variants(kernel, n):
            k = (kernel, v, n)
            rows.append({
                "kernel": kernel, "variant": v, "n": n, "ns_per_element": r.ns[k],
                "gb_per_s": r.gbs[k],
                "pct_stream": r.pct_stream(kernel, v, n) if n >= DRAM else None,
                # (a 2-thread wall time is not compared with 1-thread rows)
                "x_scalar": scalar / r.ns[k] if scalar and v != "threads_2" else None,
                "x_plain_native": plain / r.ns[k] if plain and v != "threads_2" else None,
                "x_torch": (torch_ns / r.ns[k] if torch_ns and v not in ("torch", "threads_2")
                            else None),
            })
    return rows


def row_rows(r, kernel):
    """Rows of the row-wise table: per shape and variant, ns/elem, GB/s and
    the ratios (x exp pass only for the losses with one exp per logit)."""
    rows = []
    for shape in r.shapes:
        scalar = r.ns.get((kernel, "scalar", shape))
        torch_ns = r.ns.get((kernel, "torch", shape))
        for v in r.variants(kernel, shape):
            k = (kernel, v, shape)
            exp_ns, exp_ref, fallback = (r.exp_pass_of(shape, v) if kernel in EXP_ROW_LOSSES
                                         else (None, None, False))
            rows.append({
                "kernel": kernel, "variant": v, "rows": shape[0], "classes": shape[1],
                "n": shape[0] * shape[1], "ns_per_element": r.ns[k], "gb_per_s": r.gbs[k],
                "x_scalar": scalar / r.ns[k] if scalar else None,
                "x_torch": torch_ns / r.ns[k] if torch_ns and v != "torch" else None,
                "x_exp_pass": r.ns[k] / exp_ns if exp_ns else None,
                "exp_pass_ref": exp_ref, "exp_pass_fallback": fallback,
            })
    return rows


def more_optimizer_rows(r):
    """The 0.2 optimizers' rows (and adam's, the reference): per kernel and
    size, the public call against the plain loops, PyTorch and its own stream."""
    rows = []
    for kernel in [k for k in ["adam"] + MORE_OPTIMIZERS if k in r.kernels]:
        for n in r.sizes:
            k = (kernel, "public", n)
            if k not in r.ns:
                continue
            ns = r.ns[k]
            row = {"kernel": kernel, "n": n, "bytes_per_element": r.gbs[k] * ns,
                   "ns_per_element": ns, "gb_per_s": r.gbs[k],
                   "pct_stream": r.pct_stream(kernel, "public", n) if n >= DRAM else None,
                   "pct_stream_2t": r.pct_stream(kernel, "threads_2", n) if n >= DRAM else None}
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
      "% stream 1T / 2T = at 16 Mi, lossopt's GB/s over its own same-bytes stream's (same "
      "access pattern), one thread, and two threads each doing one half (wall clock). "
      "Bytes per element: adagrad 20, adamax/nadam/radam 28, lion 20, lamb 40 (two passes: "
      "24 + 16); adam (28) is the reference row.\n")
    p("| optimizer | n | B/elem | lossopt ns/elem | plain -O3 | plain native "
      "| plain native -fno-math-errno | PyTorch foreach | % stream 1T / 2T |")
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
          f"| {cell(row, 'torch')} | {fmt(row['pct_stream'], '.0f')} / "
          f"{fmt(row['pct_stream_2t'], '.0f')} |")
    p("")
    return lines


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def pct(x):
    return "-" if x is None else f"{x:.0f} %"


IN_CACHE = (1024, 65536)   # n in [1024, 65536]: L1/L2 (4 Ki, 64 Ki)


def in_cache(r):
    return [n for n in r.sizes if IN_CACHE[0] <= n <= IN_CACHE[1]]


def adam_plain_best(r, n):
    """The fastest plain-C Adam loop at n (two-division and one-division forms)."""
    cands = [(r.ns[("adam", v, n)], v) for v in PLAIN_ADAM if ("adam", v, n) in r.ns]
    return min(cands) if cands else (None, None)


def alt_label(rows):
    """The name of the other avx512 table in these rows."""
    return next((row["other"] for row in rows if row["zmm_ns"]), ZMM)


def avx512_rows(r):
    """Per kernel and in-cache size (or row-wise shape): avx2 ns and the
    avx512 (the dispatcher's table) and the other avx512 table's ratios:
    avx512_zmm (all 512-bit) on Intel, avx512_mixed on AMD (the pick is zmm)."""
    out = []
    pairs = [(k, n) for k in r.kernels if k != "exp_pass" for n in in_cache(r)]
    pairs += [(k, s) for k in r.row_kernels for s in r.shapes]
    for kernel, n in pairs:
        a2 = r.ns.get((kernel, "avx2", n))
        a5 = r.ns.get((kernel, "avx512", n))
        other = ZMM if (kernel, ZMM, n) in r.ns else MIXED
        z = r.ns.get((kernel, other, n))
        if a2 and (a5 or z):
            out.append({"kernel": kernel, "n": n, "avx2_ns": a2, "avx512_ns": a5, "zmm_ns": z,
                        "other": other,
                        "avx512_over_avx2": a5 / a2 if a5 else None,
                        "zmm_over_avx2": z / a2 if z else None})
    return out


def targets(r, have_torch):
    """SPEC.md section 3 (and the issue 14 rows), each target checked on this
    run: list of dicts."""
    out = []

    def add(target, where, value, met):
        out.append({"target": target, "where": where, "measured": value,
                    "status": "n/a" if met is None else ("met" if met else "missed")})

    # Beyond cache: each kernel's fraction of its own same-bytes stream.
    for cfg in [c for c in OPTIMIZERS + BANDWIDTH_BOUND_LOSSES if c in r.kernels]:
        loss = cfg in LOSSES
        bound = 0.80 if loss else 0.95
        ns, v = r.best_lossopt(cfg, DRAM)
        pct = r.pct_stream(cfg, v, DRAM) if v else None
        if pct is not None:
            add(f">= {100 * bound:.0f} % of its own same-bytes stream beyond cache, 1 thread"
                + (" (bandwidth-bound losses)" if loss else ""),
                f"{cfg}, 16 Mi ({v}) vs {STREAM_OF[cfg]}",
                f"{pct:.0f} % ({r.gbs[(cfg, v, DRAM)]:.1f} vs "
                f"{r.local_stream_gbs(cfg, v, DRAM):.1f} GB/s)", pct >= 100 * bound)
        pct2 = r.pct_stream(cfg, "threads_2", DRAM)
        if pct2 is not None:
            bound2 = 80 if loss else 90
            add(f">= {bound2} % of its own same-bytes stream beyond cache, 2 threads (each "
                "one half)" + (" (bandwidth-bound losses)" if loss else ""),
                f"{cfg}, 16 Mi (public x 2) vs {STREAM_OF[cfg]} x 2",
                f"{pct2:.0f} % ({r.gbs[(cfg, 'threads_2', DRAM)]:.1f} vs "
                f"{r.local_stream_gbs(cfg, 'threads_2', DRAM):.1f} GB/s)", pct2 >= bound2)
    # In cache: the plain -march=native loop and PyTorch foreach.
    for cfg in [c for c in OPTIMIZERS if c in r.kernels]:
        for n in in_cache(r):
            ns, v = r.best_lossopt(cfg, n)
            plain = r.ns.get((cfg, "plain_native", n))
            if ns and plain:
                add(">= 1.0x plain -O3 -march=native, in cache", f"{cfg}, {size_name(n)} ({v})",
                    f"{plain / ns:.2f}x", plain / ns >= 1.0 / 1.03)
            t = r.ns.get((cfg, "torch", n))
            if ns and (t or cfg == "adam"):
                add(">= 4.5x PyTorch foreach, in cache", f"{cfg}, {size_name(n)} ({v})",
                    f"{t / ns:.2f}x ({ns:.3f} vs {t:.3f} ns/elem)" if t else "no PyTorch",
                    (t / ns >= 4.5) if t else None)
    # Adam in cache against the fastest plain loop, one-division form included.
    for n in [n for n in r.sizes if n in (4096, 65536)]:
        ns, v = r.best_lossopt("adam", n)
        pub = r.ns.get(("adam", "public", n))
        best, bv = adam_plain_best(r, n)
        if pub and best:
            onediv = [f"{w.replace('plain_', '')} {r.ns[('adam', w, n)]:.3f}"
                      for w in PLAIN_ADAM if ("adam", w, n) in r.ns]
            add(">= 0.97x the fastest plain-C Adam (one-division form included; median of "
                "interleaved rounds)", f"adam, {size_name(n)} (public {pub:.3f} ns/elem)",
                f"{best / pub:.2f}x vs {bv} ({'; '.join(onediv)} ns/elem)", best / pub >= 0.97)
    for loss in [k for k in LOSSES if k in r.kernels]:
        for n in [n for n in r.sizes if n >= 1024]:
            ns, v = r.best_lossopt(loss, n)
            t = r.ns.get((loss, "torch", n))
            if ns:
                add(">= 2x PyTorch fwd+bwd", f"{loss}, {size_name(n)} ({v})",
                    f"{t / ns:.1f}x" if t else "no PyTorch", (t / ns >= 2.0) if t else None)
    for ce in [k for k in SPEC_CE if k in r.row_kernels]:
        for shape in r.shapes:
            ns, v = r.best_lossopt(ce, shape)
            if not ns:
                continue
            where = f"{ce}, {size_name(shape)} ({v})"
            t = r.ns.get((ce, "torch", shape))
            add(">= 3x PyTorch cross_entropy fwd+bwd", where,
                f"{t / ns:.1f}x" if t else "no PyTorch", (t / ns >= 3.0) if t else None)
            e, ref, fb = r.exp_pass_of(shape, v)
            add("<= 1.5x one SLEEF exp pass over the logits (same ISA)", where,
                (f"{ns / e:.2f}x {ref}" + (f" (no sleef_{r.exp_isa(v)} row: fell back)"
                                            if fb else "")) if e else "no exp pass",
                (ns / e <= 1.5) if e else None)
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
    rows = avx512_rows(r)
    if not rows:
        add("AVX-512 never loses to AVX2: avx512 (pick) and the other avx512 table's time / avx2 "
            "time <= 1.0, "
            "in cache", "every kernel, in-cache sizes",
            f"no avx512 rows: this CPU has no AVX-512 (active ISA {r.active})", None)
    for col, label in (("avx512_over_avx2", "avx512 (the dispatcher's table)"),
                       ("zmm_over_avx2", "the other avx512 table (" + alt_label(rows) + ")")):
        vals = [(row[col], row["kernel"], row["n"]) for row in rows if row[col] is not None]
        if vals:
            worst = max(vals)
            bad = [f"{k} {size_name(n)} {x:.2f}" for x, k, n in vals if x > NOISE]
            add(f"AVX-512 never loses to AVX2: {label} time / avx2 time, in cache (10 % noise)",
                f"{len(vals)} kernel x size pairs",
                f"worst {worst[0]:.2f} ({worst[1]}, {size_name(worst[2])})"
                + (f"; over 1.10: {'; '.join(bad)}" if bad else ""), not bad)
    add("dispatcher's pick never slower than the best variant (10 % noise)",
        "every kernel and size",
        f"{pick_ok} ok" + (f"; slower: {'; '.join(pick_bad)}" if pick_bad else ""),
        not pick_bad if pick_ok or pick_bad else None)
    for kernel in ("sgd", "mse"):
        pub = r.ns.get((kernel, "public", 16))
        var = r.ns.get((kernel, r.active, 16))
        if pub and var:
            d = 16 * (pub - var)
            add("public call on n = 16 within 10 ns of the variant it dispatches to",
                f"{kernel}, n = 16 (public vs {r.active})",
                f"{d:+.1f} ns per call ({16 * pub:.1f} vs {16 * var:.1f} ns)", d <= 10.0)
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


def stream_markdown(r):
    """The same-bytes streams and each kernel's fraction of its own stream."""
    lines = []
    p = lines.append
    if not r.streams:
        return lines
    p("### Same-bytes streams (bench/stream.c): each kernel's own bandwidth reference\n")
    p("One routine (bench_stream_same_bytes, unrolled 4 x 32-byte vectors, -O3 -march=native, "
      "no memcpy) moving each kernel's bytes with its access pattern: arrays updated in place "
      "are read and written in place, the gradient only read, a loss's gradient only written. "
      "Measured on warm pages (fresh buffers per run, as every kernel row, filled and "
      "passed over once before timing), interleaved with the kernels' 16 Mi rows; the best "
      "of N runs (N = runs column). "
      "1T = one thread (CPU clock, as the kernel rows; 'wall' = the same runs on the wall "
      "clock); 2T = two threads, each one half (a caller's pool, wall clock).\n")
    p("| stream | pattern | B/elem | 1T GB/s | 1T wall GB/s | 2T GB/s | 2T / 1T wall | runs 1T/2T |")
    p("|---|---|---:|---:|---:|---:|---:|---|")
    for st in r.streams:
        for n in r.sizes:
            k1, k2 = (st, "threads_1", n), (st, "threads_2", n)
            if k1 not in r.res and k2 not in r.res:
                continue
            g1, g2 = r.gbs.get(k1), r.gbs.get(k2)
            bpe = (r.res.get(k1) or r.res.get(k2))
            bpe = bpe[1] / bpe[0]
            i1, i2 = r.info.get(k1, {}), r.info.get(k2, {})
            w1 = i1.get("wall_items", 0) * bpe / 1e9 if i1 else None
            p(f"| {st} ({size_name(n)}) | {STREAMS.get(st, '?')} | {bpe:.0f} | {fmt(g1, '.1f')} "
              f"| {fmt(w1, '.1f')} | {fmt(g2, '.1f')} "
              f"| {ratio(g2, w1) if g2 and w1 else '-'} | {i1.get('runs', 0)}/{i2.get('runs', 0)} |")
    p("")
    rows = stream_fraction_rows(r)
    if rows:
        p("### Fraction of its own stream beyond cache (16 Mi)\n")
        p("% = the kernel's GB/s over its own stream's GB/s (same bytes, same pattern, same "
          "run; the stream = the best of its runs adjacent to the kernel's row in the run "
          "order, the last before and the first after it, so that load drift on a shared "
          "machine between distant runs stays out of the ratio); public and the best lossopt variant on one thread, plain_native (the plain C "
          "loop) for comparison, threads_2 = the public call on two threads, each one half, "
          "against the 2-thread stream.\n")
        p("| kernel | stream | public 1T | best lossopt 1T | plain_native 1T | public 2T |")
        p("|---|---|---:|---:|---:|---:|")
        for row in rows:
            p(f"| {row['kernel']} | {row['stream']} | {pct(row['public_1t'])} "
              f"| {pct(row['best_1t'])} ({row['best_variant']}) "
              f"| {pct(row['plain_native_1t'])} | {pct(row['public_2t'])} |")
        p("")
    return lines


def stream_fraction_rows(r):
    rows = []
    for kernel in [k for k in r.kernels if k in STREAM_OF]:
        if not any((STREAM_OF[kernel], t, DRAM) in r.res for t in ("threads_1", "threads_2")):
            continue
        _, v = r.best_lossopt(kernel, DRAM)
        rows.append({"kernel": kernel, "stream": STREAM_OF[kernel],
                     "public_1t": r.pct_stream(kernel, "public", DRAM),
                     "best_1t": r.pct_stream(kernel, v, DRAM) if v else None,
                     "best_variant": v,
                     "plain_native_1t": r.pct_stream(kernel, "plain_native", DRAM),
                     "public_2t": r.pct_stream(kernel, "threads_2", DRAM)})
    return rows


def adam_markdown(r):
    lines = []
    p = lines.append
    ns_ = [n for n in r.sizes if n <= 65536 and n >= 1024 and ("adam", "public", n) in r.ns]
    if not ns_:
        return lines
    p("### Adam in cache against the plain loops (one-division form included)\n")
    p("Median of interleaved rounds. plain = PyTorch's formula (two divisions: "
      "sqrt(v) / sqrt(bc2), then m / denom); onediv = DeepSpeed's CPU Adam form "
      "(denom = sqrt(v) * rcp_bc2_sqrt + eps, one division; not within lossopt's parity "
      "bound), each -O3 -march=native, with and without -fno-math-errno. Cells: ns/elem "
      "(its time / lossopt public's time, > 1 = lossopt faster). SPEC 0.2: >= 0.97x the "
      "fastest plain loop.\n")
    cols = ["avx2", "avx512", ZMM, MIXED] + PLAIN_ADAM + ["torch"]
    cols = [c for c in cols if any(("adam", c, n) in r.ns for n in ns_)]
    p("| n | public ns/elem | " + " | ".join(cols) + " | vs fastest plain |")
    p("|---|---:|" + "---:|" * (len(cols) + 1))
    for n in ns_:
        pub = r.ns[("adam", "public", n)]
        cells = []
        for c in cols:
            t = r.ns.get(("adam", c, n))
            cells.append(f"{t:.3f} ({t / pub:.2f}x)" if t else "-")
        best, bv = adam_plain_best(r, n)
        p(f"| {size_name(n)} | {pub:.3f} | " + " | ".join(cells)
          + f" | {fmt(best / pub if best else None, '.2f')}x ({bv}) |")
    p("")
    return lines


def avx512_markdown(r):
    lines = []
    p = lines.append
    p("### AVX-512 against AVX2, in cache (time ratio, < 1 = AVX-512 faster)\n")
    rows = avx512_rows(r)
    if not rows:
        cpu = r.ctx.get("lossopt_cpu", "")
        p(f"No avx512 rows in this run: the CPU has no AVX-512 (active ISA {r.active}; "
          f"{cpu}). On an AVX-512 host this table gives, per kernel at "
          f"{', '.join(size_name(n) for n in in_cache(r)) or 'the in-cache sizes'} and the "
          "row-wise shapes, avx512 (the dispatcher's table) / avx2 and the other avx512 "
          "table / avx2.\n")
        return lines
    pick = r.ctx.get("lossopt_avx512_table", "mixed")
    p(f"avx512 = the dispatcher's avx512 table, here \"{pick}\" (zmm: every kernel's "
      "512-bit build, picked on AMD; mixed: the divide/sqrt-bound kernels at 256 bits, "
      f"picked on Intel); {alt_label(rows)} = the other one. SPEC: AVX-512 must never "
      "lose to AVX2.\n")
    p(f"| kernel | n | avx2 ns/elem | avx512 / avx2 | {alt_label(rows)} / avx2 |")
    p("|---|---|---:|---:|---:|")
    for row in rows:
        p(f"| {row['kernel']} | {size_name(row['n'])} | {row['avx2_ns']:.3f} "
          f"| {fmt(row['avx512_over_avx2'], '.2f')} | {fmt(row['zmm_over_avx2'], '.2f')} |")
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

    lines += stream_markdown(r)

    for kernel in r.kernels:
        p(f"### {kernel}\n")
        p("| n | variant | ns/elem | GB/s | % own stream | x scalar | x plain_nat | x PyTorch |")
        p("|---|---|---:|---:|---:|---:|---:|---:|")
        for row in kernel_rows(r, kernel):
            p(f"| {size_name(row['n'])} | {row['variant']} | {row['ns_per_element']:.3f} "
              f"| {row['gb_per_s']:.1f} | {fmt(row['pct_stream'], '.0f')} "
              f"| {fmt(row['x_scalar'], '.2f')} "
              f"| {fmt(row['x_plain_native'], '.2f')} | {fmt(row['x_torch'], '.2f')} |")
        p("")

    if r.row_kernels:
        p("### Row-wise losses (rows x classes logits, MEAN, loss + gradient)\n")
        p("cross_entropy: class-index labels; cross_entropy_ls: the same, label_smoothing "
          "0.1; cross_entropy_probs: soft targets; multi_margin: p = 1, margin 1; "
          "multilabel_soft_margin: the soft targets as multi-label targets. Bytes per "
          "element: 8 (logits read, gradient written), 12 for cross_entropy_probs and "
          "multilabel_soft_margin (+ the targets), 4 for cross_entropy_bf16_in_place (bf16 logits read, "
          "the bf16 gradient written over them; int32 labels). x exp pass = time / time of one SLEEF exp pass over the same "
          "logits on the row's ISA (avx2 -> sleef_avx2, avx512, avx512_zmm and avx512_mixed -> sleef_avx512, "
          f"public and the others -> the active ISA's, here sleef_{r.active}); a cell marked * "
          "fell back to sleef_avx2 because the same-ISA pass was not measured "
          "(SPEC: cross_entropy <= 1.5).\n")
        isas = order({k[1] for k in r.res if k[0] == "exp_pass" and isinstance(k[2], tuple)},
                     ["sleef_avx2", "sleef_avx512"])
        p("| shape | " + " | ".join(f"{i} ns/elem" for i in isas) + " |")
        p("|---|" + "---:|" * len(isas))
        for shape in r.shapes:
            p(f"| {size_name(shape)} | "
              + " | ".join(fmt(r.ns.get(("exp_pass", i, shape)), ".3f") for i in isas) + " |")
        p("")
        for kernel in r.row_kernels:
            p(f"#### {kernel}\n")
            p("| rows x classes | variant | ns/elem | GB/s | x scalar | x PyTorch | x exp pass |")
            p("|---|---|---:|---:|---:|---:|---:|")
            for row in row_rows(r, kernel):
                p(f"| {row['rows']} x {row['classes']} | {row['variant']} "
                  f"| {row['ns_per_element']:.3f} | {row['gb_per_s']:.1f} "
                  f"| {fmt(row['x_scalar'], '.2f')} | {fmt(row['x_torch'], '.2f')} "
                  f"| {fmt(row['x_exp_pass'], '.2f')}{'*' if row['exp_pass_fallback'] else ''} |")
            p("")

    lines += more_optimizers_markdown(r)
    lines += adam_markdown(r)
    lines += avx512_markdown(r)

    p("### Best lossopt variant (vector ISAs and public) per kernel\n")
    p("cells: x plain_native / x scalar / x PyTorch (time ratios, > 1 = lossopt faster); "
      "bce, bce_logits: the loss's time in SLEEF exp passes of its variant's ISA (* = fell "
      "back to sleef_avx2)\n")
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
            exp_ns, _, fb = r.exp_pass_of(n, v)
            if kernel in TRANSCENDENTAL_LOSSES and exp_ns:
                cell += f", {ns / exp_ns:.2f}{'*' if fb else ''} exp passes"
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
                exp_ns, _, fb = r.exp_pass_of(shape, v)
                if kernel in EXP_ROW_LOSSES and exp_ns:
                    cell += f", {ns / exp_ns:.2f}{'*' if fb else ''} exp passes"
                cells.append(cell)
            p(f"| {kernel} | " + " | ".join(cells) + " |")
        p("")
    return lines


def svg_bars(title, subtitle, groups, series, vals, log=False, lines=(), unit="x",
             ymax=None):
    """Grouped bar chart, hand-written SVG. groups: labels; series: (key,
    label, colour); vals: (group, key) -> value; log: log10 y axis; lines:
    (value, label, colour) reference lines."""
    import math
    W, H, left, right, top_m, bottom = 1400, 680, 70, 20, 70, 170
    pw, ph = W - left - right, H - top_m - bottom
    present = [sr for sr in series if any((g, sr[0]) in vals for g in groups)]
    top = max(list(vals.values()) + [v for v, _, _ in lines], default=1.0)
    if log:
        lo = min([v for v in vals.values() if v > 0] + [1.0])
        lo = 10 ** math.floor(math.log10(lo * 0.999)) if lo < 1 else 1.0
        lo = max(lo, 0.1)
        hi = 10 ** math.ceil(math.log10(max(top, 1.0001) * 1.001))
        f = lambda v: (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        ticks = []
        d = lo
        while d <= hi * 1.0001:
            ticks += [t for t in (d, 2 * d, 5 * d) if t <= hi * 1.0001]
            d *= 10
        base = lo
    else:
        step = next(st for st in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500) if top / st <= 8)
        hi = ymax or step * (int(top / step) + 1)
        f = lambda v: v / hi
        ticks = list(range(0, int(hi) + 1, step))
        base = 0
    y = lambda v: top_m + ph * (1 - f(v))
    gw = pw / max(len(groups), 1)
    bw = gw * 0.8 / max(len(present), 1)
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
         f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W / 2}" y="24" text-anchor="middle" font-size="18">{title}</text>',
         f'<text x="{W / 2}" y="44" text-anchor="middle" fill="#555">{subtitle}</text>']
    for t in ticks:
        o.append(f'<line x1="{left}" x2="{W - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                 f'stroke="#ddd"/>')
        o.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{t:g}{unit}</text>')
    for v, label, colour in lines:
        o.append(f'<line x1="{left}" x2="{W - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                 f'stroke="{colour}" stroke-dasharray="5 3"/>')
        o.append(f'<text x="{W - right - 4}" y="{y(v) - 4:.1f}" text-anchor="end" '
                 f'fill="{colour}" font-size="11">{label}</text>')
    for i, g in enumerate(groups):
        x0 = left + i * gw + gw * 0.1
        for j, (key, label, colour) in enumerate(present):
            if (g, key) not in vals:
                continue
            val = vals[(g, key)]
            x = x0 + j * bw
            yt, yb = y(val), y(base)
            o.append(f'<rect x="{x:.1f}" y="{min(yt, yb):.1f}" width="{bw - 1:.1f}" '
                     f'height="{abs(yb - yt):.1f}" fill="{colour}">'
                     f'<title>{g} {label}: {val:.2f}{unit}</title></rect>')
            o.append(f'<text x="{x + bw / 2:.1f}" y="{yt - 3:.1f}" text-anchor="middle" '
                     f'font-size="9" transform="rotate(-90 {x + bw / 2:.1f} {yt - 3:.1f})" '
                     f'dx="12" dy="3">{val:.3g}</text>')
        cx = left + i * gw + gw / 2
        o.append(f'<text x="{cx:.1f}" y="{top_m + ph + 16}" text-anchor="end" '
                 f'transform="rotate(-35 {cx:.1f} {top_m + ph + 16})">{g}</text>')
    o.append(f'<line x1="{left}" x2="{left}" y1="{top_m}" y2="{top_m + ph}" stroke="#000"/>')
    o.append(f'<line x1="{left}" x2="{W - right}" y1="{top_m + ph}" y2="{top_m + ph}" '
             f'stroke="#000"/>')
    lx = left
    for key, label, colour in present:
        o.append(f'<rect x="{lx}" y="{H - 24}" width="14" height="14" fill="{colour}"/>')
        o.append(f'<text x="{lx + 20}" y="{H - 12}">{label}</text>')
        lx += 40 + 7 * len(label)
    o.append("</svg>")
    return "\n".join(o) + "\n"


def speed_chart(r, n):
    """speedup.svg: per kernel in cache, lossopt's public call against PyTorch
    and against the plain -O3 -march=native loop (time ratios, log scale)."""
    groups, vals = [], {}
    for k in [k for k in r.kernels if k != "exp_pass"]:
        pub = r.ns.get((k, "public", n))
        if not pub:
            continue
        groups.append(k)
        for key in ("plain_native", "torch"):
            t = r.ns.get((k, key, n))
            if t:
                vals[(k, key)] = t / pub
        if k == "adam":
            best, _ = adam_plain_best(r, n)
            if best:
                vals[(k, "plain_best")] = best / pub
    for k in r.row_kernels:
        for shp in r.shapes:
            pub = r.ns.get((k, "public", shp))
            t = r.ns.get((k, "torch", shp))
            if pub and t:
                g = f"{k} {shp[0]}x{shp[1]}"
                groups.append(g)
                vals[(g, "torch")] = t / pub
    series = [("plain_native", "x plain C loop -O3 -march=native", "#ff7f0e"),
              ("plain_best", "x fastest plain Adam (one-division form included)", "#8c564b"),
              ("torch", "x PyTorch (1 thread; optimizers: foreach)", "#d62728")]
    return svg_bars(f"lossopt (public call) vs PyTorch and vs the plain C loop, in cache: "
                    f"n = {size_name(n)}, one thread",
                    "time of the reference / time of lossopt (higher = lossopt faster; "
                    "log scale); row-wise losses (right) at rows x classes, vs PyTorch only",
                    groups, series, vals, log=True, lines=[(1.0, "1x", "#000")])


def bandwidth_chart(r):
    """bandwidth.svg: per kernel beyond cache (16 Mi), the public call's GB/s
    over its own same-bytes stream's, one thread and two threads."""
    groups, vals = [], {}
    for row in stream_fraction_rows(r):
        k = row["kernel"]
        groups.append(k)
        if row["public_1t"] is not None:
            vals[(k, "1t")] = row["public_1t"]
        if row["public_2t"] is not None:
            vals[(k, "2t")] = row["public_2t"]
    series = [("1t", "1 thread vs the 1-thread stream", "#1f77b4"),
              ("2t", "2 threads (each one half) vs the 2-thread stream", "#2ca02c")]
    top = max(list(vals.values()) + [100.0])
    return svg_bars(f"lossopt beyond cache (n = {size_name(DRAM)}): % of its own same-bytes "
                    f"stream", "the public call's GB/s over a same-run stream moving the "
                    "same bytes with the same access pattern (best of N, interleaved); "
                    "SPEC: >= 95 % (1 thread), >= 90 % (2 threads), losses >= 80 %",
                    groups, series, vals, unit="%",
                    lines=[(100.0, "100 %", "#000"), (95.0, "95 %", "#d62728"),
                           (90.0, "90 %", "#9467bd")],
                    ymax=20 * (int(top / 20) + 1))


def main(argv):
    ap = argparse.ArgumentParser(description="Summarise lossopt_bench JSON output.",
                                 epilog=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("bench_json")
    ap.add_argument("--torch", help="JSON from bench/torch_compare.py")
    ap.add_argument("--torch-note", default="not measured (no --torch JSON given)",
                    help="what to print when there is no PyTorch JSON")
    ap.add_argument("--python-step", help="JSON from bench/python_step_bench.py (its .md "
                    "table beside it is added to results.md)")
    ap.add_argument("--python-step-note", default=None,
                    help="what to print when there is no --python-step JSON")
    ap.add_argument("--out", default="out/bench", help="output folder (default out/bench)")
    ap.add_argument("--chart-size", type=int, default=65536, help="n of the chart")
    args = ap.parse_args(argv[1:])

    data = load(args.bench_json)
    info = {}
    res = collect(data, info)
    torch_ctx = None
    if args.torch:
        tdata = load(args.torch)
        torch_ctx = tdata.get("context", {})
        res.update(collect(tdata))
    engine = Engine(res)
    ctx = data.get("context", {})
    r = Results({k: v for k, v in res.items() if not k[0].startswith(ENGINE_PREFIX)}, ctx, info)
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
    python_step = None
    lines.append("\n### Python: a full optimizer.step(), lossopt.torch.AdamW against "
                 "torch.optim.AdamW (bench/python_step_bench.py)\n")
    if args.python_step:
        python_step = load(args.python_step)
        with open(os.path.splitext(args.python_step)[0] + ".md", encoding="utf-8") as f:
            lines.append(f.read())
    else:
        lines.append(f"not measured: {args.python_step_note or 'no --python-step JSON given'}")
    md = "\n".join(lines) + "\n"

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.md"), "w", encoding="utf-8") as f:
        f.write(md)
    rows = [row for k in r.kernels for row in kernel_rows(r, k)]
    rows += [row for k in r.row_kernels for row in row_rows(r, k)]
    stream = [{"stream": k[0], "threads": int(k[1].split("_")[1]), "n": k[2],
               "pattern": STREAMS.get(k[0]), "gb_per_s": r.gbs[k],
               "runs": r.info.get(k, {}).get("runs")}
              for k in sorted(k for k in r.gbs if k[0].startswith("stream_") and k[1])]
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"context": ctx, "torch_context": torch_ctx,
                   "torch_note": None if torch_ctx else args.torch_note,
                   "stream": stream, "results": rows, "targets": tg,
                   "more_optimizers": more_optimizer_rows(r),
                   "stream_fractions": stream_fraction_rows(r),
                   "avx512_vs_avx2": avx512_rows(r),
                   "engine_results": engine.table(ENGINE_KERNELS) + engine.table(ENGINE_STREAMS),
                   "engine_targets": etg, "python_step": python_step}, f, indent=1)
    chart_n = args.chart_size if args.chart_size in r.sizes else max(
        (n for n in r.sizes if n >= 1024), default=args.chart_size)
    with open(os.path.join(args.out, "speedup.svg"), "w", encoding="utf-8") as f:
        f.write(speed_chart(r, chart_n))
    with open(os.path.join(args.out, "bandwidth.svg"), "w", encoding="utf-8") as f:
        f.write(bandwidth_chart(r))
    sys.stdout.write(md)


if __name__ == "__main__":
    main(sys.argv)
