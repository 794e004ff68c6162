import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { integer, number, seed } from '../../src/node-api';
import { decodeCodes, resolveDvae, sampleCodes } from '../../src/models/pipelines/dalle';
import { float32, tensor } from '../../src/tensor/tensor';
import { withNode } from '../kit/models';
import { checkGridCodes, dalleRefOf } from './shared';
import { runtimeFor } from '../kit/runtime';
import { readCaptions } from '../kit/captions';

export default defineNode({
  type: 'dalle/sample',
  version: 1,
  title: 'DALL·E sample',
  description:
    'Samples grids of image codes from a caption with the DALL·E transformer, one code at a time (temperature, ' +
    'top-k, top-p); ' +
    'with a prefix grid, its first rows are kept and the rest completed. Decode with dalle/decode, rerank with ' +
    'rank/clip-rank',
  inputs: {
    transformer: 'Model',
    text: 'Text',
    seed: { type: 'Number', optional: true, description: 'overrides the seed param' },
    prefix: { type: 'Codes', optional: true, description: 'a code grid (dalle/encode) whose first rows are kept' },
  },
  outputs: { codes: 'Codes', captions: 'Text', chosen: 'Scores', top5: 'Scores' },
  params: {
    count: integer({ min: 1, max: 64, default: 8, label: 'Samples per caption' }),
    temperature: number({ min: 0.05, max: 3, step: 0.05, default: 1, label: 'Temperature' }),
    topK: integer({ min: 0, max: 65536, default: 0, label: 'Top-k (0 = all)' }),
    topP: number({ min: 0.01, max: 1, step: 0.01, default: 1, label: 'Top-p (1 = all)' }),
    keepRows: integer({ min: 0, max: 64, default: 4, label: 'Prefix rows kept' }),
    seed: seed({ default: 0, label: 'Seed' }),
  },
  run: async ({ transformer, text, seed: seedIn, prefix }, p, ctx) => {
    const ref = dalleRefOf(ctx, transformer, 'dalle', 'transformer');
    const runtime = await runtimeFor(ctx, ref);
    const dvae = await withNode(ctx, 'inputs.transformer', async () => resolveDvae(runtime, ref.dvae));
    const { grid, codes: k } = ref.spec;
    const cells = grid * grid;
    if (text.length === 0) throw new NodeError(ctx.nodeId, 'no caption to sample from', 'inputs.text');
    if (p.keepRows > grid)
      throw new NodeError(ctx.nodeId, `keeps ${p.keepRows} rows of a ${grid}-row grid`, 'params.keepRows');
    let keep = 0;
    if (prefix) {
      checkGridCodes(ctx, prefix, dvae, 'prefix');
      const rows = prefix.codes.shape[0]!;
      if (rows !== 1 && rows !== text.length * p.count)
        throw new NodeError(
          ctx.nodeId,
          `the prefix has ${rows} grids; give 1 (shared) or one per sample (${text.length * p.count})`,
          'inputs.prefix',
        );
      keep = p.keepRows * grid;
    }
    const tok = await withNode(ctx, 'inputs.transformer', () => runtime.tokenizer(ref.id));
    const batch = await withNode(ctx, 'inputs.text', async () =>
      tok.encodeBatch(readCaptions(ctx, runtime, ref.id, text, 'inputs.text')),
    );
    const n = text.length * p.count,
      tl = batch.shape[1];
    const ids = new BigInt64Array(n * tl);
    const captions: string[] = [];
    for (let i = 0; i < n; i++) {
      const c = Math.floor(i / p.count);
      ids.set(batch.ids.subarray(c * tl, (c + 1) * tl), i * tl);
      captions.push(text[c]!);
    }
    const s = seedIn ?? p.seed;
    const session = await withNode(ctx, 'inputs.transformer', () => runtime.session(ref.id));
    const r = await withNode(ctx, undefined, () =>
      sampleCodes(session, ref.spec, tensor('int64', [n, tl], ids), {
        noise: { seed: s, node: ctx.nodeType, purpose: 'codes' },
        temperature: p.temperature,
        topK: Math.min(p.topK, k),
        topP: p.topP,
        prefix: prefix?.codes.data,
        prefixRows: prefix?.codes.shape[0],
        keep,
        signal: ctx.signal,
        onRow: async (row, codes) => {
          // the first sample so far: sampled rows decoded, the rest grey
          const first = codes.slice(0, cells);
          const fill = first[0]! >= 0 ? first[0]! : 0;
          for (let j = 0; j < cells; j++) if (first[j]! < 0) first[j] = fill;
          const img = await decodeCodes(runtime, dvae, tensor('int32', [1, cells], first));
          const res = img.shape[1]!,
            rowPx = res / grid;
          for (let y = (row + 1) * rowPx; y < res; y++) img.data.fill(0.5, y * res * 3, (y + 1) * res * 3);
          ctx.progress((row + 1) / grid, { step: row + 1, steps: grid, preview: img });
        },
      }),
    );
    const rowLabels = Array.from({ length: cells }, (_, j) => {
      const ids5 = Array.from(r.topIds.subarray(j * 5, j * 5 + 5));
      return `r${Math.floor(j / grid)} c${j % grid}: ${j < keep ? 'kept' : ids5.map((v) => `#${v}`).join(' ')}`;
    });
    return {
      codes: { codes: tensor('int32', [n, cells], r.codes), buckets: k, grid, codebook: dvae.id },
      captions,
      chosen: {
        values: float32([grid, grid], r.chosen.subarray(0, cells)),
        labels: Array.from({ length: grid }, (_, c) => `c${c}`),
        rowLabels: Array.from({ length: grid }, (_, rr) => `r${rr}`),
      },
      top5: {
        values: float32([cells, 5], r.topProbs),
        labels: ['1st', '2nd', '3rd', '4th', '5th'],
        rowLabels,
      },
    };
  },
});
