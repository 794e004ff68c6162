"""Can the decoder's conditioning carry a relation to the pixels at all? The conditioning alone, on a proxy task.

  python3 -m training.probes.probe_conditioning [--steps 1500] [--variants clip,enc,enc-pos,enc-causal]

At the first sampling step the decoder predicts the mean of the pictures a caption allows; for "a red circle
left of a blue square" that mean has red mass left of blue mass. The bundled decoder's prediction does not
(probe_layout.py: 51%, though "a red circle at the left" is placed right 100% of the time). This trains only the
path a caption takes to the pixels in the decoder: caption features -> cross-attention from a grid of position
queries (8x8, like the decoder's lowest level, with the position known) -> the mean picture at 8x8, MSE against
relation-captioned two-object pictures, and reads the result with probe_layout's relation reading (50% = not
read; the script prints what it gives on the real 8x8 pictures themselves). Each variant is the same except the caption
features:

  clip        the frozen mini-CLIP's token features (causal), projected: what the decoder reads without its own encoder
  enc         + the decoder's own caption encoder (bidirectional, position embeddings at 0.01 of the token
              embeddings' scale, trained with the task), as the bundled decoder has it
  enc-pos     the same encoder, position embeddings at the token embeddings' scale
  enc-causal  the same encoder with a causal mask (like mini-CLIP: word order reaches every token through the mask)

Minutes on a CPU. If a variant learns the relation here in a few thousand steps and the decoder's does not in
20,000, the conditioning is not the limit; if none does, it is.
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from training.models.decoder_model import CaptionEncoder
from training.probes.probe_layout import prompts, relation_read, relation_row
from training.train.common import TRAINING, RELATION_WORDS, Batches, add_flags, load_clip, loop_flags, text_features


class Encoder(CaptionEncoder):
    """The decoder's own caption encoder (decoder_model.CaptionEncoder), its token features only."""

    def __init__(self, vocab, width=128, layers=2, pos_scale=0.01, causal=False):
        super().__init__(vocab, width=width, layers=layers, pos_scale=pos_scale, causal=causal)

    def forward(self, ids, mask):
        return super().forward(ids, mask)[0]


class Proxy(nn.Module):
    def __init__(self, vocab, variant, width=128, grid=8):
        super().__init__()
        self.variant = variant
        self.text_proj = nn.Linear(128, width)
        self.enc = None
        if variant != "clip":
            self.enc = Encoder(
                vocab, width, pos_scale=1.0 if variant == "enc-pos" else 0.01, causal=variant == "enc-causal"
            )
        self.grid = grid
        self.query = nn.Parameter(torch.randn(grid * grid, width) * 0.02)
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(width, 2 * width)
        self.mlp = nn.Sequential(
            nn.LayerNorm(width), nn.Linear(width, 2 * width), nn.ReLU(), nn.Linear(2 * width, width)
        )
        self.head = nn.Linear(width, 3)

    def forward(self, feats, ids, mask):
        ctx = self.text_proj(feats)
        if self.enc is not None:
            ctx = ctx + self.enc(ids, mask)
        b, heads = ids.shape[0], 4
        q = self.q(self.query).expand(b, -1, -1)
        k, v = self.kv(ctx).chunk(2, -1)
        sh = lambda t: t.reshape(b, -1, heads, t.shape[-1] // heads).transpose(1, 2)
        att = (sh(q) @ sh(k).transpose(-2, -1)) / np.sqrt(q.shape[-1] // heads) + (1 - mask)[:, None, None, :] * -1e4
        y = (att.softmax(-1) @ sh(v)).transpose(1, 2).reshape(b, -1, q.shape[-1]) + self.query
        y = y + self.mlp(y)
        return self.head(y).transpose(1, 2).reshape(b, 3, self.grid, self.grid)


def main():
    p = argparse.ArgumentParser()
    add_flags(
        p,
        [
            ("--data", None, os.path.join(TRAINING, "data", "train.bin")),
            ("--variants", None, "clip,enc,enc-pos,enc-causal"),
            *loop_flags(steps=1500, batch=256, lr=1e-3),
            ("--every", int, 500),
            ("--threads", int, 2),
            ("--seed", int, 0),
            (
                "--keep-background",
                bool,
                False,
                "targets keep the background colour (white, black or gray; named in half the captions): as the "
                "decoder sees it at pure noise",
            ),
            (
                "--stated-background",
                bool,
                False,
                "train only on captions that name the background (half of them do): the background is then known",
            ),
        ],
    )
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    clip = load_clip(os.path.join(TRAINING, "checkpoints", "clip.pt"))
    batches = Batches(args.data, args.seed)
    # every (two-object picture, relation caption) pair once: 8x8 targets and CLIP features precomputed
    pairs = [
        (i, j)
        for i in batches.two
        for j, c in enumerate(batches.ds.captions[i])
        if RELATION_WORDS.search(c) and (not args.stated_background or c.endswith(" background"))
    ]
    pi = np.array([p[0] for p in pairs])
    all_ids = batches.caption_ids[torch.from_numpy(pi), torch.tensor([p[1] for p in pairs])]
    # the picture less its background colour: what the caption's objects add (the background is the same everywhere)
    targets = torch.cat([F.avg_pool2d(batches.images(pi[s : s + 2048]), 8) for s in range(0, len(pi), 2048)])
    if not args.keep_background:
        targets = targets - batches.background[torch.from_numpy(pi)][:, :, None, None]
    all_feats = torch.cat([text_features(clip, all_ids[s : s + 2048])[1] for s in range(0, len(pi), 2048)])
    all_mask = (all_ids != 0).float()
    truth = [(k, relation_row(batches.ds.captions[i][j])) for k, (i, j) in enumerate(pairs[:2000])]
    truth = [(k, r) for k, r in truth if r[1] != r[2]]  # two objects of one colour: nothing to read
    truth_ok = relation_read(targets[[k for k, _ in truth]], [r for _, r in truth]).float().mean().item()
    rows = prompts(400, 1)
    test_ids = torch.tensor(batches.tok.encode_batch([r[0] for r in rows]))
    _, test_feats, test_mask = text_features(clip, test_ids)
    vocab = len(batches.tok.vocab)
    target = " (background kept)" if args.keep_background else " less its background"
    target += ", captions naming it" if args.stated_background else ""
    print(
        f"proxy: caption -> 8x8 mean picture{target}, relation captions only, batch {args.batch}, lr {args.lr}; "
        f"read on 400 fresh relation prompts (50% = relation not read); {len(pairs)} training pairs, "
        f"the reading on their own 8x8 pictures: {truth_ok * 100:.1f}%"
    )
    for variant in args.variants.split(","):
        torch.manual_seed(args.seed)
        batches.rng = np.random.default_rng(args.seed)
        model = Proxy(vocab, variant)
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
        t0, line = time.time(), []
        for step in range(1, args.steps + 1):
            b = torch.from_numpy(batches.rng.integers(0, len(pairs), args.batch))
            loss = F.mse_loss(model(all_feats[b], all_ids[b], all_mask[b]), targets[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % args.every == 0 or step == args.steps:
                with torch.no_grad():
                    acc = relation_read(model(test_feats, test_ids, test_mask), rows).float().mean().item()
                line.append(f"{step}:{acc * 100:.0f}% (loss {loss.item():.4f})")
        print(f"{variant:11s} {' '.join(line)}  [{time.time() - t0:.0f} s]", flush=True)


if __name__ == "__main__":
    main()
