"""The mini-DALL·E transformer: decoder-only over one stream [16 caption tokens, 64 image codes].

As in DALL·E, the caption is padded to a fixed length with the pad token (pads are ordinary
tokens, so their count tells the model the caption's length) and the image codes follow in
raster order. One causal mask gives the paper's masks: caption tokens attend causally to the
caption, every image code attends to the whole caption and causally to earlier codes.
Token ids share one table: word ids 0..V-1, image code c is V + c. The head predicts the next
image code (K logits) from the last caption position and each image position but the last;
the caption is always given, so no caption loss is trained.

`StepModel` is the exported form: a key/value cache in and out, so sampling feeds one new
token per call (the caption in one call first)."""
import math

import torch
import torch.nn as nn

TEXT_LEN, GRID = 16, 8
IMAGE_LEN = GRID * GRID
SEQ = TEXT_LEN + IMAGE_LEN


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x, bias, past_k=None, past_v=None):
        b, t, c = x.shape
        h, d = self.heads, c // self.heads
        q, k, v = self.qkv(x).reshape(b, t, 3, h, d).permute(2, 0, 3, 1, 4)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d) + bias
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, c)
        return self.out(y), k, v


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, bias, past_k=None, past_v=None):
        a, k, v = self.attn(self.ln1(x), bias, past_k, past_v)
        x = x + a
        return x + self.mlp(self.ln2(x)), k, v


class Dalle(nn.Module):
    def __init__(self, vocab_size, codes=512, width=256, layers=6, heads=8):
        super().__init__()
        self.vocab_size, self.codes, self.width, self.layers, self.heads = vocab_size, codes, width, layers, heads
        self.token = nn.Embedding(vocab_size + codes, width)
        self.pos = nn.Parameter(torch.randn(SEQ, width) * 0.02)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, codes)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, text_ids, codes):
        """Training: text ids [B, 16], codes [B, 64] -> logits [B, 64, K] for every code."""
        x = torch.cat([text_ids, codes[:, :-1] + self.vocab_size], dim=1)
        t = x.shape[1]
        h = self.token(x) + self.pos[:t]
        causal = torch.full((t, t), -1e4, device=x.device).triu(1)
        for blk in self.blocks:
            h, _, _ = blk(h, causal)
        return self.head(self.ln(h[:, TEXT_LEN - 1 :]))


class StepModel(nn.Module):
    """ONNX: tokens [B, T] (unified ids), positions [T] (int64), bias [T, P + T] (additive mask),
    past_keys / past_values [layers, B, heads, P, head_dim] -> logits [B, T, K],
    present_keys / present_values [layers, B, heads, P + T, head_dim]."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, tokens, positions, bias, past_keys, past_values):
        m = self.m
        h = m.token(tokens) + m.pos[positions]
        ks, vs = [], []
        for i, blk in enumerate(m.blocks):
            h, k, v = blk(h, bias, past_keys[i], past_values[i])
            ks.append(k)
            vs.append(v)
        return m.head(m.ln(h)), torch.stack(ks), torch.stack(vs)


@torch.no_grad()
def sample(m, text_ids, temperature=1.0, top_k=0, generator=None, prefix=None):
    """Codes [B, 64] for text ids [B, 16] with the cache (what the product's dalle/sample does)."""
    b = text_ids.shape[0]
    step = StepModel(m)
    d = m.width // m.heads
    pk = torch.zeros(m.layers, b, m.heads, 0, d)
    pv = torch.zeros(m.layers, b, m.heads, 0, d)
    tokens, pos0 = text_ids, 0
    out = []
    for i in range(IMAGE_LEN):
        t = tokens.shape[1]
        bias = torch.full((t, pos0 + t), -1e4).triu(pos0 + 1)
        logits, pk, pv = step(tokens, torch.arange(pos0, pos0 + t), bias, pk, pv)
        pos0 += t
        if prefix is not None and i < prefix.shape[1]:
            nxt = prefix[:, i]
        else:
            lg = logits[:, -1] / max(temperature, 1e-5)
            if top_k:
                kth = lg.topk(top_k, dim=-1).values[:, -1:]
                lg = lg.masked_fill(lg < kth, -1e9)
            nxt = torch.multinomial(lg.softmax(-1), 1, generator=generator)[:, 0]
        out.append(nxt)
        tokens = (nxt + m.vocab_size)[:, None]
    return torch.stack(out, 1)
