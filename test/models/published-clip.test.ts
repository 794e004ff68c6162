import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeMiniClipFolder, makeTinyClipFolder } from '../../scripts/published-clip';
import { encodeImages, encodeTexts, encodeTokens, resolveClip } from '../../src/models/pipelines/clip';
import type { ModelRuntime } from '../../src/models/runtime/runtime';
import { readBytesNode } from '../../src/host/node-services';
import { float32, tensor } from '../../src/tensor/tensor';
import { runGraph } from '../helpers/models';
import { BUNDLED_MODELS_DIR, createModelRuntime } from '../../src/models/runtime/runtime-node';

// native onnxruntime-node sessions (the WASM build runs the same code: test/models/external.test.ts's path)
const runtime = (await createModelRuntime(BUNDLED_MODELS_DIR, 'node'))!;
const MINI = makeMiniClipFolder();
const TINY = makeTinyClipFolder();
const folderOf = (dir: string, dtype?: string): Promise<ModelRuntime> =>
  runtime.external(dir, readBytesNode, dtype ? { dtype } : {});
const root = new URL('../..', import.meta.url).pathname;

/** A copy of a made folder to spoil. */
function copyOf(dir: string, edit: (copy: string) => void): string {
  const copy = join(mkdtempSync(join(tmpdir(), 'clip-folder-')), 'clip');
  cpSync(dir, copy, { recursive: true });
  edit(copy);
  return copy;
}
const editJson = (path: string, edit: (j: Record<string, unknown>) => void) => {
  const j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(j);
  writeFileSync(path, JSON.stringify(j));
};

describe('the bundled mini-CLIP as an optimum-layout folder', () => {
  it('builds both halves with optimum names and sizes from config.json', async () => {
    const folder = await folderOf(MINI);
    expect(folder.folder).toEqual({ pair: 'mini-clip', dtype: 'fp32' });
    const text = folder.entry('mini-clip-text');
    expect(text.inputs.map((i) => [i.name, i.shape])).toEqual([
      ['input_ids', ['batch', 16]],
      ['attention_mask', ['batch', 16]],
    ]);
    expect(text.outputs.map((o) => [o.name, o.shape])).toEqual([
      ['text_embeds', ['batch', 128]],
      ['last_hidden_state', ['batch', 16, 128]],
    ]);
    expect(text.sha256).toBe(runtime.entry('mini-clip-text').sha256);
    expect(folder.entry('mini-clip-image').inputs[0]).toMatchObject({
      name: 'pixel_values',
      shape: ['batch', 3, 64, 64],
    });
  });

  it('gives the text and image embeddings of the bundled manifest, bit for bit', async () => {
    const folder = await folderOf(MINI);
    const viaFolder = resolveClip(folder, 'mini-clip');
    const viaManifest = resolveClip(runtime, 'mini-clip');
    const texts = ['a red circle', 'a small blue square left of a green triangle', 'a yellow cross'];
    // pictures of another size too: the bundled spec resizes them (bilinear), the folder's config says the same
    let state = 7;
    const noise = (n: number) =>
      Float32Array.from({ length: n }, () => (state = (state * 48271) % 2147483647) / 2147483647);
    for (const images of [float32([2, 64, 64, 3], noise(2 * 64 * 64 * 3)), float32([1, 48, 80, 3], noise(48 * 80 * 3))])
      expect((await encodeImages(folder, viaFolder, images)).data).toEqual(
        (await encodeImages(runtime, viaManifest, images)).data,
      );
    expect(viaFolder.logitScale).toBe(viaManifest.logitScale);
    expect((await encodeTexts(folder, viaFolder, texts)).data).toEqual(
      (await encodeTexts(runtime, viaManifest, texts)).data,
    );
  });

  it('its WordLevel tokenizer.json refuses an unknown word, naming it', async () => {
    const folder = await folderOf(MINI);
    await expect(encodeTexts(folder, resolveClip(folder, 'mini-clip'), ['a red dragon'])).rejects.toThrow(
      /unknown word "dragon"/,
    );
  });

  const zeroShot = (manifest: string) => [
    { id: 'clip', type: 'clip/load-model', params: { model: 'mini-clip', manifest } },
    { id: 'image', type: 'world/render-scene', params: { caption: 'a red circle', seed: 3 } },
    { id: 'labels', type: 'text/lines', params: { text: 'red circle\nblue circle\nred square\ngreen triangle' } },
    {
      id: 'classify',
      type: 'rank/zero-shot-classify',
      params: { template: 'a {}' },
      inputs: { model: 'clip.model', image: 'image.image', labels: 'labels.text' },
    },
  ];

  it('a zero-shot graph whose loader names the folder gives the bundled probabilities, bit for bit', async () => {
    const outputs = async (manifest: string) => {
      const { engine, result } = await runGraph(runtime, zeroShot(manifest));
      expect(result.ok).toBe(true);
      return engine.outputsOf('classify');
    };
    const [folder, bundled] = [await outputs(MINI), await outputs('')];
    expect(JSON.stringify(folder)).toBe(JSON.stringify(bundled));
  });

  it('npm run graph -- run takes the folder as the loader manifest, with the same outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clip-folder-graph-'));
    const write = (name: string, manifest: string) => {
      writeFileSync(
        join(dir, name),
        JSON.stringify({ format: 'unclip-studio/graph', version: 1, nodes: zeroShot(manifest) }),
      );
      return join(dir, name);
    };
    const cli = async (file: string, ...flags: string[]) => {
      const { stdout } = await promisify(execFile)('npx', ['tsx', 'src/cli/main.ts', 'run', file, '--json', ...flags], {
        cwd: root,
      });
      return JSON.parse(stdout) as { ok: boolean; nodes: Record<string, unknown> };
    };
    const folder = await cli(write('folder.json', MINI), '--allow-path', MINI);
    const bundled = await cli(write('bundled.json', ''));
    expect(folder.ok).toBe(true);
    expect(JSON.stringify((folder.nodes.classify as { outputs: unknown }).outputs)).toBe(
      JSON.stringify((bundled.nodes.classify as { outputs: unknown }).outputs),
    );
    rmSync(dir, { recursive: true });
  });
});

describe('a CLIP folder with an attention mask, fp32 and fp16 (tiny random weights)', () => {
  const reference = JSON.parse(readFileSync(join(TINY, 'reference.json'), 'utf8')) as {
    ids: number[][];
    mask: number[][];
    pixels: number[];
    pixelsShape: number[];
    textEmbeds: number[][];
    imageEmbeds: number[][];
    textEmbedsFp16: number[][];
    imageEmbedsFp16: number[][];
  };
  const ids = tensor('int64', [3, 77], BigInt64Array.from(reference.ids.flat(), BigInt));
  const unit = (rows: number[][]) => rows.map((r) => r.map((v) => v / Math.hypot(...r)));
  const close = (got: Float32Array, want: number[][], tol: number) =>
    want.flat().forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThan(tol));

  it('feeds the attention mask its tokenizer pads for, matching PyTorch (masked-mean pooling)', async () => {
    const folder = await folderOf(TINY);
    const clip = resolveClip(folder, 'anything');
    expect(clip.id).toBe('tiny-clip');
    close((await encodeTokens(folder, clip, ids)).embeds.data, unit(reference.textEmbeds), 1e-5);
  });

  it('the fp16 variant (float16 pixels and outputs) runs through the same code', async () => {
    const folder = await folderOf(TINY, 'fp16');
    expect(folder.entry('tiny-clip-fp16-text').file).toBe('onnx/text_model_fp16.onnx');
    const clip = resolveClip(folder, 'tiny-clip');
    close((await encodeTokens(folder, clip, ids)).embeds.data, unit(reference.textEmbedsFp16), 2e-3);
    const session = await folder.session(clip.image);
    const out = await session.run({
      pixel_values: float32(reference.pixelsShape, Float32Array.from(reference.pixels)),
    });
    close(out.image_embeds!.data as Float32Array, reference.imageEmbedsFp16, 2e-3);
  });

  it('tokenizes text with tokenizer.json: CLIP ids, padded with the end token, cut to the context', async () => {
    const folder = await folderOf(TINY);
    const tok = await folder.tokenizer('tiny-clip-text');
    expect(tok.encode('a photo of a cat')).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    const long = tok.encode('cat '.repeat(100));
    expect(long).toHaveLength(77);
    expect([long[0], long[75], long[76]]).toEqual([49406, 2368, 49407]);
    expect(tok.padId).toBe(49407);
  });

  it('refuses a dtype the folder lacks, listing the ones it has', async () => {
    const err = (await folderOf(TINY, 'q8').catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/onnx\/text_model_quantized\.onnx is missing or unreadable for dtype q8 /);
    expect(err.message).toMatch(
      /the folder has fp32 \(onnx\/text_model\.onnx\), fp16 \(onnx\/text_model_fp16\.onnx\)$/,
    );
    const { result } = await runGraph(runtime, [
      { id: 'clip', type: 'clip/load-model', params: { manifest: TINY, dtype: 'q8' } },
    ]);
    expect(result.nodes.clip).toMatchObject({ status: 'error', message: expect.stringMatching(/for dtype q8/) });
  });

  it('a dtype other than fp32 for a manifest says it picks files of folders', async () => {
    const { result } = await runGraph(runtime, [
      { id: 'clip', type: 'clip/load-model', params: { manifest: 'models/manifest.json', dtype: 'fp16' } },
    ]);
    expect(result.nodes.clip!.message).toMatch(/dtype fp16 picks a file in a model folder/);
  });
});

describe('errors name the file and the field, quoting no value whole', () => {
  const long = 'x'.repeat(5000);
  it.each([
    ['config.json', (j: Record<string, unknown>) => delete j.projection_dim, /config\.json: projection_dim must be/],
    [
      'config.json',
      (j: Record<string, unknown>) => ((j.text_config as Record<string, unknown>).max_position_embeddings = long),
      /config\.json: text_config\.max_position_embeddings must be a whole number .*, got "x{60}…" \(5000 characters\)/,
    ],
    [
      'preprocessor_config.json',
      (j: Record<string, unknown>) => (j.crop_size = { height: 30, width: 32 }),
      /preprocessor_config\.json: crop_size must be 32 x 32 \(vision_config\.image_size in config\.json\), got 30 x 32/,
    ],
    [
      'preprocessor_config.json',
      (j: Record<string, unknown>) => (j.resample = 1),
      /preprocessor_config\.json: resample must be 2 \(bilinear\) or 3 \(bicubic\), got 1/,
    ],
    [
      'preprocessor_config.json',
      (j: Record<string, unknown>) => (j.image_mean = [long]),
      /preprocessor_config\.json: image_mean must be 3 numbers \(one per channel\), got an array \(1 item\)/,
    ],
  ])('%s', async (file, edit, message) => {
    const copy = copyOf(TINY, (c) => editJson(join(c, file), edit));
    const err = await folderOf(copy).catch((e: Error) => e);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('x'.repeat(100));
  });

  it('a file that is not JSON is named without quoting it', async () => {
    const copy = copyOf(TINY, (c) => writeFileSync(join(c, 'tokenizer.json'), `{${long}`));
    await expect(folderOf(copy)).rejects.toThrow(/tokenizer\.json is not valid JSON$/);
  });
});
