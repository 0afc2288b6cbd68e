#!/usr/bin/env bash
# scripts/bench.sh - the main job: builds lossopt_bench and measures every
# kernel (optimizer updates, elementwise losses) on every supported ISA, the
# public dispatched call, plain-C loops (-O3, -O3 -march=native; Adam's
# one-division form), a SLEEF exp pass per ISA and each kernel's own same-bytes
# stream (1 and 2 threads, interleaved with the kernels' 16 Mi rows); PyTorch
# (one thread) when importable; then writes
# out/bench/{results.md,results.json,speedup.svg,bandwidth.svg} and prints the
# tables. speedup.svg: per kernel in cache, lossopt vs PyTorch and vs the plain
# -march=native loop; bandwidth.svg: per kernel beyond cache, % of its own
# stream on 1 and 2 threads.
#   scripts/bench.sh [--full] [--no-torch] [--out DIR]
#     (default)   quick run: n = 64 Ki and 16 Mi, short runs (~2.5 min on 2 cores)
#     --full      the full sweep: n = 4 Ki, 64 Ki, 1 Mi, 16 Mi, longer runs (~8-10 min)
#     --no-torch  skip the PyTorch comparison
#     --out DIR   output folder (default out/bench)
# Extra Google Benchmark flags can be passed through LOSSOPT_BENCH_ARGS, e.g.
#   LOSSOPT_BENCH_ARGS='--benchmark_filter=adam' scripts/bench.sh
# LOSSOPT_BENCH_BUILD_DIR picks the build tree (default build/bench).
# Both runs include the engine step's rows (bench/bench_engine_step.cc: the
# tensor list, bf16 storage, unscale/clipping/skip, grad_stats, 2 threads with
# their same-byte streams; the quick run a reduced set) and PyTorch's foreach
# Adam over the same 1000 x 4096 tensors. With PyTorch, also a whole
# optimizer.step() from Python: lossopt.torch.AdamW against torch.optim.AdamW
# (bench/python_step_bench.py, 100 tensors / ~10M parameters).
# Installs missing Debian packages when run as root (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'USAGE'
scripts/bench.sh [--full] [--no-torch] [--out DIR]
  (default)   quick run: n = 64 Ki and 16 Mi, short runs (~1.5-2.5 min on 2 cores)
  --full      the full sweep: n = 4 Ki, 64 Ki, 1 Mi, 16 Mi, longer runs (~8-10 min)
  --no-torch  skip the PyTorch comparison
  --out DIR   output folder (default out/bench)
Extra Google Benchmark flags: LOSSOPT_BENCH_ARGS='--benchmark_filter=adam' scripts/bench.sh
Build tree: LOSSOPT_BENCH_BUILD_DIR (default build/bench)
USAGE
}

full=0 torch=1 out=out/bench
while [[ $# -gt 0 ]]; do
  case "$1" in
    --full) full=1 ;;
    --no-torch) torch=0 ;;
    --out) out="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "scripts/bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

start=$(date +%s)
scripts/install-deps.sh cmake make gcc g++ libc6-dev libsleef-dev libbenchmark-dev python3
# PyTorch and NumPy (Debian's, for /usr/bin/python3) for the comparison rows; if
# they cannot be installed, those rows say so and everything else is measured.
if [[ $torch -eq 1 ]]; then
  scripts/install-deps.sh python3-numpy python3-torch ||
    echo "WARNING: could not install python3-numpy python3-torch; the PyTorch rows will say 'not measured'"
fi
jobs=$(nproc 2>/dev/null || echo 2)
build=${LOSSOPT_BENCH_BUILD_DIR:-build/bench}
echo "== configure and build $build (lossopt_bench)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release \
      -DLOSSOPT_BUILD_BENCH=ON -DLOSSOPT_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target lossopt_bench lossopt_python >/dev/null
echo "   $(( $(date +%s) - start )) s so far"

mkdir -p "$out"
# The quick run times Adam at n = 4096 as well (SPEC.md 3: Adam 4K and 64K in cache).
mode_args=(--lossopt_quick) mode=quick torch_args=(--extra 4096:adam)
if [[ $full -eq 1 ]]; then
  mode_args=() mode=full
  torch_args=(--sizes 4096,65536,1048576,16777216 --min-time 0.2)
fi
echo "== lossopt_bench ($mode run; one thread, the engine rows threads_2 two) -> $out/lossopt_bench.json"
# shellcheck disable=SC2086  # LOSSOPT_BENCH_ARGS is a list of flags
"$build"/bench/lossopt_bench "${mode_args[@]}" ${LOSSOPT_BENCH_ARGS:-} \
    --benchmark_out="$out/lossopt_bench.json" --benchmark_out_format=json \
    > "$out/lossopt_bench.txt" 2>&1 || { tail -20 "$out/lossopt_bench.txt" >&2; exit 1; }
echo "   $(( $(date +%s) - start )) s so far"

# PyTorch: Debian's python3-torch lives in the system Python.
torch_python=python3
[[ -x /usr/bin/python3 ]] && torch_python=/usr/bin/python3
summarize_torch=()
rm -f "$out/torch.json"
if [[ $torch -eq 0 ]]; then
  summarize_torch=(--torch-note "not measured (--no-torch)" --python-step-note "--no-torch")
elif "$torch_python" -c "import torch" 2>/dev/null; then
  echo "== PyTorch, one thread (bench/torch_compare.py) -> $out/torch.json"
  "$torch_python" bench/torch_compare.py --out "$out/torch.json" "${torch_args[@]}" 2>/dev/null
  summarize_torch=(--torch "$out/torch.json")
  echo "   $(( $(date +%s) - start )) s so far"
  # A whole optimizer.step() from Python: lossopt.torch.AdamW (the package
  # staged in $build/python) against torch.optim.AdamW, 100 tensors / ~10M params.
  echo "== Python optimizer.step() (bench/python_step_bench.py) -> $out/python_step.json"
  rm -f "$out/python_step.json" "$out/python_step.md"
  PYTHONPATH="$build/python" "$torch_python" bench/python_step_bench.py \
      --out "$out/python_step.json" > "$out/python_step.txt" 2>&1 ||
    { tail -20 "$out/python_step.txt" >&2; exit 1; }
  summarize_torch+=(--python-step "$out/python_step.json")
  echo "   $(( $(date +%s) - start )) s so far"
else
  summarize_torch=(--torch-note "not measured: python3 cannot import torch (apt-get install python3-torch)"
                   --python-step-note "python3 cannot import torch (apt-get install python3-torch)")
fi

echo "== summary -> $out/results.md, $out/results.json, $out/speedup.svg, $out/bandwidth.svg"
echo
python3 bench/summarize.py "$out/lossopt_bench.json" "${summarize_torch[@]}" --out "$out"
for f in results.md results.json speedup.svg bandwidth.svg; do
  [[ -s "$out/$f" ]] || { echo "scripts/bench.sh: $out/$f was not written" >&2; exit 1; }
done
echo
echo "scripts/bench.sh: $mode run done in $(( $(date +%s) - start )) s; results in $out/"
