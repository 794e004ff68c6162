import { closeSync, openSync, writeSync } from 'node:fs';
import { createRng } from '../tensor/prng';
import { sampleCaption } from './caption';
import { renderScene } from './render';
import { randomScene, type Scene } from './scene';
import { CANVAS, WORLD_VERSION } from './spec';

/**
 * Dataset file layout (read by training/world/shapesworld.py):
 *   8 bytes  "SWDS0001"
 *   4 bytes  little-endian uint32 H, the header's length
 *   H bytes  UTF-8 JSON header: { world, count, size, scale, channels, captionsPerImage, heldOutExcluded, seed,
 *                                 captions: string[][], scenes: Scene[] }
 *   count * size * size * 3 bytes of RGB images, row-major.
 */
export const DATASET_MAGIC = 'SWDS0001';

export interface DatasetOptions {
  count: number;
  seed: number;
  captionsPerImage?: number;
  /** Renders at 64 * scale pixels (every coordinate and size times scale); the scenes are the same. */
  scale?: number;
}

export function writeDataset(path: string, opts: DatasetOptions, onProgress?: (done: number) => void): void {
  const perImage = opts.captionsPerImage ?? 4;
  const scale = opts.scale ?? 1;
  const size = CANVAS * scale;
  const rng = createRng(opts.seed);
  const scenes: Scene[] = [];
  const captions: string[][] = [];
  for (let i = 0; i < opts.count; i++) {
    const scene = randomScene(rng, { excludeHeldOut: true });
    scenes.push(scene);
    captions.push(Array.from({ length: perImage }, () => sampleCaption(rng, scene)));
  }
  const round = (v: number) => Math.round(v * 100) / 100;
  const header = JSON.stringify({
    world: WORLD_VERSION,
    count: opts.count,
    size,
    scale,
    channels: 3,
    captionsPerImage: perImage,
    heldOutExcluded: true,
    seed: opts.seed,
    captions,
    scenes: scenes.map((s) => ({
      ...s,
      objects: s.objects.map((o) => ({ ...o, cx: round(o.cx), cy: round(o.cy), s: round(o.s) })),
    })),
  });
  const headerBytes = new TextEncoder().encode(header);
  const fd = openSync(path, 'w');
  try {
    const prefix = new Uint8Array(12);
    prefix.set(new TextEncoder().encode(DATASET_MAGIC));
    new DataView(prefix.buffer).setUint32(8, headerBytes.length, true);
    writeSync(fd, prefix);
    writeSync(fd, headerBytes);
    const px = size * size * 3;
    const chunk = Math.max(1, Math.floor(1024 / (scale * scale)));
    const buf = new Uint8Array(px * chunk);
    for (let start = 0; start < opts.count; start += chunk) {
      const n = Math.min(chunk, opts.count - start);
      for (let k = 0; k < n; k++) renderScene(scenes[start + k]!, buf.subarray(k * px, (k + 1) * px), scale);
      writeSync(fd, buf.subarray(0, n * px));
      onProgress?.(start + n);
    }
  } finally {
    closeSync(fd);
  }
}
