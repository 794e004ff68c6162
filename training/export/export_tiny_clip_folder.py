"""Exports a tiny random-weight CLIP in optimum's ONNX names, fp32 and fp16, for the model-folder tests.

  python3 -m training.export.export_tiny_clip_folder --out test-artifacts/published/tiny-clip

Writes onnx/text_model.onnx (input_ids, attention_mask -> text_embeds, last_hidden_state), onnx/vision_model.onnx
(pixel_values -> image_embeds, last_hidden_state), their _fp16 variants (float16 weights and float16 pixel_values
and outputs, computed in float32 inside, as an fp16 export with its I/O in float16 is fed) and reference.json: the
outputs of this PyTorch model for fixed ids, masks and pixels. The text half pools the tokens the attention mask
keeps (a masked mean), so feeding a wrong mask changes text_embeds. The JSON files of the folder (config.json,
tokenizer.json, ...) are written by scripts/published-clip.ts.
"""
import argparse
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyClip(nn.Module):
    """One attention layer over token embeddings, a patch convolution over pixels, both projected to `dim`."""

    def __init__(self, vocab, ctx, width, dim, size, patch, half=False):
        super().__init__()
        g = torch.Generator().manual_seed(20261207)
        p = {
            "token": torch.randn(vocab, width, generator=g) * 0.02,
            "pos": torch.randn(ctx, width, generator=g) * 0.02,
            "qkv": torch.randn(3 * width, width, generator=g) / width**0.5,
            "text_proj": torch.randn(dim, width, generator=g) / width**0.5,
            "patch": torch.randn(width, 3, patch, patch, generator=g) / (3 * patch * patch) ** 0.5,
            "image_proj": torch.randn(dim, width, generator=g) / width**0.5,
        }
        for name, value in p.items():
            self.register_buffer(name, value.half() if half else value)
        self.half_io = half
        self.patch_size = patch

    def w(self, name):
        return getattr(self, name).float()

    def text(self, input_ids, attention_mask):
        n = input_ids.shape[1]
        x = F.embedding(input_ids, self.w("token")) + self.w("pos")[:n]
        q, k, v = F.linear(x, self.w("qkv")).chunk(3, dim=-1)
        causal = torch.full((n, n), float("-inf")).triu(1)
        keep = attention_mask.float()
        att = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5 + causal + (1 - keep[:, None, :]) * -1e4
        x = x + att.softmax(-1) @ v
        m = keep.unsqueeze(-1)
        pooled = (x * m).sum(1) / m.sum(1)
        out = F.linear(pooled, self.w("text_proj")), x
        return tuple(t.half() for t in out) if self.half_io else out

    def vision(self, pixel_values):
        x = F.conv2d(pixel_values.float(), self.w("patch"), stride=self.patch_size)
        tokens = x.flatten(2).transpose(1, 2)
        out = F.linear(tokens.mean(1), self.w("image_proj")), tokens
        return tuple(t.half() for t in out) if self.half_io else out


class Half(nn.Module):
    def __init__(self, model, which):
        super().__init__()
        self.model, self.which = model, which

    def forward(self, *args):
        return getattr(self.model, self.which)(*args)


def export(model, out, suffix, ctx, size):
    ids = torch.zeros(2, ctx, dtype=torch.int64)
    mask = torch.ones(2, ctx, dtype=torch.int64)
    torch.onnx.export(
        Half(model, "text"),
        (ids, mask),
        os.path.join(out, "onnx", f"text_model{suffix}.onnx"),
        input_names=["input_ids", "attention_mask"],
        output_names=["text_embeds", "last_hidden_state"],
        opset_version=14,
        # folding would store the float16 weights' casts as float32 weights
        do_constant_folding=not model.half_io,
        dynamic_axes={n: {0: "batch"} for n in ["input_ids", "attention_mask", "text_embeds", "last_hidden_state"]},
    )
    pixels = torch.zeros(2, 3, size, size, dtype=torch.float16 if model.half_io else torch.float32)
    torch.onnx.export(
        Half(model, "vision"),
        (pixels,),
        os.path.join(out, "onnx", f"vision_model{suffix}.onnx"),
        input_names=["pixel_values"],
        output_names=["image_embeds", "last_hidden_state"],
        opset_version=14,
        do_constant_folding=not model.half_io,
        dynamic_axes={n: {0: "batch"} for n in ["pixel_values", "image_embeds", "last_hidden_state"]},
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--vocab", type=int, default=49408)
    p.add_argument("--ctx", type=int, default=77)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--dim", type=int, default=16)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--patch", type=int, default=8)
    args = p.parse_args()
    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    shape = (args.vocab, args.ctx, args.width, args.dim, args.size, args.patch)
    fp32, fp16 = TinyClip(*shape).eval(), TinyClip(*shape, half=True).eval()
    export(fp32, args.out, "", args.ctx, args.size)
    export(fp16, args.out, "_fp16", args.ctx, args.size)

    # rows as a CLIP tokenizer pads them (end token 49407 as padding), and pictures in [-1, 1]
    g = torch.Generator().manual_seed(7)
    ids = torch.full((3, args.ctx), args.vocab - 1, dtype=torch.int64)
    lengths = [7, 2, args.ctx]
    mask = torch.zeros(3, args.ctx, dtype=torch.int64)
    for r, n in enumerate(lengths):
        ids[r, :n] = torch.randint(0, args.vocab - 2, (n,), generator=g)
        ids[r, 0], ids[r, n - 1] = args.vocab - 2, args.vocab - 1
        mask[r, :n] = 1
    pixels = torch.rand(2, 3, args.size, args.size, generator=g) * 2 - 1
    with torch.no_grad():
        text_embeds, _ = fp32.text(ids, mask)
        image_embeds, _ = fp32.vision(pixels)
        text16, _ = fp16.text(ids, mask)
        image16, _ = fp16.vision(pixels.half())
    reference = {
        "ids": ids.tolist(),
        "mask": mask.tolist(),
        "pixels": pixels.flatten().tolist(),
        "pixelsShape": list(pixels.shape),
        "textEmbeds": text_embeds.tolist(),
        "imageEmbeds": image_embeds.tolist(),
        "textEmbedsFp16": text16.float().tolist(),
        "imageEmbedsFp16": image16.float().tolist(),
    }
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(reference, f)


if __name__ == "__main__":
    main()
