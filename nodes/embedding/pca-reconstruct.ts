import { defineNode } from '../../src/node-api/define';
import { integer } from '../../src/node-api';
import { pcaReconstruct } from '../../src/tensor/pca';
import { resolveK } from './pca-shared';

export default defineNode({
  type: 'embedding/pca-reconstruct',
  version: 1,
  title: 'PCA reconstruct',
  description: 'Keeps the first k principal components of each embedding (0 = all)',
  inputs: { in: 'Embedding', basis: 'PcaBasis' },
  outputs: { out: 'Embedding' },
  params: { k: integer({ min: 0, max: 4096, default: 8, label: 'k' }) },
  run: ({ in: x, basis }, { k }, ctx) => ({ out: pcaReconstruct(x, basis, resolveK(ctx, basis, x, k)) }),
});
