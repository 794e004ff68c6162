import type { GraphNode } from '../graph/document';
import type { NodeInfo } from '../engine/api';
import type { Box } from './view';

export interface Size {
  width: number;
  height: number;
}

/** A node's size before the canvas has measured it (the width nodes are drawn at; a typical height). */
export const NEW_NODE_SIZE = { width: 240, height: 160 };
/** The room kept between a new node and its neighbours. */
export const GAP = 24;

const hits = (a: Box, b: Box, gap: number) =>
  a.x < b.x + b.width + gap && a.x + a.width + gap > b.x && a.y < b.y + b.height + gap && a.y + a.height + gap > b.y;

/**
 * Where a box wanted at (box.x, box.y) lands clear of `others` (with `gap` between): the spot nearest the wanted
 * one among those that touch a neighbour's right or bottom edge (where a free spot next to nodes must start), so
 * a node added at the pointer, a paste or a duplicate never lands on top of another node. Only neighbours within
 * reach are considered, so a 1,000-node graph costs what a small one does.
 */
export function freeSpot(box: Box, others: readonly Box[], gap = GAP): { x: number; y: number } {
  const reach = 3000;
  const near = others.filter(
    (o) => Math.abs(o.x - box.x) < reach + box.width && Math.abs(o.y - box.y) < reach + box.height,
  );
  if (!near.some((o) => hits(box, o, gap))) return { x: box.x, y: box.y };
  const xs = [box.x, ...near.map((o) => o.x + o.width + gap), ...near.map((o) => o.x - box.width - gap)];
  const ys = [box.y, ...near.map((o) => o.y + o.height + gap), ...near.map((o) => o.y - box.height - gap)];
  const candidates: Array<{ x: number; y: number; d: number }> = [];
  for (const x of xs) for (const y of ys) candidates.push({ x, y, d: Math.hypot(x - box.x, y - box.y) });
  candidates.sort((a, b) => a.d - b.d);
  for (const c of candidates)
    if (!near.some((o) => hits({ ...box, x: c.x, y: c.y }, o, gap))) return { x: Math.round(c.x), y: Math.round(c.y) };
  // packed solid all around: below everything near
  return { x: box.x, y: Math.round(Math.max(...near.map((o) => o.y + o.height)) + gap) };
}

/** The canvas's node boxes in flow coordinates (measured sizes), set by the canvas while it is shown. */
let canvasBoxes: () => Array<Box & { id: string }> = () => [];
export function setCanvasBoxes(read: () => Array<Box & { id: string }>): void {
  canvasBoxes = read;
}

/** A node's size on the canvas (its measured one), if it is drawn there. */
export function drawnSize(id: string): Size | undefined {
  const b = canvasBoxes().find((o) => o.id === id);
  return b && { width: b.width, height: b.height };
}

/**
 * A node's size before it is drawn, from what its type shows: a header, a row per port, a field per param
 * (over-estimated rather than under: a new node placed clear by a guess too small would land on a neighbour).
 */
export function estimatedSize(
  info: Pick<NodeInfo, 'inputs' | 'outputs' | 'params'> | undefined,
  params: Record<string, unknown> = {},
): Size {
  if (!info) return NEW_NODE_SIZE;
  const rows = Math.max(Object.keys(info.inputs).length, Object.keys(info.outputs).length);
  let fields = 0;
  for (const [name, p] of Object.entries(info.params)) {
    // a text box shows up to 6 lines of its text (widgets.tsx)
    const lines =
      'multiline' in p && p.multiline
        ? Math.min(6, Math.max(2, String(params[name] ?? p.default ?? '').split('\n').length))
        : 1;
    fields += 32 + 18 * lines;
  }
  return { width: NEW_NODE_SIZE.width, height: 60 + 20 * rows + fields };
}

/**
 * The shift that puts new nodes (at their positions in `nodes`, of the sizes `sizeOf` gives) clear of the nodes
 * on the canvas: the group moves as one, keeping its own layout.
 */
export function clearShift<N extends Pick<GraphNode, 'ui'>>(
  nodes: readonly N[],
  sizeOf: (n: N) => Size = () => NEW_NODE_SIZE,
): { dx: number; dy: number } {
  if (!nodes.length) return { dx: 0, dy: 0 };
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const n of nodes) {
    const { width, height } = sizeOf(n);
    const [x, y] = [n.ui?.x ?? 0, n.ui?.y ?? 0];
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + width), Math.max(y1, y + height)];
  }
  const to = freeSpot({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, canvasBoxes());
  return { dx: to.x - x0, dy: to.y - y0 };
}
