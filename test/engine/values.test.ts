import { describe, expect, it } from 'vitest';
import { checkPortValue } from '../../src/node-api/values';
import { float32, tensor } from '../../src/tensor/tensor';

const grid = (codes: number[], extra: object = {}) => ({
  codes: tensor('int32', [1, codes.length], Int32Array.from(codes)),
  buckets: 8,
  ...extra,
});

describe('port values are checked for every port type', () => {
  it('Codes: int32 [N, K], each code inside its codebook, a grid of K cells, a range of K dims', () => {
    expect(checkPortValue('Codes', grid([0, 1, 2, 7], { grid: 2 }))).toBeNull();
    expect(checkPortValue('Codes', grid([0, 1, 2, 8]))).toMatch(/code \(8\) is outside 0..7/);
    expect(checkPortValue('Codes', grid([0, 1, 2], { grid: 2 }))).toMatch(/2x2 grid need 4 per row, got 3/);
    expect(checkPortValue('Codes', grid([0, 1], { min: new Float32Array(2) }))).toMatch(/both min and max/);
    expect(checkPortValue('Codes', grid([0, 1], { min: new Float32Array(3), max: new Float32Array(3) }))).toMatch(
      /range of 2/,
    );
    expect(checkPortValue('Codes', { codes: float32([1, 2]), buckets: 8 })).toMatch(/int32 tensor/);
    expect(checkPortValue('Codes', [1, 2, 3])).toMatch(/int32 tensor/);
  });

  it('PcaBasis: mean [D], components [K, D], variance/min/max [K]', () => {
    const basis = {
      mean: float32([3]),
      components: float32([2, 3]),
      variance: float32([2]),
      min: float32([2]),
      max: float32([2]),
    };
    expect(checkPortValue('PcaBasis', basis)).toBeNull();
    expect(checkPortValue('PcaBasis', { ...basis, mean: float32([4]) })).toMatch(/3-dim mean, got 4/);
    expect(checkPortValue('PcaBasis', { ...basis, max: float32([3]) })).toMatch(/needs max \[2\]/);
    expect(checkPortValue('PcaBasis', 'basis')).toMatch(/expected a PCA basis/);
  });

  it('Model: a reference with an id and a kind', () => {
    expect(checkPortValue('Model', { id: 'mini-clip', kind: 'clip' })).toBeNull();
    expect(checkPortValue('Model', { id: 'mini-clip' })).toMatch(/model reference/);
    expect(checkPortValue('Model', null)).toMatch(/model reference/);
  });
});

describe('masks', () => {
  it('are float32 [N, H, W, 1] in [0, 1]', () => {
    expect(checkPortValue('Mask', float32([1, 2, 2, 1], [0, 0.5, 1, 1]))).toBeNull();
    expect(checkPortValue('Mask', float32([1, 2, 2, 3]))).toMatch(/\[N, H, W, 1\]/);
    expect(checkPortValue('Mask', float32([1, 1, 1, 1], [1.5]))).toMatch(/outside \[0, 1\]/);
  });
});
