import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import type { NodeEvent } from '../../src/engine/events';
import { Engine } from '../../src/engine/scheduler';
import { nodeServices, readBytesNode, PUBLIC_DIR } from '../../src/host/node-services';
import { DownloadTracker } from '../../src/models/runtime/download-progress';
import type { FileExpectation } from '../../src/models/runtime/file-expectation';
import { graphText } from '../helpers/models';
import { createModelRuntime } from '../../src/models/runtime/runtime-node';
import type { ModelRuntime } from '../../src/models/runtime/runtime';
import type { RunContext } from '../../src/node-api';
import { refuseTooBig } from '../../nodes/kit/downloads';

// The loaders' side of the browser's downloads (nodes/kit/downloads.ts), on Node with a reader that reports to a
// DownloadTracker as the browser's model cache does: what the node shows, and a model refused before its files.
const MANIFEST = join(PUBLIC_DIR, 'models', 'manifest.json');

function engineWith(limitBytes: number) {
  const tracker = new DownloadTracker(
    () => ({ bytes: limitBytes, why: 'a test limit' }),
    () => 0,
    0,
  );
  const read: Array<{ src: string; expect?: FileExpectation }> = [];
  const readBytes = async (src: string, expect?: FileExpectation) => {
    read.push({ src, expect });
    const bytes = await readBytesNode(src);
    if (!/\.onnx$/.test(src)) return bytes;
    // the browser's reader: admitted, then streamed in two halves
    tracker.admit(src, bytes.length, expect?.model);
    tracker.started(src, expect?.bytes ?? bytes.length);
    tracker.advanced(src, bytes.length / 2);
    tracker.advanced(src, bytes.length);
    tracker.ended(src);
    return bytes;
  };
  return {
    read,
    engine: async () =>
      new Engine(
        createRegistry(),
        nodeServices({
          readBytes,
          models: await createModelRuntime(),
          downloads: {
            watch: (manifest, model, onProgress) =>
              tracker.watch(manifest.slice(0, manifest.lastIndexOf('/') + 1), model, onProgress),
            limit: () => tracker.limit(),
          },
        }),
      ),
  };
}

const loader = { id: 'clip', type: 'clip/load-model', params: { model: 'mini-clip', manifest: MANIFEST } };

describe('a loader in a host that reports downloads', () => {
  it('shows its files downloading, summed over both CLIP halves, then loading', async () => {
    const { engine, read } = engineWith(4 * 2 ** 30);
    const e = await engine();
    e.load(graphText([loader]));
    const events: NodeEvent[] = [];
    const result = await e.run({ onEvent: (ev) => events.push(ev) });
    expect(result.ok).toBe(true);
    const labels = events.filter((ev) => ev.nodeId === 'clip' && ev.label).map((ev) => ev.label);
    expect(labels).toContain('downloading 2.5 / 5.6 MB');
    expect(labels.at(-1)).toBe('downloaded 5.6 MB, loading');
    // the manifest's sha256, size and id reach the reader with each model file
    const text = read.find((r) => r.src.endsWith('mini-clip-text.onnx'))!;
    expect(text.expect).toMatchObject({ model: 'mini-clip-text', bytes: 2513723 });
    expect(text.expect!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a model over the limit before reading any of its files, naming it, its size and the limit', async () => {
    const { engine, read } = engineWith(5_000_000);
    const e = await engine();
    e.load(graphText([loader]));
    const result = await e.run();
    expect(result.nodes.clip).toMatchObject({
      status: 'error',
      field: 'params.model',
      message: expect.stringMatching(
        /^model "mini-clip" is 5\.6 MB, more than this browser can hold \(5\.0 MB: a test limit\); it was not/,
      ),
    });
    expect(read.filter((r) => r.src.endsWith('.onnx'))).toEqual([]);
  });
});

describe('the size a loader holds a model to', () => {
  const ctx = (limit?: number) =>
    ({
      nodeId: 'unet',
      services: {
        readBytes: () => Promise.reject(new Error('not read')),
        downloads: { watch: () => () => undefined, limit: () => limit && { bytes: limit, why: 'a test limit' } },
      },
    }) as unknown as RunContext;
  const runtime = {
    entry: () => ({
      bytes: 1_000_000,
      externalData: [{ location: 'model.onnx_data', sha256: '', bytes: 5_000_000_000 }],
    }),
  } as unknown as ModelRuntime;
  const loader = { manifest: 'http://h/sd/manifest.json', model: 'sd-unet' };

  it('counts the external data files beside the ONNX file', () => {
    expect(() => refuseTooBig(ctx(4e9), loader, runtime, ['unet'])).toThrow(
      /params.model: model "sd-unet" is 5\.0 GB, more than this browser can hold \(4\.0 GB: a test limit\)/,
    );
    refuseTooBig(ctx(6e9), loader, runtime, ['unet']);
  });

  it('holds nothing where the host has no limit (headless), nor a model folder (its sizes come with its files)', () => {
    refuseTooBig(ctx(undefined), loader, runtime, ['unet']);
    refuseTooBig(ctx(4e9), { manifest: 'http://h/sd', model: 'sd-unet' }, runtime, ['unet']);
  });
});
