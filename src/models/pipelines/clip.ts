import { bilinearResize, imageDims } from '../../tensor/image';
import { concatFloat32, float32, tensor, type Float32Tensor, type Tensor } from '../../tensor/tensor';
import { ModelError, type ModelEntry } from '../runtime/manifest';
import type { ModelRuntime } from '../runtime/runtime';

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
  const inName = session.entry.inputs[0]!.name;
  const [embName, featName] = session.entry.outputs.map((o) => o.name);
  const embeds: Float32Array[] = [];
  const feats: Float32Array[] = [];
  let width = 0;
  for (let s = 0; s < n; s += BATCH) {
    const m = Math.min(BATCH, n - s);
    const out = await session.run({ [inName]: tensor('int64', [m, l], ids.data.subarray(s * l, (s + m) * l)) });
    embeds.push(out[embName!]!.data as Float32Array);
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

/** Images [N, H, W, 3] in [0, 1] -> the encoder's normalized NCHW input, resized if needed. */
export function preprocessImages(entry: ModelEntry, images: Float32Tensor): Float32Tensor {
  const pre = entry.preprocessing;
  if (!pre) throw new ModelError(entry.id, 'has no preprocessing in the manifest');
  let img = images;
  const { h, w, c } = imageDims(img);
  if (c !== 3) throw new ModelError(entry.id, `takes RGB images, got ${c} channels`);
  if (h !== pre.size || w !== pre.size) img = bilinearResize(img, pre.size, pre.size);
  const n = img.shape[0]!,
    s = pre.size,
    px = s * s;
  const out = new Float32Array(n * 3 * px);
  for (let b = 0; b < n; b++)
    for (let k = 0; k < 3; k++) {
      const mean = pre.mean[k]!,
        std = pre.std[k]!;
      for (let i = 0; i < px; i++) out[(b * 3 + k) * px + i] = (img.data[(b * px + i) * 3 + k]! - mean) / std;
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
  const inName = session.entry.inputs[0]!.name,
    outName = session.entry.outputs[0]!.name;
  const out = new Float32Array(n * clip.embedDim);
  const per = 3 * s * s;
  for (let b = 0; b < n; b += BATCH) {
    const m = Math.min(BATCH, n - b);
    const r = await session.run({ [inName]: float32([m, 3, s, s], x.data.subarray(b * per, (b + m) * per)) });
    out.set(r[outName]!.data as Float32Array, b * clip.embedDim);
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
