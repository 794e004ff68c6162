import { defineNode } from '../../src/node-api/define';
import { integer, seed } from '../../src/node-api';
import { gaussianBatch } from '../../src/tensor/noise';
import { float32 } from '../../src/tensor/tensor';
import { normalize } from '../../src/tensor/vector';

export default defineNode({
  type: 'embedding/random',
  version: 1,
  title: 'Random embeddings',
  description: 'Seeded unit vectors [N, D], uniform on the sphere: test inputs for the embedding ops',
  inputs: {},
  outputs: { out: 'Embedding' },
  params: {
    seed: seed({ default: 0, label: 'Seed' }),
    count: integer({ min: 1, max: 4096, default: 1, label: 'Count' }),
    dim: integer({ min: 1, max: 4096, default: 128, label: 'Dimension' }),
  },
  run: (_, { seed: s, count, dim }, ctx) => ({
    out: normalize(
      float32([count, dim], gaussianBatch({ seed: s, node: ctx.nodeType, purpose: 'embedding' }, count, dim)),
    ),
  }),
});
