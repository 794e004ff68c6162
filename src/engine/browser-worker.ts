/// <reference lib="webworker" />
/** The engine in a web worker, behind the comlink API. All model work happens here, off the UI thread. */
import { expose, transfer } from 'comlink';
import { createRegistry } from '../../nodes/index';
import { createEngineApi, type EngineApi } from './api';
import { createBrowserModelRuntime, fetchBytes } from '../models/runtime-browser';

const ready: Promise<EngineApi> = (async () => {
  const models = await createBrowserModelRuntime().catch((e: unknown) => {
    console.warn(`models unavailable: ${(e as Error).message}`);
    return undefined;
  });
  return createEngineApi(createRegistry(), { readBytes: fetchBytes, models }, transfer);
})();

// Exposed at once (messages must not arrive before a listener); each call waits for the models.
const methods = ['catalog', 'validateGraph', 'loadGraph', 'setParam', 'run', 'cancel', 'graphKey', 'summaries', 'imagePreview', 'imagePreviews', 'imagePng', 'tensor', 'value', 'embeddingView', 'cacheInfo', 'setCacheBudget', 'graph'] as const;
// Every API method must be listed: a method added to the API but not here fails the type-check.
const everyMethodListed: Exclude<keyof EngineApi, (typeof methods)[number]> extends never ? true : never = true;
void everyMethodListed;
const api = Object.fromEntries(methods.map((m) => [m, async (...args: unknown[]) => {
  const real = await ready;
  return (real[m] as (...a: unknown[]) => unknown)(...args);
}]));
expose(api);
