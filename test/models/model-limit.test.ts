import { describe, expect, it } from 'vitest';
import {
  browserModelLimit,
  GiB,
  MiB,
  sizeRefusal,
  WASM32_BYTES,
  WASM_MARGIN_BYTES,
} from '../../src/models/runtime/model-limit';
import { formatBytes } from '../../src/tensor/bytes';
import { downloadLabel } from '../../src/models/runtime/download-progress';
import { describeLocked } from '../../src/engine/model-lock';
import { storageLine } from '../../src/ui/run-record';

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
    // at a unit's edge: never "10.0 MB" or "1000 kB"
    expect(formatBytes(9_960_000)).toBe('10 MB');
    expect(formatBytes(999_600)).toBe('1.0 MB');
  });

  it("says one file's size the same in a refusal, a download line and the lock's message", () => {
    const bytes = 150_600_000;
    const refusal = sizeRefusal('clip', bytes, { bytes: 1, why: 'a test limit' })!;
    const lock = describeLocked({ id: 'clip', sha256: 'a'.repeat(64), bytes, source: '' });
    expect(refusal).toContain('is 151 MB,');
    expect(lock).toContain('(151 MB, bundled)');
    expect(downloadLabel({ loaded: bytes, total: bytes, files: 1, active: 0 })).toBe('downloaded 151 MB, loading');
    expect(storageLine(1, bytes, 200e6, 0)).toBe('kept 1 run, 151 MB of 200 MB');
  });
});
