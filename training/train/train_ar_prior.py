"""Trains the mini-unCLIP autoregressive prior: caption -> PCA-quantized CLIP image embedding.

  python3 -m training.train.train_ar_prior --out training/runs/ar_prior --minutes 40 --decay-steps -1 [--device cuda]

On a first run the PCA basis is fitted to the dataset's CLIP image embeddings (the fewest
components keeping >= --keep of the variance), each component quantized uniformly into --buckets
over its [0.05%, 99.95%] range, and the text-image dot products of (picture, caption) pairs cut
into --dot-buckets equal-mass buckets; all of it is kept in the checkpoint, so resumed runs and
the export use the same basis. Cross-entropy of each component's bucket given the prefix
[caption token features, text embedding, dot-product bucket] and the buckets before it, against
a Gaussian over the neighbouring buckets (--smooth, in buckets: the buckets are ordered values);
the text conditioning is dropped --p-drop-text of the time (as the diffusion prior's).
"""
import json
import os

import torch
import torch.nn.functional as F

from training.models.ar_prior_model import ArPrior, PcaCodes
from training.train.common import (
    TRAINING,
    add_flags,
    clip_and_embeddings,
    drop_text,
    print_size,
    seeded_device,
    text_features,
    train_loop,
    trainer_parser,
)


def dot_edges(clip, batches, embeds, n_buckets, pairs=20000, chunk=2000):
    """Interior edges [n_buckets - 1] of equal-mass buckets of text . image over random (picture, caption) pairs."""
    dots = []
    chunk = min(chunk, batches.ds.count)  # a small dataset: smaller draws, as many pairs
    for _ in range(0, pairs, chunk):
        rows, ids = batches.sample_ids(chunk)
        t, _, _ = text_features(clip, ids)
        dots.append((t * embeds[rows]).sum(1))
    d = torch.cat(dots).float().cpu()
    return torch.quantile(d, torch.linspace(0, 1, n_buckets + 1)[1:-1])


def bucket_loss(logits, codes, sigma):
    """Cross-entropy of each component's bucket; with sigma > 0 against a Gaussian over the neighbouring
    buckets (the buckets are ordered values: a near miss costs less than a far one)."""
    if sigma <= 0:
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), codes.reshape(-1))
    grid = torch.arange(logits.shape[-1], device=logits.device, dtype=torch.float32)
    target = torch.softmax(-((grid - codes[..., None].float()) ** 2) / (2 * sigma**2), dim=-1)
    return -(target * torch.log_softmax(logits, dim=-1)).sum(-1).mean()


def main():
    p = trainer_parser(steps=20000, lr=1e-3, batch=128)
    add_flags(
        p,
        [
            ("--keep", float, 0.99, "share of the embeddings' variance the kept components hold"),
            ("--buckets", int, 32, "buckets per PCA component (uniform over its range)"),
            ("--dot-buckets", int, 16, "equal-mass buckets of the text-image dot product"),
            ("--width", int, 128),
            ("--layers", int, 4),
            ("--heads", int, 4),
            ("--p-drop-text", float, 0.1),
            (
                "--smooth",
                float,
                1.0,
                "targets spread over neighbouring buckets by a Gaussian of this many buckets (0: one-hot)",
            ),
        ],
    )
    args = p.parse_args()
    device = seeded_device(args)
    clip, batches, embeds = clip_and_embeddings(args, device, args.seed + 2)
    ckpt = os.path.join(args.out, "ckpt.pt")
    committed = os.path.join(TRAINING, "checkpoints", "ar_prior.pt")
    if not os.path.exists(ckpt) and os.path.exists(committed) and not args.from_scratch:
        ckpt = committed
    if os.path.exists(ckpt):
        saved = torch.load(ckpt, map_location="cpu")
        pca, edges = PcaCodes.from_state(saved["pca"]), saved["dot_edges"]
        # the model continues with the checkpoint's shape whatever this command line's defaults say
        shape = {
            "buckets": pca.buckets,
            "dot_buckets": len(edges) + 1,
            **{n: saved["args"][n] for n in ("width", "layers", "heads") if n in saved.get("args", {})},
        }
        for n, v in shape.items():
            if getattr(args, n) != v:
                print(f"ar_prior: --{n.replace('_', '-')} {v} as in {ckpt} (not {getattr(args, n)})", flush=True)
                setattr(args, n, v)
        print(f"ar_prior: basis from {ckpt}: {pca.components.shape[0]} components, {pca.buckets} buckets", flush=True)
    else:
        pca, share = PcaCodes.fit(embeds.cpu(), args.keep, args.buckets)
        edges = dot_edges(clip, batches, embeds, args.dot_buckets)
        k = pca.components.shape[0]
        e = embeds[:5000].cpu()
        back = pca.dequantize(pca.quantize(e))
        cos = F.cosine_similarity(back, e).mean().item()
        cos_pca = F.cosine_similarity(pca.mean + pca.project(e) @ pca.components, e).mean().item()
        print(
            json.dumps(
                {
                    "pca_components": k,
                    "variance_kept": round(share[k - 1].item(), 5),
                    "buckets": args.buckets,
                    "cosine_pca": round(cos_pca, 5),
                    "cosine_quantized": round(cos, 5),
                    "variance_share_at": {
                        str(n): round(share[n - 1].item(), 4) for n in (8, 16, 32, 64) if n <= len(share)
                    },
                    "dot_edges": [round(v, 3) for v in edges.tolist()],
                }
            ),
            flush=True,
        )
    k = pca.components.shape[0]
    dev_pca = PcaCodes(
        *(
            t.to(device) if torch.is_tensor(t) else t
            for t in (pca.mean, pca.components, pca.variance, pca.lo, pca.hi, pca.buckets)
        )
    )
    dev_edges = edges.to(device)
    model = ArPrior(k, args.buckets, args.dot_buckets, width=args.width, layers=args.layers, heads=args.heads)
    print_size(model, "ar_prior", f"{k} components x {args.buckets} buckets", f"training on {device}")

    def step_fn(step):
        rows, ids = batches.sample_ids(args.batch)
        img = embeds[rows]
        txt_emb, feats, mask = text_features(clip, ids)
        dot = torch.bucketize((txt_emb * img).sum(1), dev_edges)
        codes = dev_pca.quantize(img)
        txt_emb, feats, mask = drop_text(args.p_drop_text, txt_emb, feats, mask)
        logits = model(feats, mask, txt_emb, dot, codes)
        return bucket_loss(logits.float(), codes, args.smooth)

    train_loop("ar_prior", model, args, step_fn, {"pca": pca.state(), "dot_edges": edges})


if __name__ == "__main__":
    main()
