/**
 * The difference view of two pictures (CompareRuns.tsx): per channel |a - b|, amplified by `gain` so that small
 * differences show, on an opaque picture; with the largest and mean difference (0..255, before the gain).
 * Both pictures are RGBA of the same size (the compare view draws the second at the first's size).
 */
export function pixelDifference(
  a: Uint8ClampedArray,
  b: Uint8ClampedArray,
  gain: number,
): { rgba: Uint8ClampedArray; max: number; mean: number } {
  if (a.length !== b.length) throw new Error(`pictures differ in size: ${a.length / 4} and ${b.length / 4} pixels`);
  const rgba = new Uint8ClampedArray(a.length);
  let max = 0,
    sum = 0;
  for (let i = 0; i < a.length; i += 4) {
    for (let k = 0; k < 3; k++) {
      const d = Math.abs(a[i + k]! - b[i + k]!);
      if (d > max) max = d;
      sum += d;
      rgba[i + k] = d * gain;
    }
    rgba[i + 3] = 255;
  }
  return { rgba, max, mean: a.length ? sum / ((a.length / 4) * 3) : 0 };
}
