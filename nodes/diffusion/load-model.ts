import { defineNode } from '../../src/node-api/define';
import { string } from '../../src/node-api';
import { resolveArPrior } from '../../src/models/pipelines/ar-prior';
import { resolveNoisedClip } from '../../src/models/pipelines/clip-guidance';
import { resolveDiffusion } from '../../src/models/pipelines/unclip';
import { withNode } from '../kit/models';
import { manifestParam, runtimeOfManifest } from '../kit/runtime';
import { refuseTooBig, withDownloads } from '../kit/downloads';

export default defineNode({
  type: 'diffusion/load-model',
  version: 1,
  title: 'Load diffusion model',
  description:
    'A prior, decoder or upsampler from the model manifest (bundled: mini-unclip-prior, mini-unclip-ar-prior, ' +
    'mini-unclip-decoder, mini-unclip-inpaint-decoder, mini-unclip-upsampler, and mini-clip-noised, the ' +
    'noise-aware CLIP for CLIP guidance), an external manifest, or a U-Net folder in diffusers’ layout ' +
    '(scheduler/scheduler_config.json, unet/config.json, unet/model.onnx: a decoder named after the folder); ' +
    'checks its sha256',
  inputs: {},
  outputs: { model: 'Model' },
  params: {
    model: string({
      default: 'mini-unclip-decoder',
      label: 'Model id',
      maxLength: 200,
      models: ['prior', 'ar-prior', 'decoder', 'upsampler', 'clip-noised'],
    }),
    manifest: manifestParam(),
  },
  run: async (_, { model, manifest }, ctx) => {
    return withNode(ctx, 'params.model', () =>
      withDownloads(ctx, manifest, model, async () => {
        const runtime = await runtimeOfManifest(ctx, manifest);
        const kind = runtime.entry(model).kind;
        const ref =
          kind === 'ar-prior'
            ? resolveArPrior(runtime, model)
            : kind === 'clip-noised'
              ? resolveNoisedClip(runtime, model)
              : resolveDiffusion(runtime, model);
        refuseTooBig(ctx, { manifest, model }, runtime, [ref.id]);
        await runtime.session(ref.id);
        return { model: { ...ref, manifest } };
      }),
    );
  },
});
