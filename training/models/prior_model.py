"""The mini-unCLIP diffusion prior: a causal transformer over
[caption token features, CLIP text embedding, timestep embedding, noisy CLIP image
embedding, a final output token] that predicts the clean image embedding (x0), as in
DALL·E 2. Embeddings are scaled by sqrt(D) so each coordinate has unit variance."""

import torch
import torch.nn as nn

from training.models.clip_model import Block
from training.models.diffusion import timestep_embedding


def causal_stack(m, n, width, layers, heads, pos_std):
    """Gives module m the priors' causal transformer over n positions: learned positions m.pos (N(0, pos_std)),
    m.blocks, the final m.ln and the causal mask m.causal (a buffer)."""
    m.pos = nn.Parameter(torch.randn(n, width) * pos_std)
    m.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
    m.ln = nn.LayerNorm(width)
    m.register_buffer("causal", torch.full((n, n), -1e4).triu(1))


def run_causal(m, parts, text_mask, b, own):
    """m's causal_stack over the concatenated parts ([b, *, width] each) plus positions: the caption's padding
    (text_mask [b, L], the sequence's first L positions) masked out, the `own` positions after it all kept.
    The sequence out of the last block, before m.ln."""
    seq = torch.cat(parts, dim=1) + m.pos
    pad = torch.cat([text_mask, text_mask.new_ones(b, own)], dim=1)
    mask = m.causal[None, None] + (1 - pad)[:, None, None, :] * -1e4
    for blk in m.blocks:
        seq = blk(seq, mask)
    return seq


class Prior(nn.Module):
    def __init__(self, embed_dim=128, text_width=128, context=16, width=128, layers=4, heads=4):
        super().__init__()
        self.embed_dim = embed_dim
        self.width = width
        self.text_proj = nn.Linear(text_width, width)
        self.text_emb_proj = nn.Linear(embed_dim, width)
        self.time = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.x_proj = nn.Linear(embed_dim, width)
        self.final = nn.Parameter(torch.randn(width) * 0.02)
        causal_stack(self, context + 4, width, layers, heads, 0.01)
        self.out = nn.Linear(width, embed_dim)

    def forward(self, x_t, timestep, text_embed, text_tokens, text_mask):
        """x_t: noisy scaled image embedding [B, D]; returns predicted scaled x0 [B, D]."""
        b = x_t.shape[0]
        parts = [
            self.text_proj(text_tokens),
            self.text_emb_proj(text_embed)[:, None],
            self.time(timestep_embedding(timestep, self.width))[:, None],
            self.x_proj(x_t)[:, None],
            self.final[None, None].expand(b, 1, -1),
        ]
        return self.out(self.ln(run_causal(self, parts, text_mask, b, 4)[:, -1]))
