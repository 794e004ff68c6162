import { Worker } from 'node:worker_threads';
import { wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { EngineApi } from '../engine/api';
import type { AccessPolicy } from './access';
import type { HubOptions } from './hub';
import type { Device } from '../models/runtime/device-node';

export type { Device };

export interface NodeEngine {
  api: Remote<EngineApi>;
  worker: Worker;
  terminate(): Promise<void>;
}

/**
 * Starts the engine in a worker_thread and returns its comlink proxy. The
 * worker runs the TypeScript sources through tsx's loader (node-worker-entry.mjs). `native` runs the models on
 * onnxruntime-node (CPU) instead of onnxruntime-web's WASM; `device` cuda on its CUDA provider (the CPU, said in
 * the first run's notices, where it cannot be had).
 */
export function startNodeEngine(
  options: {
    cacheBytes?: number;
    modelsDir?: string;
    access?: AccessPolicy;
    native?: boolean;
    device?: Device;
    /** Where repo ids are fetched from and cached (hub.ts); plain data: a worker's stderr is no terminal. */
    hub?: Omit<HubOptions, 'progress'>;
  } = {},
): NodeEngine {
  const hub = { tty: Boolean(process.stderr.isTTY), ...options.hub };
  const worker = new Worker(new URL('./node-worker-entry.mjs', import.meta.url), {
    workerData: { ...options, hub },
  });
  const api = wrap<EngineApi>(nodeEndpoint(worker));
  return {
    api,
    worker,
    terminate: async () => {
      await worker.terminate();
    },
  };
}
