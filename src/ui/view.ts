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
 * Shows a freshly opened graph: all of it when that fits at a readable zoom (never above 1:1),
 * otherwise at READABLE_ZOOM from its left edge (pipelines read left to right), its top in view.
 * F still fits everything, however small.
 */
export function showOpenedGraph(flow: ReactFlowInstance, pane: { width: number; height: number }): void {
  const nodes = flow.getNodes();
  if (!nodes.length || pane.width <= 0 || pane.height <= 0) return;
  const bounds = flow.getNodesBounds(nodes);
  const fit = getViewportForBounds(bounds, pane.width, pane.height, 0.05, 1, 0.1);
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
