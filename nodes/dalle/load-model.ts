import { defineNode } from '../../src/node-api/define';
import { string } from '../../src/node-api';
import { resolveDalle } from '../../src/models/pipelines/dalle';
import { withNode } from '../kit/models';
import { manifestParam, runtimeOfManifest } from '../kit/runtime';
import { refuseTooBig, withDownloads } from '../kit/downloads';

export default defineNode({
  type: 'dalle/load-model',
  version: 1,
  title: 'Load DALL·E',
  description:
    'The DALL·E transformer and its discrete VAE from the model manifest (bundled: mini-dalle). Checks the files ' +
    'sha256 and opens the sessions',
  inputs: {},
  outputs: { transformer: 'Model', dvae: 'Model' },
  params: {
    model: string({ default: 'mini-dalle', label: 'Model id', maxLength: 200, models: ['dalle'] }),
    manifest: manifestParam(),
  },
  run: async (_, { model, manifest }, ctx) => {
    return withNode(ctx, 'params.model', () =>
      withDownloads(ctx, manifest, model, async () => {
        const runtime = await runtimeOfManifest(ctx, manifest);
        const { transformer, dvae } = resolveDalle(runtime, model);
        refuseTooBig(ctx, { manifest, model }, runtime, [transformer.id, dvae.encoder, dvae.decoder]);
        await Promise.all([
          runtime.session(transformer.id),
          runtime.tokenizer(transformer.id),
          runtime.session(dvae.encoder),
          runtime.session(dvae.decoder),
        ]);
        return { transformer: { ...transformer, manifest }, dvae: { ...dvae, manifest } };
      }),
    );
  },
});
