/**
 * What a graph sent to the server would read, checked against the server's access policy (`--allow-path`) before
 * a run or a sweep is accepted: every reference param of every node (subgraph definitions too) and every value a
 * request sets on one (a run's `sets`, a sweep's grid). A request's values are not the server user's own typing,
 * as `--set` is on the CLI: they are checked like the graph's. The engine's reader checks again as it reads.
 */
import type { NodeInfo } from '../engine/api';
import type { GraphDocument } from '../graph/document';
import type { GraphIssue } from '../graph/errors';
import { allNodes } from '../graph/subgraph';
import { checkAccess, type AccessPolicy } from './access';

/** A value a request gives a param of a top-level node. */
export interface SetValue {
  nodeId: string;
  param: string;
  value: string;
}

function isReference(spec: NodeInfo | undefined, param: string): boolean {
  const info = spec && Object.hasOwn(spec.params, param) ? spec.params[param] : undefined;
  return Boolean((info as { reference?: boolean } | undefined)?.reference);
}

/** Every reference the server may not read, as issues naming the node and param (none: all allowed). */
export function refusedReferences(
  graph: Pick<GraphDocument, 'nodes' | 'subgraphs'>,
  catalog: ReadonlyMap<string, NodeInfo>,
  access: AccessPolicy,
  sets: readonly SetValue[] = [],
): GraphIssue[] {
  const refused: GraphIssue[] = [];
  const check = (nodeId: string, param: string, value: unknown, from: string) => {
    if (typeof value !== 'string' || value.trim() === '') return;
    try {
      checkAccess(value, access);
    } catch (e) {
      refused.push({
        nodeId,
        field: `params.${param}`,
        message: `${from}${(e as Error).message.replace(/run with --allow-/g, 'start the server with --allow-')}`,
      });
    }
  };
  const types = new Map<string, string>();
  for (const n of allNodes(graph)) {
    types.set(n.id, n.type);
    const spec = catalog.get(n.type);
    for (const [param, value] of Object.entries(n.params ?? {}))
      if (isReference(spec, param)) check(n.id, param, value, '');
  }
  // a grid's value recurs in many points: each is said once
  const seen = new Set<string>();
  for (const s of sets) {
    const key = `${s.nodeId}.${s.param}=${s.value}`;
    if (seen.has(key) || !isReference(catalog.get(types.get(s.nodeId) ?? ''), s.param)) continue;
    seen.add(key);
    check(s.nodeId, s.param, s.value, `the value set (${s.nodeId}.${s.param}): `);
  }
  return refused;
}
