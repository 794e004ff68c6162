import { parsePortRef, type GraphNode } from '../graph/document';

/**
 * The node whose output a run was for: among the nodes that ran and that nothing reads, one with a picture
 * (an Image output) first, then the rightmost (pipelines read left to right), then the topmost. The first run
 * of a graph ends with it selected and in view.
 */
export function finalNode(
  nodes: readonly GraphNode[],
  outputTypes: (type: string) => Record<string, string> | undefined,
  ran: (id: string) => boolean,
): string | undefined {
  const read = new Set<string>();
  for (const n of nodes)
    for (const ref of Object.values(n.inputs ?? {})) {
      const r = parsePortRef(ref);
      if (r) read.add(r.nodeId);
    }
  const hasPicture = (n: GraphNode) => Object.values(outputTypes(n.type) ?? {}).includes('Image');
  const sinks = nodes.filter((n) => ran(n.id) && !read.has(n.id));
  const rank = (n: GraphNode): [number, number, number] => [hasPicture(n) ? 1 : 0, n.ui?.x ?? 0, -(n.ui?.y ?? 0)];
  let best: GraphNode | undefined;
  for (const n of sinks) {
    if (!best) best = n;
    else {
      const [a, b] = [rank(n), rank(best)];
      if (a[0] > b[0] || (a[0] === b[0] && (a[1] > b[1] || (a[1] === b[1] && a[2] > b[2])))) best = n;
    }
  }
  return best?.id;
}
