#!/usr/bin/env bash
# One GPU lease, several models at once: the runs of session 7 (issue 12's decoder ablation and
# issue 9's dVAE + transformer), side by side on one GPU (small models leave most of an H200 idle).
#   training/gpu_session.sh <out-dir> [minutes]     (default 7.5; DEVICE=cpu for a smoke run)
# Jobs, all resuming from training/checkpoints/ and stopping by the clock with a checkpoint:
#   decA  decoder, self-attention at 16x16, object weight ramped by alpha-bar(t)  (--object-weight-ramp)
#   decB  the same with the constant object weight (the ablation's baseline)
#   dvae  the dVAE, then the DALL·E transformer on the new dVAE's codes
# Leaves in <out-dir> (at most 8 files, each under 16 MiB): decA.pt decB.pt dvae.pt dalle.pt (float16
# weights, as training/checkpoints/ holds them) and one log per job. If a job fails under bfloat16
# autocast it is rerun once without it for the time left.
set -uo pipefail
cd "$(dirname "$0")"
out=$1
minutes=${2:-7.5}
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
BATCH=${BATCH:-1024}
mkdir -p "$out"
DATA=${DATA:-data/train.bin}
./unpack_dataset.sh "$DATA"
[ "$DEVICE" = cuda ] && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$out/dvae.log"
start=$(date +%s)
deadline=$($PY -c "print(int($start + $minutes * 60))")
# the CLIP image embeddings of the dataset, once, before two decoder jobs would both write the cache
$PY - <<'EOF' 2>&1 | tail -1 | tee -a "$out/decA.log"
import torch
from unclip_common import HERE, image_embeddings, load_clip, pick_device
from shapesworld import ShapesWorldDataset
import os
data = os.environ.get("DATA", "data/train.bin")
dev = pick_device(os.environ.get("DEVICE", "cuda"))
clip_path = os.path.join(HERE, "checkpoints", "clip.pt")
e = image_embeddings(load_clip(clip_path, dev), ShapesWorldDataset(data), clip_path, device=dev)
print("clip image embeddings:", tuple(e.shape))
EOF
export DATA

left() {  # minutes left until the deadline, minus a margin of $1 seconds
  $PY -c "import sys, time; print(max(0.1, ($deadline - $1 - time.time()) / 60))"
}

job() {  # job <name> <script> <run-dir> <flags...>: bfloat16 first, without it if that fails
  local name=$1 script=$2 run=$3; shift 3
  $PY "$script" --out "$run" --data "$DATA" --device "$DEVICE" --minutes "$(left 45)" --amp "$@" >>"$out/$name.log" 2>&1 \
    || { echo "== $name failed under --amp; again without it" >>"$out/$name.log"
         $PY "$script" --out "$run" --data "$DATA" --device "$DEVICE" --minutes "$(left 20)" "$@" >>"$out/$name.log" 2>&1; }
}

dec_flags=(--batch "$BATCH" --lr 8e-4 --warmup 200 --decay-steps -1 --min-lr-ratio 0.05 --caption-layers 2
           --p-two 0.5 --p-drop-text 0.2 --p-drop-image 0.3 --self-attention-16 --seed 11 --ckpt-every 200 --threads 4)
job decA train_decoder.py ${RUNS:-/tmp}/unclip-run-decA "${dec_flags[@]}" --object-weight-ramp &
job decB train_decoder.py ${RUNS:-/tmp}/unclip-run-decB "${dec_flags[@]}" &
(
  # dVAE without autocast: nearest-code search in bfloat16 would pick wrong codes
  $PY train_dvae.py --out ${RUNS:-/tmp}/unclip-run-dvae --data "$DATA" --device "$DEVICE" --minutes "$(left $(( ${DALLE_SECONDS:-300} + 45 )))" \
    --batch "${SMALL_BATCH:-512}" --lr 5e-4 --warmup 100 --decay-steps -1 --seed 12 --ckpt-every 200 --threads 4 >>"$out/dvae.log" 2>&1
  $PY keep.py ${RUNS:-/tmp}/unclip-run-dvae/ckpt.pt "$out/dvae.pt" --half >>"$out/dvae.log" 2>&1
  job dalle train_dalle.py ${RUNS:-/tmp}/unclip-run-dalle --dvae "$out/dvae.pt" --width 256 --layers 4 --heads 8 \
    --batch "${SMALL_BATCH:-512}" --lr 4e-4 --warmup 100 --decay-steps -1 --seed 12 --ckpt-every 200 --threads 4
) &
wait
for name in decA decB dalle; do
  $PY keep.py "${RUNS:-/tmp}/unclip-run-$name/ckpt.pt" "$out/$name.pt" --half >>"$out/$name.log" 2>&1
done
grep -h '"step"' "$out"/*.log | tail -n 8
echo "gpu_session: $(( $(date +%s) - start )) s"
ls -l "$out"
