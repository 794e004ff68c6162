#!/usr/bin/env bash
# One GPU lease, several models at once, side by side on one GPU (small models leave most of an
# H200 idle): what the open issues wait for (session 11's list).
#   training/gpu/gpu_session.sh <out-dir> [minutes]     (default 7.5; DEVICE=cpu for a smoke run)
# Jobs, stopping by the clock with a checkpoint:
#   inpaint  the inpainting decoder, on from $INPAINT_FROM (default training/checkpoints/inpaint_decoder.pt, session
#            19's e28525b2, the fine-tune on the decoder 3c1d83c8), on session 19's recipe
#            (training/logs/inpaint-task-vector.txt): 80% two-object scenes, 60% of the masks an object's cell, the
#            cell and box masks widened by up to 5 px (graphs/inpaint.json's mask/grow), ghosts inside the mask
#            (--ghost 0.5: the kept object's faint copy on the erased object's cell). The bundled decoder is
#            fe7c370f since session 20: to learn on it, carry the fine-tune onto it first (README's task_vector.py
#            command with --out training/carry/inpaint.pt, training/train/keep.py on it --half, INPAINT_FROM=training/carry/inpaint.pt)
#   decghost issue 12: the decoder on from training/checkpoints/decoder.pt on the CPU's relmix recipe (half of each
#            batch at t >= 600, 70% two-object scenes, 90% of those a relation caption that names the background:
#            training/logs/relations-layout.txt sections 4-6) with ghost copies (--ghost 0.4: one object copied
#            faintly into a free cell, the target the clean picture; training/world/ghosts.py, section 7): the extra
#            copy kept exactly-two under the issue's 90 / 85% until the long CPU run of section 9
#   decplain issue 12: the same without ghosts (the control: what the samples alone buy; both start from the
#            committed decoder, which already had 8,108 CPU steps with ghosts)
# Leaves in <out-dir> (at most 8 files, each under 16 MiB): inpaint_decoder.pt decoder.pt (decghost) decoder_plain.pt
# (float16 weights, as training/checkpoints/ holds them; copy them there) and one log per job. If a
# job fails under bfloat16 autocast it is rerun once without it for the time left.
# Judge inpaint_decoder.pt here afterwards with training/probes/probe_inpaint.py, then export_unclip.py --only inpaint
# --inpaint <pt> and npm run eval:inpaint -- --method both.
# Judge decoder.pt and decoder_plain.pt here afterwards: training/probes/probe_ghosts.py, training/probes/probe_layout.py
# (--weights model too), then
# export_unclip.py --only decoder --decoder <pt> and npm run eval:unclip -- --compose.
# Before the device call: SLIM_KEEP="clip decoder inpaint_decoder" training/gpu/slim_tree.sh out (SLIM_KEEP="clip decoder"
# with INPAINT_FROM in training/carry; the inpaint_decoder.pt it leaves is then on the bundled decoder: export it, do not
# carry it again)
# (the checkpoints these jobs start from; about 63 MB with training/carry).
set -uo pipefail
cd "$(dirname "$0")/../.."  # the repository root: the scripts run as modules (python3 -m training....)
out=$1
minutes=${2:-7.5}
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
BATCH=${BATCH:-1024}
mkdir -p "$out"
INPAINT_FROM=${INPAINT_FROM:-training/checkpoints/inpaint_decoder.pt}
for ck in training/checkpoints/clip.pt training/checkpoints/decoder.pt "$INPAINT_FROM"; do
  [ -f "$ck" ] || { echo "gpu_session: $ck is missing (SLIM_KEEP must keep it, or carry it)" >&2; exit 2; }
done
DATA=${DATA:-training/data/train.bin}
training/gpu/unpack_dataset.sh "$(realpath -m "$DATA")"
[ "$DEVICE" = cuda ] && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$out/inpaint.log"
start=$(date +%s)
deadline=$($PY -c "print(int($start + $minutes * 60))")
# the CLIP image embeddings of the dataset, once, before two decoder jobs would both write the cache
$PY - <<'EOF' 2>&1 | tail -1 | tee -a "$out/inpaint.log"
import torch
from training.train.common import TRAINING, image_embeddings, load_clip, pick_device
from training.world.shapesworld import ShapesWorldDataset
import os
data = os.environ.get("DATA", "training/data/train.bin")
dev = pick_device(os.environ.get("DEVICE", "cuda"))
clip_path = os.path.join(TRAINING, "checkpoints", "clip.pt")
e = image_embeddings(load_clip(clip_path, dev), ShapesWorldDataset(data), clip_path, device=dev)
print("clip image embeddings:", tuple(e.shape))
EOF
export DATA

left() {  # minutes left until the deadline, minus a margin of $1 seconds
  $PY -c "import sys, time; print(max(0.1, ($deadline - $1 - time.time()) / 60))"
}

job() {  # job <name> <script> <run-dir> <flags...>: bfloat16 first, without it if that fails
  local name=$1 script=$2 run=$3; shift 3
  $PY -m "$script" --out "$run" --data "$DATA" --device "$DEVICE" --minutes "$(left 45)" --amp "$@" >>"$out/$name.log" 2>&1 \
    || { echo "== $name failed under --amp; again without it" >>"$out/$name.log"
         $PY -m "$script" --out "$run" --data "$DATA" --device "$DEVICE" --minutes "$(left 20)" "$@" >>"$out/$name.log" 2>&1; }
}

dec_flags=(--batch "$BATCH" --warmup 200 --decay-steps -1 --min-lr-ratio 0.05 --caption-layers 2 --self-attention-16
           --object-weight-ramp --p-two 0.5 --p-drop-text 0.1 --p-drop-image 0.5 --ckpt-every 200 --threads 4
           --steps 10000000)  # the clock stops them: the checkpoints are past train_decoder's 20,000-step default
job inpaint training.train.train_decoder ${RUNS:-/tmp}/unclip-run-inpaint "${dec_flags[@]}" --lr 2e-4 --seed 21 \
  --inpaint --mask-grow 5 --mask-mix 0.6 0.1 0.1 0.15 0.05 --p-two 0.8 --p-relation 0.9 --relation-background \
  --ghost 0.5 --init-from "$INPAINT_FROM" &
mix_flags=(--lr 4e-4 --t-min 600 --t-min-share 0.5 --p-two 0.7 --p-relation 0.9 --relation-background
           --p-drop-text 0.2 --p-drop-image 0.5 --init-from training/checkpoints/decoder.pt)
job decghost training.train.train_decoder ${RUNS:-/tmp}/unclip-run-decghost "${dec_flags[@]}" "${mix_flags[@]}" --seed 22 --ghost 0.4 &
job decplain training.train.train_decoder ${RUNS:-/tmp}/unclip-run-decplain "${dec_flags[@]}" "${mix_flags[@]}" --seed 22 &
wait
for pair in inpaint:inpaint_decoder decghost:decoder decplain:decoder_plain; do
  name=${pair%%:*}
  $PY -m training.train.keep "${RUNS:-/tmp}/unclip-run-$name/ckpt.pt" "$out/${pair##*:}.pt" --half >>"$out/$name.log" 2>&1
done
grep -h '"step"' "$out"/*.log | tail -n 8
echo "gpu_session: $(( $(date +%s) - start )) s"
ls -l "$out"
