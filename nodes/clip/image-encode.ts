import { defineNode } from '../../src/node-api/define';
import { encodeImages } from '../../src/models/pipelines/clip';
import { clipOf, withNode } from '../kit/models';
import { runtimeFor } from '../kit/runtime';

export default defineNode({
  type: 'clip/image-encode',
  version: 1,
  title: 'CLIP image encode',
  description: "Images -> L2-normalized CLIP image embeddings [N, D] (resized to the model's input size)",
  inputs: { model: 'Model', image: 'Image' },
  outputs: { embedding: 'ImageEmbedding' },
  params: {},
  run: async ({ model, image }, _, ctx) => {
    const clip = clipOf(ctx, model);
    return withNode(ctx, 'inputs.image', async () => ({
      embedding: await encodeImages(await runtimeFor(ctx, clip), clip, image, (done, total) => {
        ctx.throwIfAborted();
        ctx.progress(done / total);
      }),
    }));
  },
});
