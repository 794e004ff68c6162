import { defineNode } from '../../src/engine/define';
import { string } from '../../src/graph/params';
import { resolveClip } from '../../src/models/clip';
import { modelsOf, withNode } from '../kit/models';

export default defineNode({
  type: 'clip/load-model',
  version: 1,
  title: 'Load CLIP',
  description:
    'A CLIP text + image encoder pair from the model manifest (bundled: mini-clip). Checks the files sha256 and ' +
    'opens both sessions',
  inputs: {},
  outputs: { model: 'Model' },
  params: {
    model: string({ default: 'mini-clip', label: 'Model id', maxLength: 200 }),
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
      const clip = resolveClip(runtime, model);
      await Promise.all([runtime.session(clip.text), runtime.session(clip.image), runtime.tokenizer(clip.text)]);
      return { model: { ...clip, manifest } };
    });
  },
});
