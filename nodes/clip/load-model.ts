import { defineNode } from '../../src/node-api/define';
import { string } from '../../src/node-api';
import { resolveClip } from '../../src/models/pipelines/clip';
import { withNode } from '../kit/models';
import { manifestParam, runtimeOfManifest } from '../kit/runtime';

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
    model: string({ default: 'mini-clip', label: 'Model id', maxLength: 200, models: ['clip'] }),
    manifest: manifestParam(),
  },
  run: async (_, { model, manifest }, ctx) => {
    return withNode(ctx, 'params.model', async () => {
      const runtime = await runtimeOfManifest(ctx, manifest);
      const clip = resolveClip(runtime, model);
      await Promise.all([runtime.session(clip.text), runtime.session(clip.image), runtime.tokenizer(clip.text)]);
      return { model: { ...clip, manifest } };
    });
  },
});
