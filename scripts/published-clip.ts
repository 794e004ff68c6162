/**
 * Writes CLIP model folders in the optimum / transformers.js layout, for the tests (no model hub is reachable here):
 *
 *   mini-clip/   the bundled mini-CLIP (public/models: the same ONNX files, already in optimum's names) with a
 *                WordLevel tokenizer.json of its word vocabulary, config.json and preprocessor_config.json
 *   tiny-clip/   a tiny random-weight CLIP with an attention_mask (training/export/export_tiny_clip_folder.py),
 *                fp32 and fp16 variants, and the real CLIP tokenizer.json built from ../shared/data/clip-tokenizer
 *
 * Made on demand into test-artifacts/published/ (git-ignored; ~20 MB); a folder already there is kept.
 *
 * Run: npx tsx scripts/published-clip.ts [--out test-artifacts/published]
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODELS = join(ROOT, 'public/models');
export const PUBLISHED_DIR = join(ROOT, 'test-artifacts/published');

/** ../shared/data/clip-tokenizer beside the repository (or UNCLIP_SHARED_DIR/data/clip-tokenizer). */
export function clipTokenizerDir(): string {
  const candidates = [process.env.UNCLIP_SHARED_DIR, resolve(ROOT, '../shared'), '/work/shared'].filter(
    (d): d is string => !!d,
  );
  const dir = candidates.map((d) => join(d, 'data/clip-tokenizer')).find((d) => existsSync(join(d, 'vocab.json')));
  if (!dir) throw new Error(`no data/clip-tokenizer/vocab.json in ${candidates.join(', ')} (set UNCLIP_SHARED_DIR)`);
  return dir;
}

/**
 * The tokenizer.json Hugging Face's CLIPTokenizerFast writes for CLIP's vocab.json and merges.txt (as in
 * openai/clip-vit-base-patch32): NFC, whitespace collapsed, lower-cased; split by CLIP's pattern; byte-level BPE
 * with `</w>` ending each word; <|startoftext|> text <|endoftext|>.
 */
export function clipTokenizerJson(vocab: Record<string, number>, merges: string): Record<string, unknown> {
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  const start = vocab['<|startoftext|>']!,
    end = vocab['<|endoftext|>']!;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(start, '<|startoftext|>'), special(end, '<|endoftext|>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: {
            Regex:
              "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
          },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['<|endoftext|>', end],
      cls: ['<|startoftext|>', start],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<|endoftext|>',
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: merges.split('\n').filter((l) => l && !l.startsWith('#version')),
    },
  };
}

/** The real CLIP tokenizer.json from ../shared/data/clip-tokenizer. */
export function sharedClipTokenizerJson(): Record<string, unknown> {
  const dir = clipTokenizerDir();
  return clipTokenizerJson(
    JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>,
    readFileSync(join(dir, 'merges.txt'), 'utf8'),
  );
}

/** A WordLevel tokenizer.json for a word vocabulary (lower-cased words split on spaces, start and end around). */
export function wordLevelTokenizerJson(
  vocab: Record<string, number>,
  specials: { start: string; end: string; pad: string },
): Record<string, unknown> {
  const added = Object.values(specials).map((t) => ({ id: vocab[t], content: t, special: true, normalized: false }));
  return {
    version: '1.0',
    truncation: null,
    padding: { strategy: 'BatchLongest', direction: 'Right', pad_id: vocab[specials.pad], pad_token: specials.pad },
    added_tokens: added,
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'Strip', strip_left: true, strip_right: true }, { type: 'Lowercase' }],
    },
    pre_tokenizer: { type: 'WhitespaceSplit' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: specials.start, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: specials.end, type_id: 0 } },
      ],
      pair: [],
      special_tokens: Object.fromEntries(
        [specials.start, specials.end].map((t) => [t, { id: t, ids: [vocab[t]], tokens: [t] }]),
      ),
    },
    decoder: null,
    // <unk> is not in the vocabulary: Hugging Face's tokenizers refuses an unknown word too, as ours does
    model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
  };
}

/** CLIPConfig's fields the product reads (and a few more, as transformers writes them). */
function clipConfig(o: {
  projection: number;
  ctx: number;
  textWidth: number;
  vocab: number;
  imageSize: number;
  patch: number;
  visionWidth: number;
  logitScale?: number;
  world?: string;
}) {
  return {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: o.projection,
    logit_scale_init_value: 2.6592,
    // ours (docs/models.md): the trained scale in log space, as CLIPModel's logit_scale parameter holds it
    ...(o.logitScale !== undefined ? { logit_scale: logOf(o.logitScale) } : {}),
    ...(o.world ? { world: o.world } : {}),
    text_config: {
      model_type: 'clip_text_model',
      hidden_size: o.textWidth,
      max_position_embeddings: o.ctx,
      vocab_size: o.vocab,
      projection_dim: o.projection,
    },
    vision_config: {
      model_type: 'clip_vision_model',
      hidden_size: o.visionWidth,
      image_size: o.imageSize,
      patch_size: o.patch,
      num_channels: 3,
      projection_dim: o.projection,
    },
  };
}

/** A log whose exp gives `x` back exactly in this JavaScript (the scale a manifest's card gives, bit for bit). */
function logOf(x: number): number {
  let y = Math.log(x);
  for (let i = 0; i < 8 && Math.exp(y) !== x; i++) y += (x - Math.exp(y)) / x;
  return y;
}

const writeJson = (path: string, value: unknown) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);

/** A folder written whole into a temporary one first, so a half-made folder is never taken for a made one. */
function makeOnce(dir: string, make: (tmp: string) => void): string {
  if (existsSync(join(dir, 'config.json'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'onnx'), { recursive: true });
  make(tmp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

/** The bundled mini-CLIP as an optimum-layout folder: the same ONNX files, our configs and a WordLevel tokenizer. */
export function makeMiniClipFolder(dir = join(PUBLISHED_DIR, 'mini-clip')): string {
  return makeOnce(dir, (tmp) => {
    const manifest = JSON.parse(readFileSync(join(MODELS, 'manifest.json'), 'utf8')) as {
      models: Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    const text = manifest.models.find((m) => m.id === 'mini-clip-text')!;
    const image = manifest.models.find((m) => m.id === 'mini-clip-image')!;
    copyFileSync(join(MODELS, text.file), join(tmp, 'onnx/text_model.onnx'));
    copyFileSync(join(MODELS, image.file), join(tmp, 'onnx/vision_model.onnx'));
    const vocab = JSON.parse(readFileSync(join(MODELS, text.tokenizer.vocab), 'utf8')) as Record<string, number>;
    writeJson(join(tmp, 'tokenizer.json'), wordLevelTokenizerJson(vocab, text.tokenizer.specialTokens));
    const size = image.preprocessing.size as number;
    writeJson(
      join(tmp, 'config.json'),
      clipConfig({
        projection: text.embedDim,
        ctx: text.tokenizer.contextLength,
        textWidth: text.outputs[1].shape[2],
        vocab: Object.keys(vocab).length,
        imageSize: size,
        patch: 8,
        visionWidth: 128,
        logitScale: text.card.logitScale,
        world: text.world,
      }),
    );
    // the bundled models' steps: a bilinear resize to size x size, no crop; 1/255 gives our [0, 1] pixels back
    writeJson(join(tmp, 'preprocessor_config.json'), {
      image_processor_type: 'CLIPImageProcessor',
      do_resize: true,
      size: { height: size, width: size },
      resample: 2,
      do_center_crop: false,
      do_rescale: true,
      rescale_factor: 1 / 255,
      do_normalize: true,
      image_mean: image.preprocessing.mean,
      image_std: image.preprocessing.std,
      do_convert_rgb: true,
    });
  });
}

/** The tiny random-weight CLIP with an attention mask, fp32 and fp16, with the real CLIP tokenizer.json. */
export function makeTinyClipFolder(dir = join(PUBLISHED_DIR, 'tiny-clip')): string {
  const o = { projection: 16, ctx: 77, textWidth: 32, vocab: 49408, imageSize: 32, patch: 8, visionWidth: 32 };
  return makeOnce(dir, (tmp) => {
    execFileSync('/usr/bin/python3', ['-m', 'training.export.export_tiny_clip_folder', '--out', tmp], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    writeJson(join(tmp, 'tokenizer.json'), sharedClipTokenizerJson());
    writeJson(join(tmp, 'tokenizer_config.json'), {
      tokenizer_class: 'CLIPTokenizer',
      bos_token: '<|startoftext|>',
      eos_token: '<|endoftext|>',
      pad_token: '<|endoftext|>',
      unk_token: '<|endoftext|>',
      model_max_length: o.ctx,
    });
    writeJson(join(tmp, 'config.json'), clipConfig(o));
    // openai/clip-vit-base-patch32's preprocessor_config.json at 32 pixels
    writeJson(join(tmp, 'preprocessor_config.json'), {
      crop_size: { height: o.imageSize, width: o.imageSize },
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
      size: { shortest_edge: o.imageSize },
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const out = at > 0 ? resolve(process.argv[at + 1]!) : PUBLISHED_DIR;
  for (const made of [makeMiniClipFolder(join(out, 'mini-clip')), makeTinyClipFolder(join(out, 'tiny-clip'))])
    console.log(made);
}
