/**
 * `npm run bench -- start [--json] [--reps 3] [--dist dist] [--against <folders>] [--trace]` (issue 41): the built
 * app in headless Chromium, from opening the page to the default graph's first picture.
 *
 * - cold: a fresh browser profile (empty HTTP cache, Cache API, V8 code cache, storage): open the editor, wait for the
 *   canvas, press Run, until the 64x64 stage's picture (node `up64`'s thumbnail) is on the graph; the 256x256 one
 *   (node `image`) is reported beside it;
 * - second visit: the browser closed and launched again on the same profile (its HTTP cache, Cache API and V8's WASM
 *   code cache on disk), the same;
 * - warm re-run: on that page, the seed changed in the seed node's field, Run pressed, until the picture.
 *
 * Every time is taken in the page (performance.now(): from the navigation's start, or from the Run click), each
 * scenario repeated and its median reported. A phase breakdown comes from the page's and the engine worker's
 * `studio:*` performance marks and the node status changes the editor shows.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchProfile, startServer } from '../test/e2e/harness';

const FIRST = 'up64';
const FINAL = 'image';
const DECODER = 'decoder';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};
const r0 = (x: number) => Math.round(x);

/**
 * Installed in every page before its scripts (a string: the bundler's helpers must not leak into the page): the
 * moment each node's thumbnail is added to the DOM, the Run button's clicks, and every node status change the
 * editor's store makes (once the app has exposed it), all on the page's clock.
 */
const PROBE = `(() => {
  window.__probe = { thumbs: {}, clicks: [], statuses: [] };
  const seen = (el) => {
    const sel = '[data-testid=thumb]';
    const list = el.matches && el.matches(sel) ? [el] : el.querySelectorAll ? [...el.querySelectorAll(sel)] : [];
    for (const t of list) {
      const node = t.closest('.gnode');
      const id = node && node.getAttribute('data-node-id');
      if (id && window.__probe.thumbs[id] === undefined) window.__probe.thumbs[id] = performance.now();
    }
  };
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) if (n.nodeType === 1) seen(n);
  }).observe(document, { subtree: true, childList: true });
  document.addEventListener('click', (e) => {
    // the pictures of the run it starts are those added after it
    if (e.target && e.target.closest && e.target.closest('[data-testid=run]')) {
      window.__probe.clicks.push(performance.now());
      window.__probe.thumbs = {};
    }
  }, true);
  const watch = () => {
    const studio = window.unclipStudio;
    if (!studio || !studio.editor) return setTimeout(watch, 5);
    let last = {};
    studio.editor.subscribe((s) => {
      for (const [id, st] of Object.entries(s.run || {})) {
        if (last[id] !== st.status) window.__probe.statuses.push({ id, status: st.status, t: performance.now() });
      }
      last = Object.fromEntries(Object.entries(s.run || {}).map(([id, st]) => [id, st.status]));
    });
  };
  watch();
})()`;

interface Probe {
  thumbs: Record<string, number>;
  clicks: number[];
  statuses: Array<{ id: string; status: string; t: number }>;
}

interface Visit {
  /** ms from the navigation's start (cold, second visit) or the Run click (warm re-run) to each picture. */
  firstMs: number;
  finalMs: number;
  decoderMs: number;
  /** Phases on the page's clock (ms from the navigation's start), for the breakdown. */
  phases: Record<string, number>;
  /** Each model session's load phases (fetch, sha256, session; `first`: it started the WASM engine). */
  loads: Loads;
  /** The Cache API caches and how many entries each holds, when the pictures were shown. */
  caches: Record<string, number>;
  wasm?: WasmTrace;
}
type Loads = Array<{ id: string; readMs: number; hashMs: number; createMs: number; totalMs: number; first: boolean }>;

/** The page's marks, the engine worker's marks (moved onto the page's clock) and the models' load phases. */
async function pageTimeline(
  page: Page,
): Promise<{ marks: Record<string, number>; loads: Loads; caches: Record<string, number> }> {
  return page.evaluate(`(async () => {
    const marks = {};
    const nav = performance.getEntriesByType('navigation')[0];
    if (nav) {
      marks['page: response end'] = nav.responseEnd;
      marks['page: DOMContentLoaded'] = nav.domContentLoadedEventEnd;
    }
    for (const m of performance.getEntriesByType('mark')) if (m.name.startsWith('studio:')) marks[m.name] = m.startTime;
    const info = await window.unclipStudio.engine.runtimeInfo();
    for (const m of (info && info.marks) || []) marks['worker ' + m.name] = m.at - performance.timeOrigin;
    const cacheCounts = {};
    for (const name of await caches.keys()) cacheCounts[name] = (await (await caches.open(name)).keys()).length;
    return { marks, loads: (info && info.loads) || [], caches: cacheCounts };
  })()`);
}

const probeOf = (page: Page) => page.evaluate('window.__probe') as Promise<Probe>;

/** Waits until the node's thumbnail was added (since the page opened, or since the probe was reset). */
async function waitThumb(page: Page, id: string, timeout = 180_000): Promise<void> {
  // a function, not a string: the page's Content Security Policy forbids eval
  await page.waitForFunction(
    (node) => (window as unknown as { __probe: Probe }).__probe.thumbs[node] !== undefined,
    id,
    { timeout, polling: 'raf' },
  );
}

/** Phases of one visit: the marks, the Run click, each node's first running and done. */
function phasesOf(probe: Probe, marks: Record<string, number>, since: number): Record<string, number> {
  const phases: Record<string, number> = {};
  for (const [k, v] of Object.entries(marks)) if (v >= since - 1) phases[k] = v - since;
  const click = probe.clicks.find((c) => c >= since);
  if (click !== undefined) phases['Run clicked'] = click - since;
  for (const s of probe.statuses) {
    if (s.t < (click ?? since)) continue;
    const key = `node ${s.id} ${s.status}`;
    if (phases[key] === undefined && (s.status === 'running' || s.status === 'done')) phases[key] = s.t - since;
  }
  for (const [id, t] of Object.entries(probe.thumbs)) if (t >= since) phases[`thumb ${id} shown`] = t - since;
  return phases;
}

/** Opens the editor in a new page of the context and runs the default graph: times from the navigation's start. */
/** What V8 did with the WASM runtime during a visit (Chrome's v8.wasm trace events; `--trace`). */
interface WasmTrace {
  /** The module came from V8's code cache (wasm.Deserialize), not compiled afresh. */
  fromCodeCache: boolean;
  /** Functions compiled by Liftoff on first call, and the optimizing tier's CPU time (background threads). */
  lazyCompiles: number;
  topTierMs: number;
}

/** Starts Chrome's tracing of V8's WASM events for a page; the returned function stops it and sums them up. */
async function traceWasm(context: BrowserContext, page: Page): Promise<() => Promise<WasmTrace>> {
  const cdp = await context.newCDPSession(page);
  const events: Array<{ name: string; dur?: number }> = [];
  cdp.on('Tracing.dataCollected', (d) => events.push(...(d.value as unknown as Array<{ name: string; dur?: number }>)));
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['v8.wasm'] }, transferMode: 'ReportEvents' });
  return async () => {
    const complete = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.end');
    await complete;
    const named = (n: string) => events.filter((e) => e.name === n);
    return {
      fromCodeCache: named('wasm.Deserialize').length > 0,
      lazyCompiles: named('wasm.CompileLazy').length,
      topTierMs: named('wasm.TopTierCompilation').reduce((a, e) => a + (e.dur ?? 0) / 1000, 0),
    };
  };
}

/** Opens the editor in a new page of the context and runs the default graph: times from the navigation's start. */
async function visit(context: BrowserContext, url: string, trace = false): Promise<{ page: Page; visit: Visit }> {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.addInitScript(PROBE);
  const stopTrace = trace ? await traceWasm(context, page) : undefined;
  await page.goto(url);
  await page.waitForSelector('.canvas[data-ready=yes]');
  await page.getByTestId('run').click();
  await waitThumb(page, FIRST);
  await waitThumb(page, FINAL);
  const probe = await probeOf(page);
  const { marks, loads, caches } = await pageTimeline(page);
  const wasm = await stopTrace?.();
  return {
    page,
    visit: {
      firstMs: probe.thumbs[FIRST]!,
      finalMs: probe.thumbs[FINAL]!,
      decoderMs: probe.thumbs[DECODER] ?? NaN,
      phases: phasesOf(probe, marks, 0),
      loads,
      caches,
      ...(wasm ? { wasm } : {}),
    },
  };
}

/** On an open editor: a new seed typed into the seed node, Run pressed, until the pictures (from the click). */
async function rerun(page: Page, seed: number): Promise<Visit> {
  const field = page.locator('.gnode[data-node-id=seed] input[data-param=value]');
  await field.fill(String(seed));
  await field.press('Enter');
  await page.evaluate('window.__probe.thumbs = {}; window.__probe.statuses = []; window.__probe.clicks = []');
  await page.getByTestId('run').click();
  await waitThumb(page, FIRST);
  await waitThumb(page, FINAL);
  const probe = await probeOf(page);
  const click = probe.clicks[0]!;
  const { marks, caches } = await pageTimeline(page);
  // the run's summary is shown once its pictures are kept: the next run waits for that
  await page.waitForSelector('[data-testid=run-summary]');
  return {
    firstMs: probe.thumbs[FIRST]! - click,
    finalMs: probe.thumbs[FINAL]! - click,
    decoderMs: (probe.thumbs[DECODER] ?? NaN) - click,
    phases: phasesOf(probe, marks, click),
    loads: [],
    caches,
  };
}

function printPhases(title: string, visits: Visit[]): void {
  // the median visit's phases (by first picture), in time order
  const v = [...visits].sort((a, b) => a.firstMs - b.firstMs)[Math.floor((visits.length - 1) / 2)]!;
  console.log(`\n${title} (the median visit, ms from ${title.startsWith('warm') ? 'the Run click' : 'navigation'}):`);
  for (const [k, t] of Object.entries(v.phases).sort((a, b) => a[1] - b[1]))
    console.log(`  ${r0(t).toString().padStart(6)}  ${k}`);
  if (v.loads.length)
    console.log(
      '  model sessions (fetch / sha256 / session ms; * started the WASM engine): ' +
        v.loads.map((l) => `${l.id} ${r0(l.readMs)}/${r0(l.hashMs)}/${r0(l.createMs)}${l.first ? '*' : ''}`).join(', '),
    );
  if (v.wasm)
    console.log(
      `  V8 and the WASM runtime: ${v.wasm.fromCodeCache ? 'read from the code cache' : 'compiled afresh'}, ` +
        `${v.wasm.lazyCompiles} functions compiled on first call, ${r0(v.wasm.topTierMs)} ms of optimizing ` +
        'compilation (background threads)',
    );
  console.log(
    `  Cache API: ${
      Object.entries(v.caches)
        .map(([n, k]) => `${n} (${k})`)
        .join(', ') || 'empty'
    }`,
  );
}

interface Scenarios {
  cold: Visit[];
  second: Visit[];
  warm: Visit[];
}

/**
 * One repetition of the three scenarios on a server: a fresh profile (a new user-data folder: nothing cached), the
 * browser closed and launched again on that profile for the second visit, two warm re-runs there.
 */
async function repetition(url: string, into: Scenarios, i: number, trace: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'start-bench-'));
  try {
    const fresh = await launchProfile(dir);
    try {
      const first = await visit(fresh, url, trace);
      into.cold.push(first.visit);
      // the next visit opens the default graph again, not the autosaved copy of this one
      await first.page.evaluate('localStorage.clear()');
    } finally {
      await fresh.close();
    }
    const again = await launchProfile(dir);
    try {
      const second = await visit(again, url, trace);
      into.second.push(second.visit);
      for (let k = 0; k < 2; k++) into.warm.push(await rerun(second.page, 100 + 10 * i + k));
    } finally {
      await again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const summary = (vs: Visit[]) => ({
  first: r0(median(vs.map((v) => v.firstMs))),
  best: r0(Math.min(...vs.map((v) => v.firstMs))),
  final: r0(median(vs.map((v) => v.finalMs))),
  decoder: r0(median(vs.map((v) => v.decoderMs))),
  all: vs.map((v) => r0(v.firstMs)),
});

function printTable(title: string, r: Scenarios): void {
  console.log(`\n${title}`);
  console.log(
    '| median | first picture (64x64, up64) | final (256x256, image) | decoder 32x32 | first picture, each |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  const row = (name: string, x: ReturnType<typeof summary>) =>
    console.log(`| ${name} | ${x.first} ms | ${x.final} ms | ${x.decoder} ms | ${x.all.join(', ')} |`);
  row('cold (fresh profile)', summary(r.cold));
  row('second visit', summary(r.second));
  row('warm re-run (seed)', summary(r.warm));
}

/**
 * `--dist <folder>`: the build measured (default dist/, built when missing); `--against <folder>[,<folder>]`: other
 * builds (the code before a change) measured in turn with it, repetition by repetition, so a busy machine slows all
 * alike; their tables are printed, the JSON line is the measured build's. `--trace`: Chrome's trace of V8's WASM
 * events in each visit says whether the runtime came from V8's code cache and how much optimizing compilation ran.
 */
export async function benchStart(json = process.argv.includes('--json')): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const reps = Math.max(1, Number(arg('--reps') ?? 3));
  const dist = arg('--dist') ?? 'dist';
  const against = (arg('--against') ?? '').split(',').filter(Boolean);
  const trace = process.argv.includes('--trace');
  const builds = [dist, ...against];
  console.log(
    `\n== start-up: the built app (${builds.join(', ')}) in headless Chromium, default graph, ${reps} repetitions ==`,
  );
  if (dist === 'dist' && (!existsSync('dist/index.html') || !existsSync('dist/ort/ort-wasm-simd-threaded.wasm')))
    execFileSync('npm', ['run', 'build', '--', '--logLevel', 'warn'], { stdio: 'inherit' });
  const servers = await Promise.all(builds.map((outDir) => startServer({ outDir })));
  const results: Scenarios[] = builds.map(() => ({ cold: [], second: [], warm: [] }));
  try {
    for (let i = 0; i < reps; i++)
      for (let b = 0; b < builds.length; b++) await repetition(servers[b]!.url, results[b]!, i, trace);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
  for (let b = builds.length - 1; b >= 1; b--) printTable(`${builds[b]} (against):`, results[b]!);
  const r = results[0]!;
  printTable(`${dist}:`, r);
  console.log('targets: cold <= 3000 ms, second visit <= 2000 ms, warm re-run <= 1000 ms (first picture)');
  printPhases('cold', r.cold);
  printPhases('second visit', r.second);
  printPhases('warm re-run', r.warm);
  const c = summary(r.cold),
    s = summary(r.second),
    w = summary(r.warm);
  if (json)
    console.log(
      JSON.stringify({
        cold_ms: c.first,
        second_visit_ms: s.first,
        warm_rerun_ms: w.first,
        final_256_ms: { cold: c.final, second_visit: s.final, warm_rerun: w.final },
        decoder_32_ms: { cold: c.decoder, second_visit: s.decoder, warm_rerun: w.decoder },
        best_ms: { cold: c.best, second_visit: s.best, warm_rerun: w.best },
        runs: { cold: c.all, second_visit: s.all, warm_rerun: w.all },
        ...(against.length
          ? {
              against: Object.fromEntries(
                against.map((a, k) => {
                  const x = results[k + 1]!;
                  return [
                    a,
                    {
                      cold_ms: summary(x.cold).first,
                      second_visit_ms: summary(x.second).first,
                      warm_rerun_ms: summary(x.warm).first,
                    },
                  ];
                }),
              ),
            }
          : {}),
      }),
    );
}
