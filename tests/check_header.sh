#!/usr/bin/env bash
# tests/check_header.sh - compiles include/lossopt.h alone, strictly, as one language standard.
#   check_header.sh INCLUDE_DIR COMPILER STD     e.g. .../include g++ c++17
# The installed header is all a user gets, so it must be self-contained
# (includes what it uses) and warning-free under -Wall -Wextra -pedantic in C11
# and in C++ (extern "C", no C-only syntax). Exit 77 (skip) without the compiler.
set -euo pipefail
include_dir=${1:?usage: check_header.sh INCLUDE_DIR COMPILER STD}
compiler=${2:?usage: check_header.sh INCLUDE_DIR COMPILER STD}
std=${3:?usage: check_header.sh INCLUDE_DIR COMPILER STD}

if ! command -v "$compiler" >/dev/null 2>&1; then
  echo "SKIPPED: $compiler not found (apt-get install g++), lossopt.h not checked as $std"
  exit 77
fi
case "$std" in
  c*+*) lang=c++ ;;
  *) lang=c ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Only the header, included first: nothing else may supply its dependencies.
# The use of each public type catches a header that parses but is unusable.
cat >"$tmp/only_header.$lang" <<'EOF'
#include <lossopt.h>
int lossopt_header_check(void);
int lossopt_header_check(void)
{
    lossopt_adam_config adam = lossopt_adam_defaults();
    lossopt_sgd_config sgd = lossopt_sgd_defaults();
    lossopt_rmsprop_config rmsprop = lossopt_rmsprop_defaults();
    lossopt_status st = lossopt_adam_step_f32(0, 0, 0, 0, 0, 0, &adam, 1);
    return (int)st + (int)sgd.nesterov + (int)rmsprop.centered +
           (int)lossopt_active_isa() + LOSSOPT_VERSION_MAJOR;
}
EOF
cmd=("$compiler" -x "$lang" "-std=$std" -Wall -Wextra -pedantic -Werror -I"$include_dir"
     -c "$tmp/only_header.$lang" -o "$tmp/only_header.o")
echo "${cmd[*]}"
if "${cmd[@]}"; then
  echo "OK: lossopt.h compiles alone as $std with -Wall -Wextra -pedantic -Werror"
else
  echo "FAIL: lossopt.h does not compile cleanly as $std"
  exit 1
fi
