/** onnxruntime's per-op profile, read and grouped (npm run bench -- unclip --profile); pure, so it is unit-tested. */

/** One event of onnxruntime's profile (Chrome trace format), the fields read here. */
export interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

/** What the op groups of the table gather. */
export const GROUPS: Record<string, string> = {
  Conv: 'Conv',
  MatMul: 'MatMul, FusedMatMul, Gemm',
  FusedMatMul: 'MatMul, FusedMatMul, Gemm',
  Gemm: 'MatMul, FusedMatMul, Gemm',
  Softmax: 'Softmax',
  QuickGelu: 'activations, norms',
  BiasGelu: 'activations, norms',
  Gelu: 'activations, norms',
  Sigmoid: 'activations, norms',
  InstanceNormalization: 'activations, norms',
  LayerNormalization: 'activations, norms',
  ReorderInput: "native's NCHWc reorders",
  ReorderOutput: "native's NCHWc reorders",
};
export const OTHER = 'the rest (Add, Mul, Concat, reshapes, ...)';

/** Per model: ms per call of the last graph run's calls, by op group, and the whole call. */
export type ModelProfile = { calls: number; callMs: number; groups: Record<string, number> };

/** A session's profile over several graph runs: its last `callsPerGraph` calls (the warm graph run), per call. */
export function summarizeProfile(events: ProfileEvent[], callsPerGraph: number): ModelProfile {
  const runs = events.filter((e) => e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const last = runs.slice(runs.length - callsPerGraph); // the last graph run: warm
  const from = last[0]?.ts ?? Infinity;
  const groups: Record<string, number> = {};
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < from) continue;
    const g = GROUPS[e.args?.op_name ?? ''] ?? OTHER;
    groups[g] = (groups[g] ?? 0) + e.dur; // µs, summed before dividing
  }
  const perCallMs = (us: number) => us / 1000 / last.length;
  for (const g of Object.keys(groups)) groups[g] = perCallMs(groups[g]!);
  return { calls: last.length, callMs: perCallMs(last.reduce((a, e) => a + e.dur, 0)), groups };
}

/** onnxruntime-web prints a session's profile (one JSON event a line, between `[` and `]`) when it ends. */
export function parsePrinted(text: string): ProfileEvent[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l.replace(/,\s*$/, '')) as ProfileEvent];
      } catch {
        return [];
      }
    });
}
