/**
 * What the host (browser worker, Node worker, in-process tests) gives nodes.
 * Implementations live next to each host; nodes only see this interface.
 */
export interface EngineServices {
  /**
   * Bytes of a file path (Node) or a URL (both); rejects with a clear message. `expect` is what a manifest says of
   * the file (sha256, size, model id): the browser checks a download against it before caching it.
   */
  readBytes(src: string, expect?: import('../models/runtime/file-expectation').FileExpectation): Promise<Uint8Array>;
  /** Model sessions and tokenizers (src/models); absent where no models are configured. */
  models?: import('../models/runtime/runtime').ModelRuntime;
  /** Where model downloads are reported and held to the memory limit (the browser; headless has no limit). */
  downloads?: DownloadWatcher;
  /** The host's model cache (the browser's Cache API), as the Models panel lists and empties it. */
  modelCache?: {
    list(): Promise<import('../models/runtime/model-cache').CachedModelFile[]>;
    /** Deletes these URLs (all when none are given); resolves to how many files went. */
    remove(urls?: string[]): Promise<number>;
  };
  /** Marks references (files, URLs) the user allowed; hosts that hold a shared graph's references read only these. */
  allowReferences?(refs: string[]): void;
}

/**
 * The one cancellation error: the scheduler aborts a run's signal with it, and every long loop (nodes, samplers,
 * pipelines) stops with the platform's `signal.throwIfAborted()`, which throws it.
 */
export class AbortError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'AbortError';
  }
}

export function isAbortError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e instanceof AbortError);
}

/** A host's view of model downloads, for the loader nodes (nodes/kit/downloads.ts). */
export interface DownloadWatcher {
  /**
   * Reports the downloads of the files of a loader's model (`manifest`: its manifest or folder, '' for the bundled
   * models) until the returned function is called, and holds them to the memory limit in the name of `model`.
   */
  watch(
    manifest: string,
    model: string,
    onProgress: (p: import('../models/runtime/download-progress').DownloadProgress) => void,
  ): () => void;
  /** What a model may weigh here. */
  limit(): import('../models/runtime/model-limit').MemoryLimit | undefined;
}
