import { defineNode } from '../../src/node-api/define';
import { normalize } from '../../src/tensor/vector';

export default defineNode({
  type: 'embedding/normalize',
  version: 1,
  title: 'Normalize',
  description: 'L2-normalizes each embedding (unit length; a zero vector stays zero)',
  inputs: { in: 'Embedding' },
  outputs: { out: 'Embedding' },
  params: {},
  run: ({ in: x }) => ({ out: normalize(x) }),
});
