import { describe, expect, it } from 'vitest';
import { CURRENT_VERSION, GRAPH_FORMAT, type GraphDocument } from '../../src/graph/document';
import { pixelDifference } from '../../src/ui/compare-pixels';
import { describeRun, planEviction, runChanges, runSummary, storageLine } from '../../src/ui/run-record';
import { formatBytes } from '../../src/tensor/bytes';

const graph = (seed: number, extra: GraphDocument['nodes'] = [], x = 0): GraphDocument => ({
  format: GRAPH_FORMAT,
  version: CURRENT_VERSION,
  nodes: [
    { id: 'prompt', type: 'text/prompt', params: { text: 'a large red circle' }, ui: { x, y: 0 } },
    { id: 'seed', type: 'value/seed', params: { value: seed } },
    ...extra,
  ],
});

describe('what changed from the run before', () => {
  it('names a param changed, old -> new', () => {
    const changes = runChanges({ graph: graph(7), backend: 'wasm' }, { graph: graph(8), backend: 'wasm' });
    expect(changes).toEqual(['seed.value: 7 -> 8']);
    expect(runSummary(changes, 2)).toBe('seed.value: 7 -> 8');
  });

  it('names nodes added and removed, and a change of backend; moving a node is no change', () => {
    const up = { id: 'up', type: 'diffusion/upsample', params: { steps: 3 } };
    const added = runChanges({ graph: graph(7), backend: 'wasm' }, { graph: graph(7, [up], 99), backend: 'webgpu' });
    expect(added).toEqual(['+ up (diffusion/upsample)', 'backend: wasm -> webgpu']);
    expect(runChanges({ graph: graph(7, [up]), backend: 'wasm' }, { graph: graph(7), backend: '' })).toEqual([
      '- up (diffusion/upsample)',
    ]);
    expect(runChanges({ graph: graph(7), backend: 'wasm' }, { graph: graph(7, [], 500), backend: 'wasm' })).toEqual([]);
  });

  it('reads a param left out as its default', () => {
    const noSeed: GraphDocument = { ...graph(0), nodes: [graph(0).nodes[0]!, { id: 'seed', type: 'value/seed' }] };
    const defaults = (type: string) => (type === 'value/seed' ? { value: 0 } : undefined);
    expect(runChanges({ graph: noSeed, backend: '' }, { graph: graph(0), backend: '' }, defaults)).toEqual([]);
  });

  it('says a first run and a re-run of the same graph, and cuts a long line saying how many it leaves out', () => {
    expect(runSummary(null, 11)).toBe('first run kept (11 nodes)');
    expect(runSummary([], 11)).toBe('same graph as the run before');
    const many = Array.from({ length: 30 }, (_, i) => `node${i}.steps: ${i} -> ${i + 1}`);
    const line = runSummary(many, 30);
    expect(line.length).toBeLessThanOrEqual(160);
    expect(line).toMatch(/^node0\.steps: 0 -> 1; .*; \+\d+ more$/);
  });
});

describe("a run's row", () => {
  it('says the first run kept, the changes from the run before, or another graph', () => {
    const a = { graph: graph(7), backend: 'wasm' };
    expect(describeRun(null, a)).toEqual({ summary: 'first run kept (2 nodes)', changes: [] });
    expect(describeRun(a, { graph: graph(9), backend: 'wasm' })).toEqual({
      summary: 'seed.value: 7 -> 9',
      changes: ['seed.value: 7 -> 9'],
    });
    const other: GraphDocument = {
      ...graph(0),
      meta: { title: 'Caption similarity' },
      nodes: [{ id: 'red', type: 'text/prompt' }],
    };
    expect(describeRun(a, { graph: other, backend: 'wasm' })).toEqual({
      summary: 'another graph: "Caption similarity" (1 node)',
      changes: [],
    });
  });
});

describe('eviction by size budget', () => {
  const r = (id: number, bytes: number, pinned = false) => ({ id, bytes, pinned });

  it('evicts the oldest runs first until the rest fits', () => {
    // newest first: 4, 3, 2, 1
    expect(planEviction([r(4, 30), r(3, 30), r(2, 30), r(1, 30)], 70)).toEqual([1, 2]);
    expect(planEviction([r(4, 30), r(3, 30)], 60)).toEqual([]);
  });

  it('never evicts a pinned run, nor the newest even when it alone is over the budget', () => {
    expect(planEviction([r(4, 30), r(3, 30), r(2, 30), r(1, 30, true)], 70)).toEqual([2, 3]);
    expect(planEviction([r(2, 500), r(1, 10)], 100)).toEqual([1]);
    expect(planEviction([r(1, 500)], 100)).toEqual([]);
  });

  it('says what the history holds', () => {
    expect(storageLine(34, 48e6, 200e6, 3)).toBe('kept 34 runs, 48 MB of 200 MB; 3 oldest evicted');
    expect(storageLine(1, 812, 200e6, 0)).toBe('kept 1 run, 812 B of 200 MB');
    expect(formatBytes(3_400_000)).toBe('3.4 MB');
    // the one formatter of sizes (src/tensor/bytes.ts): the history's line says them as the lock and Models do
    expect(formatBytes(48_200)).toBe('48 kB');
  });
});

describe('the difference view', () => {
  it('shows |a - b| per channel amplified, opaque, with the largest and mean difference', () => {
    const a = new Uint8ClampedArray([10, 20, 30, 255, 0, 0, 0, 255]);
    const b = new Uint8ClampedArray([12, 20, 0, 255, 0, 0, 0, 0]);
    const d = pixelDifference(a, b, 4);
    expect([...d.rgba]).toEqual([8, 0, 120, 255, 0, 0, 0, 255]);
    expect(d.max).toBe(30);
    expect(d.mean).toBeCloseTo(32 / 6);
    expect(() => pixelDifference(a, new Uint8ClampedArray(4), 1)).toThrow(/differ in size/);
  });
});
