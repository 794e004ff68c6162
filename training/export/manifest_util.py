"""Writes model entries into public/models/manifest.json (merging by id)."""
import hashlib
import json
import os

from training.paths import TRAINING

MODELS_DIR = os.path.normpath(os.path.join(TRAINING, "..", "public", "models"))
MANIFEST = os.path.join(MODELS_DIR, "manifest.json")


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


FIGURE_BLOCKS = ("evaluation", "composition")
MEASURED_IDS = {
    "prior": "mini-unclip-prior",
    "decoder": "mini-unclip-decoder",
    "upsampler": "mini-unclip-upsampler",
    "upsampler256": "mini-unclip-upsampler256",
    "clip": "mini-clip-text",
    "clipImage": "mini-clip-image",
    "dvae": "mini-dalle-dvae-encoder",
    "dalle": "mini-dalle",
    "arPrior": "mini-unclip-ar-prior",
    "inpaintDecoder": "mini-unclip-inpaint-decoder",
    "noisedClip": "mini-clip-noised",
}


def file_fields(path, world):
    """The manifest fields that name an exported file: its name, sha256, size and the world it was trained on."""
    return {"file": os.path.basename(path), "sha256": sha256_of(path), "bytes": os.path.getsize(path), "world": world}


def drop_stale_figures(by_id, changed):
    """Measured figures belong to the weights they measured: a block naming other weights' sha256
    (measuredWeights) goes, and so does an unnamed block of a model whose own weights changed."""
    for mid, m in by_id.items():
        card = m.get("card") or {}
        for block in FIGURE_BLOCKS:
            figures = card.get(block)
            if not isinstance(figures, dict):
                continue
            named = figures.get("measuredWeights")
            if named is None:
                stale = mid in changed
            else:
                stale = any(by_id.get(MEASURED_IDS.get(k, k), {}).get("sha256") != v for k, v in named.items())
            if stale:
                del card[block]


def write_entries(entries, out, note=""):
    """Merges the entries into <out>/manifest.json and prints a line for each exported file: its id, size and
    sha256, and `note`."""
    update_manifest(entries, os.path.join(out, "manifest.json"))
    for e in entries:
        print(f"exported {e['id']}: {e['bytes']} bytes, sha256 {e['sha256'][:12]}{note}")


def update_manifest(entries, manifest_path=MANIFEST):
    if os.path.exists(manifest_path):
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
    else:
        manifest = {"format": "unclip-studio/models", "version": 1, "models": []}
    by_id = {m["id"]: m for m in manifest["models"]}
    changed = {e["id"] for e in entries if by_id.get(e["id"], {}).get("sha256") != e["sha256"]}
    for e in entries:
        old = by_id.get(e["id"], {})
        if "card" in old and "card" in e:
            e["card"] = {
                **old["card"],
                **e["card"],
            }  # keep measured metrics written by the eval (if still theirs, below)
        if "card" in e:  # a field the exporter sets to None no longer applies (e.g. taskVector after more training)
            e["card"] = {k: v for k, v in e["card"].items() if v is not None}
        by_id[e["id"]] = {**old, **e}
    drop_stale_figures(by_id, changed)
    order = [m["id"] for m in manifest["models"]] + [
        e["id"] for e in entries if e["id"] not in {m["id"] for m in manifest["models"]}
    ]
    manifest["models"] = [by_id[i] for i in order]
    with open(manifest_path, "w", encoding="utf-8") as f:  # as the TypeScript evals write it: UTF-8, a final newline
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
