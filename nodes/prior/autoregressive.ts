import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { article } from '../../src/node-api';
import { enumeration, integer, number, seed } from '../../src/node-api';
import {
  arPriorBasis,
  dotRange,
  sampleArPrior,
  type ArPriorModelRef,
  type DotChoice,
} from '../../src/models/pipelines/ar-prior';
import { bestCandidateRows, repeatConditioning, textConditioning } from '../../src/models/pipelines/unclip';
import { float32, tensor } from '../../src/tensor/tensor';
import { clipOf, withNode } from '../kit/models';
import { runtimeFor } from '../kit/runtime';
import { readCaptions } from '../kit/captions';

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : v > 0 ? '+inf' : '-inf');

export default defineNode({
  type: 'prior/autoregressive',
  version: 1,
  title: 'Autoregressive prior',
  description:
    "unCLIP's AR prior: caption -> the CLIP image embedding's PCA components, one quantized bucket at a time, " +
    'conditioned on a text-image dot-product token drawn from the upper half of its distribution (as the paper ' +
    'samples); outputs the codes and basis for embedding/pca-dequantize and the dequantized embedding',
  inputs: {
    prior: {
      type: 'Model',
      description: 'an ar-prior model (diffusion/load-model: mini-unclip-ar-prior)',
      models: ['ar-prior'],
    },
    clip: 'Model',
    text: 'Text',
    seed: { type: 'Number', optional: true, description: 'overrides the seed param' },
  },
  outputs: {
    embedding: 'ImageEmbedding',
    codes: 'Codes',
    basis: 'PcaBasis',
    textEmbedding: 'TextEmbedding',
    dot: 'Scores',
  },
  params: {
    temperature: number({ min: 0.05, max: 3, step: 0.05, default: 1, label: 'Temperature' }),
    topK: integer({ min: 0, max: 65536, default: 0, label: 'Top-k (0 = all)' }),
    dot: enumeration({
      options: ['upper-half', 'any', 'top'],
      default: 'upper-half',
      label: 'Dot-product token',
      description: 'upper-half: the paper; any: the whole distribution; top: the highest bucket',
    }),
    candidates: integer({ min: 1, max: 16, default: 1, label: 'Candidates (keep best)' }),
    seed: seed({ default: 0, label: 'Seed' }),
  },
  run: async ({ prior, clip: clipModel, text, seed: seedIn }, p, ctx) => {
    if (prior.kind !== 'ar-prior')
      throw new NodeError(
        ctx.nodeId,
        `needs an ar-prior model (mini-unclip-ar-prior), got ${article(prior.kind)} ${prior.kind} model ` +
          `("${prior.id}")`,
        'inputs.prior',
      );
    const ref = prior as ArPriorModelRef;
    if (text.length === 0) throw new NodeError(ctx.nodeId, 'no caption to sample from', 'inputs.text');
    const clip = clipOf(ctx, clipModel, 'clip');
    const clipRuntime = await runtimeFor(ctx, clip);
    const cond = await withNode(ctx, 'inputs.text', () =>
      textConditioning(clipRuntime, clip, readCaptions(ctx, clipRuntime, clip.text, text, 'inputs.text')),
    );
    const d = cond.embeds.shape[1]!;
    if (d !== ref.spec.pca.mean.length)
      throw new NodeError(
        ctx.nodeId,
        `the CLIP model's embeddings are ${d}-dimensional, the prior models ${ref.spec.pca.mean.length}`,
        'inputs.clip',
      );
    const runtime = await runtimeFor(ctx, ref);
    const session = await withNode(ctx, 'inputs.prior', () => runtime.session(ref.id));
    const n = text.length,
      c = p.candidates,
      k = ref.spec.components,
      s = seedIn ?? p.seed;
    const r = await withNode(ctx, undefined, () =>
      sampleArPrior(session, ref.spec, repeatConditioning(cond, c), {
        noise: { seed: s, node: ctx.nodeType, purpose: 'components' },
        temperature: p.temperature,
        topK: p.topK,
        dot: p.dot as DotChoice,
        signal: ctx.signal,
        onComponent: (done, total) => ctx.progress(done / total, { step: done, steps: total }),
      }),
    );
    // best of the candidates by dot product with the caption's text embedding, as the diffusion prior keeps
    const keep = bestCandidateRows(r.embeddings, cond.embeds, c);
    const embedding = new Float32Array(n * d),
      codes = new Int32Array(n * k);
    keep.forEach((row, i) => {
      embedding.set(r.embeddings.data.subarray(row * d, (row + 1) * d), i * d);
      codes.set(r.codes.subarray(row * k, (row + 1) * k), i * k);
    });
    const b = ref.spec.dotBuckets;
    const lo = p.dot === 'top' ? b - 1 : p.dot === 'upper-half' ? Math.floor(b / 2) : 0;
    const drawn = new Float32Array(b);
    keep.forEach((row) => (drawn[r.dotBuckets[row]!]! += 1 / n));
    const basis = arPriorBasis(ref.spec);
    return {
      embedding: float32([n, d], embedding),
      codes: {
        codes: tensor('int32', [n, k], codes),
        min: basis.min.data.slice(),
        max: basis.max.data.slice(),
        buckets: ref.spec.buckets,
      },
      basis,
      textEmbedding: cond.embeds,
      dot: {
        values: float32([2, b], [...Array.from({ length: b }, (_, j) => (j >= lo ? 1 / (b - lo) : 0)), ...drawn]),
        labels: Array.from({ length: b }, (_, j) => {
          const [a, z] = dotRange(ref.spec, j);
          return `${fmt(a)}..${fmt(z)}`;
        }),
        rowLabels: ['p(dot bucket) when sampling', 'share of the kept samples'],
      },
    };
  },
});
