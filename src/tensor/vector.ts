import { float32, rowsOf, type Float32Tensor } from './tensor';

function assertSameShape(a: Float32Tensor, b: Float32Tensor, op: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(`${op}: shapes differ, [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`);
  }
}

export function dotArrays(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** L2-normalizes each row of [D] or [N, D]; a zero row stays zero. */
export function normalize(t: Float32Tensor): Float32Tensor {
  const { n, d } = rowsOf(t);
  const out = new Float32Array(t.data.length);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += t.data[r * d + i]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let i = 0; i < d; i++) out[r * d + i] = t.data[r * d + i]! * inv;
  }
  return float32(t.shape, out);
}

export function norm(v: ArrayLike<number>): number {
  return Math.sqrt(dotArrays(v, v));
}

/** Dot products of matching rows: [D]·[D] -> [1], [N, D]·[N, D] -> [N]. */
export function dot(a: Float32Tensor, b: Float32Tensor): Float32Tensor {
  assertSameShape(a, b, 'dot');
  const { n, d } = rowsOf(a);
  const out = new Float32Array(n);
  for (let r = 0; r < n; r++) out[r] = dotArrays(a.data.subarray(r * d, r * d + d), b.data.subarray(r * d, r * d + d));
  return float32([n], out);
}

/** Cosine similarity of every row of a with every row of b: [N, M]. */
export function cosineMatrix(a: Float32Tensor, b: Float32Tensor): Float32Tensor {
  const A = normalize(a),
    B = normalize(b);
  const ra = rowsOf(A),
    rb = rowsOf(B);
  if (ra.d !== rb.d) throw new RangeError(`cosine: dimensions differ, ${ra.d} vs ${rb.d}`);
  const out = new Float32Array(ra.n * rb.n);
  for (let i = 0; i < ra.n; i++) {
    const x = A.data.subarray(i * ra.d, (i + 1) * ra.d);
    for (let j = 0; j < rb.n; j++) out[i * rb.n + j] = dotArrays(x, B.data.subarray(j * rb.d, (j + 1) * rb.d));
  }
  return float32([ra.n, rb.n], out);
}

/** Cosine similarity of matching rows: [N] (or [1] for two vectors). */
export function cosine(a: Float32Tensor, b: Float32Tensor): Float32Tensor {
  assertSameShape(a, b, 'cosine');
  return dot(normalize(a), normalize(b));
}

export function add(a: Float32Tensor, b: Float32Tensor): Float32Tensor {
  assertSameShape(a, b, 'add');
  return float32(
    a.shape,
    a.data.map((v, i) => v + b.data[i]!),
  );
}

export function sub(a: Float32Tensor, b: Float32Tensor): Float32Tensor {
  assertSameShape(a, b, 'sub');
  return float32(
    a.shape,
    a.data.map((v, i) => v - b.data[i]!),
  );
}

export function scale(a: Float32Tensor, s: number): Float32Tensor {
  return float32(
    a.shape,
    a.data.map((v) => v * s),
  );
}

/** (1 - t) a + t b, elementwise. */
export function lerp(a: Float32Tensor, b: Float32Tensor, t: number): Float32Tensor {
  assertSameShape(a, b, 'lerp');
  return float32(
    a.shape,
    a.data.map((v, i) => v + t * (b.data[i]! - v)),
  );
}

/**
 * Spherical interpolation of matching rows. The angle comes from the
 * normalized rows; the result's norm interpolates the inputs' norms, so unit
 * vectors stay unit. Exact at t = 0 and t = 1; falls back to a normalized lerp
 * when the rows are almost parallel (|cos| > 0.9995), where sin(theta) -> 0.
 */
export function slerp(a: Float32Tensor, b: Float32Tensor, t: number): Float32Tensor {
  assertSameShape(a, b, 'slerp');
  if (t === 0) return float32(a.shape, a.data);
  if (t === 1) return float32(b.shape, b.data);
  const { n, d } = rowsOf(a);
  const out = new Float32Array(a.data.length);
  for (let r = 0; r < n; r++) {
    const x = a.data.subarray(r * d, (r + 1) * d),
      y = b.data.subarray(r * d, (r + 1) * d);
    const nx = norm(x),
      ny = norm(y);
    const targetNorm = (1 - t) * nx + t * ny;
    const o = out.subarray(r * d, (r + 1) * d);
    if (nx === 0 || ny === 0) {
      for (let i = 0; i < d; i++) o[i] = x[i]! + t * (y[i]! - x[i]!);
      continue;
    }
    const cos = Math.max(-1, Math.min(1, dotArrays(x, y) / (nx * ny)));
    if (Math.abs(cos) > 0.9995) {
      for (let i = 0; i < d; i++) o[i] = ((1 - t) * x[i]!) / nx + (t * y[i]!) / ny;
    } else {
      const theta = Math.acos(cos),
        s = Math.sin(theta);
      const wa = Math.sin((1 - t) * theta) / s,
        wb = Math.sin(t * theta) / s;
      for (let i = 0; i < d; i++) o[i] = (wa * x[i]!) / nx + (wb * y[i]!) / ny;
    }
    const no = norm(o);
    const k = no > 0 ? targetNorm / no : 0;
    for (let i = 0; i < d; i++) o[i] = o[i]! * k;
  }
  return float32(a.shape, out);
}
