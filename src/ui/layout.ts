import type { GraphNode } from '../graph/document';
import { parsePortRef } from '../graph/document';
import { scopeDraft } from './scope';
import { selectScope, useEditor } from './store';

export interface Size {
  width: number;
  height: number;
}

/** A node's size before the canvas has measured it. */
const UNMEASURED: Size = { width: 240, height: 160 };
const GAP = { x: 80, y: 40 };

/**
 * Positions for nodes in columns by what feeds what: each node one column right of the deepest node it reads
 * (among `nodes`), each column's nodes stacked in the order they stood, from the group's top-left corner.
 */
export function layeredLayout(
  nodes: readonly GraphNode[],
  size: (id: string) => Size | undefined = () => undefined,
): Map<string, { x: number; y: number }> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map<string, number>();
  const depthOf = (n: GraphNode, seen: Set<string>): number => {
    const known = depth.get(n.id);
    if (known !== undefined) return known;
    seen.add(n.id);
    let d = 0;
    for (const ref of Object.values(n.inputs ?? {})) {
      const src = byId.get(parsePortRef(ref)?.nodeId ?? '');
      if (src && !seen.has(src.id)) d = Math.max(d, depthOf(src, seen) + 1);
    }
    depth.set(n.id, d);
    return d;
  };
  const columns: GraphNode[][] = [];
  for (const n of nodes) (columns[depthOf(n, new Set())] ??= []).push(n);
  const sizeOf = (id: string) => size(id) ?? UNMEASURED;
  const at = new Map<string, { x: number; y: number }>();
  const left = Math.min(...nodes.map((n) => n.ui?.x ?? 0));
  const top = Math.min(...nodes.map((n) => n.ui?.y ?? 0));
  let x = left;
  for (const column of columns) {
    if (!column) continue;
    column.sort((a, b) => (a.ui?.y ?? 0) - (b.ui?.y ?? 0) || (a.ui?.x ?? 0) - (b.ui?.x ?? 0));
    let y = top;
    for (const n of column) {
      at.set(n.id, { x: Math.round(x), y: Math.round(y) });
      y += sizeOf(n.id).height + GAP.y;
    }
    x += Math.max(...column.map((n) => sizeOf(n.id).width)) + GAP.x;
  }
  return at;
}

/** Lays out the selection (two nodes or more) or else the whole scope shown: one undoable edit. */
export function layoutScope(size?: (id: string) => Size | undefined): void {
  const state = useEditor.getState();
  const { view, selection } = state;
  const scope = selectScope(state).nodes;
  const picked = selection.length > 1 ? scope.filter((n) => selection.includes(n.id)) : scope;
  if (picked.length < 2) return;
  const at = layeredLayout(picked, size);
  state.change(`lay out ${picked.length} nodes`, (d) => {
    for (const n of scopeDraft(d, view).nodes) {
      const p = at.get(n.id);
      if (p && (p.x !== (n.ui?.x ?? 0) || p.y !== (n.ui?.y ?? 0))) n.ui = { ...(n.ui ?? p), x: p.x, y: p.y };
    }
  });
}
