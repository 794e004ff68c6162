"""Diagnoses the AR prior in PyTorch on training batches: teacher-forced loss and top-1 accuracy
per component, each component's marginal entropy (what a prior that ignored the caption would
score), and samples' agreement with their captions (text . image) beside real pairs'.

  python3 -m training.probes.eval_ar_prior [training/checkpoints/ar_prior.pt]
"""
import os
import sys

import torch
import torch.nn.functional as F
from training.models.ar_prior_model import ArPrior
from training.train.common import TRAINING, Batches, image_embeddings, load_clip, text_features

torch.manual_seed(0)
ck = torch.load(
    sys.argv[1] if len(sys.argv) > 1 else os.path.join(TRAINING, "checkpoints", "ar_prior.pt"), map_location="cpu"
)
m, pca, edges = ArPrior.from_checkpoint(ck)
k = pca.components.shape[0]
CLIP = os.path.join(TRAINING, "checkpoints", "clip.pt")
clip = load_clip(CLIP)
b = Batches(os.path.join(TRAINING, "data", "train.bin"), 123)
emb = image_embeddings(clip, b.ds, CLIP)
rows, ids = b.sample_ids(64)
rows = torch.as_tensor(rows)
t, feats, mask = text_features(clip, ids)
img = emb[rows]
print("true text.image", (t * img).sum(1).mean().item())
codes = pca.quantize(img)
back = F.normalize(pca.dequantize(codes), dim=1)
print("quantized true text.image", (t * back).sum(1).mean().item())
dot = torch.bucketize((t * img).sum(1), edges)
with torch.no_grad():
    logits = m(feats, mask, t, dot, codes)
    print("teacher-forced loss", F.cross_entropy(logits.reshape(-1, logits.shape[-1]), codes.reshape(-1)).item())
    acc = (logits.argmax(-1) == codes).float().mean(0)
    print("teacher-forced top-1 accuracy per component", [round(v, 2) for v in acc.tolist()])
    for temp in (1.0, 0.5):
        cur = m.sample(feats, mask, t, torch.full_like(dot, 12), temp)
        e = F.normalize(pca.dequantize(cur), dim=1)
        print(
            f"sampled (T={temp}) text.image",
            (t * e).sum(1).mean().item(),
            " cos to true",
            (e * img).sum(1).mean().item(),
        )
allc = pca.quantize(emb[:20000])
ents = []
for i in range(k):
    p = torch.bincount(allc[:, i], minlength=pca.buckets).float()
    p = p / p.sum()
    p = p[p > 0]
    ents.append(-(p * p.log()).sum().item())
print("marginal entropy per component (nats)", [round(e, 2) for e in ents], "mean", sum(ents) / k)
with torch.no_grad():
    rows, ids = b.sample_ids(512)
    rows = torch.as_tensor(rows)
    t, feats, mask = text_features(clip, ids)
    img = emb[rows]
    codes = pca.quantize(img)
    dot = torch.bucketize((t * img).sum(1), edges)
    logits = m(feats, mask, t, dot, codes)
    per = (
        F.cross_entropy(logits.reshape(-1, logits.shape[-1]), codes.reshape(-1), reduction="none")
        .reshape(512, k)
        .mean(0)
    )
    print("teacher-forced loss per component", [round(v, 2) for v in per.tolist()])
