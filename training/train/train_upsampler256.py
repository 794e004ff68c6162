"""Trains the cascade's second upsampler, 64x64 -> 256x256, as the unCLIP paper trains its upsamplers: on random
crops a quarter of the target size (a 64x64 crop of a 256x256 render and the 16x16 crop of its low-resolution
picture), with the low-resolution picture degraded (Gaussian blur, noise) so that the stage is robust to what the
64x64 stage draws, and run at full size afterwards (the U-Net is all convolutions).

The data: 256x256 ShapesWorld renders (`npm run dataset -- --scale 4`, the 64x64 scenes with every coordinate and
size times 4, the same anti-aliasing). The low-resolution picture is the whole render box-downsampled to 64x64 (what
the 64x64 render is, up to anti-aliasing), degraded as a whole, then cropped: a crop's border sees real neighbours.

  npm run dataset -- --count 8000 --seed 5 --scale 4 --out training/data/train256.bin
  python3 -m training.train.train_upsampler256 --out training/runs/upsampler256 --minutes 60 --threads 1
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

from training.models.diffusion import T_STEPS, alphas_cumprod
from training.models.upsampler_model import Upsampler256, blur
from training.paths import DATA
from training.train.common import print_size, seeded_device, train_loop, trainer_parser
from training.world.shapesworld import ShapesWorldDataset


class Crops:
    """Random aligned crops of 256x256 pictures with their degraded low-resolution crops, in [-1, 1]."""

    def __init__(self, path, seed, device, crop=64, scale=4):
        self.ds = ShapesWorldDataset(path)
        if self.ds.size % scale or self.ds.size < crop:
            raise SystemExit(
                f"{path}: pictures are {self.ds.size}x{self.ds.size}; need a multiple of {scale} >= {crop}"
            )
        self.rng = np.random.default_rng(seed)
        self.device, self.crop, self.scale = device, crop, scale

    def sample(self, b, blur_range=(0.3, 1.0), p_blur=0.9, noise_max=0.05, p_noise=0.5):
        idx = np.sort(self.rng.choice(self.ds.count, b, replace=False))
        full = torch.from_numpy(np.ascontiguousarray(self.ds.images[idx])).to(self.device)
        full = full.permute(0, 3, 1, 2).float() / 127.5 - 1
        full = torch.where(
            torch.from_numpy(self.rng.random(b) < 0.5).to(self.device)[:, None, None, None], full.flip(3), full
        )  # every shape is symmetric left-right; a triangle is not upside down
        low = F.avg_pool2d(full, self.scale)
        sigma = torch.from_numpy(self.rng.uniform(*blur_range, b)).float().to(self.device)
        low = torch.where(
            torch.from_numpy(self.rng.random(b) < p_blur).to(self.device)[:, None, None, None], blur(low, sigma), low
        )
        noise = torch.from_numpy(self.rng.uniform(0, noise_max, b) * (self.rng.random(b) < p_noise)).float()
        low = low + torch.randn_like(low) * noise.to(self.device)[:, None, None, None]
        cells = (self.ds.size - self.crop) // self.scale + 1  # crops start on the low-res grid
        ox, oy = self.rng.integers(0, cells, b) * self.scale, self.rng.integers(0, cells, b) * self.scale
        c, lc = self.crop, self.crop // self.scale
        x0 = torch.stack([full[i, :, y : y + c, x : x + c] for i, (x, y) in enumerate(zip(ox, oy))])
        lo = torch.stack(
            [
                low[i, :, y // self.scale : y // self.scale + lc, x // self.scale : x // self.scale + lc]
                for i, (x, y) in enumerate(zip(ox, oy))
            ]
        )
        return x0, lo


def edge_weights(x0, low, scale, weight):
    """1 on flat colour, `weight` on and next to borders (where the picture differs from its upsampled low-res)."""
    if weight == 1:
        return torch.ones_like(x0[:, :1])
    up = F.interpolate(F.avg_pool2d(x0, scale), scale_factor=scale, mode="bilinear", align_corners=False)
    edge = ((x0 - up).abs().amax(1, keepdim=True) > 0.05).float()
    edge = F.max_pool2d(edge, 3, stride=1, padding=1)
    return 1 + (weight - 1) * edge


def main():
    p = trainer_parser(steps=200000, lr=1e-3, batch=32)
    p.set_defaults(data=os.path.join(DATA, "train256.bin"), warmup=100)
    p.add_argument("--edge-weight", type=float, default=4.0, help="loss weight on and next to borders (1 = plain MSE)")
    args = p.parse_args()
    device = seeded_device(args)
    crops = Crops(args.data, args.seed + 3, device)
    model = Upsampler256()
    abar = alphas_cumprod().to(device)
    print_size(model, "upsampler256", f"{crops.ds.count} pictures of {crops.ds.size}x{crops.ds.size}")

    def step_fn(step):
        x0, low = crops.sample(args.batch)
        b = x0.shape[0]
        t = torch.randint(0, T_STEPS, (b,), device=device)
        a = abar[t][:, None, None, None]
        noise = torch.randn_like(x0)
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
        w = edge_weights(x0, low, crops.scale, args.edge_weight)
        return ((model(x_t, t.float(), low) - x0) ** 2 * w).mean() / w.mean()  # x0-prediction

    train_loop("upsampler256", model, args, step_fn)


if __name__ == "__main__":
    main()
