"""The cascade's upsamplers: convolutional U-Nets without attention (the unCLIP paper's recipe), conditioned on
the low-resolution picture upsampled bilinearly and concatenated to x_t, predicting v.

- `Upsampler`: 32x32 -> 64x64, trained on whole pictures.
- `Upsampler256`: 64x64 -> 256x256, trained on random 64x64 crops of 256x256 renders (and their 16x16 low-res
  crops) and run at full size: every layer is a convolution, so the size it runs at is free. Its first level folds
  2x2 pixels into channels (pixel unshuffle) so the widest layers work at 128x128, not 256x256.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from training.models.diffusion import ResBlock, timestep_embedding


class _UNet3(nn.Module):
    """The upsamplers' body: three levels (ch[0] at full resolution, then /2 and /4), residual blocks with the
    timestep embedding, skips by concatenation, no attention. `cin` / `cout` channels in and out."""

    def __init__(self, cin, cout, ch):
        super().__init__()
        temb = ch[0] * 4
        self.ch0 = ch[0]
        self.time = nn.Sequential(nn.Linear(ch[0], temb), nn.SiLU(), nn.Linear(temb, temb))
        self.inp = nn.Conv2d(cin, ch[0], 3, padding=1)
        self.d0 = ResBlock(ch[0], ch[0], temb)
        self.down0 = nn.Conv2d(ch[0], ch[0], 3, stride=2, padding=1)
        self.d1 = ResBlock(ch[0], ch[1], temb)
        self.down1 = nn.Conv2d(ch[1], ch[1], 3, stride=2, padding=1)
        self.mid = ResBlock(ch[1], ch[2], temb)
        self.u1 = ResBlock(ch[2] + ch[1], ch[1], temb)
        self.u0 = ResBlock(ch[1] + ch[0], ch[0], temb)
        self.out = nn.Sequential(nn.GroupNorm(8, ch[0]), nn.SiLU(), nn.Conv2d(ch[0], cout, 3, padding=1))

    def body(self, h, timestep):
        temb = self.time(timestep_embedding(timestep, self.ch0))
        h0 = self.d0(self.inp(h), temb)
        h1 = self.d1(self.down0(h0), temb)
        m = self.mid(self.down1(h1), temb)
        u = self.u1(torch.cat([F.interpolate(m, scale_factor=2, mode="nearest"), h1], 1), temb)
        u = self.u0(torch.cat([F.interpolate(u, scale_factor=2, mode="nearest"), h0], 1), temb)
        return self.out(u)


class Upsampler(_UNet3):
    """A small 64x64 U-Net without attention; input [x_t, upsampled low-res] (6 channels), output v."""

    def __init__(self, ch=(24, 48, 64)):
        super().__init__(6, 3, ch)

    def forward(self, x_t, timestep, low_res):
        up = F.interpolate(low_res, scale_factor=2, mode="bilinear", align_corners=False)
        return self.body(torch.cat([x_t, up], 1), timestep)


class Upsampler256(_UNet3):
    """A U-Net over 2x2-unshuffled pixels (128/64/32 at full size; 32/16/8 on a training crop), no attention;
    input [x_t, 4x bilinearly upsampled low-res] (6 channels), output the clean picture x0 (3 channels) as the
    upsampled low-res plus what the network adds: at pure noise it already returns the bilinear picture and learns
    only the borders (predicting v, 3,800 steps drew worse than bicubic resizing)."""

    def __init__(self, ch=(24, 48, 64), scale=4):
        super().__init__(6 * 4, 3 * 4, ch)
        self.scale = scale

    def forward(self, x_t, timestep, low_res):
        up = F.interpolate(low_res, scale_factor=self.scale, mode="bilinear", align_corners=False)
        h = F.pixel_unshuffle(torch.cat([x_t, up], 1), 2)
        return up + F.pixel_shuffle(self.body(h, timestep), 2)


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
