/**
 * The mini-unCLIP stages driven by DDIM: prior (text -> CLIP image embedding),
 * decoder (embedding [+ caption] -> a picture of the size its manifest entry gives) and DDIM inversion; the upsamplers
 * are upsampler.ts. Conditional and unconditional passes run in one batched call.
 */
import {
  concatFloat32,
  float32,
  tensor,
  type DType,
  type Float32Tensor,
  type Tensor,
  type TypedArrayOf,
} from '../../tensor/tensor';
import { gaussianNoise, type NoiseKey } from '../../tensor/noise';
import { encodeTokens, tokenize, type ClipModelRef } from './clip';
import { ddimInvert, ddimSample, type DdimOptions, type DdimStepInfo } from '../samplers/ddim';
import { guide } from '../samplers/guidance';
import type { InpaintKnown } from '../samplers/inpainting';
import { ModelError, type DiffusionSpec, type ModelEntry } from '../runtime/manifest';
import type { ModelRuntime, ModelSession } from '../runtime/runtime';
import { schedulerConfigOf, timestepInput } from '../samplers/scheduler-config';

export interface DiffusionModelRef {
  id: string;
  kind: 'prior' | 'decoder' | 'upsampler';
  spec: DiffusionSpec;
  [key: string]: unknown;
}

export function resolveDiffusion(runtime: ModelRuntime, id: string): DiffusionModelRef {
  const e: ModelEntry = runtime.entry(id);
  if (e.kind !== 'prior' && e.kind !== 'decoder' && e.kind !== 'upsampler')
    throw new ModelError(id, `is a ${e.kind} model, not a diffusion model`);
  if (!e.diffusion) throw new ModelError(id, 'has no "diffusion" section in the manifest (schedule, parameterization)');
  try {
    schedulerConfigOf(e.diffusion, e.kind); // a config that cannot be read fails at load, naming its field
  } catch (err) {
    throw new ModelError(id, (err as Error).message);
  }
  return { id, kind: e.kind, spec: e.diffusion };
}

/**
 * Caption conditioning: text embeddings [N, D], token features [N, L, W], the padding mask [N, L]
 * and the token ids [N, L] (for decoders with a caption encoder of their own, GLIDE-style).
 */
export interface TextConditioning {
  embeds: Float32Tensor;
  tokens: Float32Tensor;
  mask: Float32Tensor;
  ids: Tensor<'int64'>;
}

export async function textConditioning(
  runtime: ModelRuntime,
  clip: ClipModelRef,
  texts: string[],
): Promise<TextConditioning> {
  const ids = await tokenize(runtime, clip, texts);
  const { embeds, features } = await encodeTokens(runtime, clip, ids);
  const tok = await runtime.tokenizer(clip.text);
  const mask = float32(
    ids.shape,
    Array.from(ids.data, (v) => (Number(v) === tok.padId ? 0 : 1)),
  );
  return { embeds, tokens: features, mask, ids };
}

/** Repeats each row of a [N, ...] tensor `times` times (row-major, rows kept together). */
export function repeatRows<D extends DType>(t: Tensor<D>, times: number): Tensor<D> {
  const n = t.shape[0]!,
    per = t.data.length / n;
  const out = new (t.data.constructor as new (length: number) => TypedArrayOf<D>)(t.data.length * times);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < times; k++) out.set(t.data.subarray(i * per, (i + 1) * per) as never, (i * times + k) * per);
  return tensor(t.dtype, [n * times, ...t.shape.slice(1)], out);
}

/** Row i of each sample: `rows` has 1 row (broadcast) or one per sample. */
export function pickRows<D extends DType>(t: Tensor<D>, n: number): Tensor<D> {
  const count = t.shape[0]!;
  if (count === n) return t;
  if (count !== 1) throw new RangeError(`${count} rows for ${n} samples`);
  return repeatRows(t, n);
}

/** Every field of a caption conditioning with each row repeated `times` times. */
export function repeatConditioning(c: TextConditioning, times: number): TextConditioning {
  return {
    embeds: repeatRows(c.embeds, times),
    tokens: repeatRows(c.tokens, times),
    mask: repeatRows(c.mask, times),
    ids: repeatRows(c.ids, times),
  };
}

const cat = (a: Float32Array, b: Float32Array): Float32Array => concatFloat32([a, b]);

function fill(n: number, v: number): Float32Array {
  return new Float32Array(n).fill(v);
}

export interface SampleCommon {
  steps: number;
  eta: number;
  guidance: number;
  /** x_T for every sample, flattened. */
  xT: Float32Array;
  noise: (step: number) => Float32Array;
  onStep?: (info: DdimStepInfo) => void;
  signal?: AbortSignal;
  /** Inpainting by replacement: the region to keep and how (see ddim.ts). */
  known?: InpaintKnown;
}

/** The sampler's options every pipeline passes through as they are, and the model's scheduler config. */
export function ddimCommon(spec: DiffusionSpec, entry: ModelEntry, o: Omit<SampleCommon, 'guidance'>) {
  const { steps, eta, xT, noise, onStep, signal, known } = o;
  return { scheduler: schedulerConfigOf(spec, entry.kind), steps, eta, xT, noise, onStep, signal, known };
}

/** What an inpainting decoder (an input named `known`, [N, 4, H, W]) reads beside x_t: per sample the
 * source with the region to regenerate zeroed (3 channels, [-1, 1]) and the mask (1 = regenerate). */
export const KNOWN_INPUT = 'known';

/** The input a model feeds in this role (our input names are the roles; diffusers-layout.ts maps the others). */
export function inputOfRole(entry: ModelEntry, role: string): ModelEntry['inputs'][number] | undefined {
  return entry.inputs.find((i) => (i.role ?? i.name) === role);
}

/** Whether a decoder session is an inpainting decoder (reads the masked source and the mask). */
export function isInpaintingDecoder(session: ModelSession): boolean {
  return inputOfRole(session.entry, KNOWN_INPUT) !== undefined;
}

/**
 * The sample a diffusion model draws, from its manifest entry: x_t's [batch, channels, height, width] (the bundled
 * decoders: 3 x 32 x 32). An axis that is not a fixed number is a ModelError.
 */
export function sampleShape(entry: ModelEntry): { channels: number; height: number; width: number } {
  const shape = inputOfRole(entry, 'x_t')?.shape;
  if (!shape || shape.length !== 4 || shape.slice(1).some((v) => typeof v !== 'number'))
    throw new ModelError(
      entry.id,
      `its input x_t must be [batch, channels, height, width] with fixed sizes, the manifest has ` +
        (shape ? `[${shape.join(', ')}]` : 'no such input'),
    );
  const [, channels, height, width] = shape as number[];
  return { channels: channels!, height: height!, width: width! };
}

/**
 * The `known` input for n samples: source [3, H, W] in [-1, 1] (CHW, one picture) and mask [H * W]
 * (1 = regenerate), repeated per sample: [n * 4 * H * W].
 */
export function knownChannels(source: Float32Array, mask: Float32Array, n: number): Float32Array {
  const hw = mask.length;
  if (source.length !== 3 * hw) throw new Error(`known: the source has ${source.length} values, the mask ${hw} pixels`);
  const one = new Float32Array(4 * hw);
  for (let c = 0; c < 3; c++) for (let i = 0; i < hw; i++) one[c * hw + i] = source[c * hw + i]! * (1 - mask[i]!);
  one.set(mask, 3 * hw);
  const out = new Float32Array(n * 4 * hw);
  for (let b = 0; b < n; b++) out.set(one, b * 4 * hw);
  return out;
}

/** Runs a session with [uncond, cond] halves when guidance != 1, otherwise cond only. */
async function guidedCall(
  session: ModelSession,
  n: number,
  feedsFor: (guided: boolean, xT: Float32Array, timestep: number) => Record<string, Tensor>,
  guidance: number,
  xT: Float32Array,
  timestep: number,
  outName: string,
): Promise<Float32Array> {
  const guided = guidance !== 1;
  const out = (await session.run(feedsFor(guided, xT, timestep)))[outName]!.data as Float32Array;
  void n;
  return guided ? guide(out, guidance) : out;
}

/** The diffusion prior: text conditioning -> image embeddings [N, D] (L2-normalized). */
export async function samplePrior(
  session: ModelSession,
  spec: DiffusionSpec,
  cond: TextConditioning,
  o: SampleCommon,
): Promise<Float32Tensor> {
  const n = cond.embeds.shape[0]!,
    d = cond.embeds.shape[1]!;
  const [, l, w] = cond.tokens.shape as [number, number, number];
  const scale = spec.embedScale ?? 1;
  const outName = session.entry.outputs[0]!.name;
  const feeds = (guided: boolean, xT: Float32Array, t: number): Record<string, Tensor> => {
    const m = guided ? 2 * n : n;
    return {
      x_t: float32([m, d], guided ? cat(xT, xT) : xT),
      timestep: timestepInput(session.entry, m, t),
      text_embed: float32([m, d], guided ? cat(fill(n * d, 0), cond.embeds.data) : cond.embeds.data),
      text_tokens: float32([m, l, w], guided ? cat(fill(n * l * w, 0), cond.tokens.data) : cond.tokens.data),
      text_mask: float32([m, l], guided ? cat(fill(n * l, 0), cond.mask.data) : cond.mask.data),
    };
  };
  const x = await ddimSample({
    ...ddimCommon(spec, session.entry, o),
    rows: n,
    model: (xT, t) => guidedCall(session, n, feeds, o.guidance, xT, t, outName),
  });
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += (x[i * d + k]! / scale) ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let k = 0; k < d; k++) x[i * d + k] = (x[i * d + k]! / scale) * inv;
  }
  return float32([n, d], x);
}

/**
 * The decoder's conditioning controls on image embeddings [N, D]: noise augmentation mixes each row with a random
 * direction (row i from the stream `noise` with index [i]), e' = normalize(sqrt(1 - level^2) e + level z) with z of
 * unit expected length (level 0: unchanged, 1: pure noise), then the result is scaled by `strength` (1: as trained;
 * 0: no image embedding, the caption-only path; > 1 overshoots).
 */
export function conditionEmbeddings(
  e: Float32Tensor,
  level: number,
  strength: number,
  noise: Omit<NoiseKey, 'index'>,
): Float32Tensor {
  if (!(level >= 0 && level <= 1)) throw new RangeError(`noise level ${level} is outside [0, 1]`);
  const n = e.shape[0]!,
    d = e.shape[1]!;
  const out = new Float32Array(n * d);
  const keep = Math.sqrt(1 - level * level);
  for (let i = 0; i < n; i++) {
    const row = e.data.subarray(i * d, (i + 1) * d);
    const z = level > 0 ? gaussianNoise({ ...noise, index: [i] }, d) : null;
    let norm = 0;
    for (let k = 0; k < d; k++) {
      const v = level > 0 ? keep * row[k]! + (level * z![k]!) / Math.sqrt(d) : row[k]!;
      out[i * d + k] = v;
      norm += v * v;
    }
    const scale = level > 0 && norm > 0 ? strength / Math.sqrt(norm) : strength;
    for (let k = 0; k < d; k++) out[i * d + k]! *= scale;
  }
  return float32([n, d], out);
}

/**
 * unCLIP's candidate selection: of the k prior samples drawn for each caption ([N * k, D], rows
 * of one caption together), the row of the one with the highest dot product with its text
 * embedding, per caption.
 */
export function bestCandidateRows(samples: Float32Tensor, textEmbeds: Float32Tensor, k: number): number[] {
  const n = textEmbeds.shape[0]!,
    d = textEmbeds.shape[1]!;
  return Array.from({ length: n }, (_, i) => {
    let top = -Infinity,
      best = i * k;
    for (let j = 0; j < k; j++) {
      const row = (i * k + j) * d;
      let dot = 0;
      for (let q = 0; q < d; q++) dot += samples.data[row + q]! * textEmbeds.data[i * d + q]!;
      if (dot > top) [top, best] = [dot, i * k + j];
    }
    return best;
  });
}

/** The best of each caption's k candidates ([N * k, D] -> [N, D]); see bestCandidateRows. */
export function bestCandidates(samples: Float32Tensor, textEmbeds: Float32Tensor, k: number): Float32Tensor {
  const d = textEmbeds.shape[1]!;
  const rows = bestCandidateRows(samples, textEmbeds, k);
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(samples.data.subarray(r * d, (r + 1) * d), i * d));
  return float32([rows.length, d], out);
}

/**
 * Decoder feeds for a batch: image embeddings, caption features (and the caption's ids when the
 * decoder declares a `text_ids` input: a caption encoder of its own); the unconditional half
 * gets zeros and the empty caption.
 */
function decoderFeeds(
  session: ModelSession,
  n: number,
  embeds: Float32Tensor,
  text: TextConditioning,
  empty: TextConditioning,
  inpaint?: Float32Array,
) {
  const d = embeds.shape[1]!;
  const [, l, w] = text.tokens.shape as [number, number, number];
  const { channels: c, height: h, width: wd } = sampleShape(session.entry);
  const takes = (role: string) => inputOfRole(session.entry, role) !== undefined;
  const withIds = takes('text_ids');
  // An inpainting decoder with nothing to keep regenerates the whole picture: zeros and a mask of ones
  // (the whole-picture masks it met in training), which makes it a text-to-image decoder
  let known: Float32Array | undefined;
  if (isInpaintingDecoder(session)) {
    known = inpaint ?? knownChannels(new Float32Array(3 * h * wd), new Float32Array(h * wd).fill(1), n);
    if (known.length !== n * 4 * h * wd)
      throw new Error(`the inpainting decoder's known input has ${known.length} values for ${n} samples`);
  } else if (inpaint) {
    throw new Error(`"${session.entry.id}" is not an inpainting decoder (it has no input "${KNOWN_INPUT}")`);
  }
  const emptyTok = repeatRows(empty.tokens, n).data,
    emptyMask = repeatRows(empty.mask, n).data,
    emptyIds = repeatRows(empty.ids, n).data;
  return (guided: boolean, xT: Float32Array, t: number): Record<string, Tensor> => {
    const m = guided ? 2 * n : n;
    // by role: a published U-Net is conditioned on what it takes of these (diffusers-layout.ts)
    const feeds: Record<string, Tensor> = {
      x_t: float32([m, c, h, wd], guided ? cat(xT, xT) : xT),
      timestep: timestepInput(session.entry, m, t),
    };
    if (takes('image_embed'))
      feeds.image_embed = float32([m, d], guided ? cat(fill(n * d, 0), embeds.data) : embeds.data);
    if (takes('text_tokens'))
      feeds.text_tokens = float32([m, l, w], guided ? cat(emptyTok, text.tokens.data) : text.tokens.data);
    if (takes('text_mask')) feeds.text_mask = float32([m, l], guided ? cat(emptyMask, text.mask.data) : text.mask.data);
    if (withIds) {
      const ids = new BigInt64Array(m * l);
      if (guided) ids.set(emptyIds);
      ids.set(text.ids.data, guided ? n * l : 0);
      feeds.text_ids = tensor('int64', [m, l], ids);
    }
    // both halves of a guided call see the source (GLIDE): guidance pushes towards the caption, not off the source
    if (known) feeds[KNOWN_INPUT] = float32([m, 4, h, wd], guided ? cat(known, known) : known);
    return feeds;
  };
}

/** The decoder: image embeddings [N, D] and caption conditioning [N, ...] -> x0 in [-1, 1], [N, C, H, W]
 * (sampleShape). */
export async function sampleDecoder(
  session: ModelSession,
  spec: DiffusionSpec,
  embeds: Float32Tensor,
  text: TextConditioning,
  empty: TextConditioning,
  o: SampleCommon & { inpaint?: Float32Array; gradient?: DdimOptions['gradient']; pinX0?: DdimOptions['pinX0'] },
): Promise<Float32Array> {
  const n = embeds.shape[0]!;
  const feeds = decoderFeeds(session, n, embeds, text, empty, o.inpaint);
  return ddimSample({
    ...ddimCommon(spec, session.entry, o),
    rows: n,
    gradient: o.gradient,
    pinX0: o.pinX0,
    model: (xT, t) => guidedCall(session, n, feeds, o.guidance, xT, t, session.entry.outputs[0]!.name),
  });
}

/** DDIM inversion under the decoder (no guidance: the map must be the one eta = 0 decoding runs). */
export async function invertDecoder(
  session: ModelSession,
  spec: DiffusionSpec,
  x0: Float32Array,
  embeds: Float32Tensor,
  text: TextConditioning,
  empty: TextConditioning,
  o: { steps: number; onStep?: (i: DdimStepInfo) => void; signal?: AbortSignal },
): Promise<Float32Array> {
  const n = embeds.shape[0]!;
  const feeds = decoderFeeds(session, n, embeds, text, empty);
  return ddimInvert({
    scheduler: schedulerConfigOf(spec, session.entry.kind),
    rows: n,
    steps: o.steps,
    x0,
    onStep: o.onStep,
    signal: o.signal,
    model: (xT, t) => guidedCall(session, n, feeds, 1, xT, t, session.entry.outputs[0]!.name),
  });
}
