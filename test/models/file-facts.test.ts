/**
 * The lock's hash cache (file-facts-node.ts): a model file is hashed once while its path and stat (size, mtime,
 * ctime, inode, device) stay the same, in this process and (through file-hashes.json in the cache folder) the next; a
 * file changed in place or replaced keeping its size and mtime is hashed again and the lock says it differs. Its
 * external data files are locked and checked the same way.
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { makeExternalClipFolder, makeExternalDecoderFolder } from '../../scripts/onnx-external-data';
import { createEngineApi } from '../../src/engine/api';
import { localPathOf, nodeServices, readBytesNode, withFileFacts } from '../../src/host/node-services';
import {
  fileFacts,
  fileFactsPath,
  forgetFileFacts,
  hashCounters,
  rememberFileFacts,
} from '../../src/models/runtime/file-facts-node';
import { sessionFiles } from '../../src/models/runtime/model-files';
import { BUNDLED_MODELS_DIR, createModelRuntime } from '../../src/models/runtime/runtime-node';

const cache = mkdtempSync(join(tmpdir(), 'file-facts-'));
process.env.UNCLIP_STUDIO_CACHE = cache;
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
const hashed = () => ({ ...hashCounters });

/** A file with a given content and an mtime in the past (a whole second, as file systems round). */
function fileWith(path: string, content: string, mtime = 1_700_000_000) {
  writeFileSync(path, content);
  utimesSync(path, mtime, mtime);
  return path;
}

describe('the hash cache', () => {
  it('hashes a file once; the same path and stat are not read again', async () => {
    const path = fileWith(join(mkdtempSync(join(tmpdir(), 'ff-')), 'a.bin'), 'first version');
    const before = hashed();
    expect(await fileFacts(path)).toEqual({ sha256: sha256('first version'), bytes: 13 });
    expect(hashed().files).toBe(before.files + 1);
    expect(await fileFacts(path)).toEqual({ sha256: sha256('first version'), bytes: 13 });
    expect(hashed().files).toBe(before.files + 1);
    // a new process: the JSON file in the cache folder still knows it
    forgetFileFacts();
    expect(await fileFacts(path)).toEqual({ sha256: sha256('first version'), bytes: 13 });
    expect(hashed().files).toBe(before.files + 1);
    expect(fileFactsPath()).toBe(join(cache, 'file-hashes.json'));
    expect(Object.keys(JSON.parse(readFileSync(fileFactsPath()!, 'utf8')).files)).toContain(path);
  });

  it('a file changed in place (same size, a new mtime) is hashed again', async () => {
    const path = fileWith(join(mkdtempSync(join(tmpdir(), 'ff-')), 'b.bin'), 'version one');
    const first = await fileFacts(path);
    fileWith(path, 'version two', 1_700_000_100);
    const before = hashed();
    const second = await fileFacts(path);
    expect(hashed().files).toBe(before.files + 1);
    expect(second.sha256).toBe(sha256('version two'));
    expect(second.sha256).not.toBe(first.sha256);
    // and a size change with the mtime put back
    fileWith(path, 'version three', 1_700_000_100);
    expect((await fileFacts(path)).sha256).toBe(sha256('version three'));
  });

  it('a file replaced keeping its size and mtime (cp -p, rsync -a, tar x) is hashed again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-'));
    const path = fileWith(join(dir, 'weights.bin'), 'weights A');
    expect((await fileFacts(path)).sha256).toBe(sha256('weights A'));
    // rsync -a: another file with the same size and mtime renamed over it (a new inode)
    renameSync(fileWith(join(dir, '.weights.bin.tmp'), 'weights B'), path);
    expect((await fileFacts(path)).sha256).toBe(sha256('weights B'));
    // cp -p: the bytes written into the same inode, the mtime set back (the ctime moves; the clock's tick first)
    await new Promise((r) => setTimeout(r, 30));
    copyFileSync(fileWith(join(dir, 'other.bin'), 'weights C'), path);
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    expect((await fileFacts(path)).sha256).toBe(sha256('weights C'));
    // and the next process, from file-hashes.json, too
    forgetFileFacts();
    await new Promise((r) => setTimeout(r, 30));
    copyFileSync(fileWith(join(dir, 'other.bin'), 'weights D'), path);
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    expect((await fileFacts(path)).sha256).toBe(sha256('weights D'));
  });

  it('a session made from bytes hashes those bytes, not what the host remembers of the file', async () => {
    // a host whose memory of the file is stale (it says the manifest's sha256): the bytes read differ
    const manifestSha = sha256('the weights locked');
    const src = {
      read: async () => new TextEncoder().encode('other weights'),
      describe: (p: string) => p,
      facts: async () => ({ sha256: manifestSha, bytes: 13, externalData: [] }),
      localPath: async (p: string) => `/models/${p}`,
    };
    const entry = { id: 'm', file: 'm.onnx', sha256: manifestSha, bytes: 13 } as Parameters<typeof sessionFiles>[1];
    await expect(sessionFiles(src, entry, { native: false })).rejects.toThrow(/m\.onnx is corrupt or changed/);
    // onnxruntime-node opening the file by its path: the host's facts are what there is
    expect((await sessionFiles(src, entry, { native: true })).model).toBe('/models/m.onnx');
  });

  it('takes what the hub client checked as it downloaded, without hashing', async () => {
    const path = fileWith(join(mkdtempSync(join(tmpdir(), 'ff-')), 'c.bin'), 'downloaded');
    await rememberFileFacts(path, sha256('downloaded'));
    const before = hashed();
    expect((await fileFacts(path)).sha256).toBe(sha256('downloaded'));
    expect(hashed().files).toBe(before.files);
  });
});

describe('checking a graph against its lock', () => {
  const graphOf = (manifest: string) => ({
    format: 'unclip-studio/graph',
    version: 3,
    nodes: [{ id: 'clip', type: 'clip/load-model', params: { model: 'clip', manifest } }],
  });

  it('a second check reads no model file; a changed data file is hashed again and reported', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'ff-lock-')), 'clip');
    cpSync(makeExternalClipFolder(), folder, { recursive: true });
    for (const f of ['text_model.onnx', 'text_model.onnx_data', 'vision_model.onnx', 'vision_model.onnx_data'])
      utimesSync(join(folder, 'onnx', f), 1_700_000_000, 1_700_000_000);
    /** Every file the engine reads, by name. */
    const reads: string[] = [];
    const readBytes = withFileFacts(async (src) => {
      reads.push(src.slice(src.lastIndexOf('/') + 1));
      return readBytesNode(src);
    }, localPathOf);
    /** A fresh engine, as each `npm run graph` process has (the external runtimes are memoized per engine). */
    const engine = async () =>
      createEngineApi(
        createRegistry(),
        nodeServices({ models: (await createModelRuntime(BUNDLED_MODELS_DIR, 'node'))!, readBytes }),
      );
    const locked = await (await engine()).lockModels(graphOf(folder));
    if (!locked.ok) throw new Error('not locked');
    const text = locked.graph.models!.find((m) => m.id === 'clip-text')!;
    expect(text.externalData).toEqual([
      {
        location: 'text_model.onnx_data',
        sha256: sha256(readFileSync(join(folder, 'onnx/text_model.onnx_data'))),
        bytes: readFileSync(join(folder, 'onnx/text_model.onnx_data')).length,
      },
    ]);

    const check = async () => {
      const api = await engine();
      expect(api.loadGraph(locked.graph).ok).toBe(true);
      return api.checkModelLock();
    };
    const before = hashed();
    reads.length = 0;
    expect(await check()).toEqual([]);
    forgetFileFacts(); // the next process: file-hashes.json only
    expect(await check()).toEqual([]);
    expect(hashed()).toEqual(before);
    // the folder's JSON files only: neither ONNX file nor its data was read
    expect(reads.filter((r) => /\.onnx/.test(r))).toEqual([]);
    expect(reads).toContain('config.json');

    // the same size, another byte, a new mtime: hashed again, and the lock names the file that differs
    const data = join(folder, 'onnx/text_model.onnx_data');
    const bytes = readFileSync(data);
    bytes[100] = bytes[100]! ^ 1;
    writeFileSync(data, bytes);
    const problems = await check();
    expect(hashed().files).toBe(before.files + 1);
    expect(problems.map((p) => p.nodeId)).toEqual(['clip']);
    expect(problems[0]!.message).toContain(
      `the model here has the same ONNX file but its external data file "text_model.onnx_data" was sha256 ` +
        `${text.externalData![0]!.sha256}`,
    );
    expect(problems[0]!.message).toContain(`is sha256 ${sha256(bytes)}`);
  });

  it('a diffusers folder is read again without reading its U-Net or its weights (signature cached)', async () => {
    const folder = makeExternalDecoderFolder();
    const reads: string[] = [];
    const readBytes = withFileFacts(async (src) => {
      reads.push(src.slice(src.lastIndexOf('/') + 1));
      return readBytesNode(src);
    }, localPathOf);
    const first = await (await createModelRuntime(BUNDLED_MODELS_DIR, 'node'))!.external(folder, readBytes);
    reads.length = 0;
    const before = hashed();
    const again = await (await createModelRuntime(BUNDLED_MODELS_DIR, 'node'))!.external(folder, readBytes);
    expect(hashed()).toEqual(before);
    expect(reads.filter((r) => /\.onnx|\.pb/.test(r))).toEqual([]);
    expect(again.manifest).toEqual(first.manifest);
  });

  it('the folder reader hashes nothing the cache knows (readBytesNode carries the facts)', async () => {
    const folder = makeExternalClipFolder();
    const runtime = (await createModelRuntime(BUNDLED_MODELS_DIR, 'node'))!;
    await runtime.external(folder, readBytesNode);
    const before = hashed();
    const again = (await createModelRuntime(BUNDLED_MODELS_DIR, 'node'))!;
    await again.external(folder, readBytesNode);
    expect(hashed()).toEqual(before);
  });
});
