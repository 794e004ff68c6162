import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { createRuntime, loadManifest, type ModelRuntime, type ModelSource } from './runtime';
import { chooseDevice, type Device } from './device-node';
import { fileFacts } from './file-facts-node';

/** The bundled models folder of this checkout. */
export const BUNDLED_MODELS_DIR = resolve(fileURLToPath(new URL('../../../public/models', import.meta.url)));

export function fsModelSource(dir: string): ModelSource {
  const full = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  return {
    read: async (p) => new Uint8Array(await readFile(full(p))),
    describe: (p) => full(p),
    // a file's sha256 from the hash cache while its size and mtime are unchanged; native sessions open it by path
    facts: (p) => fileFacts(full(p)),
    localPath: (p) => Promise.resolve(full(p)),
  };
}

/**
 * The model runtime in Node: onnxruntime-web's WASM backend (its Node build), or native onnxruntime-node
 * (`node`) on the CPU or, with `device` cuda, its CUDA execution provider; models read from a folder.
 * Undefined when the folder has no manifest.
 */
export async function createModelRuntime(
  dir = BUNDLED_MODELS_DIR,
  backend: 'web' | 'node' = 'web',
  threads = 1,
  device: Device = 'cpu',
): Promise<ModelRuntime | undefined> {
  if (!existsSync(join(dir, 'manifest.json'))) return undefined;
  const source = fsModelSource(dir);
  if (backend === 'node' || device === 'cuda') {
    // Native onnxruntime-node: the same InferenceSession API.
    const native = (await import('onnxruntime-node')) as unknown as typeof ort;
    const cpu = { executionProviders: ['cpu'], intraOpNumThreads: threads };
    const { device: got, note } = chooseDevice(device);
    return createRuntime(native, await loadManifest(source), source, {
      // ops the CUDA provider lacks run on the CPU inside the session
      sessionOptions: got === 'cuda' ? { executionProviders: ['cuda', 'cpu'], intraOpNumThreads: threads } : cpu,
      ...(got === 'cuda' ? { fallback: { sessionOptions: cpu, from: 'the CUDA provider', to: 'the CPU' } } : {}),
      ...(note ? { notices: [note] } : {}),
    });
  }
  ort.env.wasm.numThreads = threads;
  return createRuntime(ort, await loadManifest(source), source);
}
