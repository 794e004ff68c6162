import { describe, expect, it } from 'vitest';
import {
  DownloadTracker,
  downloadFraction,
  downloadLabel,
  type DownloadProgress,
} from '../../src/models/runtime/download-progress';
import { GiB } from '../../src/models/runtime/model-limit';

const limit = () => ({ bytes: 1 * GiB, why: 'a test limit' });

describe('download progress', () => {
  it('reads as bytes so far over the total, in the unit of the total', () => {
    expect(downloadLabel({ loaded: 12_400_000, total: 151_277_312, files: 1 })).toBe('downloading 12 / 151 MB');
    expect(downloadLabel({ loaded: 1_200_000, total: 3_000_000, files: 1 })).toBe('downloading 1.2 / 3.0 MB');
    expect(downloadLabel({ loaded: 151_277_312, total: 151_277_312, files: 1 })).toBe('downloading 151 / 151 MB');
    expect(downloadLabel({ loaded: 2_000_000, total: 0, files: 1 })).toBe('downloading 2.0 MB');
    // every file in: the loader hashes and opens them
    expect(downloadLabel({ loaded: 5_608_789, total: 5_608_789, files: 2, active: 0 })).toBe(
      'downloaded 5.6 MB, loading',
    );
    expect(downloadFraction({ loaded: 50, total: 200, files: 1 })).toBe(0.25);
    expect(downloadFraction({ loaded: 50, total: 0, files: 1 })).toBe(0);
  });

  it("sums the files under a loader's folder, and only those", () => {
    const t = new DownloadTracker(limit, () => 0, 0);
    const seen: DownloadProgress[] = [];
    const stop = t.watch('http://h/models/clip/', 'clip', (p) => seen.push(p));
    t.started('http://h/models/clip/onnx/text_model.onnx', 100);
    t.started('http://h/models/clip/onnx/vision_model.onnx', 300);
    t.started('http://h/models/other/model.onnx', 1000); // another loader's
    t.advanced('http://h/models/clip/onnx/text_model.onnx', 100);
    t.advanced('http://h/models/clip/onnx/vision_model.onnx', 150);
    t.advanced('http://h/models/other/model.onnx', 999);
    expect(seen.at(-1)).toEqual({ loaded: 250, total: 400, files: 2, active: 2 });
    stop();
    t.advanced('http://h/models/clip/onnx/vision_model.onnx', 300);
    expect(seen.at(-1)).toEqual({ loaded: 250, total: 400, files: 2, active: 2 }); // no longer watched
  });

  it('thins reports to one per interval, always sending the last', () => {
    let now = 0;
    const t = new DownloadTracker(limit, () => now, 100);
    const seen: number[] = [];
    t.watch('http://h/', 'm', (p) => seen.push(p.loaded));
    t.started('http://h/a.onnx', 1000);
    for (let i = 1; i <= 10; i++) {
      now += 30;
      t.advanced('http://h/a.onnx', i * 100);
    }
    t.ended('http://h/a.onnx');
    // started at 0, then at 120, 240 (not each 30 ms), and the end
    expect(seen).toEqual([0, 400, 800, 1000]);
  });

  it('takes a file of unknown length as long as what arrived', () => {
    const t = new DownloadTracker(limit, () => 0, 0);
    const seen: DownloadProgress[] = [];
    t.watch('http://h/', 'm', (p) => seen.push(p));
    t.started('http://h/a.onnx', 0);
    t.advanced('http://h/a.onnx', 70);
    t.ended('http://h/a.onnx');
    expect(seen.at(-1)).toEqual({ loaded: 70, total: 70, files: 1, active: 0 });
  });

  it("refuses a file that takes its loader's model over the limit, naming the model, and counts nothing for it", () => {
    const t = new DownloadTracker(limit, () => 0, 0);
    t.watch('http://h/big/', 'big-clip', () => undefined);
    t.admit('http://h/big/onnx/text_model.onnx', 0.6 * GiB);
    expect(() => t.admit('http://h/big/onnx/vision_model.onnx', 0.6 * GiB)).toThrow(
      /^model "big-clip" is 1\.3 GB, more than this browser can hold \(1\.1 GB: a test limit\)/,
    );
    t.admit('http://h/big/onnx/small.onnx', 0.3 * GiB); // the refused file was not counted
  });

  it('refuses a file alone over the limit outside any loader, naming the file or the model', () => {
    const t = new DownloadTracker(limit, () => 0, 0);
    expect(() => t.admit('http://h/x/unet.onnx', 2 * GiB)).toThrow(/^model "unet\.onnx" is 2\.1 GB/);
    expect(() => t.admit('http://h/x/unet.onnx', 2 * GiB, 'sd')).toThrow(/^model "sd" is 2\.1 GB/);
    t.admit('http://h/x/unet.onnx', 0.5 * GiB);
    // no limit (headless): nothing is refused
    new DownloadTracker(() => undefined).admit('http://h/x/unet.onnx', 100 * GiB);
  });
});
