/**
 * Inpainting inside a sampler: replacement of the known region at every step (RePaint, with resampling) and GLIDE's
 * pinned x0 for a decoder that reads the source itself.
 */

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
export function replaceKnown(x: Float32Array, k: InpaintKnown, a: number, z: Float32Array): Float32Array {
  const sa = Math.sqrt(a),
    sb = Math.sqrt(Math.max(0, 1 - a));
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const m = k.mask[i]!;
    out[i] = m * x[i]! + (1 - m) * (sa * k.x0[i]! + sb * z[i]!);
  }
  return out;
}

/** GLIDE's pinned x0: the source where the mask keeps it (mask 0); laid out as x_T, mask 1 = regenerate. */
export interface PinnedX0 {
  x0: Float32Array;
  mask: Float32Array;
}

/** x0 = the source where the mask keeps it, and eps re-derived from it (x_t = sqrt(a) x0 + sqrt(1 - a) eps). */
export function pinX0(xT: Float32Array, x0: Float32Array, eps: Float32Array, alphaProdT: number, pin: PinnedX0): void {
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
