"""Does the decoder know where a relation caption puts its objects? Its prediction of x0 from pure noise.

  python3 -m training.probes.probe_layout [checkpoint ...] [--count 400] [--guidance 3] [--weights ema|model]

At the first sampling step (t = T - 1, x_t = pure noise) the decoder's prediction of x0 is (for a well-trained
model) the mean of all pictures the caption allows. For "a red circle left of a blue square" that mean has its
red mass to the left of its blue mass, whatever the two cells; for a decoder that does not read the relation
it has both spread evenly. Read, per prompt, with the pixel score s(p) = |x(p) - blue|^2 - |x(p) - red|^2
(> 0 where the pixel is nearer the first-named colour than the second): its covariance with the pixel's
column (left of / right of) or row (above / below) must have the sign the relation asks. 50% = the relation is
not read at all; an ideal decoder is near 100%. Also at later steps of the product's DDIM schedule (the same
noise, x_t from the decoder's own sampling so far), where the layout has to stay the one chosen, and with and
without classifier-free guidance (caption only, image embedding zeroed: the GLIDE-style path).

One forward pass per prompt and step (two with guidance): seconds on a CPU, no reader needed; it complements
probe_decoder_captions.py (the loss-based zero-shot classifier, blunt for relations because a relation
changes the loss only where the noise hides the layout).
"""
import argparse
import os
import random

import numpy as np
import torch

from training.models.decoder_model import load_decoder
from training.probes.probe_decoder_captions import RELATION, pick, twins
from training.probes.probe_common import probe_args, probe_setup
from training.models.diffusion import T_STEPS, ddim_timesteps
from training.train.common import empty_caption, text_features
from training.world.world import COLOUR_RGB, COLOURS, HELD_OUT, RELATIONS, SHAPES


def prompts(count, seed):
    """(caption, first colour, second colour, relation) with two different colours; held-out pairs included."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        c1, c2 = rng.sample(COLOURS, 2)
        s1, s2 = rng.choice(SHAPES), rng.choice(SHAPES)
        rel = rng.choice(RELATIONS)
        out.append((f"a {c1} {s1} {rel} a {c2} {s2}", c1, c2, rel))
    return out


def position_prompts(count, seed):
    """Control: single objects at a side cell, (caption, colour, None, relation of the object to the centre)."""
    rng = random.Random(seed)
    side = {"left": "left of", "right": "right of", "top": "above", "bottom": "below"}
    out = []
    for _ in range(count):
        c, s, pos = rng.choice(COLOURS), rng.choice(SHAPES), rng.choice(list(side))
        out.append((f"a {c} {s} at the {pos}", c, None, side[pos]))
    return out


def relation_row(caption):
    """(caption, first colour, second colour, relation) of a relation caption, as relation_read takes it."""
    c1, _, rel, c2, _, _ = RELATION.match(caption).groups()
    return caption, c1, c2, rel


def rgb(name):
    return torch.tensor(COLOUR_RGB[name], dtype=torch.float32) / 127.5 - 1


@torch.no_grad()
def relation_read(x0, rows):
    """[n] bool: the first colour's mass lies on the side the relation names. x0 [n, 3, S, S] in [-1, 1]."""
    n, size = x0.shape[0], x0.shape[-1]
    cols = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    ok = torch.zeros(n, dtype=torch.bool)
    for i, (_, c1, c2, rel) in enumerate(rows):
        x = x0[i].permute(1, 2, 0)  # 32, 32, 3
        s = -((x - rgb(c1)) ** 2).sum(-1) + (((x - rgb(c2)) ** 2).sum(-1) if c2 else 0)
        if rel in ("left of", "right of"):
            cov = (s * cols[None, :]).sum()
            ok[i] = cov < 0 if rel == "left of" else cov > 0
        else:
            cov = (s * cols[:, None]).sum()
            ok[i] = cov < 0 if rel == "above" else cov > 0
    return ok


@torch.no_grad()
def run(model, clip, tok, rows, guidance, steps, draws, seed, abar, negative="empty"):
    """{step index: share of (prompt, draw) whose x0 prediction reads the relation right}, DDIM (eta 0) along.
    negative: what guidance pushes away from, the empty caption (classifier-free guidance) or each caption with its
    relation flipped (a negative prompt: eps(c) - eps(flipped c) is what the decoder knows of the relation alone)."""
    caps = [r[0] for r in rows]
    ids = torch.tensor(tok.encode_batch(caps))
    _, feats, mask = text_features(clip, ids)
    n = len(rows)
    if negative == "flipped":
        empty = torch.tensor(tok.encode_batch([twins(c)["relation flipped"] for c in caps]))
        _, efeats, emask = text_features(clip, empty)
    else:
        empty, efeats, emask = empty_caption(clip, tok, ids.shape[1])
        empty, efeats, emask = empty.expand(n, -1), efeats.expand(n, -1, -1), emask.expand(n, -1)
    ts = ddim_timesteps(T_STEPS, steps)
    g = torch.Generator().manual_seed(seed)
    hits = {k: [] for k in range(len(ts))}
    zero = torch.zeros(n, model.emb_time.in_features)
    for _ in range(draws):
        x = torch.randn(n, 3, 32, 32, generator=g)
        for k, t in enumerate(ts):
            tt = torch.full((n,), float(t))
            v = model(x, tt, zero, feats, mask, ids)
            if guidance != 1:
                vu = model(x, tt, zero, efeats, emask, empty)
                v = vu + guidance * (v - vu)
            a = abar[t]
            x0 = (a.sqrt() * x - (1 - a).sqrt() * v).clamp(-1, 1)
            hits[k].append(relation_read(x0, rows))
            if k + 1 < len(ts):
                # eps from the clamped x0, as the product's DDIM does (src/models/samplers/ddim.ts, clampX0)
                eps = (x - a.sqrt() * x0) / (1 - a).sqrt()
                an = abar[ts[k + 1]]
                x = an.sqrt() * x0 + (1 - an).sqrt() * eps
    return ts, {k: torch.cat(h).float().mean().item() for k, h in hits.items()}


def check_truth(path, count):
    """The reading on real pictures (x0 = the picture itself, 32x32): must be ~100% for the probe to mean anything."""
    from training.world.shapesworld import ShapesWorldDataset

    ds = ShapesWorldDataset(path)
    rows = [(i, relation_row(c)) for i, c in pick(ds, 10 * count, 0)]
    rows = [(i, r) for i, r in rows if r[1] != r[2]][:count]  # two objects of one colour: nothing to read
    idx = np.array([r[0] for r in rows])
    x0 = torch.nn.functional.avg_pool2d(
        torch.from_numpy(np.asarray(ds.images[idx], dtype=np.float32)).permute(0, 3, 1, 2) / 127.5 - 1, 2
    )
    print(
        f"reading on {len(rows)} real pictures: "
        f"{relation_read(x0, [r for _, r in rows]).float().mean().item() * 100:.1f}% right"
    )


def main():
    p = probe_args(argparse.ArgumentParser(), count=400, data=False)
    p.add_argument("--draws", type=int, default=2, help="noise draws per prompt")
    p.add_argument("--steps", type=int, default=25, help="DDIM steps (the product's default)")
    p.add_argument("--guidance", type=float, nargs="*", default=[1.0, 3.0])
    p.add_argument(
        "--negative",
        default="empty",
        choices=["empty", "flipped"],
        help="guidance away from the empty caption (classifier-free) or from each caption with its relation "
        "flipped ('left of' <-> 'right of', 'above' <-> 'below'): a negative prompt, which amplifies "
        "whatever the decoder knows of the relation",
    )
    p.add_argument(
        "--positions",
        action="store_true",
        help="control: single objects at the left / right / top / bottom cell instead of relations",
    )
    p.add_argument(
        "--truth",
        default=None,
        metavar="DATASET",
        help="check the reading itself on real two-object pictures of a dataset with their relation captions",
    )
    args = p.parse_args()
    if args.positions and args.negative == "flipped":
        p.error("--negative flipped flips a relation caption's relation; --positions' captions have none")
    s = probe_setup(args)
    tok, clip, abar = s.tok, s.clip, s.abar
    if args.truth:
        check_truth(args.truth, args.count)
        return
    rows = (position_prompts if args.positions else prompts)(args.count, args.seed)
    held = sum(
        any(p in HELD_OUT for p in ((r[0].split()[1], r[0].split()[2]), (r[0].split()[-2], r[0].split()[-1])))
        for r in rows
    )
    print(
        f"{len(rows)} {'position' if args.positions else 'relation'} prompts ({held} naming a held-out pair), "
        f"{args.draws} noise draws each, caption only; "
        f"share whose x0 prediction puts the first colour on the named side (50% = relation not read)"
    )
    show = sorted({k for k in (0, 1, 2, 4, 8, 12, 18, args.steps - 1) if 0 <= k < args.steps})
    away = " from the flipped relation" if args.negative == "flipped" else ""
    for path in args.checkpoints:
        model, ck = load_decoder(path, args.weights)
        for gs in args.guidance:
            ts, acc = run(model, clip, tok, rows, gs, args.steps, args.draws, args.seed, abar, args.negative)
            cells = " ".join(f"t{ts[k]}:{acc[k] * 100:.1f}" for k in show if k < len(ts))
            print(
                f"{os.path.relpath(path)} ({args.weights}, step {ck.get('step', '?')}), guidance {gs:g}{away}: {cells}",
                flush=True,
            )


if __name__ == "__main__":
    main()
