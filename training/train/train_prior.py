"""Trains the mini-unCLIP diffusion prior: caption -> CLIP image embedding.

  python3 -m training.train.train_prior --out training/runs/prior --minutes 15

x0-prediction (as diffusers' unCLIP prior), cosine schedule, EMA; text conditioning
(token features and text embedding) dropped 10% of the time for classifier-free guidance.
"""
import math

import torch
import torch.nn.functional as F

from training.models.prior_model import Prior
from training.models.diffusion import T_STEPS, alphas_cumprod
from training.train.common import (
    clip_and_embeddings,
    drop_text,
    print_size,
    seeded_device,
    text_features,
    train_loop,
    trainer_parser,
)


def main():
    p = trainer_parser(steps=6000, lr=5e-4, batch=128)
    p.add_argument("--p-drop-text", type=float, default=0.1)
    args = p.parse_args()
    device = seeded_device(args)
    clip, batches, embeds = clip_and_embeddings(args, device, args.seed + 1)
    model = Prior()
    abar = alphas_cumprod().to(device)
    scale = math.sqrt(clip.text.projection.out_features)
    print_size(model, "prior")

    def step_fn(step):
        idx, ids = batches.sample_ids(args.batch)
        img_emb = embeds[idx]
        txt_emb, feats, mask = text_features(clip, ids)
        b = ids.shape[0]
        txt_emb, feats, mask = drop_text(args.p_drop_text, txt_emb, feats, mask)
        x0 = img_emb * scale
        t = torch.randint(0, T_STEPS, (b,), device=device)
        a = abar[t][:, None]
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn_like(x0)
        pred = model(x_t, t.float(), txt_emb, feats, mask)
        return F.mse_loss(pred, x0)

    train_loop("prior", model, args, step_fn, {"embed_scale": scale})


if __name__ == "__main__":
    main()
