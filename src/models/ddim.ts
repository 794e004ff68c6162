/**
 * DDIM sampling (Song et al., 2021) with eta, classifier-free guidance and
 * deterministic inversion, over a cosine noise schedule (Nichol & Dhariwal,
 * diffusers' squaredcos_cap_v2). Names follow the papers: alpha_prod_t is
 * alpha-bar at t, pred_original_sample is x0, pred_epsilon is eps.
 */
import type { DiffusionSpec } from './manifest';

/** alpha-bar for t = 0..T-1, betas capped at 0.999 (diffusers' betas_for_alpha_bar, cosine). */
export function cosineAlphasCumprod(trainSteps: number): Float64Array {
  const alphaBar = (t: number) => Math.cos((((t + 0.008) / 1.008) * Math.PI) / 2) ** 2;
  const out = new Float64Array(trainSteps);
  let prod = 1;
  for (let i = 0; i < trainSteps; i++) {
    const beta = Math.min(1 - alphaBar((i + 1) / trainSteps) / alphaBar(i / trainSteps), 0.999);
    prod *= 1 - beta;
    out[i] = prod;
  }
  return out;
}

/** S timesteps from T-1 down to 0, evenly spaced ("trailing" spacing, so the first step starts from pure noise). */
export function ddimTimesteps(trainSteps: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > trainSteps)
    throw new RangeError(`steps must be 1..${trainSteps}, got ${steps}`);
  const ts: number[] = [];
  for (let i = 0; i < steps; i++) ts.push(Math.round(((trainSteps - 1) * (steps - 1 - i)) / Math.max(1, steps - 1)));
  if (steps === 1) ts[0] = trainSteps - 1;
  return ts;
}

/** x0 and eps from a model output under its parameterization (eps, v or x0). */
export function toX0Eps(
  param: DiffusionSpec['parameterization'],
  xT: Float32Array,
  out: Float32Array,
  alphaProdT: number,
): { x0: Float32Array; eps: Float32Array } {
  const sa = Math.sqrt(alphaProdT),
    sb = Math.sqrt(1 - alphaProdT);
  const x0 = new Float32Array(xT.length),
    eps = new Float32Array(xT.length);
  for (let i = 0; i < xT.length; i++) {
    const x = xT[i]!,
      o = out[i]!;
    if (param === 'v') {
      x0[i] = sa * x - sb * o;
      eps[i] = sb * x + sa * o;
    } else if (param === 'x0') {
      x0[i] = o;
      eps[i] = sb > 0 ? (x - sa * o) / sb : 0;
    } else {
      eps[i] = o;
      x0[i] = (x - sb * o) / sa;
    }
  }
  return { x0, eps };
}

/** Classifier-free guidance: u + s (c - u), on the halves of a batch [uncond..., cond...]. */
export function guide(out: Float32Array, scale: number): Float32Array {
  const half = out.length / 2;
  const g = new Float32Array(half);
  for (let i = 0; i < half; i++) g[i] = out[i]! + scale * (out[half + i]! - out[i]!);
  return g;
}

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
  gradient?: { scale: number; at: (xT: Float32Array, timestep: number) => Promise<Float32Array> };
  /**
   * GLIDE's inpainting sampler (its `denoised_fn`): at every step the prediction of x0 is the source where the mask
   * keeps it (mask 0), and eps is re-derived from that x0, so x_t never drifts from the kept picture while the model
   * (which reads the source too) draws the rest. One model call a step, unlike `known`'s replacement. Laid out as x_T;
   * mask 1 = regenerate.
   */
  pinX0?: { x0: Float32Array; mask: Float32Array };
}

/**
 * What an inpainting sampler keeps: at every step the known region of x_{t-1} is replaced by the source noised to
 * that level (q(x_{t-1} | x0)), so the model only ever fills in the rest; the last step returns the source itself
 * there. `resample` > 1 takes each step again after re-noising x_{t-1} to x_t (RePaint's resampling), which lets the
 * generated region catch up with the known one (the seam).
 */
export interface InpaintKnown {
  /** The source's x0, laid out as x_T. */
  x0: Float32Array;
  /** Per element of x_T: 1 = regenerate, 0 = keep; between: a blend. */
  mask: Float32Array;
  /** Gaussian noise, a fresh array for each (step, round); step -1 noises x_T. */
  noise: (step: number, round: number) => Float32Array;
  resample: number;
}

/** x where the mask says regenerate, the source noised to alpha-bar `a` elsewhere. */
function replaceKnown(x: Float32Array, k: InpaintKnown, a: number, z: Float32Array): Float32Array {
  const sa = Math.sqrt(a),
    sb = Math.sqrt(Math.max(0, 1 - a));
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const m = k.mask[i]!;
    out[i] = m * x[i]! + (1 - m) * (sa * k.x0[i]! + sb * z[i]!);
  }
  return out;
}

function clamp(a: Float32Array, r: number): void {
  for (let i = 0; i < a.length; i++) a[i] = Math.max(-r, Math.min(r, a[i]!));
}

/**
 * Clamps x0 to [-r, r] and re-derives eps from the clamped x0, as GLIDE's and unCLIP's samplers do
 * (diffusers' use_clipped_model_output): x_t = sqrt(a) x0 + sqrt(1 - a) eps must hold for the pair
 * the step uses. Keeping the model's own eps next to a clamped x0 walks off the data: with the
 * guided mini-unCLIP decoder it turned 100% right pictures into 36%.
 */
export function clampX0(xT: Float32Array, x0: Float32Array, eps: Float32Array, alphaProdT: number, r: number): void {
  clamp(x0, r);
  const sa = Math.sqrt(alphaProdT),
    sb = Math.sqrt(1 - alphaProdT);
  if (sb < 1e-6) return;
  for (let i = 0; i < xT.length; i++) eps[i] = (xT[i]! - sa * x0[i]!) / sb;
}

/** x0 = the source where the mask keeps it, and eps re-derived from it (x_t = sqrt(a) x0 + sqrt(1 - a) eps). */
export function pinX0(
  xT: Float32Array,
  x0: Float32Array,
  eps: Float32Array,
  alphaProdT: number,
  pin: NonNullable<DdimOptions['pinX0']>,
): void {
  if (pin.x0.length !== xT.length || pin.mask.length !== xT.length)
    throw new Error(`pinX0: the source has ${pin.x0.length} values and the mask ${pin.mask.length}, x_t ${xT.length}`);
  const sa = Math.sqrt(alphaProdT),
    sb = Math.sqrt(1 - alphaProdT);
  for (let i = 0; i < xT.length; i++) {
    const m = pin.mask[i]!;
    x0[i] = m * x0[i]! + (1 - m) * pin.x0[i]!;
    if (sb >= 1e-6) eps[i] = (xT[i]! - sa * x0[i]!) / sb;
  }
}

/** eps_hat = eps - s sqrt(1 - abar) grad, and x0 re-derived so that x_t = sqrt(abar) x0 + sqrt(1 - abar) eps_hat. */
async function applyGradient(
  g: NonNullable<DdimOptions['gradient']>,
  xT: Float32Array,
  t: number,
  alphaProdT: number,
  x0: Float32Array,
  eps: Float32Array,
): Promise<void> {
  const grad = await g.at(xT, t);
  if (grad.length !== xT.length) throw new Error(`the guidance gradient has ${grad.length} values, x_t ${xT.length}`);
  const sa = Math.sqrt(alphaProdT),
    sb = Math.sqrt(1 - alphaProdT);
  for (let i = 0; i < xT.length; i++) {
    eps[i] = eps[i]! - g.scale * sb * grad[i]!;
    x0[i] = (xT[i]! - sb * eps[i]!) / sa;
  }
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) {
    const e = new Error('cancelled');
    e.name = 'AbortError';
    throw e;
  }
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
      throwIfAborted(o.signal);
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
    throwIfAborted(o.signal);
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
