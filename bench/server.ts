/**
 * The server engine's time per picture against the browser's, for the default graph (text-to-image), measured in
 * one run from the same editor page: `npm run serve`'s server (in this process, onnxruntime-node, CUDA where
 * present) serves the built editor; the page runs the graph on its worker (onnxruntime-web WASM), then chooses the
 * server as its Engine and runs the same seeds there (over the WebSocket, pictures previewed back in the page).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startEngineServer } from '../src/host/server';
import { launchBrowser, openEditorPage } from '../test/e2e/harness';

const RUNS = 3;

/** In the page: the graph loaded and run once per seed, each run's milliseconds (the first run: models load). */
async function timeRuns(page: Page, graph: string, seeds: number[]): Promise<number[]> {
  // a string, so the bundler's helpers do not leak into the page
  return (await page.evaluate(`(async () => {
    const engine = window.unclipStudio.engine;
    const times = [];
    for (const seed of ${JSON.stringify(seeds)}) {
      const doc = JSON.parse(${JSON.stringify(graph)});
      doc.nodes.find((n) => n.id === 'seed').params.value = seed;
      const loaded = await engine.loadGraph(doc);
      if (!loaded.ok) throw new Error('the graph did not load');
      const t0 = performance.now();
      const r = await engine.run({});
      if (!r.ok) throw new Error('the run failed');
      // the picture, as the editor shows it: a preview brought to the page
      await engine.imagePreview('image', 'image', 0, 256);
      times.push(performance.now() - t0);
    }
    return times;
  })()`)) as number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchServer(): Promise<void> {
  console.log('\n== server engine vs this browser: the default graph, time per picture, same run ==');
  if (!existsSync('dist/index.html') || !existsSync('dist/ort'))
    execFileSync('npm', ['run', 'build', '--', '--logLevel', 'warn'], { stdio: 'inherit' });
  const server = await startEngineServer({
    port: 0,
    dataDir: mkdtempSync(join(tmpdir(), 'bench-serve-')),
    distDir: 'dist',
    engine: { native: true },
  });
  const browser = await launchBrowser();
  try {
    const graph = readFileSync('graphs/text-to-image.json', 'utf8');
    const page = await openEditorPage(browser, `${server.url}/`);
    const seeds = Array.from({ length: RUNS + 1 }, (_, i) => 100 + i);
    const [browserFirst, ...browserRuns] = await timeRuns(page, graph, seeds);
    await page.getByTestId('engine-choice').selectOption('server');
    await page.getByTestId('engine-token').fill(server.token);
    await page.getByTestId('engine-connect').click();
    await page.waitForFunction(() => !document.querySelector('[data-testid=engine-form]'));
    const [serverFirst, ...serverRuns] = await timeRuns(page, graph, seeds);
    const info = (await (
      await fetch(`${server.url}/api/info`, { headers: { Authorization: `Bearer ${server.token}` } })
    ).json()) as { gpu?: { available: boolean } };
    console.log(`| engine | first run (models load) | time per picture, median of ${RUNS} seeds |`);
    console.log('| --- | --- | --- |');
    console.log(
      `| this browser (WASM worker) | ${browserFirst!.toFixed(0)} ms | ${median(browserRuns).toFixed(0)} ms |`,
    );
    console.log(
      `| server (onnxruntime-node, ${info.gpu?.available ? 'CUDA' : 'CPU'}; over the WebSocket) | ` +
        `${serverFirst!.toFixed(0)} ms | ${median(serverRuns).toFixed(0)} ms |`,
    );
    console.log(`ratio server/browser per picture: ${(median(serverRuns) / median(browserRuns)).toFixed(2)}x`);
    await page.context().close();
  } finally {
    await browser.close();
    await server.close();
  }
}
