#!/usr/bin/env bash
# scripts/fetch-arm64-sleef.sh DIR - unpacks Debian's arm64 SLEEF packages into
# DIR/sysroot for the AArch64 cross build, with a private apt state so the
# host's dpkg architectures and package lists stay untouched (never
# `dpkg --add-architecture`, never `dpkg -i` into /). Idempotent.
set -euo pipefail
deps=$(realpath -m "${1:?usage: fetch-arm64-sleef.sh DIR}")
sysroot="$deps/sysroot"
if [[ -f "$sysroot/usr/include/aarch64-linux-gnu/sleef.h" ]] && ls "$sysroot"/usr/lib/aarch64-linux-gnu/libsleef.so >/dev/null 2>&1; then
  exit 0
fi
mkdir -p "$deps/lists/partial" "$deps/cache/archives/partial" "$deps/debs" "$sysroot"
apt_private=(-o APT::Architecture=arm64 -o APT::Architectures=arm64
             -o Dir::State::Lists="$deps/lists" -o Dir::Cache="$deps/cache")
echo "Fetching arm64 SLEEF into $sysroot"
apt-get "${apt_private[@]}" update -qq
(cd "$deps/debs" && apt-get -qq "${apt_private[@]}" download libsleef-dev libsleef3)
for deb in "$deps"/debs/*.deb; do
  dpkg -x "$deb" "$sysroot"
done
test -f "$sysroot/usr/include/aarch64-linux-gnu/sleef.h"
