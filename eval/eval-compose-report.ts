/**
 * The composition section of `npm run eval:unclip` (alone: `-- --compose`): both paths of the
 * example graphs on two-object and single-object prompts, both judges, the judges' ceilings on
 * renders, and the model-card block tied to the weights' sha256.
 */
import { writeFileSync } from 'node:fs';
import { encode as encodePng } from 'fast-png';
import type { DotChoice } from '../src/models/pipelines/ar-prior';
import { encodeImages, encodeTexts, type ClipModelRef } from '../src/models/pipelines/clip';
import type { ModelRuntime } from '../src/models/runtime/runtime';
import { boxDownsample } from '../src/tensor/image';
import { createRng } from '../src/tensor/prng';
import { dot } from '../src/tensor/vector';
import { float32, type Float32Tensor } from '../src/tensor/tensor';
import {
  clipScores,
  generatePictures,
  graphSettings,
  priorEmbeddings,
  readerScores,
  renderPrompts,
  runPath,
  singleObjectPrompts,
  twoObjectPrompts,
  type ClipScores,
  type ComposePrompt,
  type PathSettings,
  type ReaderScores,
} from './eval-compose';
import { weightsSha, writeCards } from './cards';
import { nodeParamFlag } from './flags';

export interface CompositionRow {
  source: string;
  settings?: string;
  two: ReaderScores;
  twoHeldOut: ReaderScores;
  clip: ClipScores;
  single: ReaderScores;
}

export interface CompositionReport {
  twoObjectPrompts: number;
  singleObjectPrompts: number;
  seed: number;
  rows: CompositionRow[];
  /** Decoder settings used instead of the graphs' own (exploring the sampler), if any. */
  decoder?: DecoderOverride;
  /** Whether the AR prior's path (graphs/text-to-image-ar.json) was measured too. */
  ar?: boolean;
  /** Whether each path's pictures were also carried to 256x256 (rows "..., 256x256"). */
  cascade?: boolean;
  /** The AR prior's sampled embeddings against its captions (mean text . image), beside real pairs'. */
  arAgreement?: ArAgreement;
}

export interface ArAgreement {
  prompts: number;
  /** Renders of scenes that satisfy the prompts, through CLIP's image encoder. */
  renders: number;
  /** The diffusion prior at the unCLIP graph's settings. */
  diffusionPrior: number;
  /** The AR prior by dot-token choice and temperature. */
  ar: Array<{ dot: DotChoice; temperature: number; mean: number }>;
}

/** Mean over rows of the rows' dot products. */
const meanDot = (a: Float32Tensor, b: Float32Tensor) => dot(a, b).data.reduce((s, v) => s + v, 0) / a.shape[0]!;

/** How well prior samples agree with their captions: mean text . image, real renders as the reference. */
async function arAgreement(
  runtime: ModelRuntime,
  clip: ClipModelRef,
  prompts: ComposePrompt[],
  renders: Float32Tensor,
  seed: number,
  prior: NonNullable<PathSettings['prior']>,
): Promise<ArAgreement> {
  const texts = prompts.map((p) => p.caption);
  const t = await encodeTexts(runtime, clip, texts);
  const real = await encodeImages(runtime, clip, renders);
  const diffusion = await priorEmbeddings(runtime, texts, seed, 'prior', prior);
  const ar: ArAgreement['ar'] = [];
  for (const temperature of [1, 0.5])
    for (const dot of ['any', 'upper-half', 'top'] as const)
      ar.push({
        dot,
        temperature,
        mean: meanDot(
          await priorEmbeddings(runtime, texts, seed, 'arPrior', { temperature, topK: 0, dot, candidates: 1 }),
          t,
        ),
      });
  return { prompts: texts.length, renders: meanDot(real, t), diffusionPrior: meanDot(diffusion, t), ar };
}

const pct = (v: number) => (Number.isNaN(v) ? 'n/a' : `${(v * 100).toFixed(1)}%`);

function subset(
  images: Float32Tensor,
  prompts: ComposePrompt[],
  keep: (p: ComposePrompt) => boolean,
): [Float32Tensor, ComposePrompt[]] {
  const idx = prompts.flatMap((p, i) => (keep(p) ? [i] : []));
  const out = new Float32Array(idx.length * 12288);
  idx.forEach((i, k) => out.set(images.data.subarray(i * 12288, (i + 1) * 12288), k * 12288));
  return [float32([idx.length, 64, 64, 3], out), idx.map((i) => prompts[i]!)];
}

async function row(
  runtime: ModelRuntime,
  clip: ClipModelRef,
  source: string,
  two: Float32Tensor,
  single: Float32Tensor,
  twoPrompts: ComposePrompt[],
  singlePrompts: ComposePrompt[],
  settings?: string,
): Promise<CompositionRow> {
  const [held, heldPrompts] = subset(two, twoPrompts, (p) => p.heldOut);
  return {
    source,
    settings,
    two: readerScores(two, twoPrompts),
    twoHeldOut: readerScores(held, heldPrompts),
    clip: await clipScores(runtime, clip, two, twoPrompts),
    single: readerScores(single, singlePrompts),
  };
}

/** A contact sheet: one row of (up to 16) two-object pictures per source, 2x enlarged, 4 px apart. */
export function writeSheet(file: string, sources: Float32Tensor[]): void {
  const cols = Math.min(16, sources[0]?.shape[0] ?? 0),
    cell = 132,
    w = cols * cell,
    h = sources.length * cell;
  const rgb = new Uint8Array(w * h * 3).fill(96);
  sources.forEach((img, r) => {
    for (let c = 0; c < cols; c++)
      for (let y = 0; y < 128; y++)
        for (let x = 0; x < 128; x++)
          for (let k = 0; k < 3; k++) {
            rgb[((r * cell + y) * w + c * cell + x) * 3 + k] = Math.round(
              img.data[((c * 64 + (y >> 1)) * 64 + (x >> 1)) * 3 + k]! * 255,
            );
          }
  });
  writeFileSync(file, encodePng({ width: w, height: h, data: rgb, channels: 3, depth: 8 }));
}

/** Runs the section and prints its table; `sheet` names a PNG to write the first pictures of each source to. */
export async function composition(
  runtime: ModelRuntime,
  clip: ClipModelRef,
  nTwo: number,
  nSingle: number,
  seed: number,
  sheet?: string,
  decoder: DecoderOverride = {},
  ar = false,
  cascade = false,
): Promise<CompositionReport> {
  const rng = createRng(seed + 17);
  const twoPrompts = twoObjectPrompts(rng, nTwo),
    singlePrompts = singleObjectPrompts(rng, nSingle);
  const renders = renderPrompts(rng, twoPrompts);
  const rows: CompositionRow[] = [
    await row(
      runtime,
      clip,
      "renders (the judges' ceiling)",
      renders,
      renderPrompts(rng, singlePrompts),
      twoPrompts,
      singlePrompts,
    ),
  ];
  const pictures = [renders];
  const paths: Array<readonly [string, string]> = [
    ['caption only (GLIDE-style)', 'text-to-image-glide.json'],
    ['unCLIP (prior -> decoder)', 'text-to-image.json'],
  ];
  if (ar) paths.push(['unCLIP, AR prior (prior -> decoder)', 'text-to-image-ar.json']);
  for (const [name, file] of paths) {
    // exploring the sampler: the graphs' own values otherwise
    const settings = applyOverride(graphSettings(file), decoder);
    // with the cascade, one run draws both: the 64x64 pictures and the second upsampler's 256x256 from them
    const draw = async (prompts: ComposePrompt[], seedOffset: number, what: string) => {
      const progress = (done: number) => process.stderr.write(`  ${name}, ${what}: ${done}/${prompts.length}\n`);
      const texts = prompts.map((p) => p.caption);
      if (!cascade) return { p64: await generatePictures(runtime, texts, seed + seedOffset, settings, 25, progress) };
      const at = (node: string) => ({ node, port: 'image' });
      const [p64, p256] = await runPath(
        runtime,
        texts,
        seed + seedOffset,
        settings,
        [at('up64'), at('image')],
        25,
        progress,
      );
      return { p64: p64!, p256: boxDownsample(p256!, 4) };
    };
    const twoDrawn = await draw(twoPrompts, 101, 'two objects');
    const singleDrawn = await draw(singlePrompts, 202, 'one object');
    const two = twoDrawn.p64,
      single = singleDrawn.p64;
    const d = settings.decoder,
      pr = settings.prior,
      apr = settings.arPrior;
    const desc =
      `graphs/${file}: ` +
      `${pr ? `prior ${pr.steps} steps, guidance ${pr.guidance}, best of ${pr.candidates}; ` : ''}` +
      `${apr ? `AR prior temperature ${apr.temperature}, dot token ${apr.dot}, best of ${apr.candidates}; ` : ''}` +
      'decoder ' +
      `${d.steps} steps, guidance ${d.guidance}, eta ${d.eta}; upsampler ${settings.upsampler.steps} steps`;
    rows.push(await row(runtime, clip, name, two, single, twoPrompts, singlePrompts, desc));
    pictures.push(two);
    if (twoDrawn.p256 && singleDrawn.p256)
      rows.push(
        await row(
          runtime,
          clip,
          `${name}, 256x256 (box-averaged to 64)`,
          twoDrawn.p256,
          singleDrawn.p256,
          twoPrompts,
          singlePrompts,
          `the same pictures carried to 256x256 by the second upsampler (${settings.upsampler256.steps} steps)`,
        ),
      );
  }
  if (sheet) {
    writeSheet(sheet, pictures);
    console.log(
      `wrote ${sheet}: rows ${rows.map((r) => r.source).join(' / ')}; columns: ${twoPrompts
        .slice(0, 16)
        .map((p) => `"${p.caption}"`)
        .join(', ')}`,
    );
  }
  const heldCount = twoPrompts.filter((p) => p.heldOut).length;
  console.log(
    `\nComposition: ${nTwo} two-object prompts ("a <c1> <s1> <left of|right of|above|below|and> a <c2> <s2> on a ` +
      `<bg> background", ${heldCount} name a held-out pair) and ${nSingle} fully stated single-object prompts, ` +
      `fresh seeds; pixel-level reader (src/world/read.ts) and mini-CLIP`,
  );
  console.log(
    '| source | two objects drawn | both colour-shape pairs | relation right (both present) | held-out: both pairs ' +
      '| single object, every attribute | mini-CLIP: prompt over colour-swapped | mini-CLIP: prompt over ' +
      'relation-flipped |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.source} | ${pct(r.two.count)} | ${pct(r.two.pairs)} | ${pct(r.two.relation)} (of ${r.two.relationOf}) ` +
        `| ${pct(r.twoHeldOut.pairs)} (of ${r.twoHeldOut.n}) | ${pct(r.single.all)} | ${pct(r.clip.binding)} | ` +
        `${pct(r.clip.relation)} |`,
    );
  }
  for (const r of rows) if (r.settings) console.log(`- ${r.source}: ${r.settings}`);
  for (const r of rows)
    console.log(
      `- ${r.source}, two-object prompts not drawn as two: ${pct(r.two.fewer)} fewer (one missing or both ` +
        `merged), ${pct(r.two.more)} more (an extra copy)`,
    );
  let agreement: ArAgreement | undefined;
  if (ar) {
    const some = singlePrompts.slice(0, 48);
    agreement = await arAgreement(
      runtime,
      clip,
      some,
      renderPrompts(createRng(seed + 29), some),
      seed + 303,
      applyOverride(graphSettings('text-to-image.json'), decoder).prior!, // as the unCLIP row ran it
    );
    console.log(
      `\nPrior samples against their captions (${agreement.prompts} single-object prompts, mean text . image ` +
        `embedding): renders ${agreement.renders.toFixed(3)}, ` +
        `diffusion prior ${agreement.diffusionPrior.toFixed(3)}, ` +
        agreement.ar.map((a) => `AR prior T=${a.temperature} dot ${a.dot} ${a.mean.toFixed(3)}`).join(', '),
    );
  }
  const explored = Object.values(decoder).some((v) => v !== undefined);
  return {
    twoObjectPrompts: nTwo,
    singleObjectPrompts: nSingle,
    seed,
    rows,
    ...(explored ? { decoder } : {}),
    ar,
    cascade,
    arAgreement: agreement,
  };
}

/**
 * Sampler settings that replace the graphs' own: the decoder's on every path (`--graph-guidance`,
 * `--graph-eta`, `--graph-steps`), the diffusion prior's where a path has one
 * (`--graph-prior-guidance`, `--graph-candidates`).
 */
export interface DecoderOverride {
  guidance?: number;
  eta?: number;
  steps?: number;
  priorGuidance?: number;
  candidates?: number;
}

const OVERRIDE_FLAGS = {
  guidance: 'graph-guidance',
  eta: 'graph-eta',
  steps: 'graph-steps',
  priorGuidance: 'graph-prior-guidance',
  candidates: 'graph-candidates',
} as const;
type OverrideFlag = (typeof OVERRIDE_FLAGS)[keyof DecoderOverride];

/** The --graph-* flags (eval:unclip --compose): checked, named by flag when refused. */
export function parseDecoderOverride(
  flags: Partial<Record<OverrideFlag, string>>,
  tool = 'eval:unclip',
): DecoderOverride {
  const num = (flag: OverrideFlag, node: string, param: string) => nodeParamFlag(tool, flag, flags[flag], node, param);
  return {
    guidance: num('graph-guidance', 'diffusion/decode', 'guidance'),
    eta: num('graph-eta', 'diffusion/decode', 'eta'),
    steps: num('graph-steps', 'diffusion/decode', 'steps'),
    priorGuidance: num('graph-prior-guidance', 'diffusion/prior', 'guidance'),
    candidates: num('graph-candidates', 'diffusion/prior', 'candidates'),
  };
}

/** The command-line flags that give an override back. */
export const overrideFlags = (d: DecoderOverride = {}): string =>
  (Object.keys(OVERRIDE_FLAGS) as Array<keyof DecoderOverride>)
    .filter((k) => d[k] !== undefined)
    .map((k) => ` --${OVERRIDE_FLAGS[k]} ${d[k]}`)
    .join('');

/** The path's settings with the override applied (the prior's only where the path has a diffusion prior). */
export function applyOverride(settings: PathSettings, d: DecoderOverride): PathSettings {
  const out = { ...settings, decoder: { ...settings.decoder }, prior: settings.prior && { ...settings.prior } };
  if (d.guidance !== undefined) out.decoder.guidance = d.guidance;
  if (d.eta !== undefined) out.decoder.eta = d.eta;
  if (d.steps !== undefined) out.decoder.steps = d.steps;
  if (out.prior && d.priorGuidance !== undefined) out.prior.guidance = d.priorGuidance;
  if (out.prior && d.candidates !== undefined) out.prior.candidates = d.candidates;
  return out;
}

const round3 = (v: number) => (Number.isNaN(v) ? null : Math.round(v * 1000) / 1000);

/** Writes the section's figures into the decoder's and prior's cards, naming the weights they measured. */
export function writeCompositionCards(modelsDir: string, report: CompositionReport): void {
  const sha = weightsSha(modelsDir);
  const figures = {
    method:
      `npm run eval:unclip -- --compose --two ${report.twoObjectPrompts} --single ` +
      `${report.singleObjectPrompts} --seed ` +
      `${report.seed}${overrideFlags(report.decoder)}` +
      `${report.ar ? ' --ar' : ''}${report.cascade ? ' --cascade' : ''}`,
    measuredWeights: {
      decoder: sha('mini-unclip-decoder'),
      prior: sha('mini-unclip-prior'),
      ...(report.ar ? { arPrior: sha('mini-unclip-ar-prior') } : {}),
      upsampler: sha('mini-unclip-upsampler'),
      ...(report.cascade ? { upsampler256: sha('mini-unclip-upsampler256') } : {}),
      clip: sha('mini-clip-text'),
    },
    twoObjectPrompts: report.twoObjectPrompts,
    singleObjectPrompts: report.singleObjectPrompts,
    ...(report.arAgreement ? { priorSamplesTextImageDot: report.arAgreement } : {}),
    rows: report.rows.map((r) => ({
      source: r.source,
      settings: r.settings,
      twoObjectsDrawn: round3(r.two.count),
      fewerObjectsDrawn: round3(r.two.fewer),
      moreObjectsDrawn: round3(r.two.more),
      bothPairsRight: round3(r.two.pairs),
      relationRightGivenBoth: round3(r.two.relation),
      heldOutBothPairsRight: round3(r.twoHeldOut.pairs),
      singleObjectAllAttributes: round3(r.single.all),
      clipPrefersPromptOverColourSwap: round3(r.clip.binding),
      clipPrefersPromptOverRelationFlip: round3(r.clip.relation),
    })),
  };
  writeCards(modelsDir, {
    'mini-unclip-decoder': { composition: figures },
    'mini-unclip-prior': { composition: figures },
    ...(report.ar ? { 'mini-unclip-ar-prior': { composition: figures } } : {}),
    ...(report.cascade ? { 'mini-unclip-upsampler256': { composition: figures } } : {}),
  });
}
