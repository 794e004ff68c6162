/**
 * A sweep's grid: `--grid <node>.<param>=<values>` axes, where values are `a,b,c`, `@file`
 * (one value a line) or `lo..hi` (integers), and the cross product of the axes as points.
 */
import { parseSet } from './overrides';

export interface GridAxis {
  nodeId: string;
  param: string;
  values: string[];
  raw: string;
}

/** A point of the grid: `"node.param"` -> the value as written (coerced by the param's schema when applied). */
export type GridPoint = Record<string, string>;

export class GridError extends Error {}

/** At most this many jobs in one sweep: a typo like 0..1000000 should not fill a queue. */
export const MAX_POINTS = 100_000;

export function parseGridAxis(raw: string, readText: (path: string) => string): GridAxis {
  const set = parseSet(raw);
  if (!set) throw new GridError(`--grid "${raw}" is not <nodeId>.<param>=<values>`);
  const spec = set.value;
  let values: string[];
  const range = /^(-?\d+)\.\.(-?\d+)$/.exec(spec);
  if (spec.startsWith('@')) {
    let text: string;
    try {
      text = readText(spec.slice(1));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new GridError(
        `--grid ${set.nodeId}.${set.param}: cannot read ` +
          `${spec.slice(1)}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`,
      );
    }
    values = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
  } else if (range) {
    const lo = Number(range[1]),
      hi = Number(range[2]);
    if (hi < lo) throw new GridError(`--grid ${set.nodeId}.${set.param}: the range ${spec} is empty (${hi} < ${lo})`);
    if (hi - lo + 1 > MAX_POINTS)
      throw new GridError(
        `--grid ${set.nodeId}.${set.param}: the range ${spec} has ${hi - lo + 1} values (at most ${MAX_POINTS})`,
      );
    values = Array.from({ length: hi - lo + 1 }, (_, i) => String(lo + i));
  } else {
    values = spec.split(',');
  }
  if (values.length === 0 || (values.length === 1 && values[0] === ''))
    throw new GridError(`--grid ${set.nodeId}.${set.param}: no values`);
  return { nodeId: set.nodeId, param: set.param, values, raw };
}

/** The cross product of the axes, the first axis varying slowest. */
export function gridPoints(axes: readonly GridAxis[]): GridPoint[] {
  const seen = new Set<string>();
  for (const a of axes) {
    const name = `${a.nodeId}.${a.param}`;
    if (seen.has(name)) throw new GridError(`--grid ${name} is given twice`);
    seen.add(name);
  }
  const total = axes.reduce((n, a) => n * a.values.length, 1);
  if (total > MAX_POINTS) throw new GridError(`the grid has ${total} points (at most ${MAX_POINTS})`);
  let points: GridPoint[] = [{}];
  for (const a of axes) points = points.flatMap((p) => a.values.map((v) => ({ ...p, [`${a.nodeId}.${a.param}`]: v })));
  return points;
}
