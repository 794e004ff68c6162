import { float32, rowsOf, type Float32Tensor } from './tensor';

/** A fitted PCA basis: mean [D], components [K, D] (orthonormal rows, by decreasing variance). */
export interface PcaBasis {
  mean: Float32Tensor;
  components: Float32Tensor;
  /** Variance along each component [K]. */
  variance: Float32Tensor;
  /** Range of each coordinate over the fitted set [K]; quantization uses it. */
  min: Float32Tensor;
  max: Float32Tensor;
}

/**
 * Eigen-decomposition of a symmetric matrix (cyclic Jacobi). Returns eigenvalues and row
 * eigenvectors, sorted descending.
 */
export function symmetricEigen(matrix: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * d + p]!,
          aqq = a[q * d + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1),
          s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p]!,
            akq = a[k * d + q]!;
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k]!,
            aqk = a[q * d + k]!;
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p]!,
            vkq = v[k * d + q]!;
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => a[j * d + j]! - a[i * d + i]!);
  const values = new Float64Array(d),
    vectors = new Float64Array(d * d);
  order.forEach((col, r) => {
    values[r] = a[col * d + col]!;
    for (let k = 0; k < d; k++) vectors[r * d + k] = v[k * d + col]!;
  });
  return { values, vectors };
}

/** Fits PCA to the rows of x [N, D]; keeps `k` components (default all D). */
export function pcaFit(x: Float32Tensor, k?: number): PcaBasis {
  const { n, d } = rowsOf(x);
  if (n < 2) throw new RangeError(`PCA needs at least 2 vectors, got ${n}`);
  const keep = k ?? d;
  if (!Number.isInteger(keep) || keep < 1 || keep > d)
    throw new RangeError(`PCA components must be 1..${d}, got ${keep}`);
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) mean[i]! += x.data[r * d + i]! / n;
  const cov = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) centred[i] = x.data[r * d + i]! - mean[i]!;
    for (let i = 0; i < d; i++) {
      const ci = centred[i]!;
      for (let j = i; j < d; j++) cov[i * d + j]! += ci * centred[j]!;
    }
  }
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      cov[i * d + j]! /= n - 1;
      cov[j * d + i] = cov[i * d + j]!;
    }
  const { values, vectors } = symmetricEigen(cov, d);
  const components = float32([keep, d], vectors.subarray(0, keep * d));
  const basis: PcaBasis = {
    mean: float32([d], mean),
    components,
    variance: float32(
      [keep],
      Array.from(values.subarray(0, keep), (v) => Math.max(0, v)),
    ),
    min: float32([keep]),
    max: float32([keep]),
  };
  const coords = pcaProject(x, basis, keep);
  basis.min.data.fill(Infinity);
  basis.max.data.fill(-Infinity);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < keep; i++) {
      const c = coords.data[r * keep + i]!;
      if (c < basis.min.data[i]!) basis.min.data[i] = c;
      if (c > basis.max.data[i]!) basis.max.data[i] = c;
    }
  return basis;
}

function checkK(basis: PcaBasis, k: number): void {
  const available = basis.components.shape[0]!;
  if (!Number.isInteger(k) || k < 1 || k > available) throw new RangeError(`k must be 1..${available}, got ${k}`);
}

/** Coordinates of the rows of x along the first k components: [N, k]. */
export function pcaProject(x: Float32Tensor, basis: PcaBasis, k: number): Float32Tensor {
  checkK(basis, k);
  const { n, d } = rowsOf(x);
  if (d !== basis.mean.shape[0])
    throw new RangeError(`PCA basis is ${basis.mean.shape[0]}-dimensional, input rows are ${d}`);
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += (x.data[r * d + i]! - basis.mean.data[i]!) * basis.components.data[c * d + i]!;
      out[r * k + c] = s;
    }
  return float32([n, k], out);
}

/** Vectors from coordinates along the first k components: [N, k] -> [N, D]. */
export function pcaUnproject(coords: Float32Tensor, basis: PcaBasis): Float32Tensor {
  const { n, d: k } = rowsOf(coords);
  checkK(basis, k);
  const d = basis.mean.shape[0]!;
  const out = new Float32Array(n * d);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < d; i++) {
      let s = basis.mean.data[i]!;
      for (let c = 0; c < k; c++) s += coords.data[r * k + c]! * basis.components.data[c * d + i]!;
      out[r * d + i] = s;
    }
  return float32([n, d], out);
}

/** Projects onto the first k components and back; k = D reconstructs exactly (to float error). */
export function pcaReconstruct(x: Float32Tensor, basis: PcaBasis, k: number): Float32Tensor {
  const out = pcaUnproject(pcaProject(x, basis, k), basis);
  return x.shape.length === 1 ? float32([out.shape[1]!], out.data) : out;
}
