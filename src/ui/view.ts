import { getViewportForBounds, type ReactFlowInstance } from '@xyflow/react';

/**
 * The zoom below which a graph is not opened: node text is 13 px, so it reads at >= 11.7 px
 * (fitting the default graph into 1400 px would draw it at about 9 px).
 */
export const READABLE_ZOOM = 0.9;

/**
 * Graphs with more nodes render only those in view (React Flow's culling). Measured (`npm run bench -- editor`):
 * at 500 nodes culling costs little on a pan (97-99% of frames within a vsync) and makes the first render ~0.2 s
 * faster; small graphs skip it so nothing pops in at the edges.
 */
export const CULL_ABOVE = 150;

/**
 * Below this zoom node text would be under 3 px: nodes are plain boxes with their port dots (NodeView), and a big
 * graph (culled) is drawn on one canvas instead (FarOverview).
 */
export const PLAIN_ZOOM = 0.2;

/** The canvas's least zoom: F fits a 1,000-node graph of 100 rows (20,000 px tall) into 900 px. */
export const MIN_ZOOM = 0.02;

/** Room around a fitted graph: clear of the zoom buttons at the bottom left. */
export const FIT_PADDING = { top: '24px', right: '24px', bottom: '24px', left: '56px' } as const;

/**
 * Shows a freshly opened graph: all of it when that fits at a readable zoom (never above 1:1),
 * otherwise at READABLE_ZOOM from its left edge (pipelines read left to right), its top in view.
 * F still fits everything, however small.
 */
export function showOpenedGraph(flow: ReactFlowInstance, pane: { width: number; height: number }): void {
  const nodes = flow.getNodes();
  if (!nodes.length || pane.width <= 0 || pane.height <= 0) return;
  const bounds = flow.getNodesBounds(nodes);
  const fit = getViewportForBounds(bounds, pane.width, pane.height, MIN_ZOOM, 1, FIT_PADDING);
  if (fit.zoom >= READABLE_ZOOM) {
    void flow.setViewport(fit);
    return;
  }
  const zoom = READABLE_ZOOM;
  const margin = 24;
  const x = 56 - bounds.x * zoom; // clear of the zoom buttons at the bottom left
  const fitsTall = bounds.height * zoom + 2 * margin <= pane.height;
  const y = fitsTall ? pane.height / 2 - (bounds.y + bounds.height / 2) * zoom : margin - bounds.y * zoom;
  void flow.setViewport({ x, y, zoom });
}

/** A rectangle in flow or screen coordinates. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The viewport that brings `node` (flow coordinates) wholly into a pane of this size at zoom `zoom`, moving
 * the view as little as possible (null: it is in view already). A node bigger than the pane shows its top left.
 */
export function viewportToShow(
  node: Box,
  view: { x: number; y: number; zoom: number },
  pane: { width: number; height: number },
  margin = 24,
): { x: number; y: number; zoom: number } | null {
  const { zoom } = view;
  const left = node.x * zoom + view.x,
    top = node.y * zoom + view.y;
  const right = left + node.width * zoom,
    bottom = top + node.height * zoom;
  const shift = (lo: number, hi: number, size: number, lead: number) => {
    if (lo >= lead && hi <= size - margin) return 0;
    if (hi - lo > size - lead - margin || lo < lead) return lead - lo; // too big, or off the near side
    return size - margin - hi;
  };
  const dx = shift(left, right, pane.width, 56); // clear of the zoom buttons
  const dy = shift(top, bottom, pane.height, margin);
  return dx || dy ? { x: view.x + dx, y: view.y + dy, zoom } : null;
}

/**
 * Shows the inside of a subgraph just entered: all of it, however small (never above 1:1), so the group is seen
 * whole with its Inputs and Outputs nodes; the wheel and F zoom from there.
 */
export function showWholeGraph(flow: ReactFlowInstance, pane: { width: number; height: number }): void {
  const nodes = flow.getNodes();
  if (!nodes.length || pane.width <= 0 || pane.height <= 0) return;
  void flow.setViewport(getViewportForBounds(flow.getNodesBounds(nodes), pane.width, pane.height, MIN_ZOOM, 1, 0.1));
}
