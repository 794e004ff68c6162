import { defineNode } from '../../src/node-api/define';
import { integer, seed } from '../../src/node-api';
import { gaussianBatch } from '../../src/tensor/noise';
import { float32 } from '../../src/tensor/tensor';

export default defineNode({
  type: 'diffusion/noise',
  version: 1,
  title: 'Noise',
  description: 'A seeded Gaussian latent x_T [N, C, H, W]; the same seed gives the same bits everywhere',
  inputs: { seed: { type: 'Number', optional: true, description: 'overrides the seed param' } },
  outputs: { latent: 'Latent' },
  params: {
    seed: seed({ default: 0, label: 'Seed' }),
    batch: integer({ min: 1, max: 64, default: 1, label: 'Batch' }),
    channels: integer({ min: 1, max: 16, default: 3, label: 'Channels' }),
    height: integer({ min: 1, max: 256, default: 32, label: 'Height' }),
    width: integer({ min: 1, max: 256, default: 32, label: 'Width' }),
  },
  run: ({ seed: seedIn }, p, ctx) => {
    const size = p.channels * p.height * p.width;
    const noise = { seed: seedIn ?? p.seed, node: ctx.nodeType, purpose: 'x_T' };
    return { latent: float32([p.batch, p.channels, p.height, p.width], gaussianBatch(noise, p.batch, size)) };
  },
});
