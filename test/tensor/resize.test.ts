import { describe, expect, it } from 'vitest';
import { nearestResize, resizeImage } from '../../src/tensor/image';
import { float32, type Float32Tensor } from '../../src/tensor/tensor';
import { failedOn, runGraph } from '../helpers/models';

/** A 4x4 one-channel image 0..15, row-major. */
const ramp = () =>
  float32(
    [1, 4, 4, 1],
    Float32Array.from({ length: 16 }, (_, i) => i),
  );

describe('resizing pictures and masks', () => {
  it('area averages whole boxes and refuses a size that is not one whole shrink factor', () => {
    expect(Array.from(resizeImage(ramp(), 2, 2, 'area').data)).toEqual([2.5, 4.5, 10.5, 12.5]);
    expect(() => resizeImage(ramp(), 3, 3, 'area')).toThrow(/area resizing shrinks by one whole factor: 4x4 -> 3x3/);
    expect(() => resizeImage(ramp(), 2, 1, 'area')).toThrow(/one whole factor/);
    const same = ramp();
    expect(resizeImage(same, 4, 4, 'area')).toBe(same); // the size it has: the same tensor
  });

  it('nearest copies values (a hard mask stays 0 and 1) and enlarges by repeating pixels', () => {
    const up = nearestResize(float32([1, 2, 2, 1], [0, 1, 1, 0]), 4, 4);
    expect(Array.from(up.data)).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0]);
    expect(Array.from(resizeImage(ramp(), 2, 2, 'nearest').data)).toEqual([5, 7, 13, 15]);
  });

  it('bilinear blends, and a region of zeros stays exactly zero away from its edge', () => {
    const m = new Float32Array(16 * 16);
    for (let y = 4; y < 12; y++) for (let x = 4; x < 12; x++) m[y * 16 + x] = 1;
    const up = resizeImage(float32([1, 16, 16, 1], m), 64, 64, 'bilinear');
    expect(up.shape).toEqual([1, 64, 64, 1]);
    expect(up.data[0]).toBe(0);
    expect(up.data[10 * 64 + 10]).toBe(0);
    expect(up.data[32 * 64 + 32]).toBe(1);
    expect(Array.from(up.data).some((v) => v > 0 && v < 1)).toBe(true);
  });

  it('image/resize and mask/resize run as nodes; a bad area size is a node error on params.method', async () => {
    const { engine, result } = await runGraph(undefined, [
      { id: 'mask', type: 'mask/rect', params: { x: 16, y: 16, width: 32, height: 32, size: 64 } },
      {
        id: 'big',
        type: 'mask/resize',
        params: { width: 256, height: 128, method: 'nearest' },
        inputs: { mask: 'mask.mask' },
      },
      { id: 'scene', type: 'world/render-scene', params: {} },
      { id: 'small', type: 'image/resize', params: { width: 32, height: 32 }, inputs: { image: 'scene.image' } },
      {
        id: 'odd',
        type: 'image/resize',
        params: { width: 48, height: 48, method: 'area' },
        inputs: { image: 'scene.image' },
      },
    ]);
    const big = engine.outputsOf('big')!.mask as Float32Tensor;
    expect(big.shape).toEqual([1, 128, 256, 1]);
    expect(big.data[32 * 256 + 64]).toBe(1);
    expect(big.data[31 * 256 + 63]).toBe(0);
    expect((engine.outputsOf('small')!.image as Float32Tensor).shape).toEqual([1, 32, 32, 3]);
    expect(result.nodes.odd).toMatchObject(failedOn('params.method', /64x64 -> 48x48 is not one/));
  });
});
