#!/usr/bin/env bash
# tests/check_exported_symbols.sh - fails unless liblossopt.so exports only lossopt_* public API.
#   check_exported_symbols.sh LIBLOSSOPT.so   check the library's dynamic symbols
#   check_exported_symbols.sh --self-test     prove the checker rejects bad lists
# Every dynamic symbol is ABI a program can come to depend on, so anything
# outside the public header (kernels, dispatcher internals, per-ISA entry
# points) must stay hidden; -fvisibility=hidden + LOSSOPT_API is what ensures it.
set -euo pipefail

# Names of internal functions: these must never be exported even though they
# start with lossopt_ (lossopt_adam_step_f32_isa, lossopt_kernels_avx2, ...).
internal_pattern='_isa|_with_table|kernels_|cpu_|built_isas|active_table|kernel_table_for|describe_cpu'
# Public functions whose names contain "_isa"; a new one must be added here
# deliberately rather than slip through the pattern above.
public_isa_names=' lossopt_isa_name lossopt_set_isa lossopt_active_isa lossopt_supported_isas '
# A few public functions that must be there: an empty or truncated list
# (nm failing, a broken LOSSOPT_API) must not pass as "clean".
required=(lossopt_version_string lossopt_status_string lossopt_active_isa
          lossopt_set_isa lossopt_adam_step_f32)

# check_names: reads one symbol name per line; prints every problem; fails on any.
check_names() {
  local names bad=0 name
  names=$(cat)
  while IFS= read -r name; do
    [[ -z "$name" ]] && continue
    [[ "$public_isa_names" == *" $name "* ]] && continue
    if [[ "$name" != lossopt_* ]]; then
      echo "FAIL: exported symbol without the lossopt_ prefix: $name"; bad=1
    elif [[ "$name" =~ $internal_pattern ]]; then
      echo "FAIL: internal symbol exported: $name"; bad=1
    fi
  done <<<"$names"
  for name in "${required[@]}"; do
    if ! grep -qx "$name" <<<"$names"; then
      echo "FAIL: public symbol missing: $name"; bad=1
    fi
  done
  return $bad
}

if [[ "${1:-}" == "--self-test" ]]; then
  good=$(printf '%s\n' "${required[@]}" lossopt_isa_name lossopt_supported_isas)
  check_names <<<"$good" >/dev/null || { echo "FAIL: self-test: a clean list was rejected"; exit 1; }
  for bad in memcpy Sleef_expf8_u10avx2 lossopt_adam_step_f32_isa lossopt_kernels_avx2 \
             lossopt_cpu_describe lossopt_built_isas lossopt_active_table \
             lossopt_kernel_table_for lossopt_describe_cpu lossopt_sgd_step_f32_with_table; do
    if check_names <<<"$good"$'\n'"$bad" >/dev/null; then
      echo "FAIL: self-test: $bad was not rejected"; exit 1
    fi
  done
  if check_names <<<"lossopt_version_string" >/dev/null; then
    echo "FAIL: self-test: a list missing public symbols was accepted"; exit 1
  fi
  echo "OK: the checker rejects non-lossopt_, internal and missing symbols"
  exit 0
fi

lib=${1:?usage: check_exported_symbols.sh LIBLOSSOPT.so | --self-test}
[[ -f "$lib" ]] || { echo "FAIL: no such library: $lib"; exit 1; }
# Column 3 of `nm -D --defined-only` is the name; strip symbol versions (@...).
names=$(nm -D --defined-only "$lib" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u)
echo "dynamic symbols defined by $(basename "$lib"):"
sed 's/^/  /' <<<"$names"
if check_names <<<"$names"; then
  echo "OK: $(wc -l <<<"$names") symbols, all public lossopt_ API"
else
  exit 1
fi
