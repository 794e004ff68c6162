import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { enumeration, integer, number, seed } from '../../src/node-api';
import {
  isInpaintingDecoder,
  knownChannels,
  repeatRows,
  sampleDecoder,
  sampleShape,
} from '../../src/models/pipelines/unclip';
import { boxDownsample, chwToImage, imageDims, imageToChw } from '../../src/tensor/image';
import { maxPoolMask } from '../../src/tensor/mask';
import { float32 } from '../../src/tensor/tensor';
import { withNode } from '../kit/models';
import { captionClipInput, decoderConditioning } from '../kit/conditioning';
import {
  diffusionOf,
  initialNoise,
  knownNoise,
  knownRegion,
  sessionFor,
  stepNoise,
  stepReporter,
} from '../kit/diffusion';

export default defineNode({
  type: 'diffusion/inpaint',
  version: 1,
  title: 'Inpaint (unCLIP decoder)',
  description:
    'Regenerates the masked part of an image (mask 1) from a caption and/or an image embedding and keeps the rest, ' +
    'at the decoder’s size (bundled: 32x32). replace: any decoder; at every step the kept region is put back, ' +
    'noised to that step (RePaint), each step taken `resample` times. finetuned: a decoder trained to inpaint ' +
    '(GLIDE; the bundled mini-unclip-inpaint-decoder), which reads the masked image and the mask and draws the ' +
    'rest in one pass, its prediction pinned to the source where kept at every step (GLIDE’s sampler). ' +
    'Upsample, then composite over the source so pixels outside the mask come back exactly',
  inputs: {
    decoder: { type: 'Model', models: ['decoder'] },
    clip: captionClipInput,
    image: {
      type: 'Image',
      description: 'the source: one picture, the decoder’s size or a multiple (box-downsampled)',
    },
    mask: {
      type: 'Mask',
      description: '1 = regenerate; the source’s size (a block with any masked pixel regenerates)',
    },
    embedding: { type: 'ImageEmbedding', optional: true },
    text: { type: 'Text', optional: true, description: 'the caption of the whole edited scene' },
    seed: { type: 'Number', optional: true, description: 'overrides the seed param' },
  },
  outputs: { image: 'Image', mask: 'Mask' },
  params: {
    method: enumeration({ options: ['replace', 'finetuned'], default: 'replace', label: 'Method' }),
    steps: integer({ min: 1, max: 1000, default: 25, label: 'Steps' }),
    resample: integer({
      min: 1,
      max: 10,
      default: 3,
      label: 'Resample (replace)',
      description: 'each step taken this many times, re-noised in between: a smoother seam, that many model calls',
    }),
    eta: number({ min: 0, max: 1, step: 0.01, default: 0, label: 'eta' }),
    guidance: number({ min: 0, max: 20, step: 0.1, default: 3, label: 'Guidance scale' }),
    seed: seed({ default: 0, label: 'Seed' }),
    samples: integer({ min: 1, max: 64, default: 1, label: 'Samples' }),
  },
  run: async ({ decoder, clip, image, mask, embedding, text, seed: seedIn }, p, ctx) => {
    const ref = diffusionOf(ctx, decoder, 'decoder', 'decoder');
    const session = await withNode(ctx, 'inputs.decoder', () => sessionFor(ctx, ref));
    const shape = await withNode(ctx, 'inputs.decoder', async () => sampleShape(session.entry));
    const RES = shape.height;
    if (shape.channels !== 3 || shape.width !== RES)
      throw new NodeError(
        ctx.nodeId,
        `"${ref.id}" samples ${shape.channels} x ${shape.height} x ${shape.width}: Inpaint takes square RGB pictures`,
        'inputs.decoder',
      );
    const SIZE = 3 * RES * RES;
    const src = imageDims(image);
    if (src.n !== 1)
      throw new NodeError(ctx.nodeId, `takes one source picture, got a batch of ${src.n}`, 'inputs.image');
    if (src.h !== src.w || src.h % RES)
      throw new NodeError(
        ctx.nodeId,
        `the source is ${src.w}x${src.h}; it must be square, ${RES}x${RES} or a multiple`,
        'inputs.image',
      );
    const [mn, mh, mw] = mask.shape as [number, number, number, number];
    if (mh !== src.h || mw !== src.w)
      throw new NodeError(ctx.nodeId, `the mask is ${mw}x${mh}, the source ${src.w}x${src.h}`, 'inputs.mask');
    if (mn !== 1) throw new NodeError(ctx.nodeId, `takes one mask, got a batch of ${mn}`, 'inputs.mask');
    const inpainting = isInpaintingDecoder(session);
    if (p.method === 'finetuned' && !inpainting) {
      const names = session.entry.inputs.map((i) => i.name);
      throw new NodeError(
        ctx.nodeId,
        `finetuned needs an inpainting decoder (one that takes the masked image and the mask as inputs); ` +
          `"${ref.id}" takes ${names.join(', ')}: use method replace, which works with any decoder`,
        'params.method',
      );
    }
    const factor = src.h / RES;
    const small = factor === 1 ? image : boxDownsample(image, factor);
    const m32 = factor === 1 ? mask : maxPoolMask(mask, factor);
    // binary, as in the inpainting decoder's training: a block with any masked (or feathered) pixel is regenerated
    const binary = m32.data.map((v) => (v > 0 ? 1 : 0));
    const rows = Math.max(embedding?.shape[0] ?? 1, text?.length ?? 1);
    const n = rows * p.samples;
    const s = seedIn ?? p.seed;
    const cond = await decoderConditioning(
      ctx,
      ref,
      clip,
      embedding ? repeatRows(embedding, p.samples) : undefined,
      text ? text.flatMap((t) => Array(p.samples).fill(t) as string[]) : undefined,
      n,
    );
    const x = await withNode(ctx, undefined, () =>
      sampleDecoder(session, ref.spec, cond.embeds, cond.text, cond.empty, {
        steps: p.steps,
        eta: p.eta,
        guidance: p.guidance,
        xT: initialNoise(ctx, n, SIZE, s),
        noise: stepNoise(ctx.nodeType, n, SIZE, s),
        onStep: stepReporter(ctx, { h: RES, w: RES }, 5),
        signal: ctx.signal,
        // finetuned: the decoder reads the masked source and the mask and draws the rest itself, its x0 prediction
        // pinned to the source where it is kept (GLIDE's sampler); replace: the kept region is put back at every
        // step (with an inpainting decoder it also reads them)
        inpaint: inpainting ? knownChannels(imageToChw(small).data, binary, n) : undefined,
        pinX0: p.method === 'finetuned' ? knownRegion(small, float32(m32.shape, binary), n) : undefined,
        known:
          p.method === 'replace'
            ? { ...knownRegion(small, m32, n), noise: knownNoise(ctx.nodeType, n, SIZE, s), resample: p.resample }
            : undefined,
      }),
    );
    return { image: chwToImage(x, n, RES, RES), mask: m32 };
  },
});
