import { useStore, useStoreApi, type ReactFlowState } from '@xyflow/react';
import { useEffect, useRef } from 'react';
import { redrawOnChange } from './canvas-redraw';
import { familyColor } from './colors';
import { selectCatalog, selectScope, useEditor } from './store';
import { PLAIN_ZOOM } from './view';
import { TITLE_PX } from './node-size';

/**
 * A big graph (one whose nodes are culled) far out (PLAIN_ZOOM) is drawn on one canvas as plain boxes and wires,
 * and React Flow's nodes and wires are hidden: with 1,000 nodes in view, drawn as DOM boxes a pan missed a quarter
 * of its frames (`npm run bench -- editor`); the canvas keeps the display's rate. A click on a box selects its node
 * and zooms in on it (Canvas); zoomed in, the nodes are back where they were.
 */

/** Whether the overview stands in for the nodes now. */
export const overviewShown = (s: ReactFlowState, big: boolean) => big && s.transform[2] < PLAIN_ZOOM;

const BODY = '#23262f',
  BORDER = '#3a4050',
  SELECTED = '#6ea8fe';

/** The handle of `node` named `id` on `side`, as a point in flow coordinates (its centre). */
function handlePoint(s: ReactFlowState, nodeId: string, side: 'source' | 'target', id: string | null | undefined) {
  const n = s.nodeLookup.get(nodeId);
  if (!n) return null;
  const h = n.internals.handleBounds?.[side]?.find((b) => b.id === id) ?? n.internals.handleBounds?.[side]?.[0];
  const p = n.internals.positionAbsolute;
  if (!h) return { x: p.x + (side === 'source' ? (n.measured.width ?? 0) : 0), y: p.y + TITLE_PX };
  return { x: p.x + h.x + h.width / 2, y: p.y + h.y + h.height / 2 };
}

/** The overview canvas, over the pane (pointer events go through to it: pan, zoom, F). */
export function FarOverview({ big }: { big: boolean }) {
  const store = useStoreApi();
  const shown = useStore((s) => overviewShown(s, big));
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    if (!shown) return;
    const draw = () => {
      const el = canvas.current;
      const ctx = el?.getContext('2d');
      if (!el || !ctx) return;
      const s = store.getState();
      const [tx, ty, zoom] = s.transform;
      const dpr = window.devicePixelRatio || 1;
      if (el.width !== Math.round(s.width * dpr) || el.height !== Math.round(s.height * dpr)) {
        el.width = Math.round(s.width * dpr);
        el.height = Math.round(s.height * dpr);
      }
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, s.width, s.height);
      const editor = useEditor.getState();
      const catalog = selectCatalog(editor);
      const types = new Map(selectScope(editor).nodes.map((n) => [n.id, n.type]));
      const inView = (x: number, y: number, w: number, h: number) =>
        x + w >= 0 && y + h >= 0 && x <= s.width && y <= s.height;
      // wires first, under the boxes, each in its colour
      ctx.lineWidth = 1;
      for (const e of s.edges) {
        const a = handlePoint(s, e.source, 'source', e.sourceHandle);
        const b = handlePoint(s, e.target, 'target', e.targetHandle);
        if (!a || !b) continue;
        const [ax, ay, bx, by] = [a.x * zoom + tx, a.y * zoom + ty, b.x * zoom + tx, b.y * zoom + ty];
        if (!inView(Math.min(ax, bx), Math.min(ay, by), Math.abs(bx - ax), Math.abs(by - ay))) continue;
        ctx.strokeStyle = String(e.style?.stroke ?? '#888');
        ctx.beginPath();
        ctx.moveTo(ax, ay);
        ctx.lineTo(bx, by);
        ctx.stroke();
      }
      let drawn = 0;
      for (const n of s.nodeLookup.values()) {
        if (n.hidden) continue;
        const p = n.internals.positionAbsolute;
        // whole pixels: crisp boxes, a title band of at least 2 px
        const [x, y] = [Math.round(p.x * zoom + tx), Math.round(p.y * zoom + ty)];
        const [w, h] = [
          Math.max(1, Math.round((n.measured.width ?? 0) * zoom)),
          Math.max(1, Math.round((n.measured.height ?? 0) * zoom)),
        ];
        if (!inView(x, y, w, h)) continue;
        drawn++;
        ctx.fillStyle = n.selected ? SELECTED : BORDER;
        ctx.fillRect(x, y, w, h);
        if (w > 2 && h > 2) {
          ctx.fillStyle = BODY;
          ctx.fillRect(x + 1, y + 1, w - 2, h - 2);
        }
        const info = catalog.get(types.get(n.id) ?? '');
        ctx.fillStyle = info ? familyColor(info.family) : '#667';
        ctx.fillRect(x, y, w, Math.min(h, Math.max(2, Math.round(TITLE_PX * zoom))));
      }
      el.dataset.drawn = String(drawn);
    };
    return redrawOnChange(store, draw);
  }, [shown, store]);

  return shown ? <canvas ref={canvas} className="far-overview" data-testid="far-overview" /> : null;
}
