"""Ghost copies: a training signal against the decoder's extra copy of a named object.

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

  python3 -m training.world.ghosts --check [--data training/data/probe.bin]   (the checks the tests run)
"""
import argparse
import json

import numpy as np

from training.world.world import BACKGROUND_RGB, CELL_CENTRE

MARGIN = 2  # px at 64x64 between a ghost's box and any object's box


def _box(o, pad):
    """An object's box [x0, x1) x [y0, y1) at 64 px, grown by pad, as ints (unclipped)."""
    r = o["s"] + pad
    return (
        int(np.floor(o["cx"] - r)),
        int(np.floor(o["cy"] - r)),
        int(np.ceil(o["cx"] + r)) + 1,
        int(np.ceil(o["cy"] + r)) + 1,
    )


_CENTRES = np.arange(64) + 0.5


def _distance(o):
    """[64, 64] Chebyshev distance of each pixel centre to an object's box (0 inside)."""
    dx = np.maximum(np.abs(_CENTRES - o["cx"]) - o["s"], 0.0)
    dy = np.maximum(np.abs(_CENTRES - o["cy"]) - o["s"], 0.0)
    return np.maximum(dx[None, :], dy[:, None])


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def placement_options(scene):
    """Every (object index, dx, dy) that puts a copy of one of the scene's objects in a free cell clear of every
    object (shifts are whole cells: 16 px at 64, 8 at 32), as an int array [n, 3] (n = 0: none)."""
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
            if (
                o["cx"] - o["s"] + dx < 0
                or o["cy"] - o["s"] + dy < 0
                or o["cx"] + o["s"] + dx > 64
                or o["cy"] + o["s"] + dy > 64
            ):
                continue  # the copy would leave the picture: it would be a different shape
            options.append((k, dx, dy))
    return np.array(options, dtype=np.int16).reshape(-1, 3)


def ghost_placement(scene, rng, options=None):
    """(object index, dx, dy) for a ghost of one of the scene's objects in a free cell, drawn from
    placement_options (given, or computed), or None where there is none."""
    options = placement_options(scene) if options is None else options
    if len(options) == 0:
        return None
    k, dx, dy = options[rng.integers(len(options))]
    return int(k), int(dx), int(dy)


def add_ghost(img, scene, placement, alpha):
    """img [3, 64, 64] float32 in [-1, 1] with the placed object copied at alpha of its contrast with the
    background (a new array). Pixels nearer another object's box than its own are not copied."""
    k, dx, dy = placement
    o = scene["objects"][k]
    bg = (np.asarray(BACKGROUND_RGB[scene["background"]], dtype=np.float32) / 127.5 - 1.0)[:, None, None]
    delta = img - bg
    keep = np.zeros(img.shape[1:], dtype=bool)
    x0, y0, x1, y1 = _box(o, 1)
    keep[max(0, y0) : min(64, y1), max(0, x0) : min(64, x1)] = True
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


def draw_ghosts(x, scenes, placements, alphas):
    """add_ghost for a batch, where x lives (x [n, 3, 64, 64] torch, [-1, 1]; one placement and alpha a row):
    the pictures never leave the device, and no Python loop touches pixels."""
    import torch

    if any(len(s["objects"]) > 2 for s in scenes):
        raise ValueError("draw_ghosts: a ShapesWorld scene holds one or two objects")
    n, dev = len(scenes), x.device
    own = np.zeros((n, 3))  # cx, cy, s of the copied object
    near = np.full((n, 3), np.nan)  # of the scene's other object, if any
    bg = np.zeros((n, 3), dtype=np.float32)
    box = np.zeros((n, 4), dtype=np.int64)
    for j, (scene, (k, _, _)) in enumerate(zip(scenes, placements)):
        o = scene["objects"][k]
        own[j] = o["cx"], o["cy"], o["s"]
        for m, p in enumerate(scene["objects"]):
            if m != k:
                near[j] = p["cx"], p["cy"], p["s"]
        bg[j] = np.asarray(BACKGROUND_RGB[scene["background"]], dtype=np.float32) / 127.5 - 1.0
        box[j] = _box(o, 1)
    f64 = dict(device=dev, dtype=torch.float64)
    centres = torch.arange(64, **f64) + 0.5

    def distance(o):  # [n, 64, 64] Chebyshev distance of each pixel centre to each row's box, as _distance
        dx = (torch.abs(centres[None] - o[:, 0:1]) - o[:, 2:3]).clamp(min=0)
        dy = (torch.abs(centres[None] - o[:, 1:2]) - o[:, 2:3]).clamp(min=0)
        return torch.maximum(dx[:, None, :], dy[:, :, None])

    own_t, near_t = torch.tensor(own, **f64), torch.tensor(near, **f64)
    idx = torch.arange(64, device=dev)
    b = torch.tensor(box, device=dev)
    keep = ((idx[None] >= b[:, 1:2]) & (idx[None] < b[:, 3:4]))[:, :, None] & (
        (idx[None] >= b[:, 0:1]) & (idx[None] < b[:, 2:3])
    )[:, None, :]
    has = ~torch.isnan(near_t[:, 0])
    keep &= ~has[:, None, None] | (distance(own_t) <= distance(torch.nan_to_num(near_t)))
    bg_t = torch.tensor(bg, device=dev)[:, :, None, None]
    delta = (x.float() - bg_t) * keep[:, None]
    shift = torch.tensor([(dx, dy) for _, dx, dy in placements], device=dev)
    sx, sy = idx[None] - shift[:, 0:1], idx[None] - shift[:, 1:2]  # the source column / row of each pixel
    inside = ((sy >= 0) & (sy < 64))[:, :, None] & ((sx >= 0) & (sx < 64))[:, None, :]
    rows = torch.arange(n, device=dev)[:, None, None]
    shifted = delta.permute(0, 2, 3, 1)[rows, sy.clamp(0, 63)[:, :, None], sx.clamp(0, 63)[:, None, :]]
    shifted = shifted.permute(0, 3, 1, 2) * inside[:, None]
    alpha = torch.tensor(alphas, device=dev, dtype=torch.float32)[:, None, None, None]
    return (x.float() + alpha * shifted).to(x.dtype)


def _draw_rows(x64, scenes, got, placements, alphas):
    """x64 with draw_ghosts applied to the rows where got (placements and alphas: one a row that got one, in order)."""
    import torch

    if not got.any():
        return x64
    rows = np.flatnonzero(got)
    sel = torch.from_numpy(rows).to(x64.device)
    out = x64.clone()
    out[sel] = draw_ghosts(x64[sel], [scenes[i] for i in rows], placements, alphas)
    return out


def _cached_options(scenes, i, keys, cache):
    """Row i's placement_options, computed once per dataset index when the caller keeps a cache (else None: the
    placement computes them)."""
    if cache is None:
        return None
    options = cache.get(int(keys[i]))
    if options is None:
        options = cache[int(keys[i])] = placement_options(scenes[i])
    return options


def inpaint_ghost_placement(scene, detail, rng, options=None):
    """A ghost for the inpainting decoder, inside the region its mask regenerates (detail: mask_for's kind, erased
    object, empty cell), or None. Its two misses in an edit are the kept object's colour or shape given to the asked
    one, and an extra object in the mask; so:
    - an object's cell erased in a two-object scene: the other (kept) object copied onto the erased one's cell; the
      caption names the erased object, the target is the clean picture: the kept object's look is not
      what comes back there;
    - an empty cell masked: one of the scene's objects copied into that cell where it fits clear of the others
      (placement_options); the caption names nothing there, the target is background: no extra copy.
    Other masks (an object's box: a copy of the other object may not fit in it; rectangles; the whole picture)
    get none. `options`: the scene's placement_options when the caller has them (computed here otherwise)."""
    kind, erased, cell = detail
    objects = scene["objects"]
    if kind == "object-cell" and len(objects) == 2:
        k = 1 - erased
        (ax, ay), (bx, by) = CELL_CENTRE[objects[erased]["position"]], CELL_CENTRE[objects[k]["position"]]
        return k, ax - bx, ay - by
    if kind == "empty-cell":
        cx, cy = CELL_CENTRE[cell]
        fits = [
            (int(k), int(dx), int(dy))
            for k, dx, dy in (placement_options(scene) if options is None else options)
            if (CELL_CENTRE[objects[k]["position"]][0] + dx, CELL_CENTRE[objects[k]["position"]][1] + dy) == (cx, cy)
        ]
        return fits[rng.integers(len(fits))] if fits else None
    return None


def ghost_batch(x64, scenes, use, rng, alpha_range, keys=None, cache=None, details=None):
    """x64 [b, 3, 64, 64] (torch, [-1, 1]) with a ghost in the rows where `use` (bool [b]) and a free cell
    exists, at an alpha ~ U[alpha_range]; returns (new x64, bool [b] of the rows that got one). With `keys` (the
    rows' dataset indices) and `cache` (a dict the caller keeps for one dataset) each scene's placement options are
    computed once; the drawing is draw_ghosts, on x64's device. With `details` (each row's mask as mask_for gives
    it: the inpainting decoder's) the ghost lies inside the masked region, where inpaint_ghost_placement finds one
    (only an empty-cell mask reads the placement options)."""

    def place(i):
        if details is None:
            return ghost_placement(scenes[i], rng, _cached_options(scenes, i, keys, cache))
        options = _cached_options(scenes, i, keys, cache) if details[i][0] == "empty-cell" else None
        return inpaint_ghost_placement(scenes[i], details[i], rng, options)

    got = np.zeros(len(scenes), dtype=bool)
    placements, alphas = [], []
    for i in np.flatnonzero(use):
        placement = place(i)
        if placement is not None:
            placements.append(placement)
            alphas.append(float(rng.uniform(*alpha_range)))
            got[i] = True
    return _draw_rows(x64, scenes, got, placements, alphas), got


def ghost_target(v, x0, x0_ghost, abar):
    """The v-target whose x0 is the clean x0 when x_t was noised from x0_ghost (abar [b, 1, 1, 1])."""
    return v + abar * (x0_ghost - x0) / (1 - abar).sqrt()


def check(data):
    """What the tests assert: the ghost is the object's pixels, shifted a whole number of cells into a free
    cell, at alpha of its contrast; nothing else changes; the target's x0 is the clean picture."""
    import torch
    from training.world.shapesworld import ShapesWorldDataset

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
        cell = next(
            c
            for c, xy in CELL_CENTRE.items()
            if xy == (CELL_CENTRE[o["position"]][0] + dx, CELL_CENTRE[o["position"]][1] + dy)
        )
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
        on_src = ((np.abs(img - bg[:, :, None]).max(axis=0) > 0.1) & own)[max(0, y0) : y1, max(0, x0) : x1].sum()
        on_ghost = (np.abs(g - img).max(axis=0) > 0.05).sum()
        assert abs(int(on_src) - int(on_ghost)) <= 2, (on_src, on_ghost)
        checked += 1
    # the batched drawing training uses (draw_ghosts) is add_ghost row by row, and ghost_batch draws the same
    # ghosts whether its placement options are computed or cached (keys), one call or the next
    n = min(ds.count, 64)
    imgs = np.stack([np.asarray(ds.images[i], dtype=np.float32).transpose(2, 0, 1) / 127.5 - 1.0 for i in range(n)])
    scenes = [ds.scenes[i] for i in range(n)]
    rng = np.random.default_rng(1)
    rows = [
        (i, p, float(rng.uniform(0.2, 0.9))) for i in range(n) if (p := ghost_placement(scenes[i], rng)) is not None
    ]
    batch = draw_ghosts(
        torch.from_numpy(imgs[[i for i, _, _ in rows]]),
        [scenes[i] for i, _, _ in rows],
        [p for _, p, _ in rows],
        [a for _, _, a in rows],
    ).numpy()
    ref = np.stack([add_ghost(imgs[i], scenes[i], p, a) for i, p, a in rows])
    batch_err = float(np.abs(batch - ref).max())
    assert batch_err < 1e-5, batch_err
    use = np.arange(n) % 3 != 0
    cache = {}
    runs = [
        ghost_batch(torch.from_numpy(imgs), scenes, use, np.random.default_rng(2), (0.2, 0.9), keys, c)
        for keys, c in ((None, None), (np.arange(n), cache), (np.arange(n), cache))
    ]
    for g, got in runs[1:]:
        assert (got == runs[0][1]).all() and torch.equal(g, runs[0][0])
    # the inpainting decoder's ghosts lie inside the region its mask regenerates (at 64 px, before pooling), on
    # the erased object's cell or the empty masked cell, and are a copy of another object of the scene
    from training.world.inpaint_masks import mask_for

    inpaint_rows = {"object-cell": 0, "empty-cell": 0}
    rng = np.random.default_rng(3)
    for i in range(n):
        for kind in inpaint_rows:
            m, _, erased, cell = detail = mask_for(scenes[i], rng, kind=kind)
            placement = inpaint_ghost_placement(scenes[i], detail[1:], rng)
            if placement is None:
                assert kind == "empty-cell" or len(scenes[i]["objects"]) == 1
                continue
            assert (
                mask_for(scenes[i], rng, kind="object-box")[0].sum() > 0
                and inpaint_ghost_placement(scenes[i], ("object-box", 0, None), rng) is None
            )
            k, dx, dy = placement
            o = scenes[i]["objects"][k]
            where = (CELL_CENTRE[o["position"]][0] + dx, CELL_CENTRE[o["position"]][1] + dy)
            assert where == CELL_CENTRE[cell if kind == "empty-cell" else scenes[i]["objects"][erased]["position"]]
            assert kind == "empty-cell" or k != erased
            g = ghost_batch(
                torch.from_numpy(imgs[i : i + 1]), [scenes[i]], np.ones(1, bool), rng, (0.5, 0.5), details=[detail[1:]]
            )[0][0].numpy()
            changed = np.abs(g - imgs[i]).max(axis=0) > 1e-6
            assert changed.any() and (m[changed] == 1).all(), (kind, i)
            inpaint_rows[kind] += 1
    assert min(inpaint_rows.values()) > 0, inpaint_rows
    # and with masks, as without, ghost_batch draws the same ghosts with its placement options cached or not
    from training.world.inpaint_masks import masks_32

    _, details = masks_32(scenes, np.random.default_rng(4), [0.5, 0, 0.5, 0, 0], 0, details=True)
    cache = {}
    runs = [
        ghost_batch(
            torch.from_numpy(imgs), scenes, np.ones(n, bool), np.random.default_rng(5), (0.2, 0.9), keys, c, details
        )
        for keys, c in ((None, None), (np.arange(n), cache), (np.arange(n), cache))
    ]
    assert runs[0][1].any() and cache, "empty-cell masks got ghosts and filled the cache"
    for g, got in runs[1:]:
        assert (got == runs[0][1]).all() and torch.equal(g, runs[0][0])
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
    print(
        json.dumps(
            {
                "scenes": min(ds.count, 64),
                "placed": placed,
                "checked": checked,
                "batchRows": len(rows),
                "batchError": batch_err,
                "inpaintGhosts": inpaint_rows,
                "targetError": err,
            }
        )
    )


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--check", action="store_true")
    p.add_argument("--data", default="training/data/probe.bin")
    a = p.parse_args()
    if a.check:
        check(a.data)
