/**
 * ONNX files with external data (issue 38: every model above 2 GB is stored so): a CLIP folder in optimum's names
 * (onnx/text_model.onnx + text_model.onnx_data) and a diffusers U-Net (unet/model.onnx + unet/weights.pb), made
 * from the bundled models by scripts/onnx-external-data.ts, give the same outputs as the single files through
 * onnxruntime-web's WASM build in Node, native onnxruntime-node, and the browser's way of reading (fetch from an
 * HTTP server, no file system, the data handed over as sessionOptions.externalData).
 */
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeExternalClipFolder, makeExternalDecoderFolder, splitExternalData } from '../../scripts/onnx-external-data';
import { makeMiniClipFolder, PUBLISHED_DIR } from '../../scripts/published-clip';
import { makeMiniDecoderFolder } from '../../scripts/published-unet';
import { readBytesNode } from '../../src/host/node-services';
import { encodeImages, encodeTexts, resolveClip } from '../../src/models/pipelines/clip';
import { parseManifest, type ModelEntry } from '../../src/models/runtime/manifest';
import { externalDataLocations, onnxSignature } from '../../src/models/runtime/onnx-external';
import * as ortNode from 'onnxruntime-node';
import type { ModelRuntime } from '../../src/models/runtime/runtime';
import { BUNDLED_MODELS_DIR, createModelRuntime } from '../../src/models/runtime/runtime-node';
import { float32, tensor, type Tensor } from '../../src/tensor/tensor';

process.env.UNCLIP_STUDIO_CACHE = mkdtempSync(join(tmpdir(), 'ext-data-cache-'));
const wasm = (await createModelRuntime(BUNDLED_MODELS_DIR, 'web'))!;
const native = (await createModelRuntime(BUNDLED_MODELS_DIR, 'node'))!;
const CLIP = makeExternalClipFolder();
const CLIP_SINGLE = makeMiniClipFolder();
const UNET = makeExternalDecoderFolder();
const UNET_SINGLE = makeMiniDecoderFolder();
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The browser's reader: fetch only, no facts or local paths (runtime-browser.ts's fetchBytes). */
const fetchOnly = async (src: string) => {
  const res = await fetch(src);
  if (!res.ok) throw new Error(`cannot fetch ${src}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
};

let server: Server;
let base = '';
beforeAll(async () => {
  // test-artifacts/published over HTTP, as a static host serves a model folder
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url!, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    try {
      const body = readFileSync(join(PUBLISHED_DIR, path));
      res.writeHead(200, {
        'content-type': extname(path) === '.json' ? 'application/json' : 'application/octet-stream',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  base = `http://127.0.0.1:${address.port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let state = 11;
const noise = (n: number) =>
  Float32Array.from({ length: n }, () => (state = (state * 48271) % 2147483647) / 2147483647);
const IMAGES = float32([2, 64, 64, 3], noise(2 * 64 * 64 * 3));
const TEXTS = ['a red circle', 'a small blue square left of a green triangle'];

async function clipOutputs(runtime: ModelRuntime, folder: ModelRuntime) {
  const clip = resolveClip(folder, 'mini-clip');
  return [(await encodeTexts(folder, clip, TEXTS)).data, (await encodeImages(folder, clip, IMAGES)).data];
}

describe('finding the external data files a model needs', () => {
  it('lists the locations its initializers name, and none for a single file', () => {
    expect(externalDataLocations(readFileSync(join(CLIP, 'onnx/text_model.onnx')))).toEqual(['text_model.onnx_data']);
    expect(externalDataLocations(readFileSync(join(UNET, 'unet/model.onnx')))).toEqual(['weights.pb']);
    expect(externalDataLocations(readFileSync(join(CLIP_SINGLE, 'onnx/text_model.onnx')))).toEqual([]);
  });

  it("reads a U-Net's inputs and outputs as onnxruntime's session metadata gives them, without a session", async () => {
    for (const file of [join(UNET_SINGLE, 'unet/model.onnx'), join(UNET, 'unet/model.onnx')]) {
      const bytes = new Uint8Array(readFileSync(file));
      const session = await ortNode.InferenceSession.create(file);
      const meta = (names: readonly string[], list: readonly ortNode.InferenceSession.ValueMetadata[]) =>
        names.map((name) => {
          const m = list.find((x) => x.name === name)!;
          return { name, type: m.isTensor ? String(m.type) : 'unknown', shape: m.isTensor ? [...m.shape] : [] };
        });
      expect(onnxSignature(bytes)).toEqual({
        inputs: meta(session.inputNames, session.inputMetadata),
        outputs: meta(session.outputNames, session.outputMetadata),
      });
      await session.release();
    }
  });

  it('refuses a location outside the model folder and a file that is not ONNX', () => {
    const model = new Uint8Array(readFileSync(join(CLIP_SINGLE, 'onnx/text_model.onnx')));
    expect(() => externalDataLocations(splitExternalData(model, '../../secret').graph)).toThrow(
      /"..\/..\/secret" leads out of the model file's folder/,
    );
    expect(() => externalDataLocations(splitExternalData(model, '/etc/passwd').graph)).toThrow(
      /is not a relative path/,
    );
    expect(() => externalDataLocations(new TextEncoder().encode('{"not": "onnx"}'))).toThrow();
  });
});

describe('a CLIP folder in optimum names with text_model.onnx_data and vision_model.onnx_data', () => {
  it("lists each half's data file with its sha256 and size in the manifest entry it builds", async () => {
    const folder = await native.external(CLIP, readBytesNode);
    const text = folder.entry('mini-clip-external-text');
    expect(text.externalData).toEqual([
      {
        location: 'text_model.onnx_data',
        sha256: sha256(join(CLIP, 'onnx/text_model.onnx_data')),
        bytes: statSync(join(CLIP, 'onnx/text_model.onnx_data')).size,
      },
    ]);
    expect(text.sha256).toBe(sha256(join(CLIP, 'onnx/text_model.onnx')));
  });

  for (const [name, runtime] of [
    ['onnxruntime-web (WASM) in Node', wasm],
    ['native onnxruntime-node', native],
  ] as const)
    it(`gives the single files' embeddings, bit for bit: ${name}`, async () => {
      const split = await clipOutputs(runtime, await runtime.external(CLIP, readBytesNode));
      const single = await clipOutputs(runtime, await runtime.external(CLIP_SINGLE, readBytesNode));
      expect(split).toEqual(single);
    });

  it('read as the browser reads (fetch from an HTTP server, externalData handed over as bytes)', async () => {
    const fresh = (await createModelRuntime(BUNDLED_MODELS_DIR, 'web'))!;
    const split = await clipOutputs(fresh, await fresh.external(`${base}mini-clip-external/`, fetchOnly));
    const single = await clipOutputs(fresh, await fresh.external(CLIP_SINGLE, readBytesNode));
    expect(split).toEqual(single);
  });

  it('a missing data file is an error naming it and the model file that needs it', async () => {
    const copy = mkdtempSync(join(PUBLISHED_DIR, '.ext-clip-'));
    try {
      cpSync(CLIP, copy, { recursive: true });
      rmSync(join(copy, 'onnx/vision_model.onnx_data'));
      const needs = (where: string) =>
        `${where}/onnx/vision_model.onnx_data is missing or unreadable: ` +
        `${where}/onnx/vision_model.onnx keeps weights there (external data "vision_model.onnx_data")`;
      await expect(native.external(copy, readBytesNode)).rejects.toThrow(needs(copy));
      // the browser's way: the URL it fetched, and why it failed
      const url = `${base}${copy.slice(PUBLISHED_DIR.length + 1)}`;
      const fresh = (await createModelRuntime(BUNDLED_MODELS_DIR, 'web'))!;
      await expect(fresh.external(`${url}/`, fetchOnly)).rejects.toThrow(`${needs(url)} (cannot fetch`);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

/** A manifest beside the split mini-CLIP text half, listing (or not) its data file; served over HTTP too. */
function manifestFolder(list: boolean): string {
  const dir = mkdtempSync(join(PUBLISHED_DIR, '.ext-manifest-'));
  cpSync(join(CLIP, 'onnx'), join(dir, 'onnx'), { recursive: true });
  const bundled = native.entry('mini-clip-text');
  const entry: ModelEntry = {
    ...bundled,
    file: 'onnx/text_model.onnx',
    sha256: sha256(join(dir, 'onnx/text_model.onnx')),
    bytes: statSync(join(dir, 'onnx/text_model.onnx')).size,
    tokenizer: { ...bundled.tokenizer!, vocab: join(BUNDLED_MODELS_DIR, bundled.tokenizer!.vocab) },
    ...(list
      ? {
          externalData: [
            {
              location: 'text_model.onnx_data',
              sha256: sha256(join(dir, 'onnx/text_model.onnx_data')),
              bytes: statSync(join(dir, 'onnx/text_model.onnx_data')).size,
            },
          ],
        }
      : {}),
  };
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({ format: 'unclip-studio/models', version: 1, models: [entry] }),
  );
  return dir;
}

describe('a manifest entry with externalData', () => {
  const ids = tensor(
    'int64',
    [1, 16],
    BigInt64Array.from({ length: 16 }, (_, i) => BigInt(i < 4 ? i + 1 : 0)),
  );
  const embed = async (runtime: ModelRuntime) => (await runtime.session('mini-clip-text')).run({ input_ids: ids });

  it('loads through the manifest in Node (native and WASM) and over HTTP, with the bundled outputs', async () => {
    const dir = manifestFolder(true);
    try {
      // each onnxruntime against its own bundled session (native and WASM kernels round differently)
      for (const runtime of [native, wasm]) {
        const split = await runtime.external(join(dir, 'manifest.json'), readBytesNode);
        expect((await embed(split)).text_embeds!.data).toEqual((await embed(runtime)).text_embeds!.data);
      }
      const fresh = (await createModelRuntime(BUNDLED_MODELS_DIR, 'web'))!;
      const url = `${base}${dir.slice(PUBLISHED_DIR.length + 1)}/manifest.json`;
      expect((await embed(await fresh.external(url, fetchOnly))).text_embeds!.data).toEqual(
        (await embed(wasm)).text_embeds!.data,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a data file the entry does not list, a missing one and a changed one are refused, naming the files', async () => {
    const unlisted = manifestFolder(false);
    const listed = manifestFolder(true);
    try {
      const fresh = (await createModelRuntime(BUNDLED_MODELS_DIR, 'node'))!;
      await expect(embed(await fresh.external(join(unlisted, 'manifest.json'), readBytesNode))).rejects.toThrow(
        `model "mini-clip-text": file ${unlisted}/onnx/text_model.onnx keeps weights in ` +
          `${unlisted}/onnx/text_model.onnx_data, which its manifest entry does not list`,
      );
      const data = join(listed, 'onnx/text_model.onnx_data');
      const bytes = readFileSync(data);
      bytes[bytes.length - 1] = bytes.at(-1)! ^ 1;
      writeFileSync(data, bytes);
      const again = (await createModelRuntime(BUNDLED_MODELS_DIR, 'web'))!;
      await expect(embed(await again.external(join(listed, 'manifest.json'), readBytesNode))).rejects.toThrow(
        new RegExp(`model "mini-clip-text": external data file ${data} is corrupt or changed`),
      );
      rmSync(data);
      const third = (await createModelRuntime(BUNDLED_MODELS_DIR, 'node'))!;
      await expect(embed(await third.external(join(listed, 'manifest.json'), readBytesNode))).rejects.toThrow(
        `model "mini-clip-text": external data file ${data} is missing or unreadable: ` +
          `${listed}/onnx/text_model.onnx keeps its weights there`,
      );
    } finally {
      rmSync(unlisted, { recursive: true, force: true });
      rmSync(listed, { recursive: true, force: true });
    }
  });

  it('a location leading out of the model folder is refused when the manifest is read', () => {
    const entry = {
      ...native.entry('mini-clip-text'),
      externalData: [{ location: '../x', sha256: 'a'.repeat(64), bytes: 1 }],
    };
    expect(() => parseManifest({ format: 'unclip-studio/models', version: 1, models: [entry] }, 'm.json')).toThrow(
      "m.json: model #0 externalData.0.location leads out of the model file's folder",
    );
  });
});

describe('a diffusers U-Net with unet/weights.pb', () => {
  const feeds = (entry: ModelEntry): Record<string, Tensor> =>
    Object.fromEntries(
      entry.inputs.map((io) => {
        const shape = io.shape.map((d) => (typeof d === 'number' ? d : 1));
        const n = shape.reduce((a, b) => a * b, 1);
        const t =
          io.dtype === 'float32'
            ? float32(shape, noise(n))
            : tensor(
                io.dtype,
                shape,
                io.dtype === 'int64'
                  ? BigInt64Array.from({ length: n }, () => 3n)
                  : Int32Array.from({ length: n }, () => 3),
              );
        return [io.role ?? io.name, t];
      }),
    );
  for (const [name, make] of [
    ['onnxruntime-web (WASM) in Node, read by fetch', () => createModelRuntime(BUNDLED_MODELS_DIR, 'web')],
    ['native onnxruntime-node', () => createModelRuntime(BUNDLED_MODELS_DIR, 'node')],
  ] as const)
    it(`predicts what the single file predicts: ${name}`, async () => {
      const runtime = (await make())!;
      const read = name.includes('fetch') ? fetchOnly : readBytesNode;
      const split = await runtime.external(read === fetchOnly ? `${base}mini-decoder-external/` : UNET, read);
      const single = await runtime.external(UNET_SINGLE, readBytesNode);
      const entry = split.entry('mini-decoder-external');
      expect(entry.externalData?.map((x) => x.location)).toEqual(['weights.pb']);
      const x = feeds(entry);
      const a = await (await split.session('mini-decoder-external')).run(x);
      const b = await (await single.session('mini-unclip-decoder')).run(x);
      expect(Object.values(a)[0]!.data).toEqual(Object.values(b)[0]!.data);
    });
});
