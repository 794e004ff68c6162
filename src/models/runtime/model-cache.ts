/**
 * The model cache of the browser (issue 38), over its platform pieces: model files are downloaded by a streaming
 * fetch whose bytes are reported to the loader node that asked (download-progress.ts), checked by sha256 where the
 * manifest names one, and kept in the Cache API under their URL, so a second visit reads them from disk without
 * touching the network. Files that fail the check are never kept. A file no manifest gives a sha256 for (a model
 * folder by URL) may change on its server: it is kept with its ETag / Last-Modified and asked about again with a
 * conditional request on each read (304: the cached copy; offline: the cached copy, with a note). A web page
 * (text/html: a site's index served for a missing file) is refused, never kept as a model. A model too big for the
 * browser (model-limit.ts) is refused before its bytes are fetched. A cross-origin server must allow the
 * If-None-Match / If-Modified-Since request headers (CORS) to be asked; one that does not counts as unreachable.
 * Headless Node has its own cache (src/host/hub.ts). The browser's instances are in model-cache-browser.ts; this
 * file takes the Cache API, fetch and the tracker as arguments (tests pass fakes).
 */
import { knownSha256, sha256HexAsync } from '../../tensor/hash';
import type { DownloadTracker } from './download-progress';
import type { FileExpectation } from './file-expectation';
import { folderBase, isModelFolder } from './published-layout';

/** The Cache API cache holding model files; its version changes if what it holds must be read differently. */
export const MODEL_CACHE_NAME = 'unclip-studio-models-v1';

/** A model file kept in the cache, as the Models panel lists it. */
export interface CachedModelFile {
  url: string;
  bytes: number;
  /** Lowercase hex sha256 of the bytes, computed when they were downloaded. */
  sha256: string;
  /** When it was kept (ms since the epoch). */
  cachedAt: number;
  /** The model it belongs to: the manifest's id, or the model folder's name. */
  model: string;
  /** Where the model comes from: the model folder's URL, or the folder of the manifest naming it. */
  source: string;
  /** The server's validators when it was downloaded: a file without a manifest sha256 is revalidated by them. */
  etag?: string;
  lastModified?: string;
}

/**
 * Files read through the cache: those a manifest gives a sha256 for, and ONNX files and their external data
 * (`model.onnx_data`, diffusers' `unet/weights.pb`); not JSON, which is small and may change with the app.
 */
export function isModelFile(url: string, expect?: FileExpectation): boolean {
  return !!expect?.sha256 || /\.(onnx|onnx_data|onnx\.data|ort)$|\/weights\.pb$/i.test(url.replace(/[?#].*$/, ''));
}

/** The folder a model file is part of: its own folder, less a published layout's onnx/ or unet/ subfolder. */
export function modelSourceOf(url: string): string {
  const dir = url.replace(/[?#].*$/, '').replace(/[^/]*$/, '');
  return dir.replace(/\/(onnx|unet|text_encoder|vae_decoder|vae_encoder)\/$/i, '/');
}

/**
 * Where a loader's model files lie, as the absolute URL prefix its downloads are watched under: the bundled
 * models' folder ('' = the bundled models), a model folder, or the folder of a manifest (its files resolve there).
 */
export function modelScopeUrl(manifest: string, appBase: string): string {
  try {
    if (!manifest) return new URL('models/', appBase).href;
    if (isModelFolder(manifest)) return new URL(folderBase(manifest), appBase).href;
    return new URL('.', new URL(manifest, appBase)).href;
  } catch {
    return manifest; // not a URL (a picked folder's reference): compared as it is
  }
}

/** A model's name when the manifest gives none: its folder's last name. */
function folderNameOf(source: string): string {
  return source.replace(/\/+$/, '').split('/').pop() || source;
}

/** The cached Response's headers that say what it is (the body is the file as downloaded). */
export function metadataHeaders(f: Omit<CachedModelFile, 'url'>): Record<string, string> {
  return {
    'content-type': 'application/octet-stream',
    'content-length': String(f.bytes),
    'x-model-sha256': f.sha256,
    'x-model-cached-at': String(f.cachedAt),
    'x-model-name': encodeURIComponent(f.model),
    'x-model-source': encodeURIComponent(f.source),
    ...(f.etag ? { 'x-model-etag': f.etag } : {}),
    ...(f.lastModified ? { 'x-model-last-modified': f.lastModified } : {}),
  };
}

/** What the cache says of a file, read back from its headers (a missing or bad field reads as empty). */
export function metadataOf(url: string, headers: Headers): CachedModelFile {
  const text = (name: string) => {
    try {
      return decodeURIComponent(headers.get(name) ?? '');
    } catch {
      return '';
    }
  };
  const source = text('x-model-source') || modelSourceOf(url);
  const etag = headers.get('x-model-etag');
  const lastModified = headers.get('x-model-last-modified');
  return {
    url,
    bytes: Number(headers.get('content-length') ?? 0) || 0,
    sha256: headers.get('x-model-sha256') ?? '',
    cachedAt: Number(headers.get('x-model-cached-at') ?? 0) || 0,
    model: text('x-model-name') || folderNameOf(source),
    source,
    ...(etag ? { etag } : {}),
    ...(lastModified ? { lastModified } : {}),
  };
}

/** A cached model, as the Models panel shows it: its files summed. */
export interface CachedModel {
  model: string;
  source: string;
  bytes: number;
  /** When its latest file was kept. */
  cachedAt: number;
  urls: string[];
}

/** Cached files grouped by model (a CLIP folder's text and image halves are one row), biggest first. */
export function groupCachedFiles(files: CachedModelFile[]): CachedModel[] {
  const groups = new Map<string, CachedModel>();
  for (const f of files) {
    const key = `${f.model}\n${f.source}`;
    const g = groups.get(key) ?? { model: f.model, source: f.source, bytes: 0, cachedAt: 0, urls: [] };
    g.bytes += f.bytes;
    g.cachedAt = Math.max(g.cachedAt, f.cachedAt);
    g.urls.push(f.url);
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.bytes - a.bytes || a.model.localeCompare(b.model));
}

export interface ModelCacheDeps {
  /** The Cache API (absent outside a secure context: files are then downloaded each time). */
  caches?: CacheStorage;
  fetch: typeof fetch;
  tracker: DownloadTracker;
  hash?: (bytes: Uint8Array) => Promise<string>;
  now?: () => number;
  /** Said when a cached copy is used without the server's word on it (offline); console.warn by default. */
  note?: (message: string) => void;
}

/** The model cache over its platform pieces (the browser's, or fakes in tests). */
export function createModelCache(deps: ModelCacheDeps) {
  const hash = deps.hash ?? sha256HexAsync;
  const now = deps.now ?? Date.now;
  const note = deps.note ?? ((m: string) => console.warn(`model cache: ${m}`));
  const open = async (): Promise<Cache | undefined> => {
    try {
      return await deps.caches?.open(MODEL_CACHE_NAME);
    } catch {
      return undefined; // storage refused (private mode, quota): read from the network
    }
  };

  /** Bytes of a model file: the cached copy when it matches, else a checked, streamed download that is then kept. */
  const read = async (url: string, expect: FileExpectation = {}): Promise<Uint8Array> => {
    const cache = await open();
    const hit = await cache?.match(url);
    let res: Response | undefined;
    if (hit) {
      const meta = metadataOf(url, hit.headers);
      const cached = async () => {
        deps.tracker.admit(url, meta.bytes, expect.model);
        const bytes = new Uint8Array(await hit.arrayBuffer());
        // kept only once its sha256 was checked: the runtime need not hash the copy again (transformers.js hashes
        // nothing); a copy damaged on disk then fails when its session opens, and the Models panel deletes it
        return meta.sha256 ? knownSha256(bytes, meta.sha256) : bytes;
      };
      if (expect.sha256 && meta.sha256 === expect.sha256) return cached();
      if (!expect.sha256) {
        // no sha256 says which bytes are wanted: the server is asked whether its file changed since
        const asked = await revalidate(url, meta);
        if (asked === 'unchanged') return cached();
        if (asked === 'unreachable') {
          note(
            `${fileNameOf(url)}: its server could not be asked whether it changed; the copy cached ` +
              `${new Date(meta.cachedAt).toISOString()} is used`,
          );
          return cached();
        }
        res = asked;
      }
      // the manifest names other bytes for this URL, or the server has a new file: the old copy goes
      await cache!.delete(url);
    }
    // the manifest's size refuses a model too big before any request
    if (expect.bytes) deps.tracker.admit(url, expect.bytes, expect.model);
    res ??= await deps.fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    if (/^\s*text\/html\b/i.test(res.headers.get('content-type') ?? '')) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(
        `${fileNameOf(url)} answered with a web page (text/html), not a model file: is the URL right? (a site ` +
          'often serves its index page for a file it does not have); it was not kept',
      );
    }
    const length = Number(res.headers.get('content-length') ?? 0) || 0;
    if (!expect.bytes && length) {
      try {
        deps.tracker.admit(url, length, expect.model);
      } catch (e) {
        await res.body?.cancel().catch(() => undefined); // only the headers came
        throw e;
      }
    }
    const bytes = await streamBytes(url, res, length || expect.bytes || 0, deps.tracker);
    const sha256 = await hash(bytes);
    if (expect.sha256 && sha256 !== expect.sha256)
      throw new Error(
        `${fileNameOf(url)} downloaded with sha256 ${sha256}, the manifest expects ${expect.sha256} ` +
          '(a changed or damaged file; it was not kept)',
      );
    const source = modelSourceOf(url);
    const etag = res.headers.get('etag');
    const lastModified = res.headers.get('last-modified');
    const meta = {
      bytes: bytes.length,
      sha256,
      cachedAt: now(),
      model: expect.model ?? folderNameOf(source),
      source,
      ...(etag ? { etag } : {}),
      ...(lastModified ? { lastModified } : {}),
    };
    try {
      await cache?.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: metadataHeaders(meta) }));
    } catch (e) {
      console.warn(`model cache: ${fileNameOf(url)} not kept (${(e as Error).message})`);
    }
    return knownSha256(bytes, sha256);
  };

  /**
   * Asks the server whether a cached file changed, by its validators: 'unchanged' (304), a new response to read
   * (200, or any answer where the copy has no validator to ask with), or 'unreachable' (offline, refused, an HTTP
   * error: the copy is all there is).
   */
  const revalidate = async (url: string, meta: CachedModelFile): Promise<'unchanged' | 'unreachable' | Response> => {
    const headers: Record<string, string> = {};
    if (meta.etag) headers['if-none-match'] = meta.etag;
    if (meta.lastModified) headers['if-modified-since'] = meta.lastModified;
    let res: Response;
    try {
      res = await deps.fetch(url, { headers });
    } catch {
      return 'unreachable';
    }
    if (res.status === 304) {
      await res.body?.cancel().catch(() => undefined);
      return 'unchanged';
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      return 'unreachable';
    }
    return res;
  };

  /** Every cached model file with what is known of it. */
  const listFiles = async (): Promise<CachedModelFile[]> => {
    const cache = await open();
    if (!cache) return [];
    const files: CachedModelFile[] = [];
    for (const req of await cache.keys()) {
      const res = await cache.match(req);
      if (res) files.push(metadataOf(req.url, res.headers));
    }
    return files;
  };

  /** Deletes these URLs from the cache (all of it when none are given); says how many files went. */
  const remove = async (urls?: string[]): Promise<number> => {
    const cache = await open();
    if (!cache) return 0;
    const list = urls ?? (await cache.keys()).map((r) => r.url);
    let n = 0;
    for (const u of list) if (await cache.delete(u)) n++;
    return n;
  };

  return { read, listFiles, remove };
}

/** Reads a response's body chunk by chunk, telling the tracker how far it got. */
async function streamBytes(url: string, res: Response, total: number, tracker: DownloadTracker): Promise<Uint8Array> {
  tracker.started(url, total);
  try {
    if (!res.body) {
      const whole = new Uint8Array(await res.arrayBuffer());
      tracker.advanced(url, whole.length);
      return whole;
    }
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    // the length known, bytes go straight into one buffer (a second copy of a 500 MB model is a lot)
    let into = total ? new Uint8Array(total) : undefined;
    let loaded = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (into && loaded + value.length <= into.length) into.set(value, loaded);
      else {
        if (into) chunks.push(into.subarray(0, loaded));
        into = undefined;
        chunks.push(value);
      }
      loaded += value.length;
      tracker.advanced(url, loaded);
    }
    if (into) return loaded === into.length ? into : into.slice(0, loaded);
    const out = new Uint8Array(loaded);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  } finally {
    tracker.ended(url);
  }
}

function fileNameOf(url: string): string {
  return url
    .replace(/[?#].*$/, '')
    .split('/')
    .slice(-2)
    .join('/');
}
