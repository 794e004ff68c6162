import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeExternalClipFolder } from '../../scripts/onnx-external-data';
import { makeMiniClipFolder, PUBLISHED_DIR } from '../../scripts/published-clip';
import { openFile, runToSummary, selectNode, serveEditorPages, snap } from './harness';

// ONNX files with external data in the browser (issue 38): a CLIP folder in optimum's names whose weights are in
// onnx/text_model.onnx_data and onnx/vision_model.onnx_data, served from another host, classifies as the same
// folder with single ONNX files does; a missing data file fails the loader naming it.
makeMiniClipFolder();
makeExternalClipFolder();

/** test-artifacts/published/mini-clip(-external)/ over HTTP; /broken/ is mini-clip-external without its vision data. */
function folderHost() {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    hits.push(path);
    const headers = { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' };
    const m = /^\/(mini-clip|mini-clip-external|broken)\/((?:onnx\/)?[\w.-]+)$/.exec(path);
    if (!m || (m[1] === 'broken' && m[2] === 'onnx/vision_model.onnx_data')) {
      res.writeHead(404, headers).end();
      return;
    }
    try {
      const body = readFileSync(join(PUBLISHED_DIR, m[1] === 'broken' ? 'mini-clip-external' : m[1]!, m[2]!));
      res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404, headers).end();
    }
  });
  return { server, hits };
}

const host = folderHost();
let base = '';
beforeAll(async () => {
  await new Promise<void>((r) => host.server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(host.server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => host.server.close(() => r())));
const openEditor = serveEditorPages();

/** The zero-shot example with its CLIP from a folder URL, opened as a shared file and its URLs allowed. */
async function openWithFolder(p: Page, folder: string): Promise<void> {
  const graph = JSON.parse(readFileSync(new URL('../../graphs/zero-shot-classify.json', import.meta.url), 'utf8'));
  graph.nodes.find((n: { id: string }) => n.id === 'clip').params.manifest = folder;
  await openFile(p, 'external-data.json', JSON.stringify(graph));
  await p.waitForSelector('[data-testid=held-refs]');
  await p.getByTestId('allow-refs').click();
  await p.waitForSelector('[data-testid=held-refs]', { state: 'detached' });
}

/** The classifier's bars (label and probability as the inspector shows them) after a run. */
async function barsAfterRun(p: Page): Promise<string[]> {
  expect(await runToSummary(p, 90_000)).toMatch(/^done/);
  await selectNode(p, 'classify', '.inspector .bars .bar-row');
  return p.locator('.inspector .bars .bar-row').allTextContents();
}

describe('external data in the browser', () => {
  it('a folder whose weights are in *.onnx_data classifies as the single-file folder does', async () => {
    const p = await openEditor();
    await openWithFolder(p, `${base}/mini-clip-external/`);
    const split = await barsAfterRun(p);
    expect(host.hits).toEqual(
      expect.arrayContaining([
        '/mini-clip-external/onnx/text_model.onnx_data',
        '/mini-clip-external/onnx/vision_model.onnx_data',
      ]),
    );
    await snap(p, 'external-data-run');
    await p.context().close();
    const q = await openEditor();
    await openWithFolder(q, `${base}/mini-clip/`);
    const single = await barsAfterRun(q);
    expect(split.length).toBeGreaterThan(1);
    expect(split).toEqual(single);
    await q.context().close();
  });

  it('a missing data file fails the loader, naming the file and the model file that needs it', async () => {
    const p = await openEditor();
    await openWithFolder(p, `${base}/broken/`);
    expect(await runToSummary(p, 90_000)).toMatch(/^failed/);
    const error = await p.locator('.gnode[data-node-id=clip] .error-text').getAttribute('title');
    expect(error).toContain(
      `${base}/broken/onnx/vision_model.onnx_data is missing or unreadable: ${base}/broken/onnx/vision_model.onnx ` +
        'keeps weights there',
    );
    await p.context().close();
  });
});
