/**
 * The editor driving a server engine: `npm run serve` started on a free loopback port, serving the built editor
 * (dist/), its engine chosen in the toolbar with the printed token; a run, a cancel, a graph that reads what the
 * server does not allow, a wrong token, and the server killed mid-run (the editor says so and keeps the graph).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQueueWorker } from '../../src/queue/bullmq';
import { EnginePool } from '../../src/queue/local';
import { startRedis } from '../queue/redis';
import { graphDoc, launchBrowser, openEditorPage, openFile, snap, summaryText } from './harness';

const ROOT = new URL('../..', import.meta.url).pathname;

interface Served {
  url: string;
  token: string;
  child: ChildProcess;
}

/** `npm run serve -- --port 0` in child processes (so it can be killed like a real one): its printed line. */
async function serve(...flags: string[]): Promise<Served> {
  const data = mkdtempSync(join(tmpdir(), 'e2e-serve-'));
  const child = spawn('npx', ['tsx', 'src/cli/serve.ts', '--port', '0', '--data', data, ...flags], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    // a group of its own: npx and tsx run the server in a grandchild, which a kill must reach too
    detached: true,
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  const m = /^unclip-studio server at (\S+) token (\S+)$/.exec(line.trim());
  if (!m) throw new Error(`unexpected line: ${line}`);
  return { url: m[1]!, token: m[2]!, child };
}

async function stop(s: Served | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  process.kill(-s.child.pid!, signal);
  await exited;
}

/** Chooses Engine: a server in the toolbar, with this token; waits for the choice to hold (or fail). */
async function chooseServer(p: Page, token: string): Promise<void> {
  await p.getByTestId('engine-choice').selectOption('server');
  await p.getByTestId('engine-token').fill(token);
  await p.getByTestId('engine-connect').click();
}

const text = readFileSync(join(ROOT, 'graphs/text-to-image.json'), 'utf8');
/** The default graph with a prior slow enough to cancel or to kill the server during. */
const slow = (() => {
  const g = JSON.parse(text) as {
    meta: { title: string };
    nodes: Array<{ id: string; params?: Record<string, unknown> }>;
  };
  g.meta.title = 'Slow text to image';
  g.nodes.find((n) => n.id === 'prior')!.params!.steps = 1000;
  return JSON.stringify(g);
})();

/** The default graph with few steps: a sweep's points in seconds. */
const quick = (() => {
  const g = JSON.parse(text) as {
    meta: { title: string };
    nodes: Array<{ id: string; params?: Record<string, unknown> }>;
  };
  g.meta.title = 'Quick text to image';
  for (const [id, steps] of [
    ['prior', 2],
    ['decoder', 2],
    ['up64', 1],
    ['image', 1],
  ] as const)
    g.nodes.find((n) => n.id === id)!.params!.steps = steps;
  return JSON.stringify(g);
})();

let browser: Browser;
let server: Served | undefined;
beforeAll(async () => {
  [browser, server] = await Promise.all([launchBrowser(), serve()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stop(server);
});

describe('the editor with a server engine', () => {
  it('refuses a wrong token, then runs the default graph on the server and cancels a run', async () => {
    const p = await openEditorPage(browser, `${server!.url}/`);
    await chooseServer(p, 'not-the-token');
    await p.waitForSelector('.engine-error');
    expect(await p.locator('.engine-error').textContent()).toBe(`the server at ${server!.url} refused the token`);
    await snap(p, 'server-engine-refused');
    // the right token: the engine is the server's
    await p.getByTestId('engine-token').fill(server!.token);
    await p.getByTestId('engine-connect').click();
    await p.waitForFunction(() => !document.querySelector('[data-testid=engine-form]'));
    expect(await p.getByTestId('engine-choice').inputValue()).toBe('server');
    expect(await p.evaluate(() => localStorage.getItem('unclip-studio.engine'))).toContain('"kind":"server"');
    // the decoder's previews streamed from the server while it ran: seen however briefly (natively its 25 steps can
    // take under 0.4 s, too short for a poll to be sure of catching)
    await p.evaluate(() => {
      const w = window as unknown as { __previewSeen: boolean };
      w.__previewSeen = false;
      const seen = () => !!document.querySelector('.gnode[data-node-id=decoder] .status-running canvas');
      const watch = new MutationObserver(() => {
        if (seen()) {
          w.__previewSeen = true;
          watch.disconnect();
        }
      });
      watch.observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await p.getByTestId('run').click();
    expect(await summaryText(p, 180_000)).toMatch(/^done in/);
    expect(await p.evaluate(() => (window as unknown as { __previewSeen: boolean }).__previewSeen)).toBe(true);
    await p.waitForSelector('.gnode[data-node-id=image] [data-testid=thumb] canvas');
    await snap(p, 'server-engine-ran');
    // the server kept the run: its API lists it, with its picture
    const runs = (await (
      await fetch(`${server!.url}/api/runs`, { headers: { Authorization: `Bearer ${server!.token}` } })
    ).json()) as { runs: Array<{ source: string; status: string; files: string[] }> };
    expect(runs.runs[0]).toMatchObject({ source: 'editor', status: 'done' });
    expect(runs.runs[0]!.files.some((f) => f.endsWith('/image.png'))).toBe(true);

    // a cancel reaches the server's run
    await openFile(p, 'slow.json', slow);
    await p.waitForFunction(() => document.querySelector('.toolbar .title')?.textContent === 'Slow text to image');
    await p.getByTestId('run').click();
    await p.waitForSelector('.gnode[data-node-id=prior] .status-running', { timeout: 60_000 });
    await p.getByRole('button', { name: 'Cancel' }).click();
    await p.waitForFunction(
      () => document.querySelector('[data-testid=run-summary]')?.textContent?.startsWith('cancelled'),
      undefined,
      { timeout: 60_000 },
    );
    await snap(p, 'server-engine-cancelled');

    // a graph that reads a file the server was not given: its node fails, saying why
    await openFile(
      p,
      'hostile.json',
      JSON.stringify(
        graphDoc('Reads a server file', [{ id: 'img', type: 'io/load-image', params: { src: '/etc/passwd' } }]),
      ),
    );
    await p.getByTestId('allow-refs').click();
    await p.getByTestId('run').click();
    expect(await summaryText(p, 60_000)).toMatch(/^failed/);
    await p.waitForFunction(() =>
      document.querySelector('.gnode[data-node-id=img]')?.textContent?.includes('outside the folders a graph may read'),
    );
    await snap(p, 'server-engine-hostile');
    await p.context().close();

    // another browser (a fresh profile: no history, no saved token) finds the runs on the server
    const other = await openEditorPage(browser, `${server!.url}/`);
    await openFile(other, 'slow.json', slow);
    await other.waitForFunction(() => document.querySelector('.toolbar .title')?.textContent === 'Slow text to image');
    await chooseServer(other, server!.token);
    await other.getByTestId('server-runs-toggle').click();
    await other.waitForSelector('[data-testid=server-run][data-status=done] img');
    expect(
      await other.getByTestId('server-run').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-status'))),
    ).toEqual(['failed', 'cancelled', 'done']);
    await snap(other, 'server-engine-runs-elsewhere');
    await other.locator('[data-testid=server-run][data-status=done] button').click();
    await other.waitForFunction(
      () => document.querySelector('.toolbar .title')?.textContent === 'Text to image (unCLIP)',
    );
    await other.context().close();
  }, 400_000);

  it('sends a sweep of the Sweep panel to the BullMQ queue through the server', async () => {
    const redis = await startRedis();
    const queued = await serve('--queue', redis.url);
    const worker = startQueueWorker(redis.url, new EnginePool(), { concurrency: 1 });
    try {
      const p = await openEditorPage(browser, `${queued.url}/`);
      await chooseServer(p, queued.token);
      await p.waitForFunction(() => !document.querySelector('[data-testid=engine-form]'));
      await openFile(p, 'quick.json', quick);
      await p.waitForFunction(() => document.querySelector('.toolbar .title')?.textContent === 'Quick text to image');
      await p.getByTestId('sweep-toggle').click();
      await p.getByTestId('sweep-add').click();
      await p.getByLabel('axis 1 param').selectOption('seed.value');
      await p.getByLabel('axis 1 values').fill('1..2');
      await p.getByTestId('sweep-queue').click();
      await p.waitForSelector('[data-testid=sweep-progress][data-state=finished]', { timeout: 180_000 });
      const cells = p.getByTestId('sweep-cell');
      expect(await cells.evaluateAll((cs) => cs.map((c) => c.getAttribute('data-status')))).toEqual(['done', 'done']);
      expect(await p.locator('[data-testid=sweep-cell] canvas').count()).toBe(2);
      await snap(p, 'server-engine-queued-sweep');
      await p.context().close();
    } finally {
      await worker.close();
      await stop(queued);
      await redis.stop();
    }
  }, 300_000);

  it('says so when the server is killed mid-run, keeps the graph, and can switch back to this browser', async () => {
    const doomed = await serve();
    try {
      const p = await openEditorPage(browser, `${doomed.url}/`);
      await chooseServer(p, doomed.token);
      await p.waitForFunction(() => !document.querySelector('[data-testid=engine-form]'));
      await openFile(p, 'slow.json', slow);
      await p.waitForFunction(() => document.querySelector('.toolbar .title')?.textContent === 'Slow text to image');
      await p.getByTestId('run').click();
      await p.waitForSelector('.gnode[data-node-id=prior] .status-running', { timeout: 60_000 });
      await stop(doomed, 'SIGKILL');
      await p.waitForFunction(
        () => document.querySelector('[data-testid=notice]')?.textContent?.includes('closed the connection'),
        undefined,
        { timeout: 30_000 },
      );
      expect(await p.getByTestId('notice').textContent()).toContain(
        `the server at ${doomed.url} closed the connection`,
      );
      await snap(p, 'server-engine-killed');
      // the graph is still the one being edited, and the run is over
      expect(await p.locator('.toolbar .title').textContent()).toBe('Slow text to image');
      expect(await p.locator('.gnode').count()).toBe(11);
      expect(await p.getByTestId('run').isEnabled()).toBe(true);
      // this browser's engine is one choice away (its models came from the server that served the page: not run)
      await p.getByTestId('engine-choice').selectOption('browser');
      expect(await p.evaluate(() => localStorage.getItem('unclip-studio.engine'))).toBe('{"kind":"browser"}');
      await p.context().close();
    } finally {
      await stop(doomed);
    }
  }, 300_000);
});
