"""Trains the mini-unCLIP diffusion prior: caption -> CLIP image embedding.

  python3 -m training.train.train_prior --out training/runs/prior --minutes 15

x0-prediction (as diffusers' unCLIP prior), cosine schedule, EMA; text conditioning
(token features and text embedding) dropped 10% of the time for classifier-free guidance.
"""
import argparse
import math

import torch
import torch.nn.functional as F

from training.models.prior_model import Prior
from training.models.diffusion import T_STEPS, alphas_cumprod
from training.train.common import (
    Batches,
    common_args,
    drop_text,
    image_embeddings,
    load_clip,
    pick_device,
    text_features,
    train_loop,
)


def main():
    p = argparse.ArgumentParser()
    common_args(p, steps=6000, lr=5e-4, batch=128)
    p.add_argument("--p-drop-text", type=float, default=0.1)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    device = pick_device(args.device)
    clip = load_clip(args.clip, device)
    batches = Batches(args.data, args.seed + 1, device)
    embeds = image_embeddings(clip, batches.ds, args.clip, device=device)
    model = Prior()
    abar = alphas_cumprod().to(device)
    scale = math.sqrt(clip.text.projection.out_features)
    print(f"prior: {sum(p.numel() for p in model.parameters())} parameters", flush=True)

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
