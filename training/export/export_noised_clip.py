"""Exports the noise-aware mini-CLIP (train_noised_clip.py, EMA weights) with its gradient, as one ONNX
model: (x_t, timestep, text_embed) -> (score, grad), and writes its manifest entry (kind clip-noised).
Before exporting, the written-out backward pass is checked against PyTorch autograd on the weights.

  python3 -m training.export.export_noised_clip [--ckpt training/checkpoints/noised_clip.pt] [--out public/models]
"""
import argparse
import os

import torch

from training.probes.check_noised_clip_grad import check, check_float32
from training.export.manifest_util import MODELS_DIR, file_fields, update_manifest
from training.models.noised_clip_model import NoisedImageEncoder, ScoreAndGradient
from training.export.export_unclip import card
from training.world.world import VERSION

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
    path = os.path.join(args.out, "mini-clip-noised.onnx")
    b = 2
    torch.onnx.export(
        ScoreAndGradient(enc),
        (torch.zeros(b, 3, 32, 32), torch.zeros(b), torch.zeros(b, 128)),
        path,
        input_names=["x_t", "timestep", "text_embed"],
        output_names=["score", "grad"],
        opset_version=14,
        dynamic_axes={n: {0: "batch"} for n in ("x_t", "timestep", "text_embed", "score", "grad")},
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
    entry = {
        "id": "mini-clip-noised",
        "kind": "clip-noised",
        "title": "noise-aware mini-CLIP image encoder with its gradient (CLIP guidance)",
        **file_fields(path, VERSION),
        "pair": "mini-clip-text",
        "embedDim": 128,
        "inputs": [
            {
                "name": "x_t",
                "dtype": "float32",
                "shape": ["batch", 3, 32, 32],
                "description": "a decoder's noised sample",
            },
            {"name": "timestep", "dtype": "float32", "shape": ["batch"]},
            {
                "name": "text_embed",
                "dtype": "float32",
                "shape": ["batch", 128],
                "description": "mini-clip-text's embedding (unit)",
            },
        ],
        "outputs": [
            {"name": "score", "dtype": "float32", "shape": ["batch"], "description": "f(x_t, t) . text_embed"},
            {"name": "grad", "dtype": "float32", "shape": ["batch", 3, 32, 32], "description": "d score / d x_t"},
        ],
        "card": c,
    }
    update_manifest([entry], os.path.join(args.out, "manifest.json"))
    print(
        f"exported mini-clip-noised: {entry['bytes']} bytes, sha256 {entry['sha256'][:12]}; gradient vs autograd "
        f"{worst32:.2e}"
    )


if __name__ == "__main__":
    main()
