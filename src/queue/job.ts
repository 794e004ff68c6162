/**
 * One job of a sweep: a graph (its JSON text) and a grid point, run by an engine. The same
 * function serves the local pool and the queue's workers; a payload from the queue is untrusted
 * and goes through the same loader and param checks as a graph file and `--set`.
 */
import type { Remote } from 'comlink';
import type { EngineApi, NodeInfo } from '../engine/api';
import { formatIssue } from '../graph/errors';
import { applySets, parseParamRef, type ParamSet } from '../engine/overrides';
import type { GridPoint } from '../engine/grid';
import { imageSinks, type JobPayload } from '../engine/sweep';
import { quoteValue } from '../tensor/quote';

export type { JobPayload };

export interface JobImage {
  /** `<nodeId>[.<port>][-<i>].png` */
  name: string;
  png: Uint8Array;
}

export interface JobOutput {
  images: JobImage[];
  ms: number;
}

/** A failure of the graph itself (a bad payload, a node's error): deterministic, never worth a retry. */
export class JobFailure extends Error {
  constructor(
    message: string,
    readonly nodeId?: string,
  ) {
    super(message);
    this.name = 'JobFailure';
  }
}

/** Most bytes a payload's graph may have (a graph with inline images stays far below). */
export const MAX_GRAPH_BYTES = 4 * 1024 * 1024;

type Api = Remote<EngineApi> | EngineApi;

function checkShape(payload: unknown): JobPayload {
  const p = payload as JobPayload;
  if (
    typeof p !== 'object' ||
    p === null ||
    typeof p.graph !== 'string' ||
    typeof p.params !== 'object' ||
    p.params === null ||
    Array.isArray(p.params)
  ) {
    throw new JobFailure('job payload: expected { graph: <graph JSON text>, params: { "<node>.<param>": <value> } }');
  }
  if (p.graph.length > MAX_GRAPH_BYTES)
    throw new JobFailure(`job payload: the graph is ${p.graph.length} bytes (at most ${MAX_GRAPH_BYTES})`);
  for (const [k, v] of Object.entries(p.params))
    if (typeof v !== 'string') throw new JobFailure(`job payload: params[${quoteValue(k)}] is not a string`);
  return p;
}

export function paramSets(params: GridPoint): ParamSet[] {
  return Object.entries(params).map(([name, value]) => {
    const ref = parseParamRef(name);
    if (!ref) throw new JobFailure(`job payload: params key ${quoteValue(name)} is not <nodeId>.<param>`);
    return { ...ref, value, raw: `${name}=${value}` };
  });
}

/** Loads the payload's graph and point into the engine, validated; returns the graph's Merkle key. */
export async function loadJob(
  api: Api,
  catalog: ReadonlyMap<string, NodeInfo>,
  payload: unknown,
): Promise<{ key: string; sinks: Array<{ nodeId: string; ports: string[] }> }> {
  const p = checkShape(payload);
  const loaded = await api.loadGraph(p.graph);
  if (!loaded.ok)
    throw new JobFailure(
      `the graph cannot be loaded: ${loaded.issues.map(formatIssue).join('; ')}`,
      loaded.issues[0]?.nodeId,
    );
  // a graph with subgraphs brings its own node types (the engine lists them once it is loaded)
  if (loaded.graph.subgraphs && Object.keys(loaded.graph.subgraphs).length)
    catalog = new Map((await api.catalog()).map((n) => [n.type, n]));
  const nodeTypes = new Map(loaded.graph.nodes.map((n) => [n.id, n.type]));
  const problem = await applySets(api, catalog, nodeTypes, paramSets(p.params), '--grid');
  if (problem) throw new JobFailure(problem);
  // the graph's outputs: image ports of the nodes nothing else reads
  return { key: await api.graphKey(), sinks: imageSinks(loaded.graph.nodes, catalog) };
}

/** Runs a loaded job: its image outputs as PNGs, or a JobFailure naming the node that failed. */
export async function runJob(
  api: Api,
  catalog: ReadonlyMap<string, NodeInfo>,
  payload: unknown,
): Promise<JobOutput & { key: string }> {
  const t0 = performance.now();
  const { key, sinks } = await loadJob(api, catalog, payload);
  const result = await api.run({ targets: sinks.length ? sinks.map((s) => s.nodeId) : undefined });
  if (!result.ok) {
    const failed =
      Object.entries(result.nodes).find(([, r]) => r.status === 'error' && !r.message?.startsWith('not run')) ??
      Object.entries(result.nodes).find(([, r]) => r.status === 'error');
    throw new JobFailure(failed ? `node "${failed[0]}": ${failed[1].message}` : 'the run failed', failed?.[0]);
  }
  const images: JobImage[] = [];
  for (const s of sinks) {
    for (const port of s.ports) {
      const summary = (await api.summaries(s.nodeId)).find((x) => x.port === port);
      const n = summary?.shape?.[0] ?? 0;
      const base = port === s.ports[0] ? s.nodeId : `${s.nodeId}.${port}`;
      for (let i = 0; i < n; i++)
        images.push({ name: n === 1 ? `${base}.png` : `${base}-${i}.png`, png: await api.imagePng(s.nodeId, port, i) });
    }
  }
  return { key, images, ms: performance.now() - t0 };
}
