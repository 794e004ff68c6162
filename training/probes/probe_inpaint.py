"""Does the inpainting decoder draw back the object a caption names? A check in PyTorch alone (no Node: it runs
where the GPU trains), beside the product's `npm run eval:inpaint`.

  python3 -m training.probes.probe_inpaint [checkpoint ...] [--count 60] [--guidance 3] [--grow 5] [--weights ema|model]
                                    [--like-eval] [--free-known] [--sheet out.png]

Two-object pictures of a dataset (default training/data/probe.bin: scenes the decoder never trained on), one
object's grid cell masked as the product's graphs mask it (mask/cell, widened by --grow px as graphs/inpaint.json's
mask/grow edge does, max-pooled to 32x32: a block with any masked pixel regenerates), a caption of the picture
naming both objects (one with a relation where the picture has one), caption only (image embedding zeroed, as
the editing graphs run it), the product's 25-step DDIM with guidance, the kept pixels composited back.

Counted, at 32x32 (colours are exact in ShapesWorld; shapes are left to the product's reader):
- back: the erased object's colour covers at least half as many masked pixels as it did in the picture;
- no spill: no other palette colour (neither background nor the erased colour) gains as many masked pixels as
  half the erased object over the picture's own: a second or smeared object drawn where one was asked.
The share with both, per checkpoint and guidance scale; --sheet writes picture | masked input | result rows.
--like-eval asks the edit `npm run eval:inpaint` asks (objects in cells at the ends of a row or column, the
second erased, "a <kept> <relation> a <erased> on a <background> background"): there the widened mask cuts the
kept object. The product's reader also judges the shape, so its figures are lower than "both" here.
"""
import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F

from training.models.decoder_model import load_decoder
from training.probes.eval_decoder import ddim, write_png
from training.world.inpaint_masks import _box
from training.models.diffusion import alphas_cumprod
from training.train.common import TRAINING, RELATION_WORDS, Batches, add_flags, empty_caption, load_clip, text_features
from training.world.world import BACKGROUND_RGB, CELL_CENTRE, CELL_HALF, COLOUR_RGB


def adjacent(scene):
    """The relation of a two-object scene's first object to its second when their cells are a row or a column
    apart (the edit eval:inpaint asks for), else None."""
    (ax, ay), (bx, by) = (CELL_CENTRE[o["position"]] for o in scene["objects"])
    if ay == by and abs(ax - bx) == 32:
        return "left of" if ax < bx else "right of"
    if ax == bx and abs(ay - by) == 32:
        return "above" if ay < by else "below"
    return None


def cases(batches, count, grow, seed, like_eval=False):
    """(dataset rows, 32x32 masks [n, 1, 32, 32], caption ids [n, L], erased object's colour per row).
    like_eval: only scenes whose objects are in cells at the ends of a row or column, the second object erased and
    the caption
    "a <kept> <relation> a <erased> on a <background> background", as npm run eval:inpaint words its edits."""
    rng = np.random.default_rng(seed)
    pool = batches.two
    if like_eval:
        pool = np.array([i for i in pool if adjacent(batches.ds.scenes[i])])
    idx = rng.choice(pool, size=count, replace=False)
    masks, ids, erased = [], [], []
    for i in idx:
        scene = batches.ds.scenes[i]
        if like_eval:
            keep, gone = scene["objects"]
            caption = (
                f"a {keep['colour']} {keep['shape']} {adjacent(scene)} a {gone['colour']} {gone['shape']} "
                f"on a {scene['background']} background"
            )
        else:
            # cells are 16 px apart and a cell's mask reaches 19: a neighbour's centre may fall inside it too, so the
            # erased object is chosen here, not read back from a mask
            gone = scene["objects"][rng.integers(2)]
            caps = batches.ds.captions[i]
            rel = [c for c in caps if RELATION_WORDS.search(c)]
            caption = (rel or caps)[rng.integers(len(rel or caps))]
        m = np.zeros((64, 64), dtype=np.float32)
        cx, cy = CELL_CENTRE[gone["position"]]
        _box(m, cx - CELL_HALF, cy - CELL_HALF, cx + CELL_HALF, cy + CELL_HALF)  # what mask/cell (object-cell) masks
        erased.append(gone["colour"])
        if grow:
            m = F.max_pool2d(torch.from_numpy(m)[None, None], 2 * grow + 1, stride=1, padding=grow)[0, 0].numpy()
        masks.append(m)
        ids.append(batches.tok.encode_batch([caption])[0])
    m32 = torch.from_numpy(np.stack(masks)).reshape(count, 1, 32, 2, 32, 2).amax(dim=(3, 5))
    return idx, m32, torch.tensor(np.stack(ids)), erased


def inpaint(model, clip, tok, x0, m32, ids, guidance, steps, seed, abar, pin_known=True):
    """The product's 25-step DDIM with guidance, caption only, the masked source and mask read by the decoder, its
    x0 prediction pinned to the source where kept (pin_known); the kept pixels composited back."""
    n = x0.shape[0]
    _, feats, fmask = text_features(clip, ids)
    empty, efeats, emask = empty_caption(clip, tok, ids.shape[1])
    x = torch.randn(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed))
    x = ddim(
        model,
        x,
        torch.zeros(n, 128),
        feats,
        fmask,
        ids,
        efeats,
        emask,
        empty,
        steps,
        guidance,
        abar,
        known=torch.cat([x0 * (1 - m32), m32], 1),
        pin=(x0, m32) if pin_known else None,
    )
    return x.clamp(-1, 1) * m32 + x0 * (1 - m32)


def judge(out, x0, m32, erased, background):
    """Per picture: (erased colour back, no spill), counting masked pixels by nearest palette colour."""
    names = list(COLOUR_RGB) + ["<background>"]
    rows = []
    for j in range(out.shape[0]):
        palette = (
            torch.tensor([COLOUR_RGB[c] for c in COLOUR_RGB] + [BACKGROUND_RGB[background[j]]], dtype=torch.float32)
            / 127.5
            - 1
        )
        inside = m32[j, 0] > 0

        def counts(img):
            d = ((img[None] - palette[:, :, None, None]) ** 2).sum(1)  # [colours, 32, 32]
            near = d.argmin(0)
            close = d.min(0).values < 0.15
            return {names[c]: int(((near == c) & close & inside).sum()) for c in range(len(names))}

        truth, got = counts(x0[j]), counts(out[j])
        need = max(1, truth[erased[j]]) / 2
        back = got[erased[j]] >= need
        spill = any(v - truth[c] >= need for c, v in got.items() if c not in (erased[j], "<background>"))
        rows.append((back, not spill))
    return rows


def main():
    p = argparse.ArgumentParser()
    add_flags(
        p,
        [
            ("checkpoints", None, [os.path.join(TRAINING, "checkpoints", "inpaint_decoder.pt")], None, {"nargs": "*"}),
            ("--data", None, os.path.join(TRAINING, "data", "probe.bin")),
            ("--count", int, 60),
            ("--guidance", float, [3.0], None, {"nargs": "*"}),
            ("--steps", int, 25),
            ("--grow", int, 5, "px (of 64) the cell mask is widened: graphs/inpaint.json's edge, 2 + 3 feather"),
            ("--weights", None, "ema", None, {"choices": ["ema", "model"]}),
            (
                "--like-eval",
                bool,
                False,
                "the edit npm run eval:inpaint asks: objects at the ends of a row or column, the second one erased, a "
                "relation caption",
            ),
            (
                "--free-known",
                bool,
                False,
                "leave the model's x0 prediction alone in the known region (GLIDE's sampler pins it to the source)",
            ),
            ("--seed", int, 0),
            ("--threads", int, 2),
            ("--sheet", None, None, "PNG of the first 16 cases (picture | masked input | result), 3x"),
        ],
    )
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    batches = Batches(args.data, args.seed)
    clip = load_clip(os.path.join(TRAINING, "checkpoints", "clip.pt"))
    abar = alphas_cumprod()
    idx, m32, ids, erased = cases(batches, args.count, args.grow, args.seed, args.like_eval)
    x0 = F.avg_pool2d(batches.images(idx), 2)
    background = [batches.ds.scenes[i]["background"] for i in idx]
    print(
        f"{args.count} two-object pictures of {os.path.relpath(args.data)}, one object's cell masked (+{args.grow} "
        "px), "
        f"caption only: the erased colour back in the mask / no other colour spilled / both"
    )
    for path in args.checkpoints:
        model, ck = load_decoder(path, args.weights)
        for gs in args.guidance:
            out = inpaint(model, clip, batches.tok, x0, m32, ids, gs, args.steps, args.seed, abar, not args.free_known)
            rows = judge(out, x0, m32, erased, background)
            pct = lambda k: 100 * np.mean([r[k] if k < 2 else r[0] and r[1] for r in rows])
            print(
                f"{os.path.relpath(path)} ({args.weights}, step {ck.get('step', '?')}), guidance {gs:g}: "
                f"back {pct(0):.1f}% / no spill {pct(1):.1f}% / both {pct(2):.1f}%",
                flush=True,
            )
            if args.sheet:
                tiles = [
                    torch.cat([x0[j], x0[j] * (1 - m32[j]), out[j], torch.ones(3, 32, 4)], 2)
                    for j in range(min(16, args.count))
                ]
                half = (len(tiles) + 1) // 2
                cols = [
                    torch.cat(tiles[:half], 1),
                    torch.cat(tiles[half:] + [torch.ones_like(tiles[0])] * (2 * half - len(tiles)), 1),
                ]
                sheet = torch.cat(cols, 2).repeat_interleave(3, 1).repeat_interleave(3, 2)
                write_png(args.sheet, ((sheet.permute(1, 2, 0) + 1) * 127.5).clamp(0, 255).byte().numpy())


if __name__ == "__main__":
    main()
