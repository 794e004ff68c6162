import { useReactFlow, useStoreApi, type ReactFlowState } from '@xyflow/react';
import { useEffect, useRef } from 'react';
import { redrawOnChange } from './canvas-redraw';

// the width of the side column it sits in (the inspector's, less its padding)
const W = 334,
  H = 150,
  PAD = 8;

/** Flow-space box of every node and the visible viewport, and the scale that fits them in the map. */
function layout(s: ReactFlowState) {
  const [tx, ty, zoom] = s.transform;
  const view = { x: -tx / zoom, y: -ty / zoom, w: s.width / zoom, h: s.height / zoom };
  let x0 = view.x,
    y0 = view.y,
    x1 = view.x + view.w,
    y1 = view.y + view.h;
  for (const n of s.nodeLookup.values()) {
    const p = n.internals.positionAbsolute,
      w = n.measured.width ?? 0,
      h = n.measured.height ?? 0;
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x + w);
    y1 = Math.max(y1, p.y + h);
  }
  const scale = Math.min((W - 2 * PAD) / Math.max(1, x1 - x0), (H - 2 * PAD) / Math.max(1, y1 - y0));
  // centre the content in the map
  const ox = PAD + (W - 2 * PAD - (x1 - x0) * scale) / 2 - x0 * scale;
  const oy = PAD + (H - 2 * PAD - (y1 - y0) * scale) / 2 - y0 * scale;
  return { view, scale, ox, oy };
}

/**
 * The overview map, drawn on a canvas. React Flow's own MiniMap is an SVG with one element per
 * node: at 500 nodes re-rendering and hit-testing it cost a fifth of the main thread's frame time
 * (measured while panning). This one redraws at most once per animation frame, whatever changed.
 * Click or drag in it to move the view there; the wheel zooms. It sits in the side column under the
 * inspector, not over the canvas: over it, it covered the nodes and pictures at its corner.
 */
export function CanvasMiniMap() {
  const store = useStoreApi();
  const flow = useReactFlow();
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const draw = () => {
      const ctx = canvas.current?.getContext('2d');
      if (!ctx) return;
      const s = store.getState();
      const { view, scale, ox, oy } = layout(s);
      const dpr = window.devicePixelRatio || 1;
      if (ctx.canvas.width !== W * dpr) {
        ctx.canvas.width = W * dpr;
        ctx.canvas.height = H * dpr;
      }
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = '#1b1e24';
      ctx.fillRect(0, 0, W, H);
      for (const n of s.nodeLookup.values()) {
        if (n.hidden) continue;
        const p = n.internals.positionAbsolute;
        ctx.fillStyle = n.selected ? '#6ea8fe' : '#556';
        ctx.fillRect(
          ox + p.x * scale,
          oy + p.y * scale,
          Math.max(1, (n.measured.width ?? 0) * scale),
          Math.max(1, (n.measured.height ?? 0) * scale),
        );
      }
      ctx.strokeStyle = '#c8ccd8';
      ctx.lineWidth = 1;
      ctx.strokeRect(ox + view.x * scale + 0.5, oy + view.y * scale + 0.5, view.w * scale, view.h * scale);
    };
    return redrawOnChange(store, draw);
  }, [store]);

  /** The flow point under a pointer event on the map. */
  const flowPoint = (e: { clientX: number; clientY: number }) => {
    const r = canvas.current!.getBoundingClientRect();
    const { scale, ox, oy } = layout(store.getState());
    return { x: (e.clientX - r.left - ox) / scale, y: (e.clientY - r.top - oy) / scale };
  };
  const moveTo = (e: React.PointerEvent) => {
    const p = flowPoint(e);
    void flow.setCenter(p.x, p.y, { zoom: store.getState().transform[2] });
  };

  return (
    <div className="minimap" data-testid="minimap">
      <canvas
        ref={canvas}
        width={W}
        height={H}
        style={{ width: W, height: H }}
        aria-label="overview map: click or drag to move the view, wheel to zoom"
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          moveTo(e);
        }}
        onPointerMove={(e) => {
          if (e.buttons & 1) moveTo(e);
        }}
        onWheel={(e) => {
          // zoom about the centre of the current view
          const s = store.getState(),
            { view } = layout(s);
          const zoom = Math.min(s.maxZoom, Math.max(s.minZoom, s.transform[2] * Math.pow(1.2, -Math.sign(e.deltaY))));
          void flow.setCenter(view.x + view.w / 2, view.y + view.h / 2, { zoom });
        }}
      />
    </div>
  );
}
