import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { createServer as createViteServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_POINTS, fuzzEntryPoint, linkHash, pngCarrying } from '../helpers/editor-fuzz';
import { hostileTexts } from '../helpers/hostile-graphs';
import { launchBrowser, openFile, paste, runToSummary, selectNode, snap, startServer } from './harness';

/**
 * Hostile input in the editor. Markup in every text field of a graph, from a file, a link, a paste and a PNG, is
 * shown as text: nothing executes, nothing is fetched. The Content Security Policy (src/host/csp.ts) is sent by the
 * built app and the dev server and breaks nothing in a normal run; a violation would be reported (the test server
 * collects the reports of the page and its workers). Hostile documents through each entry point leave no uncaught
 * error and the graph open intact. scripts/fuzz-editor.ts runs the same fuzz with 10,000 documents each.
 */
const FUZZ_COUNT = Number(process.env.FUZZ_EDITOR_COUNT ?? 250);

let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
const canary = { hits: 0, url: '' };
const canaryServer = createHttpServer((_, res) => {
  canary.hits++;
  res.end();
});

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  await new Promise<void>((r) => canaryServer.listen(0, '127.0.0.1', () => r()));
  canary.url = `http://127.0.0.1:${(canaryServer.address() as { port: number }).port}/leak`;
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  canaryServer.close();
});

/** A page of the editor that records dialogs, requests to anywhere but the app, and uncaught errors. */
async function watchedPage(hash = '') {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const seen = { dialogs: [] as string[], requests: [] as string[], errors: [] as string[] };
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    void d.dismiss();
  });
  const own = new URL(server.url).origin;
  context.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(`${own}/`) && !/^(data|blob):/.test(url)) seen.requests.push(url);
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  await page.goto(server.url + hash);
  await page.waitForSelector('.canvas[data-ready=yes]');
  return { page, seen };
}

describe('markup in every text field', () => {
  // at most 200 characters (a title's limit): an image that fails, one from another server, a script, a link
  const markup = (field: string) =>
    `<img src=x onerror="alert('${field}')"><img src=${canary.url}></script><script>alert(1)</script>` +
    `<a href="javascript:alert(1)">${field}</a>`;
  const javascriptUrl = "javascript:alert('src')";

  /** graphs/subgraphs.json with markup in its title, description, node labels, texts and subgraph fields. */
  function hostileGraph() {
    const doc = JSON.parse(readFileSync(new URL('../../graphs/subgraphs.json', import.meta.url), 'utf8'));
    doc.meta = { title: markup('title'), description: markup('description') };
    const stack = doc.subgraphs['unclip-stack'];
    stack.title = markup('subgraph-title');
    stack.description = markup('subgraph-description');
    for (const port of Object.values(stack.inputs) as Array<{ description: string }>) port.description = markup('in');
    for (const p of Object.values(stack.params) as Array<{ label: string }>) p.label = markup('param-label');
    for (const n of [...doc.nodes, ...stack.nodes]) n.ui = { ...n.ui, label: markup(`label-${n.id}`) };
    doc.nodes.find((n: { id: string }) => n.id === 'prompt').params.text = markup('prompt');
    doc.nodes.push({ id: 'picture', type: 'io/load-image', params: { src: javascriptUrl }, ui: { x: 0, y: 400 } });
    return doc;
  }

  /** Nothing of the markup became an element, the title reads as the markup's text, a node's label too. */
  async function expectShownAsText(page: Page) {
    await page.waitForFunction((t) => document.querySelector('.toolbar .title')?.textContent === t, markup('title'));
    expect(await page.locator('.react-flow__node').count()).toBeGreaterThan(3);
    const injected = await page.evaluate(() => ({
      active: document.querySelectorAll('img, iframe, object, embed, [onerror], [onload], a[href^="javascript:" i]')
        .length,
      scripts: document.querySelectorAll('script').length,
    }));
    expect(injected).toEqual({ active: 0, scripts: 1 });
  }

  /** Renders more of the graph's text: the inspector of two nodes, the held source's message after a run of it. */
  async function showMore(page: Page) {
    await selectNode(page, 'low', '.inspector h3');
    await selectNode(page, 'prompt', '.inspector h3');
    const fields = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLTextAreaElement>('textarea, input')].map((e) => e.value),
    );
    expect(fields).toContain(markup('prompt'));
    await page.locator('.gnode[data-node-id=picture] [title="Run up to this node"]').click();
    await page.waitForFunction(() => document.querySelector('.gnode[data-node-id=picture] .error-text'));
    expect(await page.locator('.gnode[data-node-id=picture] .error-text').textContent()).toContain('is held');
  }

  async function expectQuiet(seen: { dialogs: string[]; requests: string[]; errors: string[] }) {
    await new Promise((r) => setTimeout(r, 300)); // an onerror would fire once its image failed
    expect(seen).toEqual({ dialogs: [], requests: [], errors: [] });
    expect(canary.hits).toBe(0);
    expect(server.cspReports).toEqual([]);
  }

  it('from a file: shown as text, no dialog, no request but to the app', async () => {
    const { page, seen } = await watchedPage();
    await openFile(page, 'hostile.json', JSON.stringify(hostileGraph()));
    await expectShownAsText(page);
    await showMore(page);
    await snap(page, 'hostile-markup-as-text');
    await expectQuiet(seen);
    await page.context().close();
  });

  it('from a link: the same', async () => {
    const { page, seen } = await watchedPage(linkHash(JSON.stringify(hostileGraph())));
    await expectShownAsText(page);
    await showMore(page);
    await expectQuiet(seen);
    await page.context().close();
  });

  it('from a paste: the same for the pasted nodes', async () => {
    const { page, seen } = await watchedPage();
    await paste(page, JSON.stringify(hostileGraph()));
    await page.waitForSelector('.gnode[data-node-id=picture]');
    expect(await page.evaluate(() => document.querySelectorAll('img, iframe, [onerror]').length)).toBe(0);
    await expectQuiet(seen);
    await page.context().close();
  });

  it('from a PNG: the same', async () => {
    const { page, seen } = await watchedPage();
    await page.setInputFiles('[data-testid=open-file]', {
      name: 'hostile.png',
      mimeType: 'image/png',
      buffer: Buffer.from(pngCarrying(JSON.stringify(hostileGraph())), 'base64'),
    });
    await expectShownAsText(page);
    await showMore(page);
    await expectQuiet(seen);
    await page.context().close();
  });

  it('in the names of unknown node types and params, and in refusal messages: never markup', async () => {
    const { page, seen } = await watchedPage();
    const doc = hostileGraph();
    // a type name fits in 100 characters: markup that short, so the graph opens and the placeholder is drawn
    const shortMarkup = `x/<img src=x onerror="alert('type')"><a href="javascript:alert(1)">t</a>`;
    doc.nodes.push({ id: 'odd', type: shortMarkup, params: { [markup('param')]: markup('value') } });
    await openFile(page, 'odd.json', JSON.stringify(doc));
    const odd = page.locator('.gnode[data-node-id=odd][data-testid=placeholder]');
    await odd.waitFor();
    expect(await odd.textContent()).toContain(shortMarkup);
    expect(await odd.textContent()).toContain(`<img src=x onerror="alert('param')">`);
    // a refused document quotes what it refused in the issues banner
    await openFile(page, 'refused.json', JSON.stringify({ ...doc, version: markup('version') }));
    await page.waitForSelector('[data-testid=load-issues]:has-text("refused.json")');
    await paste(page, JSON.stringify({ ...doc, nodes: [{ id: '<b>x</b>', type: markup('type') }] }));
    await new Promise((r) => setTimeout(r, 500));
    expect(await page.evaluate(() => document.querySelectorAll('img, iframe, [onerror]').length)).toBe(0);
    await expectQuiet(seen);
    await page.context().close();
  });
});

describe('the Content Security Policy', () => {
  it('comes with the page and its workers; the default graph runs to a picture under it (WASM threads)', async () => {
    const res = await fetch(server.url);
    const policy = res.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/script-src 'self' 'wasm-unsafe-eval';/);
    expect(policy).toMatch(/frame-ancestors 'none'/);
    expect(await res.text()).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;self&#39;/);
    const worker = await fetch(new URL('ort/ort-wasm-simd-threaded.mjs', server.url));
    expect(worker.headers.get('content-security-policy')).toBe(policy);

    const { page, seen } = await watchedPage();
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await runToSummary(page, 150_000)).toMatch(/^done/);
    await page.waitForSelector('.gnode[data-node-id=image] [data-testid=thumb] canvas');
    const threads = await page.evaluate(() =>
      (
        window as unknown as { unclipStudio: { engine: { runtimeInfo(): Promise<{ threads?: number }> } } }
      ).unclipStudio.engine.runtimeInfo(),
    );
    expect(threads).toBeTruthy();
    expect(seen).toEqual({ dialogs: [], requests: [], errors: [] });
    expect(server.cspReports).toEqual([]);
    await page.context().close();
  });

  it('reports a violation, of the page and of the engine worker', async () => {
    const { page } = await watchedPage();
    const inPage = await page.evaluate(async () => {
      const seen = new Promise<string>((r) =>
        document.addEventListener('securitypolicyviolation', (e) => r(e.effectiveDirective), { once: true }),
      );
      await fetch('ftp://example.invalid/').catch(() => undefined);
      return seen;
    });
    expect(inPage).toBe('connect-src');
    // the worker: a WebSocket to another host (the policy allows only its own)
    const worker = page.workers().find((w) => w.url().includes('browser-worker'))!;
    await worker.evaluate(() => void new WebSocket('ws://example.invalid/'));
    await expect.poll(() => server.cspReports.length).toBeGreaterThanOrEqual(2);
    expect(server.cspReports.join('\n')).toMatch(/browser-worker/);
    server.cspReports.length = 0;
    await page.context().close();
  });

  it('comes with the dev server too, its React preamble allowed by hash', async () => {
    const dev = await createViteServer({ server: { port: 0, host: '127.0.0.1' }, logLevel: 'silent' });
    await dev.listen();
    const url = `http://127.0.0.1:${(dev.httpServer!.address() as { port: number }).port}/`;
    try {
      const res = await fetch(url);
      const policy = res.headers.get('content-security-policy') ?? '';
      expect(policy).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+';/);
      const html = await res.text();
      expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<script'));
      const context = await browser.newContext();
      const page = await context.newPage();
      const violations: string[] = [];
      await page.addInitScript(() =>
        document.addEventListener('securitypolicyviolation', (e) => console.error(`violation ${e.violatedDirective}`)),
      );
      page.on('console', (m) => m.text().startsWith('violation') && violations.push(m.text()));
      await page.goto(url);
      await page.waitForSelector('.canvas[data-ready=yes]', { timeout: 120_000 });
      expect(violations).toEqual([]);
      await context.close();
    } finally {
      await dev.close();
    }
  });
});

describe(`${FUZZ_COUNT} hostile documents through each entry point`, () => {
  const texts = hostileTexts(FUZZ_COUNT, 20261126);
  for (const entry of ENTRY_POINTS) {
    it(`${entry}: no uncaught error, the graph open intact after each refusal, the editor responsive`, async () => {
      const { page, seen } = await watchedPage();
      const result = await fuzzEntryPoint(page, entry, texts);
      console.log(
        `fuzz ${entry}: ${result.documents} documents (${result.refused} refused, ${result.accepted} taken and ` +
          `undone) in ${(result.totalMs / 1000).toFixed(1)} s, slowest ${result.slowestMs.toFixed(0)} ms`,
      );
      expect(result.failures).toEqual([]);
      expect(seen.errors).toEqual([]);
      expect(seen.dialogs).toEqual([]);
      expect(result.slowestMs).toBeLessThan(10_000);
      // still responsive: the engine answers, a frame is drawn, the graph shown is the one open before
      const answered = await page.evaluate(async () => {
        const studio = (window as unknown as { unclipStudio: { engine: { catalog(): Promise<unknown[]> } } })
          .unclipStudio;
        const types = (await studio.engine.catalog()).length;
        await new Promise((r) => requestAnimationFrame(r));
        return types;
      });
      expect(answered).toBeGreaterThan(10);
      expect(await page.locator('.toolbar .title').textContent()).toBe('Text to image (unCLIP)');
      expect(await page.locator('.react-flow__node').count()).toBe(11);
      expect(server.cspReports).toEqual([]);
      await page.context().close();
    });
  }

  it('a link opening the editor: a damaged one leaves the graph open before and says why', async () => {
    const { page, seen } = await watchedPage();
    for (const hash of [...texts.slice(0, 6).map(linkHash), linkHash('{'), '#graph=damaged!']) {
      await page.goto(`${server.url}${hash}`);
      await page.waitForSelector('.canvas[data-ready=yes]');
    }
    await page.goto(server.url);
    await page.waitForSelector('.canvas[data-ready=yes]');
    await page.waitForTimeout(400); // the autosave is written 250 ms after a change
    const title = await page.locator('.toolbar .title').textContent();
    await page.goto(`${server.url}${linkHash('{')}`);
    await page.waitForSelector('.canvas[data-ready=yes]');
    expect(await page.locator('.toolbar .title').textContent()).toBe(title);
    await page.waitForSelector('text=the shared link');
    expect(seen.errors).toEqual([]);
    expect(seen.dialogs).toEqual([]);
    await page.context().close();
  });
});
