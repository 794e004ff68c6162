import { defineNode } from '../../src/node-api/define';
import { enumeration, string } from '../../src/node-api';
import { MODEL_DTYPES } from '../../src/models/runtime/published-layout';
import { resolveClip } from '../../src/models/pipelines/clip';
import { withNode } from '../kit/models';
import { manifestParam, runtimeOfManifest } from '../kit/runtime';
import { refuseTooBig, withDownloads } from '../kit/downloads';

export default defineNode({
  type: 'clip/load-model',
  version: 1,
  title: 'Load CLIP',
  description:
    'A CLIP text + image encoder pair from the model manifest (bundled: mini-clip) or a model folder in the ' +
    'optimum / transformers.js layout (config.json, tokenizer.json, onnx/text_model.onnx, ...; dtype picks ' +
    'its file variant). Checks the files sha256 and opens both sessions',
  inputs: {},
  outputs: { model: 'Model' },
  params: {
    model: string({ default: 'mini-clip', label: 'Model id', maxLength: 200, models: ['clip'] }),
    manifest: manifestParam(),
    // a new param whose default is what every older graph meant: no migration (src/graph/migrate.ts)
    dtype: enumeration({
      options: MODEL_DTYPES,
      default: 'fp32',
      label: 'dtype',
      description: 'which files of a model folder: fp32 *.onnx, fp16 *_fp16.onnx, q8 *_quantized.onnx',
      shownWith: 'manifest',
    }),
  },
  run: async (_, { model, manifest, dtype }, ctx) => {
    return withNode(ctx, 'params.model', () =>
      withDownloads(ctx, manifest, model, async () => {
        const runtime = await runtimeOfManifest(ctx, manifest, dtype);
        const clip = resolveClip(runtime, model);
        refuseTooBig(ctx, { manifest, model }, runtime, [clip.text, clip.image]);
        await Promise.all([runtime.session(clip.text), runtime.session(clip.image), runtime.tokenizer(clip.text)]);
        return { model: { ...clip, manifest, ...(dtype === 'fp32' ? {} : { dtype }) } };
      }),
    );
  },
});
