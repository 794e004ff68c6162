/**
 * What a diffusion model predicts, turned into the pair every sampler steps with: the clean sample x0
 * (pred_original_sample) and the noise eps (pred_epsilon), with x_t = sqrt(a) x0 + sqrt(1 - a) eps.
 */
import type { SchedulerConfig } from './scheduler-config';

/**
 * The prediction in a model's output for x_t (`rows` samples laid out [rows, C, ...]): the output itself, or, for a
 * learned variance (variance_type learned or learned_range) with twice x_t's channels, the first C channels of each
 * sample (DDPMScheduler.step's split; the variance is not used by DDIM).
 */
export function modelPrediction(c: SchedulerConfig, out: Float32Array, xT: Float32Array, rows = 1): Float32Array {
  if (out.length === xT.length) return out;
  const learned = c.variance_type === 'learned' || c.variance_type === 'learned_range';
  if (!learned || out.length !== 2 * xT.length || xT.length % rows !== 0)
    throw new RangeError(
      `the model gave ${out.length} values for x_t's ${xT.length}` +
        (learned ? ` (a learned variance doubles the channels: ${2 * xT.length})` : ''),
    );
  const per = xT.length / rows;
  const prediction = new Float32Array(xT.length);
  for (let r = 0; r < rows; r++) prediction.set(out.subarray(2 * r * per, (2 * r + 1) * per), r * per);
  return prediction;
}

/** x0 and eps from a model output under its prediction type (epsilon, v_prediction or sample). */
export function toX0Eps(
  prediction_type: SchedulerConfig['prediction_type'],
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
    if (prediction_type === 'v_prediction') {
      x0[i] = sa * x - sb * o;
      eps[i] = sb * x + sa * o;
    } else if (prediction_type === 'sample') {
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

/** eps = (x_t - sqrt(a) x0) / sqrt(1 - a): the eps that makes the pair consistent with x_t again. */
function rederiveEps(xT: Float32Array, x0: Float32Array, eps: Float32Array, alphaProdT: number): void {
  const sa = Math.sqrt(alphaProdT),
    sb = Math.sqrt(1 - alphaProdT);
  if (sb < 1e-6) return;
  for (let i = 0; i < xT.length; i++) eps[i] = (xT[i]! - sa * x0[i]!) / sb;
}

/**
 * Clamps x0 to [-r, r] and re-derives eps from the clamped x0, as GLIDE's and unCLIP's samplers do
 * (diffusers' use_clipped_model_output): x_t = sqrt(a) x0 + sqrt(1 - a) eps must hold for the pair
 * the step uses. Keeping the model's own eps next to a clamped x0 walks off the data: with the
 * guided mini-unCLIP decoder it turned 100% right pictures into 36%.
 */
export function clampX0(xT: Float32Array, x0: Float32Array, eps: Float32Array, alphaProdT: number, r: number): void {
  clamp(x0, r);
  rederiveEps(xT, x0, eps, alphaProdT);
}

/**
 * The config's limits on x0 (DDIMScheduler.step's 4th step): clip_sample clamps it to clip_sample_range, and
 * use_clipped_model_output re-derives eps from it (as clampX0; diffusers leaves the model's eps by default).
 */
export function limitX0(
  c: SchedulerConfig,
  xT: Float32Array,
  x0: Float32Array,
  eps: Float32Array,
  alphaProdT: number,
): void {
  if (c.clip_sample) clamp(x0, c.clip_sample_range);
  if (c.use_clipped_model_output) rederiveEps(xT, x0, eps, alphaProdT);
}
