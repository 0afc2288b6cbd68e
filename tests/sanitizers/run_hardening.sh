#!/usr/bin/env bash
# tests/sanitizers/run_hardening.sh - the hardening stages of scripts/test.sh,
# run after the native stage (needs build/native built):
#   1. build/asan: the native suite built with ASan + UBSan
#      (RelWithDebInfo, -fsanitize=address,undefined -fno-sanitize-recover=all),
#      run by ctest, forced-ISA runs included. Excluded: the qemu-x86_64
#      emulated-CPU runs (ASan's shadow memory does not work under qemu-user)
#      and `consumer` (it installs the library and rebuilds programs against it
#      without sanitizer flags, which cannot link an ASan-built liblossopt),
#      and the python.* tests (an ASan-built liblossopt cannot be loaded into
#      an uninstrumented python3; they run against build/native).
#      Line tables only (-g1). The SIMDe-emulated AVX-512 kernels are built
#      with UBSan but without ASan (tests/CMakeLists.txt: compile time; their
#      accesses are checked at guard pages natively).
#   2. build/tsan: tests/sanitizers/test_dispatch_race (16 threads racing
#      the dispatcher's first use and lossopt_set_isa) and test_engine_step
#      (the built-in thread pool: 1-16 threads, reused, both passes),
#      -fsanitize=thread.
#   3. valgrind memcheck over a subset of build/native, LOSSOPT_ISA=avx2 and
#      scalar (valgrind cannot run AVX-512), LOSSOPT_TEST_QUICK=1.
# Prints one === header per stage and a PASS/FAIL/SKIP line per run; exits 1
# if anything failed.
#   tests/sanitizers/run_hardening.sh [JOBS]
set -uo pipefail
cd "$(dirname "$0")/../.."
jobs=${1:-$(nproc 2>/dev/null || echo 2)}
status=0
now() { date +%s; }

# ---- 1. ASan + UBSan -----------------------------------------------------------
asan_flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
echo "=== ASan + UBSan build (build/asan), native suite under ctest ==="
start=$(now)
# -g1 (line tables): the reports' stack traces need no more, and full -g
# spends minutes tracking variables through the kernels' specialised loops.
if cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
         -DCMAKE_C_FLAGS="$asan_flags" -DCMAKE_EXE_LINKER_FLAGS="$asan_flags" \
         -DCMAKE_SHARED_LINKER_FLAGS="$asan_flags" >/dev/null &&
   cmake --build build/asan -j "$jobs" >/dev/null; then
  echo "  built in $(( $(now) - start ))s; not run under ASan: *.qemu_* (qemu-user), consumer (rebuilds without sanitizers), python.* (an ASan library cannot load into python3)"
  exclude='qemu_|^consumer$|^python\.'
  start=$(now)
  if (cd build/asan &&
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest -j "$jobs" --timeout 900 --output-on-failure -E "$exclude"); then
    echo "  ASan+UBSan: PASS ($(( $(now) - start ))s)"
  else
    echo "  ASan+UBSan: FAIL ($(( $(now) - start ))s; sanitizer reports above)"
    status=1
  fi
  log=build/asan/Testing/Temporary/LastTest.log
  [[ -f "$log" ]] && grep -h "SKIPPED:" "$log" | sed 's/^/  skip reason: /' | sort -u
else
  echo "  ASan+UBSan: FAIL (build failed)"
  status=1
fi

# ---- 2. ThreadSanitizer: the dispatcher's first use ---------------------------
tsan_flags="-fsanitize=thread -fno-omit-frame-pointer"
echo "=== ThreadSanitizer build (build/tsan): test_dispatch_race, test_engine_step ==="
start=$(now)
if cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
         -DCMAKE_C_FLAGS="$tsan_flags" -DCMAKE_EXE_LINKER_FLAGS="$tsan_flags" \
         -DCMAKE_SHARED_LINKER_FLAGS="$tsan_flags" >/dev/null &&
   cmake --build build/tsan -j "$jobs" --target test_dispatch_race test_engine_step >/dev/null; then
  echo "  built in $(( $(now) - start ))s"
  # Each run is a fresh process, so each one races the first use again.
  for run in 1 2 3; do
    rc=0
    out=$(TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/test_dispatch_race 2>&1) || rc=$?
    if [[ $rc -eq 0 ]]; then
      echo "  PASS  tsan test_dispatch_race run $run"
    elif [[ $rc -eq 77 ]]; then
      echo "  SKIP  tsan test_dispatch_race run $run: $(grep -m1 SKIPPED <<<"$out")"
    else
      echo "$out" | sed 's/^/    /'
      echo "  FAIL  tsan test_dispatch_race run $run (exit $rc)"
      status=1
    fi
  done
  # the thread pool and the tasks of the engine step (quick: the covering set)
  rc=0
  out=$(TSAN_OPTIONS=halt_on_error=1 LOSSOPT_TEST_QUICK=1 build/tsan/tests/test_engine_step 2>&1) || rc=$?
  if [[ $rc -eq 0 ]]; then
    echo "  PASS  tsan test_engine_step (thread pool)"
  else
    echo "$out" | tail -40 | sed 's/^/    /'
    echo "  FAIL  tsan test_engine_step (exit $rc)"
    status=1
  fi
else
  echo "  FAIL  tsan: build failed"
  status=1
fi

# ---- 3. valgrind memcheck --------------------------------------------------------
echo "=== valgrind memcheck (build/native, LOSSOPT_TEST_QUICK=1; avx2 and scalar) ==="
if ! command -v valgrind >/dev/null 2>&1; then
  echo "  SKIP  valgrind not installed (apt-get install valgrind); no memcheck stage"
else
  mkdir -p build/valgrind
  for isa in avx2 scalar; do
    for t in test_optimizers_bitwise test_losses_bitwise test_optimizer_errors test_loss_errors; do
      log=build/valgrind/$t.$isa.log
      if [[ ! -x build/native/tests/$t ]]; then
        echo "  FAIL  valgrind $t LOSSOPT_ISA=$isa: build/native/tests/$t not built"
        status=1
        continue
      fi
      start=$(now)
      rc=0
      LOSSOPT_TEST_QUICK=1 LOSSOPT_ISA=$isa \
        valgrind --error-exitcode=1 --leak-check=full build/native/tests/$t >"$log" 2>&1 || rc=$?
      took="$(( $(now) - start ))s"
      if [[ $rc -eq 0 ]]; then
        echo "  PASS  valgrind $t LOSSOPT_ISA=$isa ($took)"
      elif [[ $rc -eq 77 ]]; then
        echo "  SKIP  valgrind $t LOSSOPT_ISA=$isa: $(grep -m1 SKIPPED "$log")"
      else
        echo "  FAIL  valgrind $t LOSSOPT_ISA=$isa (exit $rc, $took; full log $log):"
        grep -E "ERROR SUMMARY|Invalid|uninitialised|definitely lost|possibly lost|FAIL|unhandled instruction" "$log" |
          head -20 | sed 's/^/    /'
        status=1
      fi
    done
  done
fi

exit $status
