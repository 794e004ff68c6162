"""Trains the mini-unCLIP upsampler: 32x32 -> 64x64, conditioned on the low-resolution
image (bilinearly upsampled, concatenated as extra channels), which is corrupted in
training with a light Gaussian blur, as the unCLIP paper does for its first upsampler.

  python3 -m training.train.train_upsampler --out training/runs/upsampler --minutes 20
"""
import torch
import torch.nn.functional as F

from training.models.diffusion import T_STEPS, alphas_cumprod
from training.models.upsampler_model import Upsampler, blur
from training.train.common import Batches, print_size, seeded_device, train_loop, trainer_parser


def main():
    p = trainer_parser(steps=6000, lr=1e-3, batch=24)
    args = p.parse_args()
    device = seeded_device(args)
    batches = Batches(args.data, args.seed + 2, device)
    model = Upsampler()
    abar = alphas_cumprod().to(device)
    print_size(model, "upsampler")

    def step_fn(step):
        _, x0, _ = batches.sample(args.batch)
        b = x0.shape[0]
        low = blur(F.avg_pool2d(x0, 2), torch.empty(b, device=device).uniform_(0.4, 0.6))
        t = torch.randint(0, T_STEPS, (b,), device=device)
        a = abar[t][:, None, None, None]
        noise = torch.randn_like(x0)
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
        v = a.sqrt() * noise - (1 - a).sqrt() * x0
        return F.mse_loss(model(x_t, t.float(), low), v)

    train_loop("upsampler", model, args, step_fn)


if __name__ == "__main__":
    main()
