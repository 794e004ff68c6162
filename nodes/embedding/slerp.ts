import { defineNode } from '../../src/node-api/define';
import { number } from '../../src/node-api';
import { slerp } from '../../src/tensor/vector';
import { pairRows } from './shared';

export default defineNode({
  type: 'embedding/slerp',
  version: 1,
  title: 'Slerp',
  description: 'Spherical interpolation between two embeddings (unit norm kept)',
  inputs: { a: 'Embedding', b: 'Embedding' },
  outputs: { out: 'Embedding' },
  params: { t: number({ min: 0, max: 1, step: 0.01, default: 0.5, label: 't' }) },
  run: ({ a, b }, { t }, ctx) => {
    const [x, y] = pairRows(ctx, a, b, ['a', 'b']);
    return { out: slerp(x, y, t) };
  },
});
