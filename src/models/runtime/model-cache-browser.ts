/**
 * The browser's model cache and download tracker, one of each per page or worker (the engine worker uses them).
 *
 * For the start-up measurements (issue 41, `npm run bench -- models`): everything lives in one Cache API cache
 * named MODEL_CACHE_NAME, so `caches.delete(MODEL_CACHE_NAME)` (in the page or the worker: same origin, same
 * storage) empties it, and `clearModelCache()` / `listModelCache()` below do the same from code.
 */
import { DownloadTracker } from './download-progress';
import { browserModelLimit } from './model-limit';
import { createModelCache, type CachedModelFile } from './model-cache';

export { MODEL_CACHE_NAME, isModelFile, type CachedModelFile } from './model-cache';

/** The figures the browser gives about its memory, where it gives them. */
function browserMemory() {
  const nav = (globalThis as { navigator?: { deviceMemory?: number } }).navigator;
  const mem = (globalThis as { performance?: { memory?: { jsHeapSizeLimit?: number } } }).performance?.memory;
  return { deviceMemoryGb: nav?.deviceMemory, jsHeapSizeLimit: mem?.jsHeapSizeLimit };
}

/** This page's (worker's) download tracker: the model cache reports to it, loader nodes watch it. */
export const browserDownloads = new DownloadTracker(() => browserModelLimit(browserMemory()));

let shared: ReturnType<typeof createModelCache> | undefined;
/** The model cache of this page or worker (the Cache API where it is, the page's fetch). */
export function browserModelCache(): ReturnType<typeof createModelCache> {
  shared ??= createModelCache({
    caches: (globalThis as { caches?: CacheStorage }).caches,
    fetch: (input, init) => fetch(input, init),
    tracker: browserDownloads,
  });
  return shared;
}

/** Every model file in the browser's model cache (for the Models panel and issue 41's measurements). */
export function listModelCache(): Promise<CachedModelFile[]> {
  return browserModelCache().listFiles();
}

/** Empties the browser's model cache, so the next load downloads again; says how many files went. */
export function clearModelCache(): Promise<number> {
  return browserModelCache().remove();
}
