import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRegistry } from '../nodes/index';
import { nodeServices } from '../src/host/node-services';
import { Engine } from '../src/engine/scheduler';
import { createModelRuntime } from '../src/models/runtime/runtime-node';
import { launchBrowser, startServer } from '../test/e2e/harness';

const GRAPHS = [
  { name: 'clip-draw', node: 'image' },
  { name: 'clip-latent', node: 'search' },
];

/** Milliseconds of the search node in one cold run of an example graph in Node. */
async function nodeMs(name: string, node: string, backend: 'web' | 'node'): Promise<number> {
  const models = await createModelRuntime(undefined, backend, 1);
  const engine = new Engine(createRegistry(), nodeServices({ models }));
  engine.load(readFileSync(`graphs/${name}.json`, 'utf8'));
  const r = await engine.run();
  if (!r.ok) throw new Error(`graphs/${name}.json failed on ${backend}: ${JSON.stringify(r.nodes)}`);
  return r.nodes[node]!.ms;
}

/**
 * `npm run bench -- guide`: a CLIP-guided picture at the example graphs' default budgets, in the
 * editor in headless Chromium (the run button to the run summary; the worker's WASM onnxruntime,
 * as cross-origin isolation allows) beside Node (onnxruntime-web WASM and native, 1 thread), one run.
 */
export async function benchGuide(): Promise<void> {
  console.log("\n== CLIP-guided search at the example graphs' default budgets: Chromium editor vs Node, same run ==");
  if (!existsSync('dist/index.html') || !existsSync('dist/ort'))
    execFileSync('npm', ['run', 'build', '--', '--logLevel', 'warn'], { stdio: 'inherit' });
  const server = await startServer();
  const browser = await launchBrowser();
  const rows: string[] = [];
  try {
    for (const g of GRAPHS) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(server.url);
      await page.waitForSelector('.canvas[data-ready=yes]');
      await page.getByRole('button', { name: /Examples/ }).click();
      await page.locator(`.menu-list li[data-example="${g.name}"]`).click();
      await page.waitForSelector(`.gnode[data-node-id=${g.node}]`);
      const t0 = Date.now();
      await page.getByTestId('run').click();
      await page.waitForSelector('[data-testid=run-summary]', { timeout: 600_000 });
      const wall = Date.now() - t0;
      const summary = (await page.getByTestId('run-summary').textContent()) ?? '';
      await page.close();
      const web = await nodeMs(g.name, g.node, 'web');
      const native = await nodeMs(g.name, g.node, 'node');
      rows.push(
        `| ${g.name} | ${(wall / 1000).toFixed(1)} s (${summary.trim()}) | ${(web / 1000).toFixed(1)} s | ` +
          `${(native / 1000).toFixed(1)} s | ${(wall / web).toFixed(2)}x |`,
      );
    }
  } finally {
    await browser.close();
    await server.close();
  }
  console.log(
    '| graph | Chromium: run click to summary (whole graph, model loads included) | Node WASM: search node | Node ' +
      'native: search node | Chromium / Node WASM |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  rows.forEach((r) => console.log(r));
  console.log('target: a clip-draw picture in the browser in under 20 s here');
}
