import { imageDims } from './image';
import { float32, type Float32Tensor } from './tensor';

/** PIL's bicubic kernel (a = -0.5), the one Hugging Face's image processors resize with (resample=3). */
export function bicubicWeight(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/**
 * The taps of one axis as PIL's resampling computes them (Imaging/Resample.c, precompute_coeffs): output i is
 * centred at (i + 0.5) * scale; when shrinking the kernel widens by the scale (antialiasing); taps outside the
 * picture are dropped and the rest renormalized. Returns each output's first input index and its weights.
 */
export function resampleTaps(inSize: number, outSize: number): Array<{ first: number; weights: number[] }> {
  const scale = inSize / outSize,
    filterScale = Math.max(scale, 1),
    support = 2 * filterScale;
  const taps: Array<{ first: number; weights: number[] }> = [];
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support + 0.5)),
      hi = Math.min(inSize, Math.floor(centre + support + 0.5));
    const weights: number[] = [];
    for (let j = lo; j < hi; j++) weights.push(bicubicWeight((j - centre + 0.5) / filterScale));
    const sum = weights.reduce((s, w) => s + w, 0);
    taps.push({ first: lo, weights: weights.map((w) => (sum ? w / sum : 0)) });
  }
  return taps;
}

/**
 * Bicubic resampling of images [N, H, W, C] as PIL resizes (separable, widened when shrinking), on floats: PIL
 * rounds each pass to 8 bits and clips to 0..255, this keeps the values as computed.
 */
export function bicubicResize(img: Float32Tensor, oh: number, ow: number): Float32Tensor {
  const { n, h, w, c } = imageDims(img);
  // horizontal pass first, as PIL does when both axes change
  const tx = resampleTaps(w, ow),
    ty = resampleTaps(h, oh);
  const mid = new Float64Array(n * h * ow * c);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < ow; x++) {
        const { first, weights } = tx[x]!;
        for (let k = 0; k < c; k++) {
          let s = 0;
          for (let t = 0; t < weights.length; t++) s += weights[t]! * img.data[((b * h + y) * w + first + t) * c + k]!;
          mid[((b * h + y) * ow + x) * c + k] = s;
        }
      }
  const out = new Float32Array(n * oh * ow * c);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++) {
      const { first, weights } = ty[y]!;
      for (let x = 0; x < ow; x++)
        for (let k = 0; k < c; k++) {
          let s = 0;
          for (let t = 0; t < weights.length; t++) s += weights[t]! * mid[((b * h + first + t) * ow + x) * c + k]!;
          out[((b * oh + y) * ow + x) * c + k] = s;
        }
    }
  return float32([n, oh, ow, c], out);
}
