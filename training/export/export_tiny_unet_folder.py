"""Exports tiny random-weight U-Nets in diffusers' folder layout, for the diffusion-folder tests.

  /usr/bin/python3 -m training.export.export_tiny_unet_folder --out test-artifacts/published

Writes, per folder, model_index.json, scheduler/scheduler_config.json, unet/config.json, unet/model.onnx (inputs named
as diffusers' UNet2DConditionModel.forward arguments) and reference.json: the conditioning, x_T and the sample after a
few DDIM steps (eta 0) run in PyTorch on this module, stepped by the numpy port of diffusers' DDIMScheduler in
test/models/diffusers_ddim_port.py. Across the folders each listed value of each scheduler setting appears once:
prediction_type, beta_schedule, timestep_spacing, clip_sample, variance_type learned_range, int64 and float timesteps.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "test", "models"))
from diffusers_ddim_port import DDIMScheduler  # noqa: E402

FOLDERS = {
    "unet-eps-linear-leading": {
        "scheduler": {
            "_class_name": "DDIMScheduler",
            "prediction_type": "epsilon",
            "beta_schedule": "linear",
            "timestep_spacing": "leading",
            "steps_offset": 1,
            "clip_sample": True,
        },
        "unet": {"sample_size": 8, "in_channels": 3, "out_channels": 3, "cross_attention_dim": 32},
        "timestep": "int64",
        "inputs": ["sample", "timestep", "encoder_hidden_states"],
    },
    "unet-v-scaled-trailing": {
        "scheduler": {
            "_class_name": "PNDMScheduler",
            "prediction_type": "v_prediction",
            "beta_schedule": "scaled_linear",
            "beta_start": 0.00085,
            "beta_end": 0.012,
            "timestep_spacing": "trailing",
            "clip_sample": False,
            "set_alpha_to_one": False,
            "skip_prk_steps": True,
        },
        "unet": {"sample_size": [8, 12], "in_channels": 4, "out_channels": 4, "cross_attention_dim": 24},
        "timestep": "float32",
        "inputs": ["sample", "timestep", "encoder_hidden_states", "class_labels"],
    },
    "unet-sample-cosine-linspace-learned": {
        "scheduler": {
            "_class_name": "DDIMScheduler",
            "prediction_type": "sample",
            "beta_schedule": "squaredcos_cap_v2",
            "timestep_spacing": "linspace",
            "clip_sample": True,
            "clip_sample_range": 2.0,
            "variance_type": "learned_range",
        },
        "unet": {"sample_size": 16, "in_channels": 3, "out_channels": 6, "cross_attention_dim": 32},
        "timestep": "int64",
        "inputs": ["sample", "timestep", "encoder_hidden_states", "encoder_attention_mask"],
    },
}
TOKENS, EMBED, HIDDEN, STEPS, BATCH = 5, 16, 16, 4, 2


class TinyUnet(nn.Module):
    """A convolution, a sinusoidal timestep embedding, cross-attention to the caption tokens and an output conv."""

    def __init__(self, cin, cout, cross, names, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        r = lambda *s: torch.randn(*s, generator=g) / (s[-1] if len(s) == 2 else s[1] * 9) ** 0.5  # noqa: E731
        self.conv_in = nn.Parameter(r(HIDDEN, cin, 3, 3))
        self.time = nn.Parameter(r(HIDDEN, HIDDEN))
        self.q = nn.Parameter(r(HIDDEN, HIDDEN))
        self.k = nn.Parameter(r(HIDDEN, cross))
        self.v = nn.Parameter(r(HIDDEN, cross))
        self.cls = nn.Parameter(r(HIDDEN, EMBED))
        self.conv_out = nn.Parameter(r(cout, HIDDEN, 3, 3))
        self.names = names

    def forward(self, sample, timestep, encoder_hidden_states, extra=None):
        n = sample.shape[0]
        freqs = torch.exp(-torch.arange(HIDDEN // 2, dtype=torch.float32) * (9.2 / (HIDDEN // 2)))
        t = timestep.float().reshape(-1)[:, None].expand(n, HIDDEN // 2) * freqs
        temb = F.linear(torch.cat([t.sin(), t.cos()], -1), self.time)
        h = F.conv2d(sample, self.conv_in, padding=1) + temb[:, :, None, None]
        if "class_labels" in self.names:
            h = h + F.linear(extra, self.cls)[:, :, None, None]
        tokens = h.flatten(2).transpose(1, 2)
        q, k, v = (
            F.linear(tokens, self.q),
            F.linear(encoder_hidden_states, self.k),
            F.linear(encoder_hidden_states, self.v),
        )
        att = q @ k.transpose(1, 2) / HIDDEN**0.5
        if "encoder_attention_mask" in self.names:
            att = att + (1 - extra[:, None, :]) * -1e4
        tokens = tokens + att.softmax(-1) @ v
        h = F.silu(tokens.transpose(1, 2).reshape(h.shape))
        return F.conv2d(h, self.conv_out, padding=1)


def export(out, name, spec, seed):
    u = spec["unet"]
    folder = os.path.join(out, name)
    os.makedirs(os.path.join(folder, "unet"), exist_ok=True)
    os.makedirs(os.path.join(folder, "scheduler"), exist_ok=True)
    names = spec["inputs"]
    model = TinyUnet(u["in_channels"], u["out_channels"], u["cross_attention_dim"], names, seed).eval()
    hw = u["sample_size"] if isinstance(u["sample_size"], list) else [u["sample_size"]] * 2
    g = torch.Generator().manual_seed(seed + 1)
    x_t = torch.randn(BATCH, u["in_channels"], *hw, generator=g)
    ehs = torch.randn(BATCH, TOKENS, u["cross_attention_dim"], generator=g)
    extra = None
    if "class_labels" in names:
        extra = torch.randn(BATCH, EMBED, generator=g)
    if "encoder_attention_mask" in names:
        extra = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.float32)
    tdtype = torch.int64 if spec["timestep"] == "int64" else torch.float32
    args = (x_t, torch.tensor([999, 999], dtype=tdtype), ehs) + ((extra,) if extra is not None else ())
    torch.onnx.export(
        model,
        args,
        os.path.join(folder, "unet", "model.onnx"),
        input_names=names,
        output_names=["out_sample"],
        opset_version=14,
        dynamic_axes={n: {0: "batch"} for n in names + ["out_sample"]},
    )
    config = {"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.30.0", **u}
    with open(os.path.join(folder, "unet", "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(folder, "scheduler", "scheduler_config.json"), "w") as f:
        json.dump({"num_train_timesteps": 1000, **spec["scheduler"]}, f, indent=2)
    with open(os.path.join(folder, "model_index.json"), "w") as f:
        json.dump(
            {
                "_class_name": "StableDiffusionPipeline",
                "scheduler": ["diffusers", "DDIMScheduler"],
                "unet": ["diffusers", "UNet2DConditionModel"],
            },
            f,
            indent=2,
        )

    # the reference: DDIM (eta 0) in PyTorch on this module, stepped by the port of diffusers' DDIMScheduler
    sched = DDIMScheduler(**{"num_train_timesteps": 1000, **spec["scheduler"]})
    sched.set_timesteps(STEPS)
    sample = x_t.numpy().astype(np.float32)
    with torch.no_grad():
        for t in sched.timesteps:
            tt = torch.full((BATCH,), int(t), dtype=tdtype)
            model_output = model(torch.from_numpy(sample), tt, ehs, extra).numpy()
            sample, _ = sched.step(model_output, int(t), sample)
    reference = {
        "steps": STEPS,
        "timesteps": [int(t) for t in sched.timesteps],
        "x_T": x_t.flatten().tolist(),
        "encoder_hidden_states": ehs.flatten().tolist(),
        "tokens": TOKENS,
        "extra": None if extra is None else {"name": names[-1], "values": extra.flatten().tolist()},
        "x_0": sample.flatten().tolist(),
    }
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(reference, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    for i, (name, spec) in enumerate(FOLDERS.items()):
        export(a.out, name, spec, 20261207 + i)
        print("wrote", os.path.join(a.out, name))


if __name__ == "__main__":
    main()
