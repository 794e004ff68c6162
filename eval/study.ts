/**
 * `npm run study -- [--quick] [--out dir]`: the unCLIP paper's comparisons as a reproducible study. Runs the graph
 * kept in graphs/study/paths.json (one caption and seed through five ways of getting the decoder's image embedding,
 * side by side; it opens in the editor) over fixed prompt sets and seeds, judges every picture twice (the
 * pixel-level ShapesWorld reader, and mini-CLIP, which the generative models were trained against), and writes a
 * report: README.md with one section per claim (N, seeds, judges, whether this model family agrees), contact
 * sheets (PNG) and charts (SVG). The committed report is docs/study/ (the default --out without --quick).
 *
 *   npm run study                      # the committed report (docs/study/)
 *   npm run study -- --quick           # a few prompts, a couple of minutes on 2 cores (out/study/)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRegistry } from '../nodes/index';
import { nodeServices } from '../src/host/node-services';
import { Engine } from '../src/engine/scheduler';
import { resolveClip } from '../src/models/pipelines/clip';
import { BUNDLED_MODELS_DIR, createModelRuntime } from '../src/models/runtime/runtime-node';
import { sha256Hex } from '../src/tensor/hash';
import { createRng } from '../src/tensor/prng';
import { concatFloat32, float32, type Float32Tensor } from '../src/tensor/tensor';
import { boxDownsample, resizeImage } from '../src/tensor/image';
import { encode as encodePng } from 'fast-png';
import {
  clipColourShape,
  clipScores,
  readerScores,
  singleObjectPrompts,
  twoObjectPrompts,
  type ComposePrompt,
} from './eval-compose';
import { diversityOf } from './eval-diversity';
import { writeSheet } from './eval-compose-report';
import {
  REL,
  SLACK,
  atLeastVerdict,
  betterVerdict,
  compareShares,
  compareValues,
  orderVerdict,
  type Verdict,
} from './study-verdicts';
import { checkFlagsOrExit, int } from './flags';

/** Two judgements of one claim: agrees if one agrees and the other does not disagree (and vice versa). */
function combine(a: Verdict, b: Verdict): Verdict {
  if (a === b) return a;
  if (a === 'tie') return b;
  if (b === 'tie') return a;
  return 'tie'; // one agrees, the other disagrees: mixed
}

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    seed: { type: 'string', default: '2204' },
  },
});
checkFlagsOrExit('study', opts, { seed: int(0) });
const QUICK = opts.quick!;
const OUT = opts.out ?? (QUICK ? 'out/study' : 'docs/study');
const SEED = Number(opts.seed);
const SIZES = QUICK ? { single: 6, two: 6, div: 2, seeds: 3 } : { single: 32, two: 24, div: 6, seeds: 4 };
const GRAPH = 'graphs/study/paths.json';

/** The graph's five output nodes: how the decoder gets its image embedding. */
const PATHS = [
  { id: 'caption_only', label: 'caption only (GLIDE-style, zero embedding)' },
  { id: 'text_embedding', label: 'CLIP text embedding as the image embedding' },
  { id: 'diffusion_prior', label: 'diffusion prior' },
  { id: 'best_of_2', label: 'diffusion prior, best of 2 by text . image' },
  { id: 'ar_prior', label: 'autoregressive prior' },
] as const;
type PathId = (typeof PATHS)[number]['id'];

/** The cascade along the diffusion prior's path: the decoder's 32x32, the upsampler's 64x64, the second's 256x256. */
const STAGES = [
  { id: 'diffusion_prior_low', label: 'decoder, 32x32' },
  { id: 'diffusion_prior', label: 'upsampler, 64x64' },
  { id: 'diffusion_prior_256', label: 'second upsampler, 256x256 (read box-averaged to 64x64)' },
] as const;
type StageId = (typeof STAGES)[number]['id'];

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
/** A Markdown table row. */
const tr = (...cells: string[]) => `| ${cells.join(' | ')} |`;

/**
 * Every path's pictures for each (caption, seed), in order: one run of the study graph each; and the cascade's
 * stages (`stages`: each at its own size).
 */
async function picturesOf(engine: Engine, runs: Array<{ caption: string; seed: number }>, what: string) {
  const out = Object.fromEntries(PATHS.map((p) => [p.id, [] as Float32Array[]])) as Record<PathId, Float32Array[]>;
  const stageParts = Object.fromEntries(STAGES.map((s) => [s.id, [] as Float32Tensor[]])) as Record<
    StageId,
    Float32Tensor[]
  >;
  for (const [k, r] of runs.entries()) {
    engine.setParam('prompt', 'text', r.caption);
    engine.setParam('seed', 'value', r.seed);
    const res = await engine.run();
    if (!res.ok) throw new Error(`${GRAPH} failed on "${r.caption}": ${JSON.stringify(res.nodes)}`);
    for (const p of PATHS) out[p.id].push(Float32Array.from((engine.outputsOf(p.id)!.image as Float32Tensor).data));
    for (const s of STAGES) stageParts[s.id].push(engine.outputsOf(s.id)!.image as Float32Tensor);
    if ((k + 1) % 10 === 0 || k + 1 === runs.length) console.log(`  ${what}: ${k + 1}/${runs.length}`);
  }
  const tensor = (xs: Float32Array[]) => {
    const t = float32([xs.length, 64, 64, 3]);
    xs.forEach((x, i) => t.data.set(x, i * 12288));
    return t;
  };
  const paths = Object.fromEntries(PATHS.map((p) => [p.id, tensor(out[p.id])])) as Record<PathId, Float32Tensor>;
  const stages = Object.fromEntries(
    STAGES.map((s) => {
      const [first] = stageParts[s.id];
      const side = first?.shape[1] ?? 64;
      return [s.id, float32([runs.length, side, side, 3], concatFloat32(stageParts[s.id].map((t) => t.data)))];
    }),
  ) as Record<StageId, Float32Tensor>;
  return { ...paths, stages };
}

/**
 * A contact sheet of the cascade: one row per stage, each picture shown 256 px wide at true pixels (the smaller
 * stages enlarged by repeating pixels), the first `cols` prompts as columns, 4 px apart.
 */
function writeCascadeSheet(file: string, stages: Float32Tensor[], cols: number): void {
  const cell = 260,
    w = cols * cell,
    h = stages.length * cell;
  const rgb = new Uint8Array(w * h * 3).fill(96);
  stages.forEach((img, r) => {
    const side = img.shape[1]!,
      k = 256 / side;
    for (let c = 0; c < Math.min(cols, img.shape[0]!); c++)
      for (let y = 0; y < 256; y++)
        for (let x = 0; x < 256; x++) {
          const src = ((c * side + Math.floor(y / k)) * side + Math.floor(x / k)) * 3;
          const dst = ((r * cell + y) * w + c * cell + x) * 3;
          for (let ch = 0; ch < 3; ch++)
            rgb[dst + ch] = Math.round(Math.min(1, Math.max(0, img.data[src + ch]!)) * 255);
        }
  });
  writeFileSync(file, encodePng({ width: w, height: h, data: rgb, channels: 3, depth: 8 }));
}

/** A horizontal bar chart (SVG) of one value per path, in [0, max]. */
function chart(file: string, title: string, rows: Array<[string, number]>, max: number, format: (v: number) => string) {
  const w = 760,
    bar = 22,
    left = 330,
    h = 40 + rows.length * (bar + 10);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const body = rows
    .map(([label, v], i) => {
      const y = 34 + i * (bar + 10),
        len = Math.max(0, Math.min(1, v / max)) * (w - left - 90);
      return (
        `<text x="${left - 8}" y="${y + 16}" text-anchor="end">${esc(label)}</text>` +
        `<rect x="${left}" y="${y}" width="${len.toFixed(1)}" height="${bar}" fill="#5b8def"/>` +
        `<text x="${(left + len + 6).toFixed(1)}" y="${y + 16}">${esc(format(v))}</text>`
      );
    })
    .join('');
  writeFileSync(
    file,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="13">` +
      `<rect width="100%" height="100%" fill="white"/><text x="10" y="20" font-weight="bold">${esc(title)}</text>` +
      `${body}</svg>\n`,
  );
}

async function main(): Promise<void> {
  const models = (await createModelRuntime())!;
  const clip = resolveClip(models, 'mini-clip');
  const engine = new Engine(createRegistry(), nodeServices({ models }));
  engine.load(readFileSync(GRAPH, 'utf8'));
  const rng = createRng(SEED);
  const single = singleObjectPrompts(rng, SIZES.single),
    two = twoObjectPrompts(rng, SIZES.two),
    div = singleObjectPrompts(rng, SIZES.div);
  const runsOf = (ps: ComposePrompt[], seeds: number[]) =>
    ps.flatMap((p, i) => seeds.map((s) => ({ caption: p.caption, seed: SEED * 100 + i * 17 + s })));
  const t0 = performance.now();
  const a = await picturesOf(engine, runsOf(single, [0]), 'single-object prompts');
  const b = await picturesOf(engine, runsOf(two, [0]), 'two-object prompts');
  const seeds = Array.from({ length: SIZES.seeds }, (_, s) => 1 + s);
  const d = await picturesOf(engine, runsOf(div, seeds), 'diversity (seeds per prompt)');
  const minutes = (performance.now() - t0) / 60000;

  // the judges
  const acc = {} as Record<PathId, { reader: ReturnType<typeof readerScores>; clip: number }>;
  const bind = {} as Record<PathId, { reader: ReturnType<typeof readerScores>; clip: number }>;
  const diversity = {} as Record<PathId, { pixels: number; clip: number }>;
  for (const p of PATHS) {
    acc[p.id] = { reader: readerScores(a[p.id], single), clip: await clipColourShape(models, clip, a[p.id], single) };
    bind[p.id] = { reader: readerScores(b[p.id], two), clip: (await clipScores(models, clip, b[p.id], two)).binding };
    diversity[p.id] = await diversityOf(models, clip, d[p.id], div.length, SIZES.seeds);
  }

  mkdirSync(OUT, { recursive: true });
  const label = (id: PathId) => PATHS.find((p) => p.id === id)!.label;
  const sheet = (name: string, pics: Record<PathId, Float32Tensor>, ids: readonly PathId[]) => {
    writeSheet(
      join(OUT, name),
      ids.map((id) => pics[id]),
    );
    return `![${name}](${name})`;
  };
  const entry = (id: string) => models.manifest.models.find((m) => m.id === id)!;
  const sha = (id: string) => sha256Hex(readFileSync(join(BUNDLED_MODELS_DIR, entry(id).file))).slice(0, 8);
  const trainMinutes = (id: string) => Number((entry(id).card as { trainingMinutes?: number }).trainingMinutes ?? NaN);
  const relation = (r: ReturnType<typeof readerScores>) =>
    Number.isNaN(r.relation) ? '-' : `${pct(r.relation)} (of ${r.relationOf})`;
  const verdict = (v: Verdict, what: string) =>
    v === 'tie'
      ? `**No difference** at this N: ${what}`
      : `**${v === 'agrees' ? 'Agrees' : 'Does not agree'}** with the paper: ${what}`;
  const cmp = (x: number, y: number, n: number) => compareShares(x, y, n);
  const md: string[] = [];
  md.push(
    "# The unCLIP paper's comparisons, on the bundled mini models" +
      (QUICK ? ' (quick run: too few prompts to conclude)' : ''),
    '',
    `Made by \`npm run study${QUICK ? ' -- --quick' : ''}\` (eval/study.ts) from ` +
      `[${GRAPH}](../../${GRAPH}), which ` +
      'opens in the editor (Examples, study/paths): one caption and seed through five ways of getting the ' +
      "decoder's image embedding, with the decoder and upsampler settings of graphs/text-to-image.json. Seeds: " +
      `prompts drawn from seed ${SEED}, pictures from seed ${SEED} x 100 + 17 i + s. ${minutes.toFixed(1)} minutes ` +
      'on this machine (onnxruntime-node).',
    '',
    `Weights (sha256): decoder \`${sha('mini-unclip-decoder')}\`, diffusion prior \`${sha('mini-unclip-prior')}\`, ` +
      `AR prior \`${sha('mini-unclip-ar-prior')}\`, upsampler \`${sha('mini-unclip-upsampler')}\`, second ` +
      `upsampler \`${sha('mini-unclip-upsampler256')}\`, mini-CLIP ` +
      `\`${sha('mini-clip-text')}\`.`,
    '',
    'Judges: the **reader** is the pixel-level ShapesWorld reader (src/world/read.ts: background from the border, ' +
      'connected components, colour by nearest palette entry, shape by overlap with the geometry, cell by centre); ' +
      '**mini-CLIP** is the CLIP the priors and decoder were trained against, so a path can please it without ' +
      'drawing the caption: where they disagree, trust the reader.',
    '',
    `At N = ${single.length} one picture is ${(100 / single.length).toFixed(1)} points. The verdicts allow for ` +
      `sampling noise: shares at most ${SLACK} pictures apart, or distances within ${100 * REL}% of each other, ` +
      'count as no difference (eval/study-verdicts.ts).',
    '',
  );

  // 1. where the image embedding comes from
  const s1 = PATHS.map((p) => p.id);
  const best1 = s1.reduce((x, y) => (acc[y].reader.all > acc[x].reader.all ? y : x));
  md.push(
    '## 1. Decoding from the caption only, from the CLIP text embedding, from a prior',
    '',
    'The paper: decoding from the caption alone (GLIDE-style) is worst, from the text embedding used as an image ' +
      "embedding better, from a prior's image embedding best.",
    '',
    `N = ${single.length} fresh single-object prompts with every attribute stated, one seed each; diversity over ` +
      `${div.length} prompts x ${SIZES.seeds} seeds (mean pairwise distance between one prompt's pictures).`,
    '',
    tr(
      'path',
      'reader: colour+shape',
      'reader: every attribute',
      'mini-CLIP: colour+shape',
      'diversity, pixels (RMS)',
      'diversity, mini-CLIP (1 - cos)',
    ),
    '| --- | --- | --- | --- | --- | --- |',
    ...s1.map(
      (id) =>
        `| ${label(id)} | ${pct(acc[id].reader.pairs)} | ${pct(acc[id].reader.all)} | ${pct(acc[id].clip)} | ` +
        `${diversity[id].pixels.toFixed(3)} | ${diversity[id].clip.toFixed(3)} |`,
    ),
    '',
    verdict(
      orderVerdict([
        cmp(acc.caption_only.reader.all, acc.text_embedding.reader.all, single.length),
        cmp(acc.text_embedding.reader.all, acc.diffusion_prior.reader.all, single.length),
      ]),
      `by the reader (every attribute) caption only ${pct(acc.caption_only.reader.all)}, text embedding ` +
        `${pct(acc.text_embedding.reader.all)}, diffusion prior ${pct(acc.diffusion_prior.reader.all)}; the best ` +
        `path here is "${label(best1)}".`,
    ),
    '',
    sheet('sheet-1-paths.png', a, s1),
    '',
    "Rows: the five paths in the table's order; columns: the first prompts.",
    '',
  );
  chart(
    join(OUT, 'chart-1-accuracy.svg'),
    'Single objects, every attribute right (the reader)',
    s1.map((id) => [label(id), acc[id].reader.all]),
    1,
    pct,
  );
  md.push('![accuracy](chart-1-accuracy.svg)', '');

  // 2. AR vs diffusion prior, with the compute each had
  const [mD, mA] = [trainMinutes('mini-unclip-prior'), trainMinutes('mini-unclip-ar-prior')];
  md.push(
    '## 2. The autoregressive prior against the diffusion prior',
    '',
    'The paper: the diffusion prior is as good or better than the AR prior, and cheaper to train.',
    '',
    `Same ${single.length} prompts as section 1. Training compute from the model cards: diffusion prior ` +
      `${mD.toFixed(0)} CPU minutes, AR prior ${mA.toFixed(0)} minutes (both on this 2-core machine).`,
    '',
    '| prior | reader: every attribute | reader: colour+shape | mini-CLIP: colour+shape | training minutes |',
    '| --- | --- | --- | --- | --- |',
    ...(
      [
        ['diffusion', 'diffusion_prior', mD],
        ['autoregressive', 'ar_prior', mA],
      ] as const
    ).map(([name, id, m]) =>
      tr(name, pct(acc[id].reader.all), pct(acc[id].reader.pairs), pct(acc[id].clip), m.toFixed(0)),
    ),
    '',
    verdict(
      atLeastVerdict(cmp(acc.diffusion_prior.reader.all, acc.ar_prior.reader.all, single.length)),
      `the diffusion prior ${pct(acc.diffusion_prior.reader.all)} against ${pct(acc.ar_prior.reader.all)} for the ` +
        `AR prior (every attribute, the reader), the diffusion prior trained ${mD.toFixed(0)} minutes, the AR prior ` +
        `${mA.toFixed(0)}: ${mD <= mA ? 'the diffusion prior is also the cheaper one here' : 'the AR prior had less'}.`,
    ),
    '',
  );

  // 3. binding
  const s3: PathId[] = ['caption_only', 'diffusion_prior'];
  md.push(
    '## 3. Attribute binding on two-object prompts: unCLIP against the caption-only path',
    '',
    'The paper (section 7): unCLIP binds attributes to objects worse than GLIDE, because the CLIP image embedding ' +
      'does not bind them.',
    '',
    `N = ${two.length} two-object prompts ("a <c1> <s1> <relation|and> a <c2> <s2> on a <bg> background", a quarter ` +
      'with a held-out colour-shape pair), one seed each.',
    '',
    tr(
      'path',
      'reader: exactly two objects',
      'reader: both colour-shape pairs',
      'reader: relation right (given both)',
      'mini-CLIP prefers the caption to its colour swap',
    ),
    '| --- | --- | --- | --- | --- |',
    ...s3.map(
      (id) =>
        `| ${label(id)} | ${pct(bind[id].reader.count)} | ${pct(bind[id].reader.pairs)} | ` +
        `${relation(bind[id].reader)} | ` +
        `${pct(bind[id].clip)} |`,
    ),
    '',
    verdict(
      betterVerdict(cmp(bind.caption_only.reader.pairs, bind.diffusion_prior.reader.pairs, two.length)),
      `both pairs right ${pct(bind.diffusion_prior.reader.pairs)} through the prior against ` +
        `${pct(bind.caption_only.reader.pairs)} from the caption alone. mini-CLIP itself tells a caption from its ` +
        'colour swap at about chance on clean renders (README), so its column says little.',
    ),
    '',
    sheet('sheet-3-binding.png', b, s3),
    '',
    'Top row: caption only; bottom: the diffusion prior.',
    '',
  );

  // 4. diversity
  md.push(
    '## 4. Diversity: unCLIP against the caption-only path',
    '',
    "The paper: unCLIP's samples of one caption are more diverse than GLIDE's at similar quality.",
    '',
    `${div.length} prompts x ${SIZES.seeds} seeds; mean pairwise distance between one prompt's pictures.`,
    '',
    '| path | pixels (RMS, [0, 1]) | mini-CLIP (1 - cos) |',
    '| --- | --- | --- |',
    ...(['caption_only', 'diffusion_prior'] as const).map(
      (id) => `| ${label(id)} | ${diversity[id].pixels.toFixed(3)} | ${diversity[id].clip.toFixed(3)} |`,
    ),
    '',
    verdict(
      combine(
        betterVerdict(compareValues(diversity.diffusion_prior.pixels, diversity.caption_only.pixels)),
        betterVerdict(compareValues(diversity.diffusion_prior.clip, diversity.caption_only.clip)),
      ),
      `pixels ${diversity.diffusion_prior.pixels.toFixed(3)} vs ${diversity.caption_only.pixels.toFixed(3)}, ` +
        `mini-CLIP ${diversity.diffusion_prior.clip.toFixed(3)} vs ${diversity.caption_only.clip.toFixed(3)} ` +
        '(unCLIP vs caption only).',
    ),
    '',
    sheet('sheet-4-diversity.png', d, ['caption_only', 'diffusion_prior']),
    '',
    `Top row: caption only; bottom: the diffusion prior; ${SIZES.seeds} seeds of each prompt side by side.`,
    '',
  );
  chart(
    join(OUT, 'chart-4-diversity.svg'),
    'Diversity within a prompt (mini-CLIP, 1 - cos)',
    PATHS.map((p) => [p.label, diversity[p.id].clip]),
    Math.max(...PATHS.map((p) => diversity[p.id].clip)) * 1.1 || 1,
    (v) => v.toFixed(3),
  );
  md.push('![diversity](chart-4-diversity.svg)', '');

  // 5. best of 2
  md.push(
    "## 5. The prior's best of 2 by text . image against a single sample",
    '',
    'The paper samples two image embeddings from the prior and keeps the one with the higher dot product with the ' +
      'text embedding, which it reports improves caption fidelity.',
    '',
    `Same ${single.length} prompts (single objects) and ${two.length} two-object prompts.`,
    '',
    '| prior samples | single: reader every attribute | single: mini-CLIP colour+shape | two: reader both pairs |',
    '| --- | --- | --- | --- |',
    ...(['diffusion_prior', 'best_of_2'] as const).map(
      (id) =>
        `| ${id === 'best_of_2' ? 'best of 2' : '1'} | ${pct(acc[id].reader.all)} | ${pct(acc[id].clip)} | ` +
        `${pct(bind[id].reader.pairs)} |`,
    ),
    '',
    verdict(
      combine(
        betterVerdict(cmp(acc.best_of_2.reader.all, acc.diffusion_prior.reader.all, single.length)),
        betterVerdict(cmp(bind.best_of_2.reader.pairs, bind.diffusion_prior.reader.pairs, two.length)),
      ),
      `every attribute ${pct(acc.best_of_2.reader.all)} with best of 2 against ${pct(acc.diffusion_prior.reader.all)}` +
        ` with one sample (the reader); two-object pairs ${pct(bind.best_of_2.reader.pairs)} against ` +
        `${pct(bind.diffusion_prior.reader.pairs)}.`,
    ),
    '',
  );
  // 6. the cascade
  const at64 = (t: Float32Tensor) => {
    const side = t.shape[1]!;
    return side > 64 ? boxDownsample(t, side / 64) : resizeImage(t, 64, 64, 'nearest');
  };
  const stageScores = [] as Array<{ id: StageId; reader: ReturnType<typeof readerScores>; clip: number }>;
  for (const st of STAGES) {
    const pics = at64(a.stages[st.id]);
    stageScores.push({
      id: st.id,
      reader: readerScores(pics, single),
      clip: await clipColourShape(models, clip, pics, single),
    });
  }
  const [s32, s64, s256] = stageScores as [(typeof stageScores)[0], (typeof stageScores)[0], (typeof stageScores)[0]];
  // kept: the 256 stage neither gains nor loses more than the study's slack (SLACK pictures) on the 64x64 one
  const kept = compareShares(s256.reader.all, s64.reader.all, single.length) === 'tie';
  writeCascadeSheet(
    join(OUT, 'sheet-6-cascade.png'),
    STAGES.map((st) => a.stages[st.id]),
    6,
  );
  md.push(
    '## 6. The cascade: each stage of one picture',
    '',
    "The paper's decoder draws at 64x64 and two diffusion upsamplers carry the picture to 256x256 and 1024x1024; " +
      'they are trained on degraded low-resolution inputs so that they sharpen what the stage before drew without ' +
      'redrawing it. Here the decoder draws at 32x32, the upsamplers go to 64x64 and 256x256.',
    '',
    `Same ${single.length} single-object prompts, the diffusion prior's path (section 1); the 32x32 pictures are ` +
      'read enlarged by repeating pixels, the 256x256 ones box-averaged back to 64x64.',
    '',
    '| stage | reader: colour+shape | reader: every attribute | mini-CLIP: colour+shape |',
    '| --- | --- | --- | --- |',
    ...stageScores.map(
      (r) =>
        `| ${STAGES.find((x) => x.id === r.id)!.label} | ${pct(r.reader.pairs)} | ${pct(r.reader.all)} | ` +
        `${pct(r.clip)} |`,
    ),
    '',
    `${kept ? '**Kept**' : '**Changed**'}: every attribute ${pct(s256.reader.all)} at 256x256 against ` +
      `${pct(s64.reader.all)} at 64x64 (${kept ? 'within' : 'more than'} ${SLACK} pictures; the decoder's own ` +
      `32x32 pictures ${pct(s32.reader.all)}).`,
    '',
    '![sheet-6-cascade.png](sheet-6-cascade.png)',
    '',
    'Rows: the decoder (32x32), the upsampler (64x64), the second upsampler (256x256), each shown 256 pixels wide; ' +
      'columns: the first six prompts.',
    '',
  );
  writeFileSync(join(OUT, 'README.md'), md.join('\n'));
  console.log(`wrote ${join(OUT, 'README.md')} (${minutes.toFixed(1)} minutes of sampling)`);
}

await main();
