/** The one tensor type of the engine: a dtype, a shape and a typed array, row-major. */
export type DType = 'float32' | 'int32' | 'int64' | 'uint8';
export type TypedArrayOf<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'int32'
    ? Int32Array
    : D extends 'int64'
      ? BigInt64Array
      : Uint8Array;

export interface Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TypedArrayOf<D>;
}
export type Float32Tensor = Tensor<'float32'>;

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function tensor<D extends DType>(dtype: D, shape: readonly number[], data: TypedArrayOf<D>): Tensor<D> {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid shape [${shape.join(', ')}]`);
  }
  if (sizeOf(shape) !== data.length) {
    throw new RangeError(`shape [${shape.join(', ')}] needs ${sizeOf(shape)} elements, data has ${data.length}`);
  }
  return { dtype, shape: [...shape], data };
}

export function float32(shape: readonly number[], data?: ArrayLike<number>): Float32Tensor {
  const arr = data ? Float32Array.from(data) : new Float32Array(sizeOf(shape));
  return tensor('float32', shape, arr);
}

export function isTensor(value: unknown): value is Tensor {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Tensor;
  return typeof t.dtype === 'string' && Array.isArray(t.shape) && ArrayBuffer.isView(t.data);
}

/** Row i of a 2-D tensor (a view, no copy). */
export function row(t: Float32Tensor, i: number): Float32Array {
  const width = t.shape[t.shape.length - 1]!;
  return t.data.subarray(i * width, (i + 1) * width);
}

/** Rows of a tensor of vectors: [D] is one row, [N, D] is N rows. */
export function rowsOf(t: Float32Tensor): { n: number; d: number } {
  if (t.shape.length === 1) return { n: 1, d: t.shape[0]! };
  if (t.shape.length === 2) return { n: t.shape[0]!, d: t.shape[1]! };
  throw new RangeError(`expected a vector [D] or a batch of vectors [N, D], got shape [${t.shape.join(', ')}]`);
}

/** Number of NaN or infinite values. */
export function countNonFinite(t: Tensor): number {
  if (t.dtype !== 'float32') return 0;
  let n = 0;
  for (const v of t.data as Float32Array) if (!Number.isFinite(v)) n++;
  return n;
}

export function byteSize(t: Tensor): number {
  return t.data.byteLength;
}

/** Joins flat float arrays end to end (batch halves, chunks of a batched run). */
export function concatFloat32(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
