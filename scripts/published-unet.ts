/**
 * Writes diffusion model folders in diffusers' layout, for the tests (no model hub is reachable here):
 *
 *   mini-unclip-decoder/                   the bundled decoder (public/models: the same ONNX file) with its scheduler
 *                                          written as a scheduler_config.json and a unet/config.json of its sizes
 *   unet-eps-linear-leading/               tiny random-weight U-Nets (training/export/export_tiny_unet_folder.py)
 *   unet-v-scaled-trailing/                with diffusers' input names, each with a reference.json of a few DDIM
 *   unet-sample-cosine-linspace-learned/   steps run in PyTorch; between them every listed value of every
 *                                          scheduler setting, int64 and float timesteps
 *
 * Made on demand into test-artifacts/published/ (git-ignored; ~100 kB besides the decoder's copy); a folder already
 * there is kept.
 *
 * Run: npx tsx scripts/published-unet.ts [--out test-artifacts/published]
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { legacySchedulerConfig } from '../src/models/samplers/scheduler-config';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODELS = join(ROOT, 'public/models');
export const PUBLISHED_DIR = join(ROOT, 'test-artifacts/published');

/** The tiny U-Nets' folder names (export_tiny_unet_folder.py's FOLDERS). */
export const TINY_UNETS = [
  'unet-eps-linear-leading',
  'unet-v-scaled-trailing',
  'unet-sample-cosine-linspace-learned',
] as const;

const writeJson = (path: string, value: unknown) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);

/** The tiny random-weight U-Nets, made together by PyTorch when one is missing; their folders by name. */
export function makeTinyUnetFolders(out = PUBLISHED_DIR): Record<(typeof TINY_UNETS)[number], string> {
  const dirs = Object.fromEntries(TINY_UNETS.map((n) => [n, join(out, n)])) as Record<
    (typeof TINY_UNETS)[number],
    string
  >;
  if (TINY_UNETS.every((n) => existsSync(join(dirs[n], 'reference.json')))) return dirs;
  const tmp = join(out, `.unets.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync('/usr/bin/python3', ['-m', 'training.export.export_tiny_unet_folder', '--out', tmp], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  for (const n of TINY_UNETS) {
    rmSync(dirs[n], { recursive: true, force: true });
    renameSync(join(tmp, n), dirs[n]);
  }
  rmSync(tmp, { recursive: true, force: true });
  return dirs;
}

/**
 * The bundled mini-unclip-decoder in diffusers' layout: its ONNX file as unet/model.onnx (its inputs keep our names,
 * which are the roles), the scheduler it has always been sampled with as scheduler_config.json (diffusers' fields
 * and the four of ours, docs/models.md) and its sizes as unet/config.json.
 */
export function makeMiniDecoderFolder(dir = join(PUBLISHED_DIR, 'mini-unclip-decoder')): string {
  if (existsSync(join(dir, 'unet/model.onnx'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'unet'), { recursive: true });
  mkdirSync(join(tmp, 'scheduler'), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(MODELS, 'manifest.json'), 'utf8')) as {
    models: Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const decoder = manifest.models.find((m) => m.id === 'mini-unclip-decoder')!;
  copyFileSync(join(MODELS, decoder.file), join(tmp, 'unet/model.onnx'));
  const shapeOf = (name: string) => decoder.inputs.find((i: { name: string }) => i.name === name).shape as number[];
  const [, channels, side] = shapeOf('x_t');
  writeJson(join(tmp, 'unet/config.json'), {
    _class_name: 'UNet2DConditionModel',
    sample_size: side,
    in_channels: channels,
    out_channels: channels,
    cross_attention_dim: shapeOf('text_tokens')[2],
  });
  const d = decoder.diffusion;
  writeJson(
    join(tmp, 'scheduler/scheduler_config.json'),
    legacySchedulerConfig({ trainSteps: d.trainSteps, parameterization: d.parameterization }, true),
  );
  writeJson(join(tmp, 'model_index.json'), { _class_name: 'UnCLIPDecoderPipeline' });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const out = at > 0 ? resolve(process.argv[at + 1]!) : PUBLISHED_DIR;
  console.log(makeMiniDecoderFolder(join(out, 'mini-unclip-decoder')));
  for (const dir of Object.values(makeTinyUnetFolders(out))) console.log(dir);
}
