import { defineNode } from '../../src/node-api/define';
import { decodeCodes } from '../../src/models/pipelines/dalle';
import { withNode } from '../kit/models';
import { checkGridCodes, dalleRefOf } from './shared';
import { runtimeFor } from '../kit/runtime';

export default defineNode({
  type: 'dalle/decode',
  version: 1,
  title: 'dVAE decode',
  description:
    "A grid of codes back to a picture by the discrete VAE's decoder (32x32; upsample for 64x64); codes passes the " +
    'grid through, to see it beside the picture',
  inputs: { dvae: 'Model', codes: 'Codes' },
  outputs: { image: 'Image', codes: 'Codes' },
  params: {},
  run: async ({ dvae, codes }, _, ctx) => {
    const ref = dalleRefOf(ctx, dvae, 'dvae', 'dvae');
    checkGridCodes(ctx, codes, ref, 'codes');
    const runtime = await runtimeFor(ctx, ref);
    return { image: await withNode(ctx, 'inputs.codes', () => decodeCodes(runtime, ref, codes.codes)), codes };
  },
});
