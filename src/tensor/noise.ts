/**
 * The one owner of seeded noise. Every random number a graph draws comes from a stream named by
 * (seed, node, purpose, indices): the user's seed, the node type that draws it (`diffusion/decode`), what the values
 * are for (`x_T`, `eta`, `known`, ...) and indices (the sample, the step, the round). The stream's generator is
 * seeded by a SHA-256 of the whole name, so streams of different names are independent by construction (the prior's
 * starting noise is not a prefix of the decoder's for the same seed), and the same name gives the same bits in every
 * engine. The node is a node *type*, not an id: the memo key of a node's output is its type, params and inputs,
 * never its id, so its noise may not depend on the id either.
 *
 * As ComfyUI's `prepare_noise` and diffusers' per-sample generators keep noise in one place; nothing else in the
 * product derives seeds by arithmetic.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { createRng, type Rng } from './prng';

export interface NoiseKey {
  /** The user's seed (a `seed` param), any safe integer. */
  seed: number;
  /** The node type that draws the stream, e.g. `diffusion/prior`. */
  node: string;
  /** What the values are for, e.g. `x_T`, `eta`, `known`, `embedding-noise`. */
  purpose: string;
  /** The sample, the step, the round...: the stream's place. */
  index?: readonly number[];
}

/** The 48-bit generator seed of a stream: the first six bytes of SHA-256 of its name. */
export function streamSeed(key: NoiseKey): number {
  if (!Number.isSafeInteger(key.seed)) throw new RangeError(`noise: seed must be a safe integer, got ${key.seed}`);
  const name = `${key.seed}\u0000${key.node}\u0000${key.purpose}\u0000${(key.index ?? []).join(',')}`;
  const h = sha256(utf8ToBytes(name));
  return ((h[0]! * 256 + h[1]!) * 256 + h[2]!) * 16777216 + ((h[3]! * 256 + h[4]!) * 256 + h[5]!);
}

/** The generator of one stream (uniforms, choices, Gaussians). */
export function noiseRng(key: NoiseKey): Rng {
  return createRng(streamSeed(key));
}

/** n standard normal values of one stream. */
export function gaussianNoise(key: NoiseKey, n: number): Float32Array {
  const rng = noiseRng(key);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.gaussian();
  return out;
}

/**
 * `samples` rows of `size` standard normal values, row i from the stream with index [i, ...key.index]: a batch's
 * sample i is the same whatever the batch size.
 */
export function gaussianBatch(key: NoiseKey, samples: number, size: number): Float32Array {
  const out = new Float32Array(samples * size);
  for (let i = 0; i < samples; i++)
    out.set(gaussianNoise({ ...key, index: [i, ...(key.index ?? [])] }, size), i * size);
  return out;
}
