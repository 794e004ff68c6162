/**
 * DDIM sampling (Song et al., 2021) with eta, and deterministic inversion, as diffusers' DDIMScheduler steps, from a
 * scheduler config (scheduler-config.ts). The schedule, the parameterization, the guidance and inpainting each have a
 * file of their own beside this one. Names follow the papers and diffusers: alpha_prod_t is alpha-bar at t,
 * pred_original_sample is x0, pred_epsilon is eps.
 */
import { applyGradient, type ClassifierGuidance } from './guidance';
import { pinX0, replaceKnown, type InpaintKnown, type PinnedX0 } from './inpainting';
import { limitX0, modelPrediction, toX0Eps } from './parameterization';
import { ddimSchedule, type DdimSchedule } from './schedule';
import type { SchedulerConfig } from './scheduler-config';

export interface DdimStepInfo {
  step: number;
  steps: number;
  timestep: number;
  /** The current prediction of the clean sample. */
  x0: Float32Array;
}

export interface DdimOptions {
  /** The model's scheduler config: its schedule, prediction type, spacing and x0 clipping. */
  scheduler: SchedulerConfig;
  steps: number;
  eta: number;
  /** x_T, modified in place as sampling proceeds. */
  xT: Float32Array;
  /** One model call at a timestep: returns the (guided) output for x_t. */
  model: (xT: Float32Array, timestep: number) => Promise<Float32Array>;
  /** Samples in x_T (default 1): a learned variance's channels are split off per sample. */
  rows?: number;
  /** Gaussian noise for the eta term, one array per step, only used when eta > 0. */
  noise: (step: number) => Float32Array;
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
 * DDIM's update (eq. 12 of the paper), DDIMScheduler.step's 5th to 7th steps:
 *   x_{t-1} = sqrt(a_prev) x0 + sqrt(1 - a_prev - sigma_t^2) eps + sigma_t z,
 *   sigma_t = eta sqrt((1 - a_prev) / (1 - a_t)) sqrt(1 - a_t / a_prev);
 * `z` is asked for only when sigma_t > 0.
 */
function ddimUpdate(
  pred_original_sample: Float32Array,
  pred_epsilon: Float32Array,
  alpha_prod_t: number,
  alpha_prod_t_prev: number,
  eta: number,
  z: () => Float32Array,
): Float32Array {
  const variance = ((1 - alpha_prod_t_prev) / (1 - alpha_prod_t)) * (1 - alpha_prod_t / alpha_prod_t_prev);
  const sigma_t = eta * Math.sqrt(Math.max(0, variance));
  const dirCoef = Math.sqrt(Math.max(0, 1 - alpha_prod_t_prev - sigma_t ** 2));
  const sa = Math.sqrt(alpha_prod_t_prev);
  const noise = sigma_t > 0 ? z() : null;
  const prev_sample = new Float32Array(pred_original_sample.length);
  for (let j = 0; j < prev_sample.length; j++)
    prev_sample[j] = sa * pred_original_sample[j]! + dirCoef * pred_epsilon[j]! + (noise ? sigma_t * noise[j]! : 0);
  return prev_sample;
}

/**
 * One step of DDIMScheduler.step at the schedule's i-th timestep, nothing else (no guidance, no inpainting): x_{t-1}
 * (prev_sample) and x0 (pred_original_sample) from x_t and the model's output there. `variance_noise` is z of eta > 0.
 */
export function ddimStep(
  c: SchedulerConfig,
  schedule: DdimSchedule,
  i: number,
  sample: Float32Array,
  model_output: Float32Array,
  o: { eta?: number; variance_noise?: Float32Array; rows?: number } = {},
): { prev_sample: Float32Array; pred_original_sample: Float32Array } {
  const alpha_prod_t = schedule.alphas_cumprod[schedule.timesteps[i]!]!;
  const { x0, eps } = toX0Eps(
    c.prediction_type,
    sample,
    modelPrediction(c, model_output, sample, o.rows),
    alpha_prod_t,
  );
  limitX0(c, sample, x0, eps, alpha_prod_t);
  const prev_sample = ddimUpdate(x0, eps, alpha_prod_t, schedule.alpha_prod_t_prev[i]!, o.eta ?? 0, () => {
    if (!o.variance_noise) throw new Error('eta > 0 needs variance_noise');
    return o.variance_noise;
  });
  return { prev_sample, pred_original_sample: x0 };
}

/** DDIM from x_T down to x0 (the last step goes to final_alpha_cumprod), with guidance and inpainting. */
/**
 * Gives the event loop a turn every 50 ms of sampling: in a worker, a cancel is a message, read only between tasks,
 * and a model's steps can resolve one after another without one (a 400-step decode would run out before Cancel
 * is seen). Only with a signal to honour; the numbers are the same either way.
 */
let lastTurn = 0;
async function letCancelIn(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return;
  if (performance.now() - lastTurn > 50) {
    await new Promise((r) => setTimeout(r, 0));
    lastTurn = performance.now();
  }
  signal.throwIfAborted();
}

export async function ddimSample(o: DdimOptions): Promise<Float32Array> {
  const c = o.scheduler;
  const { alphas_cumprod: alphas, timesteps, alpha_prod_t_prev: prevs } = ddimSchedule(c, o.steps);
  const k = o.known;
  let sample = k ? replaceKnown(o.xT, k, alphas[timesteps[0]!]!, k.noise(-1, 0)) : o.xT;
  for (let i = 0; i < timesteps.length; i++) {
    const t = timesteps[i]!;
    const alpha_prod_t = alphas[t]!;
    const alpha_prod_t_prev = prevs[i]!;
    const rounds = k && i + 1 < timesteps.length ? Math.max(1, k.resample) : 1;
    for (let round = 0; round < rounds; round++) {
      await letCancelIn(o.signal);
      const modelOutput = modelPrediction(c, await o.model(sample, t), sample, o.rows);
      const { x0: pred_original_sample, eps: pred_epsilon } = toX0Eps(
        c.prediction_type,
        sample,
        modelOutput,
        alpha_prod_t,
      );
      // scale 0: no guidance, and no call to the guiding model
      if (o.gradient && o.gradient.scale !== 0)
        await applyGradient(o.gradient, sample, t, alpha_prod_t, pred_original_sample, pred_epsilon);
      limitX0(c, sample, pred_original_sample, pred_epsilon, alpha_prod_t);
      if (o.pinX0) pinX0(sample, pred_original_sample, pred_epsilon, alpha_prod_t, o.pinX0);
      // a resampled step draws fresh eta noise (from the kept region's stream): the rounds are independent
      const z = () => (round === 0 ? o.noise(i) : k!.noise(i, 1000 + round));
      let next = ddimUpdate(pred_original_sample, pred_epsilon, alpha_prod_t, alpha_prod_t_prev, o.eta, z);
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
  const c = o.scheduler;
  const { alphas_cumprod: alphas, timesteps } = ddimSchedule(c, o.steps);
  const up = timesteps.reverse();
  let sample = Float32Array.from(o.x0);
  let alpha_prod_t = 1;
  let t = 0;
  for (let i = 0; i < up.length; i++) {
    await letCancelIn(o.signal);
    const modelOutput = modelPrediction(c, await o.model(sample, t), sample, o.rows);
    const a_t = Math.min(alpha_prod_t, alphas[0]!);
    const { x0, eps } = toX0Eps(c.prediction_type, sample, modelOutput, a_t);
    limitX0(c, sample, x0, eps, a_t);
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
