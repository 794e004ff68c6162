import { wrap, type Remote } from 'comlink';
import type { EngineApi } from '../engine/api';

let engine: Remote<EngineApi> | null = null;

/** The engine worker (one per tab), reached through comlink. */
export function getEngine(): Remote<EngineApi> {
  if (!engine) {
    const worker = new Worker(new URL('../engine/browser-worker.ts', import.meta.url), { type: 'module' });
    engine = wrap<EngineApi>(worker);
  }
  return engine;
}
