import { defineNode } from '../../src/node-api/define';
import { integer, number, seed } from '../../src/node-api';
import { bestCandidates, repeatConditioning, samplePrior, textConditioning } from '../../src/models/pipelines/unclip';
import { clipOf, withNode } from '../kit/models';
import { runtimeFor } from '../kit/runtime';
import { diffusionOf, initialNoise, sessionFor, stepNoise, stepReporter } from '../kit/diffusion';
import { readCaptions } from '../kit/captions';

export default defineNode({
  type: 'diffusion/prior',
  version: 1,
  title: 'Diffusion prior',
  description:
    'unCLIP prior: caption -> CLIP image embedding by DDIM with classifier-free guidance; draws n candidates and ' +
    'keeps the one with the highest dot product with the text embedding',
  inputs: {
    prior: { type: 'Model', models: ['prior'] },
    clip: 'Model',
    text: 'Text',
    seed: { type: 'Number', optional: true, description: 'overrides the seed param' },
  },
  outputs: { embedding: 'ImageEmbedding', textEmbedding: 'TextEmbedding' },
  params: {
    steps: integer({ min: 1, max: 1000, default: 25, label: 'Steps' }),
    guidance: number({ min: 0, max: 20, step: 0.1, default: 4, label: 'Guidance scale' }),
    candidates: integer({ min: 1, max: 16, default: 2, label: 'Candidates (keep best)' }),
    eta: number({ min: 0, max: 1, step: 0.01, default: 0, label: 'eta' }),
    seed: seed({ default: 0, label: 'Seed' }),
  },
  run: async ({ prior, clip: clipModel, text, seed: seedIn }, p, ctx) => {
    const ref = diffusionOf(ctx, prior, 'prior', 'prior');
    const clip = clipOf(ctx, clipModel, 'clip');
    const runtime = await runtimeFor(ctx, clip);
    const cond = await withNode(ctx, 'inputs.text', () =>
      textConditioning(runtime, clip, readCaptions(ctx, runtime, clip.text, text, 'inputs.text')),
    );
    const session = await withNode(ctx, 'inputs.prior', () => sessionFor(ctx, ref));
    const n = text.length,
      k = p.candidates,
      d = cond.embeds.shape[1]!;
    const many = repeatConditioning(cond, k);
    const s = seedIn ?? p.seed;
    const samples = await withNode(ctx, undefined, () =>
      samplePrior(session, ref.spec, many, {
        steps: p.steps,
        eta: p.eta,
        guidance: p.guidance,
        xT: initialNoise(ctx, n * k, d, s),
        noise: stepNoise(ctx.nodeType, n * k, d, s),
        onStep: stepReporter(ctx, null, 1),
        signal: ctx.signal,
      }),
    );
    return { embedding: bestCandidates(samples, cond.embeds, k), textEmbedding: cond.embeds };
  },
});
