/**
 * `npm run eval:guidance`: GLIDE's two guidance methods side by side on the caption-only (GLIDE-style) path of
 * graphs/text-to-image-glide.json: classifier-free (the graph's scale), CLIP guidance (the noise-aware mini-CLIP's
 * gradient, at each --clip-scales) and none, on the same prompts and seeds.
 * - accuracy: fresh single-object prompts (every attribute stated) and two-object prompts, judged by the pixel
 *   reader, and single objects also by mini-CLIP zero-shot colour+shape (the judge CLIP guidance was trained
 *   against: a method graded only by it can fool it);
 * - diversity: --diversity prompts x --samples seeds each, mean pairwise distance between a prompt's pictures, in
 *   pixels (RMS, [0, 1] scale) and in mini-CLIP image embeddings (1 - cosine);
 * - time per picture (decoder + upsampler, onnxruntime-node).
 * --write stores the figures in mini-clip-noised's card, naming the weights measured.
 *
 *   npm run eval:guidance -- [--single 48] [--two 32] [--clip-scales 30,100] [--diversity 6] [--samples 4]
 */
import { parseArgs } from 'node:util';
import { resolveClip } from '../src/models/pipelines/clip';
import { BUNDLED_MODELS_DIR, createModelRuntime } from '../src/models/runtime/runtime-node';
import { createRng } from '../src/tensor/prng';
import {
  clipColourShape,
  generatePictures,
  graphSettings,
  readerScores,
  singleObjectPrompts,
  twoObjectPrompts,
  type PathSettings,
} from './eval-compose';
import { weightsSha, writeCards } from './cards';
import { diversityOf } from './eval-diversity';
import { checkFlagsOrExit, int } from './flags';

const { values: opts } = parseArgs({
  options: {
    single: { type: 'string', default: '48' },
    two: { type: 'string', default: '32' },
    'clip-scales': { type: 'string', default: '30,100' },
    diversity: { type: 'string', default: '6' },
    samples: { type: 'string', default: '4' },
    seed: { type: 'string', default: '5151' },
    write: { type: 'boolean', default: false },
  },
});
checkFlagsOrExit('eval:guidance', opts, {
  single: int(1, 1000),
  two: int(0, 1000),
  diversity: int(0, 1000),
  samples: int(1, 64),
  seed: int(0),
});

interface Row {
  method: string;
  settings: string;
  singlePairs: number;
  singleAll: number;
  singleClip: number;
  twoCount: number;
  twoPairs: number;
  pixelDiversity: number;
  clipDiversity: number;
  msPerPicture: number;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

async function main(): Promise<void> {
  const runtime = (await createModelRuntime())!;
  const clip = resolveClip(runtime, 'mini-clip');
  const base = graphSettings('text-to-image-glide.json');
  const seed = Number(opts.seed);
  const rng = createRng(seed);
  const single = singleObjectPrompts(rng, Number(opts.single));
  const two = twoObjectPrompts(rng, Number(opts.two));
  const div = singleObjectPrompts(rng, Number(opts.diversity));
  const per = Number(opts.samples);
  const divTexts = div.flatMap((p) => Array(per).fill(p.caption) as string[]);
  const configs: Array<{ method: string; settings: string; decoder: PathSettings['decoder'] }> = [
    {
      method: 'classifier-free',
      settings: `scale ${base.decoder.guidance} (the graph's)`,
      decoder: { ...base.decoder, method: 'classifier-free' },
    },
    ...opts['clip-scales']!.split(',').map((s) => ({
      method: 'clip',
      settings: `scale ${s}`,
      decoder: { ...base.decoder, method: 'clip' as const, clipScale: Number(s) },
    })),
    { method: 'none', settings: 'conditional model alone', decoder: { ...base.decoder, method: 'none' } },
  ];
  const rows: Row[] = [];
  for (const c of configs) {
    const settings = { ...base, decoder: c.decoder };
    const t0 = performance.now();
    const a = await generatePictures(
      runtime,
      single.map((p) => p.caption),
      seed,
      settings,
    );
    const ms = (performance.now() - t0) / single.length;
    const b = await generatePictures(
      runtime,
      two.map((p) => p.caption),
      seed + 1,
      settings,
    );
    // diversity: every sample of a prompt from its own noise (the chunk's seeds differ per row)
    const d = await generatePictures(runtime, divTexts, seed + 2, settings);
    const ra = readerScores(a, single),
      rb = readerScores(b, two);
    const spread = await diversityOf(runtime, clip, d, div.length, per);
    rows.push({
      method: c.method,
      settings: c.settings,
      singlePairs: ra.pairs,
      singleAll: ra.all,
      singleClip: await clipColourShape(runtime, clip, a, single),
      twoCount: rb.count,
      twoPairs: rb.pairs,
      pixelDiversity: spread.pixels,
      clipDiversity: spread.clip,
      msPerPicture: ms,
    });
    console.log(`  ${c.method} ${c.settings}: done`);
  }
  const shaOf = weightsSha(BUNDLED_MODELS_DIR);
  console.log(
    `\nguidance on the caption-only path (graphs/text-to-image-glide.json: decoder ${base.decoder.steps} steps, ` +
      `upsampler ${base.upsampler.steps}), seed ${seed}; decoder ${shaOf('mini-unclip-decoder').slice(0, 8)}, ` +
      `noise-aware CLIP ${shaOf('mini-clip-noised').slice(0, 8)}`,
  );
  console.log(
    `| guidance | settings | ${single.length} single: reader colour+shape | reader every attribute | ` +
      `mini-CLIP colour+shape | ${two.length} two-object: exactly two | both pairs | ` +
      `diversity (${div.length} prompts x ${per}): pixels | mini-CLIP | time per picture (Node) |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows)
    console.log(
      `| ${r.method} | ${r.settings} | ${pct(r.singlePairs)} | ${pct(r.singleAll)} | ${pct(r.singleClip)} | ` +
        `${pct(r.twoCount)} | ${pct(r.twoPairs)} | ${r.pixelDiversity.toFixed(3)} | ${r.clipDiversity.toFixed(3)} | ` +
        `${r.msPerPicture.toFixed(0)} ms |`,
    );
  if (opts.write) {
    const path = writeCards(BUNDLED_MODELS_DIR, {
      'mini-clip-noised': {
        evaluation: {
          measuredWeights: {
            noisedClip: shaOf('mini-clip-noised'),
            decoder: shaOf('mini-unclip-decoder'),
            upsampler: shaOf('mini-unclip-upsampler'),
            clip: shaOf('mini-clip-text'),
          },
          method:
            `npm run eval:guidance -- --single ${single.length} --two ${two.length} --clip-scales ` +
            `${opts['clip-scales']} --diversity ${div.length} --samples ${per} --seed ${seed}`,
          rows: rows.map((r) => ({ ...r, msPerPicture: Math.round(r.msPerPicture) })),
        },
      },
    });
    console.log(`wrote the figures into ${path}`);
  }
}

await main();
