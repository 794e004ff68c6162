/** Guidance: classifier-free (Ho & Salimans) and classifier guidance in epsilon form (GLIDE's CLIP guidance). */

/** Classifier-free guidance: u + s (c - u), on the halves of a batch [uncond..., cond...]. */
export function guide(out: Float32Array, scale: number): Float32Array {
  const half = out.length / 2;
  const g = new Float32Array(half);
  for (let i = 0; i < half; i++) g[i] = out[i]! + scale * (out[half + i]! - out[i]!);
  return g;
}

/** Classifier guidance: the gradient of log p(c | x_t) at x_t, and its scale. */
export interface ClassifierGuidance {
  scale: number;
  at: (xT: Float32Array, timestep: number) => Promise<Float32Array>;
}

/** eps_hat = eps - s sqrt(1 - abar) grad, and x0 re-derived so that x_t = sqrt(abar) x0 + sqrt(1 - abar) eps_hat. */
export async function applyGradient(
  g: ClassifierGuidance,
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
