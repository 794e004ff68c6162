import { describe, expect, it } from 'vitest';
import { upsamplerSides } from '../../src/models/pipelines/upsampler';
import type { ModelEntry } from '../../src/models/runtime/manifest';
import { boxDownsample, psnr } from '../../src/tensor/image';
import { float32, type Float32Tensor } from '../../src/tensor/tensor';
import { readPicture } from '../../src/world/read';
import { renderScene } from '../../src/world/render';
import { bundledRuntime, failedOn, runGraph } from '../helpers/models';
import { pictureUrl } from '../../eval/graph-runs';

const runtime = await bundledRuntime();

/** A scene's render at 64x64 and at 256x256 (the same geometry scaled by 4), NHWC in [0, 1]. */
function renders() {
  const scene = {
    background: 'white' as const,
    objects: [
      { shape: 'square' as const, colour: 'blue' as const, size: 'large' as const, position: 'center' as const },
    ].map((o) => ({ ...o, cx: 30.3, cy: 33.1, s: 13.2 })),
  };
  const img = (scale: number) => {
    const side = 64 * scale;
    return float32(
      [1, side, side, 3],
      Float32Array.from(renderScene(scene, undefined, scale), (v) => v / 255),
    );
  };
  return { p64: img(1), p256: img(4) };
}

const upsample256 = (image: object, extra: object = {}, params: object = { steps: 5 }) => [
  { id: 'm', type: 'diffusion/load-model', params: { model: 'mini-unclip-upsampler256' } },
  image,
  { id: 'up', type: 'diffusion/upsample', params, inputs: { upsampler: 'm.model', image: 'src.image', ...extra } },
];

describe('the 256x256 stage (mini-unclip-upsampler256 through diffusion/upsample)', () => {
  it('reads its sides from the manifest: 64 -> 256, and the 32 -> 64 one stays 32 -> 64', () => {
    expect(upsamplerSides(runtime.entry('mini-unclip-upsampler256'))).toEqual({ low: 64, high: 256 });
    expect(upsamplerSides(runtime.entry('mini-unclip-upsampler'))).toEqual({ low: 32, high: 64 });
    const odd = { ...runtime.entry('mini-unclip-upsampler256') } as ModelEntry;
    odd.inputs = odd.inputs.map((i) => (i.name === 'low_res' ? { ...i, shape: ['batch', 3, 'h', 'w'] } : i));
    expect(() => upsamplerSides(odd)).toThrow(/"low_res" must be \[batch, 3, side, side\] with a fixed side/);
  });

  it('carries a 64x64 render to 256x256 nearer the 256x256 render than bilinear resizing does', async () => {
    const { p64, p256 } = renders();
    const { engine, result } = await runGraph(
      runtime,
      upsample256({ id: 'src', type: 'io/load-image', params: { src: pictureUrl(p64.data, 64, 64) } }),
    );
    expect(result.ok).toBe(true);
    const out = engine.outputsOf('up')!.image as Float32Tensor;
    expect(out.shape).toEqual([1, 256, 256, 3]);
    // the same scene, read by the pixel reader at 256 and box-averaged back to 64
    const read = readPicture(boxDownsample(out, 4).data, 64, 64);
    expect(read.objects.map((o) => [o.colour, o.shape, o.position])).toEqual([['blue', 'square', 'center']]);
    // it sharpens: nearer the 256 render than a bilinear resize of the 64 one (borders are where they differ)
    const { bilinearResize } = await import('../../src/tensor/image');
    const bilinear = bilinearResize(p64, 256, 256);
    expect(psnr(out.data, p256.data)).toBeGreaterThan(psnr(bilinear.data, p256.data) + 1);
  });

  it('refuses a picture of another size naming the port, and a keep or mask not at 256', async () => {
    const { p64, p256 } = renders();
    const at256 = await runGraph(
      runtime,
      upsample256({ id: 'src', type: 'io/load-image', params: { src: pictureUrl(p256.data, 256, 256) } }),
    );
    expect(at256.result.nodes.up).toMatchObject(
      failedOn('inputs.image', /takes 64x64 pictures, got 256x256 \(already 256x256/),
    );
    const keep64 = await runGraph(runtime, [
      ...upsample256(
        { id: 'src', type: 'io/load-image', params: { src: pictureUrl(p64.data, 64, 64) } },
        { keep: 'src.image', mask: 'mask.mask' },
      ),
      { id: 'mask', type: 'mask/rect', params: { size: 256 } },
    ]);
    expect(keep64.result.nodes.up).toMatchObject(
      failedOn('inputs.keep', /keep must be one 256x256 picture .*image\/resize makes one/),
    );
  });

  it('draws the 256 stage from its own noise: up64 and image of one seed are not correlated', async () => {
    const { gaussianBatch } = await import('../../src/tensor/noise');
    const a = gaussianBatch({ seed: 7, node: 'diffusion/upsample', purpose: 'x_T' }, 1, 3 * 64 * 64);
    const b = gaussianBatch({ seed: 7, node: 'diffusion/upsample@256', purpose: 'x_T' }, 1, 3 * 256 * 256);
    let dot = 0;
    for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
    expect(Math.abs(dot / a.length)).toBeLessThan(0.05);
  });
});
