import { expect } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { Engine } from '../../src/engine/scheduler';
import { nodeServices } from '../../src/host/node-services';
import type { ModelRuntime } from '../../src/models/runtime/runtime';
import { createModelRuntime } from '../../src/models/runtime/runtime-node';
import type { NoiseKey } from '../../src/tensor/noise';

/**
 * The bundled models (public/models) on the WASM backend with one thread, as a test file's tests share them:
 * `const runtime = await bundledRuntime();` at the top of the file.
 */
export async function bundledRuntime(): Promise<ModelRuntime> {
  const runtime = await createModelRuntime();
  if (!runtime) throw new Error('no bundled models: public/models/manifest.json is missing');
  return runtime;
}

/** An engine of the product's node types whose model nodes read these models. */
export function engineOn(models: ModelRuntime | undefined): Engine {
  return new Engine(createRegistry(), nodeServices({ models }));
}

/** A version-1 graph document of these nodes, as the text a file holds. */
export function graphText(nodes: object[]): string {
  return JSON.stringify({ format: 'unclip-studio/graph', version: 1, nodes });
}

/** Loads a version-1 graph of these nodes into a fresh engine over the models and runs it. */
export async function runGraph(models: ModelRuntime | undefined, nodes: object[]) {
  const engine = engineOn(models);
  engine.load(graphText(nodes));
  return { engine, result: await engine.run() };
}

/** The noise stream a test's sampler draws from at this seed. */
export function samplesNoise(seed: number): NoiseKey {
  return { seed, node: 'test', purpose: 'samples' };
}

/** What a run's result for a node holds when the node failed on this field with a message that matches. */
export function failedOn(field: string, message: RegExp) {
  return { status: 'error', field, message: expect.stringMatching(message) };
}
