import { wrap, type Remote } from 'comlink';
import type { EngineApi } from '../engine/api';

let engine: Remote<EngineApi> | null = null;

/** The engine worker (one per tab), reached through comlink. */
export function getEngine(): Remote<EngineApi> {
  if (!engine) {
    const worker = new Worker(new URL('../host/browser-worker.ts', import.meta.url), { type: 'module' });
    engine = wrap<EngineApi>(worker);
  }
  return engine;
}

let opening: Promise<unknown> = Promise.resolve();
/** Marks a graph being opened (validated by the worker): a Run pressed meanwhile runs the graph being opened. */
export function trackOpening<T>(p: Promise<T>): Promise<T> {
  const prev = opening;
  opening = Promise.all([prev, p.catch(() => undefined)]);
  return p;
}
/** Settles once every graph being opened is shown (or refused). */
export function openingSettled(): Promise<unknown> {
  return opening;
}
