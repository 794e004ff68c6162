/**
 * `npm run bench -- models [--json] [--runs 5] [--threads 1,2]` (issue 38): the ViT-B/32-sized CLIP and the
 * 137M-parameter U-Net in their published layouts (test-artifacts/published, made by scripts/published-big.ts when
 * missing), ours against transformers.js, same run:
 *
 * - ours in Node: the CLIP folder's graph (loader, text and image encoders) through the engine, on onnxruntime-web
 *   (WASM) and native onnxruntime-node; the U-Net opened through external() and called once per run;
 * - ours in Chromium: the built app's engine worker loads the same graph (the folder served over HTTP), a second
 *   visit from the profile's cache; the U-Net in a bench page on our browser runtime;
 * - transformers.js (a dev dependency, for this bench only) on the same folder, captions and pictures: its Node build
 *   (onnxruntime-node) and its browser build with the onnxruntime-web it ships.
 *
 * Each Node side is a child process (its peak RSS is its own); each Chromium side a fresh profile (its renderer's
 * peak RSS). Medians of `runs` warm runs after the first; the first run is reported alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { PUBLISHED_DIR, makeBigClipFolder, makeBigUnetFolder } from '../scripts/published-big';
import {
  appClip,
  buildApp,
  buildBenchPage,
  pageTransformers,
  pageUnet,
  pairedBrowser,
  startBenchServer,
} from './models-browser';
import type { NodeSideArgs } from './models-node';
import { maxAbsDiff, ratio, withinTarget, type PairResult, type SideResult } from './models-stats';

const argValue = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

function nodeSide<T = SideResult>(args: NodeSideArgs): T {
  const r = spawnSync('npx', ['tsx', 'bench/models-node.ts', JSON.stringify(args)], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    timeout: 300_000,
  });
  const last = r.stdout?.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{'))
    throw new Error(`${args.side} ${args.model} failed (exit ${r.status}): ${r.stderr?.slice(-2000)}`);
  return JSON.parse(last) as T;
}

const f0 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(0));
const mib = (b: number | null | undefined) => (b ? `${(b / 2 ** 20).toFixed(0)} MiB` : '-');
const r1 = (x: number | undefined) => (x === undefined ? null : Math.round(x * 10) / 10);

/** A side as the JSON line carries it. */
const brief = (s: SideResult) => ({
  runtime: s.runtime,
  threads: s.threads,
  load_ms: r1(s.loadMs),
  ...(s.readyMs !== undefined ? { ready_ms: s.readyMs } : {}),
  ...(s.loadPhases
    ? { load_phases_ms: Object.fromEntries(Object.entries(s.loadPhases).map(([k, v]) => [k, r1(v)])) }
    : {}),
  first_ms: Object.fromEntries(Object.entries(s.firstMs).map(([k, v]) => [k, r1(v)])),
  warm_median_ms: Object.fromEntries(Object.entries(s.warmMs).map(([k, v]) => [k, r1(v)])),
  warm_runs: s.warmAll.length,
  peak_rss_bytes: s.peakRssBytes,
  ...(s.secondVisit ? { second_visit: s.secondVisit } : {}),
  ...(s.webgpu ? { webgpu: s.webgpu } : {}),
});

export async function benchModels(json = process.argv.includes('--json')): Promise<void> {
  const runs = Math.max(5, Number(argValue('--runs') ?? 5));
  const threadsList = (argValue('--threads') ?? '1,2').split(',').map(Number);
  console.log(
    `\n== published models (issue 38): ViT-B/32-sized CLIP and a 137M U-Net, ours vs transformers.js, same run ` +
      `(${runs} warm runs; threads ${threadsList.join(', ')}) ==`,
  );
  const clip = makeBigClipFolder();
  const unet = makeBigUnetFolder();
  const base = { runs, clip, unet };
  const sides: SideResult[] = [];
  const say = (s: SideResult) => {
    sides.push(s);
    console.log(
      `  ${s.model} ${s.side} (${s.threads} thr): load ${f0(s.loadMs)} ms, first ` +
        `${Object.values(s.firstMs).map(f0).join('/')} ms, warm ${Object.values(s.warmMs).map(f0).join('/')} ms, ` +
        `peak ${mib(s.peakRssBytes)}`,
    );
  };

  // Each side on its own at the first thread count (load, first run, warm runs, peak memory, second visit); then
  // ours and transformers.js in turn at every thread count (the warm ratios the target is judged on). The U-Net
  // (nothing to compare it with) at one thread. This keeps the whole run within about ten minutes.
  const t0 = threadsList[0]!;
  const pairs: PairResult[] = [];
  const sayPair = (p: PairResult) => {
    pairs.push(p);
    console.log(
      `  clip ${p.where}, ours and transformers.js in turn (${p.threads} thr): ours ${f0(p.ours.text_emb)}/` +
        `${f0(p.ours.image_emb)} ms, theirs ${f0(p.theirs.text_emb)}/${f0(p.theirs.image_emb)} ms, ratio ` +
        `${p.ratio.text_emb}/${p.ratio.image_emb}`,
    );
  };
  for (const side of ['ours-web', 'ours-node', 'tjs-node'] as const)
    say(nodeSide({ ...base, side, model: 'clip', threads: t0 }));
  for (const side of ['ours-web', 'ours-node'] as const) say(nodeSide({ ...base, side, model: 'unet', threads: 1 }));
  for (const threads of threadsList)
    sayPair(nodeSide<PairResult>({ ...base, side: 'pair-node', model: 'clip', threads }));

  // Chromium: the app and the bench page built from this checkout now, after the Node sides
  await buildApp();
  await buildBenchPage();
  const server = await startBenchServer(PUBLISHED_DIR);
  try {
    const folderUrl = (dir: string) => `${server.url}bench-models/${basename(dir)}/`;
    say(await appClip(server.url, folderUrl(clip), t0, runs));
    say(await pageTransformers(server.url, basename(clip), t0, runs));
    say(await pageUnet(server.url, folderUrl(unet), 1, runs));
    for (const threads of threadsList) sayPair(await pairedBrowser(server.url, folderUrl(clip), threads, runs));
  } finally {
    await server.close();
  }
  report(sides, pairs, runs);
  if (json) console.log(JSON.stringify(summary(sides, pairs)));
}

const find = (sides: SideResult[], side: string, model: string, threads?: number) =>
  sides.find((s) => s.side === side && s.model === model && (threads === undefined || s.threads === threads));

function versions() {
  const v = (p: string) => (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
  const nested = 'node_modules/@huggingface/transformers/node_modules/onnxruntime-web/package.json';
  return {
    ort_web_ours: v('node_modules/onnxruntime-web/package.json'),
    ort_web_transformers: v(existsSync(nested) ? nested : 'node_modules/onnxruntime-web/package.json'),
    ort_node_ours: v('node_modules/onnxruntime-node/package.json'),
    transformers_js: v('node_modules/@huggingface/transformers/package.json'),
  };
}

/**
 * Ours / theirs: per encoder the warm runs taken in turn (the median of per-run ratios, at each thread count), and
 * from the separate sides the first runs, the load and the peak memory.
 */
function ratios(sides: SideResult[], pairs: PairResult[]) {
  const out: Record<string, Record<string, number | null>> = {};
  for (const p of pairs) {
    const [ours, theirs] =
      p.where === 'node'
        ? [find(sides, 'ours-node', 'clip', p.threads), find(sides, 'tjs-node', 'clip', p.threads)]
        : [find(sides, 'ours-browser', 'clip', p.threads), find(sides, 'tjs-browser', 'clip', p.threads)];
    out[`${p.where === 'node' ? 'node_native' : 'browser_wasm'}_${p.threads}t`] = {
      text_warm: p.ratio.text_emb ?? null,
      image_warm: p.ratio.image_emb ?? null,
      ...(ours && theirs
        ? {
            text_first: ratio(ours.firstMs.text_emb, theirs.firstMs.text_emb),
            image_first: ratio(ours.firstMs.image_emb, theirs.firstMs.image_emb),
            load: ratio(ours.loadMs, theirs.loadMs),
            peak_memory: ratio(ours.peakRssBytes ?? NaN, theirs.peakRssBytes ?? NaN),
          }
        : {}),
    };
  }
  return out;
}

function summary(sides: SideResult[], pairs: PairResult[]) {
  const byThreads = (side: string, model: string) =>
    Object.fromEntries(
      sides.filter((s) => s.side === side && s.model === model).map((s) => [`${s.threads}t`, brief(s)]),
    );
  const r = ratios(sides, pairs);
  const warm = Object.values(r).flatMap((x) => [x.text_warm, x.image_warm]);
  const inTurn = (where: string) =>
    Object.fromEntries(
      pairs
        .filter((p) => p.where === where)
        .map((p) => [`${p.threads}t`, { runs: p.runs, ours_ms: p.ours, transformers_ms: p.theirs, ratio: p.ratio }]),
    );
  // the embeddings of the first run: ours and transformers.js encode the same folder, texts and pictures
  const check = (a?: SideResult, b?: SideResult) =>
    a?.embeddings && b?.embeddings
      ? {
          text: maxAbsDiff(a.embeddings.text, b.embeddings.text),
          image: maxAbsDiff(a.embeddings.image, b.embeddings.image),
        }
      : null;
  return {
    clip: {
      node: { web: byThreads('ours-web', 'clip'), native: byThreads('ours-node', 'clip') },
      browser: { wasm: byThreads('ours-browser', 'clip') },
      transformers_js: { node: byThreads('tjs-node', 'clip'), browser: byThreads('tjs-browser', 'clip') },
      in_turn_with_transformers_js: { node_native: inTurn('node'), browser_wasm: inTurn('browser') },
      embeddings_max_abs_diff: {
        node_native_vs_transformers: check(find(sides, 'ours-node', 'clip'), find(sides, 'tjs-node', 'clip')),
        browser_vs_transformers: check(find(sides, 'ours-browser', 'clip'), find(sides, 'tjs-browser', 'clip')),
      },
    },
    unet: {
      node: { web: byThreads('ours-web', 'unet'), native: byThreads('ours-node', 'unet') },
      browser: { wasm: byThreads('ours-browser', 'unet') },
    },
    ...versions(),
    ratio_vs_transformers: r,
    target_within_10pct: warm.every((x) => withinTarget(x) !== false),
    machine: { note: 'a shared machine: 2 CPU cores, other jobs running (noisy figures)' },
  };
}

function report(sides: SideResult[], pairs: PairResult[], runs: number): void {
  console.log(
    `\nPer side: load = download from the cache / read from disk + sha256 + sessions (ours: the loader node; ` +
      `transformers.js: from_pretrained of tokenizer, processor and both halves); first and warm (median of ${runs}) ` +
      `runs in ms, text (8 captions, 77 tokens) / image (4 pictures, 224 px) for the CLIP, one U-Net call for the ` +
      `U-Net; peak = the process's peak RSS (Node: maxRSS of its child process; Chromium: VmHWM of the renderer ` +
      `process)`,
  );
  console.log(
    '| model | side | threads | runtime | load ms | first ms | warm ms | peak | second visit: ready / load ms |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of sides) {
    const sv = s.secondVisit as { readyMs: number; loadMs: number } | undefined;
    console.log(
      `| ${s.model} | ${s.side} | ${s.threads} | ${s.runtime} | ${f0(s.loadMs)} | ` +
        `${Object.values(s.firstMs).map(f0).join(' / ')} | ${Object.values(s.warmMs).map(f0).join(' / ')} | ` +
        `${mib(s.peakRssBytes)} | ${sv ? `${f0(sv.readyMs)} / ${f0(sv.loadMs)}` : '-'} |`,
    );
  }
  console.log(
    `\nOurs and transformers.js in turn (one process, or two pages of one Chromium; who goes first alternates), ` +
      `warm medians of ${runs} runs, text / image ms:`,
  );
  console.log('| where | threads | ours | transformers.js | ours / theirs (median of per-run ratios) |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const p of pairs)
    console.log(
      `| ${p.where === 'node' ? 'Node, native' : 'Chromium, WASM'} | ${p.threads} | ${f0(p.ours.text_emb)} / ` +
        `${f0(p.ours.image_emb)} | ${f0(p.theirs.text_emb)} / ${f0(p.theirs.image_emb)} | ${p.ratio.text_emb} / ` +
        `${p.ratio.image_emb} |`,
    );
  const r = ratios(sides, pairs);
  console.log(
    '\nOurs / transformers.js (1.00 = as fast; the target, <= 1.10, on the warm runs in turn; first runs, load ' +
      'and peak from the separate sides):',
  );
  console.log('| where | text warm | image warm | text first | image first | load | peak memory |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [k, x] of Object.entries(r))
    console.log(
      `| ${k} | ${[x.text_warm, x.image_warm, x.text_first, x.image_first, x.load, x.peak_memory]
        .map((v) => v ?? '-')
        .join(' | ')} |`,
    );
  const v = versions();
  console.log(
    `onnxruntime-web: ours ${v.ort_web_ours}, transformers.js ${v.transformers_js}'s ${v.ort_web_transformers}; ` +
      `onnxruntime-node: ${v.ort_node_ours} on both sides`,
  );
}
