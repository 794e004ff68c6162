#!/usr/bin/env bash
# Trains the mini-unCLIP generative stack in order, each stage with a time budget
# (minutes), checkpointing and resuming: run it again to train further.
#   training/train/train_unclip.sh [prior_min] [decoder_min] [upsampler_min]
set -euo pipefail
cd "$(dirname "$0")/../.."  # the repository root: the scripts run as modules
PY=/usr/bin/python3
mkdir -p training/runs training/checkpoints
$PY -m training.train.train_prior --out training/runs/prior --minutes "${1:-12}" | tee -a training/runs/prior.log
$PY -m training.train.train_decoder --out training/runs/decoder --minutes "${2:-60}" | tee -a training/runs/decoder.log
$PY -m training.train.train_upsampler --out training/runs/upsampler --minutes "${3:-20}" | tee -a training/runs/upsampler.log
