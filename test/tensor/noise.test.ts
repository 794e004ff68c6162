import { describe, expect, it } from 'vitest';
import { gaussianBatch, gaussianNoise, streamSeed } from '../../src/tensor/noise';
import { initialNoise } from '../../nodes/kit/diffusion';
import type { RunContext } from '../../src/node-api/define';

const corr = (a: Float32Array, b: Float32Array) => {
  const n = Math.min(a.length, b.length);
  let ma = 0,
    mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
};

describe('noise streams', () => {
  it('give the same bits for the same name and others for any other seed, node, purpose or index', () => {
    const key = { seed: 7, node: 'diffusion/decode', purpose: 'x_T', index: [0] };
    expect(Array.from(gaussianNoise(key, 64))).toEqual(Array.from(gaussianNoise({ ...key }, 64)));
    for (const other of [
      { ...key, seed: 8 },
      { ...key, node: 'diffusion/prior' },
      { ...key, purpose: 'eta' },
      { ...key, index: [1] },
      { ...key, index: [0, 0] },
    ])
      expect(Array.from(gaussianNoise(other, 64))).not.toEqual(Array.from(gaussianNoise(key, 64)));
    // the streams' names are pinned: a change here changes every picture for a seed (the product version goes up)
    expect(streamSeed(key)).toBe(streamSeed({ seed: 7, node: 'diffusion/decode', purpose: 'x_T', index: [0] }));
    expect(streamSeed(key)).toMatchInlineSnapshot(`104970310248558`);
    expect(() => streamSeed({ ...key, seed: 1.5 })).toThrow(/safe integer/);
  });

  it("keep a batch's sample i the same whatever the batch size", () => {
    const key = { seed: 3, node: 'diffusion/decode', purpose: 'x_T' };
    const four = gaussianBatch(key, 4, 48);
    expect(Array.from(gaussianBatch(key, 2, 48))).toEqual(Array.from(four.subarray(0, 96)));
    expect(Array.from(four.subarray(48, 96))).toEqual(Array.from(gaussianNoise({ ...key, index: [1] }, 48)));
  });

  it("make the prior's, the decoder's and the upsampler's starting noise for one seed independent", () => {
    const ctx = (nodeType: string) => ({ nodeId: 'n', nodeType }) as RunContext;
    for (const seed of [0, 1, 7, 424242]) {
      // what each node draws for its first sample (the prior 128 values, the decoder 3x32x32, the upsampler 3x64x64)
      const prior = initialNoise(ctx('diffusion/prior'), 1, 128, seed);
      const decoder = initialNoise(ctx('diffusion/decode'), 1, 3 * 32 * 32, seed);
      const upsampler = initialNoise(ctx('diffusion/upsample'), 1, 3 * 64 * 64, seed);
      for (const [a, b] of [
        [prior, decoder],
        [prior, upsampler],
        [decoder, upsampler],
      ] as const) {
        expect(Array.from(a.subarray(0, 16))).not.toEqual(Array.from(b.subarray(0, 16)));
        // 128 pairs (prior) or 3,072: uncorrelated within 4 standard errors
        expect(Math.abs(corr(a, b))).toBeLessThan(4 / Math.sqrt(Math.min(a.length, b.length)));
      }
    }
  });
});
