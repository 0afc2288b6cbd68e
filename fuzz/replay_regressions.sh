#!/usr/bin/env bash
# fuzz/replay_regressions.sh BUILD_DIR - runs each built fuzzer once on every
# saved reproducer in fuzz/regressions/<fuzzer>/ (no fuzzing). A reproducer
# that still traps fails; prints "regressions: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:?usage: fuzz/replay_regressions.sh BUILD_DIR}
passed=0 failed=0
for dir in "$here"/regressions/fuzz_*/; do
  [[ -d "$dir" ]] || continue
  name=$(basename "$dir")
  for file in "$dir"*; do
    [[ -f "$file" ]] || continue
    if "$build/fuzz/$name" -runs=1 "$file" >/tmp/replay.$$.log 2>&1; then
      passed=$((passed + 1)); echo "ok   $name $(basename "$file")"
    else
      failed=$((failed + 1)); echo "FAIL $name $(basename "$file")"
      grep -E 'FUZZ MISMATCH|SUMMARY' /tmp/replay.$$.log | head -n 3 | sed 's/^/    /'
    fi
  done
done
rm -f /tmp/replay.$$.log
echo "regressions: $passed passed, $failed failed"
(( failed == 0 ))
