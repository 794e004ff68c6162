"""Exports mini-CLIP's encoders to ONNX (dynamic batch) and writes their manifest entries.

  python3 -m training.export.export_clip --ckpt training/runs/clip/ckpt.pt [--out public/models]
"""
import argparse
import json
import os

import torch

from training.models.clip_model import MiniClip
from training.export.manifest_util import MODELS_DIR, sha256_of, update_manifest
from training.world.world import SPEC, VERSION

WORLD = VERSION  # training/world/world.json


class TextExport(torch.nn.Module):
    def __init__(self, text):
        super().__init__()
        self.text = text

    def forward(self, input_ids):
        return self.text(input_ids)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--out", default=MODELS_DIR)
    p.add_argument("--manifest", default=None, help="manifest to update (default <out>/manifest.json)")
    args = p.parse_args()
    ck = torch.load(args.ckpt, map_location="cpu")
    with open(os.path.join(MODELS_DIR, "shapesworld-vocab.json")) as f:
        vocab = json.load(f)
    model = MiniClip(len(vocab))
    model.load_state_dict(ck["model"])
    model.eval()
    os.makedirs(args.out, exist_ok=True)
    ctx = model.text.pos.shape[0]
    dim = model.text.projection.out_features
    width = model.text.pos.shape[1]

    text_path = os.path.join(args.out, "mini-clip-text.onnx")
    ids = torch.zeros(2, ctx, dtype=torch.int64)
    ids[:, 0], ids[:, 1], ids[:, 2] = vocab["<start>"], vocab["circle"], vocab["<end>"]
    torch.onnx.export(
        TextExport(model.text),
        (ids,),
        text_path,
        input_names=["input_ids"],
        output_names=["text_embeds", "last_hidden_state"],
        opset_version=14,
        dynamic_axes={"input_ids": {0: "batch"}, "text_embeds": {0: "batch"}, "last_hidden_state": {0: "batch"}},
    )
    image_path = os.path.join(args.out, "mini-clip-image.onnx")
    torch.onnx.export(
        model.image,
        (torch.zeros(2, 3, 64, 64),),
        image_path,
        input_names=["pixel_values"],
        output_names=["image_embeds"],
        opset_version=14,
        dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
    )

    params_text = sum(p.numel() for p in model.text.parameters())
    params_image = sum(p.numel() for p in model.image.parameters())
    targs = ck.get("args", {})
    HELD_OUT_PAIRS = SPEC["heldOutPairs"]
    card = {
        "trainingData": f"ShapesWorld {WORLD.rsplit('-', 1)[-1]}, {ck.get('data_count', '?')} rendered images with 4 "
        "captions each; "
        f"held out: {', '.join(' '.join(p) for p in HELD_OUT_PAIRS)} (never rendered in training)",
        "steps": ck["step"],
        "batch": targs.get("batch"),
        "trainingMinutes": round(ck["elapsed"] / 60, 1),
        "hardware": "2-core CPU, PyTorch 1.13 (Debian) with OpenBLAS",
        "logitScale": round(float(model.logit_scale.exp()), 3),
    }
    common = {"world": WORLD, "pair": None, "embedDim": dim}
    tokenizer = {
        "type": "word",
        "vocab": "shapesworld-vocab.json",
        "contextLength": ctx,
        "specialTokens": {"start": "<start>", "end": "<end>", "pad": "<pad>"},
    }
    entries = [
        {
            **common,
            "id": "mini-clip-text",
            "kind": "clip-text",
            "title": "mini-CLIP text encoder (ShapesWorld)",
            "file": "mini-clip-text.onnx",
            "sha256": sha256_of(text_path),
            "bytes": os.path.getsize(text_path),
            "pair": "mini-clip-image",
            "inputs": [{"name": "input_ids", "dtype": "int64", "shape": ["batch", ctx]}],
            "outputs": [
                {"name": "text_embeds", "dtype": "float32", "shape": ["batch", dim]},
                {"name": "last_hidden_state", "dtype": "float32", "shape": ["batch", ctx, width]},
            ],
            "tokenizer": tokenizer,
            "card": {
                **card,
                "architecture": f"causal transformer, 3 layers, width {width}, 4 heads, end-token pooling, "
                f"{params_text} parameters",
            },
        },
        {
            **common,
            "id": "mini-clip-image",
            "kind": "clip-image",
            "title": "mini-CLIP image encoder (ShapesWorld)",
            "file": "mini-clip-image.onnx",
            "sha256": sha256_of(image_path),
            "bytes": os.path.getsize(image_path),
            "pair": "mini-clip-text",
            "inputs": [{"name": "pixel_values", "dtype": "float32", "shape": ["batch", 3, 64, 64]}],
            "outputs": [{"name": "image_embeds", "dtype": "float32", "shape": ["batch", dim]}],
            "preprocessing": {"size": 64, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "layout": "NCHW"},
            "card": {
                **card,
                "architecture": f"CNN, 6 conv layers (3x3, BatchNorm, ReLU) and a 2-layer head, {params_image} "
                "parameters",
            },
        },
    ]
    update_manifest(entries, args.manifest or os.path.join(args.out, "manifest.json"))
    print(
        f"exported {text_path} ({os.path.getsize(text_path)} bytes), {image_path} ({os.path.getsize(image_path)} bytes)"
    )


if __name__ == "__main__":
    main()
