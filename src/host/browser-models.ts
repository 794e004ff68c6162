/**
 * What the browser worker gives the engine about models besides their bytes: downloads reported to the loader
 * node that caused them, held to what the browser can hold, and the model cache the Models panel lists.
 */
import type { EngineServices } from '../node-api/services';
import { browserDownloads, browserModelCache } from '../models/runtime/model-cache-browser';
import { modelScopeUrl } from '../models/runtime/model-cache';
import { baseUrl } from '../models/runtime/runtime-browser';

export function browserModelServices(): Required<Pick<EngineServices, 'downloads' | 'modelCache'>> {
  const cache = browserModelCache();
  return {
    downloads: {
      watch: (manifest, model, onProgress) =>
        browserDownloads.watch(modelScopeUrl(manifest, baseUrl()), model, onProgress),
      limit: () => browserDownloads.limit(),
    },
    modelCache: { list: () => cache.listFiles(), remove: (urls) => cache.remove(urls) },
  };
}
