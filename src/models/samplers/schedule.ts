/**
 * The noise schedule a scheduler config describes: alpha-bar (alpha_prod_t) for every training timestep, the
 * timesteps a sampler visits, and the alpha-bar each step goes to. diffusers' DDIMScheduler (__init__,
 * set_timesteps, step's prev_timestep) computed as torch and numpy compute it, and our bundled models' own variant
 * (scheduler-config.ts, legacySchedulerConfig).
 */
import type { SchedulerConfig } from './scheduler-config';

/** alpha-bar for t = 0..T-1, betas capped at 0.999 (diffusers' betas_for_alpha_bar, cosine), never rounded. */
export function cosineAlphasCumprod(trainSteps: number): Float64Array {
  const out = new Float64Array(trainSteps);
  let prod = 1;
  cosineBetas(trainSteps).forEach((beta, i) => {
    prod *= 1 - beta;
    out[i] = prod;
  });
  return out;
}

/** The cosine schedule of Nichol & Dhariwal (2021), diffusers' squaredcos_cap_v2, in float64. */
function cosineBetas(trainSteps: number): number[] {
  const alphaBar = (t: number) => Math.cos((((t + 0.008) / 1.008) * Math.PI) / 2) ** 2;
  return Array.from({ length: trainSteps }, (_, i) =>
    Math.min(1 - alphaBar((i + 1) / trainSteps) / alphaBar(i / trainSteps), 0.999),
  );
}

/**
 * torch.linspace(start, end, n, dtype=float32) as torch's CPU kernel computes it (a float32 step, from the start for
 * the first half and from the end for the second), each operation rounded to float32.
 */
function linspaceFloat32(start: number, end: number, n: number): number[] {
  const f = Math.fround;
  const a = f(start),
    b = f(end);
  if (n === 1) return [a];
  const step = f(f(b - a) / (n - 1));
  const halfway = Math.floor(n / 2);
  return Array.from({ length: n }, (_, i) => (i < halfway ? f(a + f(step * i)) : f(b - f(step * (n - i - 1)))));
}

/**
 * alpha-bar for t = 0..T-1 from the config's betas. float32 (diffusers): the betas are float32 tensors, and
 * torch.cumprod on the CPU accumulates them in double, rounding each product to float32. float64: nothing rounded
 * (our bundled models; the cosine schedule only).
 */
export function alphasCumprod(c: SchedulerConfig): Float64Array {
  const n = c.num_train_timesteps;
  if (c.alphas_cumprod_dtype === 'float64') return cosineAlphasCumprod(n); // parsing allows it for cosine only
  const f = Math.fround;
  const betas =
    c.beta_schedule === 'linear'
      ? linspaceFloat32(c.beta_start, c.beta_end, n)
      : c.beta_schedule === 'scaled_linear'
        ? linspaceFloat32(Math.sqrt(c.beta_start), Math.sqrt(c.beta_end), n).map((b) => f(b * b))
        : cosineBetas(n).map(f);
  let prod = 1;
  return Float64Array.from(betas, (beta) => f((prod *= f(1 - beta))));
}

/** numpy's round (np.round, np.rint): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * S timesteps from T-1 down to 0, evenly spaced and rounded half up, so the first step starts from pure noise and the
 * last lands on t = 0: our bundled models' spacing (timestep_rounding half_up). diffusers' linspace rounds numpy's
 * values half to even, which differs at 25 of 1000 steps (166.5), and gives t = 0 for one step.
 */
export function ddimTimesteps(trainSteps: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > trainSteps)
    throw new RangeError(`steps must be 1..${trainSteps}, got ${steps}`);
  const ts: number[] = [];
  for (let i = 0; i < steps; i++) ts.push(Math.round(((trainSteps - 1) * (steps - 1 - i)) / Math.max(1, steps - 1)));
  if (steps === 1) ts[0] = trainSteps - 1;
  return ts;
}

/**
 * The timesteps S sampling steps visit, highest first: DDIMScheduler.set_timesteps with numpy's arithmetic
 * (np.linspace: i * step, the last one exactly T - 1; np.arange: start + i * (second - start)), or ddimTimesteps.
 */
export function inferenceTimesteps(c: SchedulerConfig, steps: number): number[] {
  const T = c.num_train_timesteps;
  if (!Number.isInteger(steps) || steps < 1 || steps > T) throw new RangeError(`steps must be 1..${T}, got ${steps}`);
  let ts: number[];
  if (c.timestep_spacing === 'linspace') {
    if (c.timestep_rounding === 'half_up') return ddimTimesteps(T, steps);
    // np.linspace(0, T - 1, S).round()[::-1]: one step is [0]
    const step = (T - 1) / (steps - 1);
    ts = Array.from({ length: steps }, (_, i) => (steps === 1 ? 0 : roundHalfEven(i === steps - 1 ? T - 1 : i * step)));
    ts.reverse();
  } else if (c.timestep_spacing === 'leading') {
    const ratio = Math.floor(T / steps);
    ts = Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + c.steps_offset);
  } else {
    // np.round(np.arange(T, 0, -T / S)) - 1
    const ratio = T / steps;
    const length = Math.ceil((0 - T) / -ratio);
    const delta = T - ratio - T;
    ts = Array.from({ length }, (_, i) => roundHalfEven(i === 0 ? T : i === 1 ? T - ratio : T + i * delta) - 1);
  }
  // diffusers' own arithmetic can leave the range (leading + steps_offset at S = T; trailing's float arange at some S,
  // 61 of 1000: 62 timesteps ending at -1, which torch would read as alpha-bar at T - 1): refused, not wrapped
  const bad = ts.find((t) => t < 0 || t >= T);
  if (bad !== undefined)
    throw new RangeError(
      `${steps} steps of ${c.timestep_spacing} spacing` +
        (c.timestep_spacing === 'leading' ? ` with steps_offset ${c.steps_offset}` : '') +
        ` reach timestep ${bad}, outside 0..${T - 1}: choose another number of steps`,
    );
  return ts;
}

/** What a DDIM sampler steps through: alpha-bar, the timesteps, and the alpha-bar each step goes to. */
export interface DdimSchedule {
  alphas_cumprod: Float64Array;
  timesteps: number[];
  /** Where a step below t = 0 goes: 1 (set_alpha_to_one) or alpha-bar at 0. */
  final_alpha_cumprod: number;
  /** alpha_prod_t_prev of step i. */
  alpha_prod_t_prev: number[];
}

/** The schedule of S steps under a config (DDIMScheduler's __init__ and set_timesteps, and step's prev_timestep). */
export function ddimSchedule(c: SchedulerConfig, steps: number): DdimSchedule {
  const alphas_cumprod = alphasCumprod(c);
  const timesteps = inferenceTimesteps(c, steps);
  const final_alpha_cumprod = c.set_alpha_to_one ? 1 : alphas_cumprod[0]!;
  const ratio = Math.floor(c.num_train_timesteps / steps);
  const alpha_prod_t_prev = timesteps.map((t, i) => {
    const prev = c.prev_timestep === 'next' ? (i + 1 < timesteps.length ? timesteps[i + 1]! : -1) : t - ratio;
    return prev >= 0 ? alphas_cumprod[prev]! : final_alpha_cumprod;
  });
  return { alphas_cumprod, timesteps, final_alpha_cumprod, alpha_prod_t_prev };
}
