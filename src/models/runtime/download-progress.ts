/**
 * Routes the bytes of model downloads to the loader node that caused them. The byte reader (the browser's model
 * cache) knows URLs, not nodes; a loader watches the URLs under its model's folder while it runs (a scope), and
 * sees the downloads under it summed: "downloading 12 / 151 MB". A scope also holds the model's size to the
 * browser's limit (model-limit.ts) before each file is downloaded. Pure: no fetch, no DOM; the clock is passed in.
 */
import { formatBytes } from '../../tensor/bytes';
import { sizeRefusal, type MemoryLimit } from './model-limit';

/** What a loader sees of its downloads: bytes so far and in all, over the files started in its scope. */
export interface DownloadProgress {
  loaded: number;
  total: number;
  files: number;
  /** Files still arriving (0: all are in, the loader is hashing and opening them). */
  active?: number;
}

/** A loader node's line while its files download. */
export function downloadLabel(p: DownloadProgress): string {
  if (p.active === 0) return `downloaded ${formatBytes(p.loaded)}, loading`;
  if (!p.total) return `downloading ${formatBytes(p.loaded)}`;
  // both figures in the unit of the total, so the line reads "12 / 151 MB" and does not jump between units
  const [total, unit] = formatBytes(p.total).split(' ') as [string, string];
  const scale = p.total / Number(total);
  const loaded = p.loaded / scale;
  const shown = Number(total) < 10 && unit !== 'B' ? loaded.toFixed(1) : Math.floor(loaded).toString();
  return `downloading ${shown} / ${total} ${unit}`;
}

/** The fraction done, 0..1 (0 while the total is unknown). */
export function downloadFraction(p: DownloadProgress): number {
  return p.total > 0 ? Math.min(1, p.loaded / p.total) : 0;
}

/** Thrown before a file is fetched when the model it belongs to would not fit (a clear sentence, no stack to read). */
export class ModelTooBigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelTooBigError';
  }
}

interface Scope {
  prefix: string;
  model: string;
  /** Bytes of the files admitted in this scope (downloaded or read from the cache): the model's size so far. */
  held: number;
  files: Map<string, { loaded: number; total: number; ended?: boolean }>;
  onProgress: (p: DownloadProgress) => void;
  lastAt: number;
}

/** One per host (the browser worker): readers report to it, loaders watch it. */
export class DownloadTracker {
  private scopes = new Set<Scope>();

  /**
   * @param limit what a model may weigh here (undefined: no limit, as headless)
   * @param now a clock in milliseconds (performance.now in the browser, a fake in tests)
   * @param everyMs the least time between two progress reports of one scope (the last one is always sent)
   */
  constructor(
    readonly limit: () => MemoryLimit | undefined,
    private readonly now: () => number = () => performance.now(),
    private readonly everyMs = 100,
  ) {}

  /** Reports downloads of URLs under `prefix` (absolute) to `onProgress` until the returned function is called. */
  watch(prefix: string, model: string, onProgress: (p: DownloadProgress) => void): () => void {
    const scope: Scope = { prefix, model, held: 0, files: new Map(), onProgress, lastAt: -Infinity };
    this.scopes.add(scope);
    return () => this.scopes.delete(scope);
  }

  /**
   * Counts a file of `bytes` toward the model of each scope it lies in, and throws ModelTooBigError (counting
   * nothing) when that makes a model bigger than the limit, or when the file alone is, in no scope.
   */
  admit(url: string, bytes: number, model?: string): void {
    const limit = this.limit();
    const scopes = this.scopesOf(url);
    if (limit) {
      if (!scopes.length) {
        const why = sizeRefusal(model ?? fileName(url), bytes, limit);
        if (why) throw new ModelTooBigError(why);
      }
      for (const s of scopes) {
        const why = sizeRefusal(s.model, s.held + bytes, limit);
        if (why) throw new ModelTooBigError(why);
      }
    }
    for (const s of scopes) s.held += bytes;
  }

  /** A download of `url` has started: `total` bytes (0 when unknown). */
  started(url: string, total: number): void {
    for (const s of this.scopesOf(url)) {
      s.files.set(url, { loaded: 0, total });
      this.report(s, false);
    }
  }

  /** `loaded` bytes of `url` have arrived (reports are thinned to one per `everyMs` per scope). */
  advanced(url: string, loaded: number): void {
    for (const s of this.scopesOf(url)) {
      const f = s.files.get(url);
      if (!f) continue;
      f.loaded = loaded;
      this.report(s, false);
    }
  }

  /** The download of `url` is over (done or failed): its scopes hear the final figure. */
  ended(url: string): void {
    for (const s of this.scopesOf(url)) {
      const f = s.files.get(url);
      if (!f) continue;
      // a file whose length was unknown is as long as what arrived
      if (!f.total) f.total = f.loaded;
      f.ended = true;
      this.report(s, true);
    }
  }

  private scopesOf(url: string): Scope[] {
    return [...this.scopes].filter((s) => url.startsWith(s.prefix));
  }

  private report(s: Scope, force: boolean): void {
    const t = this.now();
    if (!force && t - s.lastAt < this.everyMs) return;
    s.lastAt = t;
    let loaded = 0;
    let total = 0;
    let active = 0;
    for (const f of s.files.values()) {
      if (!f.ended) active++;
      loaded += f.loaded;
      // a compressed response's Content-Length is less than what arrives
      total += Math.max(f.total, f.loaded);
    }
    s.onProgress({ loaded, total, files: s.files.size, active });
  }
}

function fileName(url: string): string {
  return (
    url
      .replace(/[?#].*$/, '')
      .replace(/\/+$/, '')
      .split('/')
      .pop() || url
  );
}
