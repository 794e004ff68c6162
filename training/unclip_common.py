"""Shared pieces of the mini-unCLIP generative models: the noise schedule, timestep
embeddings, the frozen mini-CLIP, data batches, EMA and the checkpoint/resume loop."""
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from clip_model import MiniClip
from shapesworld import ShapesWorldDataset, WordTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB = os.path.join(HERE, "..", "public", "models", "shapesworld-vocab.json")
T_STEPS = 1000


def alpha_bar(t):
    """Cosine schedule (Nichol & Dhariwal; diffusers' squaredcos_cap_v2): alpha-bar at t in [0, 1]."""
    return torch.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2


def alphas_cumprod(steps=T_STEPS):
    """alpha-bar for t = 0..steps-1 with betas capped at 0.999, as diffusers computes it."""
    betas = []
    for i in range(steps):
        t1, t2 = torch.tensor(i / steps), torch.tensor((i + 1) / steps)
        betas.append(min(1 - (alpha_bar(t2) / alpha_bar(t1)).item(), 0.999))
    return torch.cumprod(1 - torch.tensor(betas, dtype=torch.float64), 0).float()


def timestep_embedding(t, dim):
    """Sinusoidal embedding of (float) timesteps [B] -> [B, dim]."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def load_clip(path):
    ck = torch.load(path)
    with open(VOCAB) as f:
        vocab = json.load(f)
    clip = MiniClip(len(vocab))
    clip.load_state_dict(ck["model"])
    clip.eval()
    for p in clip.parameters():
        p.requires_grad_(False)
    return clip


class Batches:
    """Random batches of (64x64 images in [-1, 1], caption ids) from a dataset."""

    def __init__(self, data_path, seed):
        self.ds = ShapesWorldDataset(data_path)
        self.tok = WordTokenizer(VOCAB)
        self.rng = np.random.default_rng(seed)

    def sample_ids(self, n):
        """Dataset indices and caption ids only (no pixels)."""
        idx = np.sort(self.rng.choice(self.ds.count, size=n, replace=False))
        caps = [self.ds.captions[i][self.rng.integers(len(self.ds.captions[i]))] for i in idx]
        return torch.from_numpy(idx), torch.from_numpy(self.tok.encode_batch(caps))

    def sample(self, n):
        idx = np.sort(self.rng.choice(self.ds.count, size=n, replace=False))
        caps = [self.ds.captions[i][self.rng.integers(len(self.ds.captions[i]))] for i in idx]
        x = torch.from_numpy(np.asarray(self.ds.images[idx], dtype=np.float32)).permute(0, 3, 1, 2) / 127.5 - 1.0
        return idx, x, torch.from_numpy(self.tok.encode_batch(caps)), caps


def image_embeddings(clip, ds, clip_path, chunk=512):
    """CLIP image embeddings of every dataset image, computed once and cached next to the dataset."""
    stamp = f"{os.path.getsize(clip_path)}-{int(os.path.getmtime(clip_path))}-{ds.count}"
    cache = os.path.join(os.path.dirname(os.path.abspath(ds_path_of(ds))), f"clip-image-embeds-{stamp}.npy")
    if os.path.exists(cache):
        return torch.from_numpy(np.load(cache))
    out = np.zeros((ds.count, clip.image.head[-1].out_features), dtype=np.float32)
    t0 = time.time()
    with torch.no_grad():
        for s in range(0, ds.count, chunk):
            x = torch.from_numpy(np.asarray(ds.images[s:s + chunk], dtype=np.float32)).permute(0, 3, 1, 2) / 127.5 - 1.0
            out[s:s + chunk] = clip.image(x).numpy()
            if (s // chunk) % 40 == 0:
                print(f"embedding images: {s + len(x)}/{ds.count} ({time.time() - t0:.0f} s)", flush=True)
    np.save(cache, out)
    return torch.from_numpy(out)


def ds_path_of(ds):
    return ds.path


def text_features(clip, ids):
    """(normalized text embedding [B, D], token features [B, L, W], mask [B, L] with 1 for real tokens)."""
    with torch.no_grad():
        emb, feats = clip.text(ids)
    return emb, feats, (ids != 0).float()


class Ema:
    def __init__(self, model, decay):
        self.decay = decay
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def update(self, model):
        with torch.no_grad():
            for k, v in model.state_dict().items():
                if v.dtype.is_floating_point:
                    self.shadow[k].mul_(self.decay).add_(v.detach(), alpha=1 - self.decay)
                else:
                    self.shadow[k].copy_(v)


def train_loop(name, model, args, step_fn, extra_state=None):
    """Runs step_fn(step) -> loss until args.steps or args.minutes, with EMA,
    warm-up, checkpoints every args.ckpt_every steps and resume."""
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    ema = Ema(model, args.ema)
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    step, elapsed = 0, 0.0
    committed = os.path.join(HERE, "checkpoints", f"{name}.pt")
    start_from = ckpt_path if os.path.exists(ckpt_path) else committed if os.path.exists(committed) and not args.from_scratch else None
    if start_from:
        # A run's own checkpoint resumes exactly; the committed one (no optimizer state) continues
        # training in a new session or on a new machine with fresh Adam moments.
        ck = torch.load(start_from)
        model.load_state_dict(ck["model"])
        if "opt" in ck:
            opt.load_state_dict(ck["opt"])
        ema.shadow = ck["ema"]
        step, elapsed = ck["step"], ck["elapsed"]
        print(f"{name}: resumed from {start_from} at step {step} ({elapsed / 60:.1f} min trained)", flush=True)

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "ema": ema.shadow, "step": step,
                    "elapsed": elapsed, "args": vars(args), **(extra_state or {})}, tmp)
        os.replace(tmp, ckpt_path)

    start = time.time()
    t_last = start
    losses = []
    first = step
    while step < args.steps and (args.minutes <= 0 or time.time() - start < args.minutes * 60):
        # warm-up from where this run started (a resumed run has fresh Adam moments), then an optional
        # cosine decay to lr * min_lr_ratio over args.decay_steps steps of this run
        lr = args.lr * min(1.0, (step - first + 1) / args.warmup)
        if args.decay_steps > 0:
            frac = min(1.0, (step - first) / args.decay_steps)
            lr *= args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g["lr"] = lr
        loss = step_fn(step)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema.update(model)
        step += 1
        now = time.time()
        elapsed += now - t_last
        t_last = now
        losses.append(loss.item())
        if step % 25 == 0:
            print(json.dumps({"model": name, "step": step, "loss": round(float(np.mean(losses)), 5), "lr": lr,
                              "min": round(elapsed / 60, 2), "s_per_step": round(elapsed / max(1, step), 3)}), flush=True)
            losses = []
        if step % args.ckpt_every == 0:
            save()
        if args.snapshot_every and step % args.snapshot_every == 0:
            torch.save({"model": model.state_dict(), "ema": ema.shadow, "step": step, "elapsed": elapsed, "args": vars(args)},
                       os.path.join(args.out, f"snapshot-{step}.pt"))
    save()
    print(f"{name}: stopped at step {step}, {elapsed / 60:.1f} min trained", flush=True)


def common_args(p, steps, lr, batch):
    p.add_argument("--data", default=os.path.join(HERE, "data", "train.bin"))
    p.add_argument("--clip", default=os.path.join(HERE, "checkpoints", "clip.pt"))
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=steps)
    p.add_argument("--minutes", type=float, default=0, help="stop (with a checkpoint) after this long; 0 = no limit")
    p.add_argument("--batch", type=int, default=batch)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--decay-steps", type=int, default=0, help="cosine learning-rate decay over this many steps of the run; 0 = constant")
    p.add_argument("--min-lr-ratio", type=float, default=0.05)
    p.add_argument("--snapshot-every", type=int, default=0, help="also keep model+EMA snapshots every N steps (for evaluation during a run)")
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ckpt-every", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--from-scratch", action="store_true", help="start from random weights, not from the committed training/checkpoints/<model>.pt")


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb):
        super().__init__()
        self.n1 = nn.GroupNorm(8, cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.t = nn.Linear(temb, cout)
        self.n2 = nn.GroupNorm(8, cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb):
        h = self.c1(F.silu(self.n1(x)))
        h = h + self.t(temb)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return h + self.skip(x)


class CrossAttention(nn.Module):
    """Attention from image positions to [the image's own positions + context tokens] (GLIDE-style)."""

    def __init__(self, ch, ctx_dim, heads=4, self_attention=True):
        super().__init__()
        self.heads = heads
        # Without self-attention the image positions attend to the context tokens only: at 16x16 the
        # 256x256 attention matrix was a third of the decoder's training step on CPU.
        self.self_attention = self_attention
        self.norm = nn.GroupNorm(8, ch)
        self.q = nn.Linear(ch, ch)
        self.kv = nn.Linear(ch, 2 * ch)
        self.kv_ctx = nn.Linear(ctx_dim, 2 * ch)
        self.out = nn.Linear(ch, ch)

    def forward(self, x, ctx, ctx_mask):
        b, c, h, w = x.shape
        hx = self.norm(x).reshape(b, c, h * w).transpose(1, 2)
        q = self.q(hx)
        if self.self_attention:
            k, v = torch.cat([self.kv(hx), self.kv_ctx(ctx)], dim=1).chunk(2, dim=-1)
            mask = torch.cat([torch.ones(b, h * w), ctx_mask], dim=1)
        else:
            k, v = self.kv_ctx(ctx).chunk(2, dim=-1)
            mask = ctx_mask
        nh, d = self.heads, c // self.heads
        q = q.reshape(b, -1, nh, d).transpose(1, 2)
        k = k.reshape(b, -1, nh, d).transpose(1, 2)
        v = v.reshape(b, -1, nh, d).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d) + (1 - mask)[:, None, None, :] * -1e4
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, h * w, c)
        return x + self.out(y).transpose(1, 2).reshape(b, c, h, w)
