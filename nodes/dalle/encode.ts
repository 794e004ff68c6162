import { defineNode } from '../../src/node-api/define';
import { encodePictures } from '../../src/models/pipelines/dalle';
import { withNode } from '../kit/models';
import { dalleRefOf } from './shared';
import { runtimeFor } from '../kit/runtime';

export default defineNode({
  type: 'dalle/encode',
  version: 1,
  title: 'dVAE encode',
  description:
    "Pictures to the discrete VAE's grid of codes (DALL·E's image tokens); pictures are resized to the dVAE's " +
    'resolution first',
  inputs: { dvae: 'Model', image: 'Image' },
  outputs: { codes: 'Codes' },
  params: {},
  run: async ({ dvae, image }, _, ctx) => {
    const ref = dalleRefOf(ctx, dvae, 'dvae', 'dvae');
    const runtime = await runtimeFor(ctx, ref);
    const codes = await withNode(ctx, 'inputs.image', () => encodePictures(runtime, ref, image));
    return { codes: { codes, buckets: ref.spec.codes, grid: ref.spec.grid, codebook: ref.id } };
  },
});
