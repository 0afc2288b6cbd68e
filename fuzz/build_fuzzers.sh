#!/usr/bin/env bash
# fuzz/build_fuzzers.sh BUILD_DIR - configures and builds the libFuzzer targets
# of fuzz/ through CMake (LOSSOPT_BUILD_FUZZERS=ON, fuzz/CMakeLists.txt) in a
# build tree of their own: clang, the whole library instrumented with
# ASan+UBSan and libFuzzer's coverage (tests, demo and bench off). The
# targets land in BUILD_DIR/fuzz/.
# Needs: clang, libclang-rt-14-dev (libFuzzer runtime), libsleef-dev, cmake, make.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:?usage: fuzz/build_fuzzers.sh BUILD_DIR}
mkdir -p "$build"
build=$(cd "$build" && pwd)
jobs=${FUZZ_BUILD_JOBS:-2}

# fuzzer-no-link: the library is coverage-instrumented too, so libFuzzer is
# guided by the kernels and validation paths, not only by the harness.
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
flags+=" -g -O1 -ffp-contract=off -fno-omit-frame-pointer"

CC=${CC:-clang} cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="$flags" -DLOSSOPT_BUILD_FUZZERS=ON \
  -DLOSSOPT_BUILD_TESTS=OFF -DLOSSOPT_BUILD_DEMO=OFF -DLOSSOPT_BUILD_BENCH=OFF >"$build/cmake.log"
cmake --build "$build" -j "$jobs" \
  --target fuzz_optimizers fuzz_elementwise_losses fuzz_pairwise_losses fuzz_rowwise_losses fuzz_engine_step fuzz_embedding_losses fuzz_loss_io >"$build/build.log"
for target in fuzz_optimizers fuzz_elementwise_losses fuzz_pairwise_losses fuzz_rowwise_losses fuzz_engine_step fuzz_embedding_losses fuzz_loss_io; do
  echo "built $build/fuzz/$target"
done
