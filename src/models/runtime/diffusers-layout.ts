/**
 * Diffusion models in diffusers' layout:
 *
 *   [model_index.json]  scheduler/scheduler_config.json  unet/config.json  unet/model.onnx
 *
 * becomes a manifest of one decoder entry: the scheduler config as the file has it (read by scheduler-config.ts when
 * the loader resolves the model, its errors naming the file), sizes
 * from unet/config.json (sample_size, in_channels, out_channels, cross_attention_dim), and the U-Net's inputs mapped
 * to the roles our pipelines feed by their names (DIFFUSION_ROLES), with the dtypes the ONNX file declares. Errors
 * name the file and the field, and quote no value whole (describeValue).
 */
import { describeValue } from '../../tensor/quote';
import { MANIFEST_FORMAT, parseManifest, type Manifest, type ModelEntry } from './manifest';
import { describeOnnxFile, type OnnxFileDescription } from './model-files';
import { onnxSignature, type OnnxSignature } from './onnx-external';
import { fileFields, FolderError, readJson, type FolderSource, type Json } from './published-layout';

/**
 * The roles a diffusion model's inputs play, each with the names it goes by. A role is the name our own models'
 * inputs have (public/models/manifest.json: the decoders' x_t, timestep, image_embed, text_tokens, text_mask,
 * text_ids, known; the upsamplers' low_res), so our models are the case where name and role agree. The others are
 * diffusers' UNet2DConditionModel.forward arguments as ONNX exports name them: `sample`, `timestep`,
 * `encoder_hidden_states`, `encoder_attention_mask`, `class_labels` (unCLIP-style image-embedding conditioning,
 * as Stable unCLIP feeds it) and `image_embeds` (added_cond_kwargs' image embedding, as Kandinsky 2.2 feeds it).
 */
export const DIFFUSION_ROLES = {
  x_t: ['x_t', 'sample'],
  timestep: ['timestep', 'timesteps'],
  text_tokens: ['text_tokens', 'encoder_hidden_states'],
  text_mask: ['text_mask', 'encoder_attention_mask'],
  image_embed: ['image_embed', 'image_embeds', 'class_labels'],
  text_ids: ['text_ids'],
  known: ['known'],
  low_res: ['low_res'],
} as const satisfies Record<string, readonly string[]>;
export type DiffusionRole = keyof typeof DIFFUSION_ROLES;

/** The role an input of this name plays, or undefined. */
export function roleOfInput(name: string): DiffusionRole | undefined {
  return (Object.keys(DIFFUSION_ROLES) as DiffusionRole[]).find((r) =>
    (DIFFUSION_ROLES[r] as readonly string[]).includes(name),
  );
}

export type { OnnxSignature } from './onnx-external';

export interface DiffusersFolder {
  manifest: Manifest;
  id: string;
  prefetched: Map<string, Uint8Array>;
}

export const UNET_FILE = 'unet/model.onnx';
const UNET_CONFIG = 'unet/config.json';
const SCHEDULER_CONFIG = 'scheduler/scheduler_config.json';

/** Whether a folder holds a diffusion model in diffusers' layout (its unet/config.json or model_index.json). */
export async function isDiffusersFolder(src: FolderSource): Promise<boolean> {
  for (const p of [UNET_CONFIG, 'model_index.json'])
    try {
      await src.read(p);
      return true;
    } catch {
      // not this one
    }
  return false;
}

/** unet/config.json's sizes (UNet2DConditionModel's config), never constants. */
function readUnetConfig(where: string, json: Json) {
  const fail = (field: string, problem: string): never => {
    throw new FolderError(`${where}: ${field} ${problem}`);
  };
  const int = (field: string, max: number, fallback?: number): number => {
    const v = json[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
      fail(field, `must be a whole number from 1 to ${max}, got ${describeValue(v)}`);
    return v as number;
  };
  const size = json.sample_size;
  let height: number, width: number;
  if (Array.isArray(size)) {
    if (size.length !== 2 || size.some((v) => typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 8192))
      fail('sample_size', `must be a whole number or [height, width] up to 8192, got ${describeValue(size)}`);
    [height, width] = size as [number, number];
  } else height = width = int('sample_size', 8192);
  const inChannels = int('in_channels', 64, 4);
  const outChannels = int('out_channels', 128, 4);
  const cross = json.cross_attention_dim;
  const crossDim = cross === undefined || cross === null ? undefined : int('cross_attention_dim', 65536);
  return { height, width, inChannels, outChannels, crossDim, fail };
}

const DTYPES: Record<string, ModelEntry['inputs'][number]['dtype']> = {
  float32: 'float32',
  float16: 'float32', // converted at the runtime's edge
  int64: 'int64',
  int32: 'int32',
};

/**
 * Builds the manifest of a diffusers-layout folder: one `decoder` entry named `name`. The U-Net's input and output
 * names, types and shapes are read from its protobuf (onnxSignature): no session, and its weights (external data
 * included) are not read; a file onnxruntime cannot load is refused when its session is made.
 */
export async function readDiffusersFolder(src: FolderSource, name: string): Promise<DiffusersFolder> {
  const index = await readJson(src, 'model_index.json', true);
  // parsed by the loader (scheduler-config.ts, whose errors name this file); here only what the sizes need
  const scheduler = await readJson(src, SCHEDULER_CONFIG);
  const unetWhere = src.describe(UNET_CONFIG);
  const unet = readUnetConfig(unetWhere, await readJson(src, UNET_CONFIG));
  const learned = scheduler.variance_type === 'learned' || scheduler.variance_type === 'learned_range';
  if (learned && unet.outChannels !== 2 * unet.inChannels)
    unet.fail(
      'out_channels',
      `must be twice in_channels (${2 * unet.inChannels}): ${src.describe(SCHEDULER_CONFIG)}'s variance_type is ` +
        `${String(scheduler.variance_type)}, a learned variance beside the prediction`,
    );
  if (!learned && unet.outChannels !== unet.inChannels)
    unet.fail(
      'out_channels',
      `must equal in_channels (${unet.inChannels})` +
        (unet.outChannels === 2 * unet.inChannels
          ? `, or ${src.describe(SCHEDULER_CONFIG)} must say variance_type learned_range (twice the channels)`
          : ''),
    );

  // the host's hash cache may know the file's signature (Node): then the U-Net is not read at all
  const known = src.facts ? await src.facts(UNET_FILE).catch(() => undefined) : undefined;
  let bytes: Uint8Array | undefined;
  if (!known?.signature)
    try {
      bytes = await src.read(UNET_FILE);
    } catch (e) {
      if ((e as Error).name === 'ModelTooBigError') throw e; // too big for the browser: said as it is
      throw new FolderError(`${src.describe(UNET_FILE)} is missing or unreadable (${(e as Error).message})`);
    }
  let sig: OnnxSignature;
  try {
    sig = known?.signature ?? onnxSignature(bytes!);
  } catch (e) {
    throw new FolderError(`${src.describe(UNET_FILE)} is not an ONNX model (${(e as Error).message})`);
  }
  // its external data (unet/weights.pb, model.onnx_data): sha256 and size from the host where it knows them
  let file: OnnxFileDescription;
  try {
    const graph = bytes;
    file = await describeOnnxFile(
      graph ? { ...src, read: (p) => (p === UNET_FILE ? Promise.resolve(graph) : src.read(p)) } : src,
      UNET_FILE,
    );
  } catch (e) {
    throw new FolderError((e as Error).message);
  }
  const onnxWhere = src.describe(UNET_FILE);
  const { height: h, width: w, inChannels: c } = unet;
  /** The config's size where the file has a number, and a free axis where it has a name. */
  const agree = (input: string, fileShape: Array<number | string>, want: Array<number | string>, field: string) => {
    if (fileShape.length !== want.length)
      throw new FolderError(
        `${onnxWhere}: input ${input} has ${fileShape.length} axes, the U-Net takes ${want.length}`,
      );
    want.forEach((v, i) => {
      if (typeof v === 'number' && typeof fileShape[i] === 'number' && fileShape[i] !== v)
        throw new FolderError(
          `${onnxWhere}: input ${input} axis ${i} is ${String(fileShape[i])}, ${unetWhere}'s ${field} says ${v}`,
        );
    });
    return want;
  };
  const free = (s: number | string, fallback: string) => (typeof s === 'number' ? s : fallback);
  const inputs: ModelEntry['inputs'] = sig.inputs.map((io) => {
    const role = roleOfInput(io.name);
    const dtype = DTYPES[io.type];
    if (!role)
      throw new FolderError(
        `${onnxWhere}: input ${describeValue(io.name)} plays no role we feed (docs/models.md lists the names: ` +
          `${Object.values(DIFFUSION_ROLES).flat().join(', ')})`,
      );
    if (!dtype)
      throw new FolderError(`${onnxWhere}: input ${io.name} is ${describeValue(io.type)}, not a type we feed`);
    let shape: Array<number | string>;
    if (role === 'x_t') shape = agree(io.name, io.shape, ['batch', c, h, w], 'in_channels and sample_size');
    else if (role === 'timestep') {
      if (io.shape.length > 1) throw new FolderError(`${onnxWhere}: input ${io.name} must be [] or [batch]`);
      shape = io.shape.length ? ['batch'] : [];
    } else if (role === 'text_tokens') {
      const dim = unet.crossDim ?? free(io.shape[2] ?? 'width', 'width');
      shape = agree(io.name, io.shape, ['batch', free(io.shape[1] ?? 'tokens', 'tokens'), dim], 'cross_attention_dim');
    } else shape = ['batch', ...io.shape.slice(1)];
    const entry = { name: io.name, dtype, shape, ...(role !== io.name ? { role } : {}) };
    return entry;
  });
  if (!inputs.some((i) => (i.role ?? i.name) === 'x_t'))
    throw new FolderError(`${onnxWhere}: has no input named sample (the noisy sample)`);
  if (!inputs.some((i) => (i.role ?? i.name) === 'timestep'))
    throw new FolderError(`${onnxWhere}: has no input named timestep`);
  const out = sig.outputs[0];
  if (!out) throw new FolderError(`${onnxWhere}: has no output`);
  const outShape = agree(out.name, out.shape, ['batch', unet.outChannels, h, w], 'out_channels and sample_size');
  const indexClass = typeof index?._class_name === 'string' ? index._class_name : undefined;
  const entry: ModelEntry = {
    id: name,
    kind: 'decoder',
    title: `${name} U-Net (diffusers layout)`,
    file: UNET_FILE,
    ...fileFields(file),
    inputs,
    outputs: [{ name: out.name, dtype: 'float32', shape: outShape }],
    diffusion: { scheduler, schedulerFile: src.describe(SCHEDULER_CONFIG), resolution: h },
    card: { layout: 'diffusers', ...(indexClass ? { pipeline: indexClass.slice(0, 80) } : {}) },
  };
  const manifest = parseManifest({ format: MANIFEST_FORMAT, version: 1, models: [entry] }, src.describe(''));
  return { manifest, id: name, prefetched: file.read };
}
