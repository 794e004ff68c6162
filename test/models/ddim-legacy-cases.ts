/**
 * Sampler runs whose results were recorded before the scheduler config existed (test/fixtures/samplers/
 * ddim-before-scheduler-config.json): the bundled models' manifest fields, mapped to a scheduler config, must sample
 * the same bits. A synthetic model (a fixed smooth function of x_t and t) stands in for an ONNX one.
 */
import { gaussianArray } from '../../src/tensor/prng';

export interface LegacyCase {
  name: string;
  /** The manifest's parameterization (the old field). */
  parameterization: 'eps' | 'v' | 'x0';
  steps: number;
  eta: number;
  /** x0 clamped to [-1, 1] with eps re-derived (the decoder's and the upsamplers' clipX0: 1). */
  clip: boolean;
  known?: { resample: number };
  pin?: boolean;
  gradient?: number;
  invert?: boolean;
}

export const SIZE = 8;

export const LEGACY_CASES: LegacyCase[] = [
  { name: 'eps, eta 0', parameterization: 'eps', steps: 10, eta: 0, clip: false },
  { name: 'v, eta 0, clipped', parameterization: 'v', steps: 7, eta: 0, clip: true },
  { name: 'x0, 25 steps (166.5 rounds up), clipped', parameterization: 'x0', steps: 25, eta: 0, clip: true },
  { name: 'v, eta 0.7, clipped', parameterization: 'v', steps: 6, eta: 0.7, clip: true },
  { name: 'eps, eta 1', parameterization: 'eps', steps: 5, eta: 1, clip: false },
  { name: 'x0, one step', parameterization: 'x0', steps: 1, eta: 0, clip: true },
  { name: 'x0, known, resample 2', parameterization: 'x0', steps: 6, eta: 0, clip: false, known: { resample: 2 } },
  { name: 'v, known, eta 0.5', parameterization: 'v', steps: 5, eta: 0.5, clip: true, known: { resample: 1 } },
  { name: 'v, pinned x0', parameterization: 'v', steps: 6, eta: 0, clip: true, pin: true },
  { name: 'eps, classifier guidance', parameterization: 'eps', steps: 5, eta: 0, clip: true, gradient: 2 },
  { name: 'x0, inversion, clipped', parameterization: 'x0', steps: 20, eta: 0, clip: true, invert: true },
  { name: 'v, inversion', parameterization: 'v', steps: 8, eta: 0, clip: false, invert: true },
];

/** The stand-in model: a smooth function of x_t, t and the position. */
export async function syntheticModel(x: Float32Array, t: number): Promise<Float32Array> {
  return x.map((v, j) => 0.9 * Math.sin(1.3 * v + t / 250 + 0.7 * j));
}

export const syntheticGradient = async (x: Float32Array): Promise<Float32Array> =>
  x.map((v, j) => 0.01 * Math.cos(v + j));

export const xT = () => gaussianArray(11, SIZE);
export const etaNoise = (step: number) => gaussianArray(200 + step, SIZE);
export const knownNoise = (step: number, round: number) => gaussianArray(5000 + 37 * step + round, SIZE);
export const source = () => Float32Array.of(0.9, -0.9, 0.5, -0.5, 0.2, 0, -0.3, 0.7);
export const mask = () => Float32Array.of(0, 0, 1, 1, 0.5, 1, 0, 1);
