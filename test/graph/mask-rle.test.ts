import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { nodeServices } from '../../src/host/node-services';
import { Engine } from '../../src/engine/scheduler';
import { GraphError } from '../../src/graph/errors';
import { decodeMaskRle, encodeMaskRle, MASK_RLE_MAX_LENGTH } from '../../src/graph/mask-rle';
import { createRng } from '../../src/tensor/prng';
import type { Float32Tensor } from '../../src/tensor/tensor';

describe('painted masks as run-length text', () => {
  it('round-trips any mask, and a few blobs are short', () => {
    const rng = createRng(4);
    for (const [w, h] of [
      [64, 64],
      [7, 3],
      [1, 1],
    ] as const) {
      const bits = Uint8Array.from({ length: w * h }, () => (rng.next() < 0.3 ? 1 : 0));
      const back = decodeMaskRle(encodeMaskRle(bits, w, h));
      expect([back.w, back.h]).toEqual([w, h]);
      expect(Array.from(back.bits)).toEqual(Array.from(bits));
    }
    const blob = new Uint8Array(64 * 64);
    for (let y = 20; y < 40; y++) blob.fill(1, y * 64 + 10, y * 64 + 30);
    expect(encodeMaskRle(blob, 64, 64).length).toBeLessThan(120); // two runs a row: 113 characters
    expect(encodeMaskRle(new Uint8Array(4), 2, 2)).toBe('rle:2x2:4');
    expect(encodeMaskRle(Uint8Array.of(1, 1, 0, 1), 2, 2)).toBe('rle:2x2:0.2.1.1');
  });

  it.each([
    ['png:...', /is not a painted mask/],
    ['rle:0x4:0', /is 0x4; a painted mask is 1\.\.512 pixels a side/],
    ['rle:2x2:3', /has runs for 3 of its 4 pixels/],
    ['rle:2x2:3.5', /has runs past its 4 pixels/],
    ['rle:2x2:1..3', /has a bad run ""/],
  ])('refuses %s, saying why', (text, why) => {
    expect(() => decodeMaskRle(text)).toThrow(why);
  });
});

describe('mask/paint', () => {
  const run = async (params: Record<string, unknown>, withImage = false) => {
    const e = new Engine(createRegistry(), nodeServices());
    e.load({
      format: 'unclip-studio/graph',
      version: 1,
      nodes: [
        { id: 'pic', type: 'io/load-image', params: { src: 'public/examples/red-circle.png' } },
        { id: 'paint', type: 'mask/paint', params, ...(withImage ? { inputs: { image: 'pic.image' } } : {}) },
      ],
    });
    const r = await e.run();
    return { r, mask: e.outputsOf('paint')?.mask as Float32Tensor | undefined };
  };

  it('gives the painted pixels, an empty mask of the picture’s size when nothing is painted', async () => {
    const bits = new Uint8Array(64 * 64);
    bits[64 * 10 + 5] = 1;
    const painted = await run({ mask: encodeMaskRle(bits, 64, 64) }, true);
    expect(painted.mask!.shape).toEqual([1, 64, 64, 1]);
    expect(painted.mask!.data[64 * 10 + 5]).toBe(1);
    expect(painted.mask!.data.reduce((a, b) => a + b, 0)).toBe(1);
    const empty = await run({ size: 16 });
    expect(empty.mask!.shape).toEqual([1, 16, 16, 1]);
    expect((await run({ size: 16 }, true)).mask!.shape).toEqual([1, 64, 64, 1]); // the picture sets the size
  });

  it('names the param or port: bad text, another size; an oversized mask is refused at load', async () => {
    expect((await run({ mask: 'rle:2x2:3' })).r.nodes.paint).toMatchObject({
      status: 'error',
      field: 'params.mask',
      message: expect.stringMatching(/the painted mask has runs for 3 of its 4 pixels/),
    });
    expect((await run({ mask: 'rle:2x2:4' }, true)).r.nodes.paint).toMatchObject({
      status: 'error',
      field: 'params.mask',
      message: expect.stringMatching(/painted at 2x2, the picture is 64x64/),
    });
    const e = new Engine(createRegistry(), nodeServices());
    let err: unknown;
    try {
      e.load({
        format: 'unclip-studio/graph',
        version: 1,
        nodes: [{ id: 'paint', type: 'mask/paint', params: { mask: 'x'.repeat(MASK_RLE_MAX_LENGTH + 1) } }],
      });
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).issues[0]).toMatchObject({ nodeId: 'paint', field: 'params.mask' });
  });
});
