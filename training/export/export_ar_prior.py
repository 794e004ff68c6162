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
from training.export.export_unclip import card, exported, io
from training.export.manifest_util import MODELS_DIR, write_entries

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
    head = exported(
        model,
        args.out,
        "mini-unclip-ar-prior",
        "ar-prior",
        "mini-unCLIP autoregressive prior (text -> PCA-quantized CLIP image embedding)",
        [
            io("text_tokens", 16, 128),
            io("text_mask", 16),
            io("text_embed", 128),
            io("dot_bucket", dtype="int64"),
            io("codes", k, dtype="int64"),
        ],
        [io("logits", k, buckets)],
        embedDim=128,
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
        **head,
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
    write_entries([entry], args.out, f", {k} components x {buckets} buckets")


if __name__ == "__main__":
    main()
