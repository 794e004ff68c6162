import { defineNode } from '../../src/node-api/define';
import { integer } from '../../src/node-api';
import { pcaProject } from '../../src/tensor/pca';
import { quantize } from '../../src/tensor/quantize';
import { resolveK } from './pca-shared';

export default defineNode({
  type: 'embedding/pca-quantize',
  version: 1,
  title: 'PCA quantize',
  description:
    "The unCLIP AR prior's input: project onto the first k components, quantize each into B buckets over the " +
    'fitted range',
  inputs: { in: 'Embedding', basis: 'PcaBasis' },
  outputs: { codes: 'Codes' },
  params: {
    k: integer({ min: 0, max: 4096, default: 0, label: 'k' }),
    buckets: integer({ min: 2, max: 65536, default: 1024, label: 'Buckets' }),
  },
  run: ({ in: x, basis }, { k, buckets }, ctx) => {
    const kk = resolveK(ctx, basis, x, k);
    const range = { min: basis.min.data.slice(0, kk), max: basis.max.data.slice(0, kk), buckets };
    return { codes: { codes: quantize(pcaProject(x, basis, kk), range), ...range } };
  },
});
