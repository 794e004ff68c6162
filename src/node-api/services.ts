/**
 * What the host (browser worker, Node worker, in-process tests) gives nodes.
 * Implementations live next to each host; nodes only see this interface.
 */
export interface EngineServices {
  /** Bytes of a file path (Node) or a URL (both); rejects with a clear message. */
  readBytes(src: string): Promise<Uint8Array>;
  /** Model sessions and tokenizers (src/models); absent where no models are configured. */
  models?: import('../models/runtime/runtime').ModelRuntime;
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
