/**
 * `npm run eval:unclip`: quality of the bundled generative stack on fresh prompts.
 * For single-object prompts naming colour and shape: text -> prior -> decoder ->
 * upsampler -> 64x64, then mini-CLIP zero-shot colour and shape of the picture;
 * the same for the held-out colour-shape pairs; PSNR of DDIM invert-then-decode
 * at eta = 0; diversity of several samples of one prompt.
 *   npm run eval:unclip [-- --count 200 --backend web|node --write]   (sampler: graphs/text-to-image.json's,
 *     or --prior-guidance / --decoder-guidance / --prior-steps / --decoder-steps / --upsampler-steps /
 *     --upsampler256-steps; these apply to this main table and --stages only)
 *   npm run eval:unclip -- --compose [--ar] [--cascade]   (two-object prompts; --ar: the AR prior's path too;
 *     --cascade: each path's pictures also carried to 256x256 and read box-averaged back to 64)
 *     [--graph-guidance G --graph-eta E --graph-steps S --graph-prior-guidance P --graph-candidates K]
 *     (the graphs' sampler settings replaced, to explore them, in the composition section only; --seed N
 *     for another prompt set)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { encodeImages, resolveClip, type ClipModelRef } from '../src/models/pipelines/clip';
import type { ModelRuntime } from '../src/models/runtime/runtime';
import { BUNDLED_MODELS_DIR, createModelRuntime } from '../src/models/runtime/runtime-node';
import { createRegistry } from '../nodes/index';
import { Engine } from '../src/engine/scheduler';
import { nodeServices } from '../src/host/node-services';
import { composition, parseDecoderOverride, writeCompositionCards } from './eval-compose-report';
import { generatePictures, graphSettings, readerScores, type PathSettings } from './eval-compose';
import { parseCaption } from '../src/world/caption';
import { judge, stageBreakdown } from './eval-stages';
import { boxDownsample, psnr } from '../src/tensor/image';
import { createRng } from '../src/tensor/prng';
import type { Float32Tensor } from '../src/tensor/tensor';
import { cosineMatrix } from '../src/tensor/vector';
import { COLOURS, HELD_OUT_PAIRS, SHAPES, isHeldOut, type Colour, type Shape } from '../src/world/spec';
import { checkFlagsOrExit, int, nodeParamFlag } from './flags';
import { imageOf, type GraphDoc } from './graph-runs';
import { weightsSha, writeCards } from './cards';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '200' },
    heldout: { type: 'string', default: '40' },
    seed: { type: 'string', default: '424242' },
    backend: { type: 'string', default: 'node' },
    threads: { type: 'string', default: '2' },
    write: { type: 'boolean', default: false },
    stages: { type: 'boolean', default: false },
    compose: { type: 'boolean', default: false },
    ar: { type: 'boolean', default: false },
    cascade: { type: 'boolean', default: false },
    two: { type: 'string', default: '100' },
    single: { type: 'string', default: '100' },
    models: { type: 'string', default: BUNDLED_MODELS_DIR },
    sheet: { type: 'string' },
    'graph-guidance': { type: 'string' },
    'graph-eta': { type: 'string' },
    'graph-steps': { type: 'string' },
    'graph-prior-guidance': { type: 'string' },
    'graph-candidates': { type: 'string' },
    'prior-steps': { type: 'string' },
    'prior-guidance': { type: 'string' },
    'decoder-guidance': { type: 'string' },
    'decoder-steps': { type: 'string' },
    'upsampler-steps': { type: 'string' },
    'upsampler256-steps': { type: 'string' },
  },
});
checkFlagsOrExit('eval:unclip', opts, {
  count: int(1, 10000),
  heldout: int(0, 1000),
  seed: int(0),
  threads: int(1, 64),
  two: int(1, 1000),
  single: int(1, 1000),
});

/** The flags that replace a sampler setting of graphs/text-to-image.json, each checked by its node's schema. */
const SETTING_FLAGS = [
  'prior-steps',
  'prior-guidance',
  'decoder-guidance',
  'decoder-steps',
  'upsampler-steps',
  'upsampler256-steps',
] as const;

const decoderOverride = parseDecoderOverride(opts); // checked before any model loads

/**
 * The unCLIP path at this eval's settings: graphs/text-to-image.json's own (the graph users run),
 * each replaced by its flag when given.
 */
function evalSettings(): PathSettings {
  const g = graphSettings('text-to-image.json');
  const node = {
    prior: 'diffusion/prior',
    decoder: 'diffusion/decode',
    upsampler: 'diffusion/upsample',
    upsampler256: 'diffusion/upsample',
  } as const;
  const num = (flag: (typeof SETTING_FLAGS)[number], v: number) => {
    const [stage, param] = flag.split('-') as [keyof typeof node, string];
    return nodeParamFlag('eval:unclip', flag, opts[flag], node[stage], param) ?? v;
  };
  return {
    graph: g.graph,
    prior: {
      ...g.prior!,
      steps: num('prior-steps', g.prior!.steps),
      guidance: num('prior-guidance', g.prior!.guidance),
    },
    decoder: {
      ...g.decoder,
      steps: num('decoder-steps', g.decoder.steps),
      guidance: num('decoder-guidance', g.decoder.guidance),
    },
    upsampler: { ...g.upsampler, steps: num('upsampler-steps', g.upsampler.steps) },
    upsampler256: { ...g.upsampler256, steps: num('upsampler256-steps', g.upsampler256.steps) },
  };
}
const settings = evalSettings(); // checked before any model loads
const flagsGiven = SETTING_FLAGS.filter((f) => opts[f] !== undefined)
  .map((f) => `--${f} ${opts[f]}`)
  .join(' ');

function generate(
  runtime: ModelRuntime,
  clip: ClipModelRef,
  prompts: string[],
  seed: number,
  chunk = 25,
): Promise<Float32Tensor> {
  return generatePictures(runtime, prompts, seed, settings, chunk, (done) =>
    process.stderr.write(`  generated ${done}/${prompts.length}\n`),
  );
}

/**
 * Mean PSNR of DDIM invert-then-decode (eta 0, 50 steps, the graph's settings) over renders of single objects:
 * graphs/invert-reconstruct.json run for each, its source a render of "a <colour> <shape>" at a seed of its own.
 */
async function invertDecodePsnr(runtime: ModelRuntime, pairs: Array<[Colour, Shape]>, seed: number): Promise<number> {
  const doc = JSON.parse(
    readFileSync(new URL('../graphs/invert-reconstruct.json', import.meta.url), 'utf8'),
  ) as GraphDoc;
  const source = doc.nodes.find((n) => n.id === 'source')!;
  const engine = new Engine(createRegistry(), nodeServices({ models: runtime }));
  let sum = 0;
  for (const [i, [colour, shape]] of pairs.entries()) {
    source.params = { caption: `a ${colour} ${shape}`, seed: seed + i };
    const back = await imageOf(engine, doc, 'reconstruct');
    const img32 = boxDownsample(engine.outputsOf('source')!.image as Float32Tensor, 2);
    sum += psnr(back.data, img32.data);
  }
  return sum / pairs.length;
}

/** The composition section (two-object and single-object prompts, both paths, both judges), from the flags. */
function composeReport(runtime: ModelRuntime, clip: ClipModelRef) {
  const flags = [
    Number(opts.two),
    Number(opts.single),
    Number(opts.seed),
    opts.sheet,
    decoderOverride,
    opts.ar,
    opts.cascade,
  ] as const;
  return composition(runtime, clip, ...flags);
}

async function main() {
  const runtime = await createModelRuntime(opts.models, opts.backend as 'web' | 'node', Number(opts.threads));
  if (!runtime) throw new Error('no bundled models');
  const clip = resolveClip(runtime, 'mini-clip');
  const rng = createRng(Number(opts.seed));
  const t0 = performance.now();
  const pick = (heldOut: boolean): [Colour, Shape] => {
    if (heldOut) return HELD_OUT_PAIRS[rng.int(4)]! as [Colour, Shape];
    for (;;) {
      const c = rng.pick(COLOURS),
        s = rng.pick(SHAPES);
      if (!isHeldOut(c, s)) return [c, s];
    }
  };
  const caption = ([c, s]: [Colour, Shape]) => {
    const size = rng.chance(0.5) ? `${rng.pick(['small', 'large'])} ` : '';
    return `a ${size}${c} ${s}${rng.chance(0.5) ? ` on a ${rng.pick(['white', 'black', 'gray'])} background` : ''}`;
  };
  if (opts.stages) {
    await stageBreakdown(runtime, clip, rng, () => pick(false), Number(opts.count), settings);
    return;
  }
  if (opts.compose) {
    const report = await composeReport(runtime, clip);
    if (opts.write) writeCompositionCards(opts.models, report);
    return;
  }
  const truth = Array.from({ length: Number(opts.count) }, () => pick(false));
  const captions = truth.map(caption);
  const images = await generate(runtime, clip, captions, 1);
  const read = readerScores(
    images,
    captions.map((c) => ({ caption: c, truth: parseCaption(c), heldOut: false })),
  );
  const main = await judge(runtime, clip, await encodeImages(runtime, clip, images), truth);
  const heldTruth = Array.from({ length: Number(opts.heldout) }, () => pick(true));
  const heldCaptions = heldTruth.map(caption),
    heldImages = await generate(runtime, clip, heldCaptions, 2);
  const held = await judge(runtime, clip, await encodeImages(runtime, clip, heldImages), heldTruth);
  const heldRead = readerScores(
    heldImages,
    heldCaptions.map((c) => ({ caption: c, truth: parseCaption(c), heldOut: true })),
  );

  // invert-then-decode at eta = 0 on fresh renders (32x32, the decoder's resolution), by graphs/invert-reconstruct.json
  const meanPsnr = await invertDecodePsnr(
    runtime,
    Array.from({ length: 16 }, () => pick(false)),
    Number(opts.seed),
  );

  // diversity: 8 samples of one prompt
  const div = await generate(runtime, clip, Array(8).fill('a large red circle'), 3, 8);
  const de = await encodeImages(runtime, clip, div);
  const cos = cosineMatrix(de, de);
  let pix = 0,
    cs = 0,
    pairs = 0;
  for (let i = 0; i < 8; i++)
    for (let j = i + 1; j < 8; j++) {
      let d = 0;
      for (let k = 0; k < 64 * 64 * 3; k++) d += (div.data[i * 12288 + k]! - div.data[j * 12288 + k]!) ** 2;
      pix += Math.sqrt(d / 12288);
      cs += cos.data[i * 8 + j]!;
      pairs++;
    }
  const results = {
    colourAndShape: main.both,
    colour: main.colour,
    shape: main.shape,
    readerAllStated: read.all,
    readerHeldOutAllStated: heldRead.all,
    heldOutColourAndShape: held.both,
    invertDecodePsnrDb: meanPsnr,
    diversityPixelRms: pix / pairs,
    diversityClipCosine: cs / pairs,
  };
  console.log(
    `mini-unCLIP on ${truth.length} fresh prompts (+${heldTruth.length} held-out), backend ${opts.backend}, ` +
      `prior guidance ${settings.prior!.guidance} (best of ${settings.prior!.candidates}), ` +
      `decoder guidance ${settings.decoder.guidance}, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  console.log('| metric | measured | target |\n| --- | --- | --- |');
  console.log(
    `| colour and shape right (64x64 output) | ${(main.both * 100).toFixed(1)}% (colour ` +
      `${(main.colour * 100).toFixed(1)}%, shape ${(main.shape * 100).toFixed(1)}%) | >= 90% |`,
  );
  console.log(`| held-out pairs, colour and shape right | ${(held.both * 100).toFixed(1)}% | >= 60% |`);
  console.log(
    `| pixel reader: one object, every stated attribute right (count, colour, shape, size, background) | ` +
      `${(read.all * 100).toFixed(1)}% (held-out pairs ${(heldRead.all * 100).toFixed(1)}%) | |`,
  );
  console.log(`| invert-then-decode PSNR, eta = 0, 50 steps | ${meanPsnr.toFixed(1)} dB | >= 25 dB |`);
  console.log(
    `| diversity, 8 samples of "a large red circle" | RMS pixel distance ${results.diversityPixelRms.toFixed(3)}, ` +
      `mean CLIP cosine ${results.diversityClipCosine.toFixed(3)} | |`,
  );
  const report = await composeReport(runtime, clip);
  if (opts.write) {
    writeCompositionCards(opts.models, report);
    const sha = weightsSha(opts.models);
    const evaluation = {
      measuredWeights: {
        prior: sha('mini-unclip-prior'),
        decoder: sha('mini-unclip-decoder'),
        upsampler: sha('mini-unclip-upsampler'),
      },
      prompts: truth.length,
      heldOutPrompts: heldTruth.length,
      method:
        `npm run eval:unclip${flagsGiven ? ` -- ${flagsGiven}` : ''} (graphs/text-to-image.json's ` +
        `sampler settings${flagsGiven ? ', these flags replacing them' : ''})`,
      priorGuidance: settings.prior!.guidance,
      priorCandidates: settings.prior!.candidates,
      decoderGuidance: settings.decoder.guidance,
      ...Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
    };
    // the three models measured here; other mini-unclip-* cards (AR prior, inpainting decoder) hold their own evals
    writeCards(opts.models, {
      'mini-unclip-prior': { evaluation },
      'mini-unclip-decoder': { evaluation },
      'mini-unclip-upsampler': { evaluation },
    });
  }
}

await main();
