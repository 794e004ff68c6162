/**
 * Model folders in the layouts people download them in. A CLIP folder in the optimum / transformers.js layout:
 *
 *   config.json  tokenizer.json  [tokenizer_config.json]  preprocessor_config.json
 *   onnx/text_model.onnx  onnx/vision_model.onnx  (and _fp16 / _quantized variants beside them)
 *
 * becomes a manifest of two entries (text and image halves) with optimum's input and output names, sizes read from
 * config.json, the tokenizer from tokenizer.json and the picture steps from preprocessor_config.json. Errors name
 * the file and the field, and quote no value whole (describeValue).
 */
import { describeValue } from '../../tensor/quote';
import {
  MANIFEST_FORMAT,
  parseManifest,
  type Manifest,
  type ModelEntry,
  type PreprocessingSpec,
  type TokenizerSpec,
} from './manifest';
import { describeOnnxFile, type HostFiles, type OnnxFileDescription } from './model-files';

/** transformers.js's names for the variants of a file, and the suffix each has beside `<name>.onnx`. */
export const MODEL_DTYPES = ['fp32', 'fp16', 'q8'] as const;
export type ModelDtype = (typeof MODEL_DTYPES)[number];
const SUFFIX: Record<ModelDtype, string> = { fp32: '', fp16: '_fp16', q8: '_quantized' };

/** The trained logit scale of OpenAI's CLIP models (exp of CLIPModel's logit_scale), used when none is given. */
const DEFAULT_LOGIT_SCALE = 100;

/** Whether a loader's `manifest` param names a model folder: anything that is not a `.json` file. */
export function isModelFolder(src: string): boolean {
  return src !== '' && !/\.json$/i.test(src.replace(/[?#].*$/, ''));
}

/** The folder with one trailing slash, so files resolve inside it. */
export function folderBase(src: string): string {
  return src.endsWith('/') ? src : `${src}/`;
}

/** A model id made from the folder's name ("clip-vit-base-patch32"; "clip" when nothing is left). */
export function folderModelName(src: string): string {
  const last =
    src
      .replace(/[?#].*$/, '')
      .replace(/\/+$/, '')
      .split(/[\\/]/)
      .pop() ?? '';
  // a repo id's revision (org/name@v2) is not part of the name: ids stay when the revision changes
  const slug = last
    .replace(/@[^@]*$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 80);
  return slug || 'clip';
}

/**
 * Files of a folder: read by path relative to it, described (for messages) as where they are; in Node the host's
 * hash cache says a file's sha256 without reading it (HostFiles).
 */
export interface FolderSource extends HostFiles {
  read(path: string): Promise<Uint8Array>;
  describe(path: string): string;
}

/** A problem with a folder's file: `<path>: <field> <problem>`. */
export class FolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FolderError';
  }
}

/** What a CLIP folder becomes: the manifest, the pair's id and the ONNX bytes already read (for the sessions). */
export interface ClipFolder {
  manifest: Manifest;
  pair: string;
  dtype: ModelDtype;
  /** ONNX files read to hash them, by path; the first session of each takes them instead of reading again. */
  prefetched: Map<string, Uint8Array>;
}

export type Json = Record<string, unknown>;

/** A folder's JSON file as an object; errors name the file, never quote it. `optional`: undefined when missing. */
export async function readJson(src: FolderSource, path: string): Promise<Json>;
export async function readJson(src: FolderSource, path: string, optional: true): Promise<Json | undefined>;
export async function readJson(src: FolderSource, path: string, optional = false): Promise<Json | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await src.read(path);
  } catch (e) {
    if (optional) return undefined;
    throw new FolderError(`${src.describe(path)} is missing or unreadable (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    // never the parser's message: it quotes the file's first bytes
    throw new FolderError(`${src.describe(path)} is not valid JSON`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new FolderError(`${src.describe(path)} must hold a JSON object`);
  return raw as Json;
}

/** Reads fields of one JSON file, each problem naming the file and the field. */
function fieldsOf(where: string, obj: Json) {
  const fail = (field: string, problem: string): never => {
    throw new FolderError(`${where}: ${field} ${problem}`);
  };
  const at = (field: string): unknown =>
    field.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Json)[k] : undefined), obj);
  const int = (field: string, max = 1 << 20): number => {
    const v = at(field);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
      fail(field, `must be a whole number from 1 to ${max}, got ${describeValue(v)}`);
    return v as number;
  };
  const num = (field: string): number | undefined => {
    const v = at(field);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(field, `must be a number, got ${describeValue(v)}`);
    return v as number;
  };
  const bool = (field: string, fallback: boolean): boolean => {
    const v = at(field);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') fail(field, `must be true or false, got ${describeValue(v)}`);
    return v as boolean;
  };
  const triple = (field: string): number[] => {
    const v = at(field);
    if (!Array.isArray(v) || v.length !== 3 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
      fail(field, `must be 3 numbers (one per channel), got ${describeValue(v)}`);
    return v as number[];
  };
  return { at, int, num, bool, triple, fail };
}

/** Sizes of a CLIP from config.json (CLIPConfig), never from constants. */
function readConfig(where: string, json: Json) {
  const f = fieldsOf(where, json);
  const channels = f.at('vision_config.num_channels');
  if (channels !== undefined && channels !== 3) f.fail('vision_config.num_channels', 'must be 3 (RGB pictures)');
  const logScale = f.num('logit_scale');
  const world = f.at('world');
  if (world !== undefined && (typeof world !== 'string' || !/^[a-z0-9._-]{1,40}$/.test(world)))
    f.fail('world', 'must be a short lower-case name');
  return {
    projectionDim: f.int('projection_dim', 65536),
    contextLength: f.int('text_config.max_position_embeddings', 65536),
    textWidth: f.int('text_config.hidden_size', 65536),
    imageSize: f.int('vision_config.image_size', 8192),
    logitScale: logScale === undefined ? DEFAULT_LOGIT_SCALE : Math.exp(logScale),
    world: world as string | undefined,
  };
}

/** A {height, width} from a size field: an int (square) or an object. */
function sizeField(f: ReturnType<typeof fieldsOf>, field: string): { height: number; width: number } {
  const v = f.at(field);
  if (typeof v === 'number') {
    const side = f.int(field, 8192);
    return { height: side, width: side };
  }
  return { height: f.int(`${field}.height`, 8192), width: f.int(`${field}.width`, 8192) };
}

/**
 * CLIPImageProcessor's steps from preprocessor_config.json, as our preprocessing spec. The picture they make must
 * be the side config.json's vision_config.image_size says.
 */
export function readPreprocessorConfig(where: string, json: Json, imageSize: number): PreprocessingSpec {
  const f = fieldsOf(where, json);
  const spec: PreprocessingSpec = { size: imageSize, mean: [0, 0, 0], std: [1, 1, 1], layout: 'NCHW' };
  let side: { height: number; width: number } | undefined;
  if (f.bool('do_resize', true)) {
    const size = f.at('size');
    if (typeof size === 'number' || (size && typeof size === 'object' && 'shortest_edge' in size)) {
      // an int is CLIP's shortest edge (CLIPImageProcessor reads it so)
      const edge = typeof size === 'number' ? f.int('size', 8192) : f.int('size.shortest_edge', 8192);
      spec.resize = { shortestEdge: edge };
    } else {
      side = sizeField(f, 'size');
      spec.resize = side;
    }
    const resample = f.at('resample') ?? 3;
    // PIL's codes, as Hugging Face writes them: 2 bilinear, 3 bicubic
    if (resample !== 2 && resample !== 3)
      f.fail('resample', `must be 2 (bilinear) or 3 (bicubic), got ${describeValue(resample)}`);
    spec.resample = resample === 2 ? 'bilinear' : 'bicubic';
  }
  if (f.bool('do_center_crop', true)) {
    spec.crop = sizeField(f, 'crop_size');
    const resize = spec.resize;
    const smallest = resize && 'shortestEdge' in resize ? resize.shortestEdge : undefined;
    if (smallest !== undefined && (spec.crop.height > smallest || spec.crop.width > smallest))
      f.fail('crop_size', `must fit in the resized picture (size.shortest_edge ${smallest})`);
    if (side && (spec.crop.height > side.height || spec.crop.width > side.width))
      f.fail('crop_size', `must fit in the resized picture (size ${side.height} x ${side.width})`);
    side = spec.crop;
  } else if (spec.resize && 'shortestEdge' in spec.resize) {
    f.fail('do_center_crop', 'must be true when size gives a shortest edge (the encoder takes a square)');
  }
  const out = side ?? { height: imageSize, width: imageSize };
  if (out.height !== imageSize || out.width !== imageSize)
    f.fail(
      spec.crop ? 'crop_size' : 'size',
      `must be ${imageSize} x ${imageSize} (vision_config.image_size in config.json), got ${out.height} x ${out.width}`,
    );
  if (f.bool('do_rescale', true)) {
    const factor = f.num('rescale_factor') ?? 1 / 255;
    if (!(factor > 0)) f.fail('rescale_factor', 'must be above 0');
    spec.rescale = factor;
  } else spec.rescale = 1;
  if (f.bool('do_normalize', true)) {
    spec.mean = f.triple('image_mean');
    spec.std = f.triple('image_std');
    if (spec.std.some((s) => !(s > 0))) f.fail('image_std', 'must be above 0 in every channel');
  }
  return spec;
}

/** The token a TemplateProcessing or Roberta/Bert post-processor puts first and last around one text. */
function specialsOf(where: string, json: Json): { start?: string; end?: string } {
  const post = json.post_processor as Json | null | undefined;
  if (!post || typeof post !== 'object') return {};
  if (post.type === 'TemplateProcessing' && Array.isArray(post.single)) {
    const names = (post.single as Json[]).map((p) => (p.SpecialToken as Json | undefined)?.id);
    const seq = (post.single as Json[]).findIndex((p) => p.Sequence);
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return { start: seq > 0 ? str(names[0]) : undefined, end: str(names[seq + 1]) };
  }
  const pair = (v: unknown) => (Array.isArray(v) && typeof v[0] === 'string' ? (v[0] as string) : undefined);
  if (post.type === 'RobertaProcessing' || post.type === 'BertProcessing')
    return { start: pair(post.cls), end: pair(post.sep) };
  throw new FolderError(`${where}: post_processor.type ${describeValue(post.type)} is not one we read`);
}

/**
 * The tokenizer spec for tokenizer.json: a WordLevel model is read by our word-level tokenizer (it refuses an
 * unknown word, naming it); every other model by @huggingface/tokenizers.
 */
function readTokenizerJson(
  where: string,
  json: Json,
  config: Json | undefined,
  contextLength: number,
  configPath: string | undefined,
): TokenizerSpec {
  const model = json.model as Json | undefined;
  if (!model || typeof model !== 'object' || typeof model.type !== 'string')
    throw new FolderError(`${where}: model.type is missing`);
  if (model.type !== 'WordLevel')
    return {
      type: 'tokenizer-json',
      vocab: 'tokenizer.json',
      contextLength,
      ...(configPath ? { config: configPath } : {}),
    };
  const pre = (json.pre_tokenizer as Json | null)?.type;
  if (pre !== 'WhitespaceSplit')
    throw new FolderError(`${where}: pre_tokenizer.type must be WhitespaceSplit for a WordLevel model`);
  const norm = json.normalizer as Json | null;
  const norms = norm?.type === 'Sequence' ? ((norm.normalizers as Json[] | undefined) ?? []) : norm ? [norm] : [];
  if (norms.some((n) => n.type !== 'Lowercase' && n.type !== 'Strip'))
    throw new FolderError(`${where}: normalizer must be Lowercase (and Strip) for a WordLevel model`);
  const { start, end } = specialsOf(where, json);
  const padding = json.padding as Json | null | undefined;
  const pad = (padding?.pad_token ?? config?.pad_token) as unknown;
  if (!start || !end)
    throw new FolderError(`${where}: post_processor must put a start and an end token around the text`);
  if (typeof pad !== 'string') throw new FolderError(`${where}: padding.pad_token is missing`);
  return { type: 'word', vocab: 'tokenizer.json', contextLength, specialTokens: { start, end, pad } };
}

const onnxPath = (name: string, dtype: ModelDtype) => `onnx/${name}${SUFFIX[dtype]}.onnx`;

/** Reads one half's ONNX file for a dtype; a missing one is an error listing the dtypes the folder has. */
async function readOnnx(src: FolderSource, name: string, dtype: ModelDtype): Promise<Uint8Array> {
  try {
    return await src.read(onnxPath(name, dtype));
  } catch (e) {
    // a model too big for the browser is refused as it is: its other dtypes are not downloaded to list them
    if ((e as Error).name === 'ModelTooBigError') throw e;
    const present: string[] = [];
    for (const d of MODEL_DTYPES)
      if (d !== dtype)
        try {
          await src.read(onnxPath(name, d));
          present.push(`${d} (${onnxPath(name, d)})`);
        } catch {
          // not there either
        }
    throw new FolderError(
      `${src.describe(onnxPath(name, dtype))} is missing or unreadable for dtype ${dtype} (${(e as Error).message}); ` +
        (present.length ? `the folder has ${present.join(', ')}` : `the folder has no onnx/${name}*.onnx`),
    );
  }
}

/** A manifest entry's file fields: the ONNX file's sha256 and size, and its external data files with theirs. */
export const fileFields = (f: OnnxFileDescription) => ({
  sha256: f.sha256,
  bytes: f.bytes,
  ...(f.externalData.length ? { externalData: f.externalData } : {}),
});

/**
 * One half's ONNX file for a dtype with its external data, described without reading it where the host knows its
 * sha256 (Node's hash cache); a missing one is readOnnx's error, listing the dtypes the folder has.
 */
async function onnxOf(src: FolderSource, name: string, dtype: ModelDtype): Promise<OnnxFileDescription> {
  const path = onnxPath(name, dtype);
  let graph: Uint8Array | undefined;
  if (src.facts) await src.facts(path).catch(() => readOnnx(src, name, dtype));
  else graph = await readOnnx(src, name, dtype);
  // the graph just read is not read again
  const once: FolderSource = graph ? { ...src, read: (p) => (p === path ? Promise.resolve(graph) : src.read(p)) } : src;
  try {
    return await describeOnnxFile(once, path);
  } catch (e) {
    throw new FolderError((e as Error).message);
  }
}

/** Builds the manifest of an optimum / transformers.js CLIP folder for one dtype. */
export async function readClipFolder(src: FolderSource, name: string, dtype: ModelDtype): Promise<ClipFolder> {
  if (!MODEL_DTYPES.includes(dtype))
    throw new FolderError(`dtype must be one of ${MODEL_DTYPES.join(', ')}, got ${describeValue(dtype)}`);
  const config = readConfig(src.describe('config.json'), await readJson(src, 'config.json'));
  const preprocessing = readPreprocessorConfig(
    src.describe('preprocessor_config.json'),
    await readJson(src, 'preprocessor_config.json'),
    config.imageSize,
  );
  const tokConfig = await readJson(src, 'tokenizer_config.json').catch((e: unknown) => {
    // optional: only a file that is there and unreadable is an error
    if (/is missing or unreadable/.test((e as Error).message)) return undefined;
    throw e;
  });
  const tokenizer = readTokenizerJson(
    src.describe('tokenizer.json'),
    await readJson(src, 'tokenizer.json'),
    tokConfig,
    config.contextLength,
    tokConfig ? 'tokenizer_config.json' : undefined,
  );
  const [textFile, imageFile] = [await onnxOf(src, 'text_model', dtype), await onnxOf(src, 'vision_model', dtype)];
  const id = dtype === 'fp32' ? name : `${name}-${dtype}`;
  const ctx = config.contextLength,
    d = config.projectionDim,
    s = config.imageSize;
  const card = { logitScale: config.logitScale, layout: 'optimum', dtype };
  const world = config.world ? { world: config.world } : {};
  const text: ModelEntry = {
    id: `${id}-text`,
    kind: 'clip-text',
    title: `${name} text encoder (${dtype})`,
    file: onnxPath('text_model', dtype),
    ...fileFields(textFile),
    ...world,
    pair: `${id}-image`,
    embedDim: d,
    inputs: [
      { name: 'input_ids', dtype: 'int64', shape: ['batch', ctx] },
      { name: 'attention_mask', dtype: 'int64', shape: ['batch', ctx], optional: true },
    ],
    outputs: [
      { name: 'text_embeds', dtype: 'float32', shape: ['batch', d] },
      { name: 'last_hidden_state', dtype: 'float32', shape: ['batch', ctx, config.textWidth], optional: true },
    ],
    tokenizer,
    card,
  };
  const image: ModelEntry = {
    id: `${id}-image`,
    kind: 'clip-image',
    title: `${name} image encoder (${dtype})`,
    file: onnxPath('vision_model', dtype),
    ...fileFields(imageFile),
    ...world,
    pair: text.id,
    embedDim: d,
    inputs: [{ name: 'pixel_values', dtype: 'float32', shape: ['batch', 3, s, s] }],
    outputs: [{ name: 'image_embeds', dtype: 'float32', shape: ['batch', d] }],
    preprocessing,
    card,
  };
  const manifest = parseManifest({ format: MANIFEST_FORMAT, version: 1, models: [text, image] }, src.describe(''));
  const prefetched = new Map([...textFile.read, ...imageFile.read]);
  return { manifest, pair: id, dtype, prefetched };
}
