"""Trains the mini-unCLIP upsampler: 32x32 -> 64x64, conditioned on the low-resolution
image (bilinearly upsampled, concatenated as extra channels), which is corrupted in
training with a light Gaussian blur, as the unCLIP paper does for its first upsampler.

  python3 training/train_upsampler.py --out training/runs/upsampler --minutes 20
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

from unclip_common import Batches, ResBlock, T_STEPS, alphas_cumprod, common_args, pick_device, timestep_embedding, train_loop


class Upsampler(nn.Module):
    """A small 64x64 U-Net without attention; input [x_t, upsampled low-res] (6 channels), output v."""

    def __init__(self, ch=(24, 48, 64)):
        super().__init__()
        temb = ch[0] * 4
        self.ch0 = ch[0]
        self.time = nn.Sequential(nn.Linear(ch[0], temb), nn.SiLU(), nn.Linear(temb, temb))
        self.inp = nn.Conv2d(6, ch[0], 3, padding=1)
        self.d0 = ResBlock(ch[0], ch[0], temb)
        self.down0 = nn.Conv2d(ch[0], ch[0], 3, stride=2, padding=1)
        self.d1 = ResBlock(ch[0], ch[1], temb)
        self.down1 = nn.Conv2d(ch[1], ch[1], 3, stride=2, padding=1)
        self.mid = ResBlock(ch[1], ch[2], temb)
        self.u1 = ResBlock(ch[2] + ch[1], ch[1], temb)
        self.u0 = ResBlock(ch[1] + ch[0], ch[0], temb)
        self.out = nn.Sequential(nn.GroupNorm(8, ch[0]), nn.SiLU(), nn.Conv2d(ch[0], 3, 3, padding=1))

    def forward(self, x_t, timestep, low_res):
        temb = self.time(timestep_embedding(timestep, self.ch0))
        up = F.interpolate(low_res, scale_factor=2, mode="bilinear", align_corners=False)
        h0 = self.d0(self.inp(torch.cat([x_t, up], 1)), temb)
        h1 = self.d1(self.down0(h0), temb)
        m = self.mid(self.down1(h1), temb)
        u = self.u1(torch.cat([F.interpolate(m, scale_factor=2, mode="nearest"), h1], 1), temb)
        u = self.u0(torch.cat([F.interpolate(u, scale_factor=2, mode="nearest"), h0], 1), temb)
        return self.out(u)


def blur(x, sigma):
    """Separable Gaussian blur per image, sigma [B]."""
    r = 2
    k = torch.arange(-r, r + 1, dtype=torch.float32, device=x.device)
    w = torch.exp(-(k[None] ** 2) / (2 * sigma[:, None] ** 2))
    w = w / w.sum(1, keepdim=True)
    b, c, h, wd = x.shape
    xp = F.pad(x.reshape(1, b * c, h, wd), (r, r, r, r), mode="replicate")
    kh = w.repeat_interleave(c, 0)[:, None, None, :]
    kv = w.repeat_interleave(c, 0)[:, None, :, None]
    y = F.conv2d(xp, kh, groups=b * c)
    y = F.conv2d(y, kv, groups=b * c)
    return y.reshape(b, c, h, wd)


def main():
    p = argparse.ArgumentParser()
    common_args(p, steps=6000, lr=1e-3, batch=24)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    device = pick_device(args.device)
    batches = Batches(args.data, args.seed + 2, device)
    model = Upsampler()
    abar = alphas_cumprod().to(device)
    print(f"upsampler: {sum(p.numel() for p in model.parameters())} parameters", flush=True)

    def step_fn(step):
        _, x0, _ = batches.sample(args.batch)
        b = x0.shape[0]
        low = blur(F.avg_pool2d(x0, 2), torch.empty(b, device=device).uniform_(0.4, 0.6))
        t = torch.randint(0, T_STEPS, (b,), device=device)
        a = abar[t][:, None, None, None]
        noise = torch.randn_like(x0)
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
        v = a.sqrt() * noise - (1 - a).sqrt() * x0
        return F.mse_loss(model(x_t, t.float(), low), v)

    train_loop("upsampler", model, args, step_fn)


if __name__ == "__main__":
    main()
