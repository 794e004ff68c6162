import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { integer } from '../../src/node-api';
import { invertDecoder, sampleShape } from '../../src/models/pipelines/unclip';
import { boxDownsample, imageToChw } from '../../src/tensor/image';
import { float32 } from '../../src/tensor/tensor';
import { withNode } from '../kit/models';
import { decoderConditioning } from '../kit/conditioning';
import { diffusionOf, sessionFor, stepReporter } from '../kit/diffusion';

export default defineNode({
  type: 'diffusion/ddim-invert',
  version: 1,
  title: 'DDIM invert',
  description:
    "unCLIP's bipartite latent: runs the deterministic DDIM map backwards under the decoder conditioned on the " +
    "image's embedding, image -> x_T (images twice the decoder's size are box-downsampled to it)",
  inputs: {
    decoder: { type: 'Model', models: ['decoder'] },
    clip: 'Model',
    image: 'Image',
    embedding: 'ImageEmbedding',
    text: { type: 'Text', optional: true },
  },
  outputs: { latent: 'Latent' },
  params: { steps: integer({ min: 1, max: 1000, default: 50, label: 'Steps' }) },
  run: async ({ decoder, clip, image, embedding, text }, { steps }, ctx) => {
    const ref = diffusionOf(ctx, decoder, 'decoder', 'decoder');
    const session = await withNode(ctx, 'inputs.decoder', () => sessionFor(ctx, ref));
    const side = await withNode(ctx, 'inputs.decoder', async () => sampleShape(session.entry));
    let img = image;
    const h = img.shape[1]!,
      w = img.shape[2]!;
    if (h === 2 * side.height && w === 2 * side.width) img = boxDownsample(img, 2);
    else if (h !== side.height || w !== side.width || side.channels !== 3)
      throw new NodeError(
        ctx.nodeId,
        `takes ${side.height}x${side.width} or ${2 * side.height}x${2 * side.width} images (the decoder's size), ` +
          `got ${h}x${w}`,
        'inputs.image',
      );
    const n = img.shape[0]!;
    const cond = await decoderConditioning(ctx, ref, clip, embedding, text, n);
    const x0 = imageToChw(img).data;
    const xT = await withNode(ctx, undefined, () =>
      invertDecoder(session, ref.spec, x0, cond.embeds, cond.text, cond.empty, {
        steps,
        onStep: stepReporter(ctx, null, 1),
        signal: ctx.signal,
      }),
    );
    return { latent: float32([n, 3, side.height, side.width], xT) };
  },
});
