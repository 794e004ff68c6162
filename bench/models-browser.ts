/**
 * The Chromium sides of `npm run bench -- models`. One `vite preview` of the app (built by the bench into
 * test-artifacts/bench-models-app, served as the e2e harness serves dist/) also serves, from this checkout's disk:
 *   /bench-models/<folder>/...   test-artifacts/published (the model folders; Cache-Control max-age, as a CDN)
 *   /models-bench.html           bench/models-page, built here (our runtime's U-Net; transformers.js's page)
 *   /bench-tjs/                  transformers.js's own browser build and its onnxruntime-web's WASM (no CDN)
 * Each side runs in a fresh persistent Chromium profile of its own (so the second visit reads a real disk cache),
 * and its peak memory is the renderer process's peak RSS (VmHWM in /proc; the engine worker and WASM memory live
 * in it). One thread: the page is served without cross-origin isolation (onnxruntime-web then runs one thread);
 * more: isolated, as the app is served (the app takes min(4, hardwareConcurrency) threads).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve, sep } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build, defaultClientConditions, preview, type Plugin } from 'vite';
import { MODEL_CACHE_NAME } from '../src/models/runtime/model-cache';
import { CLIP_LOADER, PICTURES, clipGraph, pictureRgb, pngDataUrl } from './models-inputs';
import { median, pairOf, procMemory, type PairResult, type SideResult } from './models-stats';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const PAGE_OUT = join(ROOT, 'test-artifacts/bench-models-page');
/** The app built for this bench alone: dist/ is rebuilt by the e2e tests of whoever runs them meanwhile. */
const APP_OUT = join(ROOT, 'test-artifacts/bench-models-app');
const TJS_DIST = join(ROOT, 'node_modules/@huggingface/transformers/dist');
/** transformers.js's own onnxruntime-web (nested when its version differs from ours). */
const TJS_ORT = [
  join(ROOT, 'node_modules/@huggingface/transformers/node_modules/onnxruntime-web/dist'),
  join(ROOT, 'node_modules/onnxruntime-web/dist'),
].find((d) => existsSync(join(d, 'ort-wasm-simd-threaded.jsep.wasm')))!;

const OUR_ORT_WEB = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules/onnxruntime-web/package.json'), 'utf8')) as { version: string }
).version;

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** Builds the app from this checkout (vite.config.ts, as `npm run build`) into a folder of the bench's own. */
export async function buildApp(): Promise<void> {
  if (!existsSync(join(ROOT, 'public/ort/ort-wasm-simd-threaded.wasm')))
    execFileSync('node', ['scripts/copy-ort.mjs'], { cwd: ROOT, stdio: 'inherit' });
  await build({ root: ROOT, logLevel: 'warn', build: { outDir: APP_OUT, emptyOutDir: true } });
}

/** Builds the bench page (our runtime and the U-Net code, bundled as the app bundles them). */
export async function buildBenchPage(): Promise<void> {
  await build({
    configFile: false,
    root: join(ROOT, 'bench/models-page'),
    base: '/',
    logLevel: 'warn',
    // the app's build conditions: onnxruntime-web's WASM from /ort/ (the app's copy), not bundled twice
    resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
    build: {
      outDir: PAGE_OUT,
      emptyOutDir: true,
      assetsDir: 'bench-page-assets',
      target: 'es2022',
      rollupOptions: { input: join(ROOT, 'bench/models-page/models-bench.html') },
    },
  });
}

/** Serves the model folders, the bench page and transformers.js's files (see the file's comment). */
function benchFiles(published: string): Plugin {
  const routes: Array<[string, string]> = [
    ['/bench-models/', published],
    ['/bench-tjs/ort/', TJS_ORT],
    ['/bench-tjs/', TJS_DIST],
    ['/bench-page-assets/', join(PAGE_OUT, 'bench-page-assets')],
  ];
  const serve = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    let file: string | undefined;
    if (path === '/models-bench.html') file = join(PAGE_OUT, 'models-bench.html');
    for (const [prefix, dir] of routes)
      if (!file && path.startsWith(prefix)) {
        const f = resolve(dir, path.slice(prefix.length));
        if (f.startsWith(dir + sep)) file = f;
      }
    if (!file) return next();
    // a file a folder lacks (model_index.json of a CLIP folder) is a 404, not the app's page
    if (!existsSync(file) || !statSync(file).isFile()) return void ((res.statusCode = 404), res.end());
    const size = statSync(file).size;
    res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('Content-Length', size);
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    if (url.searchParams.get('isolated') !== '0') {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  };
  return { name: 'bench-model-files', configurePreviewServer: (server) => void server.middlewares.use(serve) };
}

/** Debian's Chromium as the e2e harness launches it (test/e2e/harness.ts), with a profile on disk. */
async function withProfile<T>(fn: (ctx: BrowserContext, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-models-profile-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    return await fn(ctx, dir);
  } finally {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The largest peak RSS among the renderer processes of the Chromium whose profile is `dir` (Linux /proc; each
 * renderer carries the profile's --user-data-dir): the page's, beside the small ones of Chromium's own UI.
 */
export function rendererPeakBytes(dir: string): number | null {
  if (!existsSync('/proc/self/status')) return null;
  const peaks = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .flatMap((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/); // zygote children: one title
        if (!cmd.includes('--type=renderer') || !cmd.includes(`--user-data-dir=${dir}`)) return [];
        return [procMemory(readFileSync(`/proc/${pid}/status`, 'utf8')).peakBytes ?? 0];
      } catch {
        return []; // a process that ended meanwhile
      }
    });
  return peaks.length ? Math.max(...peaks) : null;
}

/** A page whose document comes without cross-origin isolation when `threads` is 1 (onnxruntime-web: one thread). */
async function pageWithThreads(ctx: BrowserContext, threads: number): Promise<Page> {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  if (threads === 1)
    await page.route(
      (u) => u.pathname === '/' || u.pathname === '/index.html',
      async (route) => {
        const res = await route.fetch();
        const headers = { ...res.headers() };
        delete headers['cross-origin-opener-policy'];
        delete headers['cross-origin-embedder-policy'];
        await route.fulfill({ response: res, headers });
      },
    );
  return page;
}

/** How many files a Cache API cache of the page's origin holds (what a second visit can read without the network). */
const cacheEntries = (page: Page, name: string): Promise<number> =>
  page.evaluate(async (n) => ((await caches.has(n)) ? (await (await caches.open(n)).keys()).length : 0), name);

/** transformers.js's Cache API cache (env.cacheKey's default). */
const TJS_CACHE = 'transformers-cache';

interface EngineFace {
  allowReferences(refs: string[]): Promise<void>;
  loadGraph(g: unknown): Promise<{ ok: boolean }>;
  run(o: object): Promise<{ ok: boolean; nodes: Record<string, { ms: number; message?: string }> }>;
  runtimeInfo(): Promise<{
    gpu: { available: boolean; reason?: string; adapter?: string };
    loads: Array<{ id: string; hashMs: number; createMs: number }>;
  }>;
  tensor(node: string, port: string): Promise<{ data: Float32Array }>;
}

/** Opens the app and has its engine load the CLIP folder's graph: ms from navigation to both sessions ready. */
async function appVisit(page: Page, url: string, doc: unknown, refs: string[]) {
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('.canvas[data-ready=yes]');
  const loader = await page.evaluate(
    async ({ doc, refs, loaderId }) => {
      const w = window as unknown as { unclipStudio: { engine: EngineFace; settled(): Promise<void> } };
      await w.unclipStudio.settled();
      const e = w.unclipStudio.engine;
      await e.allowReferences(refs);
      if (!(await e.loadGraph(doc)).ok) throw new Error('the bench graph did not load');
      const r = await e.run({ targets: [loaderId], backend: 'wasm' });
      if (!r.ok) throw new Error(`the CLIP loader failed: ${JSON.stringify(r.nodes[loaderId])}`);
      return r.nodes[loaderId]!.ms;
    },
    { doc, refs, loaderId: CLIP_LOADER },
  );
  return { readyMs: Date.now() - t0, loaderMs: loader };
}

const clipDocOf = (folderUrl: string, run: number) => {
  const pictures = Array.from({ length: PICTURES }, (_, i) => pngDataUrl(pictureRgb(i, run)));
  return { doc: clipGraph(folderUrl, run, pictures), refs: [folderUrl, ...pictures] };
};

/** The app's engine encodes a run's captions and pictures (after loading its graph, unless `load` is false). */
function appEncode(page: Page, run: { doc: unknown; refs: string[] }, load: boolean): Promise<Record<string, number>> {
  return page.evaluate(
    async ({ doc, refs, load }) => {
      const e = (window as unknown as { unclipStudio: { engine: EngineFace } }).unclipStudio.engine;
      if (load) {
        await e.allowReferences(refs);
        if (!(await e.loadGraph(doc)).ok) throw new Error('the bench graph did not load');
      }
      const out: Record<string, number> = {};
      for (const id of ['text_emb', 'image_emb']) {
        const r = await e.run({ targets: [id], backend: 'wasm' });
        if (!r.ok) throw new Error(`${id} failed: ${JSON.stringify(r.nodes[id])}`);
        out[id] = r.nodes[id]!.ms;
      }
      return out;
    },
    { ...run, load },
  );
}

/**
 * Ours (the app) and transformers.js (the bench page) open side by side in one profile, their warm runs taken in
 * turn (which goes first alternates), so that both see the same moments of a busy machine (see pairOf).
 */
export async function pairedBrowser(
  url: string,
  folderUrl: string,
  threads: number,
  runs: number,
): Promise<PairResult> {
  type Bench = {
    modelsBench: { tjsOpen(n: string, t: number): Promise<unknown>; tjsEncode(r: number): Promise<{ ms: object }> };
  };
  return withProfile(async (ctx) => {
    const app = await pageWithThreads(ctx, threads);
    const first = clipDocOf(folderUrl, 0);
    await appVisit(app, url, first.doc, first.refs);
    const tjs = await ctx.newPage();
    await tjs.goto(`${url}models-bench.html?isolated=${threads === 1 ? 0 : 1}`);
    await tjs.waitForFunction('window.modelsBench !== undefined');
    const name = basename(new URL(folderUrl).pathname);
    await tjs.evaluate(({ name, threads }) => (window as unknown as Bench).modelsBench.tjsOpen(name, threads), {
      name,
      threads,
    });
    const theirs = async (run: number) =>
      (await tjs.evaluate((r) => (window as unknown as Bench).modelsBench.tjsEncode(r), run)).ms as Record<
        string,
        number
      >;
    const ours = (run: number) => appEncode(app, clipDocOf(folderUrl, run), run > 0);
    await ours(0);
    await theirs(0);
    const pairs: Array<{ ours: Record<string, number>; theirs: Record<string, number> }> = [];
    for (let run = 1; run <= runs; run++) {
      if (run % 2) pairs.push({ ours: await ours(run), theirs: await theirs(run) });
      else {
        const t = await theirs(run);
        pairs.push({ ours: await ours(run), theirs: t });
      }
    }
    return pairOf('browser', threads, pairs);
  });
}

/** Ours in the built app (its engine worker): the CLIP folder's graph, two visits, the encoders timed. */
export async function appClip(url: string, folderUrl: string, threads: number, runs: number): Promise<SideResult> {
  const docOf = (run: number) => clipDocOf(folderUrl, run);
  return withProfile(async (ctx, dir) => {
    const page = await pageWithThreads(ctx, threads);
    const first = docOf(0);
    const visit1 = await appVisit(page, url, first.doc, first.refs);
    const timeRuns = (run: number, load: boolean) => appEncode(page, docOf(run), load);
    const firstMs = await timeRuns(0, false);
    const warmAll: Array<Record<string, number>> = [];
    for (let run = 1; run <= runs; run++) warmAll.push(await timeRuns(run, true));
    const info = await page.evaluate(async () => {
      const e = (window as unknown as { unclipStudio: { engine: EngineFace } }).unclipStudio.engine;
      const { gpu, loads } = await e.runtimeInfo();
      return {
        gpu,
        loads,
        isolated: self.crossOriginIsolated,
        threads: crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1,
      };
    });
    // the first run's embeddings are overwritten by the warm runs: encode run 0 again for the check
    await timeRuns(0, true);
    const embeddings = await page.evaluate(async () => {
      const e = (window as unknown as { unclipStudio: { engine: EngineFace } }).unclipStudio.engine;
      return {
        text: Array.from((await e.tensor('text_emb', 'embedding')).data),
        image: Array.from((await e.tensor('image_emb', 'embedding')).data),
      };
    });
    const peakRssBytes = rendererPeakBytes(dir);
    const folderLoads = info.loads.filter((l) => l.id.startsWith(basename(new URL(folderUrl).pathname)));
    await page.close();
    // the second visit: a new page of the same profile, the model files in its cache
    const page2 = await pageWithThreads(ctx, threads);
    const visit2 = await appVisit(page2, url, first.doc, first.refs);
    const cached = await cacheEntries(page2, MODEL_CACHE_NAME);
    return {
      side: 'ours-browser',
      model: 'clip',
      threads: info.threads,
      runtime: `onnxruntime-web ${OUR_ORT_WEB} (the app's engine worker)`,
      loadMs: visit1.loaderMs,
      // the folder's two sessions (the editor's own bundled models load beside them)
      loadPhases: {
        sha256: folderLoads.reduce((a, l) => a + l.hashMs, 0),
        session: folderLoads.reduce((a, l) => a + l.createMs, 0),
      },
      readyMs: visit1.readyMs,
      firstMs,
      warmMs: Object.fromEntries(['text_emb', 'image_emb'].map((id) => [id, median(warmAll.map((w) => w[id]!))])),
      warmAll,
      peakRssBytes,
      secondVisit: { readyMs: visit2.readyMs, loadMs: visit2.loaderMs, cacheEntries: cached },
      webgpu: info.gpu.available ? `available: ${info.gpu.adapter}` : `unavailable (${info.gpu.reason})`,
      embeddings,
    };
  });
}

/** The bench page: a side run by `fn` on a first visit, then again (its loads only) on a second one. */
async function pageSide(
  url: string,
  threads: number,
  cacheName: string,
  first: (page: Page) => Promise<SideResult>,
  second: (page: Page) => Promise<number>,
): Promise<SideResult> {
  return withProfile(async (ctx, dir) => {
    const open = async () => {
      const page = await ctx.newPage();
      page.on('pageerror', (e) => console.error('pageerror:', e.message));
      const t0 = Date.now();
      await page.goto(`${url}models-bench.html?isolated=${threads === 1 ? 0 : 1}`);
      await page.waitForFunction('window.modelsBench !== undefined');
      return { page, t0 };
    };
    const a = await open();
    const result = await first(a.page);
    const peakRssBytes = rendererPeakBytes(dir);
    await a.page.close();
    const b = await open();
    const loadMs = await second(b.page);
    const readyMs = Date.now() - b.t0;
    return {
      ...result,
      peakRssBytes,
      secondVisit: { readyMs, loadMs, cacheEntries: await cacheEntries(b.page, cacheName) },
    };
  });
}

/** Ours: the U-Net folder opened and run by our browser runtime in the bench page. */
export function pageUnet(url: string, folderUrl: string, threads: number, runs: number): Promise<SideResult> {
  type Bench = { modelsBench: { unet(f: string, runs: number): Promise<SideResult> } };
  return pageSide(
    url,
    threads,
    MODEL_CACHE_NAME,
    async (page) => ({
      ...(await page.evaluate(({ f, runs }) => (window as unknown as Bench).modelsBench.unet(f, runs), {
        f: folderUrl,
        runs,
      })),
      side: 'ours-browser',
      model: 'unet',
    }),
    async (page) => {
      const again = await page.evaluate((f) => (window as unknown as Bench).modelsBench.unet(f, 0), folderUrl);
      return again.loadMs;
    },
  );
}

/** transformers.js's browser build on the same CLIP folder, in the bench page. */
export function pageTransformers(url: string, name: string, threads: number, runs: number): Promise<SideResult> {
  type Bench = {
    modelsBench: { transformersJs(n: string, t: number, runs: number): Promise<SideResult> };
  };
  const call = (page: Page, r: number): Promise<SideResult> =>
    page.evaluate(({ name, threads, r }) => (window as unknown as Bench).modelsBench.transformersJs(name, threads, r), {
      name,
      threads,
      r,
    });
  return pageSide(
    url,
    threads,
    TJS_CACHE,
    async (page) => ({ ...(await call(page, runs)), side: 'tjs-browser', model: 'clip' }),
    async (page) => (await call(page, 0)).loadMs,
  );
}

/** The app's server with the bench's files; the caller closes it. */
export async function startBenchServer(published: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = await preview({
    build: { outDir: APP_OUT },
    preview: { port: 0, strictPort: false, host: '127.0.0.1' },
    plugins: [benchFiles(published)],
    logLevel: 'silent',
  });
  const address = server.httpServer.address();
  const port = typeof address === 'object' && address ? address.port : 4173;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((r) => server.httpServer.close(() => r())),
  };
}
