import type { Rng } from '../../../tensor/prng';

/**
 * Random views of a picture for CLIP-guided search (CLIPDraw's and
 * VQGAN-CLIP's defence against adversarial pictures): a shift, a small scale
 * about the centre, and a colour jitter. A search scores each candidate by its
 * mean similarity over the views, so a picture must read as the caption from
 * every view, not only pixel-perfectly as drawn.
 */
export interface Augmentation {
  dx: number;
  dy: number;
  scale: number;
  brightness: number;
  contrast: number;
  /** Per-channel colour shift. */
  shift: [number, number, number];
}

export const IDENTITY: Augmentation = { dx: 0, dy: 0, scale: 1, brightness: 0, contrast: 1, shift: [0, 0, 0] };

/**
 * A random view: shifts up to 1/8 of the side, scale 0.875..1.125, brightness +-0.08,
 * contrast 0.85..1.15, channel shifts +-0.04.
 */
export function drawAugmentation(rng: Rng, size: number): Augmentation {
  const m = size / 8;
  return {
    dx: rng.uniform(-m, m),
    dy: rng.uniform(-m, m),
    scale: rng.uniform(0.875, 1.125),
    brightness: rng.uniform(-0.08, 0.08),
    contrast: rng.uniform(0.85, 1.15),
    shift: [rng.uniform(-0.04, 0.04), rng.uniform(-0.04, 0.04), rng.uniform(-0.04, 0.04)],
  };
}

/** Applies a view to one [size, size, 3] picture (bilinear, edges clamped) into `out`. */
export function augment(src: Float32Array, size: number, a: Augmentation, out: Float32Array, outOffset = 0): void {
  const c = size / 2;
  for (let y = 0; y < size; y++) {
    const sy = Math.min(size - 1, Math.max(0, (y + 0.5 - c - a.dy) / a.scale + c - 0.5));
    const y0 = Math.floor(sy),
      y1 = Math.min(size - 1, y0 + 1),
      fy = sy - y0;
    for (let x = 0; x < size; x++) {
      const sx = Math.min(size - 1, Math.max(0, (x + 0.5 - c - a.dx) / a.scale + c - 0.5));
      const x0 = Math.floor(sx),
        x1 = Math.min(size - 1, x0 + 1),
        fx = sx - x0;
      const d = outOffset + (y * size + x) * 3;
      for (let k = 0; k < 3; k++) {
        const v =
          (1 - fy) * ((1 - fx) * src[(y0 * size + x0) * 3 + k]! + fx * src[(y0 * size + x1) * 3 + k]!) +
          fy * ((1 - fx) * src[(y1 * size + x0) * 3 + k]! + fx * src[(y1 * size + x1) * 3 + k]!);
        out[d + k] = Math.min(1, Math.max(0, (v - 0.5) * a.contrast + 0.5 + a.brightness + a.shift[k]!));
      }
    }
  }
}
