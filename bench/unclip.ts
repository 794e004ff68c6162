import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRegistry } from '../nodes/index';
import { nodeServices } from '../src/host/node-services';
import { Engine } from '../src/engine/scheduler';
import type { ModelLoadTiming, ModelRuntime } from '../src/models/runtime/runtime';
import { createModelRuntime } from '../src/models/runtime/runtime-node';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, startServer } from '../test/e2e/harness';
import { profileUnclip } from './unclip-profile';

const GRAPH = 'graphs/text-to-image.json';
const LOAD_REPEATS = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = (a: number, b: number) => Math.round((100 * a) / Math.max(b, 0.01)) / 100;
const r1 = (x: number) => Math.round(x * 10) / 10;

interface GraphTimes {
  /** Per node, the warm run's ms (models loaded, the engine's code hot). */
  stages: Record<string, number>;
  cold: number;
  warm: number;
}

/** The graph cold, then re-run after seed changes (as a user would): per-stage medians of the warm runs. */
async function graphTimes(models: ModelRuntime): Promise<GraphTimes> {
  const engine = new Engine(createRegistry(), nodeServices({ models }));
  engine.load(readFileSync(GRAPH, 'utf8'));
  const run = async () => {
    const r = await engine.run();
    if (!r.ok) throw new Error(`${GRAPH} failed: ${JSON.stringify(r.nodes)}`);
    return r;
  };
  const cold = (await run()).ms;
  // V8 starts WASM on its baseline compiler and optimizes hot functions while it runs: two runs warm it up,
  // then the median of three, each after a seed change (as a user would)
  const warm: Array<Awaited<ReturnType<typeof run>>> = [];
  for (let seed = 100; seed < 105; seed++) {
    engine.setParam('seed', 'value', seed);
    const r = await run();
    if (seed >= 102) warm.push(r);
  }
  const stages = Object.fromEntries(
    Object.keys(warm[0]!.nodes).map((id) => [id, median(warm.map((r) => r.nodes[id]!.ms))]),
  );
  return { stages, cold, warm: median(warm.map((r) => r.ms)) };
}

/** Each model's load (read, sha256, session) on fresh runtimes over an engine already started; median ms. */
async function loadTimes(backend: 'web' | 'node', ids: string[]): Promise<Record<string, ModelLoadTiming>> {
  const runs: ModelLoadTiming[][] = [];
  for (let i = 0; i < LOAD_REPEATS + 1; i++) {
    const models = (await createModelRuntime(undefined, backend, 1))!;
    for (const id of ids) await models.session(id);
    if (i > 0) runs.push(models.loadTimings()); // the first round starts the engine (WASM compile)
  }
  const out: Record<string, ModelLoadTiming> = {};
  for (const id of ids) {
    const all = runs.map((r) => r.find((t) => t.id === id)!);
    const pick = (k: 'readMs' | 'hashMs' | 'createMs' | 'totalMs') => median(all.map((t) => t[k]));
    out[id] = {
      ...all[0]!,
      readMs: pick('readMs'),
      hashMs: pick('hashMs'),
      createMs: pick('createMs'),
      totalMs: pick('totalMs'),
    };
  }
  return out;
}

interface BrowserTimes {
  threads: number;
  crossOriginIsolated: boolean;
  coldStartMs: number;
  reloadStartMs: number;
  warmRerunMs: number;
  stages: Record<string, number>;
  /** The same warm runs in a page that is not cross-origin isolated: onnxruntime-web on 1 thread. */
  oneThread: { warmRerunMs: number; stages: Record<string, number> };
  loads: ModelLoadTiming[];
  /** measureUserAgentSpecificMemory after the runs: the page's agent cluster, and the engine worker's share. */
  memory: { total: number; worker: number } | null;
}

interface WarmRuns {
  threads: number;
  crossOriginIsolated: boolean;
  warmRerunMs: number;
  stages: Record<string, number>;
}

/** Five runs of the graph in the page's engine, each after a seed change: per node, the median of the last three. */
async function warmRuns(page: Page, graph: string): Promise<WarmRuns> {
  const res = await page.evaluate(
    async ({ graph }) => {
      type Api = {
        loadGraph(g: unknown): Promise<{ ok: boolean }>;
        run(o?: object): Promise<{ ok: boolean; ms: number; nodes: Record<string, { ms: number }> }>;
      };
      const e = (window as unknown as { unclipStudio: { engine: Api } }).unclipStudio.engine;
      const doc = JSON.parse(graph) as { nodes: Array<{ id: string; params?: Record<string, unknown> }> };
      const runs: Array<Awaited<ReturnType<Api['run']>>> = [];
      const warm: number[] = [];
      for (let seed = 100; seed < 105; seed++) {
        doc.nodes.find((n) => n.id === 'seed')!.params!.value = seed;
        await e.loadGraph(doc);
        const t = performance.now();
        runs.push(await e.run({ backend: 'wasm' })); // against native CPU: WASM, whatever auto would pick
        warm.push(performance.now() - t);
      }
      return {
        ok: runs.every((r) => r.ok),
        warm,
        // per node, its median over the last three runs (the first two warm V8's optimizing compiler up)
        stages: Object.fromEntries(
          Object.keys(runs[0]!.nodes).map((id) => {
            const ms = runs
              .slice(2)
              .map((r) => r.nodes[id]!.ms)
              .sort((a, b) => a - b);
            return [id, ms[1]!];
          }),
        ),
        threads: crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1,
        crossOriginIsolated,
      };
    },
    { graph },
  );
  if (!res.ok) throw new Error(`${GRAPH} failed in Chromium`);
  return { ...res, warmRerunMs: median(res.warm.slice(2)) };
}

/**
 * Chromium at 1 thread: the same app with its COOP/COEP headers stripped, so the page is not cross-origin isolated
 * and onnxruntime-web runs single-threaded (as it does for a user on a host that does not send them).
 */
async function oneThreadRuns(browser: Browser, url: string, graph: string): Promise<WarmRuns> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    await context.route('**/*', async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers['cross-origin-opener-policy'];
      delete headers['cross-origin-embedder-policy'];
      await route.fulfill({ response, headers });
    });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('.canvas[data-ready=yes]');
    const runs = await warmRuns(page, graph);
    if (runs.threads !== 1) throw new Error('the page without COOP/COEP is still cross-origin isolated');
    return runs;
  } finally {
    await context.close();
  }
}

/** The built app in headless Chromium: first picture from a fresh profile, after a reload, warm re-runs. */
async function browserTimes(): Promise<BrowserTimes> {
  if (!existsSync('dist/index.html') || !existsSync('dist/ort/ort-wasm-simd-threaded.wasm'))
    execFileSync('npm', ['run', 'build', '--', '--logLevel', 'warn'], { stdio: 'inherit' });
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    // a fresh context: its own empty cache and storage, nothing loaded before the first measurement
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    // the first picture as a user gets it: open the editor (default graph), press Run, see the image node's picture
    const firstPicture = async () => {
      const t0 = Date.now();
      await page.goto(server.url);
      await page.waitForSelector('.canvas[data-ready=yes]');
      await page.getByTestId('run').click();
      await page.waitForSelector('.gnode[data-node-id="image"] [data-testid=thumb]', { timeout: 120_000 });
      return Date.now() - t0;
    };
    const coldStartMs = await firstPicture();
    await page.evaluate(() => localStorage.clear());
    const reloadStartMs = await firstPicture(); // the HTTP cache and V8's WASM code cache are warm now
    const graph = readFileSync(GRAPH, 'utf8');
    const runs = await warmRuns(page, graph);
    const res = await page.evaluate(async () => {
      type Api = { runtimeInfo(): Promise<{ loads: ModelLoadTiming[] }> };
      const e = (window as unknown as { unclipStudio: { engine: Api } }).unclipStudio.engine;
      // Chrome answers at its next scheduled measurement (about a minute here), so this waits
      type Measured = { bytes: number; breakdown: Array<{ bytes: number; attribution: Array<{ scope: string }> }> };
      const measure = (performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<Measured> })
        .measureUserAgentSpecificMemory;
      let memory: { total: number; worker: number } | null = null;
      if (measure && crossOriginIsolated) {
        const timeout = new Promise<null>((r) => setTimeout(() => r(null), 120_000));
        const m = await Promise.race([measure.call(performance), timeout]);
        if (m) {
          const worker = m.breakdown
            .filter((b) => b.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope'))
            .reduce((a, b) => a + b.bytes, 0);
          memory = { total: m.bytes, worker };
        }
      }
      return { loads: (await e.runtimeInfo()).loads, memory };
    });
    const oneThread = await oneThreadRuns(browser, server.url, graph);
    return {
      threads: runs.threads,
      crossOriginIsolated: runs.crossOriginIsolated,
      coldStartMs,
      reloadStartMs,
      warmRerunMs: runs.warmRerunMs,
      stages: runs.stages,
      oneThread,
      loads: res.loads,
      memory: res.memory,
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

export async function benchUnclip(json = process.argv.includes('--json')): Promise<void> {
  console.log(`\n== ${GRAPH}: onnxruntime-web (the browser's WASM engine) vs onnxruntime-node (native), same run ==`);
  if (!existsSync('public/models/mini-unclip-decoder.onnx')) {
    console.log('skipped: the generative models are not bundled yet');
    return;
  }
  if (process.argv.includes('--profile')) return profileUnclip(GRAPH);
  const doc = JSON.parse(readFileSync(GRAPH, 'utf8')) as { nodes: Array<{ id: string; type: string }> };
  const stageIds = doc.nodes.filter((n) => !n.type.endsWith('/load-model')).map((n) => n.id);
  const models = [
    'mini-clip-text',
    'mini-clip-image',
    'mini-unclip-prior',
    'mini-unclip-decoder',
    'mini-unclip-upsampler',
    'mini-unclip-upsampler256',
  ];

  const startPeak = process.resourceUsage().maxRSS * 1024;
  const web = await graphTimes((await createModelRuntime(undefined, 'web', 1))!);
  const webPeak = process.resourceUsage().maxRSS * 1024;
  const native = await graphTimes((await createModelRuntime(undefined, 'node', 1))!);
  const webLoad = await loadTimes('web', models);
  const nativeLoad = await loadTimes('node', models);
  const browser = await browserTimes();
  const native2 = await graphTimes((await createModelRuntime(undefined, 'node', browser.threads))!);

  // each side's best configuration, per stage: the browser at 1 thread or at its isolated thread count, native at
  // 1 thread or the same count (each at its own graph optimization level: web 'basic', native 'all'; see below)
  const best = (a: number, aThreads: number, b: number, bThreads: number) =>
    a <= b ? { ms: a, threads: aThreads } : { ms: b, threads: bThreads };
  const stages = stageIds.map((node) => {
    const b1 = browser.oneThread.stages[node] ?? 0,
      bN = browser.stages[node] ?? 0;
    const n1 = native.stages[node] ?? 0,
      nN = native2.stages[node] ?? 0;
    const browserBest = best(b1, 1, bN, browser.threads),
      nativeBest = best(n1, 1, nN, browser.threads);
    return {
      node,
      web_ms: r1(web.stages[node] ?? 0),
      native_ms: r1(n1),
      ratio: ratio(web.stages[node] ?? 0, n1),
      browser_ms: r1(bN),
      native_threads_ms: r1(nN),
      browser_ratio: ratio(bN, nN),
      browser_1_thread_ms: r1(b1),
      browser_1_thread_ratio: ratio(b1, n1),
      browser_best_ms: r1(browserBest.ms),
      browser_best_threads: browserBest.threads,
      native_best_ms: r1(nativeBest.ms),
      native_best_threads: nativeBest.threads,
      best_ratio: ratio(browserBest.ms, nativeBest.ms),
    };
  });
  const load = models.map((node) => {
    const w = webLoad[node]!,
      n = nativeLoad[node]!;
    const b = browser.loads.find((l) => l.id === node);
    return {
      node,
      web_ms: r1(w.totalMs),
      native_ms: r1(n.totalMs),
      ratio: ratio(w.totalMs, n.totalMs),
      web_phases: { read: r1(w.readMs), sha256: r1(w.hashMs), session: r1(w.createMs) },
      native_phases: { read: r1(n.readMs), sha256: r1(n.hashMs), session: r1(n.createMs) },
      browser_first_ms: b ? r1(b.totalMs) : null,
      browser_first_phases: b ? { fetch: r1(b.readMs), sha256: r1(b.hashMs), session: r1(b.createMs) } : null,
    };
  });
  const total = {
    web_ms: r1(web.warm),
    native_ms: r1(native.warm),
    ratio: ratio(web.warm, native.warm),
    web_cold_ms: r1(web.cold),
    native_cold_ms: r1(native.cold),
    browser_threads: browser.threads,
    browser_warm_rerun_ms: r1(browser.warmRerunMs),
    native_threads_ms: r1(native2.warm),
    browser_ratio: ratio(browser.warmRerunMs, native2.warm),
    browser_1_thread_ms: r1(browser.oneThread.warmRerunMs),
    best_ratio: ratio(
      Math.min(browser.warmRerunMs, browser.oneThread.warmRerunMs),
      Math.min(native.warm, native2.warm),
    ),
    browser_cold_start_ms: browser.coldStartMs,
    browser_reload_start_ms: browser.reloadStartMs,
  };
  const memory = {
    browser_total_bytes: browser.memory?.total ?? null,
    browser_worker_bytes: browser.memory?.worker ?? null,
    node_peak_rss_bytes: webPeak,
    node_peak_rss_before_bytes: startPeak,
  };

  const n = browser.threads;
  console.log(`\nStages, warm (models loaded; median of 3 runs after 2 warm-ups, each after a seed change), ms:`);
  console.log(
    `| node | web, Node, 1 thread | native, 1 thread | ratio | Chromium, ${n} threads | native, ${n} threads | ` +
      `ratio | Chromium, 1 thread | ratio to native, 1 thread | best vs best |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of stages) {
    if (s.web_ms < 2 && s.native_ms < 2) continue;
    console.log(
      `| ${s.node} | ${s.web_ms} | ${s.native_ms} | ${s.ratio}x | ${s.browser_ms} | ${s.native_threads_ms} | ` +
        `${s.browser_ratio}x | ${s.browser_1_thread_ms} | ${s.browser_1_thread_ratio}x | ${s.best_ratio}x ` +
        `(${s.browser_best_ms} at ${s.browser_best_threads} / ${s.native_best_ms} at ${s.native_best_threads}) |`,
    );
  }
  console.log(
    `| whole graph | ${total.web_ms} | ${total.native_ms} | ${total.ratio}x | ${total.browser_warm_rerun_ms} | ` +
      `${total.native_threads_ms} | ${total.browser_ratio}x | ${total.browser_1_thread_ms} | ` +
      `${ratio(browser.oneThread.warmRerunMs, native.warm)}x | ${total.best_ratio}x |`,
  );
  console.log(
    'Sessions: onnxruntime-web at graph optimization "basic", native at "all" (each its fastest here; native\'s ' +
      '"all" adds the blocked NCHWc convolutions, for which WASM has no kernels). Best vs best: each side at ' +
      'its faster thread count, per stage.',
  );
  console.log(`\nModel load (read + sha256 + session; engine started; median of ${LOAD_REPEATS}), ms:`);
  console.log(
    '| model | web, Node | native | ratio | web phases r/h/s | Chromium, first load (fetch/sha256/session) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const l of load) {
    const p = l.web_phases,
      b = l.browser_first_phases;
    console.log(
      `| ${l.node} | ${l.web_ms} | ${l.native_ms} | ${l.ratio}x | ${p.read}/${p.sha256}/${p.session} | ` +
        `${b ? `${l.browser_first_ms} (${b.fetch}/${b.sha256}/${b.session})` : 'not loaded'} |`,
    );
  }
  console.log(
    `\nChromium (the built app, ${browser.crossOriginIsolated ? 'cross-origin isolated' : 'NOT isolated'}): ` +
      `first picture from a fresh profile ${browser.coldStartMs} ms (open, Run, picture), after a reload ` +
      `${browser.reloadStartMs} ms; warm re-run after a seed change ${total.browser_warm_rerun_ms} ms. ` +
      `Cold graph runs in Node: web ${total.web_cold_ms} ms, native ${total.native_cold_ms} ms.`,
  );
  const mib = (b: number | null) => (b === null ? 'unavailable' : `${(b / 2 ** 20).toFixed(0)} MiB`);
  console.log(
    `Memory: Chromium (measureUserAgentSpecificMemory after the runs) ${mib(memory.browser_total_bytes)}, of it ` +
      `the engine worker ${mib(memory.browser_worker_bytes)}; Node, the web engine: peak RSS ` +
      `${mib(memory.node_peak_rss_bytes)} (${mib(memory.node_peak_rss_before_bytes)} before the first model loaded).`,
  );
  if (json) console.log(JSON.stringify({ stages, load, total, memory }));
}
