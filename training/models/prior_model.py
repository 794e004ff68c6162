"""The mini-unCLIP diffusion prior: a causal transformer over
[caption token features, CLIP text embedding, timestep embedding, noisy CLIP image
embedding, a final output token] that predicts the clean image embedding (x0), as in
DALL·E 2. Embeddings are scaled by sqrt(D) so each coordinate has unit variance."""

import torch
import torch.nn as nn

from training.models.clip_model import Block
from training.models.diffusion import timestep_embedding


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
        n = context + 4
        self.pos = nn.Parameter(torch.randn(n, width) * 0.01)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.out = nn.Linear(width, embed_dim)
        self.register_buffer("causal", torch.full((n, n), -1e4).triu(1))

    def forward(self, x_t, timestep, text_embed, text_tokens, text_mask):
        """x_t: noisy scaled image embedding [B, D]; returns predicted scaled x0 [B, D]."""
        b = x_t.shape[0]
        seq = (
            torch.cat(
                [
                    self.text_proj(text_tokens),
                    self.text_emb_proj(text_embed)[:, None],
                    self.time(timestep_embedding(timestep, self.width))[:, None],
                    self.x_proj(x_t)[:, None],
                    self.final[None, None].expand(b, 1, -1),
                ],
                dim=1,
            )
            + self.pos
        )
        pad = torch.cat([text_mask, text_mask.new_ones(b, 4)], dim=1)
        mask = self.causal[None, None] + (1 - pad)[:, None, None, :] * -1e4
        for blk in self.blocks:
            seq = blk(seq, mask)
        return self.out(self.ln(seq[:, -1]))
