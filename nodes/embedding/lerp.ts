import { defineNode } from '../../src/node-api/define';
import { number } from '../../src/node-api';
import { lerp } from '../../src/tensor/vector';
import { pairRows } from './shared';

export default defineNode({
  type: 'embedding/lerp',
  version: 1,
  title: 'Lerp',
  description: 'Linear interpolation (1 - t) a + t b',
  inputs: { a: 'Embedding', b: 'Embedding' },
  outputs: { out: 'Embedding' },
  params: { t: number({ min: 0, max: 1, step: 0.01, default: 0.5, label: 't' }) },
  run: ({ a, b }, { t }, ctx) => {
    const [x, y] = pairRows(ctx, a, b, ['a', 'b']);
    return { out: lerp(x, y, t) };
  },
});
