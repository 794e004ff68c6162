import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { CELL_REACH } from '../../nodes/mask/cell';
import { nodeServices } from '../../src/host/node-services';
import { Engine } from '../../src/engine/scheduler';
import { borderColour, differsFrom, growMask, invertMask, rectMask } from '../../src/tensor/mask';
import type { Float32Tensor } from '../../src/tensor/tensor';

const at = (m: Float32Tensor, x: number, y: number, w = 64) => m.data[y * w + x]!;
const sum = (m: Float32Tensor) => m.data.reduce((a, b) => a + b, 0);

describe('masks', () => {
  it('a rectangle covers the pixels whose centres lie inside it', () => {
    const m = rectMask(64, 64, 10, 20, 5, 3);
    expect(m.shape).toEqual([1, 64, 64, 1]);
    expect(sum(m)).toBe(15);
    expect([at(m, 10, 20), at(m, 14, 22), at(m, 9, 20), at(m, 15, 20), at(m, 10, 23)]).toEqual([1, 1, 0, 0, 0]);
    expect(sum(rectMask(64, 64, 60, 60, 10, 10))).toBe(16); // clipped at the edge
  });

  it('inverts, grows by a Euclidean distance, shrinks, and feathers', () => {
    const m = rectMask(64, 64, 30, 30, 4, 4);
    expect(sum(invertMask(m))).toBe(64 * 64 - 16);
    const g = growMask(m, 2, 0);
    expect([at(g, 28, 31), at(g, 27, 31), at(g, 28, 28)]).toEqual([1, 0, 0]); // (2, 2) off the corner is 2.83 away
    expect([at(g, 29, 29)]).toEqual([1]);
    const s = growMask(rectMask(64, 64, 20, 20, 10, 10), -2, 0);
    expect(sum(s)).toBe(36);
    const f = growMask(m, 0, 3); // feather over 3 px: 1 - d / 4
    expect(at(f, 29, 31)).toBeCloseTo(0.75, 6);
    expect(at(f, 27, 31)).toBeCloseTo(0.25, 6);
    expect(at(f, 26, 31)).toBe(0);
    expect(f.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('from an image: pixels off the border colour, or near a colour', () => {
    const img = { dtype: 'float32', shape: [1, 8, 8, 3], data: new Float32Array(8 * 8 * 3).fill(1) } as Float32Tensor;
    img.data.set([0.86, 0.16, 0.16], (3 * 8 + 4) * 3);
    expect(borderColour(img, 0)).toEqual([1, 1, 1]);
    const m = differsFrom(img, () => [1, 1, 1], 0.1);
    expect(sum(m)).toBe(1);
    expect(m.data[3 * 8 + 4]).toBe(1);
  });
});

describe('mask nodes', () => {
  const graph = (nodes: object[]) => JSON.stringify({ format: 'unclip-studio/graph', version: 1, nodes });

  it('cell, grow, invert and from-image compose; a rectangle off the picture is refused naming the param', async () => {
    const e = new Engine(createRegistry(), nodeServices({}));
    e.load(
      graph([
        { id: 'cell', type: 'mask/cell', params: { cell: 'top left' } },
        { id: 'inv', type: 'mask/invert', inputs: { mask: 'cell.mask' } },
        { id: 'grow', type: 'mask/grow', params: { pixels: 1, feather: 0 }, inputs: { mask: 'cell.mask' } },
        { id: 'src', type: 'world/render-scene', params: { caption: 'a large red square at the center', seed: 1 } },
        { id: 'obj', type: 'mask/from-image', inputs: { image: 'src.image' } },
        {
          id: 'red',
          type: 'mask/from-image',
          params: { mode: 'near-colour', colour: 'red' },
          inputs: { image: 'src.image' },
        },
        { id: 'bad', type: 'mask/rect', params: { x: 70 } },
      ]),
    );
    const r = await e.run();
    const out = (id: string) => e.outputsOf(id)!.mask as Float32Tensor;
    const cell = out('cell');
    // the top-left cell's centre is (16, 16): the square reaches 16 + CELL_REACH
    expect(sum(cell)).toBe((16 + CELL_REACH) ** 2);
    expect(sum(out('inv'))).toBe(64 * 64 - (16 + CELL_REACH) ** 2);
    expect(sum(out('grow'))).toBe((17 + CELL_REACH) ** 2 - 1); // the new corner is sqrt(2) away
    // a large square (half-extent 14 +- 1) at the centre: its pixels, and the same ones by colour
    const obj = sum(out('obj'));
    expect(obj).toBeGreaterThan(26 * 26);
    expect(obj).toBeLessThan(31 * 31);
    expect(Math.abs(sum(out('red')) - obj)).toBeLessThan(2 * 30 * 2); // the anti-aliased rim at most
    expect(r.nodes.bad).toMatchObject({ status: 'error', field: 'params.x' });
  });
});
