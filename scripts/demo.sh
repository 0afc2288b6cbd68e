#!/usr/bin/env bash
# scripts/demo.sh - builds the library and runs the demo: the CPU features the
# dispatcher sees, the ISAs built/supported/active, and one step of each
# optimizer on every supported ISA with a fingerprint of the result bits.
# Installs missing Debian packages when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh cmake make gcc libc6-dev libsleef-dev
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native -j "$(nproc 2>/dev/null || echo 2)" --target lossopt_demo >/dev/null
exec build/native/examples/lossopt_demo
