"""Trains the mini-DALL·E transformer on ShapesWorld captions and the dVAE's codes.

  python3 -m training.train.train_dalle --out training/runs/dalle --minutes 60 [--device cuda]

The dataset's pictures are encoded once with the dVAE (cached next to the dataset, keyed by the
dVAE's sha256); each step draws a batch of pictures and one of each picture's captions.
Cross-entropy of every image code given the caption and the codes before it.
"""
import hashlib
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from training.models.dalle_model import Dalle
from training.models.dvae_model import DVae
from training.train.common import (
    P_TWO_FLAG,
    TRAINING,
    VOCAB,
    Batches,
    add_flags,
    print_size,
    seeded_device,
    train_loop,
    trainer_parser,
)
from training.world.shapesworld import picture_chunks


def load_dvae(path, device="cpu"):
    ck = torch.load(path, map_location="cpu")
    a = ck["args"]
    m = DVae(a["codes"], a["dim"], a["quantizer"])
    m.load_state_dict({k: v.float() for k, v in ck["model"].items()})
    return m.eval().to(device), ck


def dataset_codes(dvae, dvae_path, ds, device, chunk=1000):
    with open(dvae_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    cache = os.path.join(os.path.dirname(os.path.abspath(ds.path)), f"dvae-codes-{digest}-{ds.count}.npy")
    if os.path.exists(cache):
        return torch.from_numpy(np.load(cache)).to(device)
    out = np.zeros((ds.count, 64), dtype=np.int16)
    t0 = time.time()
    with torch.no_grad():
        for s, x in picture_chunks(ds, chunk):
            out[s : s + chunk] = dvae.encode_ids(F.avg_pool2d(x, 2).to(device)).reshape(len(x), -1).cpu().numpy()
            if (s // chunk) % 20 == 0:
                print(f"encoding pictures: {s + len(x)}/{ds.count} ({time.time() - t0:.0f} s)", flush=True)
    np.save(cache, out)
    return torch.from_numpy(out).to(device)


def main():
    p = trainer_parser(steps=20000, lr=6e-4, batch=64)
    add_flags(
        p,
        [
            ("--dvae", None, os.path.join(TRAINING, "checkpoints", "dvae.pt")),
            ("--width", int, 256),
            ("--layers", int, 6),
            ("--heads", int, 8),
            P_TWO_FLAG,
        ],
    )
    args = p.parse_args()
    device = seeded_device(args)
    dvae, _ = load_dvae(args.dvae, device)
    batches = Batches(args.data, args.seed, device)
    codes = dataset_codes(dvae, args.dvae, batches.ds, device).long()
    with open(VOCAB) as f:
        vocab = len(json.load(f))
    model = Dalle(vocab, dvae.codes, args.width, args.layers, args.heads)
    print_size(model, "dalle", f"training on {device}")

    def step_fn(step):
        rows, ids = batches.sample_ids(args.batch, args.p_two)
        target = codes[rows]
        logits = model(ids, target)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))

    train_loop("dalle", model, args, step_fn)


if __name__ == "__main__":
    main()
