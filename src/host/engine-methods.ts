import type { EngineApi } from '../engine/api';

/**
 * Every method of the engine API, by name: what the browser's engine worker exposes (src/host/browser-worker.ts), the
 * server's WebSocket sessions forward (src/host/server-session.ts) and the editor's server engine offers
 * (src/ui/server-engine.ts). A method added to the API but not here fails
 * the type-check; a name here that the API lacks is refused by the engine when called.
 */
export const ENGINE_METHODS = [
  'catalog',
  'allowReferences',
  'validateGraph',
  'loadGraph',
  'lockModels',
  'checkModelLock',
  'locateModel',
  'locateModelUrl',
  'setLockPolicy',
  'setParam',
  'run',
  'runtimeInfo',
  'cancel',
  'graphKey',
  'pinInspected',
  'summaries',
  'imagePreview',
  'imagePreviews',
  'maskOverlay',
  'imagePng',
  'provenance',
  'tensor',
  'value',
  'embeddingView',
  'cacheInfo',
  'setCacheBudget',
  'graph',
  'modelChoices',
  'inspectModels',
  'tokenize',
  // the Models panel's (issue 38): a server has no browser model cache, and lists none
  'cachedModels',
  'deleteCachedModels',
] as const;

export type EngineMethod = (typeof ENGINE_METHODS)[number];
const everyMethodListed: Exclude<keyof EngineApi, EngineMethod> extends never ? true : never = true;
void everyMethodListed;
