"""Checks a decoder checkpoint (or a run's snapshot) in PyTorch, without exporting: decodes
single-object dataset images from their true CLIP image embeddings and full captions (DDIM,
eta 0, classifier-free guidance), and prints how often mini-CLIP reads the prompt's colour and
shape in the 32x32 samples (bilinear to 64x64). The same measure as the "decoder from true image
embedding" row of `npm run eval:unclip -- --stages`, for use while a run trains.

  python3 -m training.probes.eval_decoder training/runs/decoder/snapshot-4000.pt [--weights ema|model] [--png grid.png]
"""
import argparse
import struct
import zlib

import numpy as np
import torch
import torch.nn.functional as F

from training.models.decoder_model import load_decoder
from training.models.diffusion import T_STEPS, alphas_cumprod, ddim_timesteps
from training.train.common import Batches, empty_caption, image_embeddings, load_clip, text_features, TRAINING
import os

from training.world.world import COLOURS, SHAPES


def write_png(path, arr):
    """arr [H, W, 3] uint8 -> an 8-bit RGB PNG (zlib only; Debian's python has no PIL here)."""
    h, w, _ = arr.shape
    raw = b"".join(b"\x00" + arr[y].tobytes() for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b"")
        )


@torch.no_grad()
def ddim(
    model, x, emb, feats, mask, ids, empty_feats, empty_mask, empty_ids, steps, guidance, abar, known=None, pin=None
):
    """The product's DDIM (eta 0, eps from the clamped x0). known: an inpainting decoder's 4 extra input channels
    (both halves of a guided call see them); pin = (source x0, mask 1 = regenerate): the x0 prediction is the source
    where kept (GLIDE's inpainting sampler, src/models/samplers/ddim.ts pinX0)."""
    n = x.shape[0]
    ts = ddim_timesteps(T_STEPS, steps)
    for i, t in enumerate(ts):
        a = abar[t]
        a_prev = abar[ts[i + 1]] if i + 1 < steps else torch.tensor(1.0)
        tt = torch.full((n,), float(t))
        v = model(x, tt, emb, feats, mask, ids, known)
        if guidance != 1:
            vu = model(
                x,
                tt,
                torch.zeros_like(emb),
                empty_feats.expand(n, -1, -1),
                empty_mask.expand(n, -1),
                empty_ids.expand(n, -1),
                known,
            )
            v = vu + guidance * (v - vu)
        x0 = (a.sqrt() * x - (1 - a).sqrt() * v).clamp(-1, 1)
        if pin is not None:
            x0 = x0 * pin[1] + pin[0] * (1 - pin[1])
        eps = (x - a.sqrt() * x0) / (1 - a).sqrt()
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return x


def main():
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("--weights", default="ema", choices=["ema", "model"])
    p.add_argument("--count", type=int, default=96)
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--guidance", type=float, default=3.0)
    p.add_argument("--data", default=os.path.join(TRAINING, "data", "train.bin"))
    p.add_argument("--clip", default=os.path.join(TRAINING, "checkpoints", "clip.pt"))
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--png", help="write a grid: truth above, sample below, 16 columns")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    clip = load_clip(args.clip)
    b = Batches(args.data, args.seed)
    embeds = image_embeddings(clip, b.ds, args.clip)
    model, ck = load_decoder(args.checkpoint, args.weights)
    abar = alphas_cumprod()

    # single-object scenes, full captions
    rng = np.random.default_rng(args.seed)
    single = [i for i in rng.permutation(b.ds.count)[: args.count * 4] if len(b.ds.scenes[i]["objects"]) == 1][
        : args.count
    ]
    idx = np.sort(np.array(single))
    objs = [b.ds.scenes[i]["objects"][0] for i in idx]
    caps = [
        f"a {o['size']} {o['colour']} {o['shape']} at the {o['position']} on a {b.ds.scenes[i]['background']} "
        "background"
        for o, i in zip(objs, idx)
    ]
    x64 = torch.from_numpy(np.asarray(b.ds.images[idx], dtype=np.float32)).permute(0, 3, 1, 2) / 127.5 - 1.0
    ids = torch.from_numpy(b.tok.encode_batch(caps))
    _, feats, mask = text_features(clip, ids)
    empty, ef, em = empty_caption(clip, b.tok)
    x = torch.randn(len(idx), 3, 32, 32)
    out = ddim(
        model, x, embeds[torch.from_numpy(idx)], feats, mask, ids, ef, em, empty, args.steps, args.guidance, abar
    )

    with torch.no_grad():
        prompts = [f"a {c} {s}" for c in COLOURS for s in SHAPES]
        temb, _ = clip.text(torch.from_numpy(b.tok.encode_batch(prompts)))
        up = F.interpolate(out, size=64, mode="bilinear", align_corners=False)
        probs = (clip.logit_scale.exp() * clip.image(up) @ temb.T).softmax(-1).reshape(-1, 8, 4)
    colour_ok = np.array([COLOURS[k] == o["colour"] for k, o in zip(probs.sum(2).argmax(1).tolist(), objs)])
    shape_ok = np.array([SHAPES[k] == o["shape"] for k, o in zip(probs.sum(1).argmax(1).tolist(), objs)])
    print(
        f"{args.checkpoint} ({args.weights}, step {ck['step']}): {len(idx)} single-object images, guidance "
        f"{args.guidance}, "
        f"{args.steps} steps: colour and shape {100 * np.mean(colour_ok & shape_ok):.1f}%, colour "
        f"{100 * colour_ok.mean():.1f}%, "
        f"shape {100 * shape_ok.mean():.1f}%"
    )
    if args.png:
        k = min(16, len(idx))
        grid = torch.cat([F.avg_pool2d(x64[:k], 2), out[:k]], 2)
        grid = ((grid.clamp(-1, 1) + 1) * 127.5).round().byte().permute(2, 0, 3, 1).reshape(64, k * 32, 3).numpy()
        write_png(args.png, np.ascontiguousarray(grid.repeat(3, 0).repeat(3, 1)))


if __name__ == "__main__":
    main()
