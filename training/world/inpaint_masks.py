"""Masks for training the inpainting decoder (GLIDE section 4: regions of the training images
erased, the decoder given the rest and the mask). Mask 1 = regenerate, as the product's Mask port.

Drawn per picture from its scene record (the geometry of src/world/spec.ts), at 64x64, then max-pooled to the
decoder's 32x32 (a block with any masked pixel regenerates: maxPoolMask in src/tensor/mask.ts):
- an object's grid cell (centre +- 19 px, what `mask/cell` masks): in a two-object scene the
  caption names the object that has to be drawn back there, the edit the product's eval asks for;
- an object's box (its half-extent + 2 px): the object erased tightly;
- an empty grid cell: the caption names nothing there, so background comes back (no extra copies);
- a random rectangle (4 to 48 px a side);
- the whole picture: plain text-to-image, so the model never meets a mask it has not seen.

`grow` (up to n px, drawn per mask) widens the cell and box masks as the product's graphs do before they
inpaint (graphs/inpaint.json's `edge`: mask/grow by 2 px and a 3 px feather, and a block with any masked
pixel regenerates): there a cell's mask reaches into the next cell and cuts the kept object, a mask the
default mix never drew around an object the caption names.
"""
import numpy as np

from training.world.world import (
    CELL_CENTRE as CELLS,
    CELL_HALF,
)  # CELL_HALF: largest half-extent 14 + size jitter 1 + position jitter 4

KINDS = ("object-cell", "object-box", "empty-cell", "rectangle", "all")
WEIGHTS = np.array([0.35, 0.15, 0.15, 0.3, 0.05])


def _box(m, x0, y0, x1, y1):
    """Pixels whose centres lie in [x0, x1) x [y0, y1), as mask/rect does."""
    xs = np.arange(64) + 0.5
    cols = (xs >= x0) & (xs < x1)
    rows = (xs >= y0) & (xs < y1)
    m[np.ix_(rows, cols)] = 1.0


def mask_for(scene, rng, kind=None, weights=WEIGHTS, grow=0):
    """One 64x64 mask (float32, 1 = regenerate), the kind drawn (weights: the mix of KINDS), the index of the
    object erased (object-cell, object-box; else -1) and the empty cell masked (empty-cell; else None)."""
    kind = kind or KINDS[rng.choice(len(KINDS), p=np.asarray(weights) / np.sum(weights))]
    g = int(rng.integers(0, grow + 1)) if grow and kind in ("object-cell", "object-box", "empty-cell") else 0
    m = np.zeros((64, 64), dtype=np.float32)
    objects = scene["objects"]
    erased, cell = -1, None
    if kind == "empty-cell":
        taken = {o["position"] for o in objects}
        free = [c for c in CELLS if c not in taken]
        cell = free[rng.integers(len(free))]
        cx, cy = CELLS[cell]
        # an empty cell may overlap a neighbour's object (cells are 16 px apart, masks 38 wide): keep
        # the objects themselves out of it, so the caption stays true of what must come back
        _box(m, cx - CELL_HALF - g, cy - CELL_HALF - g, cx + CELL_HALF + g, cy + CELL_HALF + g)
        for o in objects:
            keep = np.zeros_like(m)
            _box(keep, o["cx"] - o["s"] - 2, o["cy"] - o["s"] - 2, o["cx"] + o["s"] + 2, o["cy"] + o["s"] + 2)
            m[keep > 0] = 0.0
    elif kind in ("object-cell", "object-box"):
        erased = int(rng.integers(len(objects)))
        o = objects[erased]
        if kind == "object-cell":
            cx, cy = CELLS[o["position"]]
            _box(m, cx - CELL_HALF - g, cy - CELL_HALF - g, cx + CELL_HALF + g, cy + CELL_HALF + g)
        else:
            r = o["s"] + 2 + g
            _box(m, o["cx"] - r, o["cy"] - r, o["cx"] + r, o["cy"] + r)
    elif kind == "rectangle":
        w, h = rng.integers(4, 49, size=2)
        x, y = rng.integers(0, 64 - w + 1), rng.integers(0, 64 - h + 1)
        _box(m, x, y, x + w, y + h)
    else:
        m[:] = 1.0
    return m, kind, erased, cell


def masks_32(scenes, rng, weights=WEIGHTS, grow=0, details=False):
    """[n, 1, 32, 32] float32 masks for a batch of scene specs (max-pooled from 64x64); with details, also each
    row's (kind, erased object, empty cell) as mask_for gives them (training/world/ghosts.py's ghost_batch reads them).
    """
    drawn = [mask_for(s, rng, weights=weights, grow=grow) for s in scenes]
    out = np.stack([d[0] for d in drawn]).reshape(len(scenes), 1, 32, 2, 32, 2).max(axis=(3, 5))
    return (out, [d[1:] for d in drawn]) if details else out
