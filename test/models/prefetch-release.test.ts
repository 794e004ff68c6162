/**
 * A model folder's bytes read to describe it wait a while for a session, then go (review 13): a lock check or an
 * inspect opens no session, and a memoized runtime must not hold a 900 MB CLIP folder's bytes for the page's life.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeExternalClipFolder } from '../../scripts/onnx-external-data';
import { readBytesNode } from '../../src/host/node-services';
import { PREFETCH_KEEP_MS } from '../../src/models/runtime/runtime';
import { BUNDLED_MODELS_DIR, createModelRuntime } from '../../src/models/runtime/runtime-node';

const folder = makeExternalClipFolder();

/** A runtime reading the folder as the browser does (bytes, no hash cache), and the model files it read. */
async function opened() {
  const reads: string[] = [];
  const readBytes = (src: string) => {
    if (/\.onnx/.test(src)) reads.push(src.slice(folder.length + 1));
    return readBytesNode(src);
  };
  const runtime = (await createModelRuntime(BUNDLED_MODELS_DIR, 'node'))!;
  const clip = await runtime.external(folder, readBytes);
  const text = clip.manifest.models.find((m) => /text/.test(m.id))!.id;
  return { reads, clip, text };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("a folder's prefetched bytes", () => {
  it('are handed to a session opened soon after the folder was read (nothing read twice)', async () => {
    const { reads, clip, text } = await opened();
    expect(reads).toEqual(expect.arrayContaining(['onnx/text_model.onnx', 'onnx/text_model.onnx_data']));
    reads.length = 0;
    await clip.session(text);
    expect(reads).toEqual([]);
  });

  it('are let go when no session came for them in time; a later session reads the files again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { reads, clip, text } = await opened();
    reads.length = 0;
    vi.advanceTimersByTime(PREFETCH_KEEP_MS);
    vi.useRealTimers();
    await clip.session(text);
    expect(reads.sort()).toEqual(['onnx/text_model.onnx', 'onnx/text_model.onnx_data']);
  });
});
