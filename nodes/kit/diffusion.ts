import type { RunContext } from '../../src/node-api/define';
import type { ModelRef } from '../../src/node-api/values';
import { NodeError } from '../../src/node-api';
import { article } from '../../src/node-api';
import type { DdimStepInfo } from '../../src/models/samplers/ddim';
import { type DiffusionModelRef } from '../../src/models/pipelines/unclip';
import { chwToImage, imageToChw } from '../../src/tensor/image';
import { gaussianBatch } from '../../src/tensor/noise';
import type { Float32Tensor } from '../../src/tensor/tensor';
import { runtimeFor } from './runtime';

export function diffusionOf(
  ctx: RunContext,
  model: ModelRef,
  kind: DiffusionModelRef['kind'],
  port: string,
): DiffusionModelRef {
  if (model.kind !== kind)
    throw new NodeError(
      ctx.nodeId,
      `needs ${article(kind)} ${kind} model, got ${article(model.kind)} ${model.kind} model ("${model.id}")`,
      `inputs.${port}`,
    );
  return model as DiffusionModelRef;
}

export async function sessionFor(ctx: RunContext, ref: DiffusionModelRef) {
  return (await runtimeFor(ctx, ref)).session(ref.id);
}

/**
 * x_T for n samples of `size` values each: from the given latent (broadcast if it has one row) or from the node's
 * `x_T` stream (sample i: index [i]). `node` names the stream; clip-latent draws the decoder's own.
 */
export function initialNoise(
  ctx: RunContext,
  n: number,
  size: number,
  seed: number,
  latent?: Float32Tensor,
  node = ctx.nodeType,
): Float32Array {
  const out = new Float32Array(n * size);
  if (latent) {
    const rows = latent.shape[0]!;
    if (latent.data.length !== rows * size)
      throw new NodeError(
        ctx.nodeId,
        `x_T has shape [${latent.shape.join(', ')}], the model samples ${size} values per image`,
        'inputs.noise',
      );
    if (rows !== 1 && rows !== n)
      throw new NodeError(ctx.nodeId, `x_T has ${rows} rows for ${n} samples`, 'inputs.noise');
    for (let i = 0; i < n; i++)
      out.set(latent.data.subarray((rows === 1 ? 0 : i) * size, ((rows === 1 ? 0 : i) + 1) * size), i * size);
    return out;
  }
  return gaussianBatch({ seed, node, purpose: 'x_T' }, n, size);
}

/** The eta noise z of a step: the node's `eta` stream, index [sample, step]. */
export function stepNoise(node: string, n: number, size: number, seed: number): (step: number) => Float32Array {
  return (step) => gaussianBatch({ seed, node, purpose: 'eta', index: [step] }, n, size);
}

/** Reports progress per step with a preview of the predicted x0 (first sample) every `every` steps. */
export function stepReporter(
  ctx: RunContext,
  shape: { h: number; w: number } | null,
  every: number,
  frames?: Float32Array[],
) {
  return (info: DdimStepInfo) => {
    if (frames) frames.push(Float32Array.from(info.x0.subarray(0, 3 * (shape?.h ?? 0) * (shape?.w ?? 0))));
    const preview =
      shape && (info.step % every === 0 || info.step === info.steps)
        ? chwToImage(info.x0.subarray(0, 3 * shape.h * shape.w), 1, shape.h, shape.w)
        : undefined;
    ctx.progress(info.step / info.steps, { step: info.step, steps: info.steps, preview });
  };
}

/** Noise for an inpainting sampler's kept region: the node's `known` stream, index [sample, step, round]. */
export function knownNoise(
  node: string,
  n: number,
  size: number,
  seed: number,
): (step: number, round: number) => Float32Array {
  return (step, round) => gaussianBatch({ seed, node, purpose: 'known', index: [step, round] }, n, size);
}

/** An inpainting sampler's kept region for n samples: source [1, H, W, 3] and mask [1, H, W, 1], laid out as x_T. */
export function knownRegion(
  source: Float32Tensor,
  mask: Float32Tensor,
  n: number,
): { x0: Float32Array; mask: Float32Array } {
  const [, h, w] = source.shape as [number, number, number, number];
  const size = 3 * h * w;
  const chw = imageToChw(source).data;
  const x0 = new Float32Array(n * size),
    m = new Float32Array(n * size);
  for (let i = 0; i < n; i++) {
    x0.set(chw, i * size);
    for (let c = 0; c < 3; c++) m.set(mask.data.subarray(0, h * w), i * size + c * h * w);
  }
  return { x0, mask: m };
}
