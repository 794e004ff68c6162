/**
 * The noise schedule: alpha-bar (alpha_prod_t) for every training timestep, and the timesteps a sampler visits.
 * The cosine schedule of Nichol & Dhariwal (2021), diffusers' squaredcos_cap_v2.
 */
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

/**
 * S timesteps from T-1 down to 0, evenly spaced and rounded half up: diffusers' "linspace" spacing (np.linspace(0,
 * T - 1, S), reversed; numpy rounds half to even, which differs at 25 of 1000 steps: 166.5), so the first step starts
 * from pure noise and the last lands on t = 0.
 */
export function ddimTimesteps(trainSteps: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > trainSteps)
    throw new RangeError(`steps must be 1..${trainSteps}, got ${steps}`);
  const ts: number[] = [];
  for (let i = 0; i < steps; i++) ts.push(Math.round(((trainSteps - 1) * (steps - 1 - i)) / Math.max(1, steps - 1)));
  if (steps === 1) ts[0] = trainSteps - 1;
  return ts;
}
