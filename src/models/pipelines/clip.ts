import { bilinearResize, imageDims } from '../../tensor/image';
import { bicubicResize } from '../../tensor/resample';
import { concatFloat32, float32, tensor, type Float32Tensor, type Tensor } from '../../tensor/tensor';
import { ModelError, type ModelEntry } from '../runtime/manifest';
import type { ModelRuntime, ModelSession } from '../runtime/runtime';
import { attentionMask } from '../runtime/tokenizer';

/** A CLIP pair as nodes pass it along a Model edge. */
export interface ClipModelRef {
  id: string;
  kind: 'clip';
  text: string;
  image: string;
  embedDim: number;
  /** exp(learned temperature): the logit scale for softmax over similarities. */
  logitScale: number;
  [key: string]: unknown;
}

/** Resolves "mini-clip", "mini-clip-text" or "mini-clip-image" to the pair's entries. */
export function resolveClip(runtime: ModelRuntime, id: string): ClipModelRef {
  const models = runtime.manifest.models;
  const find = (mid: string) => models.find((m) => m.id === mid);
  // a model folder holds one pair: the loader's id (the bundled default, often) need not name it
  if (runtime.folder && !find(id) && !find(`${id}-text`)) id = runtime.folder.pair;
  let text: ModelEntry | undefined = find(id) ?? find(`${id}-text`);
  if (text?.kind === 'clip-image') text = text.pair ? find(text.pair) : undefined;
  if (!text || text.kind !== 'clip-text') {
    const clips = models.filter((m) => m.kind === 'clip-text').map((m) => m.id.replace(/-text$/, ''));
    throw new ModelError(id, `no CLIP text encoder by that name (available: ${clips.join(', ') || 'none'})`);
  }
  const image = text.pair ? find(text.pair) : find(text.id.replace(/-text$/, '-image'));
  if (!image || image.kind !== 'clip-image')
    throw new ModelError(text.id, 'has no paired CLIP image encoder in the manifest');
  const embedDim = text.embedDim ?? (text.outputs[0]!.shape[1] as number);
  if (image.embedDim !== undefined && image.embedDim !== embedDim)
    throw new ModelError(image.id, `embeds into ${image.embedDim} dims, its text encoder into ${embedDim}`);
  const scale = Number((text.card as { logitScale?: unknown } | undefined)?.logitScale ?? 100);
  return {
    id: text.id.replace(/-text$/, ''),
    kind: 'clip',
    text: text.id,
    image: image.id,
    embedDim,
    logitScale: Number.isFinite(scale) ? scale : 100,
  };
}

const BATCH = 64;

/** Token ids [N, L] int64 for texts. */
export async function tokenize(runtime: ModelRuntime, clip: ClipModelRef, texts: string[]): Promise<Tensor<'int64'>> {
  const tok = await runtime.tokenizer(clip.text);
  const b = tok.encodeBatch(texts);
  return tensor('int64', b.shape, b.ids);
}

/** Text embeddings [N, D] (normalized by the model) and token features [N, L, W]. */
export async function encodeTokens(
  runtime: ModelRuntime,
  clip: ClipModelRef,
  ids: Tensor<'int64'>,
): Promise<{ embeds: Float32Tensor; features: Float32Tensor }> {
  const session = await runtime.session(clip.text);
  const [n, l] = ids.shape as [number, number];
  // roles by optimum's names: input_ids (+ attention_mask when the file has it) -> text_embeds, last_hidden_state
  const embName = 'text_embeds';
  const featName =
    outputNamed(session, 'last_hidden_state') ?? session.entry.outputs.find((o) => o.name !== embName)?.name;
  let mask: BigInt64Array | undefined;
  if (session.entry.inputs.some((i) => i.name === 'attention_mask')) {
    const tok = await runtime.tokenizer(clip.text);
    mask = attentionMask(ids.data, ids.shape, tok.padId, tok.endId);
  }
  const embeds: Float32Array[] = [];
  const feats: Float32Array[] = [];
  let width = 0;
  for (let s = 0; s < n; s += BATCH) {
    const m = Math.min(BATCH, n - s);
    const rows = (t: BigInt64Array) => tensor('int64', [m, l], t.subarray(s * l, (s + m) * l));
    const out = await session.run({ input_ids: rows(ids.data), ...(mask ? { attention_mask: rows(mask) } : {}) });
    embeds.push(unitRows(out[embName]!.data as Float32Array, clip.embedDim));
    if (featName && out[featName]) {
      feats.push(out[featName].data as Float32Array);
      width = out[featName].shape[2]!;
    }
  }
  return {
    embeds: float32([n, clip.embedDim], concatFloat32(embeds)),
    features: float32([n, l, width], concatFloat32(feats)),
  };
}

export async function encodeTexts(runtime: ModelRuntime, clip: ClipModelRef, texts: string[]): Promise<Float32Tensor> {
  return (await encodeTokens(runtime, clip, await tokenize(runtime, clip, texts))).embeds;
}

/** The output of that name, when the session's file has it. */
const outputNamed = (session: ModelSession, name: string) => session.entry.outputs.find((o) => o.name === name)?.name;

/**
 * Rows of embeddings at unit length. Optimum's text_embeds and image_embeds are the projections, not normalized;
 * a row already of length 1 (to 1e-5: the bundled models normalize in the graph) is kept as the model gave it, so
 * normalizing twice does not change its last bits.
 */
export function unitRows(data: Float32Array, width: number): Float32Array {
  for (let r = 0; r * width < data.length; r++) {
    const row = data.subarray(r * width, (r + 1) * width);
    let ss = 0;
    for (let i = 0; i < width; i++) ss += row[i]! * row[i]!;
    const norm = Math.sqrt(ss);
    if (Math.abs(norm - 1) > 1e-5 && norm > 0) for (let i = 0; i < width; i++) row[i] = row[i]! / norm;
  }
  return data;
}

/**
 * Images [N, H, W, 3] in [0, 1] -> the encoder's normalized NCHW input, as Hugging Face's CLIPImageProcessor
 * makes it from preprocessor_config.json (resize, centre crop, rescale, normalize). The bundled models' spec is
 * the case without resize, crop and rescale: a bilinear resize to size x size when the picture differs.
 */
export function preprocessImages(entry: ModelEntry, images: Float32Tensor): Float32Tensor {
  const pre = entry.preprocessing;
  if (!pre) throw new ModelError(entry.id, 'has no preprocessing in the manifest');
  let img = images;
  const { h, w, c } = imageDims(img);
  if (c !== 3) throw new ModelError(entry.id, `takes RGB images, got ${c} channels`);
  const resize = pre.resample === 'bicubic' ? bicubicResize : bilinearResize;
  let [rh, rw] = [pre.size, pre.size];
  if (pre.resize && 'shortestEdge' in pre.resize) {
    // get_resize_output_image_size (default_to_square=False): the short side becomes the edge, the long one int()
    const edge = pre.resize.shortestEdge,
      long = Math.trunc((edge * Math.max(h, w)) / Math.min(h, w));
    [rh, rw] = h <= w ? [edge, long] : [long, edge];
  } else if (pre.resize) [rh, rw] = [pre.resize.height, pre.resize.width];
  if (h !== rh || w !== rw) img = resize(img, rh, rw);
  const crop = pre.crop ?? { height: rh, width: rw };
  if (crop.height !== pre.size || crop.width !== pre.size || crop.height > rh || crop.width > rw)
    throw new ModelError(entry.id, `preprocessing makes ${crop.height} x ${crop.width} pictures, it takes ${pre.size}`);
  const top = Math.floor((rh - crop.height) / 2),
    left = Math.floor((rw - crop.width) / 2);
  // our pixels are 0..255 values / 255: rescale_factor applies to 255 x ours (1 / 255 gives ours back exactly)
  const scale = pre.rescale === undefined ? 1 : 255 * pre.rescale;
  const n = img.shape[0]!,
    s = pre.size,
    px = s * s;
  const out = new Float32Array(n * 3 * px);
  for (let b = 0; b < n; b++)
    for (let k = 0; k < 3; k++) {
      const mean = pre.mean[k]!,
        std = pre.std[k]!;
      for (let y = 0; y < s; y++)
        for (let x = 0; x < s; x++) {
          const v = img.data[((b * rh + top + y) * rw + left + x) * 3 + k]!;
          out[(b * 3 + k) * px + y * s + x] = (v * scale - mean) / std;
        }
    }
  return float32([n, 3, s, s], out);
}

export async function encodeImages(
  runtime: ModelRuntime,
  clip: ClipModelRef,
  images: Float32Tensor,
  onBatch?: (done: number, total: number) => void,
): Promise<Float32Tensor> {
  const session = await runtime.session(clip.image);
  const x = preprocessImages(session.entry, images);
  const [n, , s] = x.shape as [number, number, number];
  const out = new Float32Array(n * clip.embedDim);
  const per = 3 * s * s;
  for (let b = 0; b < n; b += BATCH) {
    const m = Math.min(BATCH, n - b);
    const r = await session.run({ pixel_values: float32([m, 3, s, s], x.data.subarray(b * per, (b + m) * per)) });
    out.set(unitRows(r.image_embeds!.data as Float32Array, clip.embedDim), b * clip.embedDim);
    onBatch?.(b + m, n);
  }
  return float32([n, clip.embedDim], out);
}

/** Softmax of each row of logits [N, M] scaled by s. */
export function softmaxRows(sims: Float32Tensor, scale: number): Float32Tensor {
  const [n, m] = sims.shape as [number, number];
  const out = new Float32Array(n * m);
  for (let r = 0; r < n; r++) {
    let max = -Infinity;
    for (let j = 0; j < m; j++) max = Math.max(max, scale * sims.data[r * m + j]!);
    let sum = 0;
    for (let j = 0; j < m; j++) sum += out[r * m + j] = Math.exp(scale * sims.data[r * m + j]! - max);
    for (let j = 0; j < m; j++) out[r * m + j]! /= sum;
  }
  return float32([n, m], out);
}
