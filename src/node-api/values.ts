import type { PortType } from '../graph/ports';
import type { PcaBasis } from '../tensor/pca';
import { isTensor, type Float32Tensor, type Tensor } from '../tensor/tensor';

/** Scores with a label per entry (classification, ranking). */
export interface Scores {
  /** [N] scores, or [N, M] for a matrix (rows x columns). */
  values: Float32Tensor;
  /** One label per score, or per column of a matrix. */
  labels: string[];
  /** Labels of the rows of a matrix. */
  rowLabels?: string[];
  /** Rows are series over the columns (an optimizer's curve): drawn as lines, not a table. */
  curve?: boolean;
}
/**
 * Discrete codes [N, K] (int32, each in 0..buckets-1). Two kinds: PCA-quantized embeddings carry
 * the range each dimension was quantized over (min, max); a dVAE's picture codes carry their grid
 * (K = grid x grid, raster order) and the dVAE whose codebook they index.
 */
export interface Codes {
  codes: Tensor<'int32'>;
  buckets: number;
  min?: Float32Array;
  max?: Float32Array;
  grid?: number;
  codebook?: string;
}
/** A model reference as nodes pass it: the manifest id and its entry. */
export interface ModelRef {
  id: string;
  kind: string;
  [key: string]: unknown;
}

/** The runtime value each port type carries. */
export interface PortValues {
  Text: string[];
  Tokens: Tensor;
  TextEmbedding: Float32Tensor;
  ImageEmbedding: Float32Tensor;
  Embedding: Float32Tensor;
  Image: Float32Tensor;
  Latent: Float32Tensor;
  Mask: Float32Tensor;
  Scores: Scores;
  Codes: Codes;
  PcaBasis: PcaBasis;
  Model: ModelRef;
  Number: number;
}
export type PortValue = PortValues[PortType];

/** Bytes a value holds (typed arrays, strings), for the cache budget. */
export function approxBytes(value: unknown, seen = new Set<unknown>()): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'string') return value.length * 2;
  if (typeof value !== 'object') return 8;
  if (seen.has(value)) return 0;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (Array.isArray(value)) return value.reduce((s: number, v) => s + approxBytes(v, seen), 16);
  return Object.values(value).reduce((s: number, v) => s + approxBytes(v, seen), 16);
}

/** Float tensors inside a value, with a path ("values", "mean"), for NaN checks. */
export function floatTensorsOf(value: unknown, path = ''): Array<[string, Float32Tensor]> {
  if (isTensor(value)) return value.dtype === 'float32' ? [[path, value as Float32Tensor]] : [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => floatTensorsOf(v, path ? `${path}.${k}` : k));
}

const embeddingBatch = (value: unknown) =>
  isTensor(value) && value.dtype === 'float32' && value.shape.length === 2 ? null : 'expected a float32 tensor [N, D]';

/**
 * The value check of every port type, in one place: a Record over PortType, so a port type added to
 * src/graph/ports.ts without a check here does not compile.
 */
const PORT_CHECKS: { readonly [T in PortType]: (value: unknown) => string | null } = {
  Text: (v) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? null : 'expected a list of strings'),
  Number: (v) => (typeof v === 'number' ? (Number.isFinite(v) ? null : `is ${v}`) : 'expected a number'),
  TextEmbedding: embeddingBatch,
  ImageEmbedding: embeddingBatch,
  Embedding: embeddingBatch,
  Image: (v) =>
    isTensor(v) && v.dtype === 'float32' && v.shape.length === 4 ? null : 'expected a float32 image batch [N, H, W, C]',
  Mask: maskProblem,
  Latent: (v) => (isTensor(v) && v.dtype === 'float32' ? null : 'expected a float32 tensor'),
  Tokens: (v) => (isTensor(v) ? null : 'expected a tensor of token ids'),
  Scores: (v) =>
    typeof v === 'object' && v !== null && isTensor((v as Scores).values) && Array.isArray((v as Scores).labels)
      ? null
      : 'expected scores with labels',
  Codes: codesProblem,
  PcaBasis: pcaBasisProblem,
  Model: (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as ModelRef).id === 'string' &&
    typeof (v as ModelRef).kind === 'string'
      ? null
      : 'expected a model reference (id and kind)',
};

/** Checks a node's output against its declared port type; returns a problem or null. */
export function checkPortValue(type: PortType, value: unknown): string | null {
  const check = PORT_CHECKS[type] as ((v: unknown) => string | null) | undefined;
  if (!check) return `unknown port type ${type}`;
  return check(value);
}

function maskProblem(value: unknown): string | null {
  if (!isTensor(value) || value.dtype !== 'float32' || value.shape.length !== 4 || value.shape[3] !== 1)
    return 'expected a float32 mask [N, H, W, 1]';
  for (const v of value.data as Float32Array) if (!(v >= 0 && v <= 1)) return `a mask value (${v}) is outside [0, 1]`;
  return null;
}

function codesProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'expected codes';
  const c = value as Codes;
  if (!isTensor(c.codes) || c.codes.dtype !== 'int32' || c.codes.shape.length !== 2)
    return 'expected codes as an int32 tensor [N, K]';
  if (!Number.isInteger(c.buckets) || c.buckets < 2) return 'expected codes with a bucket count >= 2';
  const k = c.codes.shape[1]!;
  if (c.grid !== undefined && c.grid * c.grid !== k)
    return `codes on a ${c.grid}x${c.grid} grid need ${c.grid ** 2} per row, got ${k}`;
  if ((c.min === undefined) !== (c.max === undefined)) return 'codes with a range need both min and max';
  if (c.min && (c.min.length !== k || c.max!.length !== k)) return `codes of ${k} dims need a range of ${k}`;
  for (const v of c.codes.data) if (!(v >= 0 && v < c.buckets)) return `a code (${v}) is outside 0..${c.buckets - 1}`;
  return null;
}

function pcaBasisProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'expected a PCA basis';
  const b = value as PcaBasis;
  const f32 = (t: unknown, rank: number) =>
    isTensor(t) && t.dtype === 'float32' && (t as Float32Tensor).shape.length === rank;
  if (!f32(b.mean, 1) || !f32(b.components, 2)) return 'expected a PCA basis: mean [D] and components [K, D]';
  const [k, d] = b.components.shape as [number, number];
  if (b.mean.shape[0] !== d) return `a PCA basis of ${d}-dim components needs a ${d}-dim mean, got ${b.mean.shape[0]}`;
  for (const [name, t] of [
    ['variance', b.variance],
    ['min', b.min],
    ['max', b.max],
  ] as const)
    if (!f32(t, 1) || t.shape[0] !== k) return `a PCA basis of ${k} components needs ${name} [${k}]`;
  return null;
}
