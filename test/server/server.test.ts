/**
 * The server engine (`npm run serve`, src/host/server.ts) on a free loopback port: real HTTP, a real WebSocket, the
 * engine in worker_threads on onnxruntime-node as `npm run serve` runs it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startEngineServer, type EngineServer } from '../../src/host/server';
import { createServerEngine } from '../../src/ui/server-engine';
import { tokenProtocol, WS_PROTOCOL } from '../../src/host/wire';
import type { NodeEvent } from '../../src/engine/events';

const ROOT = new URL('../..', import.meta.url).pathname;
const graph = JSON.parse(readFileSync(join(ROOT, 'graphs/text-to-image.json'), 'utf8')) as {
  nodes: Array<{ id: string; type: string; params?: Record<string, unknown>; inputs?: Record<string, string> }>;
};
/** The default graph, made quick: few steps everywhere. */
const quick = { 'prior.steps': 2, 'decoder.steps': 2, 'up64.steps': 1, 'image.steps': 1 };

let server: EngineServer;
let data: string;
let allowed: string;
const get = (path: string, token?: string, init: RequestInit = {}) =>
  fetch(server.url + path, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
  });
const post = (path: string, body: unknown, token = server.token) =>
  get(path, token, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, ms = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await what();
    if (ok(v)) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${JSON.stringify(v).slice(0, 400)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
interface RunView {
  status: string;
  sets: string[];
  nodes: Record<string, { status: string; files: string[] }>;
}
const runOf = async (id: string) => (await (await get(`/api/runs/${id}`, server.token)).json()) as RunView;

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), 'serve-data-'));
  allowed = mkdtempSync(join(tmpdir(), 'serve-allowed-'));
  writeFileSync(join(allowed, 'picture.png'), readFileSync(join(ROOT, 'public/examples/red-circle.png')));
  server = await startEngineServer({
    port: 0,
    dataDir: data,
    allowPaths: [allowed],
    allowOrigins: ['http://localhost:5173'],
    engine: { native: true },
  });
});
afterAll(async () => {
  await server?.close();
});

describe('the server engine over HTTP', () => {
  it('refuses every API request without the token, and runs nothing', async () => {
    const none = await post('/api/runs', { graph }, '');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post('/api/runs', { graph }, `${server.token}x`)).status).toBe(401);
    expect((await get('/api/runs')).status).toBe(401);
    const list = (await (await get('/api/runs', server.token)).json()) as { runs: unknown[] };
    expect(list.runs).toEqual([]);
  });

  it('refuses a bad graph with 400 naming the node', async () => {
    const bad = structuredClone(graph);
    bad.nodes.find((n) => n.id === 'decoder')!.inputs!.prior = 'nowhere.embedding';
    const res = await post('/api/runs', { graph: bad });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: Array<{ nodeId: string }> };
    expect(body.error).toContain('node "decoder"');
    expect(body.issues.some((i) => i.nodeId === 'decoder')).toBe(true);
    // a set naming a param that is not there, too
    const set = await post('/api/runs', { graph, sets: { 'prior.nope': 3 } });
    expect(set.status).toBe(400);
    expect(((await set.json()) as { error: string }).error).toMatch(/node "prior".*no param "nope"/);
  });

  it('refuses a graph that reads outside the bundled models and --allow-path folders, naming the node', async () => {
    const hostile = {
      format: 'unclip-studio/graph',
      version: 3,
      nodes: [{ id: 'img', type: 'io/load-image', params: { src: '/etc/passwd' } }],
    };
    const res = await post('/api/runs', { graph: hostile });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: Array<{ nodeId: string; field: string }> };
    expect(body.issues).toEqual([expect.objectContaining({ nodeId: 'img', field: 'params.src' })]);
    expect(body.error).toContain('--allow-path');
    // a folder given with --allow-path is readable
    const ok = await post('/api/runs', {
      graph: { ...hostile, nodes: [{ ...hostile.nodes[0], params: { src: join(allowed, 'picture.png') } }] },
    });
    expect(ok.status).toBe(201);
    const { id } = (await ok.json()) as { id: string };
    const done = await until(
      () => runOf(id),
      (r) => !['queued', 'running'].includes(r.status),
    );
    expect(done.status).toBe('done');
  });

  it('runs the default graph to done; its pictures are fetched with the token header only', async () => {
    const res = await post('/api/runs', { graph, sets: { ...quick, 'seed.value': 3 } });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const run = await until(
      () => runOf(id),
      (r) => !['queued', 'running'].includes(r.status),
    );
    expect(run.status).toBe('done');
    expect(run.sets).toContain('seed.value=3');
    expect(run.nodes.image!.status).toBe('done');
    const url = run.nodes.image!.files[0]!;
    expect(url).toBe(`/api/runs/${id}/files/image.png`);
    expect((await get(url)).status).toBe(401);
    const png = await get(url, server.token);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect([...new Uint8Array(await png.arrayBuffer()).slice(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    const list = (await (await get('/api/runs', server.token)).json()) as { runs: Array<{ id: string }> };
    expect(list.runs[0]!.id).toBe(id);
  });

  it('cancels a run with DELETE', async () => {
    const res = await post('/api/runs', { graph, sets: { 'prior.steps': 1000, 'seed.value': 11 } });
    const { id } = (await res.json()) as { id: string };
    await until(
      () => runOf(id),
      (r) => r.status === 'running',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect((await get(`/api/runs/${id}`, server.token, { method: 'DELETE' })).status).toBe(202);
    const run = await until(
      () => runOf(id),
      (r) => !['queued', 'running'].includes(r.status),
      30_000,
    );
    expect(run.status).toBe('cancelled');
    expect((await get(`/api/runs/${id}`, server.token, { method: 'DELETE' })).status).toBe(409);
  });

  it('refuses sets that read outside the allowed folders, naming the node, before the run is accepted', async () => {
    const picture = {
      format: 'unclip-studio/graph',
      version: 3,
      nodes: [{ id: 'img', type: 'io/load-image', params: { src: join(allowed, 'picture.png') } }],
    };
    const res = await post('/api/runs', { graph: picture, sets: { 'img.src': '/etc/passwd' } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: Array<{ nodeId: string; field: string }> };
    expect(body.issues).toEqual([expect.objectContaining({ nodeId: 'img', field: 'params.src' })]);
    expect(body.error).toContain('/etc/passwd');
    expect(((await (await get('/api/runs', server.token)).json()) as { runs: unknown[] }).runs).not.toContainEqual(
      expect.objectContaining({ sets: ['img.src=/etc/passwd'] }),
    );
  });

  it("answers a run's files only by their names: escapes 404, a malformed escape 400", async () => {
    const res = await post('/api/runs', { graph: { format: 'unclip-studio/graph', version: 3, nodes: [] } });
    const { id } = (await res.json()) as { id: string };
    await until(
      () => runOf(id),
      (r) => r.status === 'done',
    );
    for (const name of ['..%2Frun.json', '..%2F..%2Fruns%2F' + id + '%2Frun.json', '..%2F' + id + '%2Fx.png'])
      expect((await get(`/api/runs/${id}/files/${name}`, server.token)).status).toBe(404);
    const malformed = await get(`/api/runs/${id}/files/%E0%A4%A.png`, server.token);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toContain('malformed');
    expect((await get('/api/runs/%zz', server.token)).status).toBe(400);
    // the scheme's name in any case (RFC 9110)
    expect((await get('/api/runs', undefined, { headers: { Authorization: `bearer ${server.token}` } })).status).toBe(
      200,
    );
  });

  it('sends CORS and CORP headers only to the origins named with --allow-origin', async () => {
    const pre = (origin: string) =>
      get('/api/runs', undefined, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Headers': 'authorization' },
      });
    const named = await pre('http://localhost:5173');
    expect(named.status).toBe(204);
    expect(named.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(named.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const other = await pre('http://evil.example');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const plain = await get('/api/runs', server.token, { headers: { Origin: 'http://evil.example' } });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    expect(plain.headers.get('cross-origin-resource-policy')).toBe('same-origin');
  });

  it('answers only Host names of the loopback (no DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path: '/api/runs', headers: { Host: 'evil.example' } },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
  });
});

describe('the server engine over its WebSocket', () => {
  const socket = (u: string, p: string[]) => new WebSocket(u, p) as unknown as globalThis.WebSocket;
  const wsUrl = () => `${server.url.replace('http', 'ws')}/api/ws`;

  it('refuses the upgrade without the token: no socket, an oversized message never read', async () => {
    const engine = createServerEngine(server.url, 'wrong', { socket });
    await expect(engine.api.catalog()).rejects.toThrow(`the server at ${server.url} refused the token`);
    for (const protocols of [[], [WS_PROTOCOL], [WS_PROTOCOL, tokenProtocol(`${server.token}x`)]]) {
      const ws = new WebSocket(wsUrl(), protocols);
      const code = await new Promise((resolve) =>
        ws.on('unexpected-response', (q, r) => {
          q.destroy();
          resolve(r.statusCode);
        }),
      );
      expect(code).toBe(401);
    }
    // a client that writes a huge frame right after its upgrade request gets 401 and the connection closed
    const { connect } = await import('node:net');
    const reply = await new Promise<string>((resolve, reject) => {
      const c = connect(server.port, '127.0.0.1', () => {
        c.write(
          `GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
        // a frame header announcing 200 MiB (masked, as a client's must be), then the start of it
        const head = Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0x0c, 0x80, 0, 0, 1, 2, 3, 4]);
        c.write(Buffer.concat([head, Buffer.alloc(1024 * 1024)]));
      });
      let got = '';
      c.on('data', (d: Buffer) => (got += d.toString('latin1')));
      c.on('error', () => resolve(got));
      c.on('close', () => resolve(got));
      setTimeout(() => reject(new Error(`still open: ${got.slice(0, 80)}`)), 10_000).unref();
    });
    expect(reply).toMatch(/^HTTP\/1\.1 401/);
    // a page of another origin cannot even open one
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws`, { origin: 'http://evil.example' });
    const code = await new Promise((resolve) => ws.on('unexpected-response', (_q, r) => resolve(r.statusCode)));
    expect(code).toBe(403);
  });

  it('runs the graph as the worker does: events with previews, results, pictures, and the run kept', async () => {
    const engine = createServerEngine(server.url, server.token, { socket });
    const api = engine.api;
    const g = structuredClone(graph);
    for (const [k, v] of Object.entries(quick)) g.nodes.find((n) => n.id === k.split('.')[0])!.params!.steps = v;
    const loaded = await api.loadGraph(g);
    expect(loaded.ok).toBe(true);
    const events: NodeEvent[] = [];
    const result = await api.run({ backend: 'wasm' }, (e: NodeEvent) => void events.push(e));
    expect(result.ok).toBe(true);
    expect(events.some((e) => e.nodeId === 'decoder' && e.status === 'running' && e.progress !== undefined)).toBe(true);
    const preview = await api.imagePreview('image', 'image', 0, 64);
    expect(preview.rgba).toBeInstanceOf(Uint8ClampedArray);
    expect(preview.rgba.length).toBe(preview.width * preview.height * 4);
    const t = await api.tensor('image', 'image');
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.shape).toEqual([1, 256, 256, 3]);
    const list = (await (await get('/api/runs', server.token)).json()) as {
      runs: Array<{ source: string; status: string; files: string[] }>;
    };
    expect(list.runs[0]).toMatchObject({ source: 'editor', status: 'done' });
    expect(list.runs[0]!.files).toContain(
      `/api/runs/${(list.runs[0] as unknown as { id: string }).id}/files/image.png`,
    );
    engine.close();
  });

  it('cancels a run', async () => {
    const engine = createServerEngine(server.url, server.token, { socket });
    const g = structuredClone(graph);
    g.nodes.find((n) => n.id === 'prior')!.params!.steps = 1000;
    g.nodes.find((n) => n.id === 'seed')!.params!.value = 99;
    await engine.api.loadGraph(g);
    const running = engine.api.run({});
    await new Promise((r) => setTimeout(r, 1500));
    await engine.api.cancel();
    const r = await running;
    expect(r.cancelled).toBe(true);
    engine.close();
  });

  it('reads no file outside the allowed folders for a graph sent over the WebSocket', async () => {
    const engine = createServerEngine(server.url, server.token, { socket });
    const loaded = await engine.api.loadGraph({
      format: 'unclip-studio/graph',
      version: 3,
      nodes: [{ id: 'img', type: 'io/load-image', params: { src: '/etc/passwd' } }],
    });
    expect(loaded.ok).toBe(true);
    const r = await engine.api.run({});
    expect(r.ok).toBe(false);
    expect(r.nodes.img).toMatchObject({ status: 'error' });
    expect(r.nodes.img!.message).toContain('outside the folders');
    engine.close();
  });

  it('records a run whose editor closed mid-run as ended, not running; DELETE of an editor run is 409', async () => {
    const engine = createServerEngine(server.url, server.token, { socket });
    const g = structuredClone(graph);
    g.nodes.find((n) => n.id === 'prior')!.params!.steps = 1000;
    g.nodes.find((n) => n.id === 'seed')!.params!.value = 77;
    await engine.api.loadGraph(g);
    void engine.api.run({}).catch(() => undefined);
    const listed = async () =>
      ((await (await get('/api/runs', server.token)).json()) as { runs: Array<{ id: string; status: string }> }).runs;
    const before = await until(listed, (runs) => runs[0]?.status === 'running');
    const id = before[0]!.id;
    const del = await get(`/api/runs/${id}`, server.token, { method: 'DELETE' });
    expect(del.status).toBe(409);
    expect(((await del.json()) as { error: string }).error).toContain("editor's run");
    await new Promise((r) => setTimeout(r, 1000));
    engine.close();
    const after = await until(
      () => runOf(id),
      (r) => r.status !== 'running',
      30_000,
    );
    expect(['cancelled', 'interrupted']).toContain(after.status);
  });

  it('fails the calls waiting on a server that goes away, saying so', async () => {
    const doomed = await startEngineServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'serve-doomed-')) });
    const closed: string[] = [];
    const engine = createServerEngine(doomed.url, doomed.token, { socket, onClosed: (m) => closed.push(m) });
    const g = structuredClone(graph);
    g.nodes.find((n) => n.id === 'prior')!.params!.steps = 1000;
    await engine.api.loadGraph(g);
    const running = engine.api.run({});
    await new Promise((r) => setTimeout(r, 1500));
    const failed = expect(running).rejects.toThrow(`the server at ${doomed.url} closed the connection`);
    await doomed.close();
    await failed;
    expect(closed).toEqual([`the server at ${doomed.url} closed the connection`]);
    // the next call connects again: to nothing here
    await expect(engine.api.catalog()).rejects.toThrow(`cannot reach the server at ${doomed.url}`);
  });
});

describe('a server at its limits', () => {
  it('takes at most maxSessions editors and maxWaiting queued runs, saying so', async () => {
    const tight = await startEngineServer({
      port: 0,
      dataDir: mkdtempSync(join(tmpdir(), 'serve-tight-')),
      maxSessions: 1,
      maxWaiting: 0,
    });
    try {
      const socket = (u: string, p: string[]) => new WebSocket(u, p) as unknown as globalThis.WebSocket;
      const first = createServerEngine(tight.url, tight.token, { socket });
      await first.connect();
      const second = createServerEngine(tight.url, tight.token, { socket });
      await expect(second.connect()).rejects.toThrow('as many editors connected as it takes');
      first.close();
      const res = await fetch(`${tight.url}/api/runs`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${tight.token}` },
        body: JSON.stringify({ graph: { format: 'unclip-studio/graph', version: 3, nodes: [] } }),
      });
      expect(res.status).toBe(503);
    } finally {
      await tight.close();
    }
  });
});

describe('a server that fails', () => {
  it('answers 500 without the error message (no paths of its data folder), and logs it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'serve-broken-'));
    const logged: string[] = [];
    const broken = await startEngineServer({ port: 0, dataDir, log: (l) => logged.push(l) });
    try {
      // the runs folder replaced by a file: saving a run fails with a message naming its path
      rmSync(join(dataDir, 'runs'), { recursive: true });
      writeFileSync(join(dataDir, 'runs'), '');
      const res = await fetch(`${broken.url}/api/runs`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${broken.token}` },
        body: JSON.stringify({ graph: { format: 'unclip-studio/graph', version: 3, nodes: [] } }),
      });
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).not.toContain(dataDir);
      expect(logged.join('\n')).toContain(dataDir);
    } finally {
      await broken.close();
    }
  }, 60_000);
});

/** Stops a process group started detached, and waits for its leader. */
async function stopGroup(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
}

describe('npm run serve', () => {
  it('refuses an --allow-path that is no folder and a short UNCLIP_STUDIO_TOKEN', () => {
    const serve = (args: string[], env: Record<string, string> = {}) =>
      spawnSync('npx', ['tsx', 'src/cli/serve.ts', '--port', '0', ...args], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const missing = serve(['--allow-path', join(data, 'no-such-folder')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no-such-folder: no such folder');
    const short = serve([], { UNCLIP_STUDIO_TOKEN: 'short' });
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('UNCLIP_STUDIO_TOKEN has 5 characters');
  }, 120_000);

  it('prints one line with its address and token, keeps its runs across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'serve-cli-'));
    const start = () => {
      const child = spawn('npx', ['tsx', 'src/cli/serve.ts', '--port', '0', '--data', dataDir, '--dist', data], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        // a group of its own: npx and tsx run the server in a grandchild, which the stop must reach too
        detached: true,
      });
      const line = new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out);
        });
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
      });
      return { child, line };
    };
    const first = start();
    const out = await first.line;
    const m = /^unclip-studio server at (http:\/\/127\.0\.0\.1:(\d+)) token (\S+)\n$/.exec(out);
    expect(m).not.toBeNull();
    const [, url, , token] = m!;
    expect(token!.length).toBeGreaterThanOrEqual(32);
    expect((await fetch(`${url}/api/runs`)).status).toBe(401);
    const bad = await fetch(`${url}/api/runs`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: JSON.stringify({ graph: { nodes: 3 } }),
    });
    expect(bad.status).toBe(400);
    const made = await fetch(`${url}/api/runs`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: JSON.stringify({ graph: { format: 'unclip-studio/graph', version: 3, nodes: [] } }),
    });
    const { id } = (await made.json()) as { id: string };
    await until(
      async () =>
        (await (await fetch(`${url}/api/runs/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json()) as {
          status: string;
        },
      (r) => r.status === 'done',
    );
    await stopGroup(first.child);
    const second = start();
    const [, url2, , token2] = /at (http:\/\/127\.0\.0\.1:(\d+)) token (\S+)/.exec(await second.line)!;
    expect(token2).not.toBe(token);
    const list = (await (
      await fetch(`${url2}/api/runs`, { headers: { Authorization: `Bearer ${token2}` } })
    ).json()) as {
      runs: Array<{ id: string; status: string }>;
    };
    expect(list.runs).toEqual([expect.objectContaining({ id, status: 'done' })]);
    await stopGroup(second.child);
  });
});
