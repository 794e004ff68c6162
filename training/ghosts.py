"""Ghost copies: a training signal against the decoder's extra copy of a named object (issue 12).

The decoder 24d8243d drew two-object captions with a third object in about 1 picture in 6, drawn as
cleanly as the named ones and in a named object's colour; single-object captions that state the
position almost never (97% right). Where the caption leaves the layout open, the prediction at high
noise spreads each object over the cells it could take, and the sampler can grow two of them. Such
states never occur in training: every noised training picture holds the scene's one or two objects.

A ghost puts them there: one object of the picture copied into a free grid cell at a fraction `alpha`
of its contrast with the background (x0' = x0 + alpha * copy), the picture noised from x0', and the
target still the clean x0 (for v-prediction: v' = (sqrt(abar) x_t - x0) / sqrt(1 - abar), that is
v + abar (x0' - x0) / sqrt(1 - abar)). The decoder learns, at the noise levels where the layout is
chosen, that of two copies of one object the fainter goes: it commits instead of growing both.

  python3 training/ghosts.py --check [--data training/data/probe.bin]   (the checks the tests run)
"""
import argparse
import json

import numpy as np

from world import BACKGROUND_RGB, CELL_CENTRE

MARGIN = 2  # px at 64x64 between a ghost's box and any object's box


def _box(o, pad):
    """An object's box [x0, x1) x [y0, y1) at 64 px, grown by pad, as ints (unclipped)."""
    r = o["s"] + pad
    return int(np.floor(o["cx"] - r)), int(np.floor(o["cy"] - r)), int(np.ceil(o["cx"] + r)) + 1, int(np.ceil(o["cy"] + r)) + 1


_CENTRES = np.arange(64) + 0.5


def _distance(o):
    """[64, 64] Chebyshev distance of each pixel centre to an object's box (0 inside)."""
    dx = np.maximum(np.abs(_CENTRES - o["cx"]) - o["s"], 0.0)
    dy = np.maximum(np.abs(_CENTRES - o["cy"]) - o["s"], 0.0)
    return np.maximum(dx[None, :], dy[:, None])


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def ghost_placement(scene, rng):
    """(object index, dx, dy) for a ghost of one of the scene's objects in a free cell, or None where no
    free cell keeps the copy clear of every object (shifts are whole cells: 16 px at 64, 8 at 32)."""
    objects = scene["objects"]
    taken = {o["position"] for o in objects}
    options = []
    for k, o in enumerate(objects):
        for cell, (cx, cy) in CELL_CENTRE.items():
            if cell in taken:
                continue
            ox, oy = CELL_CENTRE[o["position"]]
            dx, dy = cx - ox, cy - oy
            x0, y0, x1, y1 = _box(o, 1)
            moved = (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
            if any(_overlap(moved, _box(p, MARGIN)) for p in objects):
                continue
            if o["cx"] - o["s"] + dx < 0 or o["cy"] - o["s"] + dy < 0 or o["cx"] + o["s"] + dx > 64 or o["cy"] + o["s"] + dy > 64:
                continue  # the copy would leave the picture: it would be a different shape
            options.append((k, dx, dy))
    return options[rng.integers(len(options))] if options else None


def add_ghost(img, scene, placement, alpha):
    """img [3, 64, 64] float32 in [-1, 1] with the placed object copied at alpha of its contrast with the
    background (a new array). Pixels nearer another object's box than its own are not copied."""
    k, dx, dy = placement
    o = scene["objects"][k]
    bg = (np.asarray(BACKGROUND_RGB[scene["background"]], dtype=np.float32) / 127.5 - 1.0)[:, None, None]
    delta = img - bg
    keep = np.zeros(img.shape[1:], dtype=bool)
    x0, y0, x1, y1 = _box(o, 1)
    keep[max(0, y0):min(64, y1), max(0, x0):min(64, x1)] = True
    # a pixel of o's box nearer another object's box than o's own (boxes may come within a pixel) is not o's
    mine = _distance(o)
    for j, p in enumerate(scene["objects"]):
        if j != k:
            keep &= mine <= _distance(p)
    delta = np.where(keep[None], delta, 0.0)
    shifted = np.zeros_like(delta)
    # shift by (dx, dy) without wrapping: source rows/cols that land inside the picture
    ys, yd = (slice(0, 64 - dy), slice(dy, 64)) if dy >= 0 else (slice(-dy, 64), slice(0, 64 + dy))
    xs, xd = (slice(0, 64 - dx), slice(dx, 64)) if dx >= 0 else (slice(-dx, 64), slice(0, 64 + dx))
    shifted[:, yd, xd] = delta[:, ys, xs]
    return (img + alpha * shifted).astype(np.float32)


def ghost_batch(x64, scenes, use, rng, alpha_range):
    """x64 [b, 3, 64, 64] (torch, [-1, 1]) with a ghost in the rows where `use` (bool [b]) and a free cell
    exists; returns (new x64, bool [b] of the rows that got one). One copy to the host and one back (on a GPU a
    copy per row would cost more than the step)."""
    import torch
    got = np.zeros(len(scenes), dtype=bool)
    rows = np.flatnonzero(use)
    if len(rows) == 0:
        return x64, got
    host = x64[torch.from_numpy(rows).to(x64.device)].detach().float().cpu().numpy()
    for j, i in enumerate(rows):
        placement = ghost_placement(scenes[i], rng)
        if placement is not None:
            host[j] = add_ghost(host[j], scenes[i], placement, float(rng.uniform(*alpha_range)))
            got[i] = True
    out = x64.clone()
    out[torch.from_numpy(rows).to(x64.device)] = torch.from_numpy(host).to(x64.device, x64.dtype)
    return out, got


def ghost_target(v, x0, x0_ghost, abar):
    """The v-target whose x0 is the clean x0 when x_t was noised from x0_ghost (abar [b, 1, 1, 1])."""
    return v + abar * (x0_ghost - x0) / (1 - abar).sqrt()


def check(data):
    """What the tests assert: the ghost is the object's pixels, shifted a whole number of cells into a free
    cell, at alpha of its contrast; nothing else changes; the target's x0 is the clean picture."""
    import torch
    from shapesworld import ShapesWorldDataset

    ds = ShapesWorldDataset(data)
    rng = np.random.default_rng(0)
    placed, checked = 0, 0
    for i in range(min(ds.count, 64)):
        scene = ds.scenes[i]
        img = np.asarray(ds.images[i], dtype=np.float32).transpose(2, 0, 1) / 127.5 - 1.0
        placement = ghost_placement(scene, rng)
        if placement is None:
            continue
        placed += 1
        k, dx, dy = placement
        assert dx % 16 == 0 and dy % 16 == 0 and (dx, dy) != (0, 0)
        o = scene["objects"][k]
        cell = next(c for c, xy in CELL_CENTRE.items() if xy == (CELL_CENTRE[o["position"]][0] + dx, CELL_CENTRE[o["position"]][1] + dy))
        assert cell not in {p["position"] for p in scene["objects"]}
        g = add_ghost(img, scene, placement, 0.5)
        changed = np.abs(g - img).max(axis=0) > 1e-6
        ys, xs = np.nonzero(changed)
        assert len(ys) > 0, "a ghost changes pixels"
        x0, y0, x1, y1 = _box(o, 1)
        assert xs.min() >= x0 + dx and xs.max() < x1 + dx and ys.min() >= y0 + dy and ys.max() < y1 + dy
        # the changed pixels are half the object's contrast, from the object's own pixels
        bg = (np.asarray(BACKGROUND_RGB[scene["background"]], dtype=np.float32) / 127.5 - 1.0)[:, None]
        src = img[:, ys - dy, xs - dx]
        assert np.allclose(g[:, ys, xs] - img[:, ys, xs], 0.5 * (src - bg), atol=1e-5)
        # the copy's shape: as many object pixels as the object itself
        own = np.all([_distance(o) <= _distance(p) for p in scene["objects"]], axis=0)  # not a neighbour's pixel
        on_src = ((np.abs(img - bg[:, :, None]).max(axis=0) > 0.1) & own)[max(0, y0):y1, max(0, x0):x1].sum()
        on_ghost = (np.abs(g - img).max(axis=0) > 0.05).sum()
        assert abs(int(on_src) - int(on_ghost)) <= 2, (on_src, on_ghost)
        checked += 1
    # the target: x0 recovered from x_t (noised from the ghost picture) and v' is the clean picture
    x0 = torch.randn(4, 3, 8, 8)
    xg = x0 + 0.3 * torch.randn(4, 3, 8, 8)
    abar = torch.tensor([0.05, 0.3, 0.6, 0.9])[:, None, None, None]
    noise = torch.randn_like(x0)
    x_t = abar.sqrt() * xg + (1 - abar).sqrt() * noise
    v = abar.sqrt() * noise - (1 - abar).sqrt() * x0
    recovered = abar.sqrt() * x_t - (1 - abar).sqrt() * ghost_target(v, x0, xg, abar)
    err = float((recovered - x0).abs().max())
    assert err < 1e-5, err
    print(json.dumps({"scenes": min(ds.count, 64), "placed": placed, "checked": checked, "targetError": err}))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--check", action="store_true")
    p.add_argument("--data", default="training/data/probe.bin")
    a = p.parse_args()
    if a.check:
        check(a.data)
