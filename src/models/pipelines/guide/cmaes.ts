import { symmetricEigen } from '../../../tensor/pca';
import type { Rng } from '../../../tensor/prng';

/**
 * CMA-ES (Hansen's covariance matrix adaptation evolution strategy, the
 * (mu/mu_w, lambda) variant with rank-one and rank-mu updates and cumulative
 * step-size adaptation), as in Hansen's "The CMA Evolution Strategy: A
 * Tutorial" (2016) and his reference `purecma`. Minimizes; deterministic for a
 * given Rng. The symmetric eigendecomposition of C is the cyclic Jacobi that
 * PCA uses (src/tensor/pca.ts), redone every generation: the searches here have
 * at most ~200 dimensions, where that costs milliseconds.
 */
export interface CmaOptions {
  /** Start point (the mean of the first generation). */
  mean: ArrayLike<number>;
  /** Initial step size (the same in every coordinate). */
  sigma: number;
  /** Candidates per generation (lambda); default 4 + floor(3 ln n). */
  population?: number;
  rng: Rng;
}

export class CmaEs {
  readonly dim: number;
  readonly lambda: number;
  readonly mu: number;
  private readonly weights: Float64Array;
  private readonly mueff: number;
  private readonly cc: number;
  private readonly cs: number;
  private readonly c1: number;
  private readonly cmu: number;
  private readonly damps: number;
  private readonly chiN: number;
  mean: Float64Array;
  sigma: number;
  private pc: Float64Array;
  private ps: Float64Array;
  private C: Float64Array; // n x n, row-major
  private B: Float64Array; // eigenvectors as columns, row-major
  private D: Float64Array; // sqrt of the eigenvalues
  private generation = 0;
  private readonly rng: Rng;
  private pending: { x: Float64Array; y: Float64Array }[] = [];

  constructor(opts: CmaOptions) {
    const n = opts.mean.length;
    if (n < 1) throw new RangeError('CMA-ES needs at least one dimension');
    if (!(opts.sigma > 0)) throw new RangeError(`CMA-ES sigma must be positive, got ${opts.sigma}`);
    this.dim = n;
    this.rng = opts.rng;
    this.lambda = Math.max(2, opts.population ?? 4 + Math.floor(3 * Math.log(n)));
    this.mu = Math.floor(this.lambda / 2);
    const w = Float64Array.from({ length: this.mu }, (_, i) => Math.log(this.mu + 0.5) - Math.log(i + 1));
    const sw = w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < this.mu; i++) w[i]! /= sw;
    this.weights = w;
    this.mueff = 1 / w.reduce((a, b) => a + b * b, 0);
    const me = this.mueff;
    this.cc = (4 + me / n) / (n + 4 + (2 * me) / n);
    this.cs = (me + 2) / (n + me + 5);
    this.c1 = 2 / ((n + 1.3) ** 2 + me);
    this.cmu = Math.min(1 - this.c1, (2 * (me - 2 + 1 / me)) / ((n + 2) ** 2 + me));
    this.damps = 1 + 2 * Math.max(0, Math.sqrt((me - 1) / (n + 1)) - 1) + this.cs;
    this.chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    this.mean = Float64Array.from(opts.mean);
    this.sigma = opts.sigma;
    this.pc = new Float64Array(n);
    this.ps = new Float64Array(n);
    this.C = new Float64Array(n * n);
    this.B = new Float64Array(n * n);
    this.D = new Float64Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      this.C[i * n + i] = 1;
      this.B[i * n + i] = 1;
    }
  }

  /** The next generation's lambda candidates. */
  ask(): Float64Array[] {
    const n = this.dim;
    this.pending = [];
    for (let k = 0; k < this.lambda; k++) {
      const z = Float64Array.from({ length: n }, () => this.rng.gaussian());
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += this.B[i * n + j]! * this.D[j]! * z[j]!;
        y[i] = s;
      }
      const x = Float64Array.from(y, (v, i) => this.mean[i]! + this.sigma * v);
      this.pending.push({ x, y });
    }
    return this.pending.map((p) => p.x);
  }

  /** Updates the distribution from the fitness (lower is better) of the candidates `ask` returned, in order. */
  tell(fitness: ArrayLike<number>): void {
    const n = this.dim,
      lam = this.lambda;
    if (this.pending.length !== lam || fitness.length !== lam)
      throw new RangeError(`tell needs ${lam} fitness values for the last ask`);
    const order = Array.from({ length: lam }, (_, i) => i).sort((a, b) => {
      const fa = fitness[a]!,
        fb = fitness[b]!;
      // NaN ranks last; ties keep the order of asking (deterministic)
      if (Number.isNaN(fa) || Number.isNaN(fb)) return Number.isNaN(fa) ? (Number.isNaN(fb) ? a - b : 1) : -1;
      return fa - fb || a - b;
    });
    const yw = new Float64Array(n);
    for (let i = 0; i < this.mu; i++) {
      const y = this.pending[order[i]!]!.y;
      for (let j = 0; j < n; j++) yw[j]! += this.weights[i]! * y[j]!;
    }
    for (let j = 0; j < n; j++) this.mean[j]! += this.sigma * yw[j]!;
    // C^{-1/2} yw = B D^{-1} B^T yw
    const bty = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += this.B[j * n + i]! * yw[j]!;
      bty[i] = s / this.D[i]!;
    }
    const cs = this.cs,
      csn = Math.sqrt(cs * (2 - cs) * this.mueff);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += this.B[i * n + j]! * bty[j]!;
      this.ps[i] = (1 - cs) * this.ps[i]! + csn * s;
    }
    this.generation++;
    const psNorm = Math.hypot(...this.ps);
    const hsig = psNorm / Math.sqrt(1 - (1 - cs) ** (2 * this.generation)) / this.chiN < 1.4 + 2 / (n + 1) ? 1 : 0;
    const ccn = Math.sqrt(this.cc * (2 - this.cc) * this.mueff);
    for (let i = 0; i < n; i++) this.pc[i] = (1 - this.cc) * this.pc[i]! + hsig * ccn * yw[i]!;
    const c1a = this.c1 * (1 - (1 - hsig) * this.cc * (2 - this.cc));
    const keep = 1 - c1a - this.cmu;
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        let rmu = 0;
        for (let k = 0; k < this.mu; k++) {
          const y = this.pending[order[k]!]!.y;
          rmu += this.weights[k]! * y[i]! * y[j]!;
        }
        const v = keep * this.C[i * n + j]! + this.c1 * this.pc[i]! * this.pc[j]! + this.cmu * rmu;
        this.C[i * n + j] = v;
        this.C[j * n + i] = v;
      }
    this.sigma *= Math.exp(Math.min(1, (cs / this.damps) * (psNorm / this.chiN - 1)));
    this.decompose();
    this.pending = [];
  }

  private decompose(): void {
    const n = this.dim;
    const { values, vectors } = symmetricEigen(this.C, n); // row k: eigenvector k
    for (let j = 0; j < n; j++) {
      this.D[j] = Math.sqrt(Math.max(values[j]!, 1e-20));
      for (let i = 0; i < n; i++) this.B[i * n + j] = vectors[j * n + i]!;
    }
  }
}
