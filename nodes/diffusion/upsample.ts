import { defineNode } from '../../src/engine/define';
import { NodeError } from '../../src/graph/errors';
import { integer, number, seed } from '../../src/graph/params';
import { chwToImage, imageToChw, sampleUpsampler } from '../../src/models/unclip';
import { withNode } from '../kit/models';
import { diffusionOf, initialNoise, sessionFor, stepNoise, stepReporter } from './shared';

const SIZE = 3 * 64 * 64;

export default defineNode({
  type: 'diffusion/upsample',
  version: 1,
  title: 'Upsample 32 -> 64',
  description:
    'The diffusion upsampler (trained on blurred low-res inputs, no text): 32x32 -> 64x64 by a few DDIM steps',
  inputs: {
    upsampler: 'Model',
    image: 'Image',
    seed: { type: 'Number', optional: true, description: 'overrides the seed param' },
  },
  outputs: { image: 'Image' },
  params: {
    steps: integer({ min: 1, max: 1000, default: 7, label: 'Steps' }),
    eta: number({ min: 0, max: 1, step: 0.01, default: 0, label: 'eta' }),
    seed: seed({ default: 0, label: 'Seed' }),
  },
  run: async ({ upsampler, image, seed: seedIn }, p, ctx) => {
    const ref = diffusionOf(ctx, upsampler, 'upsampler', 'upsampler');
    if (image.shape[1] !== 32 || image.shape[2] !== 32)
      throw new NodeError(ctx.nodeId, `takes 32x32 images, got ${image.shape[1]}x${image.shape[2]}`, 'inputs.image');
    const n = image.shape[0]!;
    const session = await withNode(ctx, 'inputs.upsampler', () => sessionFor(ctx, ref));
    const s = seedIn ?? p.seed;
    const x = await withNode(ctx, undefined, () =>
      sampleUpsampler(session, ref.spec, imageToChw(image), {
        steps: p.steps,
        eta: p.eta,
        xT: initialNoise(ctx, n, SIZE, s),
        noise: stepNoise(n, SIZE, s),
        onStep: stepReporter(ctx, { h: 64, w: 64 }, 2),
        signal: ctx.signal,
      }),
    );
    return { image: chwToImage(x, n, 64, 64) };
  },
});
