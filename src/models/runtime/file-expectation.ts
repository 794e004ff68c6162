/**
 * What a manifest says of a file before it is read. A byte reader given it can check the bytes as they arrive
 * (the browser's model cache: sha256 before caching, the size for progress and for refusing a model too big for
 * the browser before downloading it); a reader that ignores it (a file on disk) loses nothing, since the runtime
 * checks the sha256 again when it opens a session.
 */
export interface FileExpectation {
  /** Lowercase hex sha256 the bytes must have. */
  sha256?: string;
  /** The file's size in bytes. */
  bytes?: number;
  /** The manifest's id of the model the file belongs to (said in refusals, kept with a cached file). */
  model?: string;
}

/** Reads the bytes of a path or URL; `expect` is what the manifest says of the file, where it names it. */
export type ReadBytes = (src: string, expect?: FileExpectation) => Promise<Uint8Array>;
