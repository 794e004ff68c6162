#!/usr/bin/env bash
# The device tool sends the working tree (tracked files too) and allows 64 MiB in all; this
# repository's tracked files are ~90 MB (the bundled ONNX models and the checkpoints). Before a
# GPU training call, move what training does not read out of the way (into git-ignored
# training/runs/stash/), and put it back afterwards:
#   training/gpu/slim_tree.sh out    # before the device call (then carry training/carry)
#   training/gpu/slim_tree.sh back   # after it (git status is clean again)
# Kept: the scripts, public/models/shapesworld-vocab.json and the checkpoints of the models the
# call trains (SLIM_KEEP="clip decoder dvae dalle" by default; mini-CLIP is needed by every
# unCLIP model).
set -euo pipefail
cd "$(dirname "$0")/../.."
stash=training/runs/stash
keep=" ${SLIM_KEEP:-clip decoder dvae dalle} "
case "${1:-}" in
  out)
    moved=0
    for f in public/models/*.onnx docs/*.png training/checkpoints/*.pt; do
      name=$(basename "$f" .pt)
      [[ $f == training/checkpoints/* && $keep == *" $name "* ]] && continue
      mkdir -p "$stash/$(dirname "$f")"
      mv "$f" "$stash/$f"
      moved=$((moved + 1))
    done
    echo "moved $moved files to $stash; what travels: $(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1) bytes tracked" \
      "+ $(du -cb training/carry 2>/dev/null | tail -1 | cut -f1) carried (limit 67108864)"
    ;;
  back)
    [ -d "$stash" ] || { echo "nothing stashed"; exit 0; }
    (cd "$stash" && find . -type f) | while read -r f; do mkdir -p "$(dirname "$f")"; mv "$stash/$f" "$f"; done
    rm -rf "$stash"
    git status --short
    ;;
  *) echo "usage: training/gpu/slim_tree.sh out|back" >&2; exit 2 ;;
esac
