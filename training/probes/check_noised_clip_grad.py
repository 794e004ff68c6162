"""Checks ScoreAndGradient's written-out backward pass against PyTorch autograd on random inputs
(and on a checkpoint's weights when given): max abs difference of the gradient <= 1e-4.

  python3 -m training.probes.check_noised_clip_grad [--checkpoint training/checkpoints/noised_clip.pt]
"""
import argparse
import json

import torch
import torch.nn.functional as F

from training.models.noised_clip_model import NoisedImageEncoder, ScoreAndGradient


def check(enc, trials=4, batch=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    worst = 0.0
    for _ in range(trials):
        x = torch.randn(batch, 3, 32, 32, generator=g, dtype=torch.float64)
        t = torch.randint(0, 1000, (batch,), generator=g).double()
        e = F.normalize(torch.randn(batch, 128, generator=g, dtype=torch.float64), dim=-1)
        x.requires_grad_(True)
        auto_score = (enc(x, t) * e).sum()
        (auto,) = torch.autograd.grad(auto_score, x)
        with torch.no_grad():
            score, grad = ScoreAndGradient(enc)(x.detach(), t, e)
        worst = max(worst, (grad - auto).abs().max().item(), abs(score.sum().item() - auto_score.item()))
    return worst


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", default=None)
    args = p.parse_args()
    torch.manual_seed(0)
    enc = NoisedImageEncoder()
    if args.checkpoint:
        ema = torch.load(args.checkpoint, map_location="cpu")["ema"]
        enc.load_state_dict({k: v.float() for k, v in ema.items() if k != "logit_scale"})  # the scale is training's
    # float64: the check is of the formula, not of float32 rounding; then float32 as it runs
    worst64 = check(enc.double())
    worst32 = check_float32(enc.float())
    print(json.dumps({"maxAbsDiffFloat64": worst64, "maxAbsDiffFloat32": worst32}))
    if worst32 > 1e-4 or worst64 > 1e-8:
        raise SystemExit(f"the written-out gradient differs from autograd: {worst64} (float64), {worst32} (float32)")


def check_float32(enc, trials=4, batch=3, seed=1):
    g = torch.Generator().manual_seed(seed)
    worst = 0.0
    for _ in range(trials):
        x = torch.randn(batch, 3, 32, 32, generator=g)
        t = torch.randint(0, 1000, (batch,), generator=g).float()
        e = F.normalize(torch.randn(batch, 128, generator=g), dim=-1)
        x.requires_grad_(True)
        (auto,) = torch.autograd.grad((enc(x, t) * e).sum(), x)
        with torch.no_grad():
            _, grad = ScoreAndGradient(enc)(x.detach(), t, e)
        worst = max(worst, (grad - auto).abs().max().item())
    return worst


if __name__ == "__main__":
    main()
