"""Checks that the AR prior can tell which component it is predicting: a tiny ArPrior is trained
for 60 steps to emit a fixed bucket per component (whatever the caption and the buckets fed in).
It must get them >= 95% right. The first bundled prior's init fails this (--old-init: about half
right): bucket embeddings at nn.Embedding's N(0, 1) drowned position embeddings of N(0, 0.01), so
every output position looked alike and the prior learned each component's bucket slowly (13.5% of
fully stated prompts sampled right after 45 CPU minutes by training/probes/probe_ar_prior.py; 78% after
12 minutes with the scales matched; training/README.md, section 4).

  python3 -m training.probes.check_ar_prior_positions [--old-init]   (prints the accuracy; exit 1 below 0.95)
"""
import argparse
import sys

import torch
import torch.nn.functional as F

from training.models.ar_prior_model import ArPrior


def accuracy(steps=60, k=12, buckets=16, seed=0, old_init=False):
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    m = ArPrior(k, buckets, 4, width=32, layers=2, heads=2)
    if old_init:  # the first bundled prior's scales
        torch.nn.init.normal_(m.code.weight, std=1.0)
        torch.nn.init.normal_(m.dot.weight, std=1.0)
        with torch.no_grad():
            m.pos.normal_(std=0.01)
    opt = torch.optim.AdamW(m.parameters(), 3e-3)
    target = torch.tensor([(3 * i + 1) % buckets for i in range(k)])
    prefix = lambda n: (torch.randn(n, 16, 128), torch.ones(n, 16), torch.randn(n, 128), torch.randint(0, 4, (n,)))
    for s in range(steps):
        # the right buckets fed in half the time, random ones otherwise: the buckets alone do not give the index away
        codes = target.expand(32, k) if s % 2 else torch.randint(0, buckets, (32, k))
        loss = F.cross_entropy(m(*prefix(32), codes).reshape(-1, buckets), target.expand(32, k).reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        logits = m(*prefix(64), torch.randint(0, buckets, (64, k)))
    return (logits.argmax(-1) == target).float().mean().item()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument(
        "--old-init", action="store_true", help="the first bundled prior's embedding scales (expected to fail)"
    )
    old = p.parse_args().old_init
    acc = accuracy(old_init=old)
    print(f"AR prior{' (old init)' if old else ''}, a fixed bucket per component after 60 steps: {acc:.3f} right")
    sys.exit(0 if acc >= 0.95 else 1)
