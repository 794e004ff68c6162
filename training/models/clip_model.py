"""Mini-CLIP: a causal word-level text transformer and a small CNN image encoder
projected into a shared, L2-normalized embedding, trained contrastively."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    """Pre-LN transformer block with explicit attention (exports cleanly to ONNX)."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, mask):
        b, n, w = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).reshape(b, n, 3, h, w // h).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(w // h) + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, n, w)
        x = x + self.proj(y)
        return x + self.mlp(self.ln2(x))


class TextEncoder(nn.Module):
    def __init__(self, vocab_size, context_length=16, width=128, layers=3, heads=4, embed_dim=128, end_id=2):
        super().__init__()
        self.end_id = end_id
        self.token = nn.Embedding(vocab_size, width)
        self.pos = nn.Parameter(torch.randn(context_length, width) * 0.01)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.projection = nn.Linear(width, embed_dim, bias=False)
        mask = torch.full((context_length, context_length), float("-inf")).triu(1)
        self.register_buffer("mask", mask)

    def forward(self, ids):
        """ids [B, L] int64 -> (embedding [B, D] normalized, token features [B, L, W])."""
        n = ids.shape[1]
        x = self.token(ids) + self.pos[:n]
        mask = self.mask[:n, :n]
        for blk in self.blocks:
            x = blk(x, mask)
        x = self.ln(x)
        end = (ids == self.end_id).to(torch.int64).argmax(dim=1)
        pooled = x[torch.arange(ids.shape[0]), end]
        return F.normalize(self.projection(pooled), dim=-1), x


def conv(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class ImageEncoder(nn.Module):
    """64x64 RGB, normalized (x - 0.5) / 0.5, NCHW -> normalized embedding."""

    def __init__(self, embed_dim=128):
        super().__init__()
        self.features = nn.Sequential(
            conv(3, 24, 1),
            conv(24, 32, 2),  # 32x32
            conv(32, 48, 1),
            conv(48, 64, 2),  # 16x16
            conv(64, 96, 2),  # 8x8
            conv(96, 128, 2),  # 4x4
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(128 * 16, 256), nn.ReLU(inplace=True), nn.Linear(256, embed_dim)
        )

    def forward(self, pixels):
        return F.normalize(self.head(self.features(pixels)), dim=-1)


class MiniClip(nn.Module):
    def __init__(self, vocab_size, context_length=16, embed_dim=128):
        super().__init__()
        self.text = TextEncoder(vocab_size, context_length, embed_dim=embed_dim)
        self.image = ImageEncoder(embed_dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
