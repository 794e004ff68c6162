import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../src/models/manifest';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const PYTHON = '/usr/bin/python3';

describe('training scripts (smoke test: a few steps on a tiny dataset, then export)', () => {
  it('writes a dataset, trains mini-CLIP for 3 steps, resumes, and exports ONNX with manifest entries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-'));
    const data = join(dir, 'tiny.bin');
    await run('npx', ['tsx', 'src/world/dataset-cli.ts', '--count', '64', '--seed', '5', '--out', data], { cwd: root });
    const out = join(dir, 'run');
    const train = (steps: number) => run(PYTHON, ['training/train_clip.py', '--data', data, '--out', out, '--steps', String(steps), '--batch', '16', '--ckpt-every', '2'], { cwd: root });
    const first = await train(2);
    expect(first.stdout).toMatch(/done: 2 steps/);
    const second = await train(3);
    expect(second.stdout).toMatch(/resumed at step 2/);
    expect(second.stdout).toMatch(/done: 3 steps/);
    const models = join(dir, 'models');
    await run(PYTHON, ['training/export_clip.py', '--ckpt', join(out, 'ckpt.pt'), '--out', models], { cwd: root });
    expect(existsSync(join(models, 'mini-clip-text.onnx'))).toBe(true);
    const manifest = parseManifest(JSON.parse(readFileSync(join(models, 'manifest.json'), 'utf8')));
    expect(manifest.models.map((m) => m.id).sort()).toEqual(['mini-clip-image', 'mini-clip-text']);
    expect(manifest.models[0]!.card).toMatchObject({ steps: 3 });
  });

  it('trains the decoder for 2 steps from scratch, resumes to 3, checks it in PyTorch, and exports it with its settings on the card', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-dec-'));
    const data = join(dir, 'tiny.bin');
    await run('npx', ['tsx', 'src/world/dataset-cli.ts', '--count', '64', '--seed', '6', '--out', data], { cwd: root });
    const out = join(dir, 'decoder');
    const train = (steps: number) => run(PYTHON, ['training/train_decoder.py', '--data', data, '--out', out, '--steps', String(steps), '--batch', '4',
      '--ckpt-every', '2', '--from-scratch', '--decay-steps', '3', '--snapshot-every', '3'], { cwd: root });
    const first = await train(2);
    expect(first.stdout).not.toMatch(/resumed/);
    expect(first.stdout).toMatch(/stopped at step 2/);
    const second = await train(3);
    expect(second.stdout).toMatch(/resumed from .*ckpt\.pt at step 2/);
    expect(second.stdout).toMatch(/stopped at step 3/);
    expect(existsSync(join(out, 'snapshot-3.pt'))).toBe(true);
    const check = await run(PYTHON, ['training/eval_decoder.py', join(out, 'snapshot-3.pt'), '--data', data, '--count', '4', '--steps', '2', '--png', join(dir, 'grid.png')], { cwd: root });
    expect(check.stdout).toMatch(/step 3\): \d+ single-object images, guidance 3\.0, 2 steps: colour and shape [\d.]+%/);
    expect(readFileSync(join(dir, 'grid.png')).subarray(1, 4).toString()).toBe('PNG');
    const models = join(dir, 'models');
    await run(PYTHON, ['training/export_unclip.py', '--only', 'decoder', '--raw', 'decoder', '--decoder', join(out, 'ckpt.pt'), '--out', models], { cwd: root });
    const manifest = parseManifest(JSON.parse(readFileSync(join(models, 'manifest.json'), 'utf8')));
    expect(manifest.models.map((m) => m.id)).toEqual(['mini-unclip-decoder']);
    expect(manifest.models[0]!.card).toMatchObject({ steps: 3, weights: 'raw', lastRunSettings: { object_weight: 5, snr_cap: 0, decay_steps: 3 } });
  }, 240_000);
});
