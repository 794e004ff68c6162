/**
 * `npm run eval:dalle`: the bundled mini-DALL·E on fresh prompts and fresh renders.
 * - dVAE: reconstruction PSNR at 32x32 of fresh renders (one and two objects) and how many of
 *   the codebook's codes they use (and the perplexity of their use).
 * - Generation: single-object prompts ("a <size> <colour> <shape> at the <position> on a <bg>
 *   background"), 8 samples each; best-of-1 (the first sample) and best-of-8 (mini-CLIP rerank,
 *   as in the paper), each upsampled to 64x64 and judged twice: by mini-CLIP zero-shot colour and
 *   shape, and by the pixel-level ShapesWorld reader. Held-out colour-shape pairs separately;
 *   two-object prompts for the comparison with unCLIP (the two-object table of docs/unclip.md).
 * - Time per caption with onnxruntime-node: graphs/dalle.json whole (N samples, dVAE decode, mini-CLIP rerank,
 *   upsampler).
 *   npm run eval:dalle [-- --single 100 --heldout 40 --two 40 --write]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolveClip, type ClipModelRef } from '../src/models/pipelines/clip';
import { decodeCodes, encodePictures, resolveDvae } from '../src/models/pipelines/dalle';
import type { ModelRuntime } from '../src/models/runtime/runtime';
import { BUNDLED_MODELS_DIR, createModelRuntime } from '../src/models/runtime/runtime-node';
import { boxDownsample, psnr } from '../src/tensor/image';
import { createRng, type Rng } from '../src/tensor/prng';
import { concatFloat32, float32, type Float32Tensor } from '../src/tensor/tensor';
import { parseCaption } from '../src/world/caption';
import { renderScene } from '../src/world/render';
import { sampleScene } from '../src/world/scene';
import { BACKGROUNDS, HELD_OUT_PAIRS, POSITIONS, SIZES } from '../src/world/spec';
import {
  clipColourShape,
  readerScores,
  renderPrompts,
  singleObjectPrompts,
  twoObjectPrompts,
  type ComposePrompt,
} from './eval-compose';
import { weightsSha, writeCards } from './cards';
import { writeSheet } from './eval-compose-report';
import { imageOf, nodeOf, upsampleAll, type GraphDoc } from './graph-runs';
import { createRegistry } from '../nodes/index';
import { Engine } from '../src/engine/scheduler';
import { nodeServices } from '../src/host/node-services';
import { checkFlagsOrExit, int, num } from './flags';

const { values: opts } = parseArgs({
  options: {
    single: { type: 'string', default: '100' },
    heldout: { type: 'string', default: '40' },
    two: { type: 'string', default: '40' },
    renders: { type: 'string', default: '400' },
    ceiling: { type: 'string', default: '100' },
    samples: { type: 'string', default: '8' },
    temperature: { type: 'string', default: '1' },
    'top-k': { type: 'string', default: '0' },
    seed: { type: 'string', default: '515151' },
    models: { type: 'string', default: BUNDLED_MODELS_DIR },
    write: { type: 'boolean', default: false },
    sheet: { type: 'string' },
  },
});
checkFlagsOrExit('eval:dalle', opts, {
  single: int(1, 1000),
  heldout: int(0, 1000),
  two: int(0, 1000),
  renders: int(1, 10000),
  ceiling: int(0, 1000),
  samples: int(1, 64),
  temperature: num(0.01, 10),
  'top-k': int(0, 100000),
  seed: int(0),
});
const N = Number(opts.samples);

/** dVAE reconstruction of fresh renders: mean PSNR at its resolution, codes used, perplexity. */
async function dvaeFigures(runtime: ModelRuntime, rng: Rng, count: number) {
  const dvae = resolveDvae(runtime, 'mini-dalle-dvae');
  const px = 64 * 64 * 3;
  const renders = new Float32Array(count * px);
  for (let i = 0; i < count; i++)
    renders.set(
      Float32Array.from(renderScene(sampleScene(rng, { objects: i % 3 === 0 ? [{}, {}] : [{}] })), (v) => v / 255),
      i * px,
    );
  const img = float32([count, 64, 64, 3], renders);
  const codes = await encodePictures(runtime, dvae, img);
  const back = await decodeCodes(runtime, dvae, codes);
  const low = boxDownsample(img, 2);
  const per = 32 * 32 * 3;
  let sum = 0;
  const psnrs: number[] = [];
  for (let i = 0; i < count; i++) {
    const p = psnr(low.data.subarray(i * per, (i + 1) * per), back.data.subarray(i * per, (i + 1) * per));
    psnrs.push(p);
    sum += p;
  }
  const counts = new Map<number, number>();
  for (const c of codes.data) counts.set(c, (counts.get(c) ?? 0) + 1);
  let ent = 0;
  for (const v of counts.values()) {
    const p = v / codes.data.length;
    ent -= p * Math.log(p);
  }
  psnrs.sort((a, b) => a - b);
  return {
    renders: count,
    psnr: sum / count,
    psnrP10: psnrs[Math.floor(count * 0.1)]!,
    codesUsed: counts.size,
    codebook: dvae.spec.codes,
    perplexity: Math.exp(ent),
  };
}

interface Generated {
  first: Float32Tensor;
  best: Float32Tensor;
  /** The best, carried on to 256x256 by the graph's last node and box-averaged back to 64x64 for the judges. */
  best256: Float32Tensor;
  ms: number;
}

/**
 * For each prompt, graphs/dalle.json as a user runs it (N samples, decoded, reranked by mini-CLIP, the best
 * upsampled to 64x64 (node up64) and on to 256x256 (node image)), and the same graph drawing one sample: the first
 * of the N (the same noise), upsampled to 64x64.
 */
async function generate(runtime: ModelRuntime, prompts: ComposePrompt[], seed: number): Promise<Generated> {
  const doc = JSON.parse(readFileSync(new URL('../graphs/dalle.json', import.meta.url), 'utf8')) as GraphDoc;
  const samples = nodeOf(doc, 'samples');
  samples.params = { ...samples.params, temperature: Number(opts.temperature), topK: Number(opts['top-k']) };
  const engine = new Engine(createRegistry(), nodeServices({ models: runtime }));
  const first: Float32Array[] = [],
    best: Float32Array[] = [],
    best256: Float32Array[] = [];
  let ms = 0;
  for (const [i, p] of prompts.entries()) {
    nodeOf(doc, 'prompt').params = { text: p.caption };
    nodeOf(doc, 'seed').params = { value: seed + i };
    samples.params = { ...samples.params, count: N };
    const t0 = performance.now();
    best256.push(boxDownsample(await imageOf(engine, doc, 'image'), 4).data);
    ms += performance.now() - t0;
    best.push((engine.outputsOf('up64')!.image as Float32Tensor).data);
    samples.params = { ...samples.params, count: 1 };
    first.push((await imageOf(engine, doc, 'up64')).data);
    if ((i + 1) % 10 === 0 || i + 1 === prompts.length) process.stderr.write(`  sampled ${i + 1}/${prompts.length}\n`);
  }
  return {
    first: float32([prompts.length, 64, 64, 3], concatFloat32(first)),
    best: float32([prompts.length, 64, 64, 3], concatFloat32(best)),
    best256: float32([prompts.length, 64, 64, 3], concatFloat32(best256)),
    ms: ms / prompts.length,
  };
}

/**
 * The ceiling of the decode path, on fresh renders of the prompts: the render itself, the render
 * box-filtered to 32x32 and upsampled, and the render through the dVAE's codes and upsampled. A
 * sampler that drew the ideal codes would score the last.
 */
async function pathCeiling(runtime: ModelRuntime, clip: ClipModelRef, prompts: ComposePrompt[], rng: Rng) {
  const dvae = resolveDvae(runtime, 'mini-dalle-dvae');
  const renders = renderPrompts(rng, prompts);
  const low = boxDownsample(renders, 2);
  const codes = await encodePictures(runtime, dvae, renders);
  const back = await decodeCodes(runtime, dvae, codes);
  const rows: Array<[string, Float32Tensor]> = [
    ['render (64x64)', renders],
    ['render -> 32x32 -> upsampler', await upsampleAll(runtime, low.data, prompts.length, 777)],
    ['render -> dVAE codes -> 32x32 -> upsampler', await upsampleAll(runtime, back.data, prompts.length, 777)],
  ];
  const out: Record<string, { clip: number; pairs: number; all: number }> = {};
  for (const [name, images] of rows) {
    const reader = readerScores(images, prompts);
    out[name] = {
      clip: r3(await clipColourShape(runtime, clip, images, prompts)),
      pairs: r3(reader.pairs),
      all: r3(reader.all),
    };
  }
  return out;
}

function heldOutPrompts(rng: Rng, n: number): ComposePrompt[] {
  return Array.from({ length: n }, (_, i) => {
    const [c, s] = HELD_OUT_PAIRS[i % HELD_OUT_PAIRS.length]!;
    const caption =
      `a ${rng.pick(SIZES)} ${c} ${s} at the ${rng.pick(POSITIONS)} on a ${rng.pick(BACKGROUNDS)} ` + `background`;
    return { caption, truth: parseCaption(caption), heldOut: true };
  });
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;

async function main() {
  const runtime = await createModelRuntime(opts.models, 'node', 2);
  if (!runtime) throw new Error(`no manifest.json in ${opts.models}`);
  const clip = resolveClip(runtime, 'mini-clip');
  const seed = Number(opts.seed);
  const rng = createRng(seed);
  const dv = await dvaeFigures(runtime, rng, Number(opts.renders));
  console.log(
    `dVAE on ${dv.renders} fresh renders: PSNR ${dv.psnr.toFixed(2)} dB (10th percentile ${dv.psnrP10.toFixed(2)}), ` +
      `${dv.codesUsed} of ${dv.codebook} codes used, perplexity ${dv.perplexity.toFixed(1)}`,
  );
  const ceilingPrompts = singleObjectPrompts(createRng(seed + 9), Number(opts.ceiling));
  const ceiling = ceilingPrompts.length ? await pathCeiling(runtime, clip, ceilingPrompts, createRng(seed + 10)) : {};
  if (ceilingPrompts.length) {
    console.log(`\nthe decode path's ceiling on ${ceilingPrompts.length} fresh renders of single-object prompts:`);
    console.log('| pictures | mini-CLIP colour+shape | reader colour+shape | reader every attribute |');
    console.log('| --- | --- | --- | --- |');
    for (const [name, v] of Object.entries(ceiling))
      console.log(
        `| ${name} | ${(v.clip * 100).toFixed(1)}% | ${(v.pairs * 100).toFixed(1)}% | ${(v.all * 100).toFixed(1)}% |`,
      );
  }
  const sets: Array<[string, ComposePrompt[]]> = [
    ['single', singleObjectPrompts(rng, Number(opts.single))],
    ['heldOut', heldOutPrompts(rng, Number(opts.heldout))],
    ['two', twoObjectPrompts(rng, Number(opts.two))],
  ];
  const results: Record<string, Record<string, number>> = {};
  let msPerCaption = 0;
  const sheetRows: Float32Tensor[] = [];
  const first16 = (t: Float32Tensor) =>
    float32([Math.min(16, t.shape[0]!), 64, 64, 3], t.data.subarray(0, 16 * 64 * 64 * 3));
  console.log(
    `\n| prompts | N | pick | mini-CLIP colour+shape | reader colour+shape | reader every attribute | reader count ` +
      `| reader relation |`,
  );
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const [name, prompts] of sets) {
    if (!prompts.length) continue;
    const g = await generate(runtime, prompts, seed + name.length * 100003);
    msPerCaption = Math.max(msPerCaption, g.ms);
    if (name !== 'heldOut') sheetRows.push(first16(g.first), first16(g.best));
    for (const [pick, images] of [
      ['best-of-1', g.first],
      [`best-of-${N}`, g.best],
      [`best-of-${N}, 256x256`, g.best256],
    ] as const) {
      const reader = readerScores(images, prompts);
      const clipBoth = name === 'two' ? NaN : await clipColourShape(runtime, clip, images, prompts);
      results[`${name}:${pick}`] = {
        clip: r3(clipBoth),
        pairs: r3(reader.pairs),
        all: r3(reader.all),
        count: r3(reader.count),
        relation: r3(reader.relation),
      };
      const f = (v: number) => (Number.isNaN(v) ? '—' : `${(v * 100).toFixed(1)}%`);
      console.log(
        `| ${name} | ${prompts.length} | ${pick} | ${f(clipBoth)} | ${f(reader.pairs)} | ${f(reader.all)} | ` +
          `${f(reader.count)} | ${f(reader.relation)} |`,
      );
    }
  }
  if (opts.sheet && sheetRows.length) {
    writeSheet(opts.sheet, sheetRows);
    console.log(
      `\nwrote ${opts.sheet}: rows single-object best-of-1, best-of-${N}, two-object best-of-1, best-of-${N}; ` +
        `columns: the first 16 prompts of each set`,
    );
  }
  console.log(
    `\ntime per caption (graphs/dalle.json: ${N} samples, dVAE decode, rerank, both upsamplers; onnxruntime-node): ` +
      `${(msPerCaption / 1000).toFixed(2)} s`,
  );
  if (opts.write) {
    const sha = weightsSha(opts.models);
    const measuredWeights = {
      dalle: sha('mini-dalle'),
      dvae: sha('mini-dalle-dvae-encoder'),
      clip: sha('mini-clip-text'),
      upsampler: sha('mini-unclip-upsampler'),
      upsampler256: sha('mini-unclip-upsampler256'),
    };
    const dvaeEvaluation = {
      measuredWeights: { dvae: measuredWeights.dvae },
      method: 'npm run eval:dalle',
      ...Object.fromEntries(Object.entries(dv).map(([k, v]) => [k, r3(v)])),
    };
    const path = writeCards(opts.models, {
      'mini-dalle-dvae-encoder': { evaluation: dvaeEvaluation },
      'mini-dalle-dvae-decoder': { evaluation: dvaeEvaluation },
      'mini-dalle': {
        evaluation: {
          measuredWeights,
          method:
            `npm run eval:dalle (N = ${N}, temperature ${opts.temperature}, top-k ${opts['top-k']}; ` +
            `reranked by mini-CLIP; upsampled by graphs/dalle.json's up64 and image nodes; rows "256x256": the ` +
            `last node's picture box-averaged back to 64x64)`,
          prompts: Object.fromEntries(sets.map(([k, v]) => [k, v.length])),
          results,
          pathCeiling: { prompts: ceilingPrompts.length, ...ceiling },
          // graphs/dalle.json whole: N samples, decode, rerank, both upsamplers
          secondsPerCaptionGraph: r3(msPerCaption / 1000),
        },
      },
    });
    console.log(`wrote the figures into ${path}`);
  }
}

await main();
