#!/usr/bin/env bash
# scripts/test.sh - builds and runs every test: native (dispatcher's choice,
# every ISA forced through LOSSOPT_ISA, emulated AVX-512 layer, pre-AVX and
# AVX2-only CPUs under qemu-x86_64), then AArch64 NEON cross-compiled and run
# under qemu-aarch64. After the native run, three hardening stages: the native
# suite again under ASan+UBSan (build/asan), the dispatcher race test under
# ThreadSanitizer (build/tsan), a subset under valgrind memcheck, and the
# differential fuzzers for LOSSOPT_FUZZ_SECONDS (default 30) each.
# Installs missing Debian packages when run as root.
#   scripts/test.sh                 everything
#   scripts/test.sh --native        skip the AArch64 run
#   scripts/test.sh --no-hardening  skip the ASan/UBSan, TSan, valgrind and fuzzing stages
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc 2>/dev/null || echo 2)

run_native=1
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

# Prints the reason of every skipped test, which ctest itself does not show.
show_skips() {
  local log="$1/Testing/Temporary/LastTest.log"
  [[ -f "$log" ]] && grep -h "SKIPPED:" "$log" | sed 's/^/  skip reason: /' | sort -u || true
}

status=0
if [[ $run_native -eq 1 ]]; then
  echo "=== native build ($(uname -m)) ==="
  cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build/native -j "$jobs" >/dev/null
  (cd build/native && ctest -j "$jobs" --output-on-failure) || status=1
  show_skips build/native
fi

if [[ $run_native -eq 1 && $run_hardening -eq 1 ]]; then
  tests/sanitizers/run_hardening.sh "$jobs" || status=1
  # A bounded smoke run of the differential fuzzers (every ISA against the
  # oracle, error contract, guard pages); fuzz/run_fuzzers.sh SECONDS for
  # longer local runs.
  echo "=== differential fuzzers, ${LOSSOPT_FUZZ_SECONDS:-30} s each (fuzz/) ==="
  FUZZ_BUILD_DIR="$root/build/fuzz" FUZZ_OUT_DIR="$root/build/fuzz-out" FUZZ_PARALLEL=2 \
    fuzz/run_fuzzers.sh "${LOSSOPT_FUZZ_SECONDS:-30}" || status=1
fi

if [[ $run_aarch64 -eq 1 ]]; then
  echo "=== AArch64 (NEON) cross build, tests under qemu-aarch64 ==="
  scripts/fetch-arm64-sleef.sh build/aarch64-deps
  cmake -S . -B build/aarch64 -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
        -DLOSSOPT_ARM64_SYSROOT="$root/build/aarch64-deps/sysroot" >/dev/null
  cmake --build build/aarch64 -j "$jobs" >/dev/null
  (cd build/aarch64 && ctest -j "$jobs" --output-on-failure) || status=1
  show_skips build/aarch64
fi

if [[ $status -eq 0 ]]; then
  echo "=== all test runs passed ==="
else
  echo "=== SOME TESTS FAILED (see above) ==="
fi
exit $status
