import { defineNode } from '../../src/node-api/define';
import { number } from '../../src/node-api';
import { normalize, slerp, sub } from '../../src/tensor/vector';
import { pairRows } from './shared';

export default defineNode({
  type: 'embedding/text-diff',
  version: 1,
  title: 'Text diff',
  description:
    'unCLIP text diffs: z_d = normalize(z_t - z_t0), then slerp(z_i, z_d, theta) rotates an image embedding ' +
    'towards the change',
  inputs: { image: 'ImageEmbedding', target: 'TextEmbedding', source: 'TextEmbedding' },
  outputs: { out: 'ImageEmbedding', diff: 'TextEmbedding' },
  params: { theta: number({ min: 0, max: 1, step: 0.01, default: 0.3, label: 'theta' }) },
  run: ({ image, target, source }, { theta }, ctx) => {
    const [t, s] = pairRows(ctx, target, source, ['target', 'source']);
    const diff = normalize(sub(t, s));
    const [zi, zd] = pairRows(ctx, image, diff, ['image', 'target']);
    return { out: slerp(zi, zd, theta), diff };
  },
});
