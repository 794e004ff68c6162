import type * as ortTypes from 'onnxruntime-web';
import { tensor, type Tensor } from '../../tensor/tensor';

/**
 * The one conversion point between our Tensor and onnxruntime's. `as` float16: a float32 tensor goes in as
 * float16 (an fp16 variant whose file takes float16); float16 outputs come back as float32.
 */
export function toOrt(ort: typeof ortTypes, t: Tensor, as?: string): ortTypes.Tensor {
  if (as === 'float16' && t.dtype === 'float32')
    return new ort.Tensor('float16', float32ToFloat16(t.data as Float32Array), [...t.shape]);
  return new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.shape]);
}

export function fromOrt(t: ortTypes.Tensor): Tensor {
  if (t.type === 'float16') {
    const data = t.data as unknown as ArrayLike<number>;
    // onnxruntime gives a Float16Array where the platform has one, else the raw bits
    const bits = data instanceof Uint16Array;
    return tensor('float32', [...t.dims], bits ? float16ToFloat32(data) : Float32Array.from(data));
  }
  const dtype = t.type as Tensor['dtype'];
  if (!['float32', 'int32', 'int64', 'uint8'].includes(dtype)) throw new Error(`unsupported output dtype ${t.type}`);
  return tensor(dtype, [...t.dims], t.data as never);
}

/** IEEE half-precision bits of each value, rounded to nearest even (overflow to infinity, NaN kept). */
export function float32ToFloat16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  const f = new Float32Array(1),
    u = new Uint32Array(f.buffer);
  for (let i = 0; i < src.length; i++) {
    f[0] = src[i]!;
    const x = u[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff,
      mant = x & 0x7fffff;
    if (exp === 0xff) out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
    else {
      const e = exp - 127 + 15;
      if (e >= 0x1f) out[i] = sign | 0x7c00;
      else if (e <= 0) {
        // subnormal half (or zero): shift the full mantissa, round to nearest even
        if (e < -10) out[i] = sign;
        else {
          const m = mant | 0x800000,
            shift = 14 - e;
          const half = m >>> shift,
            rest = m & ((1 << shift) - 1),
            mid = 1 << (shift - 1);
          out[i] = sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
        }
      } else {
        const half = (e << 10) | (mant >>> 13),
          rest = mant & 0x1fff;
        // a carry out of the mantissa rightly bumps the exponent (and 0x7bff + 1 is infinity)
        out[i] = sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
      }
    }
  }
  return out;
}

/** float32 values of IEEE half-precision bits. */
export function float16ToFloat32(src: ArrayLike<number>): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const h = src[i]!;
    const sign = h & 0x8000 ? -1 : 1,
      exp = (h >>> 10) & 0x1f,
      mant = h & 0x3ff;
    out[i] =
      exp === 0
        ? sign * mant * 2 ** -24
        : exp === 0x1f
          ? mant
            ? NaN
            : sign * Infinity
          : sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return out;
}
