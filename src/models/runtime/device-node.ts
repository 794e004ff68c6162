/**
 * Where headless runs put the models: `cpu` (onnxruntime-node's CPU provider) or `cuda` (its CUDA execution
 * provider). The CUDA provider's libraries are not in the npm package: its install script downloads them
 * (`npm install onnxruntime-node --onnxruntime-node-install=cuda12`), so asking for `cuda` where they, or a GPU,
 * are missing runs on the CPU and says why, instead of failing the run.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const DEVICES = ['cpu', 'cuda'] as const;
export type Device = (typeof DEVICES)[number];

/** What the CUDA provider needs, looked up on this machine (each a function so tests can stand in for it). */
export interface CudaProbe {
  platform: string;
  arch: string;
  /** The execution providers this onnxruntime-node build knows (listSupportedBackends). */
  backends(): string[];
  /** The folders holding onnxruntime-node's native binding. */
  bindingDirs(): string[];
  exists(path: string): boolean;
}

const PROVIDER_LIB: Record<string, string> = {
  linux: 'libonnxruntime_providers_cuda.so',
  win32: 'onnxruntime_providers_cuda.dll',
};

/** The probe of this machine. */
export function localCudaProbe(): CudaProbe {
  const require = createRequire(import.meta.url);
  return {
    platform: process.platform,
    arch: process.arch,
    backends: () => {
      const ort = require('onnxruntime-node') as { listSupportedBackends?: () => Array<{ name: string }> };
      return ort.listSupportedBackends?.().map((b) => b.name) ?? [];
    },
    bindingDirs: () => {
      const bin = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin');
      if (!existsSync(bin)) return [];
      return readdirSync(bin).map((napi) => join(bin, napi, process.platform, process.arch));
    },
    exists: existsSync,
  };
}

/** Why the CUDA provider cannot run here, or null when it can be tried. */
export function cudaProblem(probe: CudaProbe = localCudaProbe()): string | null {
  const lib = PROVIDER_LIB[probe.platform];
  if (!lib || probe.arch !== 'x64')
    return `onnxruntime-node has no CUDA provider for ${probe.platform}/${probe.arch} (only linux/x64 and win32/x64)`;
  if (!probe.backends().includes('cuda')) return 'this onnxruntime-node build lists no CUDA execution provider';
  if (!probe.bindingDirs().some((d) => probe.exists(join(d, lib))))
    return (
      `the CUDA provider's libraries (${lib}) are not installed: ` +
      '`npm install onnxruntime-node --onnxruntime-node-install=cuda12` downloads them'
    );
  if (probe.platform === 'linux' && !probe.exists('/dev/nvidia0') && !probe.exists('/proc/driver/nvidia/version'))
    return 'no NVIDIA GPU is visible (/dev/nvidia0 and /proc/driver/nvidia/version are missing)';
  return null;
}

/** The device a run gets when `asked` was asked for, and the note to print when it differs. */
export function chooseDevice(asked: Device, probe?: CudaProbe): { device: Device; note?: string } {
  if (asked === 'cpu') return { device: 'cpu' };
  const why = cudaProblem(probe);
  return why ? { device: 'cpu', note: `--device cuda: the models run on the CPU instead: ${why}` } : { device: 'cuda' };
}

/** Parses a --device value, naming what is allowed. */
export function parseDevice(value: string): Device {
  if ((DEVICES as readonly string[]).includes(value)) return value as Device;
  throw new RangeError(`--device must be one of ${DEVICES.join(', ')}, got ${JSON.stringify(value.slice(0, 20))}`);
}
