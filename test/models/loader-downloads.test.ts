import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import type { NodeEvent } from '../../src/engine/events';
import { Engine } from '../../src/engine/scheduler';
import { nodeServices, PUBLIC_DIR } from '../../src/host/node-services';
import { DownloadTracker } from '../../src/models/runtime/download-progress';
import type { FileExpectation } from '../../src/models/runtime/file-expectation';
import { graphText } from '../helpers/models';
import { createModelRuntime } from '../../src/models/runtime/runtime-node';
import type { ModelRuntime } from '../../src/models/runtime/runtime';
import type { RunContext } from '../../src/node-api';
import { refuseTooBig } from '../../nodes/kit/downloads';
import { createModelCache, isModelFile, modelScopeUrl } from '../../src/models/runtime/model-cache';

// The loaders' side of the browser's downloads (nodes/kit/downloads.ts), on Node wired as the browser worker is
// (browser-models.ts, runtime-browser.ts's fetchBytes): model files read through the real model cache, streamed from
// a fake server, reporting to a DownloadTracker whose scopes come from modelScopeUrl. What the node shows, a second
// run from the cache, and a model refused before its files.
const APP = 'http://127.0.0.1:4173/';
const MANIFEST = `${APP}models/manifest.json`;

/** The app's models served from public/models in 256 kB chunks with their length; the URLs asked, in order. */
function modelServer() {
  const hits: string[] = [];
  const fetch = async (input: RequestInfo | URL) => {
    const url = String(input);
    hits.push(url);
    let body: Uint8Array;
    try {
      body = readFileSync(join(PUBLIC_DIR, new URL(url).pathname));
    } catch {
      return new Response('no', { status: 404 });
    }
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < body.length; i += 256_000) c.enqueue(body.slice(i, i + 256_000));
        c.close();
      },
    });
    return new Response(stream, { headers: { 'content-length': String(body.length) } });
  };
  return { fetch: fetch as typeof globalThis.fetch, hits };
}

/** A Cache API in memory, as far as the model cache uses it. */
function memoryCaches(): CacheStorage {
  const store = new Map<string, { body: ArrayBuffer; headers: Headers }>();
  const cache = {
    match: async (url: string) => {
      const e = store.get(url);
      return e && new Response(e.body.slice(0), { headers: e.headers });
    },
    put: async (url: string, res: Response) =>
      void store.set(url, { body: await res.arrayBuffer(), headers: res.headers }),
    delete: async (url: string) => store.delete(url),
    keys: async () => [...store.keys()].map((u) => new Request(u)),
  };
  return { open: async () => cache } as unknown as CacheStorage;
}

function engineWith(limitBytes: number) {
  const tracker = new DownloadTracker(
    () => ({ bytes: limitBytes, why: 'a test limit' }),
    () => 0,
    0,
  );
  const server = modelServer();
  const cache = createModelCache({ caches: memoryCaches(), fetch: server.fetch, tracker });
  const read: Array<{ src: string; expect?: FileExpectation }> = [];
  // runtime-browser.ts's fetchBytes: model files through the cache, the rest fetched
  const readBytes = async (src: string, expect?: FileExpectation) => {
    read.push({ src, expect });
    if (isModelFile(src, expect)) return cache.read(src, expect);
    const res = await server.fetch(src);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
  return {
    read,
    hits: server.hits,
    engine: async () =>
      new Engine(
        createRegistry(),
        nodeServices({
          readBytes,
          models: await createModelRuntime(),
          // browser-models.ts's downloads service
          downloads: {
            watch: (manifest, model, onProgress) => tracker.watch(modelScopeUrl(manifest, APP), model, onProgress),
            limit: () => tracker.limit(),
          },
        }),
      ),
  };
}

const loader = { id: 'clip', type: 'clip/load-model', params: { model: 'mini-clip', manifest: MANIFEST } };

describe('a loader in a host that reports downloads', () => {
  it('shows its files downloading, summed over both CLIP halves, then loading; read from the cache after', async () => {
    const { engine, read, hits } = engineWith(4 * 2 ** 30);
    const e = await engine();
    e.load(graphText([loader]));
    const events: NodeEvent[] = [];
    const result = await e.run({ onEvent: (ev) => events.push(ev) });
    expect(result.ok).toBe(true);
    const labels = events.filter((ev) => ev.nodeId === 'clip' && ev.label).map((ev) => ev.label);
    // both halves stream at once: their sizes summed as each starts, the bytes rising chunk by chunk
    expect(labels).toContain('downloading 0.0 / 5.6 MB');
    const loaded = labels.slice(0, -1).map((l) => Number(/^downloading ([\d.]+) \//.exec(l!)![1]));
    expect(loaded.length).toBeGreaterThan(20);
    expect(loaded).toEqual([...loaded].sort((x, y) => x - y));
    expect(labels.at(-2)).toBe('downloading 5.6 / 5.6 MB');
    expect(labels.at(-1)).toBe('downloaded 5.6 MB, loading');
    expect(hits.filter((h) => h.endsWith('.onnx'))).toHaveLength(2);
    // a second engine (a reload): the files come from the cache, admitted to the scope, and not fetched
    const again = await engine();
    again.load(graphText([loader]));
    expect((await again.run()).ok).toBe(true);
    expect(hits.filter((h) => h.endsWith('.onnx'))).toHaveLength(2);
    // the manifest's sha256, size and id reach the reader with each model file
    const text = read.find((r) => r.src.endsWith('mini-clip-text.onnx'))!;
    expect(text.expect).toMatchObject({ model: 'mini-clip-text', bytes: 2513723 });
    expect(text.expect!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a model over the limit before reading any of its files, naming it, its size and the limit', async () => {
    const { engine, read, hits } = engineWith(5_000_000);
    const e = await engine();
    e.load(graphText([loader]));
    const result = await e.run();
    expect(result.nodes.clip).toMatchObject({
      status: 'error',
      field: 'params.model',
      message: expect.stringMatching(
        /^model "mini-clip" is 5\.6 MB, more than this browser can hold \(5\.0 MB: a test limit\); it was not/,
      ),
    });
    expect(read.filter((r) => r.src.endsWith('.onnx'))).toEqual([]);
    expect(hits.filter((h) => h.endsWith('.onnx'))).toEqual([]);
  });
});

describe('the size a loader holds a model to', () => {
  const ctx = (limit?: number) =>
    ({
      nodeId: 'unet',
      services: {
        readBytes: () => Promise.reject(new Error('not read')),
        downloads: { watch: () => () => undefined, limit: () => limit && { bytes: limit, why: 'a test limit' } },
      },
    }) as unknown as RunContext;
  const runtime = {
    entry: () => ({
      bytes: 1_000_000,
      externalData: [{ location: 'model.onnx_data', sha256: '', bytes: 5_000_000_000 }],
    }),
  } as unknown as ModelRuntime;
  const loader = { manifest: 'http://h/sd/manifest.json', model: 'sd-unet' };

  it('counts the external data files beside the ONNX file', () => {
    expect(() => refuseTooBig(ctx(4e9), loader, runtime, ['unet'])).toThrow(
      /params.model: model "sd-unet" is 5\.0 GB, more than this browser can hold \(4\.0 GB: a test limit\)/,
    );
    refuseTooBig(ctx(6e9), loader, runtime, ['unet']);
  });

  it('holds nothing where the host has no limit (headless), nor a model folder (its sizes come with its files)', () => {
    refuseTooBig(ctx(undefined), loader, runtime, ['unet']);
    refuseTooBig(ctx(4e9), { manifest: 'http://h/sd', model: 'sd-unet' }, runtime, ['unet']);
  });
});
