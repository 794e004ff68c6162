/**
 * Writes real-size random-weight models in the published layouts, for the bench (issue 38; too big for the tests):
 *
 *   clip-vit-b32-random/   a CLIP with openai/clip-vit-base-patch32's configuration (training/export/
 *                          export_big_clip_folder.py) in the optimum / transformers.js layout: onnx/text_model.onnx,
 *                          onnx/vision_model.onnx and their _fp16 variants, config.json, preprocessor_config.json
 *                          and the real CLIP tokenizer.json built from ../shared/data/clip-tokenizer (~0.9 GB)
 *   unet-137m-random/      a 137M-parameter U-Net on 4 x 64 x 64 latents with cross-attention to 512-wide text
 *                          features (training/export/export_big_unet_folder.py) in diffusers' layout (~0.55 GB)
 *
 * Made on demand into test-artifacts/published/ (git-ignored), each written whole into a temporary folder and
 * renamed, so a half-made folder is never taken for a made one; a folder already there is kept.
 *
 * Run: npx tsx scripts/published-big.ts [clip|unet|all] [--out test-artifacts/published]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedClipTokenizerJson } from './published-clip';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PUBLISHED_DIR = join(ROOT, 'test-artifacts/published');

const writeJson = (path: string, value: unknown) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);

/** Builds `dir` through a temporary folder beside it, unless `done` (a file made last) is already there. */
function makeOnce(dir: string, done: string, make: (tmp: string) => void): string {
  if (existsSync(join(dir, done))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    make(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

function python(module: string, out: string): void {
  execFileSync('/usr/bin/python3', ['-m', module, '--out', out], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'pipe'],
  });
}

/** openai/clip-vit-base-patch32's sizes (its config.json), which the exporter builds. */
const VIT_B32 = {
  projection: 512,
  text: { width: 512, layers: 12, heads: 8, ctx: 77, vocab: 49408 },
  vision: { width: 768, layers: 12, heads: 12, imageSize: 224, patch: 32 },
};

/** config.json as transformers writes CLIPConfig (the fields of openai/clip-vit-base-patch32's). */
function vitB32Config() {
  const { text: t, vision: v, projection } = VIT_B32;
  return {
    _name_or_path: 'clip-vit-b32-random',
    architectures: ['CLIPModel'],
    initializer_factor: 1.0,
    logit_scale_init_value: 2.6592,
    model_type: 'clip',
    projection_dim: projection,
    text_config: {
      attention_dropout: 0.0,
      bos_token_id: 49406,
      dropout: 0.0,
      eos_token_id: 49407,
      hidden_act: 'quick_gelu',
      hidden_size: t.width,
      initializer_factor: 1.0,
      initializer_range: 0.02,
      intermediate_size: 4 * t.width,
      layer_norm_eps: 1e-5,
      max_position_embeddings: t.ctx,
      model_type: 'clip_text_model',
      num_attention_heads: t.heads,
      num_hidden_layers: t.layers,
      pad_token_id: 1,
      projection_dim: projection,
      vocab_size: t.vocab,
    },
    torch_dtype: 'float32',
    transformers_version: '4.40.0',
    vision_config: {
      attention_dropout: 0.0,
      dropout: 0.0,
      hidden_act: 'quick_gelu',
      hidden_size: v.width,
      image_size: v.imageSize,
      initializer_factor: 1.0,
      initializer_range: 0.02,
      intermediate_size: 4 * v.width,
      layer_norm_eps: 1e-5,
      model_type: 'clip_vision_model',
      num_attention_heads: v.heads,
      num_channels: 3,
      num_hidden_layers: v.layers,
      patch_size: v.patch,
      projection_dim: projection,
    },
  };
}

/** The ViT-B/32-sized random CLIP, fp32 and fp16, in the optimum / transformers.js layout. */
export function makeBigClipFolder(dir = join(PUBLISHED_DIR, 'clip-vit-b32-random')): string {
  const side = VIT_B32.vision.imageSize;
  return makeOnce(dir, 'config.json', (tmp) => {
    python('training.export.export_big_clip_folder', tmp);
    writeJson(join(tmp, 'tokenizer.json'), sharedClipTokenizerJson());
    writeJson(join(tmp, 'tokenizer_config.json'), {
      tokenizer_class: 'CLIPTokenizer',
      bos_token: '<|startoftext|>',
      eos_token: '<|endoftext|>',
      pad_token: '<|endoftext|>',
      unk_token: '<|endoftext|>',
      model_max_length: VIT_B32.text.ctx,
    });
    writeJson(join(tmp, 'special_tokens_map.json'), {
      bos_token: '<|startoftext|>',
      eos_token: '<|endoftext|>',
      pad_token: '<|endoftext|>',
      unk_token: '<|endoftext|>',
    });
    // openai/clip-vit-base-patch32's preprocessor_config.json
    writeJson(join(tmp, 'preprocessor_config.json'), {
      crop_size: { height: side, width: side },
      do_center_crop: true,
      do_convert_rgb: true,
      do_normalize: true,
      do_rescale: true,
      do_resize: true,
      image_mean: [0.48145466, 0.4578275, 0.40821073],
      image_processor_type: 'CLIPImageProcessor',
      image_std: [0.26862954, 0.26130258, 0.27577711],
      resample: 3,
      rescale_factor: 0.00392156862745098,
      size: { shortest_edge: side },
    });
    // last: the folder counts as made once config.json is there
    writeJson(join(tmp, 'config.json'), vitB32Config());
  });
}

/** The 137M-parameter random U-Net in diffusers' layout (the exporter writes every file of it). */
export function makeBigUnetFolder(dir = join(PUBLISHED_DIR, 'unet-137m-random')): string {
  return makeOnce(dir, 'model_index.json', (tmp) => python('training.export.export_big_unet_folder', tmp));
}

/** Every file under `dir` with its size, and the total. */
function sizes(dir: string): { files: Record<string, number>; bytes: number } {
  const files: Record<string, number> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, `${rel}${name}/`);
      else files[`${rel}${name}`] = statSync(p).size;
    }
  };
  walk(dir, '');
  return { files, bytes: Object.values(files).reduce((a, b) => a + b, 0) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const out = at >= 0 ? resolve(args[at + 1]!) : PUBLISHED_DIR;
  const which = args.find((a, i) => !a.startsWith('--') && (at < 0 || i !== at + 1)) ?? 'all';
  if (!['clip', 'unet', 'all'].includes(which)) {
    console.error('usage: npx tsx scripts/published-big.ts [clip|unet|all] [--out test-artifacts/published]');
    process.exit(2);
  }
  mkdirSync(out, { recursive: true });
  const made: string[] = [];
  if (which !== 'unet') made.push(makeBigClipFolder(join(out, 'clip-vit-b32-random')));
  if (which !== 'clip') made.push(makeBigUnetFolder(join(out, 'unet-137m-random')));
  for (const dir of made) {
    const { files, bytes } = sizes(dir);
    console.log(`${dir} (${(bytes / 1e6).toFixed(1)} MB)`);
    for (const [f, n] of Object.entries(files)) console.log(`  ${f} ${(n / 1e6).toFixed(1)} MB`);
  }
}
