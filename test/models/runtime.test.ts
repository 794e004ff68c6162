import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeImages, encodeTexts, resolveClip } from '../../src/models/pipelines/clip';
import { parseManifest, type Manifest } from '../../src/models/runtime/manifest';
import { createRuntime, loadManifest } from '../../src/models/runtime/runtime';
import { BUNDLED_MODELS_DIR, createModelRuntime, fsModelSource } from '../../src/models/runtime/runtime-node';
import { cudaProblem } from '../../src/models/runtime/device-node';
import { float32 } from '../../src/tensor/tensor';
import { dot, norm } from '../../src/tensor/vector';

ort.env.wasm.numThreads = 1;
let manifest: Manifest;

/** A copy of the bundled models folder that a test may damage. */
function scratchModels(edit?: (m: Manifest) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'models-'));
  const m = structuredClone(manifest);
  for (const e of m.models) copyFileSync(join(BUNDLED_MODELS_DIR, e.file), join(dir, e.file));
  copyFileSync(join(BUNDLED_MODELS_DIR, 'shapesworld-vocab.json'), join(dir, 'shapesworld-vocab.json'));
  edit?.(m);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  return dir;
}

beforeAll(async () => {
  manifest = await loadManifest(fsModelSource(BUNDLED_MODELS_DIR));
});

describe('model manifest', () => {
  it('lists the bundled mini-CLIP pair with hashes, io, preprocessing and tokenizer', () => {
    const text = manifest.models.find((m) => m.id === 'mini-clip-text')!;
    const image = manifest.models.find((m) => m.id === 'mini-clip-image')!;
    expect(text.tokenizer).toMatchObject({ type: 'word', contextLength: 16 });
    expect(image.preprocessing).toMatchObject({ size: 64, layout: 'NCHW' });
    expect(text.world).toBe('shapesworld-v1');
    expect(text.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps all bundled model files under 40 MB together (mini-CLIP, mini-unCLIP, mini-DALL·E)', () => {
    const total = manifest.models.reduce((s, m) => s + readFileSync(join(BUNDLED_MODELS_DIR, m.file)).length, 0);
    expect(total).toBeLessThan(40 * 1024 * 1024);
  });

  it('refuses a malformed manifest, naming the model (by position: never a value read from the file) and field', () => {
    const bad = structuredClone(manifest) as unknown as { models: Array<Record<string, unknown>> };
    bad.models[0]!.sha256 = 'xyz';
    expect(() => parseManifest(bad)).toThrow(/model #0 sha256/);
  });
});

describe('onnxruntime sessions', () => {
  it('encodes texts and images into unit vectors where matching pairs score highest', async () => {
    const runtime = (await createModelRuntime())!;
    const clip = resolveClip(runtime, 'mini-clip');
    const t = await encodeTexts(runtime, clip, [
      'a large red circle on a white background',
      'a large blue square on a black background',
    ]);
    expect(t.shape).toEqual([2, clip.embedDim]);
    expect(norm(t.data.subarray(0, clip.embedDim))).toBeCloseTo(1, 4);
    const { sampleScene } = await import('../../src/world/scene');
    const { renderScene } = await import('../../src/world/render');
    const { createRng } = await import('../../src/tensor/prng');
    const rng = createRng(3);
    const imgs = ['red circle', 'blue square'].map((c) => {
      const [colour, shape] = c.split(' ') as ['red', 'circle'];
      const bytes = renderScene(
        sampleScene(rng, {
          objects: [{ colour, shape, size: 'large' }],
          background: colour === 'red' ? 'white' : 'black',
        }),
      );
      return Array.from(bytes, (b) => b / 255);
    });
    const i = await encodeImages(runtime, clip, float32([2, 64, 64, 3], imgs.flat()));
    const d = clip.embedDim;
    const sim = (a: number, b: number) =>
      dot(float32([d], t.data.subarray(a * d, (a + 1) * d)), float32([d], i.data.subarray(b * d, (b + 1) * d)))
        .data[0]!;
    expect(sim(0, 0)).toBeGreaterThan(sim(0, 1));
    expect(sim(1, 1)).toBeGreaterThan(sim(1, 0));
  });

  it('creates one session per model and reuses it; concurrent runs are queued, not refused', async () => {
    const runtime = (await createModelRuntime())!;
    const [a, b] = await Promise.all([runtime.session('mini-clip-text'), runtime.session('mini-clip-text')]);
    expect(a).toBe(b);
    const clip = resolveClip(runtime, 'mini-clip');
    const results = await Promise.all(
      ['a circle', 'a square', 'a cross', 'a triangle'].map((x) => encodeTexts(runtime, clip, [x])),
    );
    expect(results.every((r) => r.shape[0] === 1)).toBe(true);
  });

  it.runIf(cudaProblem()?.includes('not installed'))(
    'runs a model on the CPU when the CUDA provider fails to load, and says so',
    async () => {
      const native = (await import('onnxruntime-node')) as unknown as typeof ort;
      const source = fsModelSource(BUNDLED_MODELS_DIR);
      // the CUDA provider, whose libraries npm does not install (onnxruntime-node's own script downloads them)
      const cuda = { executionProviders: ['cuda', 'cpu'] };
      const runtime = createRuntime(native, await loadManifest(source), source, {
        sessionOptions: cuda,
        fallback: { sessionOptions: { executionProviders: ['cpu'] }, from: 'the CUDA provider', to: 'the CPU' },
        notices: ['asked for cuda'],
      });
      expect((await runtime.session('mini-clip-text')).ep).toBe('cpu');
      const notices = runtime.takeNotices();
      expect(notices[0]).toBe('asked for cuda');
      expect(notices[1]).toMatch(/^mini-clip-text: the CUDA provider failed \(.+\): it runs on the CPU$/);
      // without a fallback the failure names the model
      const strict = createRuntime(native, await loadManifest(source), source, { sessionOptions: cuda });
      await expect(strict.session('mini-clip-text')).rejects.toThrow(/model "mini-clip-text": onnxruntime cannot load/);
    },
  );

  it('names the model when its file is missing', async () => {
    const dir = scratchModels((m) => {
      m.models[1]!.file = 'nowhere.onnx';
    });
    const runtime = createRuntime(ort, await loadManifest(fsModelSource(dir)), fsModelSource(dir));
    await expect(runtime.session('mini-clip-image')).rejects.toThrow(
      /model "mini-clip-image": file .*nowhere\.onnx is missing/,
    );
  });

  it('refuses a corrupt file by its sha256 before running it', async () => {
    const dir = scratchModels();
    const path = join(dir, 'mini-clip-image.onnx');
    const bytes = readFileSync(path);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    writeFileSync(path, bytes);
    const runtime = createRuntime(ort, await loadManifest(fsModelSource(dir)), fsModelSource(dir));
    await expect(runtime.session('mini-clip-image')).rejects.toThrow(
      /model "mini-clip-image": .* corrupt or changed: sha256/,
    );
  });

  it('refuses a model whose input or output names do not match the manifest', async () => {
    // an optional name of the family (the CLIP text encoder's token features) that the file does not have
    const dir = scratchModels((m) => {
      m.models[0]!.outputs[1]!.name = 'token_features';
    });
    const runtime = createRuntime(ort, await loadManifest(fsModelSource(dir)), fsModelSource(dir));
    await expect(runtime.session('mini-clip-text')).rejects.toThrow(
      /model "mini-clip-text": the ONNX file has no output "token_features" \(it has text_embeds, last_hidden_state\)/,
    );
    // a name the family needs is refused when the manifest loads, before any file is opened
    const renamed = scratchModels((m) => {
      m.models[0]!.inputs[0]!.name = 'token_ids';
    });
    await expect(loadManifest(fsModelSource(renamed))).rejects.toThrow(
      /model #0 does not fit the clip-text family: it lacks input input_ids/,
    );
  });

  it('refuses a feed of the wrong shape, naming the input', async () => {
    const runtime = (await createModelRuntime())!;
    const s = await runtime.session('mini-clip-image');
    expect(() => s.run({ pixel_values: float32([1, 3, 32, 32]) })).toThrow(
      /input "pixel_values" has shape \[1, 3, 32, 32\], the model takes \[batch, 3, 64, 64\]/,
    );
  });

  it('names an unknown model id and lists what is available', async () => {
    const runtime = (await createModelRuntime())!;
    expect(() => resolveClip(runtime, 'vit-b-32')).toThrow(
      /model "vit-b-32": no CLIP text encoder .*available: mini-clip/,
    );
  });
});
