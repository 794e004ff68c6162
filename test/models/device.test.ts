import { describe, expect, it } from 'vitest';
import { chooseDevice, cudaProblem, parseDevice, type CudaProbe } from '../../src/models/runtime/device-node';

/** A machine that has everything the CUDA provider needs, with `change` applied. */
const machine = (change: Partial<CudaProbe> = {}, missing: string[] = []): CudaProbe => ({
  platform: 'linux',
  arch: 'x64',
  backends: () => ['cpu', 'cuda'],
  bindingDirs: () => ['/ort/bin/napi-v6/linux/x64'],
  exists: (p) =>
    !missing.includes(p) &&
    ['/ort/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so', '/dev/nvidia0', '/proc/driver/nvidia/version']
      .concat(change.platform === 'win32' ? ['/ort/bin/napi-v6/linux/x64/onnxruntime_providers_cuda.dll'] : [])
      .includes(p),
  ...change,
});

describe('--device cuda', () => {
  it('is tried where the provider, its libraries and a GPU are all there', () => {
    expect(cudaProblem(machine())).toBeNull();
    expect(chooseDevice('cuda', machine())).toEqual({ device: 'cuda' });
    expect(cudaProblem(machine({ platform: 'win32' }))).toBeNull();
  });

  it('falls back to the CPU naming what is missing', () => {
    expect(cudaProblem(machine({ platform: 'darwin', arch: 'arm64' }))).toMatch(/no CUDA provider for darwin\/arm64/);
    expect(cudaProblem(machine({ backends: () => ['cpu'] }))).toMatch(/lists no CUDA execution provider/);
    const noLibs = cudaProblem(machine({}, ['/ort/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so']));
    expect(noLibs).toMatch(/libonnxruntime_providers_cuda\.so\) are not installed/);
    expect(noLibs).toContain('`npm install onnxruntime-node --onnxruntime-node-install=cuda12`');
    expect(cudaProblem(machine({}, ['/dev/nvidia0', '/proc/driver/nvidia/version']))).toMatch(/no NVIDIA GPU/);
    const chosen = chooseDevice('cuda', machine({ backends: () => ['cpu'] }));
    expect(chosen.device).toBe('cpu');
    expect(chosen.note).toMatch(/^--device cuda: the models run on the CPU instead: /);
    expect(chooseDevice('cpu', machine({ backends: () => [] }))).toEqual({ device: 'cpu' });
  });

  it('reads this machine without throwing, and parses only the devices it knows', () => {
    expect(cudaProblem() === null || typeof cudaProblem() === 'string').toBe(true);
    expect(parseDevice('cuda')).toBe('cuda');
    expect(() => parseDevice('gpu')).toThrow(/--device must be one of cpu, cuda, got "gpu"/);
  });
});
