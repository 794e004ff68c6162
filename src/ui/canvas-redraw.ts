import type { useStoreApi } from '@xyflow/react';

/**
 * Calls `draw` now and whenever the canvas's nodes, wires, view or size change, at most once an animation frame
 * (the overview map and the far-out overview draw on canvases this way); returns what stops it.
 */
export function redrawOnChange(store: ReturnType<typeof useStoreApi>, draw: () => void): () => void {
  let frame = 0;
  const run = () => {
    frame = 0;
    draw();
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(run);
  };
  schedule();
  const unsubscribe = store.subscribe((s, prev) => {
    if (
      s.nodeLookup !== prev.nodeLookup ||
      s.transform !== prev.transform ||
      s.width !== prev.width ||
      s.height !== prev.height ||
      s.nodes !== prev.nodes ||
      s.edges !== prev.edges
    )
      schedule();
  });
  return () => {
    unsubscribe();
    if (frame) cancelAnimationFrame(frame);
  };
}
