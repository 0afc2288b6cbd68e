#!/usr/bin/env bash
# fuzz/build_fuzzers.sh BUILD_DIR - builds the libFuzzer targets of fuzz/:
# a separate CMake build of the library with clang and ASan+UBSan (tests,
# demo off; kept out of the default build), then each fuzz_*.c linked against
# its static library with -fsanitize=fuzzer,address,undefined.
# Needs: clang, libclang-rt-14-dev (libFuzzer runtime), libsleef-dev, cmake, make.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:?usage: fuzz/build_fuzzers.sh BUILD_DIR}
mkdir -p "$build"
build=$(cd "$build" && pwd)
CC=${CC:-clang}
jobs=${FUZZ_BUILD_JOBS:-2}

# fuzzer-no-link: the library is coverage-instrumented too, so libFuzzer is
# guided by the kernels and validation paths, not only by the harness.
sanitize="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
common="-g -O1 -ffp-contract=off -fno-omit-frame-pointer"

CC=$CC cmake -S "$root" -B "$build/lib" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="$sanitize $common" \
  -DLOSSOPT_BUILD_TESTS=OFF -DLOSSOPT_BUILD_DEMO=OFF -DLOSSOPT_BUILD_BENCH=OFF >"$build/cmake.log"
cmake --build "$build/lib" --target lossopt_static -j "$jobs" >"$build/build.log"

lib=$(find "$build/lib" -maxdepth 2 -name liblossopt.a | head -n1)
[[ -n "$lib" ]] || { echo "build_fuzzers: liblossopt.a not found" >&2; exit 1; }

for target in fuzz_optimizers fuzz_elementwise_losses fuzz_rowwise_losses; do
  $CC -std=c11 $common -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wall -Wextra -I"$root/include" -I"$root/kernels" -I"$root/dispatch" \
    "$here/$target.c" "$lib" -lsleef -lm -o "$build/$target"
  echo "built $build/$target"
done
