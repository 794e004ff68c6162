/**
 * A model file's bytes are hashed once however many steps check them (a folder described, the browser's model cache,
 * the session opened): sha256OfBytes remembers the digest by the array, and a reader that checked the bytes says so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { knownSha256, sha256Hex, sha256OfBytes } from '../../src/tensor/hash';
import { describeOnnxFile, sessionFiles } from '../../src/models/runtime/model-files';
import { BUNDLED_MODELS_DIR } from '../../src/models/runtime/runtime-node';

const digests = () => vi.spyOn(globalThis.crypto.subtle, 'digest');
afterEach(() => vi.restoreAllMocks());

describe('sha256OfBytes', () => {
  it('hashes an array once and gives the same digest as sha256Hex', async () => {
    const spy = digests();
    const bytes = new Uint8Array(100_000).map((_, i) => i * 7);
    expect(await sha256OfBytes(bytes)).toBe(sha256Hex(bytes));
    expect(await sha256OfBytes(bytes)).toBe(sha256Hex(bytes));
    expect(spy).toHaveBeenCalledTimes(1);
    // equal bytes in another array are hashed for themselves
    expect(await sha256OfBytes(bytes.slice())).toBe(sha256Hex(bytes));
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('takes the word of a reader that checked the bytes', async () => {
    const spy = digests();
    const bytes = new Uint8Array([1, 2, 3]);
    knownSha256(bytes, sha256Hex(bytes));
    expect(await sha256OfBytes(bytes)).toBe(sha256Hex(bytes));
    expect(spy).not.toHaveBeenCalled();
  });

  it('a model file read to describe a folder is not hashed again when its session takes the bytes', async () => {
    const file = 'mini-clip-text.onnx';
    const onDisk = new Uint8Array(readFileSync(join(BUNDLED_MODELS_DIR, file)));
    let reads = 0;
    const src = {
      read: async () => (reads++, onDisk),
      describe: (p: string) => p,
    };
    const spy = digests();
    const described = await describeOnnxFile(src, file);
    expect(described.sha256).toBe(sha256Hex(onDisk));
    const entry = { id: 'm', file, sha256: described.sha256, bytes: described.bytes } as Parameters<
      typeof sessionFiles
    >[1];
    const files = await sessionFiles(src, entry, { native: false, read: async (p) => described.read.get(p)! });
    expect(files.model).toBe(onDisk);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(reads).toBe(1);
  });

  it('bytes whose recorded sha256 is not the manifest one are still refused', async () => {
    const bytes = new Uint8Array([9, 9, 9]);
    knownSha256(bytes, sha256Hex(bytes));
    const entry = { id: 'm', file: 'm.onnx', sha256: sha256Hex('other'), bytes: 3 } as Parameters<
      typeof sessionFiles
    >[1];
    const src = { read: async () => bytes, describe: (p: string) => p };
    await expect(sessionFiles(src, entry, { native: false })).rejects.toThrow(/m\.onnx is corrupt or changed/);
  });
});
