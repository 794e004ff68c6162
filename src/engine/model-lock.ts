/**
 * The model lock: which models a graph was made with (each model's id, sha256, size and where it came
 * from: `models` in the document). A loader whose model here differs from the lock fails naming both
 * hashes, and a loader whose model is missing says which one the graph needs, so a picture is never
 * made again with another model without saying so. A graph without a lock (older files, new graphs
 * not yet saved) runs with whatever models are here.
 */
import type { GraphDocument, LockedModel } from '../graph/document';
import { NodeError } from '../graph/errors';
import { quoteValue } from '../tensor/quote';
import { formatBytes } from '../tensor/bytes';
import { sha256HexAsync } from '../tensor/hash';
import type { ModelRuntime } from '../models/runtime/runtime';
import { isModelRef, modelsOfRef } from './provenance';

/** What a loader needs and what it found here (the editor's Locate... and "use this one" act on it). */
export interface ModelNeed {
  needed: LockedModel;
  /** The model of that id here, when there is one (its hash, or that of an external data file, differs). */
  here?: { sha256: string; bytes: number; externalData?: LockedModel['externalData'] };
}

/** Where a locked model came from, in words. */
export function describeSource(source: string): string {
  return source ? `from ${quoteValue(source, 80)}` : 'bundled';
}

/** One locked model in words: id, sha256, size and where it came from. */
export function describeLocked(m: LockedModel): string {
  return `"${m.id}" sha256 ${m.sha256} (${formatBytes(m.bytes)}, ${describeSource(m.source)})`;
}

/** The models a node's outputs name (the model refs loader nodes output), as lock entries. */
export function modelsOfOutputs(models: ModelRuntime, outputs: Record<string, unknown>): LockedModel[] {
  const found: LockedModel[] = [];
  for (const value of Object.values(outputs))
    if (isModelRef(value))
      for (const m of modelsOfRef(models, value))
        found.push({
          id: m.id,
          sha256: m.sha256,
          bytes: m.bytes,
          source: m.source,
          ...(m.externalData ? { externalData: m.externalData } : {}),
        });
  return found;
}

/**
 * The external data file of a locked model that differs here (another sha256, missing here or new here), in words,
 * or null. A lock written before external data was locked lists none: its graph file's hash is all it checks.
 */
export function externalDataDifference(needed: LockedModel, here: Pick<LockedModel, 'externalData'>): string | null {
  if (!needed.externalData) return null;
  const mine = here.externalData ?? [];
  for (const x of needed.externalData) {
    const h = mine.find((y) => y.location === x.location);
    if (!h) return `its external data file ${quoteValue(x.location, 80)} is not named by the model here`;
    if (h.sha256 !== x.sha256)
      return (
        `its external data file ${quoteValue(x.location, 80)} was sha256 ${x.sha256} (${formatBytes(x.bytes)}) ` +
        `and is sha256 ${h.sha256} (${formatBytes(h.bytes)}) here`
      );
  }
  const extra = mine.find((y) => !needed.externalData!.some((x) => x.location === y.location));
  return extra
    ? `the model here keeps weights in ${quoteValue(extra.location, 80)}, which the lock does not name`
    : null;
}

/** Whether a model here is the locked one: its file's sha256 and those of its external data files. */
const sameModel = (needed: LockedModel, here: Pick<LockedModel, 'sha256' | 'externalData'>) =>
  needed.sha256 === here.sha256 && !externalDataDifference(needed, here);

/** What a ModelNeed says is here. */
const hereOf = (m: Pick<LockedModel, 'sha256' | 'bytes' | 'externalData'>): NonNullable<ModelNeed['here']> => ({
  sha256: m.sha256,
  bytes: m.bytes,
  ...(m.externalData ? { externalData: m.externalData } : {}),
});

/** The first model a loader opened that differs from the graph's lock, or null. */
export function lockMismatch(lock: readonly LockedModel[], opened: readonly LockedModel[]): ModelNeed | null {
  for (const m of opened) {
    const needed = lock.find((l) => l.id === m.id && l.source === m.source);
    if (needed && !sameModel(needed, m)) return { needed, here: hereOf(m) };
  }
  return null;
}

/** The message of a mismatch, naming both hashes and what to do. */
export function mismatchMessage(need: ModelNeed): string {
  const here = need.here!;
  const data = here.sha256 === need.needed.sha256 ? externalDataDifference(need.needed, here) : null;
  return (
    `the graph was made with model ${describeLocked(need.needed)}; ` +
    (data
      ? `the model here has the same ONNX file but ${data}`
      : `the model here is sha256 ${here.sha256} (${formatBytes(here.bytes)})`) +
    ': locate the model it was made with, or run with the one here ' +
    '(the editor\'s "Use the model here", or --unlock headless)'
  );
}

/**
 * The locked models a failed loader most likely needed: those from its manifest whose id is the one it
 * names or starts with it (a CLIP pair "mini-clip" opens "mini-clip-text" and "mini-clip-image").
 */
export function neededBy(
  lock: readonly LockedModel[],
  params: Record<string, unknown>,
  others: readonly string[] = [],
): LockedModel[] {
  const source = typeof params.manifest === 'string' ? params.manifest : '';
  const model = typeof params.model === 'string' ? params.model : '';
  const names = (m: string, id: string) => m !== '' && (id === m || id.startsWith(`${m}-`));
  // another loader naming the model more closely claims it ("mini-clip-noised" is not "mini-clip"'s)
  return lock.filter(
    (l) => l.source === source && names(model, l.id) && !others.some((o) => o.length > model.length && names(o, l.id)),
  );
}

/**
 * The lock to save with a graph: every model the loaders opened in the latest run; a locked model no loader
 * opened is kept while some loader failed (the graph still says what it needs), dropped otherwise (stale).
 */
export function nextLock(
  doc: Pick<GraphDocument, 'models'>,
  opened: readonly LockedModel[],
  someLoaderFailed: boolean,
): LockedModel[] {
  const key = (m: LockedModel) => `${m.source}\n${m.id}`;
  const out = new Map(opened.map((m) => [key(m), m]));
  if (someLoaderFailed) for (const m of doc.models ?? []) if (!out.has(key(m))) out.set(key(m), m);
  return [...out.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** A loader's failure that names the model the graph needs (the editor offers Locate... on it). */
export class ModelLockError extends NodeError {
  constructor(
    nodeId: string,
    detail: string,
    readonly need: ModelNeed,
  ) {
    super(nodeId, detail, 'params.model');
    this.name = 'ModelLockError';
  }
}

/** Whether a node type loads models (it has a Model output): its key and result depend on the lock. */
export function loadsModels(def: { outputs: Record<string, string> }): boolean {
  return Object.values(def.outputs).includes('Model');
}

/**
 * Checks what a loader opened against the lock; throws ModelLockError on a mismatch. After a loader
 * failed (a model missing here), the same error enriched with the model the graph was made with.
 */
export function checkLoader(
  nodeId: string,
  params: Record<string, unknown>,
  result: { outputs: Record<string, unknown> } | { error: unknown },
  lock: readonly LockedModel[] | undefined,
  models: ModelRuntime | undefined,
  others: readonly string[] = [],
): void {
  if (!lock?.length || !models) return;
  if ('outputs' in result) {
    const need = lockMismatch(lock, modelsOfOutputs(models, result.outputs));
    if (need) throw new ModelLockError(nodeId, mismatchMessage(need), need);
    return;
  }
  const e = result.error;
  if (e instanceof ModelLockError || (e as Error)?.name === 'AbortError') return;
  const detail = e instanceof NodeError ? e.detail : ((e as Error)?.message ?? String(e));
  // the model the error names ('model "mini-clip-text": ...'), else the one the loader's params name
  const named = /^model "([^"]{1,200})":/.exec(detail)?.[1];
  const candidates = neededBy(lock, params, others);
  const needed = candidates.find((l) => l.id === named) ?? candidates[0];
  if (!needed) return;
  throw new ModelLockError(nodeId, `${detail}; the graph was made with model ${describeLocked(needed)}`, { needed });
}

/** A loader whose locked model is missing here or differs: what the editor shows on it before a run. */
export interface LockProblem {
  nodeId: string;
  message: string;
  need: ModelNeed;
}

/** The runtime a loader reads: the bundled models, or the manifest (or model folder, in its dtype) its params name. */
async function runtimeOf(
  models: ModelRuntime,
  source: string,
  readBytes: (src: string) => Promise<Uint8Array>,
  params: Record<string, unknown>,
) {
  const dtype = typeof params.dtype === 'string' ? { dtype: params.dtype } : {};
  return source ? models.external(source, readBytes, dtype) : models;
}

/**
 * Checks a graph's lock against the models here without opening a session (manifests only): for each
 * loader, each locked model it names that is missing or has another sha256.
 */
export async function lockProblems(
  loaders: ReadonlyArray<{ id: string; params: Record<string, unknown> }>,
  lock: readonly LockedModel[] | undefined,
  models: ModelRuntime | undefined,
  readBytes: (src: string) => Promise<Uint8Array>,
): Promise<LockProblem[]> {
  if (!lock?.length || !models) return [];
  const problems: LockProblem[] = [];
  const named = loaders.map((l) => l.params.model).filter((m): m is string => typeof m === 'string');
  for (const loader of loaders) {
    const needs = neededBy(lock, loader.params, named);
    if (!needs.length) continue;
    const source = needs[0]!.source;
    let runtime: ModelRuntime;
    try {
      runtime = await runtimeOf(models, source, readBytes, loader.params);
    } catch (e) {
      for (const needed of needs)
        problems.push({
          nodeId: loader.id,
          message: `${(e as Error).message}; the graph was made with model ${describeLocked(needed)}`,
          need: { needed },
        });
      continue;
    }
    for (const needed of needs) {
      const entry = runtime.manifest.models.some((m) => m.id === needed.id) ? runtime.entry(needed.id) : undefined;
      if (!entry)
        problems.push({
          nodeId: loader.id,
          message: `model "${needed.id}" is not here; the graph was made with model ${describeLocked(needed)}`,
          need: { needed },
        });
      else if (!sameModel(needed, entry)) {
        const need = { needed, here: hereOf(entry) };
        problems.push({ nodeId: loader.id, message: mismatchMessage(need), need });
      }
    }
  }
  return problems;
}

/**
 * Uses a file the user located for a loader's model, accepted only when its sha256 is one the graph's
 * lock names for that loader. Returns the model's id; throws an Error saying why it was refused.
 */
export async function provideLocated(
  loader: { id: string; params: Record<string, unknown> },
  bytes: Uint8Array,
  lock: readonly LockedModel[] | undefined,
  models: ModelRuntime | undefined,
  readBytes: (src: string) => Promise<Uint8Array>,
): Promise<string> {
  if (!models) throw new Error('no models are available here');
  const needs = neededBy(lock ?? [], loader.params);
  if (!needs.length) throw new Error('the graph names no model for this loader (it has no model lock for it)');
  const digest = await sha256HexAsync(bytes);
  const match = needs.find((n) => n.sha256 === digest);
  if (!match)
    throw new Error(
      `the file's sha256 is ${digest}: not a model the graph was made with (it needs ` +
        `${needs.map(describeLocked).join('; ')})`,
    );
  const runtime = await runtimeOf(models, match.source, readBytes, loader.params);
  if (!runtime.manifest.models.some((m) => m.id === match.id))
    throw new Error(
      `the file is model "${match.id}", which the manifest here does not list: set the loader's Manifest to one ` +
        'that lists it (its inputs and outputs are read from there)',
    );
  runtime.provide(match.id, bytes, digest);
  return match.id;
}
