import { describe, expect, it } from 'vitest';
import {
  codeProbabilities,
  decodeCodes,
  encodePictures,
  resolveDalle,
  resolveDvae,
  sampleCodes,
  type DalleModelRef,
} from '../../src/models/pipelines/dalle';
import { boxDownsample } from '../../src/tensor/image';
import { float32, tensor } from '../../src/tensor/tensor';
import { bundledRuntime, runGraph, samplesNoise } from '../helpers/models';
import { sampledPictures } from '../helpers/scenes';

const runtime = await bundledRuntime();
const { transformer, dvae } = resolveDalle(runtime, 'mini-dalle');

describe('code probabilities (temperature, top-k, top-p)', () => {
  const logits = Float32Array.from([2, 1, 0.5, 0, -1, 3]);
  const sum = (p: Float64Array) => p.reduce((a, b) => a + b, 0);

  it('are a distribution that sharpens as the temperature falls', () => {
    const warm = codeProbabilities(logits, 1, 0, 1),
      cold = codeProbabilities(logits, 0.1, 0, 1);
    expect(sum(warm)).toBeCloseTo(1, 10);
    expect(sum(cold)).toBeCloseTo(1, 10);
    expect(warm[5]).toBeCloseTo(Math.exp(3) / [2, 1, 0.5, 0, -1, 3].reduce((a, v) => a + Math.exp(v), 0), 10);
    expect(cold[5]!).toBeGreaterThan(0.99);
  });

  it('keep the k most likely codes, or the fewest whose mass reaches p', () => {
    const k3 = codeProbabilities(logits, 1, 3, 1);
    expect([...k3].map((v, i) => (v > 0 ? i : -1)).filter((i) => i >= 0)).toEqual([0, 1, 5]);
    expect(sum(k3)).toBeCloseTo(1, 10);
    const full = codeProbabilities(logits, 1, 0, 1);
    const p = codeProbabilities(logits, 1, 0, full[5]! + 0.01); // just past the first code's mass: two codes
    expect([...p].filter((v) => v > 0)).toHaveLength(2);
    expect(codeProbabilities(logits, 1, 0, 1e-6).filter((v) => v > 0)).toHaveLength(1);
  });
});

describe('the bundled mini-DALL·E', () => {
  it('pairs the transformer with a dVAE of the same codebook and grid, found by any of its ids', () => {
    expect(transformer.spec).toMatchObject({ grid: 8, resolution: 32, dvae: 'mini-dalle-dvae' });
    expect(dvae).toMatchObject({ encoder: 'mini-dalle-dvae-encoder', decoder: 'mini-dalle-dvae-decoder' });
    expect(resolveDvae(runtime, 'mini-dalle-dvae-decoder').encoder).toBe('mini-dalle-dvae-encoder');
    expect(() => resolveDalle(runtime, 'mini-unclip-decoder')).toThrow(/no DALL·E transformer.*available: mini-dalle/);
  });

  it('reconstructs fresh renders through its codes at >= 28 dB', async () => {
    const img = sampledPictures(2024, 24);
    const codes = await encodePictures(runtime, dvae, img);
    expect(codes.shape).toEqual([24, 64]);
    const back = await decodeCodes(runtime, dvae, codes);
    const low = boxDownsample(img, 2);
    let mse = 0;
    for (let i = 0; i < low.data.length; i++) mse += (low.data[i]! - back.data[i]!) ** 2;
    expect(10 * Math.log10(low.data.length / mse)).toBeGreaterThan(28);
    await expect(
      decodeCodes(runtime, dvae, tensor('int32', [1, 64], new Int32Array(64).fill(dvae.spec.codes))),
    ).rejects.toThrow(/outside the codebook/);
  });

  it('samples the same grids for the same seeds, others for other seeds, and keeps a prefix exactly', async () => {
    const session = await runtime.session(transformer.id);
    const tok = await runtime.tokenizer(transformer.id);
    const b = tok.encodeBatch(['a large red circle', 'a small blue square at the top left on a black background']);
    const ids = tensor('int64', b.shape, b.ids);
    const opts = { temperature: 1, topK: 0, topP: 1 };
    const a = await sampleCodes(session, transformer.spec, ids, {
      ...opts,
      noise: samplesNoise(1),
    });
    const again = await sampleCodes(session, transformer.spec, ids, {
      ...opts,
      noise: samplesNoise(1),
    });
    const other = await sampleCodes(session, transformer.spec, ids, {
      ...opts,
      noise: samplesNoise(3),
    });
    expect(again.codes).toEqual(a.codes);
    expect(other.codes).not.toEqual(a.codes);
    expect(a.codes.every((c) => c >= 0 && c < transformer.spec.codes)).toBe(true);
    expect(a.chosen.every((p) => p > 0 && p <= 1)).toBe(true);
    const rows: number[] = [];
    const kept = await sampleCodes(session, transformer.spec, ids, {
      ...opts,
      noise: samplesNoise(5),
      prefix: a.codes,
      keep: 32,
      onRow: (row) => void rows.push(row),
    });
    for (let i = 0; i < 2; i++)
      expect(kept.codes.slice(i * 64, i * 64 + 32)).toEqual(a.codes.slice(i * 64, i * 64 + 32));
    expect(rows).toEqual([4, 5, 6, 7]);
  });

  it('samples with the cache what one uncached pass over the whole sequence predicts', async () => {
    const session = await runtime.session(transformer.id);
    const tok = await runtime.tokenizer(transformer.id);
    const b = tok.encodeBatch(['a green triangle']);
    const r = await sampleCodes(session, transformer.spec, tensor('int64', b.shape, b.ids), {
      noise: samplesNoise(9),
      temperature: 1,
      topK: 0,
      topP: 1,
    });
    const { layers, heads, headDim, textVocab, codes: k } = transformer.spec as Required<DalleModelRef['spec']>;
    const t = 16 + 63;
    const tokens = new BigInt64Array(t);
    tokens.set(b.ids, 0);
    for (let j = 0; j < 63; j++) tokens[16 + j] = BigInt(r.codes[j]! + textVocab);
    const bias = new Float32Array(t * t);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) bias[i * t + j] = -1e4;
    const out = await session.run({
      tokens: tensor('int64', [1, t], tokens),
      positions: tensor(
        'int64',
        [t],
        BigInt64Array.from({ length: t }, (_, i) => BigInt(i)),
      ),
      bias: float32([t, t], bias),
      past_keys: float32([layers, 1, heads, 0, headDim]),
      past_values: float32([layers, 1, heads, 0, headDim]),
    });
    const logits = out.logits!.data as Float32Array;
    for (let j = 0; j < 64; j++) {
      const p = codeProbabilities(logits.subarray((15 + j) * k, (16 + j) * k), 1, 0, 1);
      expect(Math.abs(p[r.codes[j]!]! - r.chosen[j]!)).toBeLessThan(1e-4);
    }
  });
});

describe('DALL·E nodes', () => {
  it('refuse PCA codes on dalle/decode and a dVAE on the transformer port, naming the port', async () => {
    const { result: r } = await runGraph(runtime, [
      { id: 'dalle', type: 'dalle/load-model', params: {} },
      { id: 'clip', type: 'clip/load-model', params: {} },
      { id: 'texts', type: 'text/lines', params: { text: 'a red circle\na blue square\na green cross' } },
      { id: 'emb', type: 'clip/text-encode', inputs: { model: 'clip.model', text: 'texts.text' } },
      { id: 'basis', type: 'embedding/pca-fit', params: { components: 2 }, inputs: { in: 'emb.embedding' } },
      {
        id: 'q',
        type: 'embedding/pca-quantize',
        params: { k: 2 },
        inputs: { in: 'emb.embedding', basis: 'basis.basis' },
      },
      { id: 'dec', type: 'dalle/decode', inputs: { dvae: 'dalle.dvae', codes: 'q.codes' } },
      { id: 'wrong', type: 'dalle/sample', inputs: { transformer: 'dalle.dvae', text: 'texts.text' } },
    ]);
    expect(r.nodes.dec).toMatchObject({ status: 'error', field: 'inputs.codes' });
    expect(r.nodes.dec!.message).toMatch(/not a picture grid/);
    expect(r.nodes.wrong).toMatchObject({ status: 'error', field: 'inputs.transformer' });
    expect(r.nodes.wrong!.message).toMatch(/needs a DALL·E transformer/);
  });

  it('an unknown word is reported on the caption input with the words the model knows', async () => {
    const { result: r } = await runGraph(runtime, [
      { id: 'dalle', type: 'dalle/load-model', params: {} },
      { id: 'prompt', type: 'text/prompt', params: { text: 'a red dragon' } },
      {
        id: 's',
        type: 'dalle/sample',
        params: { count: 1 },
        inputs: { transformer: 'dalle.transformer', text: 'prompt.text' },
      },
    ]);
    expect(r.nodes.s).toMatchObject({ status: 'error', field: 'inputs.text' });
    expect(r.nodes.s!.message).toMatch(/unknown word "dragon".*the model knows \d+ words: .*circle/);
    // and it is traced to where it was typed
    expect(r.nodes.s!.origin).toEqual({ nodeId: 'prompt', field: 'params.text' });
  });
});
