/**
 * `npm run eval:guide -- [--captions N] [--seed S] [--sheet file.png] [--json file]`: CLIP-guided
 * drawing judged twice. For each colour-shape caption ("a red circle on a white background", the
 * 32 pairs over the three backgrounds), runs `graphs/clip-draw-vs-unclip.json` as a user would
 * (its own budgets), once with the drawing node's random views and once without (the same
 * generations and population: each candidate scored on the picture as drawn), and reads every
 * picture with mini-CLIP (top-1 among the 32 colour-shape labels) and with the pixel-level reader.
 * Where mini-CLIP reads the caption and the reader does not, CLIP was fooled.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { createRegistry } from '../nodes/index';
import { nodeServices } from '../src/host/node-services';
import { Engine } from '../src/engine/scheduler';
import type { Scores } from '../src/node-api/values';
import { createModelRuntime } from '../src/models/runtime/runtime-node';
import { drawText } from '../src/queue/font';
import type { Float32Tensor } from '../src/tensor/tensor';
import { readPicture } from '../src/world/read';
import { BACKGROUNDS, COLOURS, SHAPES } from '../src/world/spec';
import { parseArgs } from 'node:util';

const ROOT = new URL('..', import.meta.url).pathname;
const GRAPH = join(ROOT, 'graphs', 'clip-draw-vs-unclip.json');

interface Verdict {
  clipTop: string;
  clipRight: boolean;
  readerPair: boolean;
  readerOnly: boolean;
  readerBackground: boolean;
  similarity?: number;
}
interface Row {
  caption: string;
  pair: string;
  views: Verdict;
  noViews: Verdict;
  unclip: Verdict;
  ms: { views: number; noViews: number };
}

function verdicts(e: Engine, pair: string, background: string): [Verdict, Verdict] {
  const probs = e.outputsOf('clip_verdict')!.probabilities as Scores;
  const img = e.outputsOf('pair')!.image as Float32Tensor;
  const m = probs.labels.length,
    px = 64 * 64 * 3;
  return [0, 1].map((i) => {
    let best = 0;
    for (let j = 1; j < m; j++) if (probs.values.data[i * m + j]! > probs.values.data[i * m + best]!) best = j;
    const read = readPicture(img.data.subarray(i * px, (i + 1) * px), 64, 64);
    const has = read.objects.some((o) => `${o.colour} ${o.shape}` === pair);
    return {
      clipTop: probs.labels[best]!,
      clipRight: probs.labels[best] === pair,
      readerPair: has,
      readerOnly: has && read.objects.length === 1,
      readerBackground: read.background === background,
    };
  }) as [Verdict, Verdict];
}

function pct(rows: Row[], f: (r: Row) => boolean): string {
  return `${((100 * rows.filter(f).length) / rows.length).toFixed(1)}%`;
}

async function main(): Promise<void> {
  const { values: flags } = parseArgs({
    options: {
      captions: { type: 'string' },
      seed: { type: 'string' },
      sheet: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const count = Number(flags.captions ?? 32);
  const seed = Number(flags.seed ?? 1);
  const all = COLOURS.flatMap((c) => SHAPES.map((s) => `${c} ${s}`));
  const captions = all.slice(0, count).map((pair, i) => ({
    pair,
    background: BACKGROUNDS[i % BACKGROUNDS.length]!,
    caption: `a ${pair} on a ${BACKGROUNDS[i % BACKGROUNDS.length]} background`,
  }));
  const models = await createModelRuntime();
  const e = new Engine(createRegistry(), nodeServices({ models }));
  e.load(readFileSync(GRAPH, 'utf8'));
  e.setParam('seed', 'value', seed);
  const rows: Row[] = [];
  const tiles: Float32Array[] = [];
  for (const c of captions) {
    e.setParam('prompt', 'text', c.caption);
    e.setParam('draw', 'augmentations', 2);
    let r = await e.run();
    if (!r.ok) throw new Error(`${c.caption}: ${JSON.stringify(r.nodes)}`);
    const withViews = r.nodes.draw!.ms;
    const [views, unclip] = verdicts(e, c.pair, c.background);
    views.similarity = e.outputsOf('draw')!.similarity as number;
    const pics = [
      (e.outputsOf('pair')!.image as Float32Tensor).data.slice(0, 64 * 64 * 3),
      (e.outputsOf('pair')!.image as Float32Tensor).data.slice(64 * 64 * 3),
    ];
    e.setParam('draw', 'augmentations', 0);
    r = await e.run();
    if (!r.ok) throw new Error(`${c.caption}: ${JSON.stringify(r.nodes)}`);
    const [noViews] = verdicts(e, c.pair, c.background);
    noViews.similarity = e.outputsOf('draw')!.similarity as number;
    tiles.push(pics[0]!, (e.outputsOf('pair')!.image as Float32Tensor).data.slice(0, 64 * 64 * 3), pics[1]!);
    rows.push({
      caption: c.caption,
      pair: c.pair,
      views,
      noViews,
      unclip,
      ms: { views: withViews, noViews: r.nodes.draw!.ms },
    });
    const v = (x: Verdict) => `clip ${x.clipTop}${x.clipRight ? ' ✓' : ''}, reader ${x.readerPair ? '✓' : '✗'}`;
    console.log(`${c.caption}: views [${v(views)}] no views [${v(noViews)}] unCLIP [${v(unclip)}]`);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    `\n${rows.length} captions, seed ${seed}, graphs/clip-draw-vs-unclip.json's budgets (draw: 60 generations x 16 ` +
      `candidates)`,
  );
  console.log(
    "| pictures | mini-CLIP top-1 = the caption's colour-shape (of 32) | reader: that colour-shape drawn | reader: " +
      'it and nothing else | reader: background right | CLIP right, reader not (fooled) | mean similarity as drawn ' +
      '| s per picture |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const line = (name: string, f: (r: Row) => Verdict, ms?: (r: Row) => number) =>
    console.log(
      `| ${name} | ${pct(rows, (r) => f(r).clipRight)} | ${pct(rows, (r) => f(r).readerPair)} | ` +
        `${pct(rows, (r) => f(r).readerOnly)} | ${pct(rows, (r) => f(r).readerBackground)} | ` +
        `${pct(rows, (r) => f(r).clipRight && !f(r).readerPair)} | ` +
        `${f(rows[0]!).similarity === undefined ? '' : mean(rows.map((r) => f(r).similarity!)).toFixed(3)} | ` +
        `${ms ? (mean(rows.map(ms)) / 1000).toFixed(1) : ''} |`,
    );
  line(
    'clip-draw, 2 random views per candidate',
    (r) => r.views,
    (r) => r.ms.views,
  );
  line(
    'clip-draw, no views',
    (r) => r.noViews,
    (r) => r.ms.noViews,
  );
  line('unCLIP (prior -> decoder -> upsampler)', (r) => r.unclip);
  if (flags.json) writeFileSync(String(flags.json), JSON.stringify({ seed, rows }, null, 2));
  if (flags.sheet) {
    // blocks of 8 captions side by side; in each row: drawn with views | drawn without | unCLIP | the verdicts
    const cols = 3,
      scale = 2,
      tile = 64 * scale,
      gap = 4,
      label = 12,
      text = 150,
      per = 8;
    const blockW = cols * (tile + gap) + text,
      blocks = Math.ceil(rows.length / per);
    const width = blocks * blockW,
      height = Math.min(per, rows.length) * (tile + gap) + label;
    const rgb = new Uint8Array(width * height * 3).fill(255);
    for (let b = 0; b < blocks; b++)
      ['views', 'no views', 'unclip'].forEach((h, i) =>
        drawText(rgb, width, height, h, b * blockW + i * (tile + gap) + 2, 2, [0, 0, 0], 2),
      );
    rows.forEach((row, r) => {
      const bx = Math.floor(r / per) * blockW,
        oy = label + (r % per) * (tile + gap);
      for (let k = 0; k < cols; k++) {
        const t = tiles[r * cols + k]!;
        const ox = bx + k * (tile + gap);
        for (let y = 0; y < tile; y++)
          for (let x = 0; x < tile; x++) {
            const s = (Math.floor(y / scale) * 64 + Math.floor(x / scale)) * 3;
            for (let ch = 0; ch < 3; ch++)
              rgb[((oy + y) * width + ox + x) * 3 + ch] = Math.round(Math.min(1, Math.max(0, t[s + ch]!)) * 255);
          }
      }
      const vs = [row.views, row.noViews, row.unclip];
      drawText(rgb, width, height, row.pair, bx + cols * (tile + gap) + 2, oy + 4, [0, 0, 0], 2);
      vs.forEach((v, k) =>
        drawText(
          rgb,
          width,
          height,
          `${'vnu'[k]} clip ${v.clipRight ? 'y' : 'n'} read ${v.readerPair ? 'y' : 'n'}`,
          bx + cols * (tile + gap) + 2,
          oy + 24 + k * 14,
          [60, 60, 60],
          2,
        ),
      );
    });
    writeFileSync(String(flags.sheet), encodePng({ width, height, data: rgb, channels: 3, depth: 8 }));
    console.log(
      `wrote ${flags.sheet}: per caption, drawn with views | drawn without views | unCLIP, and each judge's verdict`,
    );
  }
}

await main();
