import { defineNode } from '../../src/node-api/define';
import { boolean, enumeration, integer, number, seed } from '../../src/node-api';
import { conditionEmbeddings, repeatRows, sampleDecoder, sampleShape } from '../../src/models/pipelines/unclip';
import { chwToImage } from '../../src/tensor/image';
import { concatFloat32, float32 } from '../../src/tensor/tensor';
import { NodeError } from '../../src/node-api';
import { withNode } from '../kit/models';
import { captionClipInput, clipGuidance, decoderConditioning } from '../kit/conditioning';
import { diffusionOf, initialNoise, sessionFor, stepNoise, stepReporter } from '../kit/diffusion';

export default defineNode({
  type: 'diffusion/decode',
  version: 1,
  title: 'Decode (unCLIP decoder)',
  description:
    'CLIP image embedding (+ optional caption) -> an image the size of the decoder (bundled: 32x32) by DDIM ' +
    '(eta). No embedding: the GLIDE-style caption-only path. Guidance: classifier-free (the model with and ' +
    'without its conditioning, mixed by the scale), clip (GLIDE: the gradient of a noise-aware CLIP, connected ' +
    'as noisedClip, towards the caption, added at every step) or none. Embedding rows x samples = the batch',
  inputs: {
    decoder: { type: 'Model', models: ['decoder'] },
    clip: captionClipInput,
    embedding: { type: 'ImageEmbedding', optional: true },
    text: { type: 'Text', optional: true },
    noise: {
      type: 'Latent',
      optional: true,
      description: "x_T [1 or N, 3, H, W] (the decoder's size) instead of seeded noise",
    },
    seed: { type: 'Number', optional: true, description: 'overrides the seed param' },
    noisedClip: {
      type: 'Model',
      optional: true,
      description: 'a noise-aware CLIP (mini-clip-noised), for guidance clip',
      models: ['clip-noised'],
    },
  },
  outputs: { image: 'Image', trajectory: 'Image' },
  params: {
    steps: integer({ min: 1, max: 1000, default: 25, label: 'Steps' }),
    eta: number({ min: 0, max: 1, step: 0.01, default: 0, label: 'eta' }),
    guidanceMethod: enumeration({
      options: ['classifier-free', 'clip', 'none'],
      default: 'classifier-free',
      label: 'Guidance',
      description: 'classifier-free (scale: Guidance scale), clip (scale: CLIP guidance scale), none',
    }),
    guidance: number({ min: 0, max: 20, step: 0.1, default: 3, label: 'Guidance scale' }),
    clipScale: number({
      min: 0,
      max: 1000,
      step: 1,
      default: 30,
      label: 'CLIP guidance scale',
      description: 's in eps - s sqrt(1 - abar) grad (f(x_t) . g(caption)), for guidance clip',
    }),
    seed: seed({ default: 0, label: 'Seed' }),
    samples: integer({ min: 1, max: 64, default: 1, label: 'Samples per embedding' }),
    trajectory: boolean({ default: false, label: 'Keep the predicted-x0 trajectory' }),
    embeddingStrength: number({
      min: 0,
      max: 4,
      step: 0.05,
      default: 1,
      label: 'Image-embedding strength',
      description: 'scales the embedding the decoder reads: 1 as trained, 0 = none (caption only), > 1 overshoots',
    }),
    embeddingNoise: number({
      min: 0,
      max: 1,
      step: 0.01,
      default: 0,
      label: 'Embedding noise',
      description: 'noise augmentation: mixes the embedding with a seeded random direction (0 = none, 1 = pure noise)',
    }),
  },
  run: async ({ decoder, clip, embedding, text, noise, seed: seedIn, noisedClip }, p, ctx) => {
    const ref = diffusionOf(ctx, decoder, 'decoder', 'decoder');
    const rows = Math.max(embedding?.shape[0] ?? 1, text?.length ?? 1, noise?.shape[0] ?? 1);
    const n = rows * p.samples;
    const s = seedIn ?? p.seed;
    const controlled = (e: typeof embedding) =>
      e && (p.embeddingNoise > 0 || p.embeddingStrength !== 1)
        ? conditionEmbeddings(e, p.embeddingNoise, p.embeddingStrength, {
            seed: s,
            node: ctx.nodeType,
            purpose: 'embedding-noise',
          })
        : e;
    const cond = await decoderConditioning(
      ctx,
      ref,
      clip,
      controlled(embedding ? repeatRows(embedding, p.samples) : undefined),
      text ? text.flatMap((t) => Array(p.samples).fill(t) as string[]) : undefined,
      n,
    );
    const session = await withNode(ctx, 'inputs.decoder', () => sessionFor(ctx, ref));
    const {
      channels,
      height: h,
      width: w,
    } = await withNode(ctx, 'inputs.decoder', async () => sampleShape(session.entry));
    if (channels !== 3)
      throw new NodeError(
        ctx.nodeId,
        `"${ref.id}" samples ${channels} channels: Decode draws RGB pictures (3; a latent model needs a VAE)`,
        'inputs.decoder',
      );
    const size = channels * h * w;
    const gradient =
      p.guidanceMethod === 'clip' ? await clipGuidance(ctx, noisedClip, clip, text, cond.text.embeds, n, h) : undefined;
    const frames: Float32Array[] | undefined = p.trajectory ? [] : undefined;
    const x = await withNode(ctx, undefined, () =>
      sampleDecoder(session, ref.spec, cond.embeds, cond.text, cond.empty, {
        steps: p.steps,
        eta: p.eta,
        guidance: p.guidanceMethod === 'classifier-free' ? p.guidance : 1,
        gradient: gradient && { scale: p.clipScale, at: gradient },
        xT: initialNoise(ctx, n, size, s, noise && repeatRows(noise, noise.shape[0] === 1 ? 1 : p.samples)),
        noise: stepNoise(ctx.nodeType, n, size, s),
        onStep: stepReporter(ctx, { h, w }, 5, frames),
        signal: ctx.signal,
      }),
    );
    const trajectory = frames?.length ? chwToImage(concatFloat32(frames), frames.length, h, w) : float32([0, h, w, 3]);
    return { image: chwToImage(x, n, h, w), trajectory };
  },
});
