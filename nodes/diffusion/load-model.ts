import { defineNode } from '../../src/engine/define';
import { string } from '../../src/graph/params';
import { resolveDiffusion } from '../../src/models/unclip';
import { modelsOf, withNode } from '../kit/models';

export default defineNode({
  type: 'diffusion/load-model',
  version: 1,
  title: 'Load diffusion model',
  description:
    'A prior, decoder or upsampler from the model manifest (bundled: mini-unclip-prior, mini-unclip-decoder, ' +
    'mini-unclip-upsampler) or an external manifest; checks its sha256',
  inputs: {},
  outputs: { model: 'Model' },
  params: {
    model: string({ default: 'mini-unclip-decoder', label: 'Model id', maxLength: 200 }),
    manifest: string({
      default: '',
      label: 'Manifest (path or URL, empty = bundled)',
      maxLength: 2000,
      reference: true,
    }),
  },
  run: async (_, { model, manifest }, ctx) => {
    const bundled = modelsOf(ctx);
    return withNode(ctx, 'params.model', async () => {
      const runtime = manifest ? await bundled.external(manifest, ctx.services.readBytes) : bundled;
      const ref = resolveDiffusion(runtime, model);
      await runtime.session(ref.id);
      return { model: { ...ref, manifest } };
    });
  },
});
