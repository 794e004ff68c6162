/**
 * What `npm run models -- inspect | tokenize` asks the engine: the manifest entries the product builds for a
 * manifest, a model folder or a repo id (each as a loader would open it), and a tokenizer's ids for a text.
 */
import type { ModelRuntime } from '../models/runtime/runtime';
import type { ModelEntry } from '../models/runtime/manifest';
import { schedulerConfigOf, type SchedulerConfig } from '../models/samplers/scheduler-config';

/** A manifest entry as built, with the scheduler settings its sampler reads (diffusion models). */
export type InspectedModel = ModelEntry & { scheduler?: SchedulerConfig };

export interface InspectedSource {
  /** The manifest, folder or repo id asked for ('' for the bundled manifest). */
  source: string;
  /** A model folder's CLIP pair and the dtype its files are; absent for a manifest. */
  folder?: { pair: string; dtype: string };
  models: InspectedModel[];
}

async function open(
  models: ModelRuntime | undefined,
  readBytes: (src: string) => Promise<Uint8Array>,
  source: string,
  dtype: string | undefined,
): Promise<ModelRuntime> {
  if (!models) throw new Error('no models are configured here');
  return source ? models.external(source, readBytes, dtype ? { dtype } : {}) : models;
}

/** The entries of a manifest, folder or repo id, as a loader naming it would open them. */
export async function inspectModels(
  models: ModelRuntime | undefined,
  readBytes: (src: string) => Promise<Uint8Array>,
  source: string,
  dtype?: string,
): Promise<InspectedSource> {
  const runtime = await open(models, readBytes, source, dtype);
  const entries = runtime.manifest.models.map((m): InspectedModel => {
    const scheduler = m.diffusion ? schedulerConfigOf(m.diffusion, m.kind) : undefined;
    return scheduler ? { ...m, scheduler } : { ...m };
  });
  return { source, ...(runtime.folder ? { folder: { ...runtime.folder } } : {}), models: entries };
}

/**
 * The ids (with start and end tokens, no padding) a model's tokenizer gives a text; the model is `modelId`, else
 * the first entry with a tokenizer.
 */
export async function tokenizeText(
  models: ModelRuntime | undefined,
  readBytes: (src: string) => Promise<Uint8Array>,
  source: string,
  text: string,
  opts: { modelId?: string; dtype?: string } = {},
): Promise<{ model: string; ids: number[] }> {
  const runtime = await open(models, readBytes, source, opts.dtype);
  const withTokenizer = runtime.manifest.models.filter((m) => m.tokenizer);
  const entry = opts.modelId ? runtime.entry(opts.modelId) : withTokenizer[0];
  if (!entry) throw new Error(`${source || 'the bundled manifest'}: no model in it has a tokenizer`);
  const tokenizer = await runtime.tokenizer(entry.id);
  return { model: entry.id, ids: tokenizer.encode(text) };
}
