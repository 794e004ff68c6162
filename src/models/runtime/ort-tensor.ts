import type * as ortTypes from 'onnxruntime-web';
import { tensor, type Tensor } from '../../tensor/tensor';

/** The one conversion point between our Tensor and onnxruntime's. */
export function toOrt(ort: typeof ortTypes, t: Tensor): ortTypes.Tensor {
  return new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.shape]);
}

export function fromOrt(t: ortTypes.Tensor): Tensor {
  const dtype = t.type as Tensor['dtype'];
  if (!['float32', 'int32', 'int64', 'uint8'].includes(dtype)) throw new Error(`unsupported output dtype ${t.type}`);
  return tensor(dtype, [...t.dims], t.data as never);
}
