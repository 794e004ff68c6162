"""Building blocks of the diffusion models: the cosine noise schedule, timestep embeddings, residual
blocks and cross-attention."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

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


def ddim_timesteps(train_steps, steps):
    """S timesteps from T - 1 down to 0, evenly spaced, rounded half up: ddimTimesteps in
    src/models/samplers/ddim.ts (Python's round() is half-to-even and differs at 25 steps: 166.5)."""
    if steps == 1:
        return [train_steps - 1]
    num = lambda i: (train_steps - 1) * (steps - 1 - i)
    return [(2 * num(i) + (steps - 1)) // (2 * (steps - 1)) for i in range(steps)]


def timestep_embedding(t, dim):
    """Sinusoidal embedding of (float) timesteps [B] -> [B, dim]."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


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

    def __init__(self, ch, ctx_dim, heads=4, self_attention=True, positions=0):
        super().__init__()
        self.heads = heads
        # Optional learned 2D position embedding [positions, ch] added to the normalized features
        # before q/k/v, zero-initialised (a grown model starts out computing what it did): without
        # it attention is blind to where a position is, except through what the convolutions' zero
        # padding leaves in the features.
        self.pos = nn.Parameter(torch.zeros(positions, ch)) if positions else None
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
        if self.pos is not None:
            hx = hx + self.pos
        q = self.q(hx)
        if self.self_attention:
            k, v = torch.cat([self.kv(hx), self.kv_ctx(ctx)], dim=1).chunk(2, dim=-1)
            mask = torch.cat([ctx_mask.new_ones(b, h * w), ctx_mask], dim=1)
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
