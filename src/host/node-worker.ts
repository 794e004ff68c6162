/** The engine in a Node worker_thread, behind the same comlink API as the browser worker. */
import { parentPort, workerData } from 'node:worker_threads';
import { expose, transfer } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createRegistry } from '../../nodes/index';
import { createEngineApi } from '../engine/api';
import { nodeServices } from './node-services';
import { policyReader, type AccessPolicy } from './access';
import type { HubOptions } from './hub';
import { createModelRuntime } from '../models/runtime/runtime-node';
import type { Device } from '../models/runtime/device-node';

if (!parentPort) throw new Error('node-worker.ts must run in a worker_thread');
const options = (workerData ?? {}) as {
  cacheBytes?: number;
  modelsDir?: string;
  access?: AccessPolicy;
  native?: boolean;
  device?: Device;
  hub?: HubOptions;
};
// headless runs read only what their access policy allows (src/host/access.ts)
const services = nodeServices({
  models: await createModelRuntime(options.modelsDir, options.native ? 'node' : 'web', 1, options.device),
  ...(options.access ? { readBytes: policyReader(options.access, options.hub) } : {}),
});
expose(createEngineApi(createRegistry(), services, transfer, options.cacheBytes), nodeEndpoint(parentPort));
