#!/usr/bin/env bash
# One GPU lease for what the CPU here takes hours over: the cascade's 64 -> 256 upsampler, resumed exactly from its
# committed run state (training/checkpoints/resume/upsampler256.pt) when there is one.
#   training/gpu/gpu_session.sh <out-dir> [minutes]     (default 10; DEVICE=cpu for a smoke run)
# Before the device call (here):
#   training/gpu/pack_dataset.sh 8000 5 4               # training/carry/train256.bin.gz
#   SLIM_KEEP="upsampler256" training/gpu/slim_tree.sh out   # what travels: code, the resume state, the carry
# and carry training/carry; after it: training/gpu/slim_tree.sh back, then
#   cp <out>/upsampler256-resume.pt training/checkpoints/resume/upsampler256.pt   # and go on here, or
#   cp <out>/upsampler256.pt training/checkpoints/upsampler256.pt                 # weights only, when done
# Leaves in <out-dir>: upsampler256.pt (float16 weights), upsampler256-resume.pt (the whole state, a few MB) and
# upsampler256.log. Small models leave an H200 launch-bound: a big batch (BATCH, default 512 crops).
set -uo pipefail
cd "$(dirname "$0")/../.."  # the repository root: the scripts run as modules (python3 -m training....)
out=$1
minutes=${2:-10}
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
BATCH=${BATCH:-512}
mkdir -p "$out"
training/gpu/unpack_dataset.sh || exit 2
[ "$DEVICE" = cuda ] && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$out/upsampler256.log"
run=${RUNS:-/tmp}/unclip-run-upsampler256
flags=(--out "$run" --device "$DEVICE" --batch "$BATCH" --lr "${LR:-1e-3}" --ckpt-every 200 --threads 4 --steps 10000000)
start=$(date +%s)
# bfloat16 first; without it if that fails, for the time left
$PY -m training.train.train_upsampler256 "${flags[@]}" --minutes "$minutes" --amp >>"$out/upsampler256.log" 2>&1 || {
  echo "== failed under --amp; again without it" >>"$out/upsampler256.log"
  left=$($PY -c "import time; print(max(0.5, ($start + $minutes * 60 - time.time()) / 60))")
  $PY -m training.train.train_upsampler256 "${flags[@]}" --minutes "$left" >>"$out/upsampler256.log" 2>&1
}
$PY -m training.train.keep "$run/ckpt.pt" "$out/upsampler256.pt" >>"$out/upsampler256.log" 2>&1
cp "$run/ckpt.pt" "$out/upsampler256-resume.pt"
grep -h '"step"' "$out/upsampler256.log" | tail -n 4
echo "gpu_session: $(( $(date +%s) - start )) s"
ls -l "$out"
