import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFile, reloadEditor, runToSummary, serveEditorPages, snap } from './harness';

// The browser's model cache (issue 38): models served from another host, downloaded with progress on the loader,
// kept in the Cache API, read from there after a reload, listed and deleted in the Models panel.
const MODEL_CACHE_NAME = 'unclip-studio-models-v1';
const MODELS = join(new URL('../..', import.meta.url).pathname, 'public', 'models');
interface Manifest {
  models: Array<{ id: string; sha256: string; bytes: number }>;
}

/**
 * A model host: public/models under /good/, the same files under /bad/ with a manifest naming another sha256 for
 * the text encoder, and under /huge/ with a manifest saying it is 5 GB. Bodies are streamed slowly (32 kB every
 * 10 ms) so a download takes a while to watch; every request is counted.
 */
function modelHost() {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    hits.push(path);
    const [, variant, file] = /^\/(good|bad|huge)\/([\w.-]+)$/.exec(path) ?? [];
    const headers = { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' };
    let body: Buffer;
    try {
      body = readFileSync(join(MODELS, file ?? 'none'));
    } catch {
      res.writeHead(404, headers).end();
      return;
    }
    if (file === 'manifest.json' && variant !== 'good') {
      const m = JSON.parse(body.toString()) as Manifest;
      const text = m.models.find((e) => e.id === 'mini-clip-text')!;
      if (variant === 'bad') text.sha256 = 'ab'.repeat(32);
      else text.bytes = 5_000_000_000;
      body = Buffer.from(JSON.stringify(m));
    }
    res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': body.length });
    let at = 0;
    const timer = setInterval(() => {
      res.write(body.subarray(at, (at += 32_768)));
      if (at >= body.length) {
        clearInterval(timer);
        res.end();
      }
    }, 10);
    res.on('close', () => clearInterval(timer));
  });
  return { server, hits };
}

/** The zero-shot example with its CLIP loaded from `manifestUrl`, opened as a shared file and its URLs allowed. */
async function openWithModelsFrom(p: Page, manifestUrl: string): Promise<void> {
  const graph = JSON.parse(readFileSync(new URL('../../graphs/zero-shot-classify.json', import.meta.url), 'utf8'));
  graph.nodes.find((n: { id: string }) => n.id === 'clip').params.manifest = manifestUrl;
  await openFile(p, 'shared-models.json', JSON.stringify(graph));
  await p.waitForSelector('[data-testid=held-refs]');
  await p.getByTestId('allow-refs').click();
  await p.waitForSelector('[data-testid=held-refs]', { state: 'detached' });
}

/** The URLs in the browser's model cache, read from the page (same origin as the worker: the same storage). */
const cachedUrls = (p: Page) =>
  p.evaluate(async (name) => (await (await caches.open(name)).keys()).map((r) => r.url), MODEL_CACHE_NAME);

const host = modelHost();
let base = '';
beforeAll(async () => {
  await new Promise<void>((r) => host.server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(host.server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => host.server.close(() => r())));
const openEditor = serveEditorPages();
const onnxHits = (prefix: string) => host.hits.filter((h) => h.startsWith(prefix) && h.endsWith('.onnx'));

describe('the browser model cache', () => {
  it('downloads with progress, lists the model, reads it from disk on a second visit, deletes it', async () => {
    const p = await openEditor();
    await openWithModelsFrom(p, `${base}/good/manifest.json`);
    // the loader says how far its download is while the run goes
    const progress = p.waitForFunction(
      () => {
        const t = document.querySelector('.gnode[data-node-id=clip] [data-testid=progress-text]')?.textContent ?? '';
        return /^downloading /.test(t) ? t : false;
      },
      null,
      { polling: 'raf', timeout: 60_000 },
    );
    const run = runToSummary(p, 60_000);
    const line = String(await (await progress).jsonValue());
    expect(line).toMatch(/^downloading \d+(\.\d)? \/ \d+(\.\d)? MB$/);
    await snap(p, 'model-download-progress');
    expect(await run).toMatch(/^done/);
    expect(onnxHits('/good/').sort()).toEqual(['/good/mini-clip-image.onnx', '/good/mini-clip-text.onnx']);
    const textUrl = `${base}/good/mini-clip-text.onnx`;
    expect(await cachedUrls(p)).toEqual(expect.arrayContaining([textUrl, `${base}/good/mini-clip-image.onnx`]));

    // the Models panel lists it with its size, and the total
    await p.getByTestId('models-toggle').click();
    // (the bundled models of the default graph, opened while the editor opened, are listed too: this row is the host's)
    const row = p.locator('[data-testid=cached-model][data-model=mini-clip-text]', { hasText: `${base}/good/` });
    await row.waitFor();
    expect(await row.getByTestId('cached-size').textContent()).toBe('2.5 MB');
    expect(await row.textContent()).toContain(`${base}/good/`);
    expect(await p.getByTestId('models-total').textContent()).toMatch(/^\d+ models? · [\d.]+ (MB|kB)$/);
    await snap(p, 'models-panel');
    await p.keyboard.press('Escape');

    // a second visit: the model files come from the cache, only the manifest from the network
    const manifestsBefore = host.hits.filter((h) => h === '/good/manifest.json').length;
    await reloadEditor(p);
    await openWithModelsFrom(p, `${base}/good/manifest.json`);
    expect(await runToSummary(p, 60_000)).toMatch(/^done/);
    expect(onnxHits('/good/')).toHaveLength(2);
    expect(host.hits.filter((h) => h === '/good/manifest.json').length).toBe(manifestsBefore + 1);

    // deleted in the panel, it is gone from the cache; Delete all empties it
    await p.getByTestId('models-toggle').click();
    await row.waitFor();
    await row.getByTestId('delete-model').click();
    await row.waitFor({ state: 'detached' });
    expect(await cachedUrls(p)).not.toContain(textUrl);
    expect(await cachedUrls(p)).toContain(`${base}/good/mini-clip-image.onnx`);
    await p.getByTestId('delete-all-models').click();
    await p.getByTestId('models-empty').waitFor();
    expect(await cachedUrls(p)).toEqual([]);
    await p.context().close();
  });

  it('refuses a file whose sha256 differs from its manifest, naming both, and keeps nothing of it', async () => {
    const p = await openEditor();
    await openWithModelsFrom(p, `${base}/bad/manifest.json`);
    expect(await runToSummary(p, 60_000)).toMatch(/^failed/);
    const error = await p.locator('.gnode[data-node-id=clip] .error-text').getAttribute('title');
    expect(error).toContain('mini-clip-text.onnx downloaded with sha256 ');
    expect(error).toContain(`the manifest expects ${'ab'.repeat(32)}`);
    expect(await cachedUrls(p)).not.toContain(`${base}/bad/mini-clip-text.onnx`);
    await p.context().close();
  });

  it('refuses a model too big for the browser before downloading it, saying its size, the limit and why', async () => {
    const p = await openEditor();
    await openWithModelsFrom(p, `${base}/huge/manifest.json`);
    expect(await runToSummary(p, 60_000)).toMatch(/^failed/);
    const error = await p.locator('.gnode[data-node-id=clip] .error-text').getAttribute('title');
    expect(error).toMatch(/model "mini-clip" is 5\.0 GB, more than this browser can hold \([\d.]+ GB: .+\)/);
    expect(onnxHits('/huge/')).toEqual([]);
    await snap(p, 'model-too-big');
    await p.context().close();
  });
});
