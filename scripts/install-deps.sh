#!/usr/bin/env bash
# scripts/install-deps.sh - makes sure the Debian packages a command needs are
# installed: as root it installs the missing ones with apt-get; otherwise it
# prints the exact apt-get line to run and fails.
#   scripts/install-deps.sh PACKAGE...
set -euo pipefail

missing=()
for package in "$@"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
# apt and dpkg print hundreds of progress lines; keep them in a log and show
# it only when the install fails.
echo "Installing missing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/lossopt-apt.XXXXXX.log)
start=$SECONDS
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
     >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "apt-get failed (full log: $log)" >&2
  exit 1
fi
rm -f "$log"
echo "Installed ${#missing[@]} package(s) in $((SECONDS - start)) s"
