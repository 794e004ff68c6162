"""A quick PyTorch-only judge of an AR prior checkpoint, for runs in progress: samples an image
embedding for fully stated single-object prompts ("a <size> <colour> <shape> at the <position> on
a <bg> background", held-out pairs excluded, the paper's sampling: dot token from the upper half),
finds the nearest training picture (cosine, among the one-object pictures) and compares its scene
with the prompt, attribute by attribute. No decoder: it asks whether the embedding lies where
pictures of the caption lie. The CLIP text embedding itself scores 100% here (the control).
The product's judge is the pixel reader on decoded pictures (npm run study, eval:unclip --compose --ar).

  python3 -m training.probes.probe_ar_prior [checkpoint] [--weights ema|model] [--temperature 1] [--n 96] \
      [--sample-seed 0]
"""
import argparse
import os
import random

import torch
import torch.nn.functional as F

from training.models.ar_prior_model import ArPrior
from training.train.common import TRAINING, Batches, image_embeddings, load_clip, text_features

from training.world.world import BACKGROUNDS, COLOURS, HELD_OUT, POSITIONS, SHAPES, SIZES


def main():
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint", nargs="?", default=os.path.join(TRAINING, "checkpoints", "ar_prior.pt"))
    p.add_argument("--weights", default="ema", choices=["ema", "model"])
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--n", type=int, default=96)
    p.add_argument("--seed", type=int, default=5, help="draws the prompts")
    p.add_argument("--sample-seed", type=int, default=0, help="draws the dot tokens and the buckets")
    p.add_argument("--data", default=os.path.join(TRAINING, "data", "train.bin"))
    a = p.parse_args()
    ck = torch.load(a.checkpoint, map_location="cpu")
    m, pca, edges = ArPrior.from_checkpoint(ck, a.weights)
    dot_buckets = len(edges) + 1
    clip_path = os.path.join(TRAINING, "checkpoints", "clip.pt")
    clip, b = load_clip(clip_path), Batches(a.data, 1)
    one = torch.as_tensor(b.one)
    pictures = image_embeddings(clip, b.ds, clip_path)[one]
    rnd, prompts = random.Random(a.seed), []
    while len(prompts) < a.n:
        t = (rnd.choice(SIZES), rnd.choice(COLOURS), rnd.choice(SHAPES), rnd.choice(POSITIONS), rnd.choice(BACKGROUNDS))
        if (t[1], t[2]) not in HELD_OUT:
            prompts.append(t)
    captions = [f"a {s} {c} {sh} at the {pos} on a {bg} background" for s, c, sh, pos, bg in prompts]
    text, feats, mask = text_features(clip, torch.from_numpy(b.tok.encode_batch(captions)))
    torch.manual_seed(a.sample_seed)
    dot = dot_buckets // 2 + torch.randint(0, dot_buckets - dot_buckets // 2, (len(captions),))
    sampled = F.normalize(pca.dequantize(m.sample(feats, mask, text, dot, a.temperature)), dim=1)

    def score(e):
        hits = dict.fromkeys(
            ["size", "colour", "shape", "position", "background", "colour+shape", "every attribute"], 0
        )
        for j, near in enumerate((e @ pictures.T).argmax(1).tolist()):
            scene = b.ds.scenes[int(one[near])]
            o, (s, c, sh, pos, bg) = scene["objects"][0], prompts[j]
            r = dict(
                size=o["size"] == s,
                colour=o["colour"] == c,
                shape=o["shape"] == sh,
                position=o["position"] == pos,
                background=scene["background"] == bg,
            )
            for name, v in r.items():
                hits[name] += v
            hits["colour+shape"] += r["colour"] and r["shape"]
            hits["every attribute"] += all(r.values())
        return {name: round(v / len(prompts), 3) for name, v in hits.items()}

    print(f"{a.checkpoint} ({a.weights}, step {ck['step']}), temperature {a.temperature}, {a.n} prompts")
    print("  samples: text . image", round((text * sampled).sum(1).mean().item(), 3), score(sampled))
    print("  control, the CLIP text embedding:", score(text))


if __name__ == "__main__":
    main()
