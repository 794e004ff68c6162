import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Codes, Scores } from '../../src/node-api/values';
import {
  arPriorBasis,
  arPriorRange,
  dotBucketOf,
  resolveArPrior,
  sampleArPrior,
} from '../../src/models/pipelines/ar-prior';
import { encodeImages, resolveClip } from '../../src/models/pipelines/clip';
import { parseManifest } from '../../src/models/runtime/manifest';
import { textConditioning } from '../../src/models/pipelines/unclip';
import { pcaProject, pcaUnproject } from '../../src/tensor/pca';
import { createRng } from '../../src/tensor/prng';
import { dequantize, quantize } from '../../src/tensor/quantize';
import type { Float32Tensor } from '../../src/tensor/tensor';
import { dot } from '../../src/tensor/vector';
import { bundledRuntime, runGraph, samplesNoise } from '../helpers/models';
import { sampledPictures } from '../helpers/scenes';

const runtime = await bundledRuntime();
const prior = resolveArPrior(runtime, 'mini-unclip-ar-prior');
const clip = resolveClip(runtime, 'mini-clip');

const dotRows = (a: Float32Tensor, b: Float32Tensor) => Array.from(dot(a, b).data);

type ArSection = {
  pca: { mean: number[]; components: number[]; variance: number[]; min: number[]; max: number[] };
  dotEdges: number[];
};

describe('the AR prior section of a manifest', () => {
  const bundled = () => JSON.parse(readFileSync(new URL('../../public/models/manifest.json', import.meta.url), 'utf8'));
  const withPrior = (edit: (a: ArSection) => void) => {
    const m = bundled();
    edit(m.models.find((e: { id: string }) => e.id === 'mini-unclip-ar-prior').arPrior);
    return () => parseManifest(m, 'm.json');
  };

  it('is checked for sizes that agree, naming the field', () => {
    expect(() => parseManifest(bundled())).not.toThrow();
    expect(withPrior((a) => a.pca.components.pop())).toThrow(/arPrior\.pca\.components has \d+ values, 29 components/);
    expect(withPrior((a) => a.pca.min.push(0))).toThrow(/arPrior\.pca\.min has 30 values for 29 components/);
    expect(withPrior((a) => (a.pca.max[3] = a.pca.min[3]!))).toThrow(/every min must be below its max/);
    expect(withPrior((a) => a.dotEdges.pop())).toThrow(/dotEdges has 14 edges for 16 buckets/);
    expect(withPrior((a) => a.dotEdges.reverse())).toThrow(/dotEdges must not decrease/);
    expect(withPrior((a) => (a.pca.mean = a.pca.mean.slice(1)))).toThrow(/pca\.mean has 127 values for embedDim 128/);
  });

  it('is required of an ar-prior model and refused on any other', () => {
    const m = bundled();
    delete m.models.find((e: { id: string }) => e.id === 'mini-unclip-ar-prior').arPrior;
    expect(() => parseManifest(m, 'm.json')).toThrow(/ar-prior model without its "arPrior" section/);
    const n = bundled();
    n.models.find((e: { id: string }) => e.id === 'mini-unclip-prior').arPrior = bundled().models.find(
      (e: { id: string }) => e.id === 'mini-unclip-ar-prior',
    ).arPrior;
    expect(() => parseManifest(n, 'm.json')).toThrow(/has an "arPrior" section but is not an ar-prior model/);
  });
});

describe('the dot-product token', () => {
  it('is drawn from the upper half of the buckets, from all of them, or is the top one', () => {
    const rng = createRng(3);
    const upper = new Set<number>(),
      any = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      upper.add(dotBucketOf('upper-half', 16, rng.next()));
      any.add(dotBucketOf('any', 16, rng.next()));
    }
    expect([...upper].sort((a, b) => a - b)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(any.size).toBe(16);
    expect(dotBucketOf('top', 16, 0.2)).toBe(15);
    expect(dotBucketOf('upper-half', 16, 0.999999)).toBe(15);
  });
});

describe('the bundled AR prior', () => {
  it('ships a basis keeping >= 99% of the variance that codes image embeddings to within cosine 0.99', async () => {
    const a = prior.spec;
    expect(a.varianceKept).toBeGreaterThanOrEqual(0.99);
    const basis = arPriorBasis(a);
    expect(basis.components.shape).toEqual([a.components, 128]);
    const x = await encodeImages(runtime, clip, sampledPictures(77, 12));
    const back = pcaUnproject(
      dequantize(quantize(pcaProject(x, basis, a.components), arPriorRange(a)), arPriorRange(a)),
      basis,
    );
    const cos = dotRows(x, back).map((v, i) => v / Math.hypot(...back.data.subarray(i * 128, (i + 1) * 128)));
    expect(Math.min(...cos)).toBeGreaterThan(0.99);
  });

  it('samples deterministically per seed: buckets in range, unit embeddings that agree with the caption', async () => {
    const texts = ['a red circle', 'a large blue square on a black background', 'a small yellow triangle'];
    const cond = await textConditioning(runtime, clip, texts);
    const session = await runtime.session(prior.id);
    const opts = {
      noise: samplesNoise(1),
      temperature: 1,
      topK: 0,
      dot: 'upper-half' as const,
    };
    const [a, b] = [
      await sampleArPrior(session, prior.spec, cond, opts),
      await sampleArPrior(session, prior.spec, cond, opts),
    ];
    expect(Array.from(a.codes)).toEqual(Array.from(b.codes));
    expect(a.codes.length).toBe(3 * prior.spec.components);
    expect(Math.min(...a.codes)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.codes)).toBeLessThan(prior.spec.buckets);
    expect([...a.dotBuckets].every((v) => v >= 8)).toBe(true);
    for (let i = 0; i < 3; i++)
      expect(Math.hypot(...a.embeddings.data.subarray(i * 128, (i + 1) * 128))).toBeCloseTo(1, 5);
    // each embedding is closer to its own caption's text embedding than to the others'
    const d = 128;
    for (let i = 0; i < 3; i++) {
      const sims = [0, 1, 2].map((j) => {
        let s = 0;
        for (let q = 0; q < d; q++) s += a.embeddings.data[i * d + q]! * cond.embeds.data[j * d + q]!;
        return s;
      });
      expect(sims.indexOf(Math.max(...sims))).toBe(i);
    }
    const other = await sampleArPrior(session, prior.spec, cond, {
      ...opts,
      noise: samplesNoise(4),
    });
    expect(Array.from(other.codes)).not.toEqual(Array.from(a.codes));
  });

  it('conditions each sample on the dot-product bucket its option asks for, which changes the sample', async () => {
    // whether the model follows the token is a quality figure (eval:unclip -- --compose --ar), not a test
    const texts = ['a red circle', 'a green square', 'a blue cross', 'a pink triangle'];
    const cond = await textConditioning(runtime, clip, texts);
    const session = await runtime.session(prior.id);
    const noise = samplesNoise(100);
    const top = await sampleArPrior(session, prior.spec, cond, { noise, temperature: 1, topK: 0, dot: 'top' });
    const any = await sampleArPrior(session, prior.spec, cond, { noise, temperature: 1, topK: 0, dot: 'any' });
    expect([...top.dotBuckets]).toEqual([15, 15, 15, 15]);
    expect(new Set(any.dotBuckets).size).toBeGreaterThan(1);
    expect(Array.from(top.codes)).not.toEqual(Array.from(any.codes));
  });
});

describe('prior/autoregressive', () => {
  /** Runs these nodes after mini-CLIP ("clip") and the caption "a red circle" ("prompt"). */
  const runAfterClipAndPrompt = (nodes: object[]) =>
    runGraph(runtime, [
      { id: 'clip', type: 'clip/load-model', params: {} },
      { id: 'prompt', type: 'text/prompt', params: { text: 'a red circle' } },
      ...nodes,
    ]);

  it('gives codes and a basis that embedding/pca-dequantize turns back into its embedding', async () => {
    const { engine: e, result: r } = await runAfterClipAndPrompt([
      { id: 'm', type: 'diffusion/load-model', params: { model: 'mini-unclip-ar-prior' } },
      {
        id: 'ar',
        type: 'prior/autoregressive',
        params: { candidates: 2, seed: 5 },
        inputs: { prior: 'm.model', clip: 'clip.model', text: 'prompt.text' },
      },
      { id: 'deq', type: 'embedding/pca-dequantize', inputs: { codes: 'ar.codes', basis: 'ar.basis' } },
      { id: 'norm', type: 'embedding/normalize', inputs: { in: 'deq.out' } },
    ]);
    expect(Object.values(r.nodes).every((n) => n.status === 'done')).toBe(true);
    const out = e.outputsOf('ar')!;
    const codes = out.codes as Codes;
    expect(codes.codes.shape).toEqual([1, prior.spec.components]);
    const emb = out.embedding as Float32Tensor,
      norm = e.outputsOf('norm')!.out as Float32Tensor;
    for (let q = 0; q < 128; q++) expect(norm.data[q]).toBeCloseTo(emb.data[q]!, 5);
    const dot = out.dot as Scores;
    expect(dot.values.shape).toEqual([2, 16]);
    expect(Array.from(dot.values.data.subarray(0, 8))).toEqual(new Array(8).fill(0));
    expect(dot.values.data.subarray(16).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('refuses a diffusion prior on its port and is refused by the diffusion prior, naming the port', async () => {
    const { result: r } = await runAfterClipAndPrompt([
      { id: 'dp', type: 'diffusion/load-model', params: { model: 'mini-unclip-prior' } },
      { id: 'ap', type: 'diffusion/load-model', params: { model: 'mini-unclip-ar-prior' } },
      {
        id: 'a',
        type: 'prior/autoregressive',
        inputs: { prior: 'dp.model', clip: 'clip.model', text: 'prompt.text' },
      },
      { id: 'b', type: 'diffusion/prior', inputs: { prior: 'ap.model', clip: 'clip.model', text: 'prompt.text' } },
    ]);
    expect(r.nodes.a).toMatchObject({ status: 'error', field: 'inputs.prior' });
    expect(r.nodes.a!.message).toMatch(/needs an ar-prior model .*got a prior model \("mini-unclip-prior"\)/);
    expect(r.nodes.b).toMatchObject({ status: 'error', field: 'inputs.prior' });
    expect(r.nodes.b!.message).toMatch(/needs a prior model, got an ar-prior model/);
  });
});
