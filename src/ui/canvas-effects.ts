import { useStoreApi, type ReactFlowInstance } from '@xyflow/react';
import { useEffect, useLayoutEffect, useRef, type RefObject } from 'react';
import { NEW_NODE_SIZE, setCanvasBoxes } from './placement';
import { finalNode } from './reveal';
import { flatId, scopeOf } from './scope';
import { selectCatalog, useEditor } from './store';
import { viewportToShow } from './view';

/** New nodes (the palette, a paste, a duplicate) are placed clear of the nodes drawn on the canvas. */
export function useNodePlacement(flowRef: RefObject<ReactFlowInstance>): void {
  useEffect(() => {
    setCanvasBoxes(() =>
      flowRef.current.getNodes().map((n) => ({
        id: n.id,
        x: n.position.x,
        y: n.position.y,
        width: n.measured?.width ?? NEW_NODE_SIZE.width,
        height: n.measured?.height ?? NEW_NODE_SIZE.height,
      })),
    );
    return () => setCanvasBoxes(() => []);
  }, [flowRef]);
}

/**
 * The first run of a graph opened, untouched since (`shownDoc` is still the document, the user has not moved the
 * view), ends with its result in view and in the inspector. See the effect's comment.
 */
export function useFirstRunReveal(
  flowRef: RefObject<ReactFlowInstance>,
  rf: ReturnType<typeof useStoreApi>,
  shownDoc: RefObject<unknown>,
  userMoved: RefObject<boolean>,
  shownView: RefObject<number[] | null>,
): void {
  // The first run of a graph opened, untouched since (not edited, the view not moved), ends with its result in
  // view and in the inspector: the node it was for is selected (when nothing is) and the view moves just enough
  // to show it whole, picture included. The canvas's data-view is pending while it moves.
  const runShown = useEditor((s) => s.runShown);
  const revealedFor = useRef(0);
  useLayoutEffect(() => {
    const s = useEditor.getState();
    const canvas = document.querySelector('.canvas');
    // which run's aftermath the canvas has taken in (tests wait for it, and for data-view "set")
    canvas?.setAttribute('data-run-shown', String(runShown));
    if (!runShown || revealedFor.current === s.opened) return;
    revealedFor.current = s.opened;
    // moved by the user since it was shown: by the pointer (userMoved), or by a key or a button (F, a search),
    // which React Flow reports as no event
    const [x, y, zoom] = rf.getState().transform;
    const was = shownView.current;
    const moved =
      was && (Math.abs(x - was[0]!) > 0.5 || Math.abs(y - was[1]!) > 0.5 || Math.abs(zoom - was[2]!) > 1e-4);
    if (s.doc !== shownDoc.current || userMoved.current || moved) return;
    const scope = scopeOf(s.doc, s.view);
    const catalog = selectCatalog(s);
    const id = finalNode(
      scope.nodes,
      (type) => catalog.get(type)?.outputs,
      (nodeId) => ['done', 'cached'].includes(s.run[flatId(s.view, nodeId)]?.status ?? ''),
    );
    if (!id) return;
    if (!s.selection.length) s.select([id]);
    canvas?.setAttribute('data-view', 'pending');
    const settle = () => canvas?.setAttribute('data-view', 'set');
    // after the thumbnails' frame, so the node's measured size includes its picture
    let frame = requestAnimationFrame(() => {
      frame = requestAnimationFrame(() => {
        const node = flowRef.current.getInternalNode(id);
        const { width, height, transform } = rf.getState();
        const to =
          node?.measured.width && node.measured.height
            ? viewportToShow(
                { ...node.internals.positionAbsolute, width: node.measured.width, height: node.measured.height },
                { x: transform[0], y: transform[1], zoom: transform[2] },
                { width, height },
              )
            : null;
        if (to) void flowRef.current.setViewport(to, { duration: 300 }).finally(settle);
        else settle();
      });
    });
    return () => {
      cancelAnimationFrame(frame);
      settle();
    };
  }, [runShown, rf, flowRef, shownDoc, userMoved, shownView]);
}
