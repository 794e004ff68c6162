#!/usr/bin/env bash
# Unpacks the datasets training/gpu/pack_dataset.sh carried to a GPU machine, unless they are there already:
#   training/gpu/unpack_dataset.sh [dest]   (default: every training/carry/<name>.gz to training/data/<name>;
#                                            with dest, training/carry/train.bin.gz to dest; run from anywhere)
# gzip first (the lent machines have no zstd); zst packs of sessions 1-6 where zstd or Python's
# zstandard exists.
set -euo pipefail
cd "$(dirname "$0")/.."  # training/
PY=${PYTHON:-python3}
unpack() {  # unpack <carried name> <dest>
  local name=$1 dest=$2
  [ -f "$dest" ] && return 0
  mkdir -p "$(dirname "$dest")"
  if [ -f "carry/$name.gz" ]; then gzip -d -c "carry/$name.gz" > "$dest"
  elif [ -f "carry/$name.zst" ] && command -v zstd >/dev/null; then zstd -q -d -f "carry/$name.zst" -o "$dest"
  elif [ -f "carry/$name.zst" ]; then
    $PY -c 'import sys, zstandard; zstandard.ZstdDecompressor().copy_stream(open(sys.argv[1], "rb"), open(sys.argv[2], "wb"))' \
      "carry/$name.zst" "$dest"
  else echo "unpack_dataset: training/carry/$name.gz is missing (training/gpu/pack_dataset.sh makes it)" >&2; return 2
  fi
}
if [ $# -gt 0 ]; then unpack train.bin "$1"; exit; fi
for f in carry/*.bin.gz carry/*.bin.zst; do
  [ -e "$f" ] || continue
  name=$(basename "$f"); name=${name%.gz}; name=${name%.zst}
  unpack "$name" "data/$name"
done
