import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { integer, number, seed } from '../../src/node-api';
import { chwToImage, imageToChw, sampleUpsampler } from '../../src/models/pipelines/unclip';
import { withNode } from '../kit/models';
import {
  diffusionOf,
  initialNoise,
  knownNoise,
  knownRegion,
  sessionFor,
  stepNoise,
  stepReporter,
} from '../kit/diffusion';

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
    keep: {
      type: 'Image',
      optional: true,
      description: 'after an inpainting edit: the 64x64 source, kept where the mask is 0 at every step',
    },
    mask: { type: 'Mask', optional: true, description: 'with keep: 1 = the edited region (64x64)' },
  },
  outputs: { image: 'Image' },
  params: {
    steps: integer({ min: 1, max: 1000, default: 7, label: 'Steps' }),
    eta: number({ min: 0, max: 1, step: 0.01, default: 0, label: 'eta' }),
    seed: seed({ default: 0, label: 'Seed' }),
  },
  run: async ({ upsampler, image, seed: seedIn, keep, mask }, p, ctx) => {
    const ref = diffusionOf(ctx, upsampler, 'upsampler', 'upsampler');
    if (image.shape[1] !== 32 || image.shape[2] !== 32)
      throw new NodeError(ctx.nodeId, `takes 32x32 images, got ${image.shape[1]}x${image.shape[2]}`, 'inputs.image');
    const n = image.shape[0]!;
    if (!keep !== !mask)
      throw new NodeError(
        ctx.nodeId,
        'keep and mask go together: connect both or neither',
        `inputs.${keep ? 'mask' : 'keep'}`,
      );
    if (keep && (keep.shape[0] !== 1 || keep.shape[1] !== 64 || keep.shape[2] !== 64))
      throw new NodeError(ctx.nodeId, `keep must be one 64x64 picture, got [${keep.shape.join(', ')}]`, 'inputs.keep');
    if (mask && (mask.shape[0] !== 1 || mask.shape[1] !== 64 || mask.shape[2] !== 64))
      throw new NodeError(ctx.nodeId, `mask must be one 64x64 mask, got [${mask.shape.join(', ')}]`, 'inputs.mask');
    const session = await withNode(ctx, 'inputs.upsampler', () => sessionFor(ctx, ref));
    const s = seedIn ?? p.seed;
    const x = await withNode(ctx, undefined, () =>
      sampleUpsampler(session, ref.spec, imageToChw(image), {
        steps: p.steps,
        eta: p.eta,
        xT: initialNoise(ctx, n, SIZE, s),
        noise: stepNoise(ctx.nodeType, n, SIZE, s),
        onStep: stepReporter(ctx, { h: 64, w: 64 }, 2),
        signal: ctx.signal,
        known:
          keep && mask
            ? { ...knownRegion(keep, mask, n), noise: knownNoise(ctx.nodeType, n, SIZE, s), resample: 1 }
            : undefined,
      }),
    );
    return { image: chwToImage(x, n, 64, 64) };
  },
});
