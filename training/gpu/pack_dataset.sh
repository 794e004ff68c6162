#!/usr/bin/env bash
# Renders the training set here (Node) and compresses it for a GPU machine that may have
# PyTorch but no Node. gzip, not zstd: the lent GPU machines have neither the zstd program nor
# Python's zstandard, and gzip's decoder is everywhere (100k images: 1.2 GB -> 20 MB in 13 s;
# zstd -19 made 11.7 MB in 3 minutes, but nothing there could open it).
#   training/gpu/pack_dataset.sh [count] [seed]   -> training/carry/train.bin.gz (git-ignored)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
seed=${2:-1}
[ -f training/data/train.bin ] || npm run --silent dataset -- --count "$count" --seed "$seed" --out training/data/train.bin
mkdir -p training/carry
rm -f training/carry/train.bin.zst
gzip -6 -c training/data/train.bin > training/carry/train.bin.gz
ls -l training/carry/train.bin.gz
