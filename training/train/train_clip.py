"""Trains mini-CLIP on a ShapesWorld dataset with the symmetric contrastive loss.

  python3 -m training.train.train_clip --data training/data/train.bin --out training/runs/clip --steps 3000

Checkpoints every --ckpt-every steps to <out>/ckpt.pt and resumes from it.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from training.models.clip_model import MiniClip
from training.world.shapesworld import ShapesWorldDataset, WordTokenizer

from training.paths import TRAINING
from training.train.common import DEVICE_FLAG, RUN_FLAGS, add_flags, loop_flags


def main():
    p = argparse.ArgumentParser()
    add_flags(
        p,
        [
            ("--data", None, None, None, {"required": True}),
            ("--out", None, None, None, {"required": True}),
            ("--vocab", None, os.path.join(TRAINING, "..", "public", "models", "shapesworld-vocab.json")),
            *loop_flags(steps=3000, batch=256, lr=1e-3),
            ("--warmup", int, 200),
            *RUN_FLAGS,
            DEVICE_FLAG,
        ],
    )
    args = p.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device is visible to PyTorch (use --device cpu)")
    device = torch.device(args.device)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    ds = ShapesWorldDataset(args.data)
    tok = WordTokenizer(args.vocab)
    model = MiniClip(len(tok.vocab)).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    step, elapsed = 0, 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=device)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, elapsed = ck["step"], ck["elapsed"]
        rng = np.random.default_rng(args.seed + step)
        print(f"resumed at step {step} ({elapsed / 60:.1f} min trained)")

    def lr_at(s):
        if s < args.warmup:
            return args.lr * (s + 1) / args.warmup
        return args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, (s - args.warmup) / max(1, args.steps - args.warmup))))

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save(
            {
                "model": model.state_dict(),
                "opt": opt.state_dict(),
                "step": step,
                "elapsed": elapsed,
                "args": vars(args),
                "data_count": ds.count,
            },
            tmp,
        )
        os.replace(tmp, ckpt_path)

    model.train()
    t_last = time.time()
    while step < args.steps:
        idx = np.sort(rng.choice(ds.count, size=args.batch, replace=False))
        caps = [ds.captions[i][rng.integers(len(ds.captions[i]))] for i in idx]
        pixels = (torch.from_numpy(np.asarray(ds.images[idx], dtype=np.float32)).permute(0, 3, 1, 2) / 127.5 - 1.0).to(
            device
        )
        ids = torch.from_numpy(tok.encode_batch(caps)).to(device)
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        img = model.image(pixels)
        txt, _ = model.text(ids)
        scale = model.logit_scale.clamp(max=math.log(100)).exp()
        logits = scale * txt @ img.t()  # [text, image]
        # Several images in a batch can share a caption ("a circle"): they are all positives.
        same = torch.tensor([[a == b for b in caps] for a in caps], dtype=torch.float32, device=device)
        target = same / same.sum(1, keepdim=True)
        loss = 0.5 * (
            torch.sum(-target * F.log_softmax(logits, 1), 1).mean()
            + torch.sum(-target * F.log_softmax(logits.t(), 1), 1).mean()
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        now = time.time()
        elapsed += now - t_last
        t_last = now
        if step % 20 == 0:
            acc = (logits.argmax(1) == torch.arange(len(caps), device=device)).float().mean().item()
            print(
                json.dumps(
                    {
                        "step": step,
                        "loss": round(loss.item(), 4),
                        "acc_t2i": round(acc, 3),
                        "scale": round(scale.item(), 2),
                        "lr": round(lr_at(step), 6),
                        "min": round(elapsed / 60, 2),
                    }
                ),
                flush=True,
            )
        if step % args.ckpt_every == 0 or step == args.steps:
            save()
    print(f"done: {step} steps in {elapsed / 60:.1f} min")


if __name__ == "__main__":
    main()
