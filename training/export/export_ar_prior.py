"""Exports the mini-unCLIP autoregressive prior to ONNX with its PCA basis and dot-product buckets
in the manifest entry (kind "ar-prior").

  python3 -m training.export.export_ar_prior [--ckpt training/checkpoints/ar_prior.pt] [--out public/models] [--raw]

The graph takes the whole bucket sequence and returns every position's logits; position i reads
only the buckets before it (causal), so sampling re-runs it once per component with the buckets
drawn so far (29 components: 29 runs of a 47-token transformer, a few ms each).
"""
import argparse
import os

import torch

from training.models.ar_prior_model import ArPrior
from training.export.export_unclip import WORLD, card
from training.export.manifest_util import MODELS_DIR, file_fields, update_manifest

from training.paths import TRAINING


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", default=os.path.join(TRAINING, "checkpoints", "ar_prior.pt"))
    p.add_argument("--out", default=MODELS_DIR)
    p.add_argument("--raw", action="store_true", help="the raw weights instead of the EMA")
    args = p.parse_args()
    ck = torch.load(args.ckpt, map_location="cpu")
    a = ck["args"]
    model, pca, edges = ArPrior.from_checkpoint(ck, "model" if args.raw else "ema")
    k, buckets = pca.components.shape[0], pca.buckets
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "mini-unclip-ar-prior.onnx")
    b = 2
    names = ["text_tokens", "text_mask", "text_embed", "dot_bucket", "codes"]
    inputs = (
        torch.zeros(b, 16, 128),
        torch.ones(b, 16),
        torch.zeros(b, 128),
        torch.zeros(b, dtype=torch.int64),
        torch.zeros(b, k, dtype=torch.int64),
    )
    torch.onnx.export(
        model,
        inputs,
        path,
        input_names=names,
        output_names=["logits"],
        opset_version=14,
        dynamic_axes={n: {0: "batch"} for n in names + ["logits"]},
    )
    rnd = lambda t: [round(float(v), 6) for v in t.reshape(-1).tolist()]
    params = sum(q.numel() for q in model.parameters())
    c = card(
        ck,
        "ar_prior",
        f"causal transformer over [16 caption token features, text embedding, dot-product token, "
        f"start, {k - 1} buckets], {a['layers']} layers, width {a['width']}",
        params,
    )
    c["weights"] = "raw" if args.raw else f"EMA ({a.get('ema', 0.999)})"
    c["lastRunSettings"] = {
        n: a[n]
        for n in (
            "lr",
            "warmup",
            "decay_steps",
            "min_lr_ratio",
            "p_drop_text",
            "keep",
            "buckets",
            "dot_buckets",
            "smooth",
            "width",
            "layers",
        )
        if n in a
    }
    entry = {
        "id": "mini-unclip-ar-prior",
        "kind": "ar-prior",
        "title": "mini-unCLIP autoregressive prior (text -> PCA-quantized CLIP image embedding)",
        **file_fields(path, WORLD),
        "embedDim": 128,
        "inputs": [
            {"name": "text_tokens", "dtype": "float32", "shape": ["batch", 16, 128]},
            {"name": "text_mask", "dtype": "float32", "shape": ["batch", 16]},
            {"name": "text_embed", "dtype": "float32", "shape": ["batch", 128]},
            {"name": "dot_bucket", "dtype": "int64", "shape": ["batch"]},
            {"name": "codes", "dtype": "int64", "shape": ["batch", k]},
        ],
        "outputs": [{"name": "logits", "dtype": "float32", "shape": ["batch", k, buckets]}],
        "arPrior": {
            "clip": "mini-clip",
            "components": k,
            "buckets": buckets,
            "dotBuckets": a["dot_buckets"],
            "dotEdges": rnd(edges),
            "varianceKept": a["keep"],
            "pca": {
                "mean": rnd(pca.mean),
                "components": rnd(pca.components),
                "variance": rnd(pca.variance),
                "min": rnd(pca.lo),
                "max": rnd(pca.hi),
            },
        },
        "card": c,
    }
    entry["card"]["pca"] = (
        f"{k} of 128 components keep {a['keep'] * 100:.0f}% of the variance of the 100,000 training pictures' CLIP "
        f"image embeddings; each quantized uniformly into {buckets} buckets over its [0.05%, 99.95%] range; "
        f"the text-image dot product in {a['dot_buckets']} equal-mass buckets, drawn from the upper half when sampling"
        + (
            f"; trained against a Gaussian over neighbouring buckets (sigma {a['smooth']} buckets)"
            if a.get("smooth")
            else ""
        )
    )
    update_manifest([entry], os.path.join(args.out, "manifest.json"))
    print(
        f"exported mini-unclip-ar-prior: {os.path.getsize(path)} bytes, sha256 {entry['sha256'][:12]}, {k} components "
        f"x {buckets} buckets"
    )


if __name__ == "__main__":
    main()
