#!/usr/bin/env bash
# Renders the training set here (Node) and compresses it for a GPU machine that may have
# PyTorch but no Node: ShapesWorld compresses about 60x (100k images: 1.2 GB -> ~15 MB).
#   training/pack_dataset.sh [count] [seed]   -> training/carry/train.bin.zst (git-ignored)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
seed=${2:-1}
[ -f training/data/train.bin ] || npm run --silent dataset -- --count "$count" --seed "$seed" --out training/data/train.bin
mkdir -p training/carry
zstd -q -19 -T0 -f training/data/train.bin -o training/carry/train.bin.zst
ls -l training/carry/train.bin.zst
