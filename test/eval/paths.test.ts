import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { Engine } from '../../src/engine/scheduler';
import { nodeServices } from '../../src/host/node-services';
import type { ModelRuntime } from '../../src/models/runtime/runtime';
import { createModelRuntime } from '../../src/models/runtime/runtime-node';
import type { Float32Tensor } from '../../src/tensor/tensor';
import { generatePictures, graphSettings, pathGraph, priorEmbeddings, runPath } from '../../eval/eval-compose';

let runtime: ModelRuntime;
beforeAll(async () => {
  runtime = (await createModelRuntime())!;
});

/** text-to-image.json's settings, quick (few steps). */
const quick = () => {
  const s = graphSettings('text-to-image.json');
  return {
    ...s,
    prior: { ...s.prior!, steps: 4 },
    decoder: { ...s.decoder, steps: 4 },
    upsampler: { steps: 2 },
    upsampler256: { steps: 2 },
  };
};

describe('the evals run the graphs', () => {
  it("draw, for a batch's first caption, the pictures the graph itself draws for that caption and seed", async () => {
    const settings = quick();
    const texts = ['a large red circle', 'a small blue square'];
    const batch = await generatePictures(runtime, texts, 7, settings);
    expect(batch.shape).toEqual([2, 64, 64, 3]);
    // both stages of the cascade from one run: the same 64x64 pictures, and the 256x256 ones made from them
    const at = (node: string) => ({ node, port: 'image' });
    const [p64, p256] = await runPath(runtime, texts, 7, settings, [at('up64'), at('image')], 25);
    expect(p256!.shape).toEqual([2, 256, 256, 3]);
    expect(Array.from(p64!.data)).toEqual(Array.from(batch.data));
    // the same graph as a user runs it: one prompt, the seed node at 7
    const doc = pathGraph(settings);
    for (const n of doc.nodes) {
      if (n.id === 'prompt') n.params = { text: 'a large red circle' };
      if (n.id === 'seed') n.params = { value: 7 };
    }
    expect(doc.nodes.find((n) => n.id === 'prompt')!.type).toBe('text/prompt');
    const engine = new Engine(createRegistry(), nodeServices({ models: runtime }));
    engine.load(doc);
    expect((await engine.run()).ok).toBe(true);
    const alone = engine.outputsOf('up64')!.image as Float32Tensor;
    const worst = (a: Float32Array, b: Float32Array) => a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i]!)), 0);
    expect(worst(alone.data, batch.data)).toBeLessThan(1e-3); // batch 2 against batch 1: the same noise, rounding apart
    const alone256 = engine.outputsOf('image')!.image as Float32Tensor;
    expect(worst(alone256.data, p256!.data)).toBeLessThan(1e-3);
    // the second caption is another picture
    let diff = 0;
    for (let i = 0; i < alone.data.length; i++) diff += Math.abs(batch.data[alone.data.length + i]! - alone.data[i]!);
    expect(diff / alone.data.length).toBeGreaterThan(0.01);
  }, 120_000);

  it("take the graph's settings and refuse an override out of the node's range, naming the node", async () => {
    const doc = pathGraph(quick());
    const decoder = doc.nodes.find((n) => n.type === 'diffusion/decode')!;
    expect(decoder.params).toMatchObject({ steps: 4, guidance: graphSettings('text-to-image.json').decoder.guidance });
    const bad = { ...quick(), decoder: { ...quick().decoder, guidance: 99 } };
    await expect(generatePictures(runtime, ['a red circle'], 1, bad)).rejects.toThrow(/decoder.*guidance/s);
    const e = await priorEmbeddings(runtime, ['a red circle', 'a green cross'], 3, 'prior', { ...quick().prior });
    expect(e.shape).toEqual([2, 128]);
    const file = JSON.parse(readFileSync(new URL('../../graphs/text-to-image.json', import.meta.url), 'utf8'));
    expect(file.nodes.find((n: { id: string }) => n.id === 'prompt').type).toBe('text/prompt'); // the file untouched
  }, 120_000);
});
