import { describe, expect, it } from 'vitest';
import { float32 } from '../../src/tensor/tensor';
import { cosine, cosineMatrix, dot, lerp, norm, normalize, slerp } from '../../src/tensor/vector';
import { gaussianArray } from '../../src/tensor/prng';

const unit = (seed: number, d = 32) => normalize(float32([1, d], gaussianArray(seed, d)));

describe('vector ops', () => {
  it('normalizes rows to unit length and leaves a zero row at zero', () => {
    const t = normalize(float32([2, 3], [3, 4, 0, 0, 0, 0]));
    expect(Array.from(t.data)).toEqual([0.6000000238418579, 0.800000011920929, 0, 0, 0, 0]);
  });

  it('computes dot and cosine of matching rows and a full cosine matrix', () => {
    const a = float32([2, 2], [1, 0, 0, 2]);
    const b = float32([2, 2], [1, 1, 0, 3]);
    expect(Array.from(dot(a, b).data)).toEqual([1, 6]);
    expect(cosine(a, b).data[0]).toBeCloseTo(Math.SQRT1_2, 6);
    const m = cosineMatrix(a, b);
    expect(m.shape).toEqual([2, 2]);
    expect(m.data[1]).toBeCloseTo(0, 6); // a0 = (1,0) vs b1 = (0,3)
    expect(m.data[2]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('lerps linearly', () => {
    expect(Array.from(lerp(float32([2], [0, 10]), float32([2], [10, 20]), 0.25).data)).toEqual([2.5, 12.5]);
  });

  it('slerp is exact at t = 0 and t = 1', () => {
    const a = unit(1),
      b = unit(2);
    expect(Array.from(slerp(a, b, 0).data)).toEqual(Array.from(a.data));
    expect(Array.from(slerp(a, b, 1).data)).toEqual(Array.from(b.data));
  });

  it('slerp keeps unit norm and moves at constant angular speed', () => {
    const a = unit(3),
      b = unit(4);
    const angle = Math.acos(dot(a, b).data[0]!);
    for (const t of [0.1, 0.25, 0.5, 0.9]) {
      const v = slerp(a, b, t);
      expect(norm(v.data)).toBeCloseTo(1, 5);
      expect(Math.acos(Math.min(1, dot(a, v).data[0]!))).toBeCloseTo(t * angle, 4);
    }
  });

  it('slerp is stable when the inputs are almost parallel', () => {
    const a = unit(5);
    const b = normalize(
      float32(
        [1, 32],
        a.data.map((x, i) => x + (i === 0 ? 1e-6 : 0)),
      ),
    );
    const v = slerp(a, b, 0.5);
    expect(v.data.every(Number.isFinite)).toBe(true);
    expect(norm(v.data)).toBeCloseTo(1, 6);
    expect(dot(a, v).data[0]).toBeCloseTo(1, 6);
  });

  it('slerp handles opposite-ish vectors and interpolates the norm of non-unit inputs', () => {
    const a = float32([2], [2, 0]),
      b = float32([2], [0, 4]);
    const v = slerp(a, b, 0.5);
    expect(norm(v.data)).toBeCloseTo(3, 5);
    expect(v.data[0]).toBeCloseTo(v.data[1]!, 5);
  });

  it('refuses mismatched shapes with the shapes in the message', () => {
    expect(() => slerp(float32([3]), float32([4]), 0.5)).toThrow(/\[3\] vs \[4\]/);
  });
});
