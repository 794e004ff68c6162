/**
 * A pixel-level reader of ShapesWorld pictures: an independent judge of generated images
 * that owes nothing to mini-CLIP (a model graded only by the CLIP it was trained against can
 * fool it). It follows the world's spec (spec.ts): the background from the border, each pixel
 * explained as a palette colour blended over the background (so anti-aliased or blurred edges
 * keep their colour instead of reading as another one), connected components of one colour,
 * shape by overlap with the spec's geometry fitted to the component's box, size by the
 * half-extent, cell by the centre.
 */
import { borderMedian } from '../tensor/image';
import { relationHolds, type SceneConstraints } from './scene';
import {
  BACKGROUND_RGB,
  BACKGROUNDS,
  COLOUR_RGB,
  COLOURS,
  HALF_EXTENT,
  POSITIONS,
  SHAPES,
  type Background,
  type Colour,
  type Position,
  type Shape,
  type Size,
} from './spec';

export interface ReadObject {
  colour: Colour;
  shape: Shape;
  size: Size;
  position: Position;
  /** Centre and half-extent in 64x64 pixels. */
  cx: number;
  cy: number;
  s: number;
  /** Pixels (in the image's own resolution) covered at least half by the object. */
  area: number;
  /** Intersection over union of the pixels with the best shape's geometry (1 = a clean render). */
  fit: number;
}

export interface ReadScene {
  background: Background;
  objects: ReadObject[];
}

export interface ReadOptions {
  /** Components smaller than this share of the image (a 64x64 picture: 16 px) are specks, not objects. */
  minAreaFraction?: number;
}

const CANVAS = 64;

/** Nearest background colour to the median of the border pixels (channels in 0..255). */
function readBackground(px: (i: number, c: number) => number, w: number, h: number): Background {
  const median = borderMedian(px, w, h);
  let best: Background = 'white',
    bestD = Infinity;
  for (const b of BACKGROUNDS) {
    const d = BACKGROUND_RGB[b].reduce((a, v, c) => a + (v - median[c]!) ** 2, 0);
    if (d < bestD) {
      bestD = d;
      best = b;
    }
  }
  return best;
}

/**
 * Explains a pixel p as bg + alpha (colour - bg) for each palette colour; returns the colour
 * with the smallest residual and its alpha (coverage), or -1 where the pixel is background.
 */
function explainPixel(p: readonly number[], bg: readonly number[]): { colour: number; alpha: number } {
  let best = -1,
    bestAlpha = 0,
    bestResidual = Infinity;
  COLOURS.forEach((name, k) => {
    const col = COLOUR_RGB[name];
    let dot = 0,
      norm = 0;
    for (let c = 0; c < 3; c++) {
      const d = col[c]! - bg[c]!;
      dot += (p[c]! - bg[c]!) * d;
      norm += d * d;
    }
    const alpha = Math.min(1, Math.max(0, dot / norm));
    let residual = 0;
    for (let c = 0; c < 3; c++) residual += (p[c]! - bg[c]! - alpha * (col[c]! - bg[c]!)) ** 2;
    if (residual < bestResidual) {
      bestResidual = residual;
      best = k;
      bestAlpha = alpha;
    }
  });
  return { colour: best, alpha: bestAlpha };
}

/** Whether pixel centre (x, y) (64x64 units) lies in the shape of centre (cx, cy), half-extent s. */
export function insideShape(shape: Shape, cx: number, cy: number, s: number, x: number, y: number): boolean {
  const dx = x - cx,
    dy = y - cy;
  switch (shape) {
    case 'circle':
      return dx * dx + dy * dy <= s * s;
    case 'square':
      return Math.abs(dx) <= s && Math.abs(dy) <= s;
    case 'triangle':
      return dy >= -s && dy <= s && Math.abs(dx) <= (dy + s) / 2;
    case 'cross': {
      const t = s / 3;
      return (Math.abs(dx) <= t && Math.abs(dy) <= s) || (Math.abs(dx) <= s && Math.abs(dy) <= t);
    }
  }
}

/** Column or row (0..2) of a coordinate: cell centres at 16, 32, 48, boundaries at 24 and 40. */
const band = (v: number) => (v < 24 ? 0 : v < 40 ? 1 : 2);

/**
 * Reads one picture: `rgb` is row-major H x W x 3, bytes (0..255) or floats (0..1).
 * Works at any square resolution (coordinates are reported in 64x64 units).
 */
export function readPicture(
  rgb: Uint8Array | Float32Array,
  width: number,
  height: number,
  opts: ReadOptions = {},
): ReadScene {
  const scale = rgb instanceof Float32Array ? 255 : 1;
  const px = (i: number, c: number) => rgb[i * 3 + c]! * scale;
  const n = width * height,
    unit = CANVAS / width;
  const background = readBackground(px, width, height);
  const bg = BACKGROUND_RGB[background];
  // a pixel belongs to an object where at least half of it is explained by one palette colour
  const label = new Int8Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const { colour, alpha } = explainPixel([px(i, 0), px(i, 1), px(i, 2)], bg);
    if (alpha >= 0.5) label[i] = colour;
  }
  const minArea = Math.max(2, Math.round((opts.minAreaFraction ?? 16 / (CANVAS * CANVAS)) * n));
  const seen = new Uint8Array(n);
  const objects: ReadObject[] = [];
  const stack: number[] = [];
  for (let start = 0; start < n; start++) {
    if (label[start]! < 0 || seen[start]) continue;
    const colour = label[start]!;
    const members: number[] = [];
    seen[start] = 1;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      members.push(i);
      const x = i % width,
        y = (i / width) | 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx,
            ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const j = ny * width + nx;
          if (!seen[j] && label[j] === colour) {
            seen[j] = 1;
            stack.push(j);
          }
        }
    }
    if (members.length < minArea) continue;
    objects.push(fitObject(members, width, unit, COLOURS[colour]!));
  }
  objects.sort((a, b) => a.cx - b.cx || a.cy - b.cy);
  return { background, objects };
}

/** Fits the four shapes to a component's pixels inside its bounding box; the best overlap wins. */
function fitObject(members: number[], width: number, unit: number, colour: Colour): ReadObject {
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  const set = new Set(members);
  for (const i of members) {
    const x = i % width,
      y = (i / width) | 0;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  // every shape fills its box [c - s, c + s]; pixels covered half or more span it edge to edge
  const cx = ((x0 + x1 + 1) / 2) * unit,
    cy = ((y0 + y1 + 1) / 2) * unit;
  const s = (Math.max(x1 - x0 + 1, y1 - y0 + 1) / 2) * unit;
  let shape: Shape = 'square',
    fit = -1;
  for (const candidate of SHAPES) {
    let inter = 0,
      union = 0;
    for (let y = y0 - 1; y <= y1 + 1; y++)
      for (let x = x0 - 1; x <= x1 + 1; x++) {
        const inShape = insideShape(candidate, cx, cy, s, (x + 0.5) * unit, (y + 0.5) * unit);
        const inObject = set.has(y * width + x);
        if (inShape && inObject) inter++;
        if (inShape || inObject) union++;
      }
    const iou = union ? inter / union : 0;
    if (iou > fit) {
      fit = iou;
      shape = candidate;
    }
  }
  const size: Size = s < (HALF_EXTENT.small + HALF_EXTENT.large) / 2 ? 'small' : 'large';
  const position = POSITIONS[band(cy) * 3 + band(cx)]!;
  return { colour, shape, size, position, cx, cy, s, area: members.length, fit };
}

/** What a caption asks for, in the reader's terms: `parseCaption(caption)` (any attribute may be unstated). */
export type PictureTruth = SceneConstraints;

export interface PictureGrade {
  /** The number of objects read equals the number asked for. */
  count: boolean;
  /** Every object asked for has a distinct read object with its colour and shape (two objects: both pairs). */
  pairs: boolean;
  /** Every stated attribute is right (count, pairs, size, position, background). */
  all: boolean;
  /** Two objects with a relation, both pairs present: the relation holds between their cells (undefined otherwise). */
  relation?: boolean;
}

const matches = (o: ReadObject, want: PictureTruth['objects'][number]) =>
  (!want.colour || o.colour === want.colour) && (!want.shape || o.shape === want.shape);

/**
 * Gives each wanted object a distinct read object with its colour and shape, preferring the
 * assignment that also agrees on most sizes and positions (two red squares asked for by size).
 */
function assignObjects(read: ReadObject[], wanted: PictureTruth['objects']): Array<ReadObject | undefined> {
  let best: Array<ReadObject | undefined> = [],
    bestScore = -1;
  const extra = (o: ReadObject, want: PictureTruth['objects'][number]) =>
    Number(o.size === want.size) + Number(o.position === want.position);
  const search = (k: number, used: Set<ReadObject>, picked: Array<ReadObject | undefined>, score: number) => {
    if (k === wanted.length) {
      if (score > bestScore) {
        bestScore = score;
        best = [...picked];
      }
      return;
    }
    const candidates = read.filter((o) => !used.has(o) && matches(o, wanted[k]!));
    for (const o of candidates) {
      used.add(o);
      search(k + 1, used, [...picked, o], score + 100 + extra(o, wanted[k]!));
      used.delete(o);
    }
    search(k + 1, used, [...picked, undefined], score);
  };
  search(0, new Set(), [], 0);
  return best;
}

/** Grades a read picture against what its caption asked for. */
export function gradePicture(read: ReadScene, truth: PictureTruth): PictureGrade {
  const count = read.objects.length === truth.objects.length;
  const assigned = assignObjects(read.objects, truth.objects);
  const pairs = assigned.every(Boolean);
  let relation: boolean | undefined;
  if (pairs && truth.objects.length === 2 && truth.relation) {
    const [a, b] = assigned as [ReadObject, ReadObject];
    relation = a.position !== b.position && relationHolds(a.position, b.position, truth.relation);
  }
  const attributes =
    pairs &&
    truth.objects.every((want, k) => {
      const o = assigned[k]!;
      return (!want.size || o.size === want.size) && (!want.position || o.position === want.position);
    });
  const all =
    count && pairs && attributes && (!truth.background || read.background === truth.background) && relation !== false;
  return { count, pairs, all, relation };
}
