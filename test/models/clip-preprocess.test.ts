import { describe, expect, it } from 'vitest';
import type { ModelEntry } from '../../src/models/runtime/manifest';
import { preprocessImages } from '../../src/models/pipelines/clip';
import { float16ToFloat32, float32ToFloat16 } from '../../src/models/runtime/ort-tensor';
import { float32 } from '../../src/tensor/tensor';

const entry = (preprocessing: ModelEntry['preprocessing']) => ({ id: 'm', preprocessing }) as ModelEntry;

describe("CLIP preprocessing from preprocessor_config.json's steps", () => {
  it('resizes the short side (bicubic, PIL’s widened kernel), centre-crops, rescales and normalizes', () => {
    // a 4 x 6 picture, shortest edge 2 -> 2 x 3 (int(2 * 6 / 4)), crop 2 x 2 from left (3 - 2) // 2 = 0
    const h = 4,
      w = 6;
    const px = Float32Array.from({ length: h * w * 3 }, (_, i) => ((i * 37) % 101) / 100);
    const out = preprocessImages(
      entry({
        size: 2,
        resize: { shortestEdge: 2 },
        resample: 'bicubic',
        crop: { height: 2, width: 2 },
        rescale: 1 / 255,
        mean: [0.5, 0.25, 0],
        std: [0.5, 0.5, 2],
        layout: 'NCHW',
      }),
      float32([1, h, w, 3], px),
    );
    // PIL's bicubic (a = -0.5) halving: taps at (j - centre + 0.5) / 2, worked out by hand:
    // f(0.25) = 0.8671875, f(0.75) = 0.2265625, f(1.25) = -0.0703125, f(1.75) = -0.0234375
    const a = 0.8671875,
      b = 0.2265625,
      c = -0.0703125,
      d = -0.0234375;
    const rows = [
      [a, a, b, c].map((v) => v / (2 * a + b + c)), // output row 0: input rows 0..3 (row -1 falls outside)
      [c, b, a, a].map((v) => v / (2 * a + b + c)), // output row 1
    ];
    const cols = [
      [a, a, b, c, d, 0].map((v) => v / (2 * a + b + c + d)), // output column 0: input columns 0..4
      [c, b, a, a, b, c].map((v) => v / (2 * (a + b + c))), // output column 1
    ];
    const mean = [0.5, 0.25, 0],
      std = [0.5, 0.5, 2];
    for (let k = 0; k < 3; k++)
      for (let y = 0; y < 2; y++)
        for (let x = 0; x < 2; x++) {
          let v = 0;
          for (let i = 0; i < h; i++)
            for (let j = 0; j < w; j++) v += rows[y]![i]! * cols[x]![j]! * px[(i * w + j) * 3 + k]!;
          expect(out.data[k * 4 + y * 2 + x]).toBeCloseTo((v - mean[k]!) / std[k]!, 6);
        }
    expect(out.shape).toEqual([1, 3, 2, 2]);
  });

  it('the bundled spec is the case without resize, crop and rescale: (x - mean) / std, NCHW', () => {
    const px = Float32Array.from({ length: 2 * 2 * 3 }, (_, i) => i / 12);
    const out = preprocessImages(
      entry({ size: 2, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], layout: 'NCHW' }),
      float32([1, 2, 2, 3], px),
    );
    expect([...out.data.slice(0, 4)]).toEqual([0, 3, 6, 9].map((i) => Math.fround((px[i]! - 0.5) / 0.5)));
  });

  it('rescale 1/255 gives our [0, 1] pixels back exactly', () => {
    const px = Float32Array.from({ length: 3 }, (_, i) => Math.fround(0.1 + i * 0.3));
    const spec = { size: 1, mean: [0, 0, 0], std: [1, 1, 1], layout: 'NCHW' as const };
    expect(preprocessImages(entry({ ...spec, rescale: 1 / 255 }), float32([1, 1, 1, 3], px)).data).toEqual(px);
  });

  it('float16 at the runtime edge rounds to nearest even and comes back', () => {
    const v = Float32Array.from([0, -0, 1, -2.5, 65504, 70000, 1e-8, 6.1e-5, 0.1, 1 + 2 ** -11, 1 + 3 * 2 ** -11]);
    expect([...float16ToFloat32(float32ToFloat16(v))]).toEqual([
      0,
      -0,
      1,
      -2.5,
      65504,
      Infinity,
      0,
      0.00006097555160522461,
      0.0999755859375,
      1,
      1.001953125,
    ]);
  });
});
