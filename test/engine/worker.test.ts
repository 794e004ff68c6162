import { readFileSync } from 'node:fs';
import { proxy } from 'comlink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { createEngineApi } from '../../src/engine/api';
import type { NodeEvent } from '../../src/engine/events';
import { nodeServices } from '../../src/host/node-services';
import { startNodeEngine, type NodeEngine } from '../../src/host/node-client';

const playground = readFileSync(new URL('../../graphs/embedding-playground.json', import.meta.url), 'utf8');

describe('the engine in a real Node worker (comlink over worker_threads)', () => {
  let engine: NodeEngine;
  beforeAll(() => {
    engine = startNodeEngine();
  });
  afterAll(async () => {
    await engine.terminate();
  });

  it('loads, runs with proxied events, and answers summaries', async () => {
    const loaded = await engine.api.loadGraph(playground);
    expect(loaded.ok).toBe(true);
    const events: NodeEvent[] = [];
    const result = await engine.api.run(
      {},
      proxy((e: NodeEvent) => {
        events.push(e);
      }),
    );
    expect(result.ok).toBe(true);
    expect(result.ran).toBe(10);
    await new Promise((r) => setTimeout(r, 50)); // proxied callbacks are async messages
    expect(events.filter((e) => e.status === 'done').length).toBe(10);
    const [summary] = await engine.api.summaries('similarity');
    expect(summary!.kind).toBe('scores');
    const m = summary!.value as { labels: string[]; values: number[] };
    expect(m.labels).toEqual(['a', 'slerp(a, b, 0.5)', 'b']);
    expect(m.values[0]).toBeCloseTo(1, 5); // a vs a
    expect(m.values[1]).toBeCloseTo(m.values[5]!, 5); // the midpoint is as close to a as to b
  });

  it('re-runs only the changed node after setParam', async () => {
    await engine.api.setParam('reconstruct', 'k', 64);
    const result = await engine.api.run();
    expect(result.ran).toBe(2); // reconstruct and error
    const t = await engine.api.tensor('error', 'matrix', 'values');
    // with all 64 components the reconstruction is exact: diagonal of ones
    expect(t.shape).toEqual([3, 3]);
    for (const i of [0, 4, 8]) expect(t.data[i]).toBeCloseTo(1, 4);
  });

  it('returns every load issue and keeps the loaded graph', async () => {
    const bad = JSON.parse(playground);
    bad.nodes.push({ id: 'oops', type: 'embedding/normalize', inputs: { in: 'nope.out' } });
    const r = await engine.api.loadGraph(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]).toMatchObject({ nodeId: 'oops', field: 'inputs.in' });
    expect((await engine.api.graph())!.nodes.some((n) => n.id === 'oops')).toBe(false);
  });

  it('opens an unknown node type as a placeholder and says so across the worker', async () => {
    const odd = JSON.parse(playground);
    odd.nodes.push({ id: 'stranger', type: 'nope/nope', params: { x: 1 } });
    const r = await engine.api.loadGraph(odd);
    expect(r.ok && r.placeholders).toEqual([
      { nodeId: 'stranger', field: 'type', message: 'unknown node type "nope/nope"', placeholder: true },
    ]);
    expect((await engine.api.graph())!.nodes.find((n) => n.id === 'stranger')).toEqual({
      id: 'stranger',
      type: 'nope/nope',
      params: { x: 1 },
    });
  });

  it('cancels a run from the main thread', async () => {
    await engine.api.loadGraph({
      format: 'unclip-studio/graph',
      version: 1,
      nodes: [
        ...Array.from({ length: 200 }, (_, i) => ({
          id: `r${i}`,
          type: 'embedding/random',
          params: { seed: i, count: 64, dim: 512 },
        })),
      ],
    });
    const running = engine.api.run({ concurrency: 1 });
    await new Promise((r) => setTimeout(r, 20));
    await engine.api.cancel();
    const result = await running;
    expect(result.cancelled).toBe(true);
    expect(result.ran).toBeLessThan(200);
  });
});

describe('engine API', () => {
  /** An engine API whose transfer hook records the buffers it is handed. */
  const recordingTransfers = () => {
    const transferred: unknown[] = [];
    const api = createEngineApi(createRegistry(), nodeServices(), (value, buffers) => {
      transferred.push(...buffers);
      return value;
    });
    return { api, transferred };
  };

  it('hands tensor buffers to the transfer list instead of copying them across', async () => {
    const { api, transferred } = recordingTransfers();
    api.loadGraph({
      format: 'unclip-studio/graph',
      version: 1,
      nodes: [{ id: 'r', type: 'embedding/random', params: { dim: 16 } }],
    });
    await api.run();
    const t = api.tensor('r', 'out');
    expect(transferred).toContain(t.data.buffer);
    expect(t.data.length).toBe(16);
  });

  it(
    'sends the previews of a batch of images in one message, every buffer transferred, and refuses a range past ' +
      'the batch',
    async () => {
      const { api, transferred } = recordingTransfers();
      api.loadGraph({
        format: 'unclip-studio/graph',
        version: 1,
        nodes: [{ id: 'w', type: 'world/render-scene', params: { caption: 'a large red square', count: 5 } }],
      });
      await api.run();
      const list = api.imagePreviews('w', 'image', 1, 4, 32);
      expect(list).toHaveLength(4);
      for (const p of list) {
        expect([p.width, p.height]).toEqual([32, 32]);
        expect(transferred).toContain(p.rgba.buffer);
        // a red square: inside it, pixels are the spec's red (220, 40, 40)
        expect(
          Array.from({ length: 32 * 32 }, (_, i) => `${p.rgba[i * 4]},${p.rgba[i * 4 + 1]},${p.rgba[i * 4 + 2]}`),
        ).toContain('220,40,40');
      }
      // the previews are of images 1..4 in order: each matches the single preview of that index
      list.forEach((p, i) => expect(p.rgba).toEqual(api.imagePreview('w', 'image', i + 1, 32).rgba));
      expect(list[0]!.rgba).not.toEqual(list[1]!.rgba);
      expect(() => api.imagePreviews('w', 'image', 3, 3)).toThrow(/images 3\.\.5 out of range 0\.\.4/);
    },
  );

  it('lists node types with param widgets but no validator functions (structured-clone safe)', () => {
    const api = createEngineApi(createRegistry(), nodeServices());
    const catalog = api.catalog();
    expect(() => structuredClone(catalog)).not.toThrow();
    const slerp = catalog.find((n) => n.type === 'embedding/slerp')!;
    expect(slerp.params.t).toMatchObject({ kind: 'number', min: 0, max: 1, default: 0.5 });
    expect(slerp.family).toBe('embedding');
  });
});
