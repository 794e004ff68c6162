#!/usr/bin/env bash
# Renders a training set here (Node) and compresses it for a GPU machine that may have
# PyTorch but no Node. gzip, not zstd: the lent GPU machines have neither the zstd program nor
# Python's zstandard, and gzip's decoder is everywhere (100k images: 1.2 GB -> 20 MB in 13 s;
# zstd -19 made 11.7 MB in 3 minutes, but nothing there could open it).
#   training/gpu/pack_dataset.sh [count] [seed]        -> training/carry/train.bin.gz (64x64; git-ignored)
#   training/gpu/pack_dataset.sh 8000 5 4              -> training/carry/train256.bin.gz (256x256, the 256 upsampler's)
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-100000}
seed=${2:-1}
scale=${3:-1}
name=train.bin
[ "$scale" = 1 ] || name=train$((64 * scale)).bin
[ -f "training/data/$name" ] || npm run --silent dataset -- --count "$count" --seed "$seed" --scale "$scale" --out "training/data/$name"
mkdir -p training/carry
rm -f "training/carry/$name.zst"
gzip -6 -c "training/data/$name" > "training/carry/$name.gz"
ls -l "training/carry/$name.gz"
