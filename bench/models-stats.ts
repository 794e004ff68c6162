/** Pure helpers of `npm run bench -- models`: medians, peak memory from /proc, ratios, the embeddings check. */

/** What one side measured (a Node child process or a Chromium page), in milliseconds and bytes. */
export interface SideResult {
  side: string;
  model: 'clip' | 'unet';
  threads: number;
  /** The onnxruntime (and library) it ran with. */
  runtime: string;
  /** Download from the cache (or read from disk), sha256 and sessions: the loader node, or from_pretrained. */
  loadMs: number;
  loadPhases?: Record<string, number>;
  /** Per timed node (text_emb, image_emb, step): the first run after the load, and the median of the warm runs. */
  firstMs: Record<string, number>;
  warmMs: Record<string, number>;
  warmAll: Array<Record<string, number>>;
  peakRssBytes: number | null;
  rssBeforeBytes?: number | null;
  /** The first run's embeddings (rows at unit length), to check that the sides computed the same thing. */
  embeddings?: { text: number[]; image: number[] };
  [key: string]: unknown;
}

/** The median (the mean of the middle two for an even count); NaN for none. */
export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Peak and current resident memory from a /proc/<pid>/status text (VmHWM, VmRSS; kB), in bytes; null where the
 * field is missing (a process that ended, another OS).
 */
export function procMemory(status: string): { peakBytes: number | null; rssBytes: number | null } {
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : null;
  };
  return { peakBytes: kb('VmHWM'), rssBytes: kb('VmRSS') };
}

/** a / b to two decimals (how many times slower a is than b); null where either is missing. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null;
  return Math.round((100 * a) / b) / 100;
}

/** The largest absolute difference between two embeddings' values (same layout); Infinity for different sizes. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** The verdict on the target "ours no slower than transformers.js, within 10%": ratio ours / theirs <= 1.1. */
export const withinTarget = (r: number | null | undefined): boolean | null => (r == null ? null : r <= 1.1);

/** Ours and transformers.js run in turn in the same minutes: their warm medians and the median of per-run ratios. */
export interface PairResult {
  where: 'node' | 'browser';
  threads: number;
  runs: number;
  ours: Record<string, number>;
  theirs: Record<string, number>;
  /** Per encoder, the median over runs of ours / theirs (what the 10% target is judged on). */
  ratio: Record<string, number | null>;
}

export function pairOf(
  where: PairResult['where'],
  threads: number,
  runs: Array<{ ours: Record<string, number>; theirs: Record<string, number> }>,
): PairResult {
  const keys = Object.keys(runs[0]?.ours ?? {});
  const med = (pick: (r: (typeof runs)[number]) => number) => median(runs.map(pick));
  return {
    where,
    threads,
    runs: runs.length,
    ours: Object.fromEntries(keys.map((k) => [k, med((r) => r.ours[k]!)])),
    theirs: Object.fromEntries(keys.map((k) => [k, med((r) => r.theirs[k]!)])),
    ratio: Object.fromEntries(
      keys.map((k) => {
        const rs = runs.map((r) => ratio(r.ours[k], r.theirs[k]));
        return [k, rs.some((x) => x === null) ? null : Math.round(100 * median(rs as number[])) / 100];
      }),
    ),
  };
}
