#!/usr/bin/env bash
# Trains the mini-unCLIP generative stack in order, each stage with a time budget
# (minutes), checkpointing and resuming: run it again to train further.
#   training/train_unclip.sh [prior_min] [decoder_min] [upsampler_min]
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
mkdir -p runs checkpoints
$PY train_prior.py --out runs/prior --minutes "${1:-12}" | tee -a runs/prior.log
$PY train_decoder.py --out runs/decoder --minutes "${2:-60}" | tee -a runs/decoder.log
$PY train_upsampler.py --out runs/upsampler --minutes "${3:-20}" | tee -a runs/upsampler.log
