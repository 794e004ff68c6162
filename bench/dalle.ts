import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRegistry } from '../nodes/index';
import { nodeServices } from '../src/host/node-services';
import { Engine } from '../src/engine/scheduler';
import { createModelRuntime } from '../src/models/runtime/runtime-node';
import { launchBrowser, startServer } from '../test/e2e/harness';

const GRAPH = 'dalle';
const STAGES = ['samples', 'decoded', 'rank', 'up64', 'image'];

/** Per-node milliseconds of one cold run of graphs/dalle.json in Node (model loads in the loader node). */
async function stageMs(backend: 'web' | 'node'): Promise<Record<string, number>> {
  const models = await createModelRuntime(undefined, backend, 1);
  const engine = new Engine(createRegistry(), nodeServices({ models }));
  engine.load(readFileSync(`graphs/${GRAPH}.json`, 'utf8'));
  const r = await engine.run();
  if (!r.ok) throw new Error(`graphs/${GRAPH}.json failed on ${backend}: ${JSON.stringify(r.nodes)}`);
  return Object.fromEntries(Object.entries(r.nodes).map(([id, n]) => [id, n.ms]));
}

/**
 * `npm run bench -- dalle`: one caption, 8 samples (the transformer's 64 cached steps), dVAE decode,
 * mini-CLIP rerank and the upsampler: in the editor in headless Chromium (run click to summary) and
 * in Node with onnxruntime-web (WASM) and onnxruntime-node (native), 1 thread, one run.
 */
export async function benchDalle(): Promise<void> {
  console.log(
    '\n== graphs/dalle.json (N = 8 samples per caption): Chromium editor vs Node WASM vs Node native, same run ==',
  );
  if (!existsSync('public/models/mini-dalle.onnx')) {
    console.log('skipped: the DALL·E models are not bundled');
    return;
  }
  if (!existsSync('dist/index.html') || !existsSync('dist/ort'))
    execFileSync('npm', ['run', 'build', '--', '--logLevel', 'warn'], { stdio: 'inherit' });
  const server = await startServer();
  const browser = await launchBrowser();
  let wall = 0,
    summary = '';
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url);
    await page.waitForSelector('.canvas[data-ready=yes]');
    await page.getByRole('button', { name: /Examples/ }).click();
    await page.locator(`.menu-list li[data-example="${GRAPH}"]`).click();
    await page.waitForSelector('.gnode[data-node-id=samples]');
    const t0 = Date.now();
    await page.getByTestId('run').click();
    await page.waitForSelector('[data-testid=run-summary]', { timeout: 600_000 });
    wall = Date.now() - t0;
    summary = ((await page.getByTestId('run-summary').textContent()) ?? '').trim();
  } finally {
    await browser.close();
    await server.close();
  }
  const web = await stageMs('web');
  const native = await stageMs('node');
  console.log('| stage | Node WASM ms | Node native ms | WASM / native |');
  console.log('| --- | --- | --- | --- |');
  for (const id of STAGES)
    console.log(
      `| ${id} | ${web[id]!.toFixed(0)} | ${native[id]!.toFixed(0)} | ${(web[id]! / native[id]!).toFixed(2)}x |`,
    );
  const sum = (r: Record<string, number>) => STAGES.reduce((a, id) => a + r[id]!, 0);
  console.log(
    `| sample + decode + rank + upsample | ${sum(web).toFixed(0)} | ${sum(native).toFixed(0)} | ` +
      `${(sum(web) / sum(native)).toFixed(2)}x |`,
  );
  console.log(`Chromium editor, whole graph (model loads included): ${(wall / 1000).toFixed(1)} s (${summary})`);
  console.log(
    `per image (N = 8): Chromium ${(wall / 8000).toFixed(2)} s, Node WASM ${(sum(web) / 8000).toFixed(2)} s, Node ` +
      `native ${(sum(native) / 8000).toFixed(2)} s`,
  );
}
