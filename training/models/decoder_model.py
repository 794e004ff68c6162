"""The mini-unCLIP decoder: a 32x32 U-Net conditioned, as in unCLIP, on the CLIP image
embedding (projected into the timestep embedding and into 4 extra context tokens) and,
GLIDE-style, on the caption: the frozen mini-CLIP's token features and, optionally, a small
caption transformer trained jointly with the diffusion loss (GLIDE trains its own text
transformer; contrastive text encoders keep little word order, and "left of" vs "right of"
or which colour goes with which shape is word order). Predicts v (v-parameterization)."""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

from training.models.clip_model import Block
from training.models.diffusion import CrossAttention, ResBlock, timestep_embedding
from training.train.common import VOCAB


class CaptionEncoder(nn.Module):
    """Word ids [B, L] -> token features [B, L, width] and a pooled feature [B, width].
    Bidirectional (padding masked): every word's feature may read the words after it, so
    "red" in "a red circle left of a blue square" can carry "first object, on the left"."""

    def __init__(self, vocab_size, context_length=16, width=128, layers=2, heads=4, pos_scale=0.01, causal=False):
        super().__init__()
        self.token = nn.Embedding(vocab_size, width)
        self.pos = nn.Parameter(torch.randn(context_length, width) * pos_scale)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.causal = causal  # (probe_conditioning.py's variant; the decoder's encoder is bidirectional)

    def forward(self, ids, mask):
        x = self.token(ids) + self.pos[: ids.shape[1]]
        att_mask = (1 - mask)[:, None, None, :] * -1e4
        if self.causal:
            n = ids.shape[1]
            att_mask = att_mask + torch.full((n, n), -1e4, device=ids.device).triu(1)[None, None]
        for blk in self.blocks:
            x = blk(x, att_mask)
        x = self.ln(x)
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        return x, pooled


class Decoder(nn.Module):
    def __init__(
        self,
        embed_dim=128,
        text_width=128,
        ch=(32, 64, 96),
        ctx_dim=128,
        extra_tokens=4,
        in_ch=3,
        cond_ch=0,
        self_attention_16=False,
        caption_layers=0,
        vocab_size=0,
        position_embeddings=False,
    ):
        super().__init__()
        temb = ch[0] * 4
        self.ch0 = ch[0]
        self.extra_tokens = extra_tokens
        self.ctx_dim = ctx_dim
        self.time = nn.Sequential(nn.Linear(ch[0], temb), nn.SiLU(), nn.Linear(temb, temb))
        self.emb_time = nn.Linear(embed_dim, temb)
        self.emb_tokens = nn.Linear(embed_dim, extra_tokens * ctx_dim)
        self.text_proj = nn.Linear(text_width, ctx_dim)
        self.caption = None
        if caption_layers > 0:
            self.caption = CaptionEncoder(vocab_size, width=ctx_dim, layers=caption_layers)
            # Zero-initialised: a decoder that grows a caption encoder starts out computing exactly
            # what it computed before, and learns how much to listen to it.
            self.caption_proj = nn.Linear(ctx_dim, ctx_dim)
            self.caption_time = nn.Linear(ctx_dim, temb)
            for lin in (self.caption_proj, self.caption_time):
                nn.init.zeros_(lin.weight)
                nn.init.zeros_(lin.bias)
        self.cond_ch = cond_ch
        self.inp = nn.Conv2d(in_ch + cond_ch, ch[0], 3, padding=1)
        self.d0 = ResBlock(ch[0], ch[0], temb)
        self.down0 = nn.Conv2d(ch[0], ch[0], 3, stride=2, padding=1)  # 16
        self.d1 = ResBlock(ch[0], ch[1], temb)
        p16, p8 = (256, 64) if position_embeddings else (0, 0)
        self.a1 = CrossAttention(ch[1], ctx_dim, self_attention=self_attention_16, positions=p16)
        self.down1 = nn.Conv2d(ch[1], ch[1], 3, stride=2, padding=1)  # 8
        self.d2 = ResBlock(ch[1], ch[2], temb)
        self.a2 = CrossAttention(ch[2], ctx_dim, positions=p8)
        self.mid = ResBlock(ch[2], ch[2], temb)
        self.am = CrossAttention(ch[2], ctx_dim, positions=p8)
        self.u2 = ResBlock(ch[2] + ch[2], ch[2], temb)
        self.ua2 = CrossAttention(ch[2], ctx_dim, positions=p8)
        self.up1 = nn.Conv2d(ch[2], ch[1], 3, padding=1)
        self.u1 = ResBlock(ch[1] + ch[1], ch[1], temb)
        self.ua1 = CrossAttention(ch[1], ctx_dim, self_attention=self_attention_16, positions=p16)
        self.up0 = nn.Conv2d(ch[1], ch[0], 3, padding=1)
        self.u0 = ResBlock(ch[0] + ch[0], ch[0], temb)
        self.out = nn.Sequential(nn.GroupNorm(8, ch[0]), nn.SiLU(), nn.Conv2d(ch[0], in_ch, 3, padding=1))

    def forward(self, x_t, timestep, image_embed, text_tokens, text_mask, text_ids=None, known=None):
        """known [B, cond_ch, 32, 32]: for an inpainting decoder (cond_ch 4), the source with the region to
        regenerate zeroed and the mask (1 = regenerate), read beside x_t by the first convolution (GLIDE)."""
        b = x_t.shape[0]
        if known is not None:
            x_t = torch.cat([x_t, known], dim=1)
        temb = self.time(timestep_embedding(timestep, self.ch0)) + self.emb_time(image_embed)
        text = self.text_proj(text_tokens)
        if self.caption is not None:
            own, pooled = self.caption(text_ids, text_mask)
            text = text + self.caption_proj(own)
            temb = temb + self.caption_time(pooled)
        ctx = torch.cat([self.emb_tokens(image_embed).reshape(b, self.extra_tokens, self.ctx_dim), text], dim=1)
        mask = torch.cat([text_mask.new_ones(b, self.extra_tokens), text_mask], dim=1)
        h0 = self.d0(self.inp(x_t), temb)
        h1 = self.a1(self.d1(self.down0(h0), temb), ctx, mask)
        h2 = self.a2(self.d2(self.down1(h1), temb), ctx, mask)
        m = self.am(self.mid(h2, temb), ctx, mask)
        u = self.ua2(self.u2(torch.cat([m, h2], 1), temb), ctx, mask)
        u = self.up1(F.interpolate(u, scale_factor=2, mode="nearest"))
        u = self.ua1(self.u1(torch.cat([u, h1], 1), temb), ctx, mask)
        u = self.up0(F.interpolate(u, scale_factor=2, mode="nearest"))
        u = self.u0(torch.cat([u, h0], 1), temb)
        return self.out(u)


def decoder_from_args(a, vocab_size):
    """The decoder a run's arguments describe (checkpoints keep them), older runs included."""
    return Decoder(
        ch=tuple(a.get("channels") or (32, 64, 96)),
        self_attention_16=a.get("self_attention_16", True),
        caption_layers=a.get("caption_layers", 0),
        vocab_size=vocab_size,
        position_embeddings=a.get("position_embeddings", False),
        cond_ch=4 if a.get("inpaint") else 0,
    )


def load_decoder(path, weights="ema"):
    """(decoder in eval mode with a checkpoint's EMA or raw weights, the checkpoint) for evaluation and probes."""
    ck = torch.load(path, map_location="cpu")
    with open(VOCAB) as f:
        vocab = len(json.load(f))
    m = decoder_from_args({"self_attention_16": True, **ck["args"]}, vocab)  # runs before the flag had it
    m.load_state_dict({k: v.float() for k, v in ck[weights].items()})
    return m.eval(), ck
