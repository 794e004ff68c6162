"""The mini-unCLIP autoregressive prior (unCLIP section 2.2): the CLIP image embedding reduced by
PCA, each kept component quantized into B buckets, and the bucket sequence predicted one
component at a time by a causal transformer prefixed by [caption token features, CLIP text
embedding, a token for the quantized text-image dot product]. At generation time the dot-product
token is drawn from the upper half of its distribution (the paper: "we sample with the dot product
in the top half", which raises the embedding's agreement with the caption)."""
import torch
import torch.nn as nn

from training.models.prior_model import causal_stack, run_causal


class PcaCodes:
    """PCA basis + per-component uniform quantization over [lo, hi] (src/tensor/quantize.ts)."""

    def __init__(self, mean, components, variance, lo, hi, buckets):
        self.mean, self.components, self.variance = mean, components, variance
        self.lo, self.hi, self.buckets = lo, hi, buckets

    @staticmethod
    def fit(embeds, keep=0.99, buckets=64, tail=5e-4):
        """embeds [N, D] float32 -> the basis keeping the fewest components with >= keep of the variance;
        each component's range is its [tail, 1 - tail] quantiles (the extremes clamp to the end buckets)."""
        x = embeds.double()
        mean = x.mean(0)
        cov = (x - mean).T @ (x - mean) / (len(x) - 1)
        values, vectors = torch.linalg.eigh(cov)
        order = values.argsort(descending=True)
        values, vectors = values[order].clamp(min=0), vectors[:, order]
        share = values.cumsum(0) / values.sum()
        k = int((share < keep).sum().item()) + 1
        comps = vectors[:, :k].T.contiguous()
        # a deterministic sign per component: its largest coordinate positive
        sign = torch.sign(comps.gather(1, comps.abs().argmax(1, keepdim=True)))
        comps = comps * sign
        proj = (x - mean) @ comps.T
        lo = torch.quantile(proj[:200000].float(), tail, dim=0).double()
        hi = torch.quantile(proj[:200000].float(), 1 - tail, dim=0).double()
        return PcaCodes(mean.float(), comps.float(), values[:k].float(), lo.float(), hi.float(), buckets), share

    def project(self, e):
        return (e - self.mean) @ self.components.T

    def quantize(self, e):
        u = (self.project(e) - self.lo) / (self.hi - self.lo)
        return (u * self.buckets).floor().clamp(0, self.buckets - 1).long()

    def dequantize(self, codes):
        centre = self.lo + (codes.float() + 0.5) / self.buckets * (self.hi - self.lo)
        return self.mean + centre @ self.components

    def state(self):
        return {
            "mean": self.mean,
            "components": self.components,
            "variance": self.variance,
            "lo": self.lo,
            "hi": self.hi,
            "buckets": self.buckets,
        }

    @staticmethod
    def from_state(s):
        return PcaCodes(s["mean"], s["components"], s["variance"], s["lo"], s["hi"], s["buckets"])


class ArPrior(nn.Module):
    """logits [B, k, buckets] of each component's bucket given the prefix and the buckets before it."""

    def __init__(
        self, k, buckets, dot_buckets, embed_dim=128, text_width=128, context=16, width=192, layers=4, heads=4
    ):
        super().__init__()
        self.k, self.context = k, context
        self.text_proj = nn.Linear(text_width, width)
        self.text_emb_proj = nn.Linear(embed_dim, width)
        self.dot = nn.Embedding(dot_buckets, width)
        self.code = nn.Embedding(buckets, width)
        # Embeddings and positions on one scale (GPT-2's 0.02): with nn.Embedding's N(0, 1) codes a position
        # embedding of 0.01 is 1% of a code token, and the model can hardly tell which component it predicts.
        nn.init.normal_(self.dot.weight, std=0.02)
        nn.init.normal_(self.code.weight, std=0.02)
        self.start = nn.Parameter(torch.randn(width) * 0.02)
        causal_stack(self, context + 2 + k, width, layers, heads, 0.02)
        self.head = nn.Linear(width, buckets)

    def forward(self, text_tokens, text_mask, text_embed, dot_bucket, codes):
        """codes [B, k] (int64; position i may hold anything for the logits of positions <= i)."""
        b = codes.shape[0]
        prev = self.code(codes[:, : self.k - 1])
        parts = [
            self.text_proj(text_tokens),
            self.text_emb_proj(text_embed)[:, None],
            self.dot(dot_bucket)[:, None],
            self.start[None, None].expand(b, 1, -1),
            prev,
        ]
        return self.head(self.ln(run_causal(self, parts, text_mask, b, 2 + self.k)[:, self.context + 2 :]))

    @staticmethod
    def from_checkpoint(ck, weights="ema"):
        """(model in eval mode, its PcaCodes, dot-bucket edges) from a train_ar_prior.py checkpoint;
        weights: "ema" or "model" (the raw weights)."""
        a, pca = ck["args"], PcaCodes.from_state(ck["pca"])
        m = ArPrior(
            pca.components.shape[0],
            pca.buckets,
            a["dot_buckets"],
            width=a["width"],
            layers=a["layers"],
            heads=a["heads"],
        )
        m.load_state_dict({n: v.float() for n, v in ck[weights].items()})
        return m.eval(), pca, ck["dot_edges"]

    @torch.no_grad()
    def sample(self, text_tokens, text_mask, text_embed, dot_bucket, temperature=1.0):
        """Buckets [B, k] drawn one component at a time (torch's global generator)."""
        codes = torch.zeros(text_embed.shape[0], self.k, dtype=torch.long)
        for i in range(self.k):
            logits = self(text_tokens, text_mask, text_embed, dot_bucket, codes)[:, i] / temperature
            codes[:, i] = torch.multinomial(logits.softmax(-1), 1)[:, 0]
        return codes
