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
 * Renders a scene into RGB bytes (row-major, 3 bytes a pixel), 64x64 at scale 1; at scale k the canvas is 64k
 * pixels wide with every coordinate and size multiplied by k (the cascade's 256x256 stage trains on scale 4).
 * Anti-aliased by 4x4 supersampling of each pixel near a shape, at every scale.
 */
export function renderScene(scene: Scene, out?: Uint8Array, scale = 1): Uint8Array {
  if (!Number.isInteger(scale) || scale < 1)
    throw new RangeError(`renderScene: scale must be a positive integer, got ${scale}`);
  const size = CANVAS * scale;
  const img = out ?? new Uint8Array(size * size * 3);
  if (img.length !== size * size * 3)
    throw new RangeError(`renderScene: out holds ${img.length} bytes, not ${size}x${size}x3`);
  const bg = BACKGROUND_RGB[scene.background];
  for (let i = 0; i < size * size; i++) {
    img[i * 3] = bg[0];
    img[i * 3 + 1] = bg[1];
    img[i * 3 + 2] = bg[2];
  }
  for (const o of scene.objects) {
    const rgb = COLOUR_RGB[o.colour];
    const obj = scale === 1 ? o : { ...o, cx: o.cx * scale, cy: o.cy * scale, s: o.s * scale };
    const x0 = Math.max(0, Math.floor(obj.cx - obj.s - 1)),
      x1 = Math.min(size - 1, Math.ceil(obj.cx + obj.s + 1));
    const y0 = Math.max(0, Math.floor(obj.cy - obj.s - 1)),
      y1 = Math.min(size - 1, Math.ceil(obj.cy + obj.s + 1));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        let hits = 0;
        for (let j = 0; j < SUB; j++) {
          const py = y + (j + 0.5) / SUB;
          for (let i = 0; i < SUB; i++) if (inside(obj, x + (i + 0.5) / SUB, py)) hits++;
        }
        if (hits === 0) continue;
        const a = hits / (SUB * SUB);
        const k = (y * size + x) * 3;
        for (let c = 0; c < 3; c++) img[k + c] = Math.round(img[k + c]! * (1 - a) + rgb[c]! * a);
      }
    }
  }
  return img;
}
