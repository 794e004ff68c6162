#!/usr/bin/env bash
# Unpacks the dataset training/gpu/pack_dataset.sh carried to a GPU machine, unless it is there already:
#   training/gpu/unpack_dataset.sh [dest]   (default training/data/train.bin; run from anywhere)
# gzip first (the lent machines have no zstd); zst packs of sessions 1-6 where zstd or Python's
# zstandard exists.
set -euo pipefail
cd "$(dirname "$0")/.."  # training/
dest=${1:-data/train.bin}
PY=${PYTHON:-python3}
[ -f "$dest" ] && exit 0
mkdir -p "$(dirname "$dest")"
if [ -f carry/train.bin.gz ]; then gzip -d -c carry/train.bin.gz > "$dest"
elif command -v zstd >/dev/null; then zstd -q -d -f carry/train.bin.zst -o "$dest"
else $PY -c 'import sys, zstandard; zstandard.ZstdDecompressor().copy_stream(open(sys.argv[1], "rb"), open(sys.argv[2], "wb"))' carry/train.bin.zst "$dest"
fi
