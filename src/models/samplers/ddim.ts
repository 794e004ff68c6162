/**
 * DDIM sampling (Song et al., 2021) with eta, and deterministic inversion. The schedule, the parameterization, the
 * guidance and inpainting each have a file of their own beside this one. Names follow the papers: alpha_prod_t is
 * alpha-bar at t, pred_original_sample is x0, pred_epsilon is eps.
 */
import type { DiffusionSpec } from '../runtime/manifest';
import { applyGradient, type ClassifierGuidance } from './guidance';
import { pinX0, replaceKnown, type InpaintKnown, type PinnedX0 } from './inpainting';
import { clampX0, toX0Eps } from './parameterization';
import { cosineAlphasCumprod, ddimTimesteps } from './schedule';

export interface DdimStepInfo {
  step: number;
  steps: number;
  timestep: number;
  /** The current prediction of the clean sample. */
  x0: Float32Array;
}

export interface DdimOptions {
  spec: DiffusionSpec;
  steps: number;
  eta: number;
  /** x_T, modified in place as sampling proceeds. */
  xT: Float32Array;
  /** One model call at a timestep: returns the (guided) output for x_t. */
  model: (xT: Float32Array, timestep: number) => Promise<Float32Array>;
  /** Gaussian noise for the eta term, one array per step, only used when eta > 0. */
  noise: (step: number) => Float32Array;
  /** Clamp x0 to [-r, r] (images: 1); none when undefined. */
  clipX0?: number;
  onStep?: (info: DdimStepInfo) => void;
  signal?: AbortSignal;
  /** Inpainting by replacement (RePaint-style): the known region is kept, noised to each step's level. */
  known?: InpaintKnown;
  /**
   * Classifier guidance in epsilon form (GLIDE's CLIP guidance): eps_hat = eps - scale sqrt(1 - abar_t) grad, with
   * grad = d log p(c | x_t) / d x_t (for CLIP: of the noise-aware image embedding . the caption's text embedding).
   */
  gradient?: ClassifierGuidance;
  /**
   * GLIDE's inpainting sampler (its `denoised_fn`): at every step the prediction of x0 is the source where the mask
   * keeps it (mask 0), and eps is re-derived from that x0, so x_t never drifts from the kept picture while the model
   * (which reads the source too) draws the rest. One model call a step, unlike `known`'s replacement. Laid out as x_T;
   * mask 1 = regenerate.
   */
  pinX0?: PinnedX0;
}

/**
 * DDIM (eq. 12 of the paper):
 *   x_{t-1} = sqrt(a_prev) x0 + sqrt(1 - a_prev - sigma_t^2) eps + sigma_t z,
 *   sigma_t = eta sqrt((1 - a_prev) / (1 - a_t)) sqrt(1 - a_t / a_prev);
 * the last step goes to a_prev = 1, returning x0.
 */
export async function ddimSample(o: DdimOptions): Promise<Float32Array> {
  const alphas = cosineAlphasCumprod(o.spec.trainSteps);
  const timesteps = ddimTimesteps(o.spec.trainSteps, o.steps);
  const k = o.known;
  let sample = k ? replaceKnown(o.xT, k, alphas[timesteps[0]!]!, k.noise(-1, 0)) : o.xT;
  for (let i = 0; i < timesteps.length; i++) {
    const t = timesteps[i]!;
    const alpha_prod_t = alphas[t]!;
    const alpha_prod_t_prev = i + 1 < timesteps.length ? alphas[timesteps[i + 1]!]! : 1;
    const rounds = k && i + 1 < timesteps.length ? Math.max(1, k.resample) : 1;
    for (let round = 0; round < rounds; round++) {
      o.signal?.throwIfAborted();
      const modelOutput = await o.model(sample, t);
      const { x0: pred_original_sample, eps: pred_epsilon } = toX0Eps(
        o.spec.parameterization,
        sample,
        modelOutput,
        alpha_prod_t,
      );
      // scale 0: no guidance, and no call to the guiding model
      if (o.gradient && o.gradient.scale !== 0)
        await applyGradient(o.gradient, sample, t, alpha_prod_t, pred_original_sample, pred_epsilon);
      if (o.clipX0 !== undefined) clampX0(sample, pred_original_sample, pred_epsilon, alpha_prod_t, o.clipX0);
      if (o.pinX0) pinX0(sample, pred_original_sample, pred_epsilon, alpha_prod_t, o.pinX0);
      const variance = ((1 - alpha_prod_t_prev) / (1 - alpha_prod_t)) * (1 - alpha_prod_t / alpha_prod_t_prev);
      const sigma_t = o.eta * Math.sqrt(Math.max(0, variance));
      const dirCoef = Math.sqrt(Math.max(0, 1 - alpha_prod_t_prev - sigma_t ** 2));
      const sa = Math.sqrt(alpha_prod_t_prev);
      // a resampled step draws fresh eta noise (from the kept region's stream): the rounds are independent
      const z = sigma_t > 0 ? (round === 0 ? o.noise(i) : k!.noise(i, 1000 + round)) : null;
      let next: Float32Array = new Float32Array(sample.length);
      for (let j = 0; j < sample.length; j++)
        next[j] = sa * pred_original_sample[j]! + dirCoef * pred_epsilon[j]! + (z ? sigma_t * z[j]! : 0);
      if (k) next = replaceKnown(next, k, alpha_prod_t_prev, k.noise(i, 2 * round));
      if (round + 1 < rounds) {
        // back up to x_t: q(x_t | x_{t-1}) over the jump, and take the step again
        const ratio = alpha_prod_t / alpha_prod_t_prev;
        const up = k!.noise(i, 2 * round + 1);
        const sr = Math.sqrt(ratio),
          sn = Math.sqrt(Math.max(0, 1 - ratio));
        for (let j = 0; j < next.length; j++) next[j] = sr * next[j]! + sn * up[j]!;
      } else {
        o.onStep?.({ step: i + 1, steps: timesteps.length, timestep: t, x0: pred_original_sample });
      }
      sample = next;
    }
  }
  return sample;
}

/**
 * DDIM inversion: the same deterministic map run upwards, timesteps in
 * increasing order, eps predicted at the current level:
 *   x_{t_next} = sqrt(a_next) x0(x_t) + sqrt(1 - a_next) eps(x_t).
 */
export async function ddimInvert(
  o: Omit<DdimOptions, 'eta' | 'noise' | 'xT' | 'pinX0'> & { x0: Float32Array },
): Promise<Float32Array> {
  const alphas = cosineAlphasCumprod(o.spec.trainSteps);
  const up = ddimTimesteps(o.spec.trainSteps, o.steps).reverse();
  let sample = Float32Array.from(o.x0);
  let alpha_prod_t = 1;
  let t = 0;
  for (let i = 0; i < up.length; i++) {
    o.signal?.throwIfAborted();
    const modelOutput = await o.model(sample, t);
    const a_t = Math.min(alpha_prod_t, alphas[0]!);
    const { x0, eps } = toX0Eps(o.spec.parameterization, sample, modelOutput, a_t);
    if (o.clipX0 !== undefined) clampX0(sample, x0, eps, a_t, o.clipX0);
    const t_next = up[i]!;
    const a_next = alphas[t_next]!;
    const next = new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) next[k] = Math.sqrt(a_next) * x0[k]! + Math.sqrt(1 - a_next) * eps[k]!;
    sample = next;
    alpha_prod_t = a_next;
    t = t_next;
    o.onStep?.({ step: i + 1, steps: up.length, timestep: t_next, x0 });
  }
  return sample;
}
