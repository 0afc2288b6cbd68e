#!/usr/bin/env bash
# scripts/test.sh - builds and runs every test: native (dispatcher's choice,
# every ISA forced through LOSSOPT_ISA, emulated AVX-512 layer, pre-AVX and
# AVX2-only CPUs under qemu-x86_64), then AArch64 NEON cross-compiled and run
# under qemu-aarch64, whose every kernel output is then compared byte for byte
# with x86's. After the native run, the hardening stages: the native suite
# again under ASan+UBSan (build/asan), the dispatcher race test under
# ThreadSanitizer (build/tsan), a subset under valgrind memcheck, and the
# differential fuzzers for LOSSOPT_FUZZ_SECONDS (default 30) each. The Python
# binding's tests run as a stage of their own after the native suite. Every stage
# prints its time; a summary ends the run.
# Installs missing Debian packages when run as root.
#   scripts/test.sh                 everything
#   scripts/test.sh --native        skip the AArch64 run
#   scripts/test.sh --no-hardening  skip the ASan/UBSan, TSan, valgrind and fuzzing stages
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc 2>/dev/null || echo 2)

run_aarch64=1
run_hardening=1
for arg in "$@"; do
  case "$arg" in
    --native) run_aarch64=0 ;;
    --no-hardening) run_hardening=0 ;;
    *) echo "usage: scripts/test.sh [--native] [--no-hardening]" >&2; exit 2 ;;
  esac
done

packages=(cmake make gcc g++ pkg-config libc6-dev libsleef-dev libsimde-dev qemu-user)
[[ $run_aarch64 -eq 1 ]] && packages+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
# The sanitizer runtimes (libasan8, libubsan1, libtsan2) come with gcc on
# Debian 12 (gcc-12 -> libgcc-12-dev depends on them); valgrind does not.
[[ $run_hardening -eq 1 ]] && packages+=(valgrind)
scripts/install-deps.sh "${packages[@]}"
# The Python binding's tests compare with PyTorch and NumPy (Debian's, for
# /usr/bin/python3). If they cannot be installed, those tests skip visibly
# (the reason is printed in the Python stage); everything else still runs.
python_packages=(python3 python3-numpy python3-torch)
scripts/install-deps.sh "${python_packages[@]}" ||
  echo "WARNING: could not install ${python_packages[*]}; the Python binding's tests will be skipped"

# Prints the reason of every skipped test, which ctest itself does not show.
show_skips() {
  local log="$1/Testing/Temporary/LastTest.log"
  [[ -f "$log" ]] && grep -h "SKIPPED:" "$log" | sed 's/^/  skip reason: /' | sort -u || true
}

# run_stage NAME COMMAND...: runs one stage, prints its time and result, and
# remembers both for the summary at the end.
status=0
summary=()
run_stage() {
  local name=$1 start=$SECONDS rc=0
  shift
  echo "=== $name ==="
  "$@" || rc=$?
  local took=$((SECONDS - start)) result=passed
  [[ $rc -eq 0 ]] || { result=FAILED; status=1; }
  echo "--- $name: $result in ${took} s"
  summary+=("$(printf '%-44s %-7s %5d s' "$name" "$result" "$took")")
}

# The stage functions run where `set -e` does not apply (their status is
# tested), so every step that must stop the stage says so.
native_suite() {
  cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null || return 1
  cmake --build build/native -j "$jobs" >/dev/null || return 1
  local rc=0
  (cd build/native && ctest -j "$jobs" --output-on-failure -LE python) || rc=$?
  show_skips build/native
  return $rc
}

# The Python binding (tests/python, CTest label "python") against the
# build/native library: NumPy API and lossopt.torch against PyTorch, the
# distributed example, the package staged in build/native/python.
python_suite() {
  local rc=0
  (cd build/native && ctest -j "$jobs" --output-on-failure -L python) || rc=$?
  show_skips build/native
  return $rc
}

fuzzers() {
  # A bounded smoke run of the differential fuzzers (every ISA against the
  # oracle, error contract, guard pages); fuzz/run_fuzzers.sh SECONDS for
  # longer local runs.
  FUZZ_BUILD_DIR="$root/build/fuzz" FUZZ_OUT_DIR="$root/build/fuzz-out" FUZZ_PARALLEL=2 \
    fuzz/run_fuzzers.sh "${LOSSOPT_FUZZ_SECONDS:-30}"
}

aarch64_suite() {
  scripts/fetch-arm64-sleef.sh build/aarch64-deps || return 1
  cmake -S . -B build/aarch64 -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
        -DLOSSOPT_ARM64_SYSROOT="$root/build/aarch64-deps/sysroot" >/dev/null || return 1
  cmake --build build/aarch64 -j "$jobs" >/dev/null || return 1
  local rc=0
  (cd build/aarch64 && ctest -j "$jobs" --output-on-failure) || rc=$?
  show_skips build/aarch64
  cross_isa_bits || rc=1
  return $rc
}

# Every kernel's outputs on a fixed workload (moderate and special values),
# written by tests/test_no_fma_difference.c --bits on x86 (the dispatcher's
# ISA, then scalar) and on AArch64 under qemu (neon, then scalar): the files
# must be identical byte for byte (NaN written as one pattern).
cross_isa_bits() {
  local out=build/cross-isa-bits qemu_arm=(qemu-aarch64 -L /usr/aarch64-linux-gnu) native_isa
  mkdir -p "$out"
  native_isa=$(build/native/tests/test_no_fma_difference --bits "$out/x86-native.txt" |
               sed -n 's/^wrote .* floats (\(.*\)) to .*/\1/p') || return 1
  LOSSOPT_ISA=scalar build/native/tests/test_no_fma_difference --bits "$out/x86-scalar.txt" >/dev/null || return 1
  "${qemu_arm[@]}" build/aarch64/tests/test_no_fma_difference --bits "$out/aarch64-neon.txt" >/dev/null || return 1
  LOSSOPT_ISA=scalar "${qemu_arm[@]}" build/aarch64/tests/test_no_fma_difference \
    --bits "$out/aarch64-scalar.txt" >/dev/null || return 1
  for f in x86-scalar aarch64-neon aarch64-scalar; do
    if ! cmp -s "$out/x86-native.txt" "$out/$f.txt"; then
      echo "cross-ISA bits: FAIL: $f differs from x86 $native_isa (diff $out/x86-native.txt $out/$f.txt)"
      return 1
    fi
  done
  echo "cross-ISA bits: x86 $native_isa and scalar, AArch64 neon and scalar: identical outputs of $(grep -c '^group' "$out/x86-native.txt") kernel outputs"
}

total_start=$SECONDS
run_stage "native suite ($(uname -m), every ISA forced, qemu CPUs)" native_suite
run_stage "Python binding (NumPy, torch.optim, torch.distributed)" python_suite
if [[ $run_hardening -eq 1 ]]; then
  run_stage "hardening (ASan+UBSan, TSan, valgrind)" tests/sanitizers/run_hardening.sh "$jobs"
  run_stage "differential fuzzers, ${LOSSOPT_FUZZ_SECONDS:-30} s each" fuzzers
fi
if [[ $run_aarch64 -eq 1 ]]; then
  run_stage "AArch64 NEON under qemu-aarch64" aarch64_suite
fi

echo "=== summary ==="
printf '%s\n' "${summary[@]}"
echo "total: $((SECONDS - total_start)) s"
if [[ $status -eq 0 ]]; then
  echo "=== all test runs passed ==="
else
  echo "=== SOME TESTS FAILED (see above) ==="
fi
exit $status
