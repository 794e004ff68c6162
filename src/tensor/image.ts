import { float32, type Float32Tensor } from './tensor';

/**
 * Images are float32 [N, H, W, C] in [0, 1]. These helpers resample them.
 */
export function imageDims(img: Float32Tensor): { n: number; h: number; w: number; c: number } {
  if (img.shape.length !== 4)
    throw new RangeError(`expected an image batch [N, H, W, C], got [${img.shape.join(', ')}]`);
  const [n, h, w, c] = img.shape as [number, number, number, number];
  return { n, h, w, c };
}

/** Averages each factor x factor block. */
export function boxDownsample(img: Float32Tensor, factor: number): Float32Tensor {
  const { n, h, w, c } = imageDims(img);
  if (!Number.isInteger(factor) || factor < 1 || h % factor || w % factor) {
    throw new RangeError(`box downsample factor ${factor} must divide ${h}x${w}`);
  }
  const oh = h / factor,
    ow = w / factor,
    inv = 1 / (factor * factor);
  const out = new Float32Array(n * oh * ow * c);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++)
        for (let k = 0; k < c; k++) {
          let s = 0;
          for (let dy = 0; dy < factor; dy++)
            for (let dx = 0; dx < factor; dx++) {
              s += img.data[((b * h + y * factor + dy) * w + x * factor + dx) * c + k]!;
            }
          out[((b * oh + y) * ow + x) * c + k] = s * inv;
        }
  return float32([n, oh, ow, c], out);
}

/** Bilinear resampling with half-pixel centres (align_corners = false), edges clamped. */
export function bilinearResize(img: Float32Tensor, oh: number, ow: number): Float32Tensor {
  const { n, h, w, c } = imageDims(img);
  const out = new Float32Array(n * oh * ow * c);
  const sy = h / oh,
    sx = w / ow;
  for (let y = 0; y < oh; y++) {
    const fy = Math.min(h - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy),
      y1 = Math.min(h - 1, y0 + 1),
      ty = fy - y0;
    for (let x = 0; x < ow; x++) {
      const fx = Math.min(w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx),
        x1 = Math.min(w - 1, x0 + 1),
        tx = fx - x0;
      for (let b = 0; b < n; b++)
        for (let k = 0; k < c; k++) {
          const at = (yy: number, xx: number) => img.data[((b * h + yy) * w + xx) * c + k]!;
          const top = at(y0, x0) * (1 - tx) + at(y0, x1) * tx;
          const bottom = at(y1, x0) * (1 - tx) + at(y1, x1) * tx;
          out[((b * oh + y) * ow + x) * c + k] = top * (1 - ty) + bottom * ty;
        }
    }
  }
  return float32([n, oh, ow, c], out);
}

/** Nearest-neighbour resampling (pixel centres), for masks and pixel art: values are copied, never blended. */
export function nearestResize(img: Float32Tensor, oh: number, ow: number): Float32Tensor {
  const { n, h, w, c } = imageDims(img);
  const out = new Float32Array(n * oh * ow * c);
  for (let y = 0; y < oh; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / oh));
    for (let x = 0; x < ow; x++) {
      const sx = Math.min(w - 1, Math.floor(((x + 0.5) * w) / ow));
      for (let b = 0; b < n; b++)
        for (let k = 0; k < c; k++) out[((b * oh + y) * ow + x) * c + k] = img.data[((b * h + sy) * w + sx) * c + k]!;
    }
  }
  return float32([n, oh, ow, c], out);
}

export const RESIZE_METHODS = ['area', 'bilinear', 'nearest'] as const;
export type ResizeMethod = (typeof RESIZE_METHODS)[number];

/**
 * An NHWC image to oh x ow: `area` averages whole boxes (a shrink by a whole factor, how ShapesWorld's 64x64
 * pictures relate to its 256x256 ones), `bilinear` blends (half-pixel centres), `nearest` copies. A RangeError says
 * why `area` cannot make that size.
 */
export function resizeImage(img: Float32Tensor, oh: number, ow: number, method: ResizeMethod): Float32Tensor {
  const { h, w } = imageDims(img);
  if (oh === h && ow === w) return img;
  if (method === 'nearest') return nearestResize(img, oh, ow);
  if (method === 'bilinear') return bilinearResize(img, oh, ow);
  if (h % oh || w % ow || h / oh !== w / ow)
    throw new RangeError(
      `area resizing shrinks by one whole factor: ${w}x${h} -> ${ow}x${oh} is not one (bilinear makes any size)`,
    );
  return boxDownsample(img, h / oh);
}

/** RGB bytes (H*W*3) to a [1, H, W, 3] image in [0, 1]. */
export function imageFromBytes(bytes: Uint8Array, h: number, w: number, channels = 3): Float32Tensor {
  const out = new Float32Array(h * w * channels);
  for (let i = 0; i < out.length; i++) out[i] = bytes[i]! / 255;
  return float32([1, h, w, channels], out);
}

/** One image of a batch as RGB(A) bytes, clamped and rounded. */
export function imageToBytes(img: Float32Tensor, index = 0): Uint8Array {
  const { h, w, c } = imageDims(img);
  const px = h * w * c;
  const out = new Uint8Array(px);
  for (let i = 0; i < px; i++) out[i] = Math.round(Math.min(1, Math.max(0, img.data[index * px + i]!)) * 255);
  return out;
}

/** Stacks images of the same size into one batch. */
export function concatImages(images: Float32Tensor[]): Float32Tensor {
  if (images.length === 0) throw new RangeError('no images to concatenate');
  const { h, w, c } = imageDims(images[0]!);
  let n = 0;
  for (const im of images) {
    const d = imageDims(im);
    if (d.h !== h || d.w !== w || d.c !== c)
      throw new RangeError(`images differ in size: ${h}x${w}x${c} vs ${d.h}x${d.w}x${d.c}`);
    n += d.n;
  }
  const out = new Float32Array(n * h * w * c);
  let off = 0;
  for (const im of images) {
    out.set(im.data, off);
    off += im.data.length;
  }
  return float32([n, h, w, c], out);
}

/** The median of each of 3 channels over the border pixels of an h x w picture, read through `px(pixel, channel)`. */
export function borderMedian(px: (i: number, c: number) => number, w: number, h: number): [number, number, number] {
  const border: number[] = [];
  for (let x = 0; x < w; x++) border.push(x, (h - 1) * w + x);
  for (let y = 1; y < h - 1; y++) border.push(y * w, y * w + w - 1);
  return [0, 1, 2].map((c) => {
    const v = border.map((i) => px(i, c)).sort((a, b) => a - b);
    return v[v.length >> 1]!;
  }) as [number, number, number];
}

/** Peak signal-to-noise ratio in dB of two pictures with values in [0, 1] (capped at 120 dB for equal ones). */
export function psnr(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`psnr: ${a.length} values against ${b.length}`);
  let mse = 0;
  for (let i = 0; i < a.length; i++) mse += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10(1 / Math.max(mse / a.length, 1e-12));
}

/** NCHW in [-1, 1] -> NHWC in [0, 1]. */
export function chwToImage(x: Float32Array, n: number, h: number, w: number): Float32Tensor {
  const out = new Float32Array(n * h * w * 3);
  for (let b = 0; b < n; b++)
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < h * w; i++) {
        out[(b * h * w + i) * 3 + c] = Math.min(1, Math.max(0, (x[(b * 3 + c) * h * w + i]! + 1) / 2));
      }
  return float32([n, h, w, 3], out);
}

/** NHWC in [0, 1] -> NCHW in [-1, 1]. */
export function imageToChw(img: Float32Tensor): Float32Tensor {
  const [n, h, w] = img.shape as [number, number, number];
  const out = new Float32Array(n * 3 * h * w);
  for (let b = 0; b < n; b++)
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < h * w; i++) {
        out[(b * 3 + c) * h * w + i] = img.data[(b * h * w + i) * 3 + c]! * 2 - 1;
      }
  return float32([n, 3, h, w], out);
}
