import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeMiniClipFolder, makeTinyClipFolder } from '../../scripts/published-clip';
import { makeTinyUnetFolders } from '../../scripts/published-unet';

const MINI = makeMiniClipFolder();
const TINY = makeTinyClipFolder();
const root = new URL('../..', import.meta.url).pathname;
const run = promisify(execFile);

async function models(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'src/cli/models.ts', ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

interface Inspected {
  source: string;
  folder?: { pair: string; dtype: string };
  models: Array<Record<string, unknown> & { id: string; file: string; sha256: string; bytes: number }>;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('npm run models -- inspect', () => {
  it('prints the entries built from a CLIP folder: kind, ports, sha256, bytes, tokenizer, preprocessing', async () => {
    const r = await models('inspect', TINY, '--dtype', 'fp16', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Inspected;
    expect(out.folder).toEqual({ pair: 'tiny-clip-fp16', dtype: 'fp16' });
    const [text, image] = out.models;
    expect(text).toMatchObject({
      id: 'tiny-clip-fp16-text',
      kind: 'clip-text',
      file: 'onnx/text_model_fp16.onnx',
      inputs: [
        { name: 'input_ids', dtype: 'int64', shape: ['batch', expect.any(Number)] },
        { name: 'attention_mask', dtype: 'int64', optional: true },
      ],
      outputs: [{ name: 'text_embeds', dtype: 'float32' }, { name: 'last_hidden_state' }],
      tokenizer: { type: 'tokenizer-json', vocab: 'tokenizer.json' },
    });
    expect(text!.sha256).toBe(sha256(join(TINY, 'onnx/text_model_fp16.onnx')));
    expect(text!.bytes).toBe(readFileSync(join(TINY, 'onnx/text_model_fp16.onnx')).length);
    expect(image).toMatchObject({
      kind: 'clip-image',
      inputs: [{ name: 'pixel_values', dtype: 'float32', shape: ['batch', 3, expect.any(Number), expect.any(Number)] }],
      outputs: [{ name: 'image_embeds', dtype: 'float32' }],
      preprocessing: { resize: { shortestEdge: expect.any(Number) }, resample: 'bicubic' },
    });
  });

  it('prints a manifest (the bundled one) with the scheduler settings its diffusion models sample with', async () => {
    const r = await models('inspect', 'public/models/manifest.json', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Inspected;
    expect(out.folder).toBeUndefined();
    const clip = out.models.find((m) => m.id === 'mini-clip-text')!;
    expect(clip.sha256).toBe(sha256(join(root, 'public/models', clip.file)));
    const prior = out.models.find((m) => m.kind === 'prior')!;
    expect(prior.scheduler).toMatchObject({ num_train_timesteps: expect.any(Number), prediction_type: 'sample' });
    expect(out.models.every((m) => m.kind !== 'clip-image' || !('scheduler' in m))).toBe(true);
  });

  it("prints a diffusers U-Net folder's entry with the settings of its scheduler_config.json", async () => {
    const dir = makeTinyUnetFolders()['unet-v-scaled-trailing'];
    const r = await models('inspect', dir, '--json');
    expect(r.code).toBe(0);
    const [unet] = (JSON.parse(r.stdout) as Inspected).models;
    expect(unet).toMatchObject({
      file: 'unet/model.onnx',
      inputs: expect.arrayContaining([expect.objectContaining({ name: 'sample', dtype: 'float32' })]),
      scheduler: { prediction_type: 'v_prediction', beta_schedule: 'scaled_linear', timestep_spacing: 'trailing' },
    });
    expect(unet!.sha256).toBe(sha256(join(dir, 'unet/model.onnx')));
  });

  it('a folder with a wrong field exits 2 naming the file and the field', async () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'models-cli-')), 'clip');
    cpSync(MINI, copy, { recursive: true });
    const config = JSON.parse(readFileSync(join(copy, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(copy, 'config.json'), JSON.stringify({ ...config, projection_dim: 'wide' }));
    const r = await models('inspect', copy, '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: .*clip\/config\.json: projection_dim must be a whole number/m);
  });

  it('usage errors exit 2 with the usage', async () => {
    const r = await models('tokenize', MINI);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tokenize needs --text[\s\S]*usage: npm run models -- inspect/);
  });
});

describe('npm run models -- tokenize', () => {
  it("prints the ids of CLIP's BPE from tokenizer.json", async () => {
    const r = await models('tokenize', TINY, '--text', 'a photo of a cat', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ids: [49406, 320, 1125, 539, 320, 2368, 49407] });
  });

  it('a word-level tokenizer refuses an unknown word naming it (exit 2)', async () => {
    const ok = await models('tokenize', MINI, '--text', 'a red circle', '--json');
    expect(JSON.parse(ok.stdout)).toEqual({ ids: expect.any(Array) });
    const r = await models('tokenize', MINI, '--text', 'a red dragon', '--json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/dragon/);
  });
});
