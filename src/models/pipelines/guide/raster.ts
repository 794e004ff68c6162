/**
 * A small anti-aliased rasterizer for CLIP-guided drawing: ShapesWorld's four
 * shapes (the same geometry as src/world/render.ts) with free colour, place,
 * size and opacity, and quadratic Bezier strokes with a width. Coverage comes
 * from each primitive's signed distance at the pixel centre (a 1 px ramp),
 * so a small change of a parameter changes the picture smoothly: the search
 * sees a landscape, not steps.
 */
export type ShapeKind = 'circle' | 'square' | 'triangle' | 'cross';
export type PrimitiveKind = ShapeKind | 'stroke';
export const PRIMITIVE_KINDS: readonly PrimitiveKind[] = ['circle', 'square', 'triangle', 'cross', 'stroke'];

export type Rgb = [number, number, number];

export interface ShapePrimitive {
  kind: ShapeKind;
  rgb: Rgb;
  /** Centre and half-extent in pixels (ShapesWorld's `s`). */
  cx: number;
  cy: number;
  s: number;
  opacity: number;
}

export interface StrokePrimitive {
  kind: 'stroke';
  rgb: Rgb;
  /** Quadratic Bezier: start, control, end (pixels). */
  points: [number, number, number, number, number, number];
  width: number;
  opacity: number;
}

export type Primitive = ShapePrimitive | StrokePrimitive;

export interface Drawing {
  size: number;
  background: Rgb;
  primitives: Primitive[];
}

function boxSdf(dx: number, dy: number, hx: number, hy: number): number {
  const qx = Math.abs(dx) - hx,
    qy = Math.abs(dy) - hy;
  const ox = Math.max(qx, 0),
    oy = Math.max(qy, 0);
  return Math.hypot(ox, oy) + Math.min(Math.max(qx, qy), 0);
}

/** Signed distance of the ShapesWorld triangle: apex (0, -s), base from (-s, s) to (s, s). */
function triangleSdf(dx: number, dy: number, s: number): number {
  // the two slanted edges have normals (+-2, -1)/sqrt(5) (outward), the base (0, 1)
  const k = 1 / Math.sqrt(5);
  const edge = Math.max((2 * Math.abs(dx) - dy - s) * k, dy - s);
  return edge;
}

function shapeSdf(p: ShapePrimitive, x: number, y: number): number {
  const dx = x - p.cx,
    dy = y - p.cy,
    s = p.s;
  switch (p.kind) {
    case 'circle':
      return Math.hypot(dx, dy) - s;
    case 'square':
      return boxSdf(dx, dy, s, s);
    case 'triangle':
      return triangleSdf(dx, dy, s);
    case 'cross':
      return Math.min(boxSdf(dx, dy, s / 3, s), boxSdf(dx, dy, s, s / 3));
  }
}

const STROKE_SEGMENTS = 12;

function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const vx = bx - ax,
    vy = by - ay;
  const len2 = vx * vx + vy * vy;
  const t = len2 > 0 ? Math.min(1, Math.max(0, ((px - ax) * vx + (py - ay) * vy) / len2)) : 0;
  return Math.hypot(px - ax - t * vx, py - ay - t * vy);
}

function strokePolyline(p: StrokePrimitive): Float64Array {
  const [x0, y0, x1, y1, x2, y2] = p.points;
  const pts = new Float64Array((STROKE_SEGMENTS + 1) * 2);
  for (let i = 0; i <= STROKE_SEGMENTS; i++) {
    const t = i / STROKE_SEGMENTS,
      u = 1 - t;
    pts[i * 2] = u * u * x0 + 2 * u * t * x1 + t * t * x2;
    pts[i * 2 + 1] = u * u * y0 + 2 * u * t * y1 + t * t * y2;
  }
  return pts;
}

/** Pixel bounds [x0, y0, x1, y1] (inclusive) a primitive can touch. */
function bounds(p: Primitive, size: number): [number, number, number, number] {
  let lx: number, ly: number, hx: number, hy: number;
  if (p.kind === 'stroke') {
    const [a, b, c, d, e, f] = p.points;
    const r = p.width / 2 + 1;
    lx = Math.min(a, c, e) - r;
    hx = Math.max(a, c, e) + r;
    ly = Math.min(b, d, f) - r;
    hy = Math.max(b, d, f) + r;
  } else {
    lx = p.cx - p.s - 1;
    hx = p.cx + p.s + 1;
    ly = p.cy - p.s - 1;
    hy = p.cy + p.s + 1;
  }
  const clamp = (v: number) => Math.min(size - 1, Math.max(0, v));
  return [clamp(Math.floor(lx)), clamp(Math.floor(ly)), clamp(Math.ceil(hx)), clamp(Math.ceil(hy))];
}

/** Draws primitives in order over the background into `out` ([size, size, 3] in [0, 1], row-major). */
export function rasterize(d: Drawing, out: Float32Array = new Float32Array(d.size * d.size * 3)): Float32Array {
  const { size } = d;
  if (out.length !== size * size * 3)
    throw new RangeError(`rasterize: out has ${out.length} values, ${size}x${size}x3 needed`);
  for (let i = 0; i < size * size; i++) {
    out[i * 3] = d.background[0];
    out[i * 3 + 1] = d.background[1];
    out[i * 3 + 2] = d.background[2];
  }
  for (const p of d.primitives) {
    if (!(p.opacity > 0)) continue;
    const [x0, y0, x1, y1] = bounds(p, size);
    if (x0 > x1 || y0 > y1) continue;
    const poly = p.kind === 'stroke' ? strokePolyline(p) : null;
    const half = p.kind === 'stroke' ? p.width / 2 : 0;
    for (let y = y0; y <= y1; y++) {
      const py = y + 0.5;
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5;
        let sdf: number;
        if (poly) {
          let dist = Infinity;
          for (let i = 0; i < STROKE_SEGMENTS; i++)
            dist = Math.min(
              dist,
              segmentDistance(px, py, poly[i * 2]!, poly[i * 2 + 1]!, poly[i * 2 + 2]!, poly[i * 2 + 3]!),
            );
          sdf = dist - half;
        } else {
          sdf = shapeSdf(p as ShapePrimitive, px, py);
        }
        const cover = Math.min(1, Math.max(0, 0.5 - sdf));
        if (cover <= 0) continue;
        const a = cover * p.opacity;
        const k = (y * size + x) * 3;
        for (let c = 0; c < 3; c++) out[k + c] = out[k + c]! * (1 - a) + p.rgb[c]! * a;
      }
    }
  }
  return out;
}

/** Folds any real into [0, 1] by reflection (a search moves freely; every point decodes to a valid drawing). */
export function fold01(v: number): number {
  if (!Number.isFinite(v)) return 0.5;
  const m = ((v % 2) + 2) % 2;
  return m > 1 ? 2 - m : m;
}

/** Genes per primitive: 5 kind scores, rgb, centre/start (2), size, opacity, control and end points (4). */
export const GENES_PER_PRIMITIVE = 16;
/** Background rgb genes, at the start of a genome. */
export const BACKGROUND_GENES = 3;

export function genomeLength(primitives: number): number {
  return BACKGROUND_GENES + primitives * GENES_PER_PRIMITIVE;
}

export interface GenomeOptions {
  size: number;
  /** The primitive kinds the search may choose among. */
  kinds: readonly PrimitiveKind[];
}

/**
 * A genome (any reals) as a drawing: every gene folded into [0, 1]. A
 * primitive's kind is the allowed kind with the highest score gene; opacity
 * below 0.25 hides a primitive, so the search can also use fewer.
 */
export function decodeGenome(g: ArrayLike<number>, opts: GenomeOptions): Drawing {
  const n = Math.floor((g.length - BACKGROUND_GENES) / GENES_PER_PRIMITIVE);
  const f = (i: number) => fold01(g[i]!);
  const size = opts.size;
  const background: Rgb = [f(0), f(1), f(2)];
  const primitives: Primitive[] = [];
  for (let p = 0; p < n; p++) {
    const o = BACKGROUND_GENES + p * GENES_PER_PRIMITIVE;
    let kind: PrimitiveKind = opts.kinds[0]!,
      best = -Infinity;
    for (let k = 0; k < PRIMITIVE_KINDS.length; k++) {
      const kk = PRIMITIVE_KINDS[k]!;
      if (!opts.kinds.includes(kk)) continue;
      if (f(o + k) > best) {
        best = f(o + k);
        kind = kk;
      }
    }
    const rgb: Rgb = [f(o + 5), f(o + 6), f(o + 7)];
    const cx = f(o + 8) * size,
      cy = f(o + 9) * size;
    const sizeGene = f(o + 10);
    const opacity = Math.min(1, Math.max(0, (f(o + 11) - 0.25) / 0.25));
    if (kind === 'stroke') {
      primitives.push({
        kind,
        rgb,
        opacity,
        width: 1 + sizeGene * 5,
        points: [cx, cy, f(o + 12) * size, f(o + 13) * size, f(o + 14) * size, f(o + 15) * size],
      });
    } else {
      primitives.push({ kind, rgb, opacity, cx, cy, s: 3 + sizeGene * 17 });
    }
  }
  return { size, background, primitives };
}
