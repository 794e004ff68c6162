import { isTensor, type Float32Tensor } from '../tensor/tensor';
import { pcaFit, pcaProject } from '../tensor/pca';
import { float32 } from '../tensor/tensor';
import { cosineMatrix, norm } from '../tensor/vector';
import type { ImagePreview } from './events';
import type { Codes, Scores } from '../node-api/values';

/**
 * Image `index` of a batch [N, H, W, C] as RGBA bytes, shrunk by an integer
 * factor (nearest) to at most maxSide pixels a side. True pixels otherwise.
 */
export function previewOf(img: Float32Tensor, index = 0, maxSide = 256): ImagePreview {
  const [, h = 0, w = 0, c = 3] = img.shape;
  const step = Math.max(1, Math.ceil(Math.max(h, w) / maxSide));
  const ph = Math.ceil(h / step),
    pw = Math.ceil(w / step);
  const rgba = new Uint8ClampedArray(ph * pw * 4);
  const base = index * h * w * c;
  for (let y = 0; y < ph; y++)
    for (let x = 0; x < pw; x++) {
      const s = base + (y * step * w + x * step) * c,
        d = (y * pw + x) * 4;
      for (let k = 0; k < 3; k++)
        rgba[d + k] = Math.round(Math.min(1, Math.max(0, img.data[s + (c === 1 ? 0 : k)]!)) * 255);
      rgba[d + 3] = 255;
    }
  return { width: pw, height: ph, rgba };
}

export interface TensorStats {
  min: number;
  max: number;
  mean: number;
  std: number;
  /** L2 norm of each row (vectors) — the first 64 rows. */
  norms?: number[];
  nanCount: number;
}

export function statsOf(t: Float32Tensor): TensorStats {
  let min = Infinity,
    max = -Infinity,
    sum = 0,
    sq = 0,
    n = 0,
    nan = 0;
  for (const v of t.data) {
    if (!Number.isFinite(v)) {
      nan++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sq += v * v;
    n++;
  }
  const mean = n ? sum / n : 0;
  const stats: TensorStats = {
    min: n ? min : NaN,
    max: n ? max : NaN,
    mean,
    std: n ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : 0,
    nanCount: nan,
  };
  if (t.shape.length === 2) {
    const d = t.shape[1]!;
    stats.norms = Array.from({ length: Math.min(64, t.shape[0]!) }, (_, r) =>
      norm(t.data.subarray(r * d, (r + 1) * d)),
    );
  }
  return stats;
}

/** What the UI and the CLI see of one output: never the whole tensor. */
export interface OutputSummary {
  port: string;
  kind: 'tensor' | 'text' | 'number' | 'scores' | 'codes' | 'object';
  shape?: number[];
  dtype?: string;
  stats?: TensorStats;
  /** Small values: text lines, a number, scores with labels, the first codes. */
  value?: unknown;
}

export function summarize(port: string, value: unknown): OutputSummary {
  if (typeof value === 'number') return { port, kind: 'number', value };
  if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
    return { port, kind: 'text', value: value.slice(0, 200) };
  if (isTensor(value)) {
    const s: OutputSummary = { port, kind: 'tensor', shape: [...value.shape], dtype: value.dtype };
    // an empty tensor (a decode node's trajectory when none was kept) has no stats, not NaN ones
    if (value.dtype === 'float32' && value.data.length > 0) s.stats = statsOf(value as Float32Tensor);
    return s;
  }
  if (typeof value === 'object' && value !== null) {
    const sc = value as Scores;
    if (isTensor(sc.values) && Array.isArray(sc.labels)) {
      return {
        port,
        kind: 'scores',
        shape: [...sc.values.shape],
        value: {
          labels: sc.labels.slice(0, 1000),
          ...(sc.rowLabels ? { rowLabels: sc.rowLabels.slice(0, 1000) } : {}),
          ...(sc.curve ? { curve: true } : {}),
          values: Array.from(sc.values.data as Float32Array).slice(0, 10000),
        },
      };
    }
    const codes = value as Codes;
    if (isTensor(codes.codes)) {
      return { port, kind: 'codes', shape: [...codes.codes.shape], value: codesView(codes) };
    }
  }
  return { port, kind: 'object' };
}

/** What the inspector draws of codes: the first rows, the grid side, and how often each code is used. */
export interface CodesView {
  buckets: number;
  /** Codes of the first rows (at most 16), each K long. */
  rows: number[][];
  grid?: number;
  /** Uses of each code over all rows (codebooks up to 4096 codes). */
  histogram?: number[];
  used: number;
}

export function codesView(c: Codes): CodesView {
  const [n, k] = c.codes.shape as [number, number];
  const rows = Array.from({ length: Math.min(16, n) }, (_, r) => Array.from(c.codes.data.subarray(r * k, (r + 1) * k)));
  const counts = new Map<number, number>();
  for (const v of c.codes.data) counts.set(v, (counts.get(v) ?? 0) + 1);
  const view: CodesView = { buckets: c.buckets, rows, used: counts.size };
  if (c.grid) view.grid = c.grid;
  if (c.buckets <= 4096) view.histogram = Array.from({ length: c.buckets }, (_, i) => counts.get(i) ?? 0);
  return view;
}

/** A bounded view of a batch of embeddings for the inspector. */
export interface EmbeddingView {
  n: number;
  dim: number;
  /** The first rows (at most 32), row-major. */
  rows: Float32Array;
  shownRows: number;
  stats: TensorStats;
  /** Cosine similarity of the shown rows, shownRows x shownRows (when n >= 2). */
  cosine?: Float32Array;
  /** 2-D PCA coordinates of up to 512 rows (when n >= 3). */
  scatter?: Float32Array;
}

export function embeddingView(t: Float32Tensor): EmbeddingView {
  const [n, dim] = t.shape as [number, number];
  const shownRows = Math.min(32, n);
  const shown = float32([shownRows, dim], t.data.subarray(0, shownRows * dim));
  const view: EmbeddingView = { n, dim, rows: shown.data, shownRows, stats: statsOf(t) };
  if (n >= 2) view.cosine = cosineMatrix(shown, shown).data;
  if (n >= 3 && dim >= 2) {
    const m = Math.min(512, n);
    const set = float32([m, dim], t.data.subarray(0, m * dim));
    view.scatter = pcaProject(set, pcaFit(set, 2), 2).data;
  }
  return view;
}

const MASK_TINT = [255, 0, 200] as const;
/** One channel (k) of a picture's pixel under a mask value m in [0, 1]: dimmed, tinted magenta where it regenerates. */
export function maskTint(base: number, m: number, k: number): number {
  const a = 0.6 * Math.min(1, Math.max(0, m));
  return Math.round((1 - a) * (0.75 * base + 64) + a * MASK_TINT[k as 0 | 1 | 2]);
}
