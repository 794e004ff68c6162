"""A numpy port of diffusers' DDIMScheduler: the reference numbers our sampler's scheduler config is checked against.

Ports, from https://github.com/huggingface/diffusers at commit 58eb52c0803ea9af3abec60841c2a093bdf1f951 (diffusers
0.40.0.dev0; scheduling_ddim.py last changed in commit 2843b3d37ad7c83b44cdcd098b9c064e1569457d):
  - src/diffusers/schedulers/scheduling_ddim.py: betas_for_alpha_bar (cosine), DDIMScheduler.__init__ (betas,
    alphas_cumprod, final_alpha_cumprod), DDIMScheduler._get_variance, set_timesteps and step (eta, variance_noise,
    use_clipped_model_output);
  - src/diffusers/schedulers/scheduling_ddpm.py, DDPMScheduler.step: the split of a learned variance's channels
    (variance_type learned or learned_range: the model outputs twice the channels, the prediction first).
Not ported (our sampler refuses them): trained_betas, thresholding, rescale_betas_zero_snr.

torch -> numpy, as torch computes on the CPU:
  - torch.linspace(a, b, n, dtype=torch.float32): a float32 step (b - a) / (n - 1), then a + step * i for the first
    half and b - step * (n - 1 - i) for the rest (the kernel's scalar path; its vectorised path may differ in the
    last bit, far below the tests' 1e-5);
  - torch.cumprod of a float32 tensor on the CPU accumulates in double and rounds each product to float32;
  - step() in float32 throughout: alphas_cumprod, the sample and the model output are float32.
set_timesteps is numpy in diffusers already and is kept as it is.

Run with /usr/bin/python3 (numpy only); it writes test/fixtures/samplers/diffusers-ddim.json, which
test/models/scheduler-config.test.ts checks src/models/samplers/ against.
"""

import json
import math
import re
from pathlib import Path

import numpy as np

F32 = np.float32
OUT = Path(__file__).resolve().parents[1] / "fixtures" / "samplers" / "diffusers-ddim.json"


def betas_for_alpha_bar(num_diffusion_timesteps, max_beta=0.999):
    def alpha_bar_fn(t):
        return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2

    betas = []
    for i in range(num_diffusion_timesteps):
        t1 = i / num_diffusion_timesteps
        t2 = (i + 1) / num_diffusion_timesteps
        betas.append(min(1 - alpha_bar_fn(t2) / alpha_bar_fn(t1), max_beta))
    return np.array(betas, dtype=np.float32)


def torch_linspace_float32(start, end, steps):
    start, end = F32(start), F32(end)
    if steps == 1:
        return np.array([start], dtype=np.float32)
    step = F32(end - start) / F32(steps - 1)
    halfway = steps // 2
    return np.array(
        [start + step * F32(i) if i < halfway else end - step * F32(steps - i - 1) for i in range(steps)],
        dtype=np.float32,
    )


class DDIMScheduler:
    def __init__(
        self,
        num_train_timesteps=1000,
        beta_start=0.0001,
        beta_end=0.02,
        beta_schedule="linear",
        clip_sample=True,
        set_alpha_to_one=True,
        steps_offset=0,
        prediction_type="epsilon",
        clip_sample_range=1.0,
        timestep_spacing="leading",
        variance_type="fixed_small",  # DDPMScheduler's field, read by the learned-variance split in step()
        **ignored,  # other schedulers' fields (_class_name, skip_prk_steps, ...), as from_config ignores them
    ):
        if beta_schedule == "linear":
            self.betas = torch_linspace_float32(beta_start, beta_end, num_train_timesteps)
        elif beta_schedule == "scaled_linear":
            # this schedule is very specific to the latent diffusion model.
            self.betas = torch_linspace_float32(beta_start**0.5, beta_end**0.5, num_train_timesteps) ** 2
        elif beta_schedule == "squaredcos_cap_v2":
            # Glide cosine schedule
            self.betas = betas_for_alpha_bar(num_train_timesteps)
        else:
            raise NotImplementedError(f"{beta_schedule} is not implemented")
        self.alphas = F32(1.0) - self.betas
        self.alphas_cumprod = np.cumprod(self.alphas.astype(np.float64)).astype(np.float32)
        self.final_alpha_cumprod = F32(1.0) if set_alpha_to_one else self.alphas_cumprod[0]
        self.num_train_timesteps = num_train_timesteps
        self.clip_sample = clip_sample
        self.clip_sample_range = clip_sample_range
        self.steps_offset = steps_offset
        self.prediction_type = prediction_type
        self.timestep_spacing = timestep_spacing
        self.variance_type = variance_type
        self.num_inference_steps = None

    def _get_variance(self, timestep, prev_timestep):
        alpha_prod_t = self.alphas_cumprod[timestep]
        alpha_prod_t_prev = self.alphas_cumprod[prev_timestep] if prev_timestep >= 0 else self.final_alpha_cumprod
        beta_prod_t = F32(1) - alpha_prod_t
        beta_prod_t_prev = F32(1) - alpha_prod_t_prev
        return (beta_prod_t_prev / beta_prod_t) * (F32(1) - alpha_prod_t / alpha_prod_t_prev)

    def set_timesteps(self, num_inference_steps):
        if num_inference_steps > self.num_train_timesteps:
            raise ValueError("num_inference_steps cannot be larger than num_train_timesteps")
        self.num_inference_steps = num_inference_steps
        if self.timestep_spacing == "linspace":
            timesteps = (
                np.linspace(0, self.num_train_timesteps - 1, num_inference_steps).round()[::-1].copy().astype(np.int64)
            )
        elif self.timestep_spacing == "leading":
            step_ratio = self.num_train_timesteps // self.num_inference_steps
            timesteps = (np.arange(0, num_inference_steps) * step_ratio).round()[::-1].copy().astype(np.int64)
            timesteps += self.steps_offset
        elif self.timestep_spacing == "trailing":
            step_ratio = self.num_train_timesteps / self.num_inference_steps
            timesteps = np.round(np.arange(self.num_train_timesteps, 0, -step_ratio)).astype(np.int64)
            timesteps -= 1
        else:
            raise ValueError(f"{self.timestep_spacing} is not supported")
        self.timesteps = timesteps

    def step(self, model_output, timestep, sample, eta=0.0, use_clipped_model_output=False, variance_noise=None):
        # scheduling_ddpm.py, DDPMScheduler.step: a learned variance's channels are split off
        if model_output.shape[1] == sample.shape[1] * 2 and self.variance_type in ["learned", "learned_range"]:
            model_output = model_output[:, : sample.shape[1]]

        # 1. get previous step value (=t-1)
        prev_timestep = timestep - self.num_train_timesteps // self.num_inference_steps

        # 2. compute alphas, betas
        alpha_prod_t = self.alphas_cumprod[timestep]
        alpha_prod_t_prev = self.alphas_cumprod[prev_timestep] if prev_timestep >= 0 else self.final_alpha_cumprod
        beta_prod_t = F32(1) - alpha_prod_t
        half = F32(0.5)

        # 3. compute predicted original sample from predicted noise also called "predicted x_0" of formula (12)
        if self.prediction_type == "epsilon":
            pred_original_sample = (sample - beta_prod_t**half * model_output) / alpha_prod_t**half
            pred_epsilon = model_output
        elif self.prediction_type == "sample":
            pred_original_sample = model_output
            pred_epsilon = (sample - alpha_prod_t**half * pred_original_sample) / beta_prod_t**half
        elif self.prediction_type == "v_prediction":
            pred_original_sample = (alpha_prod_t**half) * sample - (beta_prod_t**half) * model_output
            pred_epsilon = (alpha_prod_t**half) * model_output + (beta_prod_t**half) * sample
        else:
            raise ValueError(f"prediction_type given as {self.prediction_type} is not supported")

        # 4. Clip "predicted x_0"
        if self.clip_sample:
            r = F32(self.clip_sample_range)
            pred_original_sample = np.clip(pred_original_sample, -r, r)

        # 5. compute variance: "sigma_t(eta)" -> see formula (16)
        variance = self._get_variance(timestep, prev_timestep)
        std_dev_t = F32(eta) * variance**half

        if use_clipped_model_output:
            # the pred_epsilon is always re-derived from the clipped x_0 in Glide
            pred_epsilon = (sample - alpha_prod_t**half * pred_original_sample) / beta_prod_t**half

        # 6. compute "direction pointing to x_t" of formula (12)
        pred_sample_direction = (F32(1) - alpha_prod_t_prev - std_dev_t ** F32(2)) ** half * pred_epsilon

        # 7. compute x_t without "random noise" of formula (12)
        prev_sample = alpha_prod_t_prev**half * pred_original_sample + pred_sample_direction

        if eta > 0:
            prev_sample = prev_sample + std_dev_t * variance_noise
        return prev_sample.astype(np.float32), pred_original_sample.astype(np.float32)


# Each listed value of each setting at least once (not every combination).
CONFIGS = {
    # Stable Diffusion v1's scheduler_config.json (a PNDM one, whose extra fields a DDIM scheduler ignores)
    "scaled_linear, epsilon, leading + steps_offset 1, no clipping, final alpha from t = 0": {
        "_class_name": "PNDMScheduler",
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "clip_sample": False,
        "num_train_timesteps": 1000,
        "set_alpha_to_one": False,
        "skip_prk_steps": True,
        "steps_offset": 1,
        "timestep_spacing": "leading",
        "trained_betas": None,
    },
    "linear, v_prediction, trailing, clipped to 1": {
        "beta_schedule": "linear",
        "beta_start": 0.0001,
        "beta_end": 0.02,
        "prediction_type": "v_prediction",
        "timestep_spacing": "trailing",
        "clip_sample": True,
        "set_alpha_to_one": True,
    },
    "squaredcos_cap_v2, sample, linspace, clipped to 0.5": {
        "beta_schedule": "squaredcos_cap_v2",
        "prediction_type": "sample",
        "timestep_spacing": "linspace",
        "clip_sample": True,
        "clip_sample_range": 0.5,
        "num_train_timesteps": 1000,
    },
    "squaredcos_cap_v2, epsilon, learned_range variance": {
        "_class_name": "DDPMScheduler",
        "beta_schedule": "squaredcos_cap_v2",
        "prediction_type": "epsilon",
        "variance_type": "learned_range",
        "timestep_spacing": "leading",
        "clip_sample": True,
    },
    "linear over 500 timesteps, v_prediction, learned variance, trailing, final alpha from t = 0": {
        "beta_schedule": "linear",
        "beta_start": 0.00085,
        "beta_end": 0.012,
        "num_train_timesteps": 500,
        "prediction_type": "v_prediction",
        "variance_type": "learned",
        "timestep_spacing": "trailing",
        "clip_sample": False,
        "set_alpha_to_one": False,
    },
    "diffusers' defaults (an empty config)": {},
}

# (steps, index in the schedule, eta, use_clipped_model_output) for one step each
STEPS = [(10, 0, 0.0, False), (10, 5, 0.0, False), (10, 9, 0.0, False), (10, 3, 0.5, False), (10, 4, 0.0, True)]
TIMESTEP_COUNTS = [1, 3, 7, 10, 25, 50, 100]


def rounded(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def main():
    rng = np.random.default_rng(38)
    shape = (2, 2, 1, 2)  # two samples, so a learned variance is split per sample
    sample = rng.standard_normal(shape).astype(np.float32)
    model_output = rng.standard_normal(shape).astype(np.float32)
    learned_output = rng.standard_normal((2, 4, 1, 2)).astype(np.float32)
    variance_noise = rng.standard_normal(shape).astype(np.float32)
    configs = []
    for name, config in CONFIGS.items():
        s = DDIMScheduler(**config)
        n = s.num_train_timesteps
        learned = s.variance_type in ["learned", "learned_range"]
        output = learned_output if learned else model_output
        steps = []
        for count, index, eta, clipped in STEPS:
            s.set_timesteps(count)
            t = int(s.timesteps[index])
            noise = variance_noise if eta > 0 else None
            prev_sample, pred_original_sample = s.step(output, t, sample, eta, clipped, noise)
            steps.append(
                {
                    "num_inference_steps": count,
                    "index": index,
                    "timestep": t,
                    "eta": eta,
                    "use_clipped_model_output": clipped,
                    "prev_sample": rounded(prev_sample),
                    "pred_original_sample": rounded(pred_original_sample),
                }
            )
        timesteps = {}
        for count in TIMESTEP_COUNTS:
            s.set_timesteps(count)
            timesteps[str(count)] = [int(t) for t in s.timesteps]
        indices = sorted({0, 1, n // 2, n - 2, n - 1})
        configs.append(
            {
                "name": name,
                "config": config,
                "alphas_cumprod": {str(i): float(s.alphas_cumprod[i]) for i in indices},
                "final_alpha_cumprod": float(s.final_alpha_cumprod),
                "timesteps": timesteps,
                "steps": steps,
            }
        )
    fixture = {
        "source": (
            "test/models/diffusers_ddim_port.py: a numpy port of DDIMScheduler from huggingface/diffusers "
            "src/diffusers/schedulers/scheduling_ddim.py at commit 58eb52c0803ea9af3abec60841c2a093bdf1f951"
        ),
        "shape": list(shape),
        "sample": rounded(sample),
        "model_output": rounded(model_output),
        "learned_model_output": rounded(learned_output),
        "learned_shape": [2, 4, 1, 2],
        "variance_noise": rounded(variance_noise),
        "configs": configs,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(fixture, indent=1)
    # lists of numbers on one line each
    text = re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + re.sub(r"\s+", " ", m.group(1)) + "]", text)
    OUT.write_text(text + "\n")
    print(f"wrote {OUT} ({len(configs)} configs)")


if __name__ == "__main__":
    main()
