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
/** Quantized codes with the range they were made in. */
export interface Codes {
  codes: Tensor<'int32'>;
  min: Float32Array;
  max: Float32Array;
  buckets: number;
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

/** Checks a node's output against its declared port type; returns a problem or null. */
export function checkPortValue(type: PortType, value: unknown): string | null {
  switch (type) {
    case 'Text':
      return Array.isArray(value) && value.every((s) => typeof s === 'string') ? null : 'expected a list of strings';
    case 'Number':
      return typeof value === 'number' ? (Number.isFinite(value) ? null : `is ${value}`) : 'expected a number';
    case 'TextEmbedding':
    case 'ImageEmbedding':
    case 'Embedding':
      return isTensor(value) && value.dtype === 'float32' && value.shape.length === 2
        ? null
        : 'expected a float32 tensor [N, D]';
    case 'Image':
    case 'Mask':
      return isTensor(value) && value.dtype === 'float32' && value.shape.length === 4
        ? null
        : 'expected a float32 image batch [N, H, W, C]';
    case 'Latent':
      return isTensor(value) && value.dtype === 'float32' ? null : 'expected a float32 tensor';
    case 'Tokens':
      return isTensor(value) ? null : 'expected a tensor of token ids';
    case 'Scores':
      return typeof value === 'object' &&
        value !== null &&
        isTensor((value as Scores).values) &&
        Array.isArray((value as Scores).labels)
        ? null
        : 'expected scores with labels';
    default:
      return value === undefined || value === null ? 'is missing' : null;
  }
}
