/**
 * Masks [N, H, W, 1] in [0, 1] (1 = regenerate), the port type `Mask`: rectangles, ShapesWorld
 * grid cells, pixels that differ from an image's background or lie near a colour, inversion,
 * and growing / shrinking with a feathered edge.
 */
import { borderMedian, imageDims } from './image';
import { float32, type Float32Tensor } from './tensor';

/** Pixels whose centres (x + 0.5, y + 0.5) lie in [x, x + width) x [y, y + height). */
export function rectMask(h: number, w: number, x: number, y: number, width: number, height: number): Float32Tensor {
  const out = new Float32Array(h * w);
  for (let py = 0; py < h; py++)
    for (let px = 0; px < w; px++) {
      const cx = px + 0.5,
        cy = py + 0.5;
      if (cx >= x && cx < x + width && cy >= y && cy < y + height) out[py * w + px] = 1;
    }
  return float32([1, h, w, 1], out);
}

export function invertMask(m: Float32Tensor): Float32Tensor {
  return float32(
    m.shape,
    Float32Array.from(m.data, (v) => 1 - v),
  );
}

/**
 * Grows (pixels > 0) or shrinks (< 0) a mask by a Euclidean distance, then feathers its edge: a
 * pixel at distance d outside the grown mask gets 1 - d / (feather + 1) (0 beyond). Per image.
 */
export function growMask(m: Float32Tensor, pixels: number, feather: number): Float32Tensor {
  const [n, h, w] = m.shape as [number, number, number, number];
  const out = new Float32Array(m.data.length);
  const reach = Math.abs(pixels) + feather + 1;
  for (let i = 0; i < n; i++) {
    const src = m.data.subarray(i * h * w, (i + 1) * h * w);
    // shrinking is growing the inverse
    const on = (p: number) => (pixels < 0 ? src[p]! < 0.5 : src[p]! >= 0.5);
    // distance from each pixel to the nearest "on" pixel, within reach (brute force over a window)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let best = Infinity;
        const r = Math.ceil(reach);
        for (let dy = -r; dy <= r; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= h) continue;
          for (let dx = -r; dx <= r; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= w || !on(yy * w + xx)) continue;
            best = Math.min(best, Math.hypot(dx, dy));
          }
        }
        let v: number;
        if (pixels >= 0) {
          const beyond = best - pixels;
          v = beyond <= 0 ? 1 : feather > 0 ? Math.max(0, 1 - beyond / (feather + 1)) : 0;
        } else {
          // distance to the nearest "off" pixel: inside by more than |pixels| stays 1, feathered inwards
          const inside = best - -pixels;
          v = inside <= 0 ? 0 : feather > 0 ? Math.min(1, inside / (feather + 1)) : 1;
        }
        out[i * h * w + y * w + x] = v;
      }
  }
  return float32(m.shape, out);
}

/** Pixels [N, H, W, 3] in [0, 1] -> 1 where any channel differs from `rgb` (0..1) by more than `tolerance`. */
export function differsFrom(
  img: Float32Tensor,
  rgb: (i: number) => readonly [number, number, number],
  tolerance: number,
) {
  const { n, h, w } = imageDims(img);
  const out = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    const ref = rgb(i);
    for (let p = 0; p < h * w; p++) {
      const o = (i * h * w + p) * 3;
      const d = Math.max(
        Math.abs(img.data[o]! - ref[0]),
        Math.abs(img.data[o + 1]! - ref[1]),
        Math.abs(img.data[o + 2]! - ref[2]),
      );
      out[i * h * w + p] = d > tolerance ? 1 : 0;
    }
  }
  return float32([n, h, w, 1], out);
}

/** The median of each channel over an image's border pixels (the ShapesWorld background), in [0, 1]. */
export function borderColour(img: Float32Tensor, index: number): [number, number, number] {
  const { h, w } = imageDims(img);
  return borderMedian((p, c) => img.data[(index * h * w + p) * 3 + c]!, w, h);
}

/** A mask at 1/factor of its size: a block is as on as its most-on pixel (a masked pixel regenerates its block). */
export function maxPoolMask(m: Float32Tensor, factor: number): Float32Tensor {
  const [n, h, w] = m.shape as [number, number, number, number];
  if (!Number.isInteger(factor) || factor < 1 || h % factor || w % factor)
    throw new RangeError(`mask pool factor ${factor} must divide ${h}x${w}`);
  const oh = h / factor,
    ow = w / factor;
  const out = new Float32Array(n * oh * ow);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++) {
        let v = 0;
        for (let dy = 0; dy < factor; dy++)
          for (let dx = 0; dx < factor; dx++) v = Math.max(v, m.data[(b * h + y * factor + dy) * w + x * factor + dx]!);
        out[(b * oh + y) * ow + x] = v;
      }
  return float32([n, oh, ow, 1], out);
}

/**
 * base where the mask is 0, overlay where it is 1, blended between: [N, H, W, C] images of one size, a mask of that
 * size; a one-row base or mask serves every overlay row.
 */
export function compositeImages(base: Float32Tensor, overlay: Float32Tensor, mask: Float32Tensor): Float32Tensor {
  const [nb, h, w, c] = base.shape as [number, number, number, number];
  const [no, oh, ow, oc] = overlay.shape as [number, number, number, number];
  const [nm, mh, mw] = mask.shape as [number, number, number, number];
  if (oh !== h || ow !== w || oc !== c)
    throw new RangeError(`the overlay is ${ow}x${oh}x${oc}, the base ${w}x${h}x${c}`);
  if (mh !== h || mw !== w) throw new RangeError(`the mask is ${mw}x${mh}, the images ${w}x${h}`);
  const n = Math.max(nb, no, nm);
  for (const [rows, what] of [
    [nb, 'base'],
    [no, 'overlay'],
    [nm, 'mask'],
  ] as const)
    if (rows !== 1 && rows !== n) throw new RangeError(`the ${what} has ${rows} rows, the others ${n}`);
  const out = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++)
    for (let p = 0; p < h * w; p++) {
      const m = mask.data[(nm === 1 ? 0 : b) * h * w + p]!;
      for (let k = 0; k < c; k++) {
        const i = p * c + k;
        out[b * h * w * c + i] =
          (1 - m) * base.data[(nb === 1 ? 0 : b) * h * w * c + i]! +
          m * overlay.data[(no === 1 ? 0 : b) * h * w * c + i]!;
      }
    }
  return float32([n, h, w, c], out);
}
