import { float32, rowsOf, tensor, type Float32Tensor, type Tensor } from './tensor';

/** Uniform quantization of each dimension into `buckets` cells of [min_i, max_i]. */
export interface QuantizeRange {
  min: Float32Array;
  max: Float32Array;
  buckets: number;
}

function check(range: QuantizeRange, d: number): void {
  if (!Number.isInteger(range.buckets) || range.buckets < 2)
    throw new RangeError(`buckets must be an integer >= 2, got ${range.buckets}`);
  if (range.min.length !== d || range.max.length !== d)
    throw new RangeError(`quantize range has ${range.min.length} dims, input has ${d}`);
}

/** Codes in 0..B-1, [N, D] int32; values outside the range clamp to the end buckets. */
export function quantize(x: Float32Tensor, range: QuantizeRange): Tensor<'int32'> {
  const { n, d } = rowsOf(x);
  check(range, d);
  const out = new Int32Array(n * d);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < d; i++) {
      const lo = range.min[i]!,
        width = range.max[i]! - lo;
      const u = width > 0 ? (x.data[r * d + i]! - lo) / width : 0.5;
      out[r * d + i] = Math.min(range.buckets - 1, Math.max(0, Math.floor(u * range.buckets)));
    }
  return tensor('int32', [n, d], out);
}

/** Bucket centres: the round-trip error is at most half a bucket inside the range. */
export function dequantize(codes: Tensor<'int32'>, range: QuantizeRange): Float32Tensor {
  const n = codes.shape.length === 1 ? 1 : codes.shape[0]!;
  const d = codes.shape[codes.shape.length - 1]!;
  check(range, d);
  const out = new Float32Array(n * d);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < d; i++) {
      const c = codes.data[r * d + i]!;
      if (c < 0 || c >= range.buckets)
        throw new RangeError(`code ${c} at [${r}, ${i}] is outside 0..${range.buckets - 1}`);
      const lo = range.min[i]!,
        width = range.max[i]! - lo;
      out[r * d + i] = lo + ((c + 0.5) / range.buckets) * width;
    }
  return float32([n, d], out);
}
