import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { preview, type Plugin, type PreviewServer } from 'vite';
import { afterAll, beforeAll } from 'vitest';

export const ARTIFACTS = join(new URL('../..', import.meta.url).pathname, 'test-artifacts', 'e2e');

export const CSP_REPORT_PATH = '/__csp-report';

/**
 * Has the browser report every Content Security Policy violation, of the page and of its workers (whose violations
 * no page listener sees), to the test's server: the policy's header gains a report-uri, and the reports are kept.
 */
export function cspReporting(reports: string[]): Plugin {
  return {
    name: 'test-csp-reports',
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url === CSP_REPORT_PATH) {
          let body = '';
          req.on('data', (c: Buffer) => (body += c.toString()));
          req.on('end', () => {
            reports.push(body);
            res.statusCode = 204;
            res.end();
          });
          return;
        }
        const policy = res.getHeader('Content-Security-Policy');
        if (policy) res.setHeader('Content-Security-Policy', `${String(policy)}; report-uri ${CSP_REPORT_PATH}`);
        next();
      });
    },
  };
}

/**
 * Serves the built app (dist/) with vite preview, with the COOP/COEP and Content Security Policy headers of
 * vite.config.ts (`outDir`: another build's folder); `cspReports` holds the policy violations the browser reported.
 */
export async function startServer(
  opts: { outDir?: string } = {},
): Promise<{ url: string; close: () => Promise<void>; cspReports: string[] }> {
  const cspReports: string[] = [];
  const server: PreviewServer = await preview({
    preview: { port: 0, strictPort: false, host: '127.0.0.1' },
    ...(opts.outDir ? { build: { outDir: opts.outDir } } : {}),
    plugins: [cspReporting(cspReports)],
    logLevel: 'silent',
  });
  const address = server.httpServer.address();
  const port = typeof address === 'object' && address ? address.port : 4173;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((r) => server.httpServer.close(() => r())),
    cspReports,
  };
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium, headless, driven by playwright-core (which gives each launch a fresh, empty profile). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

/**
 * The same Chromium on a profile kept in `userDataDir`, as a user's browser is: its HTTP cache, Cache API and V8's
 * code cache on disk, there for the next launch on that folder. (A context of launchBrowser is off the record: it
 * keeps no code cache, so a WASM module is compiled afresh on every visit.)
 */
export async function launchProfile(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
  });
}

/**
 * For a test file: serves the built app and launches Chromium before its tests, closes both after, and returns
 * what opens a fresh editor page on it (with an example from the Examples menu opened, where one is named).
 */
export function serveEditorPages(): (example?: string) => Promise<Page> {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    // every test ran under the policy: a violation is a failure of the file
    if (server?.cspReports.length)
      throw new Error(`Content Security Policy violations:\n${server.cspReports.join('\n')}`);
  });
  return async (example) => {
    const page = await openEditorPage(browser!, server!.url);
    if (example !== undefined) await openExample(page, example);
    return page;
  };
}

let shot = 0;
/** Saves a screenshot of a step as a test artifact. */
export async function snap(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${String(++shot).padStart(2, '0')}-${name}.png`) });
}

/** A fresh page of the editor at 1400x900, once its first graph is shown. */
export async function openEditorPage(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  const p = await context.newPage();
  p.on('pageerror', (e) => console.error('pageerror:', e.message));
  await p.goto(url);
  await p.waitForSelector('.canvas[data-ready=yes]');
  await p.waitForSelector('.canvas[data-view=set]'); // the view of the graph opened is set
  return p;
}

/** The graph as the Save button writes it. */
export async function saved<T = SavedGraph>(p: Page): Promise<T> {
  const [download] = await Promise.all([
    p.waitForEvent('download'),
    p.getByRole('button', { name: 'Save', exact: true }).click(),
  ]);
  return JSON.parse(readFileSync((await download.path())!, 'utf8')) as T;
}

export interface SavedGraph {
  nodes: Array<{ id: string; type: string; params?: Record<string, unknown>; inputs?: Record<string, string> }>;
  meta?: { title?: string };
}

/** Opens an example from the Examples menu, as a user would. */
export async function openExample(p: Page, name: string): Promise<void> {
  // opening is asynchronous (the worker validates first): wait for this example's own title and nodes
  const example = JSON.parse(readFileSync(new URL(`../../graphs/${name}.json`, import.meta.url), 'utf8')) as {
    meta: { title: string };
    nodes: Array<{ id: string }>;
  };
  await p.getByRole('button', { name: /Examples/ }).click();
  await p.locator(`.menu-list li[data-example="${name}"]`).click();
  await p.waitForFunction(
    ({ title, first }) =>
      document.querySelector('.toolbar .title')?.textContent === title &&
      document.querySelector(`.react-flow__node[data-id="${first}"]`) !== null,
    { title: example.meta.title, first: example.nodes[0]!.id },
  );
  // the view moves to the graph once its nodes are measured: wait for that, not for a moving view
  await p.waitForSelector('.canvas[data-view=set]');
}

const fileDir = mkdtempSync(join(tmpdir(), 'e2e-files-'));
/** Opens graph text as a file through the toolbar's Open input, as a user picking a file would. */
export async function openFile(p: Page, name: string, text: string): Promise<void> {
  const path = join(fileDir, name);
  writeFileSync(path, text);
  await p.setInputFiles('[data-testid=open-file]', path);
}

/** A version-1 graph file's document, titled. */
export function graphDoc(title: string, nodes: object[]) {
  return { format: 'unclip-studio/graph', version: 1, meta: { title }, nodes };
}

/** Clicks Run and waits (up to `timeout` ms, or Playwright's default) for the run's summary: its text. */
export async function runToSummary(p: Page, timeout?: number): Promise<string | null> {
  const before = Number((await p.locator('.canvas').getAttribute('data-run-shown')) ?? 0);
  await p.getByTestId('run').click();
  // this run's end taken in by the canvas (its pictures on the nodes, the first run's reveal done)
  await p.waitForFunction(
    (n) => {
      const c = document.querySelector('.canvas');
      return Number(c?.getAttribute('data-run-shown') ?? 0) > n && c?.getAttribute('data-view') === 'set';
    },
    before,
    { timeout },
  );
  return summaryText(p, timeout);
}

/** Waits (up to `timeout` ms, or Playwright's default) for the run's summary on the toolbar: its text. */
export async function summaryText(p: Page, timeout?: number): Promise<string | null> {
  await p.waitForSelector('[data-testid=run-summary]', { timeout });
  return p.getByTestId('run-summary').textContent();
}

/** Selects a node by clicking its name (the inspector shows it), then waits for `shown` where given. */
export async function selectNode(p: Page, nodeId: string, shown?: string): Promise<void> {
  const name = p.locator(`.gnode[data-node-id=${nodeId}] .gnode-name`);
  // a run's aftermath first: the first run's reveal may be moving the view (data-view pending while it does, set in
  // the commit that ends the run), and a click on a moving node misses it
  await p.waitForFunction(
    () =>
      !document.querySelector<HTMLButtonElement>('[data-testid=run]')?.disabled &&
      document.querySelector('.canvas')?.getAttribute('data-view') === 'set',
  );
  // out of view (the first run shows its result, which may move the view): F shows the whole graph, as a user would
  const inView = await name.evaluate((e) => {
    const r = e.getBoundingClientRect(),
      c = document.querySelector('.canvas')!.getBoundingClientRect();
    return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom;
  });
  if (!inView) {
    await p.locator('.canvas .react-flow__pane').click({ position: { x: 5, y: 5 } });
    await p.keyboard.press('f');
    await p.waitForTimeout(400); // the fit is animated (200 ms)
  }
  await name.click();
  if (shown) await p.waitForSelector(shown);
}

/** The width and height of the first canvas the selector finds. */
export function canvasSize(p: Page, selector: string): Promise<number[]> {
  return p
    .locator(selector)
    .first()
    .evaluate((c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
}

/** Reloads the page and waits for the editor to be ready again. */
export async function reloadEditor(p: Page): Promise<void> {
  await p.reload();
  await p.waitForSelector('.canvas[data-ready=yes]');
}

/** Pastes text as the browser does on Ctrl+V (a paste event carrying it). */
export const paste = (p: Page, text: string) =>
  p.evaluate((t) => {
    const dt = new DataTransfer();
    dt.setData('text/plain', t);
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
  }, text);
