/**
 * How big a model this browser can hold, worked out before anything is downloaded (issue 38): a model over the
 * limit is refused with a sentence naming the model, its size, the limit and why. Pure: the caller reads the
 * browser's figures (navigator.deviceMemory, performance.memory) and passes them in.
 */
import { formatBytes } from '../../tensor/bytes';

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;

/**
 * onnxruntime-web's WASM build is 32-bit: one module addresses 4 GiB at most, and every session of a run lives in
 * it (the model bytes are copied in, then its weights and the activations).
 */
export const WASM32_BYTES = 4 * GiB;
/** What the WASM module needs besides the model's bytes: its code, arena and a run's activations. */
export const WASM_MARGIN_BYTES = 512 * MiB;

/** The most a model may weigh here, and the reason that sets it (said to the user with a refusal). */
export interface MemoryLimit {
  bytes: number;
  why: string;
}

/** The browser's figures, each where the browser gives it. */
export interface BrowserMemory {
  /** navigator.deviceMemory: the device's RAM in GB, rounded down and capped (Chromium: at most 8). */
  deviceMemoryGb?: number;
  /** performance.memory.jsHeapSizeLimit (Chromium): the most the page's JavaScript heap may grow to. */
  jsHeapSizeLimit?: number;
}

/**
 * The smallest of what bounds a model here: the WASM32 address space less a margin; half the device's memory
 * (the file's bytes are held in JavaScript while onnxruntime copies them into WASM, so a model is in memory
 * twice while it loads); the JavaScript heap limit (the downloaded bytes pass through it).
 */
export function browserModelLimit(memory: BrowserMemory = {}): MemoryLimit {
  const limits: MemoryLimit[] = [
    {
      bytes: WASM32_BYTES - WASM_MARGIN_BYTES,
      why: `onnxruntime-web's WASM addresses 4 GiB at most, less ${WASM_MARGIN_BYTES / MiB} MiB for its own work`,
    },
  ];
  const gb = memory.deviceMemoryGb;
  if (typeof gb === 'number' && Number.isFinite(gb) && gb > 0)
    limits.push({
      bytes: (gb * GiB) / 2,
      why: `this device reports ${gb} GB of memory, and a model is held twice while it loads`,
    });
  const heap = memory.jsHeapSizeLimit;
  if (typeof heap === 'number' && Number.isFinite(heap) && heap > 0)
    limits.push({ bytes: heap, why: `the browser lets this page's JavaScript heap grow to ${formatBytes(heap)}` });
  return limits.reduce((a, b) => (b.bytes < a.bytes ? b : a));
}

/** Why a model of `bytes` cannot be loaded under `limit`, or undefined when it fits. */
export function sizeRefusal(model: string, bytes: number, limit: MemoryLimit): string | undefined {
  if (bytes <= limit.bytes) return undefined;
  return (
    `model "${model}" is ${formatBytes(bytes)}, more than this browser can hold (${formatBytes(limit.bytes)}: ` +
    `${limit.why}); it was not downloaded. Run it headless (npm run graph -- run) or pick a smaller dtype`
  );
}
