import type { Draft } from 'immer';
import type { GraphNode } from '../graph/document';
import { parsePortRef } from '../graph/document';
import { freshId } from './store';

/** Removes nodes and every input that referred to them. */
export function removeNodes(d: Draft<{ nodes: GraphNode[] }>, ids: Set<string>): void {
  d.nodes = d.nodes.filter((n) => !ids.has(n.id));
  for (const n of d.nodes) {
    if (!n.inputs) continue;
    for (const [port, ref] of Object.entries(n.inputs))
      if (ids.has(parsePortRef(ref)?.nodeId ?? '')) delete n.inputs[port];
  }
}

/**
 * Copies of nodes with fresh ids, shifted by (dx, dy); edges between copied
 * nodes are remapped, edges from outside kept when `keepOutside`.
 */
export function cloneNodes(
  doc: { nodes: GraphNode[] },
  nodes: GraphNode[],
  dx: number,
  dy: number,
  keepOutside: boolean,
): GraphNode[] {
  const taken = new Set<string>();
  const idMap = new Map<string, string>();
  for (const n of nodes) {
    const id = doc.nodes.some((x) => x.id === n.id) || taken.has(n.id) ? freshId(doc, n.id, taken) : n.id;
    taken.add(id);
    idMap.set(n.id, id);
  }
  return nodes.map((n) => {
    const inputs: Record<string, string> = {};
    for (const [port, ref] of Object.entries(n.inputs ?? {})) {
      if (ref.startsWith('$in.')) {
        if (keepOutside) inputs[port] = ref; // a subgraph's input, pasted inside a subgraph
        continue;
      }
      const r = parsePortRef(ref);
      if (!r) continue;
      const mapped = idMap.get(r.nodeId);
      if (mapped) inputs[port] = `${mapped}.${r.port}`;
      else if (keepOutside && doc.nodes.some((x) => x.id === r.nodeId)) inputs[port] = ref;
    }
    const copy: GraphNode = {
      ...structuredClone(n),
      id: idMap.get(n.id)!,
      ui: { ...(n.ui ?? { x: 0, y: 0 }), x: (n.ui?.x ?? 0) + dx, y: (n.ui?.y ?? 0) + dy },
    };
    if (Object.keys(inputs).length) copy.inputs = inputs;
    else delete copy.inputs;
    return copy;
  });
}
