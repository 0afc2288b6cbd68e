#!/usr/bin/env bash
# fuzz/run_fuzzers.sh [SECONDS] - installs what the fuzzers need, builds them
# (fuzz/build_fuzzers.sh, into $FUZZ_BUILD_DIR, default build-fuzz/), and runs
# each differential fuzzer for SECONDS (default 45) on a scratch copy of its
# seed corpus (fuzz/corpus/<fuzzer>/ is never grown). Prints each fuzzer's
# executions and coverage, keeps crash/mismatch reproducers in
# $FUZZ_OUT_DIR (default out/fuzz/) and ends with "fuzz: N passed, N failed";
# exits non-zero when any fuzzer found something.
#   FUZZ_TARGETS="fuzz_optimizers ..."  run only these
#   FUZZ_PARALLEL=2                     run this many fuzzers at once (default 1)
#   FUZZ_SKIP_DEPS=1                    do not check/install Debian packages
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
seconds=${1:-45}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: fuzz/run_fuzzers.sh [SECONDS]" >&2; exit 2; }
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
out=${FUZZ_OUT_DIR:-$root/out/fuzz}
targets=${FUZZ_TARGETS:-fuzz_optimizers fuzz_elementwise_losses fuzz_pairwise_losses fuzz_rowwise_losses fuzz_engine_step fuzz_embedding_losses fuzz_loss_io}
parallel=${FUZZ_PARALLEL:-1}

if [[ -z "${FUZZ_SKIP_DEPS:-}" ]]; then
  # libclang-rt-14-dev ships libFuzzer (libclang_rt.fuzzer*.a) for clang 14 on Debian 12.
  "$root/scripts/install-deps.sh" clang libclang-rt-14-dev libsleef-dev cmake make
fi

echo "fuzz: building into $build"
"$here/build_fuzzers.sh" "$build"

mkdir -p "$out"
run_one() { # name -> writes $out/<name>.log and $out/<name>.rc
  local name=$1 corpus="$out/corpus-$1"
  rm -rf "$corpus" && mkdir -p "$corpus" "$out/artifacts"
  cp "$here/corpus/$name/"* "$corpus/" 2>/dev/null || true
  local rc=0
  "$build/fuzz/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$name-" "$corpus" \
    >"$out/$name.log" 2>&1 || rc=$?
  echo "$rc" >"$out/$name.rc"
}

running=0
for name in $targets; do
  echo "fuzz: running $name for ${seconds}s"
  run_one "$name" &
  running=$((running + 1))
  if (( running >= parallel )); then wait -n || true; running=$((running - 1)); fi
done
wait || true

passed=0 failed=0
for name in $targets; do
  rc=$(cat "$out/$name.rc" 2>/dev/null || echo 1)
  log="$out/$name.log"
  execs=$(grep 'stat::number_of_executed_units:' "$log" | tail -n1 | awk '{print $2}')
  speed=$(grep 'stat::average_exec_per_sec:' "$log" | tail -n1 | awk '{print $2}')
  final=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n1 || true)
  echo "fuzz: $name: execs=${execs:-?} (${speed:-?}/s); last stats: ${final:-none}"
  if [[ "$rc" == 0 ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "fuzz: $name FAILED (exit $rc); log: $log"
    grep -E 'FUZZ MISMATCH|ERROR: (AddressSanitizer|libFuzzer)|runtime error|SUMMARY|Test unit written to|deadly signal' \
      "$log" | head -n 12 | sed 's/^/    /'
  fi
done
echo "fuzz: $passed passed, $failed failed"
(( failed == 0 ))
