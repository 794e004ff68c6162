import { describe, expect, it, vi } from 'vitest';
import { DownloadTracker, type DownloadProgress } from '../../src/models/runtime/download-progress';
import {
  createModelCache,
  groupCachedFiles,
  isModelFile,
  metadataHeaders,
  metadataOf,
  MODEL_CACHE_NAME,
  modelScopeUrl,
  modelSourceOf,
} from '../../src/models/runtime/model-cache';
import { sha256Hex, sha256OfBytes } from '../../src/tensor/hash';

/** The Cache API as far as the model cache uses it, in memory. */
class FakeCaches {
  readonly stores = new Map<string, Map<string, { body: ArrayBuffer; headers: Headers }>>();
  async open(name: string) {
    let store = this.stores.get(name);
    if (!store) this.stores.set(name, (store = new Map()));
    const s = store;
    return {
      async match(url: string | Request) {
        const e = s.get(typeof url === 'string' ? url : url.url);
        return e && new Response(e.body.slice(0), { headers: e.headers });
      },
      async put(url: string, res: Response) {
        s.set(url, { body: await res.arrayBuffer(), headers: res.headers });
      },
      async delete(url: string) {
        return s.delete(url);
      },
      async keys() {
        return [...s.keys()].map((u) => new Request(u));
      },
    };
  }
}

interface ServerOptions {
  length?: boolean;
  /** Validators sent with each file (an ETag from its bytes' hash), honoured in conditional requests. */
  etag?: boolean;
  lastModified?: string;
  contentType?: string;
}

/** A server of files whose bodies come in 1000-byte chunks; counts requests by URL, and their conditions. */
function fakeServer(files: Record<string, Uint8Array>, opts: ServerOptions = {}) {
  const hits: string[] = [];
  const asked: Array<Record<string, string>> = [];
  const server = { offline: false };
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    if (server.offline) throw new TypeError('Failed to fetch');
    const url = String(input);
    hits.push(url);
    const conditions = Object.fromEntries(new Headers(init?.headers).entries());
    asked.push(conditions);
    const body = files[url];
    if (!body) return new Response('no', { status: 404 });
    const etag = opts.etag ? `"${sha256Hex(body).slice(0, 16)}"` : undefined;
    const validators: Record<string, string> = {
      ...(etag ? { etag } : {}),
      ...(opts.lastModified ? { 'last-modified': opts.lastModified } : {}),
    };
    if ((etag && conditions['if-none-match'] === etag) || (!etag && conditions['if-modified-since']))
      return new Response(null, { status: 304, headers: validators });
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < body.length; i += 1000) c.enqueue(body.slice(i, i + 1000));
        c.close();
      },
    });
    const headers: Record<string, string> = {
      ...(opts.length === false ? {} : { 'content-length': String(body.length) }),
      ...(opts.contentType ? { 'content-type': opts.contentType } : {}),
      ...validators,
    };
    return new Response(stream, { headers });
  };
  return Object.assign(server, { fetch: fetch as typeof globalThis.fetch, hits, asked });
}

const bytesOf = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251);
const URL_TEXT = 'http://127.0.0.1:8000/models/clip/onnx/text_model.onnx';

function setup(files: Record<string, Uint8Array>, opts: ServerOptions & { limit?: number } = {}) {
  const notes: string[] = [];
  const caches = new FakeCaches();
  const server = fakeServer(files, opts);
  const tracker = new DownloadTracker(
    () => (opts.limit ? { bytes: opts.limit, why: 'a test limit' } : undefined),
    () => 0,
    0,
  );
  const cache = createModelCache({
    caches: caches as unknown as CacheStorage,
    fetch: server.fetch,
    tracker,
    now: () => 1_700_000_000_000,
    note: (m) => notes.push(m),
  });
  return { caches, server, tracker, cache, notes };
}

describe('the browser model cache', () => {
  it('downloads a file once with progress, then reads it from the cache without the network', async () => {
    const file = bytesOf(5500);
    const { cache, server, tracker, caches } = setup({ [URL_TEXT]: file });
    const seen: DownloadProgress[] = [];
    tracker.watch('http://127.0.0.1:8000/models/clip/', 'clip', (p) => seen.push(p));
    const sha256 = sha256Hex(file);
    expect(await cache.read(URL_TEXT, { sha256, bytes: file.length, model: 'mini-clip-text' })).toEqual(file);
    expect(server.hits).toEqual([URL_TEXT]);
    expect(seen.map((p) => p.loaded)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 5500, 5500]);
    expect(seen.at(-1)).toEqual({ loaded: 5500, total: 5500, files: 1, active: 0 });
    expect([...caches.stores.keys()]).toEqual([MODEL_CACHE_NAME]);

    expect(await cache.read(URL_TEXT, { sha256, bytes: file.length })).toEqual(file);
    expect(server.hits).toHaveLength(1); // the second read came from the cache
    expect(await cache.listFiles()).toEqual([
      {
        url: URL_TEXT,
        bytes: 5500,
        sha256,
        cachedAt: 1_700_000_000_000,
        model: 'mini-clip-text',
        source: 'http://127.0.0.1:8000/models/clip/',
      },
    ]);
  });

  it('hands on the bytes it checked, downloaded or cached, so the session does not hash them again', async () => {
    const file = bytesOf(3000);
    const { cache } = setup({ [URL_TEXT]: file });
    const sha256 = sha256Hex(file);
    const spy = vi.spyOn(globalThis.crypto.subtle, 'digest');
    try {
      const downloaded = await cache.read(URL_TEXT, { sha256, bytes: file.length });
      const hashedOnDownload = spy.mock.calls.length;
      expect(await sha256OfBytes(downloaded)).toBe(sha256);
      const cached = await cache.read(URL_TEXT, { sha256, bytes: file.length });
      expect(cached).not.toBe(downloaded); // a copy read back from the cache
      expect(await sha256OfBytes(cached)).toBe(sha256);
      expect(spy.mock.calls.length).toBe(hashedOnDownload);
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses bytes whose sha256 differs from the manifest, naming the file and both hashes', async () => {
    const file = bytesOf(3000);
    const { cache, caches } = setup({ [URL_TEXT]: file });
    const wrong = 'ab'.repeat(32);
    await expect(cache.read(URL_TEXT, { sha256: wrong })).rejects.toThrow(
      `onnx/text_model.onnx downloaded with sha256 ${sha256Hex(file)}, the manifest expects ${wrong} ` +
        '(a changed or damaged file; it was not kept)',
    );
    expect(caches.stores.get(MODEL_CACHE_NAME)!.size).toBe(0);
  });

  it('downloads again when the manifest names other bytes for a cached URL, and replaces the copy', async () => {
    const v1 = bytesOf(2000, 1);
    const v2 = bytesOf(2000, 2);
    const files = { [URL_TEXT]: v1 };
    const { cache, server } = setup(files);
    await cache.read(URL_TEXT, { sha256: sha256Hex(v1) });
    files[URL_TEXT] = v2;
    expect(await cache.read(URL_TEXT, { sha256: sha256Hex(v2) })).toEqual(v2);
    expect(server.hits).toHaveLength(2);
    expect((await cache.listFiles())[0]!.sha256).toBe(sha256Hex(v2));
  });

  it('reads a model folder file (no manifest sha256) from the cache once its server says it is unchanged', async () => {
    const file = bytesOf(1500);
    const { cache, server } = setup({ [URL_TEXT]: file }, { length: false, etag: true });
    expect(await cache.read(URL_TEXT)).toEqual(file);
    expect(await cache.read(URL_TEXT)).toEqual(file);
    // the second request asked with the ETag and got a 304: no body
    expect(server.hits).toHaveLength(2);
    expect(server.asked[1]).toEqual({ 'if-none-match': `"${sha256Hex(file).slice(0, 16)}"` });
    const [meta] = await cache.listFiles();
    expect(meta).toMatchObject({ bytes: 1500, sha256: sha256Hex(file), model: 'clip' });
  });

  it('takes a model folder file changed on its server (a new ETag) and keeps the new copy', async () => {
    const files = { [URL_TEXT]: bytesOf(1500, 1) };
    const { cache } = setup(files, { etag: true });
    await cache.read(URL_TEXT);
    files[URL_TEXT] = bytesOf(1500, 2);
    expect(await cache.read(URL_TEXT)).toEqual(bytesOf(1500, 2));
    expect((await cache.listFiles())[0]!.sha256).toBe(sha256Hex(bytesOf(1500, 2)));
  });

  it('asks with If-Modified-Since where the server gave only a Last-Modified', async () => {
    const lastModified = 'Wed, 21 Oct 2026 07:28:00 GMT';
    const { cache, server } = setup({ [URL_TEXT]: bytesOf(800) }, { lastModified });
    await cache.read(URL_TEXT);
    expect(await cache.read(URL_TEXT)).toEqual(bytesOf(800));
    expect(server.asked[1]).toEqual({ 'if-modified-since': lastModified });
    expect(await cache.listFiles()).toEqual([expect.objectContaining({ lastModified })]);
  });

  it('reads the cached copy offline, with a note saying the server could not be asked', async () => {
    const { cache, server, notes } = setup({ [URL_TEXT]: bytesOf(800) }, { etag: true });
    await cache.read(URL_TEXT);
    server.offline = true;
    expect(await cache.read(URL_TEXT)).toEqual(bytesOf(800));
    expect(notes).toEqual([
      'onnx/text_model.onnx: its server could not be asked whether it changed; the copy cached ' +
        '2023-11-14T22:13:20.000Z is used',
    ]);
  });

  it('refuses a web page served for a model file (an index.html for a missing path), keeping nothing', async () => {
    const page = new TextEncoder().encode('<!doctype html><title>app</title>');
    const { cache, caches } = setup({ [URL_TEXT]: page }, { contentType: 'text/html; charset=utf-8' });
    await expect(cache.read(URL_TEXT)).rejects.toThrow(
      /^onnx\/text_model\.onnx answered with a web page \(text\/html\), not a model file: is the URL right\?/,
    );
    expect(caches.stores.get(MODEL_CACHE_NAME)!.size).toBe(0);
  });

  it("refuses a model too big before fetching it (the manifest's size) or its body (Content-Length)", async () => {
    const file = bytesOf(5000);
    const { cache, server, caches } = setup({ [URL_TEXT]: file }, { limit: 4000 });
    await expect(cache.read(URL_TEXT, { bytes: 5000, model: 'big' })).rejects.toThrow(
      /^model "big" is 5\.0 kB, more than this browser can hold \(4\.0 kB: a test limit\)/,
    );
    expect(server.hits).toHaveLength(0);
    await expect(cache.read(URL_TEXT)).rejects.toThrow(/^model "text_model\.onnx" is 5\.0 kB/);
    expect(server.hits).toHaveLength(1); // only the headers came
    expect(caches.stores.get(MODEL_CACHE_NAME)!.size).toBe(0);
  });

  it('deletes files by URL, or all of them', async () => {
    const other = 'http://127.0.0.1:8000/models/unet/unet/model.onnx';
    const { cache } = setup({ [URL_TEXT]: bytesOf(100), [other]: bytesOf(200) });
    await cache.read(URL_TEXT);
    await cache.read(other);
    expect(await cache.remove([URL_TEXT])).toBe(1);
    expect((await cache.listFiles()).map((f) => f.url)).toEqual([other]);
    expect(await cache.remove()).toBe(1);
    expect(await cache.listFiles()).toEqual([]);
  });

  it('reads from the network where there is no Cache API (not a secure context)', async () => {
    const file = bytesOf(100);
    const server = fakeServer({ [URL_TEXT]: file });
    const cache = createModelCache({ fetch: server.fetch, tracker: new DownloadTracker(() => undefined) });
    expect(await cache.read(URL_TEXT)).toEqual(file);
    expect(await cache.read(URL_TEXT)).toEqual(file);
    expect(server.hits).toHaveLength(2);
    expect(await cache.listFiles()).toEqual([]);
  });
});

describe('cache keys and metadata', () => {
  it('takes model files by sha256 or by their ONNX names, not JSON', () => {
    expect(isModelFile('http://h/m/onnx/model_fp16.onnx')).toBe(true);
    expect(isModelFile('http://h/m/unet/model.onnx_data')).toBe(true);
    expect(isModelFile('http://h/m/model.onnx?download=1')).toBe(true);
    expect(isModelFile('http://h/sd/unet/weights.pb')).toBe(true);
    expect(isModelFile('http://h/m/config.json')).toBe(false);
    expect(isModelFile('http://h/m/weights.bin', { sha256: 'ab' })).toBe(true);
  });

  it('names the folder of a file, less the layout subfolder', () => {
    expect(modelSourceOf('http://h/clip-b32/onnx/text_model.onnx')).toBe('http://h/clip-b32/');
    expect(modelSourceOf('http://h/sd/unet/model.onnx')).toBe('http://h/sd/');
    expect(modelSourceOf('http://h/models/mini-clip-text.onnx')).toBe('http://h/models/');
  });

  it("finds a loader's files under its bundled folder, model folder or manifest's folder", () => {
    const app = 'http://127.0.0.1:4173/';
    expect(modelScopeUrl('', app)).toBe('http://127.0.0.1:4173/models/');
    expect(modelScopeUrl('http://h/clip-b32', app)).toBe('http://h/clip-b32/');
    expect(modelScopeUrl('http://h/x/manifest.json', app)).toBe('http://h/x/');
    expect(modelScopeUrl('models/manifest.json', app)).toBe('http://127.0.0.1:4173/models/');
  });

  it('round-trips its metadata through the cached response headers', () => {
    const meta = {
      bytes: 151_277_312,
      sha256: 'cd'.repeat(32),
      cachedAt: 1_700_000_000_000,
      model: 'clip vit/b32 "fp16"',
      source: 'http://h/clip b32/',
    };
    expect(metadataOf('http://h/a.onnx', new Headers(metadataHeaders(meta)))).toEqual({
      url: 'http://h/a.onnx',
      ...meta,
    });
    // a file cached without the headers still lists, named by its folder
    expect(metadataOf('http://h/clip/onnx/a.onnx', new Headers())).toMatchObject({ bytes: 0, model: 'clip' });
  });

  it('groups files by model, biggest first, with sizes summed and the latest time', () => {
    const f = (url: string, bytes: number, model: string, cachedAt: number) => ({
      url,
      bytes,
      sha256: '',
      cachedAt,
      model,
      source: modelSourceOf(url),
    });
    expect(
      groupCachedFiles([
        f('http://h/clip/onnx/text_model.onnx', 100, 'clip', 1),
        f('http://h/models/mini-dalle.onnx', 50, 'mini-dalle', 3),
        f('http://h/clip/onnx/vision_model.onnx', 200, 'clip', 2),
      ]),
    ).toEqual([
      {
        model: 'clip',
        source: 'http://h/clip/',
        bytes: 300,
        cachedAt: 2,
        urls: ['http://h/clip/onnx/text_model.onnx', 'http://h/clip/onnx/vision_model.onnx'],
      },
      {
        model: 'mini-dalle',
        source: 'http://h/models/',
        bytes: 50,
        cachedAt: 3,
        urls: ['http://h/models/mini-dalle.onnx'],
      },
    ]);
  });
});
