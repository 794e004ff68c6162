"""The mini-DALL·E discrete VAE: a 32x32 picture <-> an 8x8 grid of codes from a codebook of K.

Two quantizers share the encoder and decoder (train_dvae.py --quantizer):
- "gumbel" (the DALL·E paper's): the encoder's logits over K codes per cell are relaxed with
  Gumbel-softmax at a temperature annealed towards 1/16, plus a KL term to the uniform prior;
  the decoder reads the (soft, then hard) one-hot through a learned K x C embedding.
- "vq" (VQ-VAE): the encoder's vector per cell snaps to its nearest codebook entry, gradients
  pass straight through, the codebook follows the encoder by an exponential moving average and
  entries unused for a while are reset to random encoder outputs (the dead-code remedy).
Both export the same two ONNX graphs: encoder (image -> code ids) and decoder (code ids -> image).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Res(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.n1 = nn.GroupNorm(8, ch)
        self.c1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.n2 = nn.GroupNorm(8, ch)
        self.c2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return x + self.c2(F.silu(self.n2(self.c1(F.silu(self.n1(x))))))


class Encoder(nn.Module):
    """[B, 3, 32, 32] in [-1, 1] -> [B, out, 8, 8]."""

    def __init__(self, out, ch=(32, 64, 128)):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, ch[0], 3, padding=1),
            nn.Conv2d(ch[0], ch[1], 4, stride=2, padding=1),
            Res(ch[1]),
            nn.Conv2d(ch[1], ch[2], 4, stride=2, padding=1),
            Res(ch[2]),
            nn.GroupNorm(8, ch[2]),
            nn.SiLU(),
            nn.Conv2d(ch[2], out, 1),
        )

    def forward(self, x):
        return self.net(x)


class Decoder(nn.Module):
    """[B, C, 8, 8] -> [B, 3, 32, 32] in about [-1, 1]."""

    def __init__(self, cin, ch=(128, 64, 32)):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(cin, ch[0], 3, padding=1),
            Res(ch[0]),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(ch[0], ch[1], 3, padding=1),
            Res(ch[1]),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(ch[1], ch[2], 3, padding=1),
            nn.GroupNorm(8, ch[2]),
            nn.SiLU(),
            nn.Conv2d(ch[2], 3, 3, padding=1),
        )

    def forward(self, z):
        return self.net(z)


class DVae(nn.Module):
    def __init__(self, codes=512, dim=64, quantizer="vq"):
        super().__init__()
        self.codes, self.dim, self.quantizer = codes, dim, quantizer
        self.encoder = Encoder(codes if quantizer == "gumbel" else dim)
        self.decoder = Decoder(dim)
        if quantizer == "gumbel":
            self.embed = nn.Embedding(codes, dim)  # the one-hot's projection: a 1x1 conv K -> dim
        else:
            self.register_buffer("codebook", torch.randn(codes, dim) * 0.1)
            self.register_buffer("ema_count", torch.ones(codes))
            self.register_buffer("ema_sum", self.codebook.clone())
            self.register_buffer("last_used", torch.zeros(codes))

    # --- code ids <-> vectors ---
    def table(self):
        return self.embed.weight if self.quantizer == "gumbel" else self.codebook

    def encode_ids(self, x):
        """Code ids [B, 8, 8] (int64) of pictures [B, 3, 32, 32]."""
        z = self.encoder(x)
        if self.quantizer == "gumbel":
            return z.argmax(1)
        flat = z.permute(0, 2, 3, 1).reshape(-1, self.dim)
        d = (
            (flat * flat).sum(1, keepdim=True)
            - 2 * flat @ self.codebook.t()
            + (self.codebook * self.codebook).sum(1)[None]
        )
        return d.argmin(1).reshape(z.shape[0], z.shape[2], z.shape[3])

    def decode_ids(self, ids):
        """Pictures [B, 3, 32, 32] of code ids [B, 8, 8]."""
        z = F.embedding(ids, self.table()).permute(0, 3, 1, 2)
        return self.decoder(z)

    # --- training ---
    def forward_gumbel(self, x, tau, hard=False):
        logits = self.encoder(x)
        soft = F.gumbel_softmax(logits, tau=tau, hard=hard, dim=1)
        z = torch.einsum("bkhw,kc->bchw", soft, self.embed.weight)
        recon = self.decoder(z)
        logq = F.log_softmax(logits, dim=1)
        # KL(q || uniform) per cell = sum q log q + log K
        kl = (logq.exp() * logq).sum(1).mean() + torch.log(torch.tensor(float(self.codes)))
        return recon, kl, logits.argmax(1)

    def forward_vq(self, x, step, decay=0.99, dead_after=200):
        z = self.encoder(x)
        b, c, h, w = z.shape
        flat = z.permute(0, 2, 3, 1).reshape(-1, c)
        d = (
            (flat * flat).sum(1, keepdim=True)
            - 2 * flat @ self.codebook.t()
            + (self.codebook * self.codebook).sum(1)[None]
        )
        ids = d.argmin(1)
        q = self.codebook[ids]
        commit = F.mse_loss(flat, q.detach())
        if self.training:
            with torch.no_grad():
                onehot = F.one_hot(ids, self.codes).type_as(flat)
                count = onehot.sum(0)
                self.ema_count.mul_(decay).add_(count, alpha=1 - decay)
                self.ema_sum.mul_(decay).add_(onehot.t() @ flat, alpha=1 - decay)
                n = self.ema_count.sum()
                smoothed = (self.ema_count + 1e-5) / (n + self.codes * 1e-5) * n
                self.codebook.copy_(self.ema_sum / smoothed[:, None])
                self.last_used[count > 0] = step
                dead = (step - self.last_used) > dead_after
                if dead.any():
                    # a dead code restarts at a random encoder output of this batch
                    k = int(dead.sum())
                    pick = flat[torch.randint(0, flat.shape[0], (k,), device=flat.device)]
                    self.codebook[dead] = pick
                    self.ema_sum[dead] = pick
                    self.ema_count[dead] = 1.0
                    self.last_used[dead] = step
        q_st = flat + (q - flat).detach()
        recon = self.decoder(q_st.reshape(b, h, w, c).permute(0, 3, 1, 2))
        return recon, commit, ids.reshape(b, h, w)


class EncodeIds(nn.Module):
    """ONNX: image [B, 3, 32, 32] in [-1, 1] -> codes [B, 64] (int64, raster order)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, image):
        return self.m.encode_ids(image).reshape(image.shape[0], -1)


class DecodeIds(nn.Module):
    """ONNX: codes [B, 64] (int64) -> image [B, 3, 32, 32] in [-1, 1]."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, codes):
        return self.m.decode_ids(codes.reshape(codes.shape[0], 8, 8)).clamp(-1, 1)
