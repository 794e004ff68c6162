"""Writes model entries into public/models/manifest.json (merging by id)."""
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS_DIR = os.path.normpath(os.path.join(HERE, "..", "public", "models"))
MANIFEST = os.path.join(MODELS_DIR, "manifest.json")


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def update_manifest(entries, manifest_path=MANIFEST):
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
    else:
        manifest = {"format": "unclip-studio/models", "version": 1, "models": []}
    by_id = {m["id"]: m for m in manifest["models"]}
    for e in entries:
        old = by_id.get(e["id"], {})
        if "card" in old and "card" in e:
            e["card"] = {**old["card"], **e["card"]}  # keep measured metrics written by the eval
        by_id[e["id"]] = {**old, **e}
    order = [m["id"] for m in manifest["models"]] + [e["id"] for e in entries if e["id"] not in {m["id"] for m in manifest["models"]}]
    manifest["models"] = [by_id[i] for i in order]
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
