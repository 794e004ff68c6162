/**
 * The server's RunQueue (src/host/server-runs.ts) on a fake engine: a cancel that arrives while the graph loads
 * (when the engine's own cancel has no run to stop) still cancels the run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineApi } from '../../src/engine/api';
import { newRunId, RunQueue, RunStore, type RunRecord } from '../../src/host/server-runs';

function fakeEngine(loadMs: number) {
  const calls: string[] = [];
  const api = {
    loadGraph: async () => {
      calls.push('loadGraph');
      await new Promise((r) => setTimeout(r, loadMs));
      return { ok: true, issues: [], graph: { nodes: [] } };
    },
    catalog: async () => [],
    graph: async () => ({ nodes: [] }),
    // nothing running: nothing to stop (as the engine while it loads a graph)
    cancel: async () => void calls.push('cancel'),
    run: async () => {
      calls.push('run');
      return { ok: true, cancelled: false, ms: 1, nodes: {} };
    },
  };
  return { api: api as unknown as EngineApi, calls };
}

const record = (): RunRecord => ({
  id: newRunId(),
  source: 'api',
  status: 'queued',
  createdAt: new Date().toISOString(),
  graph: {},
  sets: [],
  nodes: {},
});

describe('RunQueue', () => {
  it('cancels a run whose graph is still loading: it never runs', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'run-queue-')));
    const { api, calls } = fakeEngine(300);
    const queue = new RunQueue(store, () => api);
    const r = record();
    await queue.submit(r, '{}', []);
    await new Promise((res) => setTimeout(res, 50));
    expect(store.get(r.id)!.status).toBe('running');
    expect(await queue.cancel(r.id)).toBe(true);
    for (let i = 0; i < 50 && store.get(r.id)!.status === 'running'; i++)
      await new Promise((res) => setTimeout(res, 20));
    expect(store.get(r.id)!.status).toBe('cancelled');
    expect(calls).not.toContain('run');
  });

  it("keeps a finished run's graph on disk only, read back when the run is asked for whole", async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'run-queue-')));
    const r = { ...record(), status: 'done' as const, graph: { nodes: [{ id: 'a', type: 'x' }] } };
    await store.save(r);
    expect(store.get(r.id)!.graph).toBeUndefined();
    expect((await store.full(r.id))!.graph).toEqual(r.graph);
  });

  it('refuses more than maxWaiting runs', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'run-queue-')));
    const queue = new RunQueue(store, () => fakeEngine(200).api, 1);
    await queue.submit(record(), '{}', []); // runs at once
    await queue.submit(record(), '{}', []); // waits
    expect(queue.full).toBe(true);
    await expect(queue.submit(record(), '{}', [])).rejects.toThrow('1 runs are waiting already');
  });
});
