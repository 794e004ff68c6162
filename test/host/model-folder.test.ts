import { describe, expect, it } from 'vitest';
import { resolveRelative } from '../../src/models/runtime/runtime';
import { folderBase, folderModelName, isModelFolder } from '../../src/models/runtime/published-layout';
import { isBundledReference } from '../../src/graph/references';
import {
  detectFolderLayout,
  folderReference,
  parseFolderReference,
  pathInFolder,
  referenceName,
  unknownLayoutMessage,
} from '../../src/host/model-folder-ref';
import { createPickedFolders } from '../../src/host/picked-folders';
import { DownloadTracker, ModelTooBigError } from '../../src/models/runtime/download-progress';

const CLIP = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'preprocessor_config.json',
  'onnx/text_model.onnx',
  'onnx/vision_model_fp16.onnx',
];
const UNET = ['scheduler/scheduler_config.json', 'unet/config.json', 'unet/model.onnx'];

describe('picked folder references', () => {
  it('names a folder as folder://<name>/, keeping only characters a reference carries', () => {
    expect(folderReference('clip-vit-base-patch32')).toBe('folder://clip-vit-base-patch32/');
    expect(folderReference('My Model (v2)')).toBe('folder://My-Model-v2/');
    expect(referenceName('...')).toBe('model');
  });

  it('is a model folder to the runtime, whose files resolve inside it and whose model is named after it', () => {
    const ref = folderReference('mini-clip');
    expect(isModelFolder(ref)).toBe(true);
    expect(isBundledReference(ref)).toBe(false); // held in a shared graph until allowed, as any file
    expect(resolveRelative(folderBase(ref), 'onnx/text_model.onnx')).toBe('folder://mini-clip/onnx/text_model.onnx');
    // a path that climbs stays inside the folder
    expect(resolveRelative(folderBase(ref), '../../etc/x')).toBe('folder://mini-clip/etc/x');
    expect(folderModelName(ref)).toBe('mini-clip');
  });

  it('parses a file of a folder into the folder name and path, refusing what is not one', () => {
    expect(parseFolderReference('folder://mini-clip/onnx/text_model.onnx')).toEqual({
      name: 'mini-clip',
      path: 'onnx/text_model.onnx',
    });
    expect(parseFolderReference('folder://mini-clip/')).toEqual({ name: 'mini-clip', path: '' });
    expect(parseFolderReference('folder://mini-clip/a/../../b')).toBeNull();
    expect(parseFolderReference('folder://bad name/x')).toBeNull();
    expect(parseFolderReference('https://example.org/x')).toBeNull();
  });

  it('takes the folder off a webkitRelativePath', () => {
    expect(pathInFolder('mini-clip/onnx/text_model.onnx')).toEqual({
      folder: 'mini-clip',
      path: 'onnx/text_model.onnx',
    });
  });
});

describe('the layout of a folder from its file list', () => {
  it('finds a CLIP folder (any dtype variant) and a diffusers folder', () => {
    expect(detectFolderLayout(CLIP)).toEqual({ layout: 'clip' });
    expect(detectFolderLayout(UNET)).toEqual({ layout: 'diffusers' });
  });

  it('names what a folder of neither layout lacks', () => {
    const r = detectFolderLayout(['config.json', 'onnx/text_model.onnx', 'README.md']);
    expect(r).toEqual({
      layout: null,
      looksLike: 'clip',
      missing: ['tokenizer.json', 'preprocessor_config.json', 'onnx/vision_model.onnx (or _fp16 / _quantized)'],
    });
    if (r.layout === null)
      expect(unknownLayoutMessage('photos', r.missing, r.looksLike)).toMatch(
        /^the folder "photos" is not a CLIP .* it lacks tokenizer\.json, preprocessor_config\.json/,
      );
    expect(detectFolderLayout(['unet/config.json'])).toMatchObject({
      layout: null,
      looksLike: 'diffusers',
      missing: ['unet/model.onnx', 'scheduler/scheduler_config.json'],
    });
  });
});

const filesOf = (paths: string[], body = (p: string) => p) =>
  paths.map((path) => ({ path, file: new File([body(path)], path.split('/').pop()!, { lastModified: 1 }) }));

describe('the worker store of picked folders', () => {
  it('reads a file of a picked folder by its reference, and says which folder to pick again when absent', async () => {
    const store = createPickedFolders();
    const info = await store.addModelFolder({ name: 'mini-clip', files: filesOf(CLIP) });
    expect(info).toMatchObject({ ok: true, reference: 'folder://mini-clip/', layout: 'clip', modelId: 'mini-clip' });
    expect(new TextDecoder().decode(await store.read('folder://mini-clip/onnx/text_model.onnx'))).toBe(
      'onnx/text_model.onnx',
    );
    await expect(store.read('folder://mini-clip/onnx/nope.onnx')).rejects.toThrow(/has no file onnx\/nope\.onnx/);
    expect(store.missing('folder://mini-clip/config.json')).toBeNull();
    expect(store.missing('https://example.org/a')).toBeNull();
    expect(store.missing('folder://other-clip/config.json')?.message).toMatch(/pick the folder other-clip again/);
    await expect(store.read('folder://other-clip/config.json')).rejects.toThrow(/pick the folder other-clip again/);
  });

  it('refuses a folder of no known layout, naming what it lacks', async () => {
    const store = createPickedFolders();
    const info = await store.addModelFolder({ name: 'photos', files: filesOf(['a.png']) });
    expect(info.ok).toBe(false);
    if (!info.ok) expect(info.message).toMatch(/"photos" .* lacks config\.json/);
    expect(store.modelFolders()).toEqual([]);
  });

  it('gives a different folder of a taken name a name of its own, and the same folder its old one', async () => {
    const store = createPickedFolders();
    await store.addModelFolder({ name: 'clip', files: filesOf(CLIP) });
    expect(await store.addModelFolder({ name: 'clip', files: filesOf(CLIP) })).toMatchObject({ name: 'clip' });
    const other = await store.addModelFolder({ name: 'clip', files: filesOf(CLIP, (p) => `${p}!`) });
    expect(other).toMatchObject({ ok: true, name: 'clip-2', reference: 'folder://clip-2/' });
    // picked again for a graph that names it: the name the graph uses, whatever the folder is called
    const again = await store.addModelFolder({ name: 'elsewhere', files: filesOf(UNET) }, 'clip');
    expect(again).toMatchObject({ ok: true, name: 'clip', layout: 'diffusers' });
    expect(store.modelFolders().sort()).toEqual(['clip', 'clip-2']);
  });
  it("holds a picked model file to the browser's limit before reading it, as a download is", async () => {
    const tracker = new DownloadTracker(() => ({ bytes: 1000, why: 'a test limit' }));
    const store = createPickedFolders((src, bytes) => tracker.admit(src, bytes));
    const read: string[] = [];
    // a File that says when its bytes are read
    const files = filesOf(CLIP, (p) => (p.endsWith('.onnx') ? 'w'.repeat(600) : p)).map(({ path, file }) => {
      const spied = Object.assign(file, {
        arrayBuffer: () => (read.push(path), File.prototype.arrayBuffer.call(file)),
      });
      return { path, file: spied };
    });
    await store.addModelFolder({ name: 'big-clip', files });
    const stop = tracker.watch('folder://big-clip/', 'big-clip', () => undefined);
    expect((await store.read('folder://big-clip/config.json')).length).toBe('config.json'.length);
    expect((await store.read('folder://big-clip/onnx/text_model.onnx')).length).toBe(600);
    // 600 + 600 bytes of model: more than the limit; refused naming the model, and its bytes never read
    const refused = store.read('folder://big-clip/onnx/vision_model_fp16.onnx');
    await expect(refused).rejects.toThrow(ModelTooBigError);
    await expect(refused).rejects.toThrow(/model "big-clip" is 1\.2 kB, more than this browser can hold/);
    expect(read).toEqual(['config.json', 'onnx/text_model.onnx']);
    stop();
  });
});
