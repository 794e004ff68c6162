import * as ort from 'onnxruntime-web';
import { createRuntime, loadManifest, type ModelRuntime, type ModelSource } from './runtime';

/** The app's base URL (Vite's BASE_URL), absolute. */
function baseUrl(): string {
  return new URL(import.meta.env.BASE_URL ?? '/', self.location.origin).href;
}

/** Bytes of a URL (relative ones resolve against the app), with a clear error. */
export async function fetchBytes(src: string): Promise<Uint8Array> {
  const url = new URL(src, baseUrl()).href;
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${src}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new Error(`cannot fetch ${src}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * onnxruntime-web in the engine worker: WASM files served by the app itself
 * (public/ort, copied from node_modules), threads when cross-origin isolated.
 */
export async function createBrowserModelRuntime(): Promise<ModelRuntime> {
  ort.env.wasm.wasmPaths = new URL('ort/', baseUrl()).href;
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  const root = new URL('models/', baseUrl()).href;
  const source: ModelSource = {
    read: (p) => fetchBytes(new URL(p, root).href),
    describe: (p) => new URL(p, root).pathname,
  };
  return createRuntime(ort, await loadManifest(source), source);
}
