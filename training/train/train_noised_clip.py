"""Trains the noise-aware mini-CLIP image encoder for CLIP guidance (GLIDE section 3): noised 32x32
pictures x_t at random timesteps, contrastive against the frozen mini-CLIP text encoder (whose
embeddings the product already computes), so that f(x_t, t) . g(caption) is high for the caption of
the picture x_t was noised from.

  python3 -m training.train.train_noised_clip --out training/runs/noised_clip --minutes 20

Captions repeat within a batch (the caption space is small): pictures whose captions are the same
words count as matches (soft targets), not as negatives.
"""
import torch
import torch.nn.functional as F

from training.models.noised_clip_model import NoisedImageEncoder
from training.models.diffusion import T_STEPS, alphas_cumprod
from training.train.common import (
    Batches,
    load_clip,
    print_size,
    seeded_device,
    text_features,
    train_loop,
    trainer_parser,
)


def main():
    p = trainer_parser(steps=100000, lr=1e-3, batch=128)
    p.add_argument(
        "--max-timestep",
        type=int,
        default=T_STEPS - 1,
        help="train on t in [0, this]: beyond ~900 the pictures are nearly pure noise and nothing can be read",
    )
    args = p.parse_args()
    device = seeded_device(args)
    clip = load_clip(args.clip, device)
    batches = Batches(args.data, args.seed, device)
    model = NoisedImageEncoder()
    model.logit_scale = torch.nn.Parameter(torch.tensor(2.66))  # log(1 / 0.07), learned (used only in training)
    abar = alphas_cumprod().to(device)
    print_size(model, "noised_clip", f"training on {device}")

    def step_fn(step):
        idx, x64, ids = batches.sample(args.batch)
        x0 = F.avg_pool2d(x64, 2)
        text, _, _ = text_features(clip, ids)
        b = x0.shape[0]
        t = torch.randint(0, args.max_timestep + 1, (b,), device=device)
        a = abar[t][:, None, None, None]
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn_like(x0)
        img = model(x_t, t.float())
        logits = model.logit_scale.exp().clamp(max=100) * img @ text.t()
        same = (ids[:, None, :] == ids[None, :, :]).all(-1).float()
        to_text, to_image = same / same.sum(1, keepdim=True), same / same.sum(0, keepdim=True)
        return 0.5 * (
            -(to_text * logits.log_softmax(1)).sum(1).mean() - (to_image * logits.log_softmax(0)).sum(0).mean()
        )

    train_loop("noised_clip", model, args, step_fn)


if __name__ == "__main__":
    main()
