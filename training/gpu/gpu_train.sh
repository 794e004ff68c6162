#!/usr/bin/env bash
# Trains one model on a GPU machine (PyTorch, maybe no Node, no network), from the dataset
# packed here by training/gpu/pack_dataset.sh:
#   training/gpu/gpu_train.sh <prior|decoder|upsampler|upsampler256|...> <minutes> <out-dir> [flags for train_<model>.py ...]
# Resumes from <out-dir>/run/ckpt.pt if there is one, else from the committed checkpoint
# (training/checkpoints/<model>.pt). Leaves in <out-dir>: <model>.pt (the weights without the
# optimizer state, what training/checkpoints/ holds and the export takes) and <model>.log.
set -euo pipefail
cd "$(dirname "$0")/../.."  # the repository root: the scripts run as modules (python3 -m training....)
model=$1; minutes=$2; out=$3; shift 3
PY=${PYTHON:-python3}
training/gpu/unpack_dataset.sh  # every carried dataset into training/data/
mkdir -p "$out"
run=${RUN_DIR:-/tmp/unclip-run-$model}
$PY -m "training.train.train_$model" --out "$run" --minutes "$minutes" --device "${DEVICE:-cuda}" "$@" 2>&1 | tee -a "$out/$model.log"
$PY -m training.train.keep "$run/ckpt.pt" "$out/$model.pt" --half | tee -a "$out/$model.log"
