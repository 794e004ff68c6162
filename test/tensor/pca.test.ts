import { describe, expect, it } from 'vitest';
import { pcaFit, pcaProject, pcaReconstruct } from '../../src/tensor/pca';
import { dequantize, quantize } from '../../src/tensor/quantize';
import { gaussianArray } from '../../src/tensor/prng';
import { float32 } from '../../src/tensor/tensor';

function correlated(n: number, d: number, seed: number) {
  const z = gaussianArray(seed, n * d);
  const x = new Float32Array(n * d);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < d; i++) {
      // strong variance in the first directions, decaying
      x[r * d + i] = z[r * d + i]! * (d - i) + (i > 0 ? 0.5 * z[r * d + i - 1]! : 0) + 3;
    }
  return float32([n, d], x);
}

describe('PCA', () => {
  it('reconstructs exactly with all components', () => {
    const x = correlated(50, 12, 1);
    const basis = pcaFit(x);
    const r = pcaReconstruct(x, basis, 12);
    let maxErr = 0;
    for (let i = 0; i < x.data.length; i++) maxErr = Math.max(maxErr, Math.abs(r.data[i]! - x.data[i]!));
    expect(maxErr).toBeLessThan(1e-3);
  });

  it('finds orthonormal components sorted by decreasing variance', () => {
    const basis = pcaFit(correlated(200, 8, 2));
    const d = 8;
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += basis.components.data[a * d + i]! * basis.components.data[b * d + i]!;
        expect(s).toBeCloseTo(a === b ? 1 : 0, 4);
      }
    for (let i = 1; i < d; i++) expect(basis.variance.data[i]!).toBeLessThanOrEqual(basis.variance.data[i - 1]!);
  });

  it('loses less as k grows', () => {
    const x = correlated(100, 10, 3);
    const basis = pcaFit(x);
    const err = (k: number) => {
      const r = pcaReconstruct(x, basis, k);
      return r.data.reduce((s, v, i) => s + (v - x.data[i]!) ** 2, 0);
    };
    const errors = [1, 3, 6, 10].map(err);
    for (let i = 1; i < errors.length; i++) expect(errors[i]!).toBeLessThan(errors[i - 1]!);
  });

  it('rejects a k outside the basis', () => {
    const basis = pcaFit(correlated(20, 4, 4), 2);
    expect(() => pcaProject(correlated(2, 4, 5), basis, 3)).toThrow(/k must be 1\.\.2/);
  });
});

describe('quantize', () => {
  it('round-trips within half a bucket inside the range', () => {
    const x = correlated(100, 6, 6);
    const basis = pcaFit(x);
    const coords = pcaProject(x, basis, 6);
    for (const buckets of [4, 16, 1024]) {
      const range = { min: basis.min.data, max: basis.max.data, buckets };
      const back = dequantize(quantize(coords, range), range);
      for (let r = 0; r < 100; r++)
        for (let i = 0; i < 6; i++) {
          const half = (range.max[i]! - range.min[i]!) / buckets / 2;
          expect(Math.abs(back.data[r * 6 + i]! - coords.data[r * 6 + i]!)).toBeLessThanOrEqual(
            half + 1e-6 * (Math.abs(range.max[i]!) + Math.abs(range.min[i]!)),
          ); // float32 rounding
        }
    }
  });

  it('clamps values outside the range to the end buckets', () => {
    const range = { min: Float32Array.of(0), max: Float32Array.of(1), buckets: 10 };
    expect(Array.from(quantize(float32([3, 1], [-5, 0.55, 7]), range).data)).toEqual([0, 5, 9]);
  });
});
