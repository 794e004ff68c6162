"""ShapesWorld's constants (src/world/spec.ts) for the Python scripts, read from training/world/world.json, which
src/world/spec.ts writes (npx tsx src/world/spec-cli.ts) and a test keeps equal to it: one spelling of the world."""
import json
import os

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "world.json")) as _f:
    SPEC = json.load(_f)

VERSION = SPEC["version"]
SHAPES = SPEC["shapes"]
COLOURS = SPEC["colours"]
BACKGROUNDS = SPEC["backgrounds"]
SIZES = SPEC["sizes"]
POSITIONS = SPEC["positions"]
RELATIONS = SPEC["relations"]
COLOUR_RGB = {k: tuple(v) for k, v in SPEC["colourRgb"].items()}
BACKGROUND_RGB = {k: tuple(v) for k, v in SPEC["backgroundRgb"].items()}
CELL_CENTRE = {k: tuple(v) for k, v in SPEC["cellCentre"].items()}
HELD_OUT = {tuple(p) for p in SPEC["heldOutPairs"]}
# the largest distance of an object's pixels from its cell's centre: largest half-extent + size and position jitter
CELL_HALF = max(SPEC["halfExtent"].values()) + SPEC["sizeJitter"] + SPEC["positionJitter"]
OPPOSITE = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}
assert set(OPPOSITE) == set(RELATIONS), "world.json's relations changed: update OPPOSITE"
