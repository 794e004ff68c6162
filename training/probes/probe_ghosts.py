"""Does the decoder keep or drop a faint extra copy of an object? Its x0 prediction from a ghosted x_t.

  python3 -m training.probes.probe_ghosts [checkpoint ...] [--count 192] [--alpha 0.5] [--weights ema|model]

Pictures of the held-out probe set (training/data/probe.bin) with one of their objects copied into a free
cell at `alpha` of its contrast (training/world/ghosts.py), noised at t, the decoder asked for x0 with the picture's
own caption (caption only, image embedding zeroed). Read in the direction of the ghost d = x0' - x0:

  kept = <x0_pred - x0, d> / <d, d>     (1: the ghost passes through as it came in; 0: the clean picture)

and the same projection for the clean picture noised with the same noise (`none`: how much of the object the
prediction spreads into that cell anyway, where the layout is open). kept - none is what the ghost adds to
the prediction: a decoder that commits drops it (near 0), one that grows extra copies keeps it (near 1 or
more). Also `object`: the projection of the prediction onto the real object's own contrast (1 = kept whole),
so dropping the ghost does not come from dropping objects. One forward pass per picture and t.
"""
import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F

from training.models.decoder_model import load_decoder
from training.world.ghosts import add_ghost, ghost_placement
from training.probes.probe_common import probe_args, probe_setup
from training.train.common import text_features
from training.world.world import BACKGROUND_RGB


def rows(ds, count, alpha, seed):
    """(clean x0 [n, 3, 32, 32], ghosted x0, object-only delta, captions) for captioned probe pictures."""
    rng = np.random.default_rng(seed)
    clean, ghosted, objects, captions = [], [], [], []
    for i in rng.permutation(ds.count):
        scene = ds.scenes[i]
        placement = ghost_placement(scene, rng)
        if placement is None:
            continue
        img = np.asarray(ds.images[i], dtype=np.float32).transpose(2, 0, 1) / 127.5 - 1.0
        bg = (np.asarray(BACKGROUND_RGB[scene["background"]], dtype=np.float32) / 127.5 - 1.0)[:, None, None]
        clean.append(img)
        ghosted.append(add_ghost(img, scene, placement, alpha))
        objects.append(img - bg)
        caps = ds.captions[i]
        captions.append(caps[rng.integers(len(caps))])
        if len(clean) == count:
            break
    pool = lambda a: F.avg_pool2d(torch.from_numpy(np.stack(a)), 2)  # noqa: E731
    return pool(clean), pool(ghosted), pool(objects), captions


def project(x, d):
    """Per picture <x, d> / <d, d>."""
    return (x * d).sum(dim=(1, 2, 3)) / (d * d).sum(dim=(1, 2, 3)).clamp(min=1e-8)


@torch.no_grad()
def main():
    p = probe_args(argparse.ArgumentParser(), count=192)
    p.add_argument("--alpha", type=float, default=0.5)
    p.add_argument("--t", type=int, nargs="*", default=[400, 600, 800])
    args = p.parse_args()
    s = probe_setup(args)
    ds, tok, clip, abar = s.ds, s.tok, s.clip, s.abar
    x0, xg, obj, caps = rows(ds, args.count, args.alpha, args.seed)
    n = len(caps)
    ids = torch.from_numpy(tok.encode_batch(caps))
    _, feats, mask = text_features(clip, ids)
    d = xg - x0
    g = torch.Generator().manual_seed(args.seed)
    noise = torch.randn(x0.shape, generator=g)
    print(
        f"{n} probe pictures ({os.path.relpath(args.data)}), a ghost at alpha {args.alpha:g}, caption only, guidance "
        "1; "
        "kept = the ghost in the x0 prediction (1 = passed through), none = the same cell without a ghost, "
        "object = the real objects kept (1 = whole)"
    )
    for path in args.checkpoints:
        model, ck = load_decoder(path, args.weights)
        zero = torch.zeros(n, model.emb_time.in_features)
        cells = []
        for t in args.t:
            a = abar[t]
            tt = torch.full((n,), float(t))

            def x0_pred(src):
                x_t = a.sqrt() * src + (1 - a).sqrt() * noise
                v = torch.cat(
                    [
                        model(
                            x_t[s : s + 64],
                            tt[s : s + 64],
                            zero[s : s + 64],
                            feats[s : s + 64],
                            mask[s : s + 64],
                            ids[s : s + 64],
                        )
                        for s in range(0, n, 64)
                    ]
                )
                return a.sqrt() * x_t - (1 - a).sqrt() * v

            with_ghost, without = x0_pred(xg), x0_pred(x0)
            kept = project(with_ghost - x0, d).mean().item()
            none = project(without - x0, d).mean().item()
            whole = project(with_ghost - (x0 - obj), obj).mean().item()  # x0 - obj: the background
            cells.append(f"t{t}: kept {kept:.2f} none {none:.2f} object {whole:.2f}")
        print(f"{os.path.relpath(path)} ({args.weights}, step {ck.get('step', '?')}): " + "; ".join(cells), flush=True)


if __name__ == "__main__":
    main()
