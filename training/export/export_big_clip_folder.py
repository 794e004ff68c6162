"""Exports a random-weight CLIP with ViT-B/32's real sizes in optimum's ONNX names, fp32 and fp16, for the bench.

  /usr/bin/python3 -m training.export.export_big_clip_folder --out test-artifacts/published/clip-vit-b32-random

The sizes are openai/clip-vit-base-patch32's (CLIPConfig): vision width 768, 12 layers, 12 heads, patch 32, 224
pixels; text width 512, 12 layers, 8 heads, 77 tokens, a 49,408-token vocabulary; both projected to 512. The blocks
are CLIP's (pre-LayerNorm, quick_gelu MLPs four times as wide, a causal mask and the attention mask in the text
half, the text pooled at the end token (argmax of the ids), the picture at the class token); the weights are seeded
random ones, not trained: they make the plumbing, memory and speed real, not the answers.

Writes onnx/text_model.onnx (input_ids, attention_mask -> text_embeds, last_hidden_state), onnx/vision_model.onnx
(pixel_values -> image_embeds, last_hidden_state) and their _fp16 variants (float16 weights, float16 pixel_values
and outputs, computed in float32 inside, as export_tiny_clip_folder.py's are). The JSON files of the folder
(config.json, tokenizer.json, preprocessor_config.json) are written by scripts/published-big.ts.
"""
import argparse
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

SIZES = {
    "vocab": 49408,
    "ctx": 77,
    "text_width": 512,
    "text_layers": 12,
    "text_heads": 8,
    "image_size": 224,
    "patch": 32,
    "vision_width": 768,
    "vision_layers": 12,
    "vision_heads": 12,
    "projection": 512,
}
SEED = 20261207


class RandomClip(nn.Module):
    """CLIP's text and vision towers, written out over named weights (buffers, float16 for the fp16 variant)."""

    def __init__(self, s, half=False):
        super().__init__()
        g = torch.Generator().manual_seed(SEED)
        self.s, self.half_io, self.names = s, half, []

        def add(name, *shape, std=None, fill=None):
            if fill is not None:
                value = torch.full(shape, float(fill))
            else:
                value = torch.randn(*shape, generator=g) * (std if std is not None else shape[-1] ** -0.5)
            self.register_buffer(name.replace(".", "_"), value.half() if half else value)
            self.names.append(name)

        def tower(prefix, width, layers):
            for i in range(layers):
                p = f"{prefix}.{i}"
                add(f"{p}.ln1.w", width, fill=1)
                add(f"{p}.ln1.b", width, fill=0)
                add(f"{p}.qkv.w", 3 * width, width)
                add(f"{p}.qkv.b", 3 * width, fill=0)
                add(f"{p}.out.w", width, width, std=(width * 2 * layers) ** -0.5)
                add(f"{p}.out.b", width, fill=0)
                add(f"{p}.ln2.w", width, fill=1)
                add(f"{p}.ln2.b", width, fill=0)
                add(f"{p}.fc1.w", 4 * width, width)
                add(f"{p}.fc1.b", 4 * width, fill=0)
                add(f"{p}.fc2.w", width, 4 * width, std=(4 * width * 2 * layers) ** -0.5)
                add(f"{p}.fc2.b", width, fill=0)

        tw, vw = s["text_width"], s["vision_width"]
        add("text.token", s["vocab"], tw, std=0.02)
        add("text.pos", s["ctx"], tw, std=0.01)
        tower("text.block", tw, s["text_layers"])
        add("text.final_ln.w", tw, fill=1)
        add("text.final_ln.b", tw, fill=0)
        add("text.proj", s["projection"], tw)
        grid = s["image_size"] // s["patch"]
        add("vision.patch", vw, 3, s["patch"], s["patch"], std=(3 * s["patch"] ** 2) ** -0.5)
        add("vision.cls", vw, std=vw**-0.5)
        add("vision.pos", grid * grid + 1, vw, std=0.02)
        add("vision.pre_ln.w", vw, fill=1)
        add("vision.pre_ln.b", vw, fill=0)
        tower("vision.block", vw, s["vision_layers"])
        add("vision.post_ln.w", vw, fill=1)
        add("vision.post_ln.b", vw, fill=0)
        add("vision.proj", s["projection"], vw)
        n = s["ctx"]
        self.register_buffer("causal", torch.full((n, n), -1e4).triu(1), persistent=False)

    def w(self, name):
        return getattr(self, name.replace(".", "_")).float()

    def ln(self, x, name):
        width = self.s["text_width" if name.startswith("text.") else "vision_width"]
        return F.layer_norm(x, (width,), self.w(f"{name}.w"), self.w(f"{name}.b"), eps=1e-5)

    def block(self, x, p, heads, bias=None):
        n, t, width = x.shape
        h = self.ln(x, f"{p}.ln1")
        q, k, v = F.linear(h, self.w(f"{p}.qkv.w"), self.w(f"{p}.qkv.b")).chunk(3, dim=-1)
        split = lambda z: z.reshape(n, t, heads, width // heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(q), split(k), split(v)
        att = q @ k.transpose(-2, -1) * (width // heads) ** -0.5
        if bias is not None:
            att = att + bias
        h = (att.softmax(-1) @ v).transpose(1, 2).reshape(n, t, width)
        x = x + F.linear(h, self.w(f"{p}.out.w"), self.w(f"{p}.out.b"))
        h = F.linear(self.ln(x, f"{p}.ln2"), self.w(f"{p}.fc1.w"), self.w(f"{p}.fc1.b"))
        h = h * torch.sigmoid(1.702 * h)  # quick_gelu
        return x + F.linear(h, self.w(f"{p}.fc2.w"), self.w(f"{p}.fc2.b"))

    def text(self, input_ids, attention_mask):
        s = self.s
        x = F.embedding(input_ids, self.w("text.token")) + self.w("text.pos")
        keep = attention_mask.float()
        bias = (self.causal + (1 - keep[:, None, :]) * -1e4)[:, None]
        for i in range(s["text_layers"]):
            x = self.block(x, f"text.block.{i}", s["text_heads"], bias)
        x = self.ln(x, "text.final_ln")
        # the end token's state: CLIP's end token has the largest id, so argmax of the ids finds it
        at = (torch.arange(s["ctx"])[None, :] == input_ids.argmax(-1)[:, None]).float()
        pooled = (x * at[:, :, None]).sum(1)
        out = F.linear(pooled, self.w("text.proj")), x
        return tuple(t.half() for t in out) if self.half_io else out

    def vision(self, pixel_values):
        s = self.s
        x = F.conv2d(pixel_values.float(), self.w("vision.patch"), stride=s["patch"])
        x = x.flatten(2).transpose(1, 2)
        cls = self.w("vision.cls")[None, None, :].expand(x.shape[0], 1, x.shape[2])
        x = torch.cat([cls, x], 1) + self.w("vision.pos")
        x = self.ln(x, "vision.pre_ln")
        for i in range(s["vision_layers"]):
            x = self.block(x, f"vision.block.{i}", s["vision_heads"])
        pooled = self.ln(x[:, 0], "vision.post_ln")
        out = F.linear(pooled, self.w("vision.proj")), x
        return tuple(t.half() for t in out) if self.half_io else out


class Half(nn.Module):
    def __init__(self, model, which):
        super().__init__()
        self.model, self.which = model, which

    def forward(self, *args):
        return getattr(self.model, self.which)(*args)


def export(model, out, suffix):
    s = model.s
    ids = torch.full((2, s["ctx"]), s["vocab"] - 1, dtype=torch.int64)
    ids[:, 0] = s["vocab"] - 2
    mask = torch.ones(2, s["ctx"], dtype=torch.int64)
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
    side = s["image_size"]
    pixels = torch.zeros(2, 3, side, side, dtype=torch.float16 if model.half_io else torch.float32)
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
    args = p.parse_args()
    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    with torch.no_grad():
        fp32 = RandomClip(SIZES).eval()
        params = {t: sum(fp32.w(n).numel() for n in fp32.names if n.startswith(f"{t}.")) for t in ["text", "vision"]}
        export(fp32, args.out, "")
        del fp32
        export(RandomClip(SIZES, half=True).eval(), args.out, "_fp16")
    print(json.dumps({"sizes": SIZES, "params": {**params, "total": params["text"] + params["vision"]}}))


if __name__ == "__main__":
    main()
