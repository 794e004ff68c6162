/**
 * A sweep sent to the server (`npm run serve -- --queue redis://…`): checked as `graph sweep --queue` checks it,
 * queued on BullMQ, run by a worker, followed with GET /api/sweeps/:id. A real redis-server on a free port.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineServer, type EngineServer } from '../../src/host/server';
import { queueSweeps } from '../../src/cli/serve-sweeps';
import { startQueueWorker } from '../../src/queue/bullmq';
import { EnginePool } from '../../src/queue/local';
import { startRedis, type TestRedis } from '../queue/redis';

const graph = JSON.parse(readFileSync(new URL('../../graphs/text-to-image.json', import.meta.url), 'utf8')) as {
  nodes: Array<{ id: string; params?: Record<string, unknown> }>;
};
for (const [id, steps] of [
  ['prior', 2],
  ['decoder', 2],
  ['up64', 1],
  ['image', 1],
] as const)
  graph.nodes.find((n) => n.id === id)!.params!.steps = steps;

let redis: TestRedis;
let server: EngineServer;
let noQueue: EngineServer;
beforeAll(async () => {
  redis = await startRedis();
  const dataDir = mkdtempSync(join(tmpdir(), 'serve-sweeps-'));
  server = await startEngineServer({ port: 0, dataDir, sweeps: queueSweeps(redis.url, dataDir) });
  noQueue = await startEngineServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'serve-noqueue-')) });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await noQueue?.close();
  await redis?.stop();
});

const post = (s: EngineServer, body: unknown, token = s.token) =>
  fetch(`${s.url}/api/sweeps`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });

describe('sweeps through the server', () => {
  it('refuses without the token, without a queue, and a grid naming a param that is not there', async () => {
    expect((await post(server, { graph, grid: ['seed.value=1..2'] }, 'nope')).status).toBe(401);
    const none = await post(noQueue, { graph, grid: ['seed.value=1..2'] });
    expect(none.status).toBe(501);
    expect(((await none.json()) as { error: string }).error).toContain('--queue');
    const bad = await post(server, { graph, grid: ['decoder.nope=1,2'] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/node "decoder".*no param "nope"/);
    const file = await post(server, { graph, grid: ['prompt.text=@/etc/passwd'] });
    expect(file.status).toBe(400);
    expect(((await file.json()) as { error: string }).error).toContain('reads no @file');
  });

  it("refuses a graph or a grid value that reads outside the server's allowed folders, naming the node", async () => {
    const load = (src: string) => ({
      format: 'unclip-studio/graph',
      version: 3,
      nodes: [{ id: 'img', type: 'io/load-image', params: { src } }],
    });
    const inGraph = await post(server, { graph: load('/etc/passwd'), grid: ['img.src=examples/red-circle.png'] });
    expect(inGraph.status).toBe(400);
    const a = (await inGraph.json()) as { error: string; issues: Array<{ nodeId: string; field: string }> };
    expect(a.issues).toEqual([expect.objectContaining({ nodeId: 'img', field: 'params.src' })]);
    expect(a.error).toContain('--allow-path');
    const inGrid = await post(server, {
      graph: load('examples/red-circle.png'),
      grid: ['img.src=examples/red-circle.png,/etc/passwd'],
    });
    expect(inGrid.status).toBe(400);
    const b = (await inGrid.json()) as { error: string; issues: Array<{ nodeId: string }> };
    expect(b.issues).toEqual([expect.objectContaining({ nodeId: 'img' })]);
    expect(b.error).toContain('/etc/passwd');
  });

  it('queues a grid on BullMQ; a worker runs it; the server follows its jobs', async () => {
    const res = await post(server, { graph, grid: ['seed.value=1..3'] });
    expect(res.status).toBe(202);
    const { id, jobs, keys } = (await res.json()) as { id: string; jobs: number; keys: string[] };
    expect(jobs).toBe(3);
    expect(new Set(keys).size).toBe(3);
    const worker = startQueueWorker(redis.url, new EnginePool(), { concurrency: 1 });
    try {
      const t0 = Date.now();
      let state: { total: number; done: number; failed: number; jobs: Array<{ images?: string[] }> };
      do {
        await new Promise((r) => setTimeout(r, 300));
        const got = await fetch(`${server.url}/api/sweeps/${id}`, {
          headers: { Authorization: `Bearer ${server.token}` },
        });
        state = (await got.json()) as typeof state;
      } while (state.done + state.failed < state.total && Date.now() - t0 < 120_000);
      expect(state).toMatchObject({ total: 3, done: 3, failed: 0 });
      // each job's picture, kept by the server, fetched with the token's header
      for (const j of state.jobs) {
        expect(j.images).toEqual([
          expect.stringMatching(new RegExp(`^/api/sweeps/${id}/files/[0-9a-f]+/image\\.png$`)),
        ]);
        expect((await fetch(server.url + j.images![0]!)).status).toBe(401);
        const png = await fetch(server.url + j.images![0]!, { headers: { Authorization: `Bearer ${server.token}` } });
        expect(png.headers.get('content-type')).toBe('image/png');
        expect([...new Uint8Array(await png.arrayBuffer()).slice(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
      }
      // a picture that exists, named through ..: refused for its path (a .png, so the .png rule is not why)
      const [, key, name] = /files\/([0-9a-f]+)\/([^/]+)$/.exec(state.jobs[0]!.images![0]!)!;
      const escape = await fetch(`${server.url}/api/sweeps/${id}/files/..%2F${id}%2F${key}/${name}`, {
        headers: { Authorization: `Bearer ${server.token}` },
      });
      expect(escape.status).toBe(404);
      const deeper = await fetch(`${server.url}/api/sweeps/${id}/files/..%2F..%2Fsweeps%2F${id}%2F${key}/${name}`, {
        headers: { Authorization: `Bearer ${server.token}` },
      });
      expect(deeper.status).toBe(404);
    } finally {
      await worker.close();
    }
  }, 180_000);
});
