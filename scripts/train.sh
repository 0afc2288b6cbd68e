#!/usr/bin/env bash
# scripts/train.sh - the training demo: every loss and every optimizer of
# lossopt on three real data sets (diabetes, breast cancer, 8x8 digits),
# a bf16 mixed-precision experiment on the digits MLP, and knowledge distillation
# into a 64-16-10 student and metric learning of digit embeddings.
#   scripts/train.sh [lossopt_train options: --seed N --isa NAME --epochs N
#                     --check all|some|none --out DIR]
# Installs the missing build packages (as root), fetches the scikit-learn data
# tables from Debian's python3-sklearn package into build/train-data (download
# and unpack only, never an install), builds build/train, runs the demo.
# Output: the summary table on stdout; CSV and SVG in out/train/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh cmake make gcc libc6-dev libsleef-dev

data=build/train-data
files=(diabetes_data_raw.csv diabetes_target.csv breast_cancer.csv digits.csv)
missing=0
for f in "${files[@]}"; do [[ -s $data/$f ]] || missing=1; done
if [[ $missing -eq 1 ]]; then
  echo "Fetching the data tables: apt-get download python3-sklearn (BSD-3-Clause, scikit-learn) ..."
  mkdir -p build "$data"
  tmp=$(mktemp -d build/train-deb.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  chmod 777 "$tmp"   # apt's _apt user downloads into it
  if ! (cd "$tmp" && apt-get download -qq python3-sklearn 2>/dev/null); then
    if [[ $(id -u) -eq 0 ]]; then
      apt-get update -qq
      (cd "$tmp" && apt-get download -qq python3-sklearn)
    else
      echo "apt-get download python3-sklearn failed; run as root (apt-get update) or put" >&2
      echo "${files[*]} (uncompressed) into $data" >&2
      exit 1
    fi
  fi
  dpkg -x "$tmp"/python3-sklearn_*.deb "$tmp/x"
  src=$tmp/x/usr/lib/python3/dist-packages/sklearn/datasets/data
  for f in "${files[@]}"; do
    if [[ -f $src/$f.gz ]]; then gunzip -c "$src/$f.gz" > "$data/$f.part"
    elif [[ -f $src/$f ]]; then cp "$src/$f" "$data/$f.part"
    else echo "python3-sklearn has no sklearn/datasets/data/$f(.gz)" >&2; exit 1; fi
    mv "$data/$f.part" "$data/$f"
  done
  ls "$tmp"/python3-sklearn_*.deb | sed 's|.*/|  from |' > "$data/SOURCE"
  echo "  -> $data: ${files[*]}"
fi

cmake -S . -B build/train -DCMAKE_BUILD_TYPE=Release -DLOSSOPT_BUILD_TESTS=OFF >/dev/null
cmake --build build/train -j "$(nproc 2>/dev/null || echo 2)" --target lossopt_train >/dev/null
exec build/train/examples/train/lossopt_train --data "$data" "$@"
