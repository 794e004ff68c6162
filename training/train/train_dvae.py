"""Trains the mini-DALL·E discrete VAE (32x32 <-> 8x8 codes) on ShapesWorld.

  python3 -m training.train.train_dvae --out training/runs/dvae --minutes 30 [--quantizer vq|gumbel] [--device cuda]

32x32, not 64x64: the unCLIP decoder draws at 32x32 too and both stacks share the 64x64 upsampler,
so the comparison between them is about the generative model, and 64 image tokens keep the
transformer's sequence (16 caption + 64 image tokens) trainable on a 2-core CPU.
Prints, every 100 steps, reconstruction PSNR of the batch (hard codes) and how many codes the
batch used and their perplexity (exp of the entropy of code use: K when all are used evenly).
"""
import json
import math

import torch
import torch.nn.functional as F

from training.models.dvae_model import DVae
from training.train.common import Batches, add_flags, print_size, seeded_device, train_loop, trainer_parser


def psnr(a, b):
    """PSNR in dB of pictures in [-1, 1] (peak 1 after mapping to [0, 1])."""
    mse = ((a.clamp(-1, 1) - b) / 2).pow(2).mean(dim=(1, 2, 3))
    return (10 * torch.log10(1 / mse.clamp(min=1e-10))).mean().item()


def usage(ids, k):
    counts = torch.bincount(ids.reshape(-1), minlength=k).float()
    p = counts / counts.sum()
    ent = -(p[p > 0] * p[p > 0].log()).sum().item()
    return int((counts > 0).sum()), math.exp(ent)


def main():
    p = trainer_parser(steps=20000, lr=1e-3, batch=64)
    add_flags(
        p,
        [
            ("--quantizer", None, "vq", None, {"choices": ["vq", "gumbel"]}),
            ("--codes", int, 512),
            ("--dim", int, 64),
            ("--kl-weight", float, 1e-3, "gumbel: weight of KL(q || uniform) per cell against the per-pixel MSE"),
            ("--tau-steps", int, 3000, "gumbel: steps to anneal the temperature from 1 to 1/16"),
            ("--commit", float, 0.25, "vq: commitment loss weight"),
            (
                "--object-weight",
                float,
                5.0,
                "loss weight of pixels on and around objects (edges are what codes must carry)",
            ),
        ],
    )
    args = p.parse_args()
    device = seeded_device(args)
    batches = Batches(args.data, args.seed, device)
    model = DVae(args.codes, args.dim, args.quantizer)
    print_size(model, f"dvae ({args.quantizer})", f"training on {device}")

    def step_fn(step):
        idx, x64, _ = batches.sample(args.batch)
        x = F.avg_pool2d(x64, 2)
        if args.quantizer == "gumbel":
            tau = max(1 / 16, math.exp(math.log(1 / 16) * step / max(1, args.tau_steps)))
            recon, reg, ids = model.forward_gumbel(x, tau)
            weight = args.kl_weight
        else:
            recon, reg, ids = model.forward_vq(x, step)
            weight = args.commit
        err = (recon - x) ** 2
        if args.object_weight != 1:
            background = batches.background[torch.from_numpy(idx).to(device)][:, :, None, None]
            on_object = ((x - background).abs().amax(dim=1, keepdim=True) > 0.05).float()
            on_object = F.max_pool2d(on_object, 3, stride=1, padding=1)
            err = err * (1 + (args.object_weight - 1) * on_object)
        loss = err.mean() + weight * reg
        if step % 100 == 0:
            with torch.no_grad():
                model.eval()
                hard = model.decode_ids(model.encode_ids(x))
                model.train()
                used, perplexity = usage(ids, args.codes)
                print(
                    json.dumps(
                        {
                            "step": step,
                            "psnr_hard": round(psnr(hard, x), 2),
                            "psnr_train": round(psnr(recon, x), 2),
                            "codes_used": used,
                            "perplexity": round(perplexity, 1),
                            "reg": round(reg.item(), 4),
                        }
                    ),
                    flush=True,
                )
        return loss

    train_loop("dvae", model, args, step_fn)


if __name__ == "__main__":
    main()
