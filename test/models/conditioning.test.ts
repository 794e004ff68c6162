import { describe, expect, it } from 'vitest';
import { conditionEmbeddings } from '../../src/models/pipelines/unclip';
import { gaussianArray } from '../../src/tensor/prng';
import { float32, type Float32Tensor } from '../../src/tensor/tensor';
import { dotArrays, normalize } from '../../src/tensor/vector';
import { bundledRuntime, engineOn, graphText } from '../helpers/models';

const runtime = await bundledRuntime();

const rows = (t: Float32Tensor) => {
  const d = t.shape[1]!;
  return Array.from({ length: t.shape[0]! }, (_, i) => t.data.subarray(i * d, (i + 1) * d));
};
const dot = dotArrays;

describe("the decoder's conditioning controls on an embedding", () => {
  const e = normalize(float32([6, 128], gaussianArray(5, 6 * 128)));
  const key = (seed: number) => ({ seed, node: 'diffusion/decode', purpose: 'embedding-noise' });

  it('leave it alone at strength 1 without noise, and scale it by the strength', () => {
    expect(Array.from(conditionEmbeddings(e, 0, 1, key(3)).data)).toEqual(Array.from(e.data));
    expect(conditionEmbeddings(e, 0, 0, key(3)).data.every((v) => v === 0)).toBe(true);
    for (const r of rows(conditionEmbeddings(e, 0, 2.5, key(3)))) expect(Math.sqrt(dot(r, r))).toBeCloseTo(2.5, 5);
  });

  it('mix in a seeded random direction: the more noise, the less of the embedding is left', () => {
    const cos = (level: number, seed = 3) =>
      rows(conditionEmbeddings(e, level, 1, key(seed))).map((r, i) => dot(r, rows(e)[i]!) / Math.sqrt(dot(r, r)));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const [c25, c50, c90, c100] = [0.25, 0.5, 0.9, 1].map((l) => mean(cos(l))) as [number, number, number, number];
    expect(c25).toBeGreaterThan(c50);
    expect(c50).toBeGreaterThan(c90);
    expect(c50).toBeGreaterThan(0.75); // sqrt(1 - 0.25) = 0.87 for a noise direction orthogonal to e
    expect(c50).toBeLessThan(0.95);
    expect(Math.abs(c100)).toBeLessThan(0.3); // pure noise
    for (const r of rows(conditionEmbeddings(e, 0.5, 1.5, key(3)))) expect(Math.sqrt(dot(r, r))).toBeCloseTo(1.5, 5);
    expect(Array.from(conditionEmbeddings(e, 0.5, 1, key(3)).data)).toEqual(
      Array.from(conditionEmbeddings(e, 0.5, 1, key(3)).data),
    );
    expect(Array.from(conditionEmbeddings(e, 0.5, 1, key(4)).data)).not.toEqual(
      Array.from(conditionEmbeddings(e, 0.5, 1, key(3)).data),
    );
    expect(() => conditionEmbeddings(e, 1.5, 1, key(3))).toThrow(/outside \[0, 1\]/);
  });
});

describe('diffusion/decode with the controls', () => {
  const graph = (params: object) =>
    graphText([
      { id: 'clip', type: 'clip/load-model', params: {} },
      { id: 'm', type: 'diffusion/load-model', params: { model: 'mini-unclip-decoder' } },
      { id: 'src', type: 'world/render-scene', params: { caption: 'a large red circle', seed: 2 } },
      { id: 'emb', type: 'clip/image-encode', inputs: { model: 'clip.model', image: 'src.image' } },
      {
        id: 'with',
        type: 'diffusion/decode',
        params: { steps: 4, guidance: 3, seed: 9, ...params },
        inputs: { decoder: 'm.model', clip: 'clip.model', embedding: 'emb.embedding' },
      },
      {
        id: 'without',
        type: 'diffusion/decode',
        params: { steps: 4, guidance: 3, seed: 9 },
        inputs: { decoder: 'm.model', clip: 'clip.model' },
      },
    ]);
  const image = async (params: object) => {
    const e = engineOn(runtime);
    e.load(graph(params));
    const r = await e.run();
    expect(r.nodes.with!.status).toBe('done');
    return {
      with: e.outputsOf('with')!.image as Float32Tensor,
      without: e.outputsOf('without')!.image as Float32Tensor,
    };
  };

  it('at strength 0 decode as the caption-only path; noise changes the picture; 1 and 0 are the defaults', async () => {
    const zero = await image({ embeddingStrength: 0 });
    expect(Array.from(zero.with.data)).toEqual(Array.from(zero.without.data));
    const plain = await image({});
    const same = await image({ embeddingStrength: 1, embeddingNoise: 0 });
    expect(Array.from(same.with.data)).toEqual(Array.from(plain.with.data));
    expect(Array.from(plain.with.data)).not.toEqual(Array.from(zero.with.data));
    const noisy = await image({ embeddingNoise: 0.6 });
    expect(Array.from(noisy.with.data)).not.toEqual(Array.from(plain.with.data));
  });

  it('refuses a noise level outside [0, 1], naming the param', async () => {
    const e = engineOn(runtime);
    expect(() => e.load(graph({ embeddingNoise: 1.5 }))).toThrow(/with.*embeddingNoise/s);
  });
});
