/**
 * unCLIP's autoregressive prior (paper section 2.2): the CLIP image embedding as a sequence of
 * PCA components, each quantized into buckets, predicted one component at a time by a causal
 * transformer prefixed by [caption token features, CLIP text embedding, a token for the quantized
 * text-image dot product]. The ONNX graph returns every position's logits for a whole sequence
 * (position i reads only the buckets before it), so sampling runs it once per component.
 */
import type { PcaBasis } from '../../tensor/pca';
import { pcaUnproject } from '../../tensor/pca';
import { noiseRng, type NoiseKey } from '../../tensor/noise';
import { dequantize, type QuantizeRange } from '../../tensor/quantize';
import { float32, tensor, type Float32Tensor } from '../../tensor/tensor';
import { normalize } from '../../tensor/vector';
import { codeProbabilities, drawFrom } from './dalle';
import { ModelError, type ArPriorSpec, type ModelEntry } from '../runtime/manifest';
import type { ModelRuntime, ModelSession } from '../runtime/runtime';
import type { TextConditioning } from './unclip';

export interface ArPriorModelRef {
  id: string;
  kind: 'ar-prior';
  spec: ArPriorSpec;
  [key: string]: unknown;
}

export function resolveArPrior(runtime: ModelRuntime, id: string): ArPriorModelRef {
  const e: ModelEntry = runtime.entry(id);
  if (e.kind !== 'ar-prior') throw new ModelError(id, `is a ${e.kind} model, not an autoregressive prior`);
  if (!e.arPrior) throw new ModelError(id, 'has no "arPrior" section in the manifest (PCA basis, buckets)');
  return { id, kind: 'ar-prior', spec: e.arPrior };
}

/** The PCA basis the prior's codes live in, as embedding/pca-* nodes take it. */
export function arPriorBasis(spec: ArPriorSpec): PcaBasis {
  const k = spec.components,
    d = spec.pca.mean.length;
  return {
    mean: float32([d], spec.pca.mean),
    components: float32([k, d], spec.pca.components),
    variance: float32([k], spec.pca.variance),
    min: float32([k], spec.pca.min),
    max: float32([k], spec.pca.max),
  };
}

export function arPriorRange(spec: ArPriorSpec): QuantizeRange {
  return { min: Float32Array.from(spec.pca.min), max: Float32Array.from(spec.pca.max), buckets: spec.buckets };
}

/** Which dot-product bucket conditions a sample: the paper's upper half, any bucket, or the top one. */
export type DotChoice = 'upper-half' | 'any' | 'top';

/** The dot-product bucket of a uniform draw u in [0, 1). */
export function dotBucketOf(choice: DotChoice, buckets: number, u: number): number {
  if (choice === 'top') return buckets - 1;
  const lo = choice === 'upper-half' ? Math.floor(buckets / 2) : 0;
  return Math.min(buckets - 1, lo + Math.floor(u * (buckets - lo)));
}

/** The dot-product range [lo, hi) a bucket stands for (the ends open: -inf / +inf). */
export function dotRange(spec: ArPriorSpec, bucket: number): [number, number] {
  return [
    bucket > 0 ? spec.dotEdges[bucket - 1]! : -Infinity,
    bucket < spec.dotBuckets - 1 ? spec.dotEdges[bucket]! : Infinity,
  ];
}

export interface ArSampleOptions {
  /** The stream the samples draw from: sample i from index [i] (the dot bucket first, then one draw a component). */
  noise: Omit<NoiseKey, 'index'>;
  temperature: number;
  /** Keep the k most likely buckets (0 = all). */
  topK: number;
  dot: DotChoice;
  /** After each component: how many are drawn. */
  onComponent?: (done: number, total: number) => Promise<void> | void;
  signal?: AbortSignal;
}

export interface ArSampleResult {
  /** Buckets [N, k]. */
  codes: Int32Array;
  /** The dot-product bucket each sample was conditioned on [N]. */
  dotBuckets: Int32Array;
  /** Probability of the chosen bucket at each component of each sample [N, k]. */
  chosen: Float32Array;
  /** Dequantized, L2-normalized image embeddings [N, D]. */
  embeddings: Float32Tensor;
}

/** Samples bucket sequences for a caption conditioning [N rows] and turns them into embeddings. */
export async function sampleArPrior(
  session: ModelSession,
  spec: ArPriorSpec,
  cond: TextConditioning,
  o: ArSampleOptions,
): Promise<ArSampleResult> {
  const n = cond.embeds.shape[0]!,
    d = cond.embeds.shape[1]!,
    k = spec.components,
    b = spec.buckets;
  if (d !== spec.pca.mean.length)
    throw new RangeError(`the text embeddings are ${d}-dimensional, the prior's basis ${spec.pca.mean.length}`);
  const rngs = Array.from({ length: n }, (_, i) => noiseRng({ ...o.noise, index: [i] }));
  const dotBuckets = Int32Array.from(rngs, (r) => dotBucketOf(o.dot, spec.dotBuckets, r.next()));
  const codes = new BigInt64Array(n * k);
  const picked = new Int32Array(n * k);
  const chosen = new Float32Array(n * k);
  const fixed = {
    text_tokens: cond.tokens,
    text_mask: cond.mask,
    text_embed: cond.embeds,
    dot_bucket: tensor(
      'int64',
      [n],
      BigInt64Array.from(dotBuckets, (v) => BigInt(v)),
    ),
  };
  for (let i = 0; i < k; i++) {
    o.signal?.throwIfAborted();
    const r = await session.run({ ...fixed, codes: tensor('int64', [n, k], codes) });
    const logits = r.logits!.data as Float32Array;
    for (let s = 0; s < n; s++) {
      const row = logits.subarray((s * k + i) * b, (s * k + i + 1) * b);
      const p = codeProbabilities(row, o.temperature, Math.min(o.topK, b), 1);
      const c = drawFrom(p, rngs[s]!.next());
      picked[s * k + i] = c;
      codes[s * k + i] = BigInt(c);
      chosen[s * k + i] = p[c]!;
    }
    await o.onComponent?.(i + 1, k);
  }
  const embeddings = normalize(
    pcaUnproject(dequantize(tensor('int32', [n, k], picked), arPriorRange(spec)), arPriorBasis(spec)),
  );
  return { codes: picked, dotBuckets, chosen, embeddings };
}
