import { describe, expect, it } from 'vitest';
import { bilinearResize, boxDownsample } from '../../src/tensor/image';
import { createRng, gaussianArray } from '../../src/tensor/prng';
import { float32 } from '../../src/tensor/tensor';

describe('image resampling', () => {
  it('box-downsamples by averaging blocks', () => {
    const img = float32([1, 2, 2, 1], [0, 1, 0.5, 0.5]);
    expect(Array.from(boxDownsample(img, 2).data)).toEqual([0.5]);
  });

  it('bilinear upsampling keeps a constant image constant and interpolates a ramp', () => {
    const c = bilinearResize(float32([1, 2, 2, 3], new Array(12).fill(0.25)), 4, 4);
    expect(c.shape).toEqual([1, 4, 4, 3]);
    expect(c.data.every((v) => Math.abs(v - 0.25) < 1e-7)).toBe(true);
    const ramp = bilinearResize(float32([1, 1, 2, 1], [0, 1]), 1, 4);
    expect(Array.from(ramp.data)).toEqual([0, 0.25, 0.75, 1]);
  });

  it('box-down then bilinear-up of a smooth image stays close', () => {
    const h = 8,
      data = new Float32Array(h * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < h; x++) data[y * h + x] = (x + y) / 14;
    const back = bilinearResize(boxDownsample(float32([1, h, h, 1], data), 2), h, h);
    for (let i = 0; i < data.length; i++) expect(Math.abs(back.data[i]! - data[i]!)).toBeLessThan(0.08);
  });

  it('refuses a factor that does not divide the size', () => {
    expect(() => boxDownsample(float32([1, 3, 3, 1]), 2)).toThrow(/must divide 3x3/);
  });
});

describe('seeded PRNG', () => {
  it('gives the same bits for the same seed and different ones for another', () => {
    expect(Array.from(gaussianArray(42, 8))).toEqual(Array.from(gaussianArray(42, 8)));
    expect(Array.from(gaussianArray(42, 8))).not.toEqual(Array.from(gaussianArray(43, 8)));
  });

  it(
    'is pinned to known values, so a change to the generator ' + 'is caught (the browser test checks the same numbers)',
    () => {
      const r = createRng(12345);
      const u = [r.next(), r.next(), r.next()];
      expect(u.map((v) => v.toFixed(10))).toMatchSnapshot();
      expect(Array.from(gaussianArray(7, 4)).map((v) => v.toFixed(6))).toMatchSnapshot();
    },
  );

  it('draws standard normals with mean 0 and variance 1', () => {
    const g = gaussianArray(1, 100_000);
    const mean = g.reduce((s, v) => s + v, 0) / g.length;
    const variance = g.reduce((s, v) => s + (v - mean) ** 2, 0) / g.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });
});
