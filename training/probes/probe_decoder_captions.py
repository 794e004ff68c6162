"""Does the decoder know what a two-object caption says? The decoder as a zero-shot classifier.

  python3 -m training.probes.probe_decoder_captions [checkpoint ...] [--data training/data/probe.bin] [--count 300]

For two-object pictures the decoder never trained on (a fresh dataset, `npm run dataset -- --count 3000
--seed 7 --out training/data/probe.bin`), each with its true relation caption ("a red circle left of a
blue square"), the denoising loss is measured with that caption and with a false twin:

  relation flipped   "a red circle right of a blue square"   (left <-> right, above <-> below)
  colours swapped    "a blue circle left of a red square"    (pictures with two colours only)
  shapes swapped     "a red square left of a blue circle"    (pictures with two shapes only)

with the same noise and timesteps for both (paired), caption only (image embedding zeroed: the GLIDE-style
path). The picture "prefers" the caption with the lower summed loss (Li et al. 2023, "Your diffusion model
is secretly a zero-shot classifier"). 50% = the decoder ignores that part of the caption; a decoder that
draws relations must prefer the true one. Minutes on a CPU, no sampling and no reader, so it can follow a
run's snapshots. Printed per noise band too: where in the schedule the caption is read.
"""
import argparse
import os
import re

import numpy as np
import torch

from training.models.decoder_model import load_decoder
from training.probes.probe_common import probe_args, probe_setup
from training.models.diffusion import T_STEPS
from training.train.common import text_features
from training.world.world import HELD_OUT, OPPOSITE, RELATIONS

RELATION = re.compile(r"^a (\w+) (\w+) (" + "|".join(RELATIONS) + r") a (\w+) (\w+)(.*)$")
BANDS = [(0, 250), (250, 500), (500, 750), (750, T_STEPS)]


def twins(caption):
    """{variant: false caption} for a relation caption. Left out: variants that would be identical, and swaps that
    would name a held-out colour-shape pair (the decoder never saw one; its loss there is not about binding)."""
    m = RELATION.match(caption)
    if not m:
        return None
    c1, s1, rel, c2, s2, rest = m.groups()
    out = {"relation flipped": f"a {c1} {s1} {OPPOSITE[rel]} a {c2} {s2}{rest}"}
    seen = lambda *pairs: not any(p in HELD_OUT for p in pairs)
    if c1 != c2 and seen((c2, s1), (c1, s2)):
        out["colours swapped"] = f"a {c2} {s1} {rel} a {c1} {s2}{rest}"
    if s1 != s2 and seen((c1, s2), (c2, s1)):
        out["shapes swapped"] = f"a {c1} {s2} {rel} a {c2} {s1}{rest}"
    return out


def pick(ds, count, seed):
    """(index, true caption) for up to `count` two-object pictures with a relation caption."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, scene in enumerate(ds.scenes):
        if len(scene["objects"]) != 2:
            continue
        caps = [c for c in ds.captions[i] if RELATION.match(c)]
        if caps:
            rows.append((i, caps[rng.integers(len(caps))]))
    rng.shuffle(rows)
    return rows[:count]


@torch.no_grad()
def losses(model, clip, tok, x0, captions, t, noise, abar, chunk=96):
    """Per-picture loss [n, k] for captions [n] at the paired (t, noise) [n, k] draws."""
    n, k = t.shape
    ids = torch.tensor(tok.encode_batch(captions))
    _, feats, mask = text_features(clip, ids)
    out = torch.zeros(n, k)
    flat = [(i, j) for i in range(n) for j in range(k)]
    for s in range(0, len(flat), chunk):
        part = flat[s : s + chunk]
        ii = torch.tensor([p[0] for p in part])
        jj = torch.tensor([p[1] for p in part])
        tt = t[ii, jj]
        a = abar[tt][:, None, None, None]
        eps = noise[ii, jj]
        x_t = a.sqrt() * x0[ii] + (1 - a).sqrt() * eps
        v = a.sqrt() * eps - (1 - a).sqrt() * x0[ii]
        pred = model(x_t, tt.float(), torch.zeros(len(part), model.emb_time.in_features), feats[ii], mask[ii], ids[ii])
        out[ii, jj] = ((pred - v) ** 2).mean(dim=(1, 2, 3))
    return out


def main():
    p = probe_args(argparse.ArgumentParser(), count=300)
    p.add_argument("--draws", type=int, default=16, help="(t, noise) draws per picture, stratified over the schedule")
    args = p.parse_args()
    s = probe_setup(args)
    ds, tok, clip, abar = s.ds, s.tok, s.clip, s.abar
    rows = pick(ds, args.count, args.seed)
    idx = np.array([r[0] for r in rows])
    true_caps = [r[1] for r in rows]
    x0 = torch.nn.functional.avg_pool2d(
        torch.from_numpy(np.asarray(ds.images[idx], dtype=np.float32)).permute(0, 3, 1, 2) / 127.5 - 1, 2
    )
    g = torch.Generator().manual_seed(args.seed)
    n, k = len(rows), args.draws
    # stratified timesteps: draw j of every picture falls in the j-th of k equal slices of the schedule
    t = ((torch.arange(k)[None, :] + torch.rand(n, k, generator=g)) * (T_STEPS / k)).long().clamp(max=T_STEPS - 1)
    noise = torch.randn(n, k, 3, 32, 32, generator=g)
    variants = ["relation flipped", "colours swapped", "shapes swapped"]
    print(f"{n} two-object pictures from {os.path.basename(args.data)}, {k} paired (t, noise) draws each, caption only")
    for path in args.checkpoints:
        model, ck = load_decoder(path, args.weights)
        base = losses(model, clip, tok, x0, true_caps, t, noise, abar)
        parts = [f"{os.path.relpath(path)} ({args.weights}, step {ck.get('step', '?')})"]
        for name in variants:
            keep = [i for i, c in enumerate(true_caps) if name in twins(c)]
            if not keep:
                parts.append(f"  {name:17s} no picture to ask")
                continue
            false = losses(
                model, clip, tok, x0[keep], [twins(true_caps[i])[name] for i in keep], t[keep], noise[keep], abar
            )
            diff = false - base[keep]  # > 0: the true caption explains the picture better
            right = (diff.sum(1) > 0).float().mean().item()
            bands = []
            for lo, hi in BANDS:
                sel = (t[keep] >= lo) & (t[keep] < hi)
                d = (diff * sel).sum(1) / sel.sum(1).clamp(min=1)
                bands.append(f"{(d[sel.any(1)] > 0).float().mean().item() * 100:.0f}" if sel.any() else "n/a")
            rel = (diff.mean() / base[keep].mean()).item()
            parts.append(
                f"  {name:17s} prefers the true caption {right * 100:5.1f}% of {len(keep)} "
                f"(t bands 0-250/250-500/500-750/750-1000: {'/'.join(bands)}%; loss +{rel * 100:.2f}%)"
            )
        print("\n".join(parts), flush=True)


if __name__ == "__main__":
    main()
