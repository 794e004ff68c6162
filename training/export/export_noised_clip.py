"""Exports the noise-aware mini-CLIP (train_noised_clip.py, EMA weights) with its gradient, as one ONNX
model: (x_t, timestep, text_embed) -> (score, grad), and writes its manifest entry (kind clip-noised).
Before exporting, the written-out backward pass is checked against PyTorch autograd on the weights.

  python3 -m training.export.export_noised_clip [--ckpt training/checkpoints/noised_clip.pt] [--out public/models]
"""
import argparse
import os

import torch

from training.probes.check_noised_clip_grad import check, check_float32
from training.export.manifest_util import MODELS_DIR, write_entries
from training.models.noised_clip_model import NoisedImageEncoder, ScoreAndGradient
from training.export.export_unclip import card, exported, io

from training.paths import TRAINING


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", default=os.path.join(TRAINING, "checkpoints", "noised_clip.pt"))
    p.add_argument("--out", default=MODELS_DIR)
    args = p.parse_args()
    ck = torch.load(args.ckpt, map_location="cpu")
    enc = NoisedImageEncoder()
    enc.load_state_dict({k: v.float() for k, v in ck["ema"].items() if k != "logit_scale"})
    enc.eval()
    worst64, worst32 = check(enc.double()), check_float32(enc.float())
    if worst32 > 1e-4:
        raise SystemExit(f"the written-out gradient differs from autograd by {worst32}")
    os.makedirs(args.out, exist_ok=True)
    head = exported(
        ScoreAndGradient(enc),
        args.out,
        "mini-clip-noised",
        "clip-noised",
        "noise-aware mini-CLIP image encoder with its gradient (CLIP guidance)",
        [
            io("x_t", 3, 32, 32, description="a decoder's noised sample"),
            io("timestep"),
            io("text_embed", 128, description="mini-clip-text's embedding (unit)"),
        ],
        [
            io("score", description="f(x_t, t) . text_embed"),
            io("grad", 3, 32, 32, description="d score / d x_t"),
        ],
        pair="mini-clip-text",
        embedDim=128,
    )
    c = card(
        ck,
        "noised_clip",
        "noise-aware image encoder: 4 convolutions 3x3 (32, 64, 128, 128 channels; strides 1, 2, 2, 2) "
        "with SiLU and a timestep bias per layer, a linear head to 128, L2-normalised; exported with its gradient "
        "(the backward pass written out: convolutions transposed, SiLU's derivative, the normalisation's Jacobian)",
        sum(q.numel() for q in enc.parameters()),
    )
    c["gradientCheck"] = {
        "method": "training/probes/check_noised_clip_grad.py: random x_t, t, unit text embeddings; the written-out "
        "gradient against PyTorch autograd",
        "maxAbsDiffFloat64": worst64,
        "maxAbsDiffFloat32": worst32,
    }
    c["training"] = (
        "noised 32x32 pictures (the decoder's x_t, cosine schedule, t uniform), contrastive against the frozen "
        "mini-CLIP text encoder (its embeddings are the targets; pictures whose captions are the same words count as "
        "matches)"
    )
    write_entries([{**head, "card": c}], args.out, f"; gradient vs autograd {worst32:.2e}")


if __name__ == "__main__":
    main()
