/** Where a run's models should run: `auto` picks per model (WebGPU for big models on a hardware adapter). */
export type Backend = 'auto' | 'wasm' | 'webgpu';
export const BACKENDS: readonly Backend[] = ['auto', 'wasm', 'webgpu'];
