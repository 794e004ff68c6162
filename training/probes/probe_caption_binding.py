"""Where does the decoder lose relations? Linear probes of the caption conditioning it reads.

  python3 -m training.probes.probe_caption_binding [training/checkpoints/decoder.pt]

Relations need binding: in "a red circle left of a blue square" the colour on the left depends on
colour x relation x order. Probed on 2,000 random two-object captions (1,500 to fit, 500 to test):
(1) the relation word (trivial: it is a token), (2) the colour of the object that is left of /
above the other (8 classes; no single word gives it). If the features the U-Net's cross-attention
reads carry (2) linearly, the caption side is not what limits relations.
"""
import sys
import random

import torch
import torch.nn.functional as F
from training.models.decoder_model import load_decoder
from training.train.common import TRAINING, VOCAB, load_clip, text_features
import os
from training.world.shapesworld import WordTokenizer
from training.world.world import COLOURS as cols, RELATIONS as rels, SHAPES as shapes

m, ck = load_decoder(sys.argv[1] if len(sys.argv) > 1 else os.path.join(TRAINING, "checkpoints", "decoder.pt"))
clip = load_clip(os.path.join(TRAINING, "checkpoints", "clip.pt"))
tok = WordTokenizer(VOCAB)
random.seed(0)
caps = []
labels = []
for _ in range(2000):
    c1, c2 = random.sample(cols, 2)
    s1, s2 = random.choice(shapes), random.choice(shapes)
    r = random.randrange(4)
    caps.append(f"a {c1} {s1} {rels[r]} a {c2} {s2}")
    labels.append(r)
ids = torch.tensor(tok.encode_batch(caps))
mask = (ids != 0).float()
with torch.no_grad():
    own, pooled = m.caption(ids, mask)
    _, feats, _ = text_features(clip, ids)
    ctx = m.text_proj(feats) + m.caption_proj(own)
    temb_extra = m.caption_time(pooled)


def linear_probe(X, y, classes, steps):
    """Accuracy on the last 500 rows of a linear classifier trained on the first 1,500 (standardised features)."""
    X = X.reshape(len(X), -1)
    n = 1500
    X = (X - X[:n].mean(0)) / (X[:n].std(0) + 1e-6)
    W = torch.zeros(X.shape[1], classes, requires_grad=True)
    opt = torch.optim.Adam([W], lr=1e-2)
    yt = torch.tensor(y)
    for _ in range(steps):
        loss = F.cross_entropy(X[:n] @ W, yt[:n]) + 1e-3 * W.pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return ((X[n:] @ W).argmax(1) == yt[n:]).float().mean().item()


# the features both probes read; each then reads the cross-attention context (the relation probe also the time term)
features = [
    (feats, "mini-CLIP token features (frozen)"),
    (own, "decoder's caption encoder token features"),
    (pooled, "decoder's caption encoder pooled feature"),
]
for X, name in features + [
    (ctx, "cross-attention context (both, as the U-Net reads it)"),
    (temb_extra, "pooled feature as added to the timestep embedding"),
]:
    acc = linear_probe(X, labels, 4, 300)
    print(f"{name}: linear probe of the relation on 500 held-out captions: {acc*100:.1f}%")


# how far apart relation-flipped captions are vs colour-swapped, in the context the U-Net reads
def ctx_of(texts):
    i = torch.tensor(tok.encode_batch(texts))
    mk = (i != 0).float()
    with torch.no_grad():
        o, p = m.caption(i, mk)
        _, f, _ = text_features(clip, i)
        return (m.text_proj(f) + m.caption_proj(o)), m.caption_time(p)


a, ta = ctx_of(["a red circle left of a blue square"] * 1)
b, tb = ctx_of(["a red circle right of a blue square"])
c, tc = ctx_of(["a blue circle left of a red square"])
print(
    "relative change of the context: relation flipped %.3f, colours swapped %.3f"
    % (((a - b).norm() / a.norm()).item(), ((a - c).norm() / a.norm()).item())
)
print(
    "relative change of the pooled time term: relation flipped %.3f, colours swapped %.3f"
    % (((ta - tb).norm() / ta.norm()).item(), ((ta - tc).norm() / ta.norm()).item())
)
print(
    "--- binding probe: the colour of the object that is left of / above the other (8 classes; needs colour x relation)"
)
lab2 = []
for cap, r in zip(caps, labels):
    w = cap.split()
    c1 = w[1]
    c2 = w[-2]
    lab2.append(cols.index(c1 if r in (0, 2) else c2))
for X, name in features + [(ctx, "cross-attention context")]:
    acc = linear_probe(X, lab2, 8, 400)
    print(f"{name}: {acc*100:.1f}% (chance 12.5%, colour of the first-named object alone ~50%)")
