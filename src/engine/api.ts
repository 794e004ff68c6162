import { encode as encodePng } from 'fast-png';
import { GraphError, type GraphIssue } from '../graph/errors';
import { loadGraph, serializeGraph } from '../graph/validate';
import { embedGraph } from '../graph/png-graph';
import { embedProvenance, type Provenance } from '../graph/provenance';
import { pictureProvenance } from './provenance';
import type { GraphDocument, LockedModel } from '../graph/document';
import type { NodeSpec } from '../graph/catalog';
import type { ParamValue } from '../graph/params';
import { isTensor, type Float32Tensor, type Tensor } from '../tensor/tensor';
import type { NodeEvent, RunResult, ImagePreview } from './events';
import { embeddingView, maskTint, previewOf, summarize, type EmbeddingView, type OutputSummary } from './preview';
import { Engine, type NodeRegistry } from './scheduler';
import { lockProblems, provideLocated, type LockProblem } from './model-lock';
import type { EngineServices } from '../node-api/services';
import { BACKENDS, type Backend, type ModelLoadTiming } from '../models/runtime/runtime';
import { modelChoices, type ModelChoice } from './model-choices';
import { inspectModels, tokenizeText, type InspectedSource } from './model-inspect';
import { groupCachedFiles, type CachedModel } from '../models/runtime/model-cache';

export interface RuntimeInfo {
  backend: Backend;
  gpu: { available: boolean; adapter?: string; fallback?: boolean; reason?: string };
  loads: ModelLoadTiming[];
  /** The engine's start-up marks (`studio:*` performance marks where it runs), `at` in ms since the epoch. */
  marks?: Array<{ name: string; at: number }>;
}

/** A param schema as it crosses to the UI (no validator functions). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type ParamInfo = DistributiveOmit<NodeSpec['params'][string], 'schema'>;
export type NodeInfo = Omit<NodeSpec, 'params'> & { params: Record<string, ParamInfo>; family: string };

/** A loaded graph, with the issues of the nodes that opened as placeholders (they fail only runs that need them). */
export type LoadResult =
  { ok: true; graph: GraphDocument; placeholders: GraphIssue[] } | { ok: false; issues: GraphIssue[] };

/** A graph with its model lock, and the loaders that failed to open their models (their entries kept). */
export type LockResult = (LoadResult & { ok: false }) | (LoadResult & { ok: true; failed: GraphIssue[] });

/** A tensor as plain data, safe to clone or transfer between workers. */
export interface PlainTensor {
  dtype: string;
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
}

/** Marks buffers to transfer (comlink's `transfer`, injected so this file stays host-neutral). */
export type TransferFn = <T>(value: T, buffers: Transferable[]) => T;

/**
 * The one engine API, exposed by comlink from a web worker or a Node
 * worker_thread. Everything it returns is structured-clone friendly.
 */
export function createEngineApi(
  registry: NodeRegistry,
  services: EngineServices,
  transfer: TransferFn = (v) => v,
  cacheBytes?: number,
) {
  const engine = new Engine(registry, services, { cacheBytes });

  const output = (nodeId: string, port: string): unknown => {
    const outs = engine.outputsOf(nodeId);
    if (!outs) throw new GraphError([{ nodeId, message: 'has no output yet (run the graph first)' }]);
    if (!(port in outs))
      throw new GraphError([
        { nodeId, field: `outputs.${port}`, message: `no such output (it has ${Object.keys(outs).join(', ')})` },
      ]);
    return outs[port];
  };
  const image = (nodeId: string, port: string): Float32Tensor => {
    const v = output(nodeId, port);
    if (!isTensor(v) || v.shape.length !== 4)
      throw new GraphError([{ nodeId, field: `outputs.${port}`, message: 'is not an image' }]);
    return v as Float32Tensor;
  };

  const api = {
    /** The node types, for the palette and param widgets (after a load, with the graph's subgraph types). */
    catalog(): NodeInfo[] {
      return [...engine.types.values()].map((d) => ({
        type: d.type,
        version: d.version,
        title: d.title,
        description: d.description,
        family: d.type.split('/')[0]!,
        inputs: d.inputs,
        outputs: d.outputs,
        params: Object.fromEntries(Object.entries(d.params).map(([k, { schema: _schema, ...rest }]) => [k, rest])),
      }));
    },
    /** Validates and loads a graph; on failure returns every issue and keeps the loaded graph. */
    loadGraph(input: string | unknown): LoadResult {
      try {
        const { doc, placeholders } = engine.loadWithPlaceholders(input);
        return { ok: true, graph: doc, placeholders };
      } catch (e) {
        if (e instanceof GraphError) return { ok: false, issues: e.issues };
        throw e;
      }
    },
    /** Validates a graph without loading it (the editor checks files before it replaces anything). */
    validateGraph(input: string | unknown): LoadResult {
      try {
        const { doc, placeholders } = loadGraph(input, registry);
        return { ok: true, graph: doc, placeholders };
      } catch (e) {
        if (e instanceof GraphError) return { ok: false, issues: e.issues };
        throw e;
      }
    },
    /** References the user allowed (the editor holds a shared graph's files and URLs until then). */
    allowReferences(refs: string[]): void {
      services.allowReferences?.(refs.filter((r) => typeof r === 'string'));
    },
    setParam(nodeId: string, name: string, value: ParamValue): void {
      engine.setParam(nodeId, name, value);
    },
    async run(
      opts: { targets?: string[]; concurrency?: number; backend?: Backend } = {},
      onEvent?: (e: NodeEvent) => void,
    ): Promise<RunResult> {
      const { backend, ...rest } = opts;
      if (backend !== undefined) {
        if (!BACKENDS.includes(backend))
          throw new GraphError([
            { field: 'backend', message: `unknown backend "${String(backend)}" (auto, wasm or webgpu)` },
          ]);
        services.models?.setBackend(backend);
        engine.setKeyContext(backend === 'auto' ? '' : `backend=${backend}`);
      }
      const result = await engine.run({
        ...rest,
        onEvent: onEvent ? (e) => void Promise.resolve(onEvent(e)).catch(() => undefined) : undefined,
      });
      const notices = services.models?.takeNotices() ?? [];
      return notices.length ? { ...result, notices } : result;
    },
    /**
     * The graph with its model lock (`models`: each model's id, sha256, size and source), to save: loads it,
     * opens its loaders' models (a run of the loaders only, memoized), then names what they opened. A loader that
     * fails (a model missing or different) keeps the lock entries it needed.
     */
    async lockModels(graph: string | unknown, opts: { relock?: boolean } = {}): Promise<LockResult> {
      let loaded: ReturnType<Engine['loadWithPlaceholders']>;
      try {
        loaded = engine.loadWithPlaceholders(graph);
      } catch (e) {
        if (e instanceof GraphError) return { ok: false, issues: e.issues };
        throw e;
      }
      const targets = engine.loaderIds();
      const policy = engine.lockPolicyNow;
      // relock: what the loaders open here, whatever the lock said
      if (opts.relock) engine.setLockPolicy('ignore');
      const failed: GraphIssue[] = [];
      let models: LockedModel[];
      try {
        const r = targets.length ? await engine.run({ targets }) : null;
        for (const [nodeId, n] of Object.entries(r?.nodes ?? {}))
          if (n.status === 'error') failed.push({ nodeId, field: n.field, message: n.message ?? 'failed' });
        models = engine.modelLock(); // under the policy the loaders ran with
      } finally {
        engine.setLockPolicy(policy);
      }
      return { ok: true, graph: { ...loaded.doc, models }, placeholders: loaded.placeholders, failed };
    },
    /**
     * The loaded graph's (or this graph's, loaded) loaders whose locked model is missing here or differs (manifests
     * only, no session): what each needs (id, sha256, size, source) and what is here. Empty without a lock.
     */
    async checkModelLock(graph?: string | unknown): Promise<LockProblem[]> {
      if (graph !== undefined && !api.loadGraph(graph).ok) return [];
      const loaders = engine.loaderIds().map((id) => ({ id, params: engine.paramsOf(id) }));
      // the reader itself: in Node it carries the hash cache (a file's sha256 is not hashed again)
      return lockProblems(loaders, engine.graph?.models, services.models, services.readBytes);
    },
    /**
     * Uses a located file (bytes) as a loader's model when its sha256 is one the graph's lock names for it; the
     * loader runs again with it. Returns the model's id, or the reason it was refused (naming the node).
     */
    async locateModel(
      nodeId: string,
      bytes: Uint8Array,
    ): Promise<{ ok: true; id: string } | { ok: false; issue: GraphIssue }> {
      try {
        const id = await provideLocated(
          { id: nodeId, params: engine.paramsOf(nodeId) },
          bytes,
          engine.graph?.models,
          services.models,
          services.readBytes,
        );
        // what was made with the file that was here before is stale: every cached result goes
        engine.cache.clear();
        return { ok: true, id };
      } catch (e) {
        return { ok: false, issue: { nodeId, field: 'params.model', message: (e as Error).message } };
      }
    },
    /** Reads a URL (under the rules on what a graph may read) and locates a loader's model with it. */
    async locateModelUrl(
      nodeId: string,
      url: string,
    ): Promise<{ ok: true; id: string } | { ok: false; issue: GraphIssue }> {
      let bytes: Uint8Array;
      try {
        bytes = await services.readBytes(url);
      } catch (e) {
        return { ok: false, issue: { nodeId, field: 'params.model', message: (e as Error).message } };
      }
      return api.locateModel(nodeId, bytes);
    },
    /** Whether loaders hold to the graph's model lock ('enforce', the default) or run with the models here. */
    setLockPolicy(policy: 'enforce' | 'ignore'): void {
      engine.setLockPolicy(policy === 'ignore' ? 'ignore' : 'enforce');
    },
    /** The manifest entries the product builds for a manifest, model folder or repo id ('' the bundled one). */
    inspectModels(source: string, dtype?: string): Promise<InspectedSource> {
      return inspectModels(services.models, services.readBytes, String(source), dtype);
    },
    /** A model's tokenizer's ids for a text (the first model with a tokenizer unless one is named). */
    tokenize(source: string, text: string, opts: { modelId?: string; dtype?: string } = {}) {
      return tokenizeText(services.models, services.readBytes, String(source), String(text), opts);
    },
    /**
     * The models a loader's id param can name (its `models` kinds): the bundled manifest's, or those of the external
     * manifest the loader names once the engine has opened it (a run of the loader opens it); null before then.
     */
    modelChoices(kinds: string[], manifest = ''): ModelChoice[] | null {
      const opened = services.models?.openedManifest(typeof manifest === 'string' ? manifest : '');
      return opened && Array.isArray(kinds) ? modelChoices(opened, kinds.map(String)) : null;
    },
    /** Where models run here: the backend asked for, WebGPU's adapter (or why none), each session's load phases. */
    async runtimeInfo(): Promise<RuntimeInfo | null> {
      const models = services.models;
      if (!models) return null;
      const marks = performance
        .getEntriesByType('mark')
        .filter((m) => m.name.startsWith('studio:'))
        .map((m) => ({ name: m.name, at: performance.timeOrigin + m.startTime }));
      return { backend: models.backend, gpu: await models.gpuStatus(), loads: models.loadTimings(), marks };
    },
    cancel(): void {
      engine.cancelAll();
    },
    /** Keeps the inspected node's outputs in the cache while it is on screen (null: none). */
    pinInspected(nodeId: string | null): boolean {
      return engine.pinInspected(nodeId);
    },
    /** The loaded graph's Merkle key with its current params: equal keys, equal results. */
    graphKey(): string {
      return engine.graphKey();
    },
    summaries(nodeId: string): OutputSummary[] {
      const outs = engine.outputsOf(nodeId);
      return outs ? Object.entries(outs).map(([port, v]) => summarize(port, v)) : [];
    },
    imagePreview(nodeId: string, port: string, index = 0, maxSide = 256): ImagePreview {
      const p = previewOf(image(nodeId, port), index, maxSide);
      return transfer(p, [p.rgba.buffer]);
    },
    /**
     * A mask drawn over a picture: the picture dimmed, the masked part tinted magenta in proportion to the mask
     * (the mask resized to the picture by nearest pixel). Up to 16 rows; a one-row picture serves every mask row.
     */
    maskOverlay(nodeId: string, port: string, imageNode: string, imagePort: string): ImagePreview[] {
      const v = output(nodeId, port);
      if (!isTensor(v) || v.shape.length !== 4 || v.shape[3] !== 1)
        throw new GraphError([{ nodeId, field: `outputs.${port}`, message: 'is not a mask' }]);
      const mask = v as Float32Tensor;
      const img = image(imageNode, imagePort);
      const [mn, mh, mw] = mask.shape as [number, number, number, number];
      const [inImg, h, w] = img.shape as [number, number, number, number];
      const list: ImagePreview[] = [];
      for (let b = 0; b < Math.min(16, mn); b++) {
        const p = previewOf(img, inImg === 1 ? 0 : Math.min(b, inImg - 1), Math.max(h, w));
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            const m = mask.data[(b * mh + Math.floor((y * mh) / h)) * mw + Math.floor((x * mw) / w)]!;
            const d = (y * w + x) * 4;
            for (let k = 0; k < 3; k++) p.rgba[d + k] = maskTint(p.rgba[d + k]!, m, k);
          }
        list.push(p);
      }
      return transfer(
        list,
        list.map((p) => p.rgba.buffer),
      );
    },
    /** Previews of images start..start+count-1 of a batch in one message (the inspector shows up to 64). */
    imagePreviews(nodeId: string, port: string, start: number, count: number, maxSide = 256): ImagePreview[] {
      const img = image(nodeId, port);
      const n = img.shape[0] ?? 1;
      if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > n) {
        throw new GraphError([
          {
            nodeId,
            field: `outputs.${port}`,
            message: `images ${start}..${start + count - 1} out of range 0..${n - 1}`,
          },
        ]);
      }
      const list = Array.from({ length: count }, (_, i) => previewOf(img, start + i, maxSide));
      return transfer(
        list,
        list.map((p) => p.rgba.buffer),
      );
    },
    /**
     * What one image of an output was made with (src/graph/provenance.ts): the models upstream of it, onnxruntime's
     * build and version, the backends, the product's version. Null before a graph is loaded.
     */
    provenance(nodeId: string, port: string, index = 0): Provenance | null {
      const doc = engine.graph;
      if (!doc) return null;
      return pictureProvenance(doc, (id) => engine.outputsOf(id), services.models, { node: nodeId, port, index });
    },
    /**
     * One image of an output as PNG bytes (fast-png), carrying the graph and params that made it and its provenance
     * (two iTXt chunks).
     */
    imagePng(nodeId: string, port: string, index = 0, withGraph = true): Uint8Array {
      const img = image(nodeId, port);
      const [n = 1, h = 0, w = 0] = img.shape;
      if (index < 0 || index >= n)
        throw new GraphError([
          { nodeId, field: `outputs.${port}`, message: `image ${index} out of range 0..${n - 1}` },
        ]);
      const p = previewOf(img, index, Math.max(h, w));
      const rgb = new Uint8Array(w * h * 3);
      for (let i = 0; i < w * h; i++) for (let k = 0; k < 3; k++) rgb[i * 3 + k] = p.rgba[i * 4 + k]!;
      const plain = encodePng({ width: w, height: h, data: rgb, channels: 3, depth: 8 });
      const loaded = engine.graph;
      // the graph a picture carries names the models it was made with (its lock)
      const doc = loaded && { ...loaded, models: engine.modelLock() };
      const png =
        withGraph && doc
          ? embedProvenance(
              embedGraph(plain, serializeGraph(doc)),
              pictureProvenance(doc, (id) => engine.outputsOf(id), services.models, { node: nodeId, port, index }),
            )
          : plain;
      return transfer(png, [png.buffer]);
    },
    /** A copy of a tensor output, transferred (not copied again) across the worker boundary. */
    tensor(nodeId: string, port: string, path?: string): PlainTensor {
      let v = output(nodeId, port) as Record<string, unknown>;
      if (path) v = v[path] as Record<string, unknown>;
      if (!isTensor(v)) throw new GraphError([{ nodeId, field: `outputs.${port}`, message: 'is not a tensor' }]);
      const t = v as Tensor;
      const data = t.data.slice();
      return transfer({ dtype: t.dtype, shape: [...t.shape], data }, [data.buffer]);
    },
    /** Small outputs (text, numbers) by value. */
    value(nodeId: string, port: string): unknown {
      const v = output(nodeId, port);
      return isTensor(v) ? undefined : (summarize(port, v).value ?? null);
    },
    /** What the inspector shows of embeddings: the first rows, their stats, cosine matrix and a 2-D PCA scatter. */
    embeddingView(nodeId: string, port: string): EmbeddingView {
      const v = output(nodeId, port);
      if (!isTensor(v) || v.shape.length !== 2 || v.dtype !== 'float32')
        throw new GraphError([{ nodeId, field: `outputs.${port}`, message: 'is not a batch of embeddings' }]);
      return embeddingView(v as Float32Tensor);
    },
    cacheInfo(): { entries: number; bytes: number; budget: number } {
      return { entries: engine.cache.size, bytes: engine.cache.bytes, budget: engine.cache.budget };
    },
    setCacheBudget(bytes: number): void {
      engine.cache.setBudget(bytes);
    },
    graph(): GraphDocument | null {
      return engine.graph;
    },
    /** The models the browser keeps on disk (the Models panel): by model, with sizes and when kept; [] without. */
    async cachedModels(): Promise<CachedModel[]> {
      return groupCachedFiles((await services.modelCache?.list()) ?? []);
    },
    /** Deletes these cached model files (all of them when no URLs are given); resolves to how many went. */
    async deleteCachedModels(urls?: string[]): Promise<number> {
      return (await services.modelCache?.remove(urls)) ?? 0;
    },
  };
  return api;
}

export type EngineApi = ReturnType<typeof createEngineApi>;
