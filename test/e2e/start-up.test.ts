import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchProfile, startServer } from './harness';

// The start-up (issue 41): the default graph's models opened by the engine worker while the editor opens, read from
// the Cache API on the next visit, and each stage's picture shown once that stage is done.
const DEFAULT_MODELS = [
  'mini-clip-text',
  'mini-clip-image',
  'mini-unclip-prior',
  'mini-unclip-decoder',
  'mini-unclip-upsampler',
  'mini-unclip-upsampler256',
];

let server: Awaited<ReturnType<typeof startServer>>;
const profile = mkdtempSync(join(tmpdir(), 'start-up-e2e-'));
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
  rmSync(profile, { recursive: true, force: true });
});

/** The model files the page and its workers asked the network for. */
function modelRequests(context: BrowserContext): string[] {
  const seen: string[] = [];
  context.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith('.onnx')) seen.push(path.replace(/^.*\//, '').replace(/\.onnx$/, ''));
  });
  return seen;
}

/** The models whose sessions the engine worker has opened, without any Run. */
async function openedModels(p: Page): Promise<string[]> {
  return p.evaluate(async () => {
    type Info = { loads: Array<{ id: string }> } | null;
    const e = (window as unknown as { unclipStudio: { engine: { runtimeInfo(): Promise<Info> } } }).unclipStudio.engine;
    return ((await e.runtimeInfo())?.loads ?? []).map((l) => l.id);
  });
}

async function openEditor(context: BrowserContext): Promise<Page> {
  const p = await context.newPage();
  p.on('pageerror', (e) => console.error('pageerror:', e.message));
  await p.goto(server.url);
  await p.waitForSelector('.canvas[data-ready=yes]');
  return p;
}

describe('the start-up', () => {
  it("opens the default graph's models before Run, and a second visit reads them from the Cache API", async () => {
    const first = await launchProfile(profile);
    const asked = modelRequests(first);
    const p = await openEditor(first);
    // nothing pressed: the worker downloads, checks and opens every model of the default graph by itself
    await expect.poll(() => openedModels(p), { timeout: 60_000 }).toEqual(expect.arrayContaining(DEFAULT_MODELS));
    expect([...asked].sort()).toEqual([...DEFAULT_MODELS].sort());
    expect(await p.locator('.gnode[data-status]').count()).toBe(0); // no run has started
    await p.evaluate('localStorage.clear()');
    await first.close();

    // the browser launched again on the same profile: every model from the Cache API, none from the network
    const again = await launchProfile(profile);
    const askedAgain = modelRequests(again);
    const q = await openEditor(again);
    await expect.poll(() => openedModels(q), { timeout: 60_000 }).toEqual(expect.arrayContaining(DEFAULT_MODELS));
    expect(askedAgain).toEqual([]);
    const opened = await openedModels(q);

    // Run: the loaders find their sessions open; the 64x64 picture is on its node while the 256x256 stage runs
    await q.getByTestId('run').click();
    await q.waitForFunction(
      () =>
        document.querySelector('.gnode[data-node-id=up64] [data-testid=thumb] canvas') !== null &&
        document.querySelector('.gnode[data-node-id=image] [data-status=running]') !== null,
      undefined,
      { timeout: 120_000, polling: 'raf' },
    );
    await q.waitForSelector('.gnode[data-node-id=image] [data-testid=thumb]', { timeout: 120_000 });
    const loaders = ['clip', 'prior_model', 'decoder_model', 'upsampler_model', 'upsampler256_model'];
    for (const id of loaders)
      expect(await q.locator(`.gnode[data-node-id=${id}] [data-status]`).getAttribute('data-status')).toBe('done');
    // and the run opened no session of its own: the loads are those from before it
    expect(await openedModels(q)).toEqual(opened);
    await again.close();
  }, 240_000);

  it('opens them on the backend the editor last chose (models on: wasm), not auto', async () => {
    const context = await launchProfile(profile);
    const p = await openEditor(context);
    await p.evaluate(() => localStorage.setItem('unclip-studio:backend', 'wasm'));
    await p.reload();
    await p.waitForSelector('.canvas[data-ready=yes]');
    const backend = () =>
      p.evaluate(async () => {
        type Info = { backend: string } | null;
        const e = (window as unknown as { unclipStudio: { engine: { runtimeInfo(): Promise<Info> } } }).unclipStudio
          .engine;
        return (await e.runtimeInfo())?.backend;
      });
    expect(await backend()).toBe('wasm'); // no Run yet: the worker took it from the page
    await p.evaluate(() => localStorage.removeItem('unclip-studio:backend'));
    await p.reload();
    await p.waitForSelector('.canvas[data-ready=yes]');
    expect(await backend()).toBe('auto');
    await context.close();
  }, 120_000);

  it('opens nothing ahead when the page opens a graph from a link (its models are not the default ones)', async () => {
    const context = await launchProfile(profile);
    const p = await openEditor(context);
    await p.getByRole('button', { name: 'Share link' }).click();
    await expect.poll(() => p.url()).toMatch(/#graph=/);
    const shared = p.url();
    const q = await context.newPage();
    await q.goto(shared);
    await q.waitForSelector('.canvas[data-ready=yes]');
    await q.waitForTimeout(1500);
    // at most the one session that starts the WASM engine (the smallest model's), not the default graph's six
    expect((await openedModels(q)).length).toBeLessThanOrEqual(1);
    await context.close();
  }, 120_000);
});
