import type * as ortTypes from 'onnxruntime-web';
import { briefText } from '../../tensor/quote';
import { BACKENDS, type Backend } from './backend';
import type { Tensor } from '../../tensor/tensor';
import { parseManifest, ModelError, type Manifest, type ModelEntry } from './manifest';
import { fromOrt, toOrt } from './ort-tensor';
import { ModelFileError, sessionFiles, type HostFiles } from './model-files';
import type { Tokenizer } from './tokenizer';
import { loadTokenizer as loadTokenizerSpec } from './tokenizer-load';
import { folderBase, folderModelName, isModelFolder, readClipFolder, type ModelDtype } from './published-layout';
import { isDiffusersFolder, readDiffusersFolder } from './diffusers-layout';
import type { FileExpectation, ReadBytes } from './file-expectation';

/** A model session: runs are queued (one session cannot run twice at once). */
export interface ModelSession {
  readonly entry: ModelEntry;
  /** Where it runs: onnxruntime-web's `wasm` or `webgpu`, or native `cpu`. */
  readonly ep: ExecutionProvider;
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
}

export { BACKENDS, type Backend };
export type ExecutionProvider = 'wasm' | 'webgpu' | 'cpu';

/** onnxruntime with the WebGPU execution provider, where the host may have one (browsers). */
export interface GpuProvider {
  /** Loads it once; rejects with the reason WebGPU cannot be used here (no navigator.gpu, no adapter). */
  load(): Promise<{ ort: typeof ortTypes; adapter: string; fallback: boolean }>;
}

/** How long one model took to become ready, by phase (milliseconds). */
export interface ModelLoadTiming {
  id: string;
  ep: ExecutionProvider;
  bytes: number;
  readMs: number;
  hashMs: number;
  createMs: number;
  totalMs: number;
  /** The first session of its onnxruntime module: createMs includes compiling and starting the WASM. */
  first: boolean;
}

export interface RuntimeOptions {
  sessionOptions?: ortTypes.InferenceSession.SessionOptions;
  /** The WebGPU path (browsers only). */
  gpu?: GpuProvider;
  /**
   * `auto` runs a model on WebGPU when a hardware adapter is there and the model file is at least this big; smaller
   * models stay on WASM, where a run's fixed cost (buffer uploads, dispatches) is lower.
   */
  autoGpuMinBytes?: number;
  /**
   * Session options tried when `sessionOptions` fail to create a session (the CUDA provider whose libraries or
   * driver do not load): the model runs with these instead, and a notice says why.
   */
  fallback?: { sessionOptions: ortTypes.InferenceSession.SessionOptions; from: string; to: string };
  /** Said with the first run's results (a --device that could not be had). */
  notices?: string[];
  /** This runtime is a model folder's (external() sets it). */
  folder?: { pair: string; dtype: ModelDtype };
}

/** The default size from which `auto` uses WebGPU (see README's performance section). */
export const AUTO_GPU_MIN_BYTES = 5_000_000;

/** Where manifests and model files come from: fs in Node, fetch in the browser. */
export interface ModelSource {
  /** Reads a path relative to the models folder (or an absolute URL / path); `expect`: what the manifest says of it. */
  read(path: string, expect?: FileExpectation): Promise<Uint8Array>;
  describe(path: string): string;
  /** A file's sha256 without reading it (Node's hash cache) and its path on disk: model-files.ts. */
  facts?: HostFiles['facts'];
  localPath?: HostFiles['localPath'];
}

/**
 * The facts and local paths a host's readBytes carries (Node's: file-facts-node.ts), for the files of an external
 * manifest or folder; a readBytes without them (the browser's) gives none.
 */
function hostFilesOf(readBytes: object, resolve: (path: string) => string): HostFiles {
  const host = readBytes as HostFiles;
  return {
    ...(host.facts ? { facts: (p: string) => host.facts!(resolve(p)) } : {}),
    ...(host.localPath ? { localPath: (p: string) => host.localPath!(resolve(p)) } : {}),
  };
}

export interface ModelRuntime {
  readonly manifest: Manifest;
  entry(id: string): ModelEntry;
  session(id: string): Promise<ModelSession>;
  tokenizer(id: string): Promise<Tokenizer>;
  /** A runtime over another manifest (a path or URL); its files resolve relative to it. Memoized. */
  external(manifestSrc: string, readBytes: ReadBytes, options?: { dtype?: string }): Promise<ModelRuntime>;
  /** A runtime over a model folder (published-layout.ts): its CLIP pair's id and the dtype its files are. */
  readonly folder?: { pair: string; dtype: ModelDtype };
  /** The backend asked for by the current run (external runtimes follow it). */
  readonly backend: Backend;
  setBackend(backend: Backend): void;
  /** Where WebGPU stands here: the adapter, or why there is none (loads the WebGPU build once). */
  gpuStatus(): Promise<{ available: boolean; adapter?: string; fallback?: boolean; reason?: string }>;
  /** Every session opened so far, with its load phases. */
  loadTimings(): ModelLoadTiming[];
  /** Notices for the user (a WebGPU fallback), each returned once. */
  takeNotices(): string[];
  /** Starts the WASM engine in the background (fetch, compile, start) so a first run does not wait for it. */
  prewarm(): Promise<void>;
  /** The onnxruntime build the models run with here and its version (for a picture's provenance). */
  runtimeName(): { name: 'onnxruntime-web' | 'onnxruntime-node'; version: string };
  /**
   * A model this runtime, or an external manifest it has opened (`manifestSrc`, "" = this one), knows, with where
   * its latest session ran; undefined when neither knows it. Synchronous: it reads only what is loaded.
   */
  modelUse(id: string, manifestSrc?: string): { entry: ModelEntry; ep?: ExecutionProvider } | undefined;
  /** This runtime's manifest ("") or that of an external manifest it has opened; undefined when none is open. */
  openedManifest(manifestSrc: string): Manifest | undefined;
  /**
   * Uses these bytes as a model's file from now on (the user located the file a graph was made with): the
   * manifest's entry keeps its inputs and outputs and takes the file's sha256 and size; its sessions reopen.
   */
  provide(id: string, bytes: Uint8Array, sha256: string): void;
}

/** Resolves a file named in a manifest against the manifest's own location. */
export function resolveRelative(base: string, file: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(file) || file.startsWith('/')) return file;
  if (/^[a-z][a-z0-9+.-]*:/i.test(base)) return new URL(file, base).href;
  const slash = base.lastIndexOf('/');
  return slash >= 0 ? `${base.slice(0, slash + 1)}${file}` : file;
}

function checkShape(entry: ModelEntry, name: string, t: Tensor, declared: Array<number | string>): void {
  if (t.shape.length !== declared.length || declared.some((d, i) => typeof d === 'number' && d !== t.shape[i])) {
    throw new ModelError(
      entry.id,
      `input "${name}" has shape [${t.shape.join(', ')}], the model takes [${declared.join(', ')}]`,
    );
  }
}

/**
 * How long a folder's bytes read to describe it wait for a session. A lock check or `models inspect` reads a
 * folder and opens no session: its bytes (a CLIP folder's 900 MB) must not stay in the memoized runtime for the
 * page's life. A run opens its sessions within moments of reading the folder; after this they are read again.
 */
export const PREFETCH_KEEP_MS = 30_000;

/**
 * A folder's files, each ONNX file read once already (to hash it while the folder was read) handed to its first
 * session from `prefetched`, then let go; later reads go to the folder, as do all reads after PREFETCH_KEEP_MS.
 */
function prefetchedFirst(files: ModelSource, prefetched: Map<string, Uint8Array>): ModelSource {
  if (prefetched.size) {
    const timer = setTimeout(() => prefetched.clear(), PREFETCH_KEEP_MS);
    // Node: a process with nothing else to do exits without waiting for it
    (timer as { unref?: () => void }).unref?.();
  }
  return {
    read: (p, expect) => {
      const bytes = prefetched.get(p);
      prefetched.delete(p);
      return bytes ? Promise.resolve(bytes) : files.read(p, expect);
    },
    describe: files.describe,
    ...(files.facts ? { facts: files.facts } : {}),
    // a session opened from the file's path reads nothing: what was kept for it goes
    ...(files.localPath
      ? {
          localPath: (p: string) => {
            prefetched.clear();
            return files.localPath!(p);
          },
        }
      : {}),
  };
}

/**
 * The session pool: one onnxruntime session per model, created on first use
 * after the file's sha256 is checked, then reused.
 */
export function createRuntime(
  ort: typeof ortTypes,
  manifest: Manifest,
  source: ModelSource,
  options: RuntimeOptions = {},
  shared: SharedState = newSharedState(),
): ModelRuntime {
  // WASM: 'basic' graph optimization; 'all' ran no faster here and made sessions 20-35% slower to create
  // (the decoder 152 vs 194-241 ms; runs 56.7 vs 56.2 ms)
  const sessionOptions = options.sessionOptions ?? { executionProviders: ['wasm'], graphOptimizationLevel: 'basic' };
  const baseEp: ExecutionProvider = sessionOptions.executionProviders?.includes('cpu') ? 'cpu' : 'wasm';
  const autoGpuMinBytes = options.autoGpuMinBytes ?? AUTO_GPU_MIN_BYTES;
  for (const n of options.notices ?? []) shared.notices.add(n);
  const sessions = new Map<string, Promise<ModelSession>>();
  const tokenizers = new Map<string, Promise<Tokenizer>>();
  const byId = new Map(manifest.models.map((m) => [m.id, m]));
  /** Files the user located for models (id -> bytes), used instead of the manifest's. */
  const provided = new Map<string, Uint8Array>();

  const entry = (id: string): ModelEntry => {
    const e = byId.get(id);
    if (!e) throw new ModelError(id, `not in the manifest (it lists ${[...byId.keys()].join(', ') || 'no models'})`);
    return e;
  };

  const gpu = async () => {
    if (!options.gpu) throw new Error('this host has no WebGPU (a browser with navigator.gpu has)');
    if (!shared.gpu) {
      const loading = options.gpu.load();
      shared.gpu = loading;
      // a failed load (no adapter now, a network error fetching the build) is tried again next time
      loading.catch(() => {
        if (shared.gpu === loading) shared.gpu = undefined;
      });
    }
    return shared.gpu;
  };

  /** Where a model runs under the current backend, and a notice when WebGPU was asked for but cannot be used. */
  const chooseEp = async (e: ModelEntry): Promise<ExecutionProvider> => {
    if (shared.backend === 'wasm' || baseEp === 'cpu') return baseEp;
    // auto keeps small models on WASM without loading the WebGPU build for them
    if (shared.backend === 'auto' && e.bytes < autoGpuMinBytes) return baseEp;
    try {
      const g = await gpu();
      if (shared.backend === 'webgpu') return 'webgpu';
      return !g.fallback && e.bytes >= autoGpuMinBytes ? 'webgpu' : baseEp;
    } catch (err) {
      if (shared.backend === 'webgpu') {
        shared.notices.add(`WebGPU is not available (${(err as Error).message}): the models run on WASM`);
      }
      return baseEp;
    }
  };

  const open = async (e: ModelEntry, ep: ExecutionProvider): Promise<ModelSession> => {
    const t0 = now();
    // the ONNX file and its external data, each checked by sha256; onnxruntime-node opens a local file by its path
    let files: Awaited<ReturnType<typeof sessionFiles>>;
    try {
      files = await sessionFiles(source, e, {
        native: ep === 'cpu',
        given: provided.get(e.id),
        read: (p) => source.read(p, { sha256: e.sha256, bytes: e.bytes, model: e.id }),
      });
    } catch (err) {
      if (err instanceof ModelFileError) throw new ModelError(e.id, err.message);
      throw err;
    }
    const { model, externalData } = files;
    const withData = externalData.length ? { externalData } : {};
    const t2 = now();
    let session: ortTypes.InferenceSession;
    let engine = ort;
    let first: boolean;
    try {
      if (ep === 'webgpu') {
        engine = (await gpu()).ort;
        first = !started.has(engine);
        started.add(engine);
        // ops WebGPU lacks fall back to WASM inside the session; one WebGPU session is created at a time
        // (onnxruntime-web: "another WebGPU EP inference session is being created")
        const q = runQueueOf(engine);
        const creating = q.tail.then(() =>
          engine.InferenceSession.create(model as Uint8Array, {
            graphOptimizationLevel: 'all',
            executionProviders: ['webgpu', 'wasm'],
            ...withData,
          }),
        );
        q.tail = creating.catch(() => undefined);
        session = await creating;
      } else {
        first = !started.has(engine);
        started.add(engine);
        try {
          session = await create(engine, model, { graphOptimizationLevel: 'all', ...sessionOptions, ...withData });
        } catch (err) {
          const fb = options.fallback;
          if (!fb) throw err;
          shared.notices.add(
            `${e.id}: ${fb.from} failed (${briefText((err as Error).message, 200)}): it runs on ${fb.to}`,
          );
          session = await create(engine, model, { graphOptimizationLevel: 'all', ...fb.sessionOptions, ...withData });
        }
      }
    } catch (err) {
      throw new ModelError(
        e.id,
        `onnxruntime${ep === 'webgpu' ? ' (WebGPU)' : ''} cannot load ${source.describe(e.file)}: ` +
          (err as Error).message,
      );
    }
    const t3 = now();
    shared.timings.push({
      id: e.id,
      ep,
      bytes: files.bytes,
      readMs: files.readMs,
      hashMs: files.hashMs,
      createMs: t3 - t2,
      totalMs: t3 - t0,
      first,
    });
    const names = (list: readonly string[], want: Array<{ name: string; optional?: boolean }>, what: string) => {
      const missing = want.filter((w) => !list.includes(w.name) && !w.optional).map((w) => w.name);
      if (missing.length)
        throw new ModelError(
          e.id,
          `the ONNX file has no ${what} ${missing.map((m) => `"${m}"`).join(', ')} (it has ${list.join(', ')})`,
        );
    };
    names(session.inputNames, e.inputs, 'input');
    names(session.outputNames, e.outputs, 'output');
    // what this file has of the optional ones (optimum's attention_mask), and the inputs it takes as float16
    const has = (list: readonly string[]) => (io: { name: string }) => list.includes(io.name);
    const entry = {
      ...e,
      inputs: e.inputs.filter(has(session.inputNames)),
      outputs: e.outputs.filter(has(session.outputNames)),
    };
    const float16 = new Set(
      (session.inputMetadata ?? []).flatMap((m) => (m.isTensor && m.type === 'float16' ? [m.name] : [])),
    );
    // the pipelines feed by role (our input names); a published file's inputs have names of their own
    const nameOfRole = new Map(entry.inputs.flatMap((i) => (i.role ? [[i.role, i.name] as const] : [])));
    const queue = runQueueOf(engine);
    return {
      entry,
      ep,
      run(feeds) {
        for (const spec of entry.inputs) {
          const t = feeds[spec.role ?? spec.name];
          if (!t) throw new ModelError(e.id, `missing input "${spec.role ?? spec.name}"`);
          if (t.dtype !== spec.dtype)
            throw new ModelError(e.id, `input "${spec.name}" is ${t.dtype}, the model takes ${spec.dtype}`);
          checkShape(e, spec.name, t, spec.shape);
        }
        const result = queue.tail.then(async () => {
          const ortFeeds: Record<string, ortTypes.Tensor> = {};
          for (const [k, v] of Object.entries(feeds)) {
            const name = nameOfRole.get(k) ?? k;
            ortFeeds[name] = toOrt(engine, v, float16.has(name) ? 'float16' : v.dtype);
          }
          const out = await session.run(ortFeeds);
          const converted: Record<string, Tensor> = {};
          for (const [k, v] of Object.entries(out)) converted[k] = fromOrt(v);
          return converted;
        });
        queue.tail = result.catch(() => undefined);
        return result;
      },
    };
  };

  const loadTokenizer = async (e: ModelEntry): Promise<Tokenizer> => {
    const spec = e.tokenizer;
    if (!spec) throw new ModelError(e.id, 'has no tokenizer in the manifest');
    try {
      return await loadTokenizerSpec(spec, source);
    } catch (err) {
      throw new ModelError(e.id, `cannot load its tokenizer: ${(err as Error).message}`);
    }
  };

  const externals = new Map<string, Promise<ModelRuntime>>();
  /** By manifest, or by folder and dtype (`<folder>\n<dtype>`: a folder's variants have their own ids). */
  const openedExternals = new Map<string, ModelRuntime>();
  const openedOf = (src: string) =>
    [...openedExternals].filter(([k]) => k === src || k.startsWith(`${src}\n`)).map(([, r]) => r);
  const versions = (ort.env as { versions?: Record<string, string | undefined> } | undefined)?.versions ?? {};
  const runtimeName = {
    name: baseEp === 'cpu' ? ('onnxruntime-node' as const) : ('onnxruntime-web' as const),
    version: (baseEp === 'cpu' ? versions.node : versions.web) ?? versions.common ?? 'unknown',
  };
  return {
    manifest,
    entry,
    external(manifestSrc, readBytes, opts = {}) {
      const dtype = (opts.dtype ?? 'fp32') as ModelDtype;
      if (isModelFolder(manifestSrc))
        return memoPromise(externals, `${manifestSrc}\n${dtype}`, async () => {
          const base = folderBase(manifestSrc);
          const files: ModelSource = {
            read: (p, expect) => readBytes(resolveRelative(base, p), expect),
            describe: (p) => resolveRelative(base, p),
            ...hostFilesOf(readBytes, (p) => resolveRelative(base, p)),
          };
          // a diffusion model in diffusers' layout, else a CLIP folder
          if (await isDiffusersFolder(files)) {
            if (dtype !== 'fp32')
              throw new Error(`dtype ${dtype}: a diffusers folder has one unet/model.onnx (its dtype is the file's)`);
            const unet = await readDiffusersFolder(files, folderModelName(manifestSrc));
            const opened = createRuntime(ort, unet.manifest, prefetchedFirst(files, unet.prefetched), options, shared);
            openedExternals.set(`${manifestSrc}\n${dtype}`, opened);
            return opened;
          }
          const folder = await readClipFolder(files, folderModelName(manifestSrc), dtype);
          const src = prefetchedFirst(files, folder.prefetched);
          const info = { pair: folder.pair, dtype };
          const opened = createRuntime(ort, folder.manifest, src, { ...options, folder: info }, shared);
          openedExternals.set(`${manifestSrc}\n${dtype}`, opened);
          return opened;
        });
      if (dtype !== 'fp32')
        return Promise.reject(new Error(`dtype ${dtype} picks a file in a model folder; a manifest names its files`));
      return memoPromise(externals, manifestSrc, async () => {
        const src: ModelSource = {
          read: (p, expect) => readBytes(resolveRelative(manifestSrc, p), expect),
          describe: (p) => resolveRelative(manifestSrc, p),
          ...hostFilesOf(readBytes, (p) => resolveRelative(manifestSrc, p)),
        };
        let raw: unknown;
        let bytes: Uint8Array;
        try {
          bytes = await readBytes(manifestSrc);
        } catch (e) {
          throw new Error(`cannot read the model manifest ${manifestSrc}: ${(e as Error).message}`);
        }
        try {
          raw = JSON.parse(new TextDecoder().decode(bytes));
        } catch {
          // never the parser's message: it quotes the file's first bytes
          throw new Error(`the model manifest ${manifestSrc} is not valid JSON`);
        }
        const opened = createRuntime(ort, parseManifest(raw, manifestSrc), src, options, shared);
        openedExternals.set(manifestSrc, opened);
        return opened;
      });
    },
    runtimeName: () => runtimeName,
    modelUse(id, manifestSrc = '') {
      if (manifestSrc)
        return openedOf(manifestSrc)
          .find((r) => r.modelUse(id))
          ?.modelUse(id);
      const e = byId.get(id);
      return e ? { entry: e, ...(shared.eps.has(e) ? { ep: shared.eps.get(e) } : {}) } : undefined;
    },
    openedManifest: (manifestSrc) => (manifestSrc ? openedOf(manifestSrc)[0]?.manifest : manifest),
    ...(options.folder ? { folder: options.folder } : {}),
    provide(id, bytes, sha256) {
      const e = entry(id);
      provided.set(id, bytes);
      byId.set(id, { ...e, sha256, bytes: bytes.length });
      for (const key of [...sessions.keys()]) if (key.endsWith(`:${id}`)) sessions.delete(key);
    },
    async session(id) {
      const e = entry(id);
      const ep = await chooseEp(e);
      let session: ModelSession;
      if (ep !== 'webgpu') session = await memoPromise(sessions, `${ep}:${id}`, () => open(e, ep));
      else
        try {
          session = await memoPromise(sessions, `${ep}:${id}`, () => open(e, ep));
        } catch (err) {
          // a model WebGPU cannot take (an op, a device limit) runs on WASM, and the run says so
          shared.notices.add(`${id} cannot run on WebGPU (${(err as Error).message}): it runs on WASM`);
          session = await memoPromise(sessions, `${baseEp}:${id}`, () => open(e, baseEp));
        }
      shared.eps.set(e, session.ep);
      return session;
    },
    get backend() {
      return shared.backend;
    },
    setBackend(backend) {
      if (!BACKENDS.includes(backend)) throw new Error(`unknown backend "${String(backend)}" (auto, wasm or webgpu)`);
      shared.backend = backend;
    },
    async gpuStatus() {
      try {
        const g = await gpu();
        return { available: true, adapter: g.adapter, fallback: g.fallback };
      } catch (err) {
        return { available: false, reason: (err as Error).message };
      }
    },
    loadTimings() {
      return [...shared.timings];
    },
    takeNotices() {
      const list = [...shared.notices];
      shared.notices.clear();
      return list;
    },
    async prewarm() {
      const smallest = [...manifest.models].sort((a, b) => a.bytes - b.bytes)[0];
      if (smallest) await memoPromise(sessions, `${baseEp}:${smallest.id}`, () => open(smallest, baseEp));
    },
    tokenizer(id) {
      const e = entry(id);
      return memoPromise(tokenizers, id, () => loadTokenizer(e));
    },
  };
}

/** What a runtime shares with the runtimes of external manifests it opened. */
interface SharedState {
  backend: Backend;
  gpu?: Promise<{ ort: typeof ortTypes; adapter: string; fallback: boolean }>;
  timings: ModelLoadTiming[];
  notices: Set<string>;
  /** Where each model's latest session runs (a picture's provenance names it). */
  eps: WeakMap<ModelEntry, ExecutionProvider>;
}
const newSharedState = (): SharedState => ({ backend: 'auto', timings: [], notices: new Set(), eps: new WeakMap() });
/**
 * A session from a model's bytes, or (onnxruntime-node) from its path on disk. The two calls are the same at run
 * time; TypeScript needs both, as onnxruntime's create() is overloaded by argument type and a union matches none.
 */
const create = (
  engine: typeof ortTypes,
  model: Uint8Array | string,
  options: ortTypes.InferenceSession.SessionOptions,
): Promise<ortTypes.InferenceSession> =>
  typeof model === 'string'
    ? engine.InferenceSession.create(model, options)
    : engine.InferenceSession.create(model, options);

/** onnxruntime modules that have created a session in this process (their WASM is compiled and started). */
const started = new WeakSet<object>();
const now = () => performance.now();

/**
 * One run at a time per onnxruntime module, across all its sessions: onnxruntime-web's WASM build
 * runs asynchronously (asyncify), and two sessions' runs interleaved on one WASM instance returned
 * a null output (seen: the DALL·E sampler beside the unCLIP prior in one graph). The WASM backend is
 * single-threaded, so nothing is lost; native onnxruntime-node is serialized the same way.
 */
const runQueues = new WeakMap<object, { tail: Promise<unknown> }>();
function runQueueOf(ort: object): { tail: Promise<unknown> } {
  let q = runQueues.get(ort);
  if (!q) runQueues.set(ort, (q = { tail: Promise.resolve() }));
  return q;
}

/** One promise per key, shared by concurrent callers; a rejected one is forgotten so a retry can succeed. */
function memoPromise<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = make();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** Reads and validates the manifest through a source. */
export async function loadManifest(source: ModelSource, path = 'manifest.json'): Promise<Manifest> {
  const raw = JSON.parse(new TextDecoder().decode(await source.read(path))) as unknown;
  return parseManifest(raw, source.describe(path));
}
