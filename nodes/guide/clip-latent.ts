import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { boolean, integer, number, seed } from '../../src/node-api';
import { clipSearch } from '../../src/models/pipelines/guide/search';
import { repeatRows, sampleDecoder, sampleShape } from '../../src/models/pipelines/unclip';
import { chwToImage } from '../../src/tensor/image';
import { gaussianNoise } from '../../src/tensor/noise';
import { float32 } from '../../src/tensor/tensor';
import { withNode } from '../kit/models';
import { decoderConditioning } from '../kit/conditioning';
import { diffusionOf, initialNoise, sessionFor, stepNoise } from '../kit/diffusion';
import { captionScorer, generationReporter, searchOutputs } from './shared';

/** The decoder whose noise the search moves: its x_T for the seed is where the search starts. */
const DECODER = 'diffusion/decode';

/**
 * x_T of a point z of the k-dimensional search space: the seed's noise plus z's mix of k fixed
 * random noise directions, rescaled so every pixel stays unit-variance Gaussian
 * ((n + sum z_j b_j) / sqrt(1 + |z|^2) for independent standard normal n, b_j). z = 0 is the
 * seed's own x_T: the search starts from what `diffusion/decode` draws for that seed.
 */
export function latentOf(z: ArrayLike<number>, base: Float32Array, directions: Float32Array[]): Float32Array {
  const x = Float32Array.from(base);
  let norm2 = 0;
  for (let j = 0; j < directions.length; j++) {
    const zj = z[j]!;
    norm2 += zj * zj;
    const d = directions[j]!;
    for (let i = 0; i < x.length; i++) x[i]! += zj * d[i]!;
  }
  const k = 1 / Math.sqrt(1 + norm2);
  for (let i = 0; i < x.length; i++) x[i]! *= k;
  return x;
}

export default defineNode({
  type: 'guide/clip-latent',
  version: 1,
  title: "CLIP search in the decoder's noise",
  description:
    "VQGAN-CLIP's idea without gradients: CMA-ES searches the decoder's x_T (in a k-dimensional subspace of random " +
    "noise directions around the seed's x_T) with the conditioning fixed, to raise mini-CLIP's similarity to a " +
    'caption over random views. Every candidate is a real decoder sample',
  inputs: {
    decoder: { type: 'Model', models: ['decoder'] },
    clip: { type: 'Model', description: 'the CLIP model: scores the pictures and encodes the caption for the decoder' },
    text: { type: 'Text', description: 'the caption to score against (one)' },
    embedding: {
      type: 'ImageEmbedding',
      optional: true,
      description: 'the fixed image embedding (from the prior); none: the caption-only path',
    },
    seed: { type: 'Number', optional: true, description: 'overrides the seed param' },
  },
  outputs: { image: 'Image', filmstrip: 'Image', curve: 'Scores', similarity: 'Number', noise: 'Latent' },
  params: {
    dims: integer({ min: 1, max: 64, default: 8, label: 'Search dimensions (noise directions)' }),
    iterations: integer({ min: 1, max: 500, default: 8, label: 'Generations' }),
    population: integer({ min: 4, max: 64, default: 6, label: 'Population' }),
    augmentations: integer({ min: 0, max: 32, default: 2, label: 'Random views (0 = none)' }),
    sigma: number({ min: 0.01, max: 3, step: 0.01, default: 0.6, label: 'Initial step size' }),
    steps: integer({ min: 1, max: 100, default: 6, label: 'DDIM steps per candidate' }),
    guidance: number({ min: 0, max: 20, step: 0.1, default: 3, label: 'Guidance scale' }),
    conditionOnCaption: boolean({ default: true, label: 'Decoder reads the caption too' }),
    seed: seed({ default: 0, label: 'Seed' }),
  },
  run: async ({ decoder, clip, text, embedding, seed: seedIn }, p, ctx) => {
    const ref = diffusionOf(ctx, decoder, 'decoder', 'decoder');
    const score = await captionScorer(ctx, clip, text, 'text');
    if (embedding && embedding.shape[0] !== 1)
      throw new NodeError(ctx.nodeId, `takes one embedding, got ${embedding.shape[0]}`, 'inputs.embedding');
    const lam = p.population;
    const cond = await decoderConditioning(
      ctx,
      ref,
      clip,
      embedding && repeatRows(embedding, lam),
      p.conditionOnCaption ? (Array(lam).fill(text[0]!) as string[]) : undefined,
      lam,
    );
    const session = await withNode(ctx, 'inputs.decoder', () => sessionFor(ctx, ref));
    const shape = await withNode(ctx, 'inputs.decoder', async () => sampleShape(session.entry));
    if (shape.channels !== 3 || shape.width !== shape.height)
      throw new NodeError(
        ctx.nodeId,
        `"${ref.id}" samples ${shape.channels} x ${shape.height} x ${shape.width}: it draws square RGB pictures`,
        'inputs.decoder',
      );
    const SIDE = shape.height;
    const SIZE = 3 * SIDE * SIDE;
    const s = seedIn ?? p.seed;
    // the search starts at the decoder's own x_T for this seed (its first sample), and moves along random directions
    const base = initialNoise(ctx, 1, SIZE, s, undefined, DECODER);
    const directions = Array.from({ length: p.dims }, (_, j) =>
      gaussianNoise({ seed: s, node: ctx.nodeType, purpose: 'direction', index: [j] }, SIZE),
    );
    const result = await clipSearch({
      mean: new Float64Array(p.dims),
      sigma: p.sigma,
      generations: p.iterations,
      population: lam,
      augmentations: p.augmentations,
      seed: s,
      node: ctx.nodeType,
      size: SIDE,
      frames: 8,
      render: async (zs) => {
        const xT = new Float32Array(zs.length * SIZE);
        zs.forEach((z, i) => xT.set(latentOf(z, base, directions), i * SIZE));
        const x = await withNode(ctx, undefined, () =>
          sampleDecoder(session, ref.spec, cond.embeds, cond.text, cond.empty, {
            steps: p.steps,
            eta: 0,
            guidance: p.guidance,
            xT,
            noise: stepNoise(DECODER, zs.length, SIZE, s),
            signal: ctx.signal,
          }),
        );
        return chwToImage(x, zs.length, SIDE, SIDE).data;
      },
      score,
      signal: ctx.signal,
      onGeneration: generationReporter(ctx, SIDE),
    });
    const out = searchOutputs(result, SIDE);
    const noise = latentOf(result.bestGenome, base, directions);
    return { ...out, noise: float32([1, 3, SIDE, SIDE], noise) };
  },
});
