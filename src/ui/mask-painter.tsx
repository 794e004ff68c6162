import { useEffect, useRef, useState } from 'react';
import type { ImagePreview } from '../engine/events';
import { maskTint } from '../engine/preview';
import { parsePortRef, type GraphNode } from '../graph/document';
import { decodeMaskRle, encodeMaskRle, MASK_RLE_MAX_LENGTH } from '../graph/mask-rle';
import { getEngine } from './engine-client';
import { flatId, scopeDraft, type ViewFrame } from './scope';
import { useEditor } from './store';

const DISPLAY = 256;

/** The painted bits of a mask/paint node's param, or an empty mask of the size it will have. */
function bitsOf(text: string, w: number, h: number): { w: number; h: number; bits: Uint8Array } {
  if (text) {
    try {
      return decodeMaskRle(text);
    } catch {
      /* the node reports a bad mask when it runs; paint afresh */
    }
  }
  return { w, h, bits: new Uint8Array(w * h) };
}

/**
 * Paints a mask/paint node's mask over the picture wired to it: brush and eraser of a radius, one undo step per
 * stroke (each stroke is one edit of the node's `mask` param), Clear.
 */
export function MaskPainter({ id, node, view }: { id: string; node: GraphNode; view: ViewFrame[] }) {
  const change = useEditor((s) => s.change);
  const runCounter = useEditor((s) => s.runCounter);
  const [picture, setPicture] = useState<ImagePreview | null>(null);
  const [erase, setErase] = useState(false);
  const [radius, setRadius] = useState(3);
  const canvas = useRef<HTMLCanvasElement>(null);
  const stroke = useRef<{ bits: Uint8Array; w: number; h: number } | null>(null);
  const text = String(node.params?.mask ?? '');
  const size = Number(node.params?.size ?? 64);
  const imageRef = node.inputs?.image;

  // the wired picture, once it has run (the painter works without it, at the node's size)
  useEffect(() => {
    let stale = false;
    if (!imageRef || imageRef.startsWith('$in.')) {
      setPicture(null);
      return;
    }
    const { nodeId: src, port } = parsePortRef(imageRef)!;
    getEngine()
      .imagePreview(flatId(view, src), port, 0, 512)
      .then((p) => !stale && setPicture(p))
      .catch(() => !stale && setPicture(null));
    return () => {
      stale = true;
    };
  }, [imageRef, view, runCounter]);

  const current = () => stroke.current ?? bitsOf(text, picture?.width ?? size, picture?.height ?? size);

  const draw = () => {
    const c = canvas.current;
    if (!c) return;
    const m = current();
    if (c.width !== m.w || c.height !== m.h) {
      c.width = m.w;
      c.height = m.h;
    }
    const ctx = c.getContext('2d')!;
    const img = ctx.createImageData(m.w, m.h);
    const samePicture = picture && picture.width === m.w && picture.height === m.h;
    for (let i = 0; i < m.w * m.h; i++) {
      for (let k = 0; k < 3; k++)
        img.data[i * 4 + k] = maskTint(samePicture ? picture.rgba[i * 4 + k]! : 128, m.bits[i]!, k);
      img.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  };
  useEffect(draw);

  const paintAt = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const m = stroke.current;
    const c = canvas.current;
    if (!m || !c) return;
    const box = c.getBoundingClientRect();
    const px = ((e.clientX - box.left) / box.width) * m.w,
      py = ((e.clientY - box.top) / box.height) * m.h;
    const r = radius;
    for (let y = Math.max(0, Math.floor(py - r)); y <= Math.min(m.h - 1, Math.ceil(py + r)); y++)
      for (let x = Math.max(0, Math.floor(px - r)); x <= Math.min(m.w - 1, Math.ceil(px + r)); x++)
        if ((x + 0.5 - px) ** 2 + (y + 0.5 - py) ** 2 <= r * r) m.bits[y * m.w + x] = erase ? 0 : 1;
    draw();
  };

  const commit = (value: string, label: string) =>
    change(label, (d) => {
      const n = scopeDraft(d, view).nodes.find((x) => x.id === id)!;
      n.params = { ...n.params, mask: value };
    });

  const m = current();
  const scale = Math.max(1, Math.floor(DISPLAY / Math.max(m.w, m.h)));
  const on = m.bits.reduce((a, b) => a + b, 0);
  return (
    <section className="port-view mask-painter" data-testid="mask-painter">
      <h4>
        paint <small>{erase ? 'eraser' : 'brush'} · drag over the picture · each stroke is one undo step</small>
      </h4>
      <div className="zoom">
        <label>
          <input type="radio" checked={!erase} onChange={() => setErase(false)} data-testid="brush" /> brush
        </label>{' '}
        <label>
          <input type="radio" checked={erase} onChange={() => setErase(true)} data-testid="eraser" /> eraser
        </label>{' '}
        radius{' '}
        <input type="range" min={1} max={16} value={radius} onChange={(e) => setRadius(Number(e.target.value))} />{' '}
        {radius}px{' '}
        <button className="small" disabled={!text} onClick={() => commit('', `clear ${id}.mask`)}>
          Clear
        </button>
      </div>
      <canvas
        ref={canvas}
        className="pixelated painter"
        data-testid="paint-canvas"
        style={{ width: m.w * scale, height: m.h * scale, cursor: 'crosshair', touchAction: 'none' }}
        onPointerDown={(e) => {
          const start = bitsOf(text, picture?.width ?? size, picture?.height ?? size);
          stroke.current = { ...start, bits: Uint8Array.from(start.bits) };
          e.currentTarget.setPointerCapture(e.pointerId);
          paintAt(e);
        }}
        onPointerMove={(e) => stroke.current && paintAt(e)}
        onPointerUp={() => {
          const s = stroke.current;
          stroke.current = null;
          if (!s) return;
          const text = encodeMaskRle(s.bits, s.w, s.h);
          if (text.length > MASK_RLE_MAX_LENGTH) {
            // kept out of the graph: a file over the validator's limit would not open again
            useEditor
              .getState()
              .notify(
                `that stroke would make the mask ${text.length} characters, over the ${MASK_RLE_MAX_LENGTH} a graph ` +
                  'may hold: paint larger, simpler areas',
                'error',
              );
            draw();
            return;
          }
          commit(text, `paint ${id}.mask`);
        }}
        onPointerCancel={() => {
          stroke.current = null;
          draw();
        }}
        onLostPointerCapture={() => {
          if (!stroke.current) return;
          stroke.current = null;
          draw();
        }}
      />
      <p className="hint">
        {on} of {m.w}x{m.h} px painted{picture ? '' : imageRef ? ' · run the graph to see its picture' : ''}
      </p>
    </section>
  );
}
