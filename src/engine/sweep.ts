/**
 * A sweep as data, shared by the CLI, the queue and the editor: a graph and grid axes (src/engine/grid.ts), the
 * jobs they make (one per point: the queue's payload), the grid's layout (rows: the first axis; columns: the
 * others), and the sweep as it rides in a grid PNG (an iTXt chunk beside the graph's, src/graph/png-graph.ts).
 */
import { parsePortRef } from '../graph/document';
import { embedText, extractText, PngGraphError } from '../graph/png-graph';
import { coerceParam, type ParamSchema, type ParamValue } from '../graph/params';
import { quoteValue } from '../tensor/quote';
import { GridError, gridPoints, MAX_POINTS, type GridAxis, type GridPoint } from './grid';
import { parseParamRef, type ParamSet } from './overrides';
import type { NodeInfo } from './api';

/** One job of a sweep, as the local pool and the queue's workers take it: a graph (its JSON text) and a point. */
export interface JobPayload {
  /** The graph file's text. */
  graph: string;
  params: GridPoint;
}

/** The jobs of a sweep, in the grid's order (the first axis varying slowest): what the CLI runs or queues. */
export function sweepJobs(graph: string, axes: readonly GridAxis[]): JobPayload[] {
  return gridPoints(axes).map((params) => ({ graph, params }));
}

/** A grid point as assignments (`--set`'s shape), for applySets. */
export function pointSets(point: GridPoint): ParamSet[] {
  return Object.entries(point).map(([name, value]) => {
    const ref = parseParamRef(name);
    if (!ref) throw new GridError(`${quoteValue(name)} is not <nodeId>.<param>`);
    return { ...ref, value, raw: `${name}=${value}` };
  });
}

/** How many runs the axes make (their values multiplied), without expanding them. */
export function sweepSize(axes: readonly GridAxis[]): number {
  return axes.reduce((n, a) => n * a.values.length, 1);
}

/**
 * A value as its param's type (seed 3, not "3"), checked against the param's kind and the range the catalog
 * lists; an error names the node, param and value.
 */
export function typedValue(
  catalog: ReadonlyMap<string, NodeInfo>,
  nodeTypes: ReadonlyMap<string, string>,
  nodeId: string,
  param: string,
  raw: string,
): { value: ParamValue } | { error: string } {
  const type = nodeTypes.get(nodeId);
  if (!type) return { error: `node "${nodeId}" is not in the graph` };
  const spec = catalog.get(type);
  if (!spec) return { error: `node "${nodeId}" is a placeholder (unknown type ${quoteValue(type)})` };
  const info = Object.hasOwn(spec.params, param) ? spec.params[param] : undefined;
  if (!info) return { error: `node "${nodeId}" (${type}) has no param "${param}"` };
  // the catalog carries no schema across the worker: the kind and the listed range are checked here
  const coerced = coerceParam(
    { ...info, schema: { safeParse: () => ({ success: true }) } } as unknown as ParamSchema,
    raw,
  );
  if ('error' in coerced) return { error: `${nodeId}.${param}: ${coerced.error}` };
  const { min, max, options } = info as { min?: number; max?: number; options?: readonly string[] };
  const v = coerced.value;
  const bad = (why: string) => ({ error: `${nodeId}.${param}: ${quoteValue(raw, 30)} ${why}` });
  if ((info.kind === 'integer' || info.kind === 'seed') && !Number.isInteger(v)) return bad('is not an integer');
  if (typeof v === 'number' && ((min !== undefined && v < min) || (max !== undefined && v > max)))
    return bad(`is outside ${min ?? '-inf'}..${max ?? 'inf'}`);
  if (info.kind === 'enum' && options && !options.includes(String(v)))
    return bad(`is not one of ${options.map((o) => quoteValue(o)).join(', ')}`);
  return coerced;
}

/** The image outputs of a graph's last nodes (those nothing else reads): what a job writes, what a grid shows. */
export function imageSinks(
  nodes: ReadonlyArray<{ id: string; type: string; inputs?: Record<string, string> }>,
  catalog: ReadonlyMap<string, NodeInfo>,
): Array<{ nodeId: string; ports: string[] }> {
  const read = new Set(nodes.flatMap((n) => Object.values(n.inputs ?? {}).map((ref) => parsePortRef(ref)?.nodeId)));
  return nodes
    .filter((n) => !read.has(n.id))
    .map((n) => ({
      nodeId: n.id,
      ports: Object.entries(catalog.get(n.type)?.outputs ?? {})
        .filter(([, t]) => t === 'Image')
        .map(([port]) => port),
    }))
    .filter((s) => s.ports.length > 0);
}

/** Where a sweep's points go on its grid: rows are the first axis, columns every combination of the others. */
export interface SweepLayout {
  rows: string[];
  cols: string[];
  /** What the rows and columns vary (`seed.value`, `decoder.guidance eta`). */
  rowTitle: string;
  colTitle: string;
}

/** The grid of the axes' points: point i is at row floor(i / cols.length), column i % cols.length. */
export function sweepLayout(axes: readonly GridAxis[]): SweepLayout {
  const name = (a: GridAxis) => `${a.nodeId}.${a.param}`;
  if (axes.length === 0) return { rows: [''], cols: [''], rowTitle: '', colTitle: '' };
  if (axes.length === 1) return { rows: [''], cols: [...axes[0]!.values], rowTitle: '', colTitle: name(axes[0]!) };
  const [first, ...rest] = axes;
  // one column axis: its values; several: each combination, named
  const cols =
    rest.length === 1
      ? [...rest[0]!.values]
      : gridPoints(rest).map((p) =>
          Object.entries(p)
            .map(([k, v]) => `${k.split('.')[1]}=${v}`)
            .join(' '),
        );
  return { rows: [...first!.values], cols, rowTitle: name(first!), colTitle: rest.map(name).join(' x ') };
}

export const PNG_SWEEP_KEYWORD = 'unclip-studio/sweep';
/** Most bytes of sweep JSON a PNG may carry (a thousand prompts fit many times over). */
export const MAX_PNG_SWEEP_BYTES = 1024 * 1024;
/** Most axes a sweep may have (a grid of more is no grid to look at). */
export const MAX_AXES = 8;

/** The sweep a grid PNG carries: its axes as the CLI's `--grid` values, already expanded. */
export interface SweepChunk {
  format: 'unclip-studio/sweep';
  version: 1;
  axes: Array<{ node: string; param: string; values: string[] }>;
}

/** A grid PNG with its sweep added (an earlier sweep chunk is replaced). */
export function embedSweep(png: Uint8Array, axes: readonly GridAxis[]): Uint8Array {
  const chunk: SweepChunk = {
    format: 'unclip-studio/sweep',
    version: 1,
    axes: axes.map((a) => ({ node: a.nodeId, param: a.param, values: [...a.values] })),
  };
  return embedText(png, PNG_SWEEP_KEYWORD, JSON.stringify(chunk));
}

/**
 * The axes a PNG carries, or null when it carries no sweep. A PNG is untrusted: the chunk is bounded and its
 * shape checked; a bad one throws PngGraphError naming what is wrong.
 */
export function extractSweep(png: Uint8Array): GridAxis[] | null {
  const text = extractText(png, PNG_SWEEP_KEYWORD, MAX_PNG_SWEEP_BYTES, 'sweep');
  if (text === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PngGraphError('its sweep is not JSON');
  }
  const c = raw as Partial<SweepChunk>;
  if (typeof c !== 'object' || c === null || c.format !== 'unclip-studio/sweep' || c.version !== 1)
    throw new PngGraphError('its sweep is not an unclip-studio/sweep of version 1');
  if (!Array.isArray(c.axes) || c.axes.length === 0 || c.axes.length > MAX_AXES)
    throw new PngGraphError(`its sweep needs 1 to ${MAX_AXES} axes`);
  const axes = c.axes.map((a, i) => {
    const ref = a && typeof a.node === 'string' && typeof a.param === 'string' && parseParamRef(`${a.node}.${a.param}`);
    if (!ref) throw new PngGraphError(`its sweep's axis ${i + 1} does not name <nodeId>.<param>`);
    if (!Array.isArray(a.values) || a.values.length === 0 || !a.values.every((v) => typeof v === 'string'))
      throw new PngGraphError(`its sweep's axis ${a.node}.${a.param} has no list of values`);
    return { ...ref, values: a.values, raw: `${ref.nodeId}.${ref.param}=${a.values.join(',')}` };
  });
  if (sweepSize(axes) > MAX_POINTS) throw new PngGraphError(`its sweep has over ${MAX_POINTS} points`);
  return axes;
}
