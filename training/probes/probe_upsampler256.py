"""Judges the 64 -> 256 upsampler alone, in PyTorch (a checkpoint mid-run, before any export): clean 64x64 renders
through it against clean 256x256 renders of the same scenes, beside bicubic resizing. Whole-picture PSNR says
little on flat backgrounds, so it measures where an upsampler matters:

- PSNR over the pixels within 3 px of an object border (of the clean 256 render);
- the 10-90% rise width across borders: along the row through each object's centre, the distance over which the
  picture goes from 10% to 90% of the way from the background colour to the object's colour at its left border
  (the clean render's is about 1 px: 4x4 supersampling);
- the pixel reader's verdicts on the 256 pictures box-downsampled to 64 are the product eval's (npm run eval:unclip).

  npm run dataset -- --count 200 --seed 77 --out training/data/probe64.bin
  npm run dataset -- --count 200 --seed 77 --scale 4 --out training/data/probe256.bin
  python3 -m training.probes.probe_upsampler256 training/runs/upsampler256/ckpt.pt --steps 10 [--count 100]
"""
import argparse
import hashlib
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from training.models.diffusion import T_STEPS, alphas_cumprod, ddim_timesteps
from training.export.manifest_util import MANIFEST, MODELS_DIR, sha256_of
from training.models.upsampler_model import Upsampler256
from training.paths import DATA
from training.world.shapesworld import ShapesWorldDataset
from training.world.world import BACKGROUND_RGB, COLOUR_RGB


@torch.no_grad()
def ddim_upsample(model, low, steps, seed):
    """DDIM, eta 0, x0-prediction, x0 clamped to [-1, 1] with eps re-derived (as the product's sampler)."""
    abar = alphas_cumprod()
    g = torch.Generator().manual_seed(seed)
    b, _, h, w = low.shape
    x = torch.randn(b, 3, h * 4, w * 4, generator=g)
    ts = ddim_timesteps(T_STEPS, steps)
    for i, t in enumerate(ts):
        a = abar[t]
        a_prev = abar[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
        x0 = model(x, torch.full((b,), float(t)), low).clamp(-1, 1)
        eps = (x - a.sqrt() * x0) / (1 - a).sqrt()
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return x


def border_mask(img, reach=3):
    """Pixels within `reach` px of a colour change in a clean render [B, 3, H, W] in [-1, 1]."""
    p = F.pad(img, (1, 1, 1, 1), mode="replicate")
    diff = torch.zeros_like(img[:, :1])
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            shifted = p[:, :, 1 + dy : 1 + dy + img.shape[2], 1 + dx : 1 + dx + img.shape[3]]
            diff = torch.maximum(diff, (shifted - img).abs().amax(1, keepdim=True))
    edge = (diff > 0.02).float()
    return F.max_pool2d(edge, 2 * reach + 1, stride=1, padding=reach) > 0


def psnr(a, b, mask):
    mse = ((a - b) ** 2 * mask).sum() / (mask.sum() * 3)
    return float(10 * torch.log10(4 / mse.clamp_min(1e-12)))  # values in [-1, 1]: peak-to-peak 2


def rise_widths(img, scenes, scale=4):
    """The 10-90% rise width at each object's left border, along the row through its centre, in pixels."""
    out = []
    for k, scene in enumerate(scenes):
        bg = np.array(BACKGROUND_RGB[scene["background"]], dtype=np.float64) / 127.5 - 1
        pic = img[k].permute(1, 2, 0).double().numpy()
        for o in scene["objects"]:
            col = np.array(COLOUR_RGB[o["colour"]], dtype=np.float64) / 127.5 - 1
            d = col - bg
            if np.dot(d, d) < 0.05:
                continue
            y = int(o["cy"] * scale)
            x_edge = (o["cx"] - o["s"]) * scale
            x0, x1 = max(0, int(x_edge - 6 * scale)), min(pic.shape[1] - 1, int(o["cx"] * scale))
            prof = (pic[y, x0 : x1 + 1] - bg) @ d / np.dot(d, d)

            def cross(level):
                for i in range(1, len(prof)):
                    if prof[i - 1] < level <= prof[i]:
                        return i - 1 + (level - prof[i - 1]) / (prof[i] - prof[i - 1])
                return None

            lo, hi = cross(0.1), cross(0.9)
            out.append(None if lo is None or hi is None or hi < lo else hi - lo)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("--weights", choices=["ema", "model"], default="ema")
    p.add_argument("--low", default=f"{DATA}/probe64.bin")
    p.add_argument("--high", default=f"{DATA}/probe256.bin")
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--steps", type=int, nargs="+", default=[10])
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--write",
        action="store_true",
        help="store the rows on mini-unclip-upsampler256's card (public/models/manifest.json), naming the exported "
        "ONNX file's sha256; the checkpoint must be the step that was exported",
    )
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    ck = torch.load(args.checkpoint, map_location="cpu")
    model = Upsampler256()
    model.load_state_dict({k: v.float() for k, v in ck[args.weights].items()})
    model.eval()
    low_ds, high_ds = ShapesWorldDataset(args.low), ShapesWorldDataset(args.high)
    if low_ds.scenes[: args.count] != high_ds.scenes[: args.count] or high_ds.size != 4 * low_ds.size:
        raise SystemExit(f"{args.low} and {args.high} must hold the same scenes at 64 and 256 pixels")
    n = min(args.count, low_ds.count)
    to_t = lambda a: torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2).float() / 127.5 - 1
    low, high = to_t(low_ds.images[:n]), to_t(high_ds.images[:n])
    scenes = low_ds.scenes[:n]
    mask = border_mask(high)
    bicubic = F.interpolate(low, scale_factor=4, mode="bicubic", align_corners=False).clamp(-1, 1)
    row = lambda name, x: {
        "method": name,
        "border_psnr_db": round(psnr(x, high, mask), 2),
        "whole_psnr_db": round(psnr(x, high, torch.ones_like(mask)), 2),
        "rise_px": round(float(np.mean([w for w in rise_widths(x, scenes) if w is not None])), 3),
    }
    rows = [row("clean 256 render", high), row("bicubic", bicubic)]
    for steps in args.steps:
        ups = torch.cat(
            [ddim_upsample(model, low[i : i + args.batch], steps, args.seed + i) for i in range(0, n, args.batch)]
        )
        rows.append(row(f"upsampler, {steps} steps", ups))
    sha = hashlib.sha256(open(args.checkpoint, "rb").read()).hexdigest()
    print(f"{args.checkpoint} ({args.weights}, step {ck['step']}, file sha256 {sha[:12]}): {n} pictures of {args.high}")
    for r in rows:
        print(json.dumps(r))
    if args.write:
        write_card(args, ck, sha, n, rows)


def write_card(args, ck, sha, n, rows):
    """The rows as the `evaluation` block of mini-unclip-upsampler256's card, naming the ONNX file it measured (by
    its bytes' sha256) and the checkpoint it was exported from."""
    with open(MANIFEST, encoding="utf-8") as f:
        manifest = json.load(f)
    entry = next((m for m in manifest["models"] if m["id"] == "mini-unclip-upsampler256"), None)
    if entry is None or entry.get("card", {}).get("steps") != ck["step"]:
        raise SystemExit(f"--write: the exported mini-unclip-upsampler256 is not step {ck['step']} of this checkpoint")
    entry["card"]["evaluation"] = {
        "measuredWeights": {"upsampler256": sha256_of(os.path.join(MODELS_DIR, entry["file"]))},
        "checkpoint": {"step": ck["step"], "sha256": sha, "weights": args.weights},
        "method": f"python3 -m training.probes.probe_upsampler256 <checkpoint> --count {n} --steps "
        f"{' '.join(map(str, args.steps))} --write: clean 64x64 renders up against the same scenes' 256x256 renders "
        "(PSNR within 3 px of a border, over the whole picture; the 10-90% rise width across borders, px)",
        "pictures": n,
        "rows": rows,
    }
    with open(MANIFEST, "w", encoding="utf-8") as f:
        f.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote the rows into {MANIFEST}")


if __name__ == "__main__":
    main()
