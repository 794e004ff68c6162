import { describe, expect, it } from 'vitest';
import {
  browserModelLimit,
  formatBytes,
  GiB,
  MiB,
  sizeRefusal,
  WASM32_BYTES,
  WASM_MARGIN_BYTES,
} from '../../src/models/runtime/model-limit';

describe('the size a browser can hold', () => {
  it('is the WASM32 address space less a margin when the browser says nothing of its memory', () => {
    const limit = browserModelLimit({});
    expect(limit.bytes).toBe(4 * GiB - 512 * MiB);
    expect(limit.bytes).toBe(WASM32_BYTES - WASM_MARGIN_BYTES);
    expect(limit.why).toBe("onnxruntime-web's WASM addresses 4 GiB at most, less 512 MiB for its own work");
  });

  it('is half the device memory when that is less (a model is held twice while it loads)', () => {
    const limit = browserModelLimit({ deviceMemoryGb: 2 });
    expect(limit.bytes).toBe(1 * GiB);
    expect(limit.why).toMatch(/2 GB of memory/);
    // 8 GB (Chromium's cap) leaves the WASM bound in charge
    expect(browserModelLimit({ deviceMemoryGb: 8 }).bytes).toBe(WASM32_BYTES - WASM_MARGIN_BYTES);
  });

  it('is the JavaScript heap limit when that is the smallest', () => {
    const limit = browserModelLimit({ deviceMemoryGb: 8, jsHeapSizeLimit: 2 * GiB });
    expect(limit.bytes).toBe(2 * GiB);
    expect(limit.why).toMatch(/JavaScript heap/);
  });

  it('ignores figures that are missing, zero or not numbers', () => {
    expect(browserModelLimit({ deviceMemoryGb: 0, jsHeapSizeLimit: Number.NaN }).bytes).toBe(
      WASM32_BYTES - WASM_MARGIN_BYTES,
    );
  });

  it('refuses a model over it naming the model, its size, the limit and why; lets one under it pass', () => {
    const limit = browserModelLimit({});
    expect(sizeRefusal('sd-unet', 3 * GiB, limit)).toBeUndefined();
    const why = sizeRefusal('sd-unet', 5_200_000_000, limit)!;
    expect(why).toMatch(/^model "sd-unet" is 5\.2 GB, more than this browser can hold \(3\.8 GB: /);
    expect(why).toMatch(/onnxruntime-web's WASM addresses 4 GiB at most/);
    expect(why).toMatch(/not downloaded/);
  });

  it('writes sizes in decimal units, as downloads are given', () => {
    expect(formatBytes(812)).toBe('812 B');
    expect(formatBytes(12_345)).toBe('12 kB');
    expect(formatBytes(151_277_312)).toBe('151 MB');
    expect(formatBytes(3_000_000)).toBe('3.0 MB');
    expect(formatBytes(4 * GiB)).toBe('4.3 GB');
  });
});
