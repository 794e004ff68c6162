/**
 * What a diffusion model predicts, turned into the pair every sampler steps with: the clean sample x0
 * (pred_original_sample) and the noise eps (pred_epsilon), with x_t = sqrt(a) x0 + sqrt(1 - a) eps.
 */
import type { DiffusionSpec } from '../runtime/manifest';

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
