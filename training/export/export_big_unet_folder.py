"""Exports a random-weight diffusion U-Net of over 100M parameters in diffusers' folder layout, for the bench.

  /usr/bin/python3 -m training.export.export_big_unet_folder --out test-artifacts/published/unet-100m-random

The U-Net is UNet2DConditionModel's shape at a smaller width: 4 x 64 x 64 latents, block_out_channels
(128, 256, 512, 512), two ResNet blocks per level going down and three coming up (GroupNorm 32, SiLU, a timestep
embedding added), a transformer block (self-attention, cross-attention to 512-wide text features, heads of 64, a
GEGLU feed-forward) after each ResNet of the two middle levels (32 and 16 pixels) and in the middle block, skip
connections concatenated on the way up: 137,372,932 parameters. Weights are seeded random ones:
they make the plumbing, memory and speed real, not the pictures.

Writes model_index.json, scheduler/scheduler_config.json (Stable Diffusion's DDIM settings), unet/config.json and
unet/model.onnx with diffusers' input names (sample, timestep int64 [batch], encoder_hidden_states) and out_sample,
and prints the parameter count as JSON.
"""
import argparse
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

CHANNELS = (128, 256, 512, 512)
ATTENTION = (False, True, True, False)
LAYERS, LATENT, SIDE, CROSS, HEAD_DIM, TOKENS = 2, 4, 64, 512, 64, 77
SEED = 20261207


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(32, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.time = nn.Linear(temb, cout)
        self.norm2, self.conv2 = nn.GroupNorm(32, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x))) + self.time(F.silu(temb))[:, :, None, None]
        return self.skip(x) + self.conv2(F.silu(self.norm2(h)))


class Attention(nn.Module):
    def __init__(self, dim, context):
        super().__init__()
        self.heads = dim // HEAD_DIM
        self.q = nn.Linear(dim, dim, bias=False)
        self.k, self.v = nn.Linear(context, dim, bias=False), nn.Linear(context, dim, bias=False)
        self.out = nn.Linear(dim, dim)

    def forward(self, x, context):
        n, t, dim = x.shape
        split = lambda z: z.reshape(n, -1, self.heads, HEAD_DIM).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q(x)), split(self.k(context)), split(self.v(context))
        att = (q @ k.transpose(-2, -1) * HEAD_DIM**-0.5).softmax(-1)
        return self.out((att @ v).transpose(1, 2).reshape(n, t, dim))


class Transformer(nn.Module):
    """diffusers' Transformer2DModel with one BasicTransformerBlock: linear in and out, self, cross, GEGLU."""

    def __init__(self, dim):
        super().__init__()
        self.norm, self.proj_in = nn.GroupNorm(32, dim), nn.Linear(dim, dim)
        self.ln1, self.self_attn = nn.LayerNorm(dim), Attention(dim, dim)
        self.ln2, self.cross_attn = nn.LayerNorm(dim), Attention(dim, CROSS)
        self.ln3, self.ff_in, self.ff_out = nn.LayerNorm(dim), nn.Linear(dim, 8 * dim), nn.Linear(4 * dim, dim)
        self.proj_out = nn.Linear(dim, dim)

    def forward(self, x, context):
        n, c, h, w = x.shape
        t = self.proj_in(self.norm(x).flatten(2).transpose(1, 2))
        t = t + self.self_attn(self.ln1(t), self.ln1(t))
        t = t + self.cross_attn(self.ln2(t), context)
        a, gate = self.ff_in(self.ln3(t)).chunk(2, dim=-1)
        t = t + self.ff_out(a * F.gelu(gate))
        return x + self.proj_out(t).transpose(1, 2).reshape(n, c, h, w)


class Unet(nn.Module):
    def __init__(self):
        super().__init__()
        c0, temb = CHANNELS[0], 4 * CHANNELS[0]
        self.time1, self.time2 = nn.Linear(c0, temb), nn.Linear(temb, temb)
        self.conv_in = nn.Conv2d(LATENT, c0, 3, padding=1)
        self.down, self.skips = nn.ModuleList(), [c0]
        cin = c0
        for level, (c, att) in enumerate(zip(CHANNELS, ATTENTION)):
            for _ in range(LAYERS):
                self.down.append(ResBlock(cin, c, temb))
                if att:
                    self.down.append(Transformer(c))
                cin = c
                self.skips.append(c)
            if level < len(CHANNELS) - 1:
                self.down.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
                self.skips.append(c)
        self.mid = nn.ModuleList([ResBlock(cin, cin, temb), Transformer(cin), ResBlock(cin, cin, temb)])
        self.up, skips = nn.ModuleList(), list(self.skips)
        for level in reversed(range(len(CHANNELS))):
            c, att = CHANNELS[level], ATTENTION[level]
            for _ in range(LAYERS + 1):
                self.up.append(ResBlock(cin + skips.pop(), c, temb))
                if att:
                    self.up.append(Transformer(c))
                cin = c
            if level > 0:
                self.up.append(nn.Upsample(scale_factor=2.0, mode="nearest"))
                self.up.append(nn.Conv2d(c, c, 3, padding=1))
        self.norm_out, self.conv_out = nn.GroupNorm(32, cin), nn.Conv2d(cin, LATENT, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states):
        half = CHANNELS[0] // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
        t = timestep.float().reshape(-1)[:, None].expand(sample.shape[0], half) * freqs
        temb = self.time2(F.silu(self.time1(torch.cat([t.cos(), t.sin()], -1))))
        h = self.conv_in(sample)
        stack = [h]
        for m in self.down:
            if isinstance(m, ResBlock):
                h = m(h, temb)
            elif isinstance(m, Transformer):
                h = m(h, encoder_hidden_states)
                stack.pop()
            else:
                h = m(h)
            stack.append(h)
        for m in self.mid:
            h = m(h, temb) if isinstance(m, ResBlock) else m(h, encoder_hidden_states)
        for m in self.up:
            if isinstance(m, ResBlock):
                h = m(torch.cat([h, stack.pop()], 1), temb)
            elif isinstance(m, Transformer):
                h = m(h, encoder_hidden_states)
            else:
                h = m(h)
        return self.conv_out(F.silu(self.norm_out(h)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.manual_seed(SEED)
    model = Unet().eval()
    params = sum(p.numel() for p in model.parameters())
    os.makedirs(os.path.join(a.out, "unet"), exist_ok=True)
    os.makedirs(os.path.join(a.out, "scheduler"), exist_ok=True)
    names = ["sample", "timestep", "encoder_hidden_states"]
    args = (
        torch.zeros(2, LATENT, SIDE, SIDE),
        torch.tensor([999, 999], dtype=torch.int64),
        torch.zeros(2, TOKENS, CROSS),
    )
    with torch.no_grad():
        torch.onnx.export(
            model,
            args,
            os.path.join(a.out, "unet", "model.onnx"),
            input_names=names,
            output_names=["out_sample"],
            opset_version=14,
            dynamic_axes={
                "sample": {0: "batch"},
                "timestep": {0: "batch"},
                "encoder_hidden_states": {0: "batch", 1: "tokens"},
                "out_sample": {0: "batch"},
            },
        )
    config = {
        "_class_name": "UNet2DConditionModel",
        "_diffusers_version": "0.30.0",
        "sample_size": SIDE,
        "in_channels": LATENT,
        "out_channels": LATENT,
        "cross_attention_dim": CROSS,
        "block_out_channels": list(CHANNELS),
        "layers_per_block": LAYERS,
        "attention_head_dim": HEAD_DIM,
        "down_block_types": [("CrossAttnDownBlock2D" if x else "DownBlock2D") for x in ATTENTION],
        "up_block_types": [("CrossAttnUpBlock2D" if x else "UpBlock2D") for x in reversed(ATTENTION)],
        "mid_block_type": "UNetMidBlock2DCrossAttn",
        "norm_num_groups": 32,
        "act_fn": "silu",
    }
    scheduler = {
        "_class_name": "DDIMScheduler",
        "_diffusers_version": "0.30.0",
        "num_train_timesteps": 1000,
        "beta_start": 0.00085,
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "prediction_type": "epsilon",
        "timestep_spacing": "leading",
        "steps_offset": 1,
        "clip_sample": False,
        "set_alpha_to_one": False,
    }
    index = {
        "_class_name": "StableDiffusionPipeline",
        "_diffusers_version": "0.30.0",
        "scheduler": ["diffusers", "DDIMScheduler"],
        "unet": ["diffusers", "UNet2DConditionModel"],
    }
    for path, value in [("unet/config.json", config), ("scheduler/scheduler_config.json", scheduler)]:
        with open(os.path.join(a.out, path), "w") as f:
            json.dump(value, f, indent=2)
    with open(os.path.join(a.out, "model_index.json"), "w") as f:
        json.dump(index, f, indent=2)
    print(json.dumps({"params": params}))


if __name__ == "__main__":
    main()
