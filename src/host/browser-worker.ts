/// <reference lib="webworker" />
/** The engine in a web worker, behind the comlink API. All model work happens here, off the UI thread. */
import './no-eval';
import { expose, transfer } from 'comlink';
import { createRegistry } from '../../nodes/index';
import { createEngineApi, type EngineApi } from '../engine/api';
import { createBrowserModelRuntime, fetchBytes } from '../models/runtime/runtime-browser';
import { isBundledReference } from '../graph/references';
import type { FileExpectation } from '../models/runtime/file-expectation';
import { browserModelServices } from './browser-models';
import { createPickedFolders, type PickedFolderApi } from './picked-folders';
import { isFolderReference } from './model-folder-ref';
import { ENGINE_METHODS } from './engine-methods';
import { openGraphModels } from './open-graph-models';
import { BACKENDS, type Backend } from '../models/runtime/backend';
// the editor's default graph: its models are opened while the editor opens
import { DEFAULT_GRAPH } from './default-graph';

performance.mark('studio:worker-start');

// model folders the editor picked or had dropped (read from disk when a run needs a file of one)
const folders = createPickedFolders();

const ready: Promise<EngineApi> = (async () => {
  const models = await createBrowserModelRuntime().catch((e: unknown) => {
    console.warn(`models unavailable: ${(e as Error).message}`);
    return undefined;
  });
  performance.mark('studio:manifest');
  // compile and start the WASM engine while the editor opens, so the first run does not wait for it
  void models
    ?.prewarm()
    .then(() => performance.mark('studio:wasm-ready'))
    .catch(() => undefined);
  // A graph from a link, file, paste or PNG is untrusted: its files and URLs are fetched only once the
  // user allowed them (the editor lists them); the app's own files are always readable.
  const allowed = new Set<string>();
  const readBytes = (src: string, expect?: FileExpectation) => {
    // an allowed manifest's folder is allowed too: the manifest names the model files beside it
    const ok =
      isBundledReference(src) ||
      allowed.has(src) ||
      [...allowed].some((a) => /^(https?|folder):\/\//i.test(a) && src.startsWith(a.slice(0, a.lastIndexOf('/') + 1)));
    if (!ok) {
      return Promise.reject(
        new Error(
          `${src.length > 120 ? `${src.slice(0, 117)}...` : src} is held: allow this graph's references (the ` +
            `banner above the canvas) to fetch it`,
        ),
      );
    }
    return isFolderReference(src) ? folders.read(src) : fetchBytes(src, expect);
  };
  // a folder that is not here is said so (pick it again) before any question of allowing it
  const readHere = (src: string, expect?: FileExpectation) => {
    const gone = folders.missing(src);
    return gone ? Promise.reject(gone) : readBytes(src, expect);
  };
  const registry = createRegistry();
  const services = {
    readBytes: readHere,
    models,
    // downloads shown on loader nodes and held to the browser's memory; the Models panel's cache
    ...browserModelServices(),
    allowReferences: (refs: string[]) => refs.forEach((r) => allowed.add(r)),
  };
  // on the backend the editor last chose (its *models on*, passed in the worker's name): where a run asks for another
  // one, the sessions opened ahead would be the wrong ones
  const chosen = /(?:^| )backend=(\w+)/.exec(self.name)?.[1] as Backend | undefined;
  if (chosen && BACKENDS.includes(chosen)) models?.setBackend(chosen);
  // the default graph's models downloaded (or read from the model cache), checked and opened meanwhile, in parallel
  // (unless the page opens another graph, from a link: its models are not these, and the work would delay it)
  if (models && !/(?:^| )ahead=no(?: |$)/.test(self.name))
    void openGraphModels(registry, services, DEFAULT_GRAPH)
      .then(() => performance.mark('studio:models-ready'))
      .catch(() => undefined);
  return createEngineApi(registry, services, transfer);
})();

// Exposed at once (messages must not arrive before a listener); each call waits for the models.
// the one list of API methods (src/host/engine-methods.ts: a method missing there fails the type-check)
const methods = ENGINE_METHODS;
const api = Object.fromEntries(
  methods.map((m) => [
    m,
    async (...args: unknown[]) => {
      const real = await ready;
      return (real[m] as (...a: unknown[]) => unknown)(...args);
    },
  ]),
);
const folderApi: PickedFolderApi = {
  addModelFolder: (folder, as) => folders.addModelFolder(folder, as),
  modelFolders: () => folders.modelFolders(),
};
expose({ ...api, ...folderApi });
