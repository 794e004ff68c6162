/**
 * The mini-DALL·E stack: a discrete VAE (32x32 picture <-> 8x8 grid of codes) and a
 * decoder-only transformer over [caption tokens, image codes], sampled one code at a
 * time with a key/value cache (the ONNX graph takes the past keys/values and returns
 * them grown by the new tokens).
 */
import { bilinearResize, boxDownsample, chwToImage, imageDims, imageToChw } from '../../tensor/image';
import { noiseRng, type NoiseKey } from '../../tensor/noise';
import { float32, tensor, type Float32Tensor, type Tensor } from '../../tensor/tensor';
import { ModelError, type DalleSpec, type ModelEntry } from '../runtime/manifest';
import type { ModelRuntime, ModelSession } from '../runtime/runtime';

/** A dVAE (encoder + decoder entries) as nodes pass it along a Model edge. */
export interface DvaeModelRef {
  id: string;
  kind: 'dvae';
  encoder: string;
  decoder: string;
  spec: DalleSpec;
  manifest?: string;
  [key: string]: unknown;
}

/** The transformer, with the dVAE whose codes it models. */
export interface DalleModelRef {
  id: string;
  kind: 'dalle';
  spec: DalleSpec;
  dvae: string;
  manifest?: string;
  [key: string]: unknown;
}

function dalleSpecOf(e: ModelEntry): DalleSpec {
  if (!e.dalle) throw new ModelError(e.id, 'has no "dalle" section in the manifest (codes, grid, resolution)');
  return e.dalle;
}

/** Resolves "mini-dalle-dvae" (or either half's id) to the encoder and decoder entries. */
export function resolveDvae(runtime: ModelRuntime, id: string): DvaeModelRef {
  const models = runtime.manifest.models;
  const find = (mid: string) => models.find((m) => m.id === mid);
  let enc = find(id) ?? find(`${id}-encoder`);
  if (enc?.kind === 'dvae-decoder') enc = enc.pair ? find(enc.pair) : undefined;
  if (!enc || enc.kind !== 'dvae-encoder') {
    const known = models.filter((m) => m.kind === 'dvae-encoder').map((m) => m.id.replace(/-encoder$/, ''));
    throw new ModelError(id, `no dVAE encoder by that name (available: ${known.join(', ') || 'none'})`);
  }
  const dec = enc.pair ? find(enc.pair) : find(enc.id.replace(/-encoder$/, '-decoder'));
  if (!dec || dec.kind !== 'dvae-decoder') throw new ModelError(enc.id, 'has no paired dVAE decoder in the manifest');
  const spec = dalleSpecOf(enc),
    dspec = dalleSpecOf(dec);
  if (spec.codes !== dspec.codes || spec.grid !== dspec.grid)
    throw new ModelError(
      dec.id,
      `decodes ${dspec.codes} codes on ${dspec.grid}x${dspec.grid}, its encoder makes ${spec.codes} on ` +
        `${spec.grid}x${spec.grid}`,
    );
  return { id: enc.id.replace(/-encoder$/, ''), kind: 'dvae', encoder: enc.id, decoder: dec.id, spec };
}

/** Resolves the transformer and checks that it models its dVAE's codes. */
export function resolveDalle(runtime: ModelRuntime, id: string): { transformer: DalleModelRef; dvae: DvaeModelRef } {
  const e = runtime.manifest.models.find((m) => m.id === id);
  if (!e || e.kind !== 'dalle') {
    const known = runtime.manifest.models.filter((m) => m.kind === 'dalle').map((m) => m.id);
    throw new ModelError(id, `no DALL·E transformer by that name (available: ${known.join(', ') || 'none'})`);
  }
  const spec = dalleSpecOf(e);
  if (!spec.dvae) throw new ModelError(id, 'names no dVAE in its "dalle" section ("dvae")');
  if (!e.tokenizer) throw new ModelError(id, 'has no tokenizer in the manifest');
  const dvae = resolveDvae(runtime, spec.dvae);
  if (dvae.spec.codes !== spec.codes || dvae.spec.grid !== spec.grid)
    throw new ModelError(
      id,
      `models ${spec.codes} codes on ${spec.grid}x${spec.grid}, its dVAE "${dvae.id}" has ${dvae.spec.codes} on ` +
        `${dvae.spec.grid}x${dvae.spec.grid}`,
    );
  return { transformer: { id, kind: 'dalle', spec, dvae: dvae.id }, dvae };
}

/** Pictures [N, H, W, 3] in [0, 1] at the dVAE's resolution (box filter from 2x, bilinear otherwise). */
export function toResolution(img: Float32Tensor, size: number): Float32Tensor {
  const { h, w } = imageDims(img);
  if (h === size && w === size) return img;
  if (h === 2 * size && w === 2 * size) return boxDownsample(img, 2);
  return bilinearResize(img, size, size);
}

const CHUNK = 64;

/** Code ids [N, grid * grid] (int32, raster order) of pictures. */
export async function encodePictures(
  runtime: ModelRuntime,
  dvae: DvaeModelRef,
  img: Float32Tensor,
): Promise<Tensor<'int32'>> {
  const session = await runtime.session(dvae.encoder);
  const x = imageToChw(toResolution(img, dvae.spec.resolution));
  const n = x.shape[0]!,
    per = x.data.length / Math.max(1, n),
    cells = dvae.spec.grid ** 2;
  const out = new Int32Array(n * cells);
  for (let s = 0; s < n; s += CHUNK) {
    const m = Math.min(CHUNK, n - s);
    const r = await session.run({
      image: float32([m, 3, dvae.spec.resolution, dvae.spec.resolution], x.data.subarray(s * per, (s + m) * per)),
    });
    const codes = r.codes!.data as BigInt64Array;
    for (let i = 0; i < m * cells; i++) out[s * cells + i] = Number(codes[i]);
  }
  return tensor('int32', [n, cells], out);
}

/** Pictures [N, res, res, 3] in [0, 1] of code ids [N, grid * grid]. */
export async function decodeCodes(
  runtime: ModelRuntime,
  dvae: DvaeModelRef,
  codes: Tensor<'int32'>,
): Promise<Float32Tensor> {
  const session = await runtime.session(dvae.decoder);
  const { codes: k, grid, resolution: res } = dvae.spec;
  const cells = grid * grid,
    n = codes.shape[0]!;
  for (let i = 0; i < codes.data.length; i++) {
    const v = codes.data[i]!;
    if (!(v >= 0 && v < k))
      throw new RangeError(
        `code ${v} at position ${i % cells} of grid ${Math.floor(i / cells)} is outside the codebook (0..${k - 1})`,
      );
  }
  const out = new Float32Array(n * 3 * res * res);
  for (let s = 0; s < n; s += CHUNK) {
    const m = Math.min(CHUNK, n - s);
    const ids = BigInt64Array.from(codes.data.subarray(s * cells, (s + m) * cells), (v) => BigInt(v));
    const r = await session.run({ codes: tensor('int64', [m, cells], ids) });
    out.set(r.image!.data as Float32Array, s * 3 * res * res);
  }
  return chwToImage(out, n, res, res);
}

export interface SampleOptions {
  /** The stream the samples draw from: sample i from index [i] (each sample its own generator). */
  noise: Omit<NoiseKey, 'index'>;
  temperature: number;
  /** Keep the k most likely codes (0 = all). */
  topK: number;
  /** Keep the smallest set of codes whose probability reaches p (1 = all). */
  topP: number;
  /** Codes kept from a prefix grid, [N or 1, cells] (the first `keep` of each row). */
  prefix?: Int32Array;
  prefixRows?: number;
  keep?: number;
  /** After each completed row of the grid: the codes so far (-1 where not sampled yet). */
  onRow?: (row: number, codes: Int32Array) => Promise<void> | void;
  signal?: AbortSignal;
}

export interface SampleResult {
  codes: Int32Array;
  /** Probability of the chosen code at each position of each sample, [N, cells] (1 for prefix codes). */
  chosen: Float32Array;
  /** The 5 most likely codes and their probabilities at each position of sample 0, [cells, 5]. */
  topIds: Int32Array;
  topProbs: Float32Array;
}

/** Filtered, temperature-scaled probabilities (float64) of one row of logits. */
export function codeProbabilities(logits: Float32Array, temperature: number, topK: number, topP: number): Float64Array {
  const k = logits.length;
  const t = Math.max(temperature, 1e-4);
  let max = -Infinity;
  for (let i = 0; i < k; i++) max = Math.max(max, logits[i]!);
  const p = new Float64Array(k);
  let sum = 0;
  for (let i = 0; i < k; i++) sum += p[i] = Math.exp((logits[i]! - max) / t);
  for (let i = 0; i < k; i++) p[i]! /= sum;
  if ((topK > 0 && topK < k) || topP < 1) {
    const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b);
    let keep = topK > 0 ? Math.min(topK, k) : k;
    if (topP < 1) {
      let acc = 0,
        n = 0;
      while (n < keep && (n === 0 || acc < topP)) acc += p[order[n++]!]!;
      keep = n;
    }
    const kept = new Float64Array(k);
    let s = 0;
    for (let j = 0; j < keep; j++) s += kept[order[j]!] = p[order[j]!]!;
    for (let i = 0; i < k; i++) kept[i]! /= s;
    return kept;
  }
  return p;
}

/** The index a uniform draw u in [0, 1) picks from a distribution (the last nonzero one if rounding runs out). */
export function drawFrom(p: Float64Array, u: number): number {
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    acc += p[i]!;
    if (u < acc) return i;
  }
  for (let i = p.length - 1; i >= 0; i--) if (p[i]! > 0) return i;
  return 0;
}

/**
 * Samples code grids for caption ids [N, textLength] (int64): the caption in one call, then one
 * code per call with the cache. Prefix codes, when given, are fed with the caption.
 */
export async function sampleCodes(
  session: ModelSession,
  spec: DalleSpec,
  textIds: Tensor<'int64'>,
  o: SampleOptions,
): Promise<SampleResult> {
  const n = textIds.shape[0]!,
    tl = textIds.shape[1]!,
    cells = spec.grid ** 2,
    k = spec.codes,
    offset = spec.textVocab!;
  const keep = Math.min(o.keep ?? 0, cells);
  const codes = new Int32Array(n * cells).fill(-1);
  const chosen = new Float32Array(n * cells);
  const topIds = new Int32Array(cells * 5),
    topProbs = new Float32Array(cells * 5);
  if (keep > 0) {
    if (!o.prefix) throw new RangeError('keep > 0 needs a prefix');
    const rows = o.prefixRows ?? o.prefix.length / cells;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < keep; j++) {
        codes[i * cells + j] = o.prefix[(rows === 1 ? 0 : i) * cells + j]!;
        chosen[i * cells + j] = 1;
      }
  }
  const rngs = Array.from({ length: n }, (_, i) => noiseRng({ ...o.noise, index: [i] }));
  const { layers, heads, headDim } = spec as Required<DalleSpec>;
  let past: Record<string, Tensor> = {
    past_keys: float32([layers, n, heads, 0, headDim]),
    past_values: float32([layers, n, heads, 0, headDim]),
  };
  // first call: caption (and prefix codes but the last one is fed later as the next token)
  let t = tl + keep;
  let tokens = new BigInt64Array(n * t);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < tl; j++) tokens[i * t + j] = textIds.data[i * tl + j]!;
    for (let j = 0; j < keep; j++) tokens[i * t + tl + j] = BigInt(codes[i * cells + j]! + offset);
  }
  let pos = 0;
  for (let j = keep; j < cells; j++) {
    o.signal?.throwIfAborted();
    const total = pos + t;
    const bias = new Float32Array(t * total);
    for (let a = 0; a < t; a++) for (let b = pos + a + 1; b < total; b++) bias[a * total + b] = -1e4;
    const r = await session.run({
      tokens: tensor('int64', [n, t], tokens),
      positions: tensor(
        'int64',
        [t],
        BigInt64Array.from({ length: t }, (_, a) => BigInt(pos + a)),
      ),
      bias: float32([t, total], bias),
      ...past,
    });
    const logits = r.logits!.data as Float32Array;
    pos = total;
    past = { past_keys: r.present_keys!, past_values: r.present_values! };
    const next = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const row = logits.subarray((i * t + t - 1) * k, (i * t + t) * k);
      const p = codeProbabilities(row, o.temperature, o.topK, o.topP);
      const c = drawFrom(p, rngs[i]!.next());
      codes[i * cells + j] = c;
      chosen[i * cells + j] = p[c]!;
      next[i] = BigInt(c + offset);
      if (i === 0) {
        const order = Array.from({ length: k }, (_, a) => a).sort((a, b) => p[b]! - p[a]! || a - b);
        for (let q = 0; q < 5; q++) {
          topIds[j * 5 + q] = order[q]!;
          topProbs[j * 5 + q] = p[order[q]!]!;
        }
      }
    }
    tokens = next;
    t = 1;
    if (o.onRow && (j + 1) % spec.grid === 0) await o.onRow((j + 1) / spec.grid - 1, codes);
  }
  return { codes, chosen, topIds, topProbs };
}
