/**
 * `npm run bench -- edits`: GLIDE's edits and guidance, timed side by side in one run: per node, warm (median of
 * three runs after two warm-ups, each after a seed change), in the built app in headless Chromium (WASM, its
 * threads) and in Node (onnxruntime-node, native, the same threads).
 * - graphs/inpaint.json: the inpainting decoder (fill: one pass, the graph's edit) against replacement
 *   (fill_replace: RePaint with the unCLIP decoder, resample 3), and their upsampling;
 * - graphs/text-to-image-glide.json with guidance classifier-free, clip and none: the decoder node.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRegistry } from '../nodes/index';
import { nodeServices } from '../src/host/node-services';
import { Engine } from '../src/engine/scheduler';
import { createModelRuntime } from '../src/models/runtime/runtime-node';
import { launchBrowser, startServer } from '../test/e2e/harness';

type Doc = { nodes: Array<{ id: string; params?: Record<string, unknown> }> };
interface Case {
  name: string;
  doc: Doc;
  nodes: string[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r0 = (x: number) => Math.round(x);

function cases(): Case[] {
  const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Doc;
  const glide = (method: string) => {
    const doc = read('graphs/text-to-image-glide.json');
    const d = doc.nodes.find((n) => n.id === 'decoder')!;
    d.params = { ...d.params, guidanceMethod: method };
    return { name: `text-to-image-glide, guidance ${method}`, doc, nodes: ['decoder'] };
  };
  return [
    {
      name: 'inpaint',
      doc: read('graphs/inpaint.json'),
      nodes: ['fill', 'up64', 'up256', 'fill_replace', 'up64_replace', 'up256_replace'],
    },
    glide('classifier-free'),
    glide('clip'),
    glide('none'),
  ];
}

/** Per node of each case: the median ms of runs 3-5, each after a seed change (runs 1-2 warm V8 and the models). */
async function nodeTimes(
  run: (doc: Doc) => Promise<{ ok: boolean; nodes: Record<string, { ms: number }> }>,
  list: Case[],
): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const c of list) {
    const runs: Array<Record<string, { ms: number }>> = [];
    for (let seed = 100; seed < 105; seed++) {
      c.doc.nodes.find((n) => n.id === 'seed')!.params!.value = seed;
      const r = await run(c.doc);
      if (!r.ok) throw new Error(`${c.name} failed: ${JSON.stringify(r.nodes)}`);
      const missing = c.nodes.filter((id) => !r.nodes[id]);
      if (missing.length) throw new Error(`${c.name} has no node ${missing.join(', ')}`);
      if (seed >= 102) runs.push(r.nodes);
    }
    out[c.name] = Object.fromEntries(c.nodes.map((id) => [id, median(runs.map((n) => n[id]!.ms))]));
  }
  return out;
}

async function browserTimes(list: Case[]) {
  if (!existsSync('dist/index.html') || !existsSync('dist/ort/ort-wasm-simd-threaded.wasm'))
    execFileSync('npm', ['run', 'build', '--', '--logLevel', 'warn'], { stdio: 'inherit' });
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(server.url);
    await page.waitForSelector('.canvas[data-ready=yes]');
    const threads = await page.evaluate(() => (crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency) : 1));
    const times = await nodeTimes(
      (doc) =>
        page.evaluate(async (d) => {
          type Api = {
            loadGraph(g: unknown): Promise<unknown>;
            run(o?: object): Promise<{ ok: boolean; nodes: Record<string, { ms: number }> }>;
          };
          const e = (window as unknown as { unclipStudio: { engine: Api } }).unclipStudio.engine;
          await e.loadGraph(d);
          return e.run({ backend: 'wasm' });
        }, doc),
      list,
    );
    return { threads, times };
  } finally {
    await browser.close();
    await server.close();
  }
}

export async function benchEdits(json = process.argv.includes('--json')): Promise<void> {
  console.log('\n== edits and guidance (GLIDE): the built app in Chromium vs Node native, per node, warm ==');
  if (!existsSync('public/models/mini-unclip-inpaint-decoder.onnx')) {
    console.log('skipped: the inpainting decoder is not bundled yet');
    return;
  }
  const list = cases();
  const browser = await browserTimes(list);
  const engine = new Engine(
    createRegistry(),
    nodeServices({ models: (await createModelRuntime(undefined, 'node', browser.threads))! }),
  );
  const native = await nodeTimes(async (doc) => {
    engine.load(doc);
    return engine.run();
  }, list);
  const rows = list.flatMap((c) =>
    c.nodes.map((node) => ({
      graph: c.name,
      node,
      browser_ms: r0(browser.times[c.name]![node]!),
      native_ms: r0(native[c.name]![node]!),
    })),
  );
  if (json) {
    console.log(JSON.stringify({ threads: browser.threads, rows }));
    return;
  }
  console.log(`(Chromium: ${browser.threads} WASM threads; Node: onnxruntime-node, ${browser.threads} threads)`);
  console.log('| graph | node | Chromium ms | Node native ms |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.graph} | ${r.node} | ${r.browser_ms} | ${r.native_ms} |`);
}
