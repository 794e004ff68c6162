import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { integer, number, seed } from '../../src/node-api';
import { chwToImage, imageToChw } from '../../src/tensor/image';
import { sampleUpsampler, upsamplerSides } from '../../src/models/pipelines/upsampler';
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

/**
 * The noise streams' node name: the 32 -> 64 stage keeps the streams it has drawn since 0.2.0, any other size names
 * its side, so the stages of one cascade drawn with one seed take independent noise.
 */
const streamNode = (type: string, high: number) => (high === 64 ? type : `${type}@${high}`);

export default defineNode({
  type: 'diffusion/upsample',
  version: 1,
  title: 'Upsample (diffusion)',
  description:
    'A diffusion upsampler (trained on degraded low-res inputs, no text) by a few DDIM steps: the model sets the ' +
    'sizes, mini-unclip-upsampler 32x32 -> 64x64, mini-unclip-upsampler256 64x64 -> 256x256',
  inputs: {
    upsampler: { type: 'Model', models: ['upsampler'] },
    image: 'Image',
    seed: { type: 'Number', optional: true, description: 'overrides the seed param' },
    keep: {
      type: 'Image',
      optional: true,
      description: "after an inpainting edit: the source at the upsampler's output size, kept where the mask is 0",
    },
    mask: { type: 'Mask', optional: true, description: 'with keep: 1 = the edited region, at the output size' },
  },
  outputs: { image: 'Image' },
  params: {
    steps: integer({ min: 1, max: 1000, default: 7, label: 'Steps' }),
    eta: number({ min: 0, max: 1, step: 0.01, default: 0, label: 'eta' }),
    seed: seed({ default: 0, label: 'Seed' }),
  },
  run: async ({ upsampler, image, seed: seedIn, keep, mask }, p, ctx) => {
    const ref = diffusionOf(ctx, upsampler, 'upsampler', 'upsampler');
    const session = await withNode(ctx, 'inputs.upsampler', () => sessionFor(ctx, ref));
    const { low, high } = await withNode(ctx, 'inputs.upsampler', async () => upsamplerSides(session.entry));
    if (image.shape[1] !== low || image.shape[2] !== low)
      throw new NodeError(
        ctx.nodeId,
        `${ref.id} takes ${low}x${low} pictures, got ${image.shape[2]}x${image.shape[1]}` +
          (image.shape[1] === high ? ` (already ${high}x${high}: this stage comes after the one that made it)` : ''),
        'inputs.image',
      );
    const n = image.shape[0]!;
    if (!keep !== !mask)
      throw new NodeError(
        ctx.nodeId,
        'keep and mask go together: connect both or neither',
        `inputs.${keep ? 'mask' : 'keep'}`,
      );
    // keep and mask: one picture and one mask at the output size, the node that makes one named when it is not
    for (const [port, t, what, resize] of [
      ['keep', keep, 'picture', 'image/resize'],
      ['mask', mask, 'mask', 'mask/resize'],
    ] as const)
      if (t && (t.shape[0] !== 1 || t.shape[1] !== high || t.shape[2] !== high))
        throw new NodeError(
          ctx.nodeId,
          `${port} must be one ${high}x${high} ${what} (${ref.id}'s output size), got [${t.shape.join(', ')}]` +
            (t.shape[1] !== high ? `: ${resize} makes one` : ''),
          `inputs.${port}`,
        );
    const size = 3 * high * high;
    const s = seedIn ?? p.seed;
    const node = streamNode(ctx.nodeType, high);
    const x = await withNode(ctx, undefined, () =>
      sampleUpsampler(session, ref.spec, imageToChw(image), {
        steps: p.steps,
        eta: p.eta,
        xT: initialNoise(ctx, n, size, s, undefined, node),
        noise: stepNoise(node, n, size, s),
        onStep: stepReporter(ctx, { h: high, w: high }, 2),
        signal: ctx.signal,
        known:
          keep && mask
            ? { ...knownRegion(keep, mask, n), noise: knownNoise(node, n, size, s), resample: 1 }
            : undefined,
      }),
    );
    return { image: chwToImage(x, n, high, high) };
  },
});
