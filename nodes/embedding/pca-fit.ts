import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { integer } from '../../src/node-api';
import { pcaFit } from '../../src/tensor/pca';

export default defineNode({
  type: 'embedding/pca-fit',
  version: 1,
  title: 'PCA fit',
  description: 'Fits principal components to a set of embeddings (0 components = all)',
  inputs: { in: 'Embedding' },
  outputs: { basis: 'PcaBasis' },
  params: { components: integer({ min: 0, max: 4096, default: 0, label: 'Components' }) },
  run: ({ in: x }, { components }, ctx) => {
    const [n, d] = x.shape as [number, number];
    if (n < 2) throw new NodeError(ctx.nodeId, `needs at least 2 embeddings to fit, got ${n}`, 'inputs.in');
    if (components > d)
      throw new NodeError(
        ctx.nodeId,
        `${components} components asked of ${d}-dimensional embeddings`,
        'params.components',
      );
    return { basis: pcaFit(x, components || d) };
  },
});
