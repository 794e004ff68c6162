"""Copies a run's checkpoint into training/checkpoints/ without the optimizer state (what gets committed).

  python3 training/keep.py training/runs/decoder/ckpt.pt training/checkpoints/decoder.pt [--half]

--half stores the weights as float16 (half the bytes: what comes back from a GPU machine must fit
in 16 MiB a file); training and export load them back into float32.
"""
import argparse

import torch

p = argparse.ArgumentParser()
p.add_argument("src")
p.add_argument("dst")
p.add_argument("--half", action="store_true")
args = p.parse_args()
ck = torch.load(args.src, map_location="cpu")
kept = {k: v for k, v in ck.items() if k != "opt"}
if args.half:
    for key in ("model", "ema"):
        kept[key] = {k: v.half() if v.is_floating_point() else v for k, v in kept[key].items()}
torch.save(kept, args.dst)
print(f"kept step {ck['step']} ({ck['elapsed'] / 60:.1f} min) in {args.dst}{' (float16)' if args.half else ''}")
