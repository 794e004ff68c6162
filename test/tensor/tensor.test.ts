import { describe, expect, it } from 'vitest';
import { concatFloat32, countNonFinite, float32, sizeOf } from '../../src/tensor/tensor';

describe('tensor helpers', () => {
  it('concatFloat32 joins arrays end to end, in order, including empty ones', () => {
    const out = concatFloat32([
      Float32Array.of(1, 2),
      new Float32Array(0),
      Float32Array.of(3),
      Float32Array.of(4, 5, 6),
    ]);
    expect(Array.from(out)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(concatFloat32([])).toHaveLength(0);
    // a copy: changing a part later does not change the joined array
    const a = Float32Array.of(7);
    const joined = concatFloat32([a, a]);
    a[0] = 0;
    expect(Array.from(joined)).toEqual([7, 7]);
  });

  it('sizes shapes and counts non-finite values', () => {
    expect(sizeOf([2, 3, 4])).toBe(24);
    expect(countNonFinite(float32([4], [1, NaN, Infinity, -2]))).toBe(2);
  });
});
