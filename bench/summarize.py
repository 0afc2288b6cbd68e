#!/usr/bin/env python3
"""Summarise lossopt_bench JSON output as markdown tables (standard library only).

Usage:
    lossopt_bench --benchmark_out=bench.json --benchmark_out_format=json
    python3 bench/summarize.py bench.json          # or '-' for stdin

Benchmark names are <config>/<variant>/<n> and stream_{copy,triad}/<n>
(Google Benchmark appends /min_time:.../repeats:..., ignored here). With
repetitions the median is used. Columns, per optimizer configuration and size:
  ns/elem      time per element (1e9 / items_per_second)
  GB/s         bytes per second, bytes per element as in SPEC.md section 3
  % triad      GB/s over the same-run STREAM triad GB/s at the same n
  % triad+WA   the same against triad counting its write-allocate read
               (16 bytes/element, not 12): the optimizer updates are in
               place and have no write-allocate traffic, so this is the
               fairer denominator beyond the caches
  x scalar     speedup over the scalar variant (time ratio, > 1 = faster)
  x plain_nat  speedup over the plain C loop built -O3 -march=native
Only ratios within one run mean anything on a shared machine.
"""
import json
import statistics
import sys

VARIANT_ORDER = ["scalar", "avx2", "avx512", "neon", "public",
                 "plain_O3", "plain_native", "plain_native_noerrno"]
CONFIG_ORDER = ["sgd", "sgd_momentum", "rmsprop", "adam", "adamw", "adam_amsgrad"]
LOSSOPT_FAST = {"avx2", "avx512", "neon", "public"}


def load(path):
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    return json.loads(text[text.index("{"):])


def key_of(entry):
    """('adam', 'avx2', 65536) or ('stream_triad', None, 65536)."""
    name = entry.get("run_name") or entry["name"]
    parts = [p for p in name.split("/") if ":" not in p]
    if len(parts) == 2:
        return parts[0], None, int(parts[1])
    return parts[0], parts[1], int(parts[2])


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
    for unit, div in (("Mi", 1 << 20), ("Ki", 1 << 10)):
        if n % div == 0:
            return f"{n // div} {unit}"
    return str(n)


def order(seq, preferred):
    return sorted(seq, key=lambda x: (preferred.index(x) if x in preferred else len(preferred), x))


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    data = load(argv[1])
    res = collect(data)
    sizes = sorted({k[2] for k in res})
    configs = order({k[0] for k in res if k[1] is not None}, CONFIG_ORDER)
    ns = {k: 1e9 / v[0] for k, v in res.items()}
    gbs = {k: v[1] / 1e9 for k, v in res.items()}

    ctx = data.get("context", {})
    print(f"lossopt_bench, {ctx.get('date', '?')}, {ctx.get('num_cpus', '?')} CPUs @ "
          f"{ctx.get('mhz_per_cpu', '?')} MHz, active ISA {ctx.get('lossopt_active_isa', '?')}\n")

    print("### Same-run bandwidth reference (STREAM-like, copy 8 B/elem, triad 12 B/elem)\n")
    print("| n | copy GB/s | triad GB/s |")
    print("|---|---:|---:|")
    for n in sizes:
        c, t = gbs.get(("stream_copy", None, n)), gbs.get(("stream_triad", None, n))
        fmt = lambda x: f"{x:.1f}" if x else "-"
        print(f"| {size_name(n)} | {fmt(c)} | {fmt(t)} |")
    print()

    headline = []
    for cfg in configs:
        print(f"### {cfg}\n")
        print("| n | variant | ns/elem | GB/s | % triad | % triad+WA | x scalar | x plain_nat |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for n in sizes:
            triad = gbs.get(("stream_triad", None, n))
            variants = order({k[1] for k in res if k[0] == cfg and k[2] == n}, VARIANT_ORDER)
            scalar = ns.get((cfg, "scalar", n))
            plain = ns.get((cfg, "plain_native", n))
            for v in variants:
                k = (cfg, v, n)
                pct = f"{100 * gbs[k] / triad:.0f}" if triad else "-"
                pct_wa = f"{100 * gbs[k] / (triad * 16 / 12):.0f}" if triad else "-"
                print(f"| {size_name(n)} | {v} | {ns[k]:.3f} | {gbs[k]:.1f} | {pct} | {pct_wa} "
                      f"| {ratio(scalar, ns[k])} | {ratio(plain, ns[k])} |")
            fast = [(ns[(cfg, v, n)], v) for v in variants if v in LOSSOPT_FAST]
            if fast:
                best_ns, best_v = min(fast)
                headline.append((cfg, n, best_v, ratio(plain, best_ns), ratio(scalar, best_ns)))
        print()

    if headline:
        print("### Best lossopt variant (vector ISAs and public) per configuration\n")
        print("cells: x plain_native / x scalar (time ratios, > 1 = lossopt faster)\n")
        print("| config | " + " | ".join(size_name(n) for n in sizes) + " |")
        print("|---|" + "---:|" * len(sizes))
        for cfg in configs:
            cells = {n: f"{p} / {s} ({v})" for c, n, v, p, s in headline if c == cfg}
            print(f"| {cfg} | " + " | ".join(cells.get(n, "-") for n in sizes) + " |")


if __name__ == "__main__":
    main(sys.argv)
