import { describe, expect, it } from 'vitest';
import type { NodeEvent } from '../../src/engine/events';
import type { Scores } from '../../src/node-api/values';
import { encodeImages, encodeTexts, resolveClip } from '../../src/models/pipelines/clip';
import type { Float32Tensor } from '../../src/tensor/tensor';
import { bundledRuntime, engineOn, failedOn, runGraph } from '../helpers/models';

const models = await bundledRuntime();
const engine = () => engineOn(models);

type Node = { id: string; type: string; params?: Record<string, unknown>; inputs?: Record<string, string> };
const graph = (nodes: Node[]) => ({ format: 'unclip-studio/graph', version: 1, nodes });
const CAPTION = 'a red circle on a white background';

function drawGraph(params: Record<string, unknown> = {}, caption = CAPTION): ReturnType<typeof graph> {
  return graph([
    { id: 'clip', type: 'clip/load-model', params: { model: 'mini-clip' } },
    { id: 'prompt', type: 'text/prompt', params: { text: caption } },
    {
      id: 'image',
      type: 'guide/clip-draw',
      params: { iterations: 8, population: 8, augmentations: 1, ...params },
      inputs: { model: 'clip.model', text: 'prompt.text' },
    },
  ]);
}

async function similarityOf(img: Float32Tensor, caption: string): Promise<number> {
  const clip = resolveClip(models, 'mini-clip');
  const a = await encodeImages(models, clip, img);
  const b = await encodeTexts(models, clip, [caption]);
  return a.data.reduce((s, v, i) => s + v * b.data[i]!, 0);
}

describe('guide/clip-draw', () => {
  it(
    'searches toward the caption with progress and previews, ' +
      'and reports the similarity mini-CLIP gives its picture',
    async () => {
      const e = engine();
      e.load(drawGraph());
      const events: NodeEvent[] = [];
      const r = await e.run({ onEvent: (ev) => events.push(ev) });
      expect(r.ok).toBe(true);
      const out = e.outputsOf('image')!;
      const img = out.image as Float32Tensor;
      expect(img.shape).toEqual([1, 64, 64, 3]);
      expect((out.filmstrip as Float32Tensor).shape).toEqual([8, 64, 64, 3]);
      const curve = out.curve as Scores;
      expect(curve.values.shape).toEqual([2, 8]);
      expect(curve.curve).toBe(true);
      expect(curve.rowLabels).toEqual(['best so far', 'population mean']);
      // the best so far never falls, and ends above where the search started
      const best = Array.from(curve.values.data.subarray(0, 8));
      for (let g = 1; g < 8; g++) expect(best[g]!).toBeGreaterThanOrEqual(best[g - 1]!);
      expect(best[7]!).toBeGreaterThan(curve.values.data[8]!); // the first generation's mean
      // the similarity output is what mini-CLIP, asked independently, says of the picture as drawn
      expect(out.similarity as number).toBeCloseTo(await similarityOf(img, CAPTION), 4);
      expect((out.primitives as string[])[0]).toMatch(/^background #[0-9a-f]{6} \(~(white|black|gray)\)$/);
      const progress = events.filter((ev) => ev.nodeId === 'image' && ev.status === 'running' && ev.steps === 8);
      expect(progress.length).toBeGreaterThanOrEqual(8);
      expect(progress.some((ev) => ev.preview && ev.preview.width === 64)).toBe(true);
    },
  );

  it('is deterministic for a seed; a wired seed changes the picture', async () => {
    const run = async (seed?: number) => {
      const e = engine();
      const doc = drawGraph({ iterations: 3 });
      if (seed !== undefined) {
        doc.nodes.push({ id: 'seed', type: 'value/seed', params: { value: seed } });
        doc.nodes[2]!.inputs!.seed = 'seed.value';
      }
      e.load(doc);
      expect((await e.run()).ok).toBe(true);
      return Array.from((e.outputsOf('image')!.image as Float32Tensor).data);
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(await run(9)).not.toEqual(a);
  });

  it('names the port of a bad caption, and is cancelled mid-search', async () => {
    const e = engine();
    e.load(drawGraph({}, 'a red dragon'));
    const r = await e.run();
    expect(r.nodes.image).toMatchObject({ status: 'error', field: 'inputs.text' });
    expect(r.nodes.image!.message).toMatch(/dragon/);
    const { result: two } = await runGraph(models, [
      { id: 'clip', type: 'clip/load-model', params: { model: 'mini-clip' } },
      { id: 'prompt', type: 'text/lines', params: { text: 'a red circle\na blue square' } },
      { id: 'image', type: 'guide/clip-draw', inputs: { model: 'clip.model', text: 'prompt.text' } },
    ]);
    expect(two.nodes.image).toMatchObject(failedOn('inputs.text', /one caption, got 2/));

    const c = engine();
    c.load(drawGraph({ iterations: 500 }));
    const ac = new AbortController();
    const res = await c.run({
      signal: ac.signal,
      onEvent: (ev) => {
        if (ev.nodeId === 'image' && ev.step === 2) ac.abort();
      },
    });
    expect(res.cancelled).toBe(true);
    expect(res.nodes.image!.status).toBe('cancelled');
  });
});

describe('guide/clip-latent', () => {
  it('returns the x_T it found, and the decoder fed that x_T draws the same picture', async () => {
    const e = engine();
    const base: Node[] = [
      { id: 'clip', type: 'clip/load-model', params: { model: 'mini-clip' } },
      { id: 'prior_model', type: 'diffusion/load-model', params: { model: 'mini-unclip-prior' } },
      { id: 'decoder_model', type: 'diffusion/load-model', params: { model: 'mini-unclip-decoder' } },
      { id: 'prompt', type: 'text/prompt', params: { text: CAPTION } },
      {
        id: 'prior',
        type: 'diffusion/prior',
        params: { steps: 5, guidance: 4 },
        inputs: { prior: 'prior_model.model', clip: 'clip.model', text: 'prompt.text' },
      },
      {
        id: 'search',
        type: 'guide/clip-latent',
        params: { iterations: 2, population: 4, steps: 3, dims: 4, seed: 11 },
        inputs: {
          decoder: 'decoder_model.model',
          clip: 'clip.model',
          text: 'prompt.text',
          embedding: 'prior.embedding',
        },
      },
      {
        id: 'replay',
        type: 'diffusion/decode',
        params: { steps: 3, guidance: 3, eta: 0 },
        inputs: {
          decoder: 'decoder_model.model',
          clip: 'clip.model',
          text: 'prompt.text',
          embedding: 'prior.embedding',
          noise: 'search.noise',
        },
      },
    ];
    e.load(graph(base));
    const r = await e.run();
    expect(r.ok, JSON.stringify(r.nodes)).toBe(true);
    const out = e.outputsOf('search')!;
    const noise = out.noise as Float32Tensor;
    expect(noise.shape).toEqual([1, 3, 32, 32]);
    const mean = noise.data.reduce((a, v) => a + v, 0) / noise.data.length;
    const std = Math.sqrt(noise.data.reduce((a, v) => a + (v - mean) ** 2, 0) / noise.data.length);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(std).toBeGreaterThan(0.85);
    expect(std).toBeLessThan(1.15);
    const found = out.image as Float32Tensor,
      replay = e.outputsOf('replay')!.image as Float32Tensor;
    expect(found.shape).toEqual([1, 32, 32, 3]);
    let maxDiff = 0;
    for (let i = 0; i < found.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(found.data[i]! - replay.data[i]!));
    expect(maxDiff).toBeLessThan(1e-3); // batch of 4 in the search vs batch of 1 here
    expect(out.similarity as number).toBeCloseTo(await similarityOf(found, CAPTION), 4);
  });
});

describe('world/read-picture', () => {
  it('reads rendered scenes and grades them against their caption and against a wrong one', async () => {
    const { engine: e, result } = await runGraph(models, [
      {
        id: 'scene',
        type: 'world/render-scene',
        params: { caption: 'a red circle left of a blue square on a black background', count: 3, seed: 4 },
      },
      {
        id: 'truth',
        type: 'text/prompt',
        params: { text: 'a red circle left of a blue square on a black background' },
      },
      { id: 'read', type: 'world/read-picture', inputs: { image: 'scene.image', text: 'truth.text' } },
      { id: 'wrong', type: 'text/prompt', params: { text: 'a blue circle right of a red square' } },
      { id: 'read_wrong', type: 'world/read-picture', inputs: { image: 'scene.image', text: 'wrong.text' } },
    ]);
    expect(result.ok).toBe(true);
    const reading = e.outputsOf('read')!.reading as string[];
    expect(reading).toHaveLength(3);
    for (const line of reading)
      expect(line).toMatch(
        new RegExp(
          'red circle .* and .* blue square .* on a black background|' +
            'blue square .* and .* red circle .* on a black background',
        ),
      );
    const grade = e.outputsOf('read')!.grade as Scores;
    expect(grade.values.shape).toEqual([3, 4]);
    expect(Array.from(grade.values.data)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const wrong = e.outputsOf('read_wrong')!.grade as Scores;
    for (let i = 0; i < 3; i++) expect(wrong.values.data[i * 4 + 1]).toBe(0); // the pairs are not there
  });

  it('names the port of a caption count that does not fit the pictures', async () => {
    const { result: r } = await runGraph(models, [
      { id: 'scene', type: 'world/render-scene', params: { count: 3 } },
      { id: 'truth', type: 'text/lines', params: { text: 'a red circle\na blue square' } },
      { id: 'read', type: 'world/read-picture', inputs: { image: 'scene.image', text: 'truth.text' } },
    ]);
    expect(r.nodes.read).toMatchObject(failedOn('inputs.text', /2 captions for 3 pictures/));
  });
});
