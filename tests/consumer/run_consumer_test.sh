#!/usr/bin/env bash
# tests/consumer/run_consumer_test.sh - installs lossopt and builds and runs programs against the installed copy.
#   run_consumer_test.sh BUILD_DIR SOURCE_DIR
# 1. `cmake --install BUILD_DIR --prefix <tmp>`, then checks the installed tree
#    (SONAME, symlinks, no internal headers or targets).
# 2. consumer.c and consumer.cpp, each built 4 ways against <tmp>: find_package
#    (lossopt::lossopt, lossopt::lossopt_static) and pkg-config (shared, and
#    static with --static); every binary must print the header's version, a
#    correct Adam step, and the same result bits as every other build.
# 3. The installed lossopt-info, as text and --json (valid JSON if python3 exists),
#    and the installed Python package: it imports from <prefix>/lib/python3*/dist-packages,
#    loads the installed library (not the build tree's) and runs a loss.
# 4. Only with LOSSOPT_TEST_DEB=1 (root; changes the system for a moment):
#    `cpack -G DEB`, dpkg -i, stage 2 and 3 against /usr, dpkg -r.
# Environment: CMAKE, CPACK (default: from PATH), CC (cc), CXX (g++).
# Exit 77 (skip) when a tool it needs is missing, with the reason printed.
set -euo pipefail

build_dir=$(cd "${1:?usage: run_consumer_test.sh BUILD_DIR SOURCE_DIR}" && pwd)
source_dir=$(cd "${2:?usage: run_consumer_test.sh BUILD_DIR SOURCE_DIR}" && pwd)
here=$source_dir/tests/consumer
cmake=${CMAKE:-cmake}
cpack=${CPACK:-cpack}
cc=${CC:-cc}
cxx=${CXX:-g++}
# The result must not depend on the caller's environment: the bits are the
# same on every ISA, but an invalid LOSSOPT_ISA would make every call fail.
unset LOSSOPT_ISA

fail() { echo "FAIL: $*"; exit 1; }
stage() { echo; echo "=== $* ==="; }

for tool in "$cmake" "$cc" "$cxx" pkg-config ldd; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIPPED: '$tool' not found (scripts/test.sh installs pkg-config and g++); no consumer test"
    exit 77
  fi
done

# The version is set once, in the header; everything installed must agree.
version=$(awk '/^#define LOSSOPT_VERSION_(MAJOR|MINOR|PATCH) /{ v = v (v ? "." : "") $3 } END { print v }' \
              "$source_dir/include/lossopt.h")
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "cannot read the version from include/lossopt.h"
major=${version%%.*}

work=$(mktemp -d "${TMPDIR:-/tmp}/lossopt-consumer.XXXXXX")
deb_installed=0
cleanup() {
  local rc=$?
  if [[ $deb_installed -eq 1 ]]; then
    echo "removing the lossopt package installed by this test"
    { dpkg -r lossopt && dpkg --purge lossopt; } >/dev/null ||
      echo "WARNING: removing the lossopt package failed; dpkg --purge lossopt by hand"
  fi
  if [[ $rc -eq 0 ]]; then rm -rf "$work"; else echo "(work files kept in $work)"; fi
}
trap cleanup EXIT

reference_bits=""
runs=0
# run_consumer LABEL BINARY: runs it and checks every line of its output.
run_consumer() {
  local label=$1 binary=$2 out bits rc=0
  out=$("$binary") || rc=$?
  [[ $rc -eq 0 ]] || { echo "$out"; fail "$label: exit status $rc"; }
  grep -qx "library $version" <<<"$out" || { echo "$out"; fail "$label: library version is not $version"; }
  grep -qx "header $version" <<<"$out" || { echo "$out"; fail "$label: header version is not $version"; }
  grep -qx "adam status ok" <<<"$out" || { echo "$out"; fail "$label: adam step did not return ok"; }
  grep -qx "adam check ok" <<<"$out" || { echo "$out"; fail "$label: adam step result is wrong"; }
  bits=$(grep '^adam bits ' <<<"$out") || fail "$label: no result bits printed"
  if [[ -z "$reference_bits" ]]; then
    reference_bits=$bits
  elif [[ "$bits" != "$reference_bits" ]]; then
    fail "$label: '$bits' differs from the first build's '$reference_bits'"
  fi
  runs=$((runs + 1))
  printf '  %-28s ok: %s\n' "$label" "${bits#adam bits }"
}

# check_linkage LABEL BINARY shared|static LIBDIR: which liblossopt the loader uses.
check_linkage() {
  local label=$1 binary=$2 kind=$3 libdir=$4 found
  found=$(ldd "$binary" | awk '$1 ~ /^liblossopt\.so/ { print $3 }')
  if [[ "$kind" == static ]]; then
    [[ -z "$found" ]] || fail "$label: a static build loads $found"
  else
    [[ -n "$found" ]] || fail "$label: does not load liblossopt.so.$major"
    [[ "$(realpath "$found")" == "$(realpath "$libdir/liblossopt.so.$major")" ]] ||
      fail "$label: loads $found, not the one in $libdir"
  fi
}

# build_consumers TAG PREFIX: the 8 builds against the lossopt installed in
# PREFIX (found through CMAKE_PREFIX_PATH and PKG_CONFIG_PATH; for /usr,
# through the default search paths only, as a user of the .deb would).
build_consumers() {
  local tag=$1 prefix=$2
  local dir=$work/$tag pc_libdir pc_prefix libs static_libs rpath=()
  mkdir -p "$dir"

  echo "-- find_package(lossopt)"
  local cmake_args=(-S "$here" -B "$dir/cmake" -DCMAKE_BUILD_TYPE=Release
                    -DLOSSOPT_EXPECTED_VERSION="$version" -DCMAKE_C_COMPILER="$cc"
                    -DCMAKE_CXX_COMPILER="$cxx")
  [[ "$prefix" != /usr ]] && cmake_args+=(-DCMAKE_PREFIX_PATH="$prefix")
  "$cmake" "${cmake_args[@]}" >"$dir/cmake-configure.log" 2>&1 ||
    { cat "$dir/cmake-configure.log"; fail "$tag: configuring the find_package consumer failed"; }
  grep -E '^-- consumer:' "$dir/cmake-configure.log" | sed 's/^/  /'
  grep -q "^-- consumer: lossopt $version from $prefix/" "$dir/cmake-configure.log" ||
    fail "$tag: find_package did not find lossopt $version under $prefix"
  "$cmake" --build "$dir/cmake" >"$dir/cmake-build.log" 2>&1 ||
    { cat "$dir/cmake-build.log"; fail "$tag: building the find_package consumers failed"; }

  echo "-- pkg-config lossopt"
  if [[ "$prefix" == /usr ]]; then
    unset PKG_CONFIG_PATH
  else
    export PKG_CONFIG_PATH
    PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name lossopt.pc -print -quit)")
  fi
  [[ "$(pkg-config --modversion lossopt)" == "$version" ]] ||
    fail "$tag: pkg-config --modversion lossopt is not $version"
  pc_prefix=$(pkg-config --variable=prefix lossopt)
  pc_libdir=$(pkg-config --variable=libdir lossopt)
  [[ "$(realpath "$pc_prefix")" == "$(realpath "$prefix")" ]] ||
    fail "$tag: lossopt.pc's prefix $pc_prefix is not $prefix"
  [[ -f "$pc_libdir/liblossopt.so.$major" && -f "$pc_libdir/liblossopt.a" ]] ||
    fail "$tag: lossopt.pc's libdir $pc_libdir holds no liblossopt"
  grep -qx 'License: MIT' "$(pkg-config --variable=pcfiledir lossopt)/lossopt.pc" ||
    fail "$tag: lossopt.pc does not carry 'License: MIT'"
  cmp -s "$prefix/share/doc/lossopt/copyright" "$source_dir/LICENSE" ||
    fail "$tag: $prefix/share/doc/lossopt/copyright is not the LICENSE"
  libs=$(pkg-config --libs lossopt)
  static_libs=$(pkg-config --static --libs lossopt)
  echo "  --cflags: $(pkg-config --cflags lossopt)"
  echo "  --libs: $libs"
  echo "  --static --libs: $static_libs"
  [[ " $libs " == *" -llossopt "* && " $libs " != *" -lsleef "* ]] ||
    fail "$tag: pkg-config --libs should be -llossopt without -lsleef (that is Libs.private)"
  [[ " $static_libs " == *" -lsleef "* && " $static_libs " == *" -lm "* ]] ||
    fail "$tag: pkg-config --static --libs lacks -lsleef or -lm"
  # A user of the .deb needs no rpath; a private prefix does.
  # shellcheck disable=SC2054 # one linker flag, commas included
  [[ "$prefix" != /usr ]] && rpath=(-Wl,-rpath,"$pc_libdir")
  # -l:liblossopt.a picks the archive over the .so, as `gcc -static` would,
  # while SLEEF and libm stay shared (Debian ships no libsleef.a).
  local static_flags=${static_libs/-llossopt/-l:liblossopt.a}
  # shellcheck disable=SC2046,SC2086 # pkg-config output is meant to be split
  {
    "$cc" -std=c11 -Wall -Wextra -pedantic -Werror $(pkg-config --cflags lossopt) \
          "$here/consumer.c" -o "$dir/pc_c_shared" $libs "${rpath[@]}"
    "$cc" -std=c11 -Wall -Wextra -pedantic -Werror $(pkg-config --cflags lossopt) \
          "$here/consumer.c" -o "$dir/pc_c_static" $static_flags
    "$cxx" -std=c++11 -Wall -Wextra -pedantic -Werror $(pkg-config --cflags lossopt) \
           "$here/consumer.cpp" -o "$dir/pc_cxx_shared" $libs "${rpath[@]}"
    "$cxx" -std=c++11 -Wall -Wextra -pedantic -Werror $(pkg-config --cflags lossopt) \
           "$here/consumer.cpp" -o "$dir/pc_cxx_static" $static_flags
  } || fail "$tag: building the pkg-config consumers failed"

  echo "-- running the 8 consumers (result bits must all be equal)"
  local lang kind
  for lang in c cxx; do
    for kind in shared static; do
      check_linkage "$tag cmake ${lang}_$kind" "$dir/cmake/consumer_${lang}_$kind" "$kind" "$pc_libdir"
      run_consumer "$tag cmake ${lang}_$kind" "$dir/cmake/consumer_${lang}_$kind"
      check_linkage "$tag pkg-config ${lang}_$kind" "$dir/pc_${lang}_$kind" "$kind" "$pc_libdir"
      run_consumer "$tag pkg-config ${lang}_$kind" "$dir/pc_${lang}_$kind"
    done
  done
}

# check_info TAG BINARY: the installed lossopt-info.
check_info() {
  local tag=$1 info=$2 out json rc=0
  [[ -x "$info" ]] || fail "$tag: $info is not installed"
  out=$("$info") || rc=$?
  [[ $rc -eq 0 ]] || fail "$tag: lossopt-info exited with $rc"
  echo "$out" | sed 's/^/  /'
  grep -qx "lossopt version   $version" <<<"$out" || fail "$tag: lossopt-info does not print version $version"
  grep -q '^ISA active        ' <<<"$out" || fail "$tag: lossopt-info prints no active ISA"
  [[ "$("$info")" == "$out" ]] || fail "$tag: two runs of lossopt-info differ"
  out=$(LOSSOPT_ISA=avx3 "$info")
  grep -q '^LOSSOPT_ISA=avx3: unknown or unsupported, every kernel call returns LOSSOPT_ERR_ISA' <<<"$out" ||
    fail "$tag: lossopt-info does not explain LOSSOPT_ISA=avx3"
  "$info" --help | grep -q '^usage: lossopt-info' || fail "$tag: lossopt-info --help"
  json=$("$info" --json) || fail "$tag: lossopt-info --json failed"
  grep -q "\"lossopt_version\": \"$version\"" <<<"$json" || fail "$tag: --json lacks lossopt_version $version"
  if command -v python3 >/dev/null 2>&1; then
    python3 -m json.tool <<<"$json" >/dev/null || { echo "$json"; fail "$tag: lossopt-info --json is not valid JSON"; }
    echo "  --json: valid JSON (python3 -m json.tool)"
  else
    echo "SKIPPED: JSON validation of lossopt-info --json (python3 not found)"
  fi
}

# check_python TAG PYTHONPATH_OR_EMPTY LIBDIR: the installed Python package
# imports, loads the liblossopt.so.N of LIBDIR (not the build tree's) and runs
# a loss; lossopt.torch imports too where PyTorch is installed.
check_python() {
  local tag=$1 pypath=$2 libdir=$3 python=/usr/bin/python3 out
  [[ -x $python ]] || python=$(command -v python3 || true)
  if [[ -z "$python" ]]; then
    echo "SKIPPED: $tag: the Python package (python3 not found)"
    return 0
  fi
  # Run outside the source tree, so nothing but the install can be imported.
  out=$(cd "$work" && env -u LOSSOPT_LIBRARY PYTHONPATH="$pypath" PYTHONDONTWRITEBYTECODE=1 "$python" -c '
import lossopt, sys
i = lossopt.info()
print("library", i["library"]); print("found_by", i["found_by"]); print("version", i["version"])
try:
    import numpy
except ImportError:
    print("numpy absent"); sys.exit(0)
x = numpy.array([1, 2, 3], numpy.float32); t = numpy.zeros(3, numpy.float32)
print("mse", lossopt.mse(x, t)[0])
try:
    import torch
except ImportError:
    print("torch absent"); sys.exit(0)
import lossopt.torch
print("lossopt.torch ok")
') || { echo "$out"; fail "$tag: importing the installed Python package failed"; }
  echo "$out" | sed 's/^/  /'
  grep -qx "library $libdir/liblossopt.so.$major" <<<"$out" ||
    fail "$tag: the Python package did not load $libdir/liblossopt.so.$major"
  grep -qx "found_by install prefix" <<<"$out" || fail "$tag: the library was not found through the install"
  grep -qx "version $version" <<<"$out" || fail "$tag: the Python package reports another version"
  if ! grep -qx "numpy absent" <<<"$out"; then
    grep -qx "mse 4.666666507720947" <<<"$out" || fail "$tag: lossopt.mse([1,2,3], 0) is not 14/3 in float"
  fi
}

# ---- 1. install into a temporary prefix -----------------------------------
prefix=$work/prefix
stage "cmake --install $build_dir --prefix $prefix"
"$cmake" --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "cmake --install failed"; }
(cd "$prefix" && find . -type f -o -type l | sort | sed 's/^\./  /')
libfile=$(find "$prefix" -name "liblossopt.so.$version" -print -quit)
[[ -n "$libfile" ]] || fail "liblossopt.so.$version not installed"
libdir=$(dirname "$libfile")
[[ "$(readlink "$libdir/liblossopt.so.$major")" == "liblossopt.so.$version" &&
   "$(readlink "$libdir/liblossopt.so")" == "liblossopt.so.$major" ]] ||
  fail "the liblossopt.so -> .so.$major -> .so.$version symlinks are wrong"
soname=$(objdump -p "$libfile" | awk '$1 == "SONAME" { print $2 }')
[[ "$soname" == "liblossopt.so.$major" ]] || fail "SONAME is '$soname', not liblossopt.so.$major"
for f in include/lossopt.h bin/lossopt-info; do
  [[ -e "$prefix/$f" ]] || fail "$f not installed"
done
[[ -f "$libdir/liblossopt.a" && -f "$libdir/pkgconfig/lossopt.pc" &&
   -f "$libdir/cmake/lossopt/lossoptConfig.cmake" &&
   -f "$libdir/cmake/lossopt/lossoptConfigVersion.cmake" ]] ||
  fail "liblossopt.a, lossopt.pc or the CMake package is missing from $libdir"
leaked=$(find "$prefix" \( -name lossopt_internal.h -o -name kernel_table.h -o -name 'vec*.h' \) -print)
[[ -z "$leaked" ]] || fail "internal headers installed: $leaked"
if grep -hoE '\blossopt_(internal|baseline|kernels_[a-z0-9]+|sleef)\b' \
     "$libdir"/cmake/lossopt/lossoptTargets*.cmake; then
  fail "internal targets exported (above)"
fi
echo "  SONAME $soname, symlinks, headers, package files: ok"

# ---- 2. consumers against the prefix ---------------------------------------
stage "consumers against $prefix"
build_consumers prefix "$prefix"

# ---- 3. lossopt-info ---------------------------------------------------------
stage "installed lossopt-info"
check_info prefix "$prefix/bin/lossopt-info"

# ---- 3b. the Python package -------------------------------------------------
stage "installed Python package"
pydir=$(dirname "$(dirname "$(find "$prefix" -path '*/lossopt/__init__.py' -print -quit)")")
[[ "$pydir" == "$prefix"/lib/python3*/dist-packages ]] || fail "the Python package is not in <prefix>/lib/python3*/dist-packages ($pydir)"
[[ -f "$pydir/lossopt/_location.py" ]] || fail "the installed package has no _location.py"
check_python prefix "$pydir" "$libdir"

# ---- 4. optional: the .deb ------------------------------------------------------
stage "CPack .deb"
if [[ "${LOSSOPT_TEST_DEB:-0}" != 1 ]]; then
  echo "SKIPPED: .deb stage (it installs a package into /usr for a moment); run with LOSSOPT_TEST_DEB=1 as root to enable it"
else
  [[ $(id -u) -eq 0 ]] || fail "LOSSOPT_TEST_DEB=1 needs root (dpkg -i)"
  if ! command -v dpkg >/dev/null || ! command -v "$cpack" >/dev/null; then
    fail "LOSSOPT_TEST_DEB=1 needs dpkg and cpack"
  fi
  # Never overwrite or remove a lossopt that was there before this test.
  if dpkg-query -W -f='${Status}' lossopt 2>/dev/null | grep -q 'ok installed'; then
    fail "the lossopt package is already installed; remove it (dpkg -r lossopt) first"
  fi
  for f in /usr/include/lossopt.h /usr/local/include/lossopt.h; do
    [[ ! -e "$f" ]] || fail "$f already exists; this stage would mix two lossopt installs"
  done
  (cd "$build_dir" && "$cpack" -G DEB -B "$work/deb") >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log"; fail "cpack -G DEB failed"; }
  deb=$(find "$work/deb" -maxdepth 1 -name '*.deb' -print -quit)
  [[ -n "$deb" ]] || fail "cpack wrote no .deb"
  echo "-- $(basename "$deb")"
  dpkg-deb -f "$deb" Package Version Architecture Maintainer Depends Section | sed 's/^/  /'
  dpkg-deb -c "$deb" | awk '{ print "  " $6 ($7 ? " " $7 " " $8 : "") }'
  # Files written from the staging install must not name CPack's staging dir.
  if dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards '*.pc' '*.cmake' | grep -n '_CPack_Packages'; then
    fail "the .deb's lossopt.pc or CMake files name CPack's staging directory"
  fi
  dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i failed"; }
  deb_installed=1
  build_consumers deb /usr
  echo "-- /usr/bin/lossopt-info"
  check_info deb /usr/bin/lossopt-info
  echo "-- the Python package from the .deb, on python3's default path"
  check_python deb "" "$(dirname "$(find /usr/lib -name "liblossopt.so.$major" -print -quit)")"
  dpkg -r lossopt >/dev/null || fail "dpkg -r lossopt failed"
  # -r leaves a "config-files" record behind; purge it, so the system is as before.
  dpkg --purge lossopt >/dev/null || fail "dpkg --purge lossopt failed"
  deb_installed=0
  [[ ! -e /usr/include/lossopt.h && ! -e /usr/bin/lossopt-info ]] || fail "dpkg -r left files behind"
  echo "  installed, used and removed: ok"
fi

echo
echo "OK: $runs consumer runs, all printing lossopt $version and ${reference_bits#adam bits }"
