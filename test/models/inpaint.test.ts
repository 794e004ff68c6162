import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { nodeServices } from '../../src/host/node-services';
import { Engine } from '../../src/engine/scheduler';
import type { ModelRuntime } from '../../src/models/runtime/runtime';
import { createModelRuntime } from '../../src/models/runtime/runtime-node';
import { knownChannels } from '../../src/models/pipelines/unclip';
import type { Float32Tensor } from '../../src/tensor/tensor';

let models: ModelRuntime;
beforeAll(async () => {
  models = (await createModelRuntime())!;
});

/** graphs/inpaint.json, quick (few steps), with edits to its nodes' params. */
function inpaintGraph(edit: Record<string, Record<string, unknown>> = {}) {
  const doc = JSON.parse(readFileSync(new URL('../../graphs/inpaint.json', import.meta.url), 'utf8')) as {
    nodes: Array<{ id: string; params?: Record<string, unknown>; inputs?: Record<string, string> }>;
  };
  const quick: Record<string, Record<string, unknown>> = {
    fill: { steps: 6 },
    up64: { steps: 2 },
    up256: { steps: 2 },
    // RePaint replaces what it keeps at every step: at 6 steps it mostly draws nothing new (blue in 2 of 6 seeds),
    // at 25 in 6 of 6 (resample 1)
    fill_replace: { steps: 25, resample: 1 },
    up64_replace: { steps: 2 },
    up256_replace: { steps: 2 },
  };
  for (const n of doc.nodes) n.params = { ...n.params, ...quick[n.id], ...edit[n.id] };
  return doc;
}

async function run(doc: unknown) {
  const e = new Engine(createRegistry(), nodeServices({ models }));
  e.load(doc);
  const r = await e.run();
  const out = (id: string, port: string) => e.outputsOf(id)?.[port] as Float32Tensor;
  return { r, out };
}

describe('inpainting (diffusion/inpaint, methods finetuned and replace; image/composite)', () => {
  /** Pixels outside the mask unchanged, inside mostly changed, and a blue square where the red circle was. */
  function expectEdit(source: Float32Tensor, mask: Float32Tensor, edited: Float32Tensor) {
    expect(edited.shape).toEqual([1, 64, 64, 3]);
    let outside = 0,
      changedInside = 0;
    for (let p = 0; p < 64 * 64; p++) {
      const m = mask.data[p]!;
      const d = Math.max(...[0, 1, 2].map((c) => Math.abs(edited.data[p * 3 + c]! - source.data[p * 3 + c]!)));
      if (m === 0) {
        outside++;
        expect(d).toBe(0);
      } else if (m === 1 && d > 0.3) changedInside++;
    }
    expect(outside).toBeGreaterThan(1000);
    // the red circle is gone under a blue square: most of the masked pixels changed, no red is left inside the
    // mask, and a square's worth of it is blue (a small square is 16x16 pixels; the old circle covered ~600)
    expect(changedInside).toBeGreaterThan(600);
    let blue = 0,
      red = 0;
    for (let p = 0; p < 64 * 64; p++) {
      if (mask.data[p]! < 1) continue;
      const [r, g, b] = [0, 1, 2].map((c) => edited.data[p * 3 + c]!) as [number, number, number];
      if (b > 0.6 && r < 0.4 && g < 0.5) blue++;
      if (r > 0.6 && g < 0.4 && b < 0.4) red++;
    }
    expect(blue).toBeGreaterThan(200);
    expect(red).toBeLessThan(20);
  }

  it('keeps every pixel outside the mask, regenerates inside, and both decoders draw the caption there', async () => {
    const { r, out } = await run(inpaintGraph());
    expect(r.ok, JSON.stringify(r.nodes)).toBe(true);
    expect(out('fill', 'image').shape).toEqual([1, 32, 32, 3]);
    expect(out('fill', 'mask').shape).toEqual([1, 32, 32, 1]);
    expectEdit(out('source64', 'image'), out('edge', 'mask'), out('edit64', 'image')); // the inpainting decoder
    expectEdit(out('source64', 'image'), out('edge', 'mask'), out('edit64_replace', 'image')); // RePaint
    // carried to 256x256: the loaded 256x256 source exactly where the mask (resized to 256) is 0, the edit inside
    for (const id of ['image', 'image_replace']) {
      const source = out('source', 'image'),
        image = out(id, 'image'),
        mask = out('mask256', 'mask');
      expect(image.shape).toEqual([1, 256, 256, 3]);
      let outside = 0,
        changedInside = 0;
      for (let p = 0; p < 256 * 256; p++)
        for (let c = 0; c < 3; c++) {
          const d = Math.abs(image.data[p * 3 + c]! - source.data[p * 3 + c]!);
          if (mask.data[p] === 0) {
            outside++;
            expect(d).toBe(0);
          } else if (mask.data[p] === 1 && d > 0.3) changedInside++;
        }
      expect(outside).toBeGreaterThan(3 * 256 * 256 * 0.3);
      expect(changedInside).toBeGreaterThan(3 * 600 * 16 * 0.8); // as at 64x64, sixteen pixels for one
    }
  });

  it('finetuned samples as GLIDE does: outside the mask its 32x32 output is the box-downsampled source', async () => {
    const { out } = await run(inpaintGraph());
    const fill = out('fill', 'image'),
      mask = out('fill', 'mask');
    const src = out('source64', 'image');
    let worst = 0,
      kept = 0,
      changed = 0;
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++)
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (const [dy, dx] of [
            [0, 0],
            [0, 1],
            [1, 0],
            [1, 1],
          ] as const)
            s += src.data[((2 * y + dy) * 64 + 2 * x + dx) * 3 + c]! / 4;
          const d = Math.abs(fill.data[(y * 32 + x) * 3 + c]! - s);
          if (mask.data[y * 32 + x]! > 0) {
            changed += d > 0.1 ? 1 : 0;
          } else {
            worst = Math.max(worst, d);
            kept++;
          }
        }
    expect(kept).toBeGreaterThan(300);
    expect(worst).toBeLessThan(1e-5); // the x0 prediction pinned to the source where kept, at every step
    expect(changed).toBeGreaterThan(30); // and the mask drawn anew
  });

  it('refuses finetuned with a decoder that cannot inpaint, and a mask of another size, by name', async () => {
    const ft = await run(inpaintGraph({ fill_replace: { method: 'finetuned' } }));
    expect(ft.r.nodes.fill_replace).toMatchObject({
      status: 'error',
      field: 'params.method',
      message: expect.stringMatching(/finetuned needs an inpainting decoder.*use method replace/),
    });
    const small = await run(inpaintGraph({ mask: { size: 32, x: 4, y: 4, width: 8, height: 8 } }));
    expect(small.r.nodes.fill).toMatchObject({
      status: 'error',
      field: 'inputs.mask',
      message: 'the mask is 32x32, the source 64x64',
    });
    const doc = inpaintGraph();
    delete doc.nodes.find((n) => n.id === 'up64')!.inputs!.mask;
    expect((await run(doc)).r.nodes.up64).toMatchObject({ status: 'error', field: 'inputs.mask' });
  });
});

describe("the inpainting decoder's input (knownChannels)", () => {
  it('zeroes the region to regenerate, appends the mask, and repeats it per sample', () => {
    const hw = 4;
    const source = Float32Array.from({ length: 3 * hw }, (_, i) => i / 10 - 0.5);
    const mask = Float32Array.from([1, 0, 0, 1]);
    const k = knownChannels(source, mask, 2);
    expect(k).toHaveLength(2 * 4 * hw);
    const one = Array.from(k.subarray(0, 4 * hw));
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < hw; i++) expect(one[c * hw + i]).toBeCloseTo(mask[i] ? 0 : source[c * hw + i]!, 6);
    expect(one.slice(3 * hw)).toEqual([1, 0, 0, 1]);
    expect(Array.from(k.subarray(4 * hw))).toEqual(one);
    expect(() => knownChannels(source, new Float32Array(3), 1)).toThrow(/12 values, the mask 3 pixels/);
  });
});
