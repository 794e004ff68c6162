// The WASM-only build: the plain SIMD-threaded WASM (14 MB), not the default bundle's JSEP build (28 MB, asyncify:
// slower to compile and to run on the CPU). WebGPU comes from its own build, loaded only when asked for.
import * as ort from 'onnxruntime-web/wasm';
import { createRuntime, loadManifest, type GpuProvider, type ModelRuntime, type ModelSource } from './runtime';
import { ModelTooBigError } from './download-progress';
import type { FileExpectation } from './file-expectation';
import { browserModelCache } from './model-cache-browser';
import { isModelFile } from './model-cache';

/** The app's base URL (Vite's BASE_URL), absolute. */
export function baseUrl(): string {
  return new URL(import.meta.env.BASE_URL ?? '/', self.location.origin).href;
}

/**
 * Bytes of a URL (relative ones resolve against the app), with a clear error. Model files go through the model
 * cache (model-cache-browser.ts: streamed with progress, checked against `expect`, kept for the next visit).
 */
export async function fetchBytes(src: string, expect?: FileExpectation): Promise<Uint8Array> {
  const url = new URL(src, baseUrl()).href;
  if (isModelFile(url, expect))
    return browserModelCache()
      .read(url, expect)
      .catch((e: Error) => {
        // a refusal is a whole sentence already
        throw e instanceof ModelTooBigError ? e : new Error(`cannot fetch ${src}: ${e.message}`);
      });
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${src}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new Error(`cannot fetch ${src}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** WASM threads: as many as cross-origin isolation allows (at most 4), or 1. */
export function wasmThreads(): number {
  return self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
}

/** The little of the WebGPU API used here (no @webgpu/types dependency for two calls). */
interface WebGpu {
  requestAdapter(): Promise<{
    info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  } | null>;
}

/** onnxruntime-web's WebGPU build, loaded on first use where the browser has a WebGPU adapter. */
export const browserGpu: GpuProvider = {
  async load() {
    const gpu = (navigator as Navigator & { gpu?: WebGpu }).gpu;
    if (!gpu) throw new Error(self.isSecureContext ? 'this browser has no WebGPU' : 'WebGPU needs a secure context');
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('the browser found no WebGPU adapter');
    const info = adapter.info;
    const webgpu = (await import('onnxruntime-web/webgpu')) as unknown as typeof ort;
    webgpu.env.wasm.wasmPaths = new URL('ort/', baseUrl()).href;
    webgpu.env.wasm.numThreads = wasmThreads();
    const name = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'an adapter';
    return { ort: webgpu, adapter: name, fallback: !!info?.isFallbackAdapter };
  },
};

/**
 * onnxruntime-web in the engine worker: WASM files served by the app itself
 * (public/ort, copied from node_modules), threads when cross-origin isolated,
 * WebGPU where asked for and available.
 */
export async function createBrowserModelRuntime(): Promise<ModelRuntime> {
  ort.env.wasm.wasmPaths = new URL('ort/', baseUrl()).href;
  ort.env.wasm.numThreads = wasmThreads();
  const root = new URL('models/', baseUrl()).href;
  const source: ModelSource = {
    read: (p, expect) => fetchBytes(new URL(p, root).href, expect),
    describe: (p) => new URL(p, root).pathname,
  };
  return createRuntime(ort, await loadManifest(source), source, { gpu: browserGpu });
}
