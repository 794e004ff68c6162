import { BACKGROUND_RGB, CANVAS, COLOUR_RGB } from './spec';
import type { Scene, SceneObject } from './scene';

const SUB = 4;

function inside(o: SceneObject, x: number, y: number): boolean {
  const dx = x - o.cx,
    dy = y - o.cy,
    s = o.s;
  switch (o.shape) {
    case 'circle':
      return dx * dx + dy * dy <= s * s;
    case 'square':
      return Math.abs(dx) <= s && Math.abs(dy) <= s;
    case 'triangle': {
      // apex (cx, cy - s), base from (cx - s, cy + s) to (cx + s, cy + s)
      if (dy > s || dy < -s) return false;
      const halfWidth = (dy + s) / 2;
      return Math.abs(dx) <= halfWidth;
    }
    case 'cross': {
      const t = s / 3;
      return (Math.abs(dx) <= t && Math.abs(dy) <= s) || (Math.abs(dx) <= s && Math.abs(dy) <= t);
    }
  }
}

/**
 * Renders a scene into 64x64 RGB bytes (row-major, 3 bytes a pixel).
 * Anti-aliased by 4x4 supersampling of each pixel near a shape.
 */
export function renderScene(scene: Scene, out: Uint8Array = new Uint8Array(CANVAS * CANVAS * 3)): Uint8Array {
  const bg = BACKGROUND_RGB[scene.background];
  for (let i = 0; i < CANVAS * CANVAS; i++) {
    out[i * 3] = bg[0];
    out[i * 3 + 1] = bg[1];
    out[i * 3 + 2] = bg[2];
  }
  for (const o of scene.objects) {
    const rgb = COLOUR_RGB[o.colour];
    const x0 = Math.max(0, Math.floor(o.cx - o.s - 1)),
      x1 = Math.min(CANVAS - 1, Math.ceil(o.cx + o.s + 1));
    const y0 = Math.max(0, Math.floor(o.cy - o.s - 1)),
      y1 = Math.min(CANVAS - 1, Math.ceil(o.cy + o.s + 1));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        let hits = 0;
        for (let j = 0; j < SUB; j++) {
          const py = y + (j + 0.5) / SUB;
          for (let i = 0; i < SUB; i++) if (inside(o, x + (i + 0.5) / SUB, py)) hits++;
        }
        if (hits === 0) continue;
        const a = hits / (SUB * SUB);
        const k = (y * CANVAS + x) * 3;
        for (let c = 0; c < 3; c++) out[k + c] = Math.round(out[k + c]! * (1 - a) + rgb[c]! * a);
      }
    }
  }
  return out;
}
