"""Copies a run's checkpoint into training/checkpoints/ without the optimizer state (what gets committed).

  python3 training/keep.py training/runs/decoder/ckpt.pt training/checkpoints/decoder.pt
"""
import sys

import torch

ck = torch.load(sys.argv[1])
torch.save({k: v for k, v in ck.items() if k != "opt"}, sys.argv[2])
print(f"kept step {ck['step']} ({ck['elapsed'] / 60:.1f} min) in {sys.argv[2]}")
