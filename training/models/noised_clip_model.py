"""A noise-aware mini-CLIP image encoder for CLIP guidance (GLIDE section 3), and its gradient.

f(x_t, t): a noised 32x32 picture x_t (the decoder's resolution, [-1, 1]) at timestep t -> a unit
embedding in mini-CLIP's space, trained contrastively against the frozen mini-CLIP text encoder g,
so f(x_t, t) . g(c) says how well the caption c fits where x_t is heading (train_noised_clip.py).

CLIP guidance needs grad_x (f(x_t, t) . g(c)) at every sampling step, and the product runs no
training framework: `ScoreAndGradient` computes the score and its gradient by a backward pass
written out in exportable operations (convolutions run backwards as transposed convolutions, SiLU's
derivative, the normalisation's Jacobian), so both go into one ONNX file. The architecture is kept
to what has a short exact backward: convolutions, SiLU, a timestep bias per layer, one linear
layer, L2 normalisation (no normalisation layers). Checked against PyTorch autograd in
training/probes/check_noised_clip_grad.py (max abs difference <= 1e-4)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from training.models.diffusion import timestep_embedding

# (in, out, stride) of each 3x3 convolution, padding 1: 32 -> 32 -> 16 -> 8 -> 4
LAYERS = ((3, 32, 1), (32, 64, 2), (64, 128, 2), (128, 128, 2))
TEMB = 64


class NoisedImageEncoder(nn.Module):
    def __init__(self, embed_dim=128, res=32):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(i, o, 3, stride=s, padding=1) for i, o, s in LAYERS])
        self.time = nn.Sequential(nn.Linear(TEMB, 128), nn.SiLU())
        self.time_bias = nn.ModuleList([nn.Linear(128, o) for _, o, _ in LAYERS])
        self.res = res
        side = res // 8
        self.head = nn.Linear(LAYERS[-1][1] * side * side, embed_dim)

    def biases(self, timestep):
        h = self.time(timestep_embedding(timestep, TEMB).to(self.head.weight.dtype))
        return [lin(h)[:, :, None, None] for lin in self.time_bias]

    def pre_activations(self, x_t, timestep):
        """Each layer's input to its SiLU, and the head's output z (before normalisation)."""
        pres, h = [], x_t
        for conv, b in zip(self.convs, self.biases(timestep)):
            a = conv(h) + b
            pres.append(a)
            h = F.silu(a)
        return pres, self.head(h.flatten(1))

    def forward(self, x_t, timestep):
        _, z = self.pre_activations(x_t, timestep)
        return F.normalize(z, dim=-1)


def silu_grad(a):
    s = torch.sigmoid(a)
    return s * (1 + a * (1 - s))


class ScoreAndGradient(nn.Module):
    """(x_t [B, 3, 32, 32], timestep [B], text_embed [B, D] unit) -> (score [B] = f(x_t, t) . text_embed,
    grad [B, 3, 32, 32] = d score / d x_t), the backward pass written out."""

    def __init__(self, enc):
        super().__init__()
        self.enc = enc
        # a 3x3 convolution with padding 1 maps size n to (n - 1) // s + 1; run backwards (transposed) it gives
        # (m - 1) s + 1, short of n by output_padding: static ints (the resolution is fixed), so the export traces
        self.out_pad, n = [], enc.res
        for _, _, s in LAYERS:
            m = (n - 1) // s + 1
            self.out_pad.append(n - ((m - 1) * s + 1))
            n = m

    def forward(self, x_t, timestep, text_embed):
        enc = self.enc
        pres, z = enc.pre_activations(x_t, timestep)
        norm = torch.sqrt((z * z).sum(-1, keepdim=True))
        y = z / norm
        score = (y * text_embed).sum(-1)
        # d score / d z: the normalisation's Jacobian (I - y y^T) / |z| applied to the text embedding
        g = (text_embed - y * (y * text_embed).sum(-1, keepdim=True)) / norm
        last = pres[-1]
        g = (g @ enc.head.weight).reshape(last.shape)
        for i in range(len(enc.convs) - 1, -1, -1):
            g = g * silu_grad(pres[i])
            conv = enc.convs[i]
            stride = conv.stride[0]
            g = F.conv_transpose2d(g, conv.weight, stride=stride, padding=1, output_padding=self.out_pad[i])
        return score, g
