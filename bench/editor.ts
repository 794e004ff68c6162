import { deflateSync, strToU8 } from 'fflate';
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { launchBrowser, startServer } from '../test/e2e/harness';

/**
 * `npm run bench -- editor [--json]`: the editor at 50, 500 and 1,000 nodes in headless Chromium, on a profiling
 * build (`vite build --mode profile`: React's profiling renderer, each node and wire in a Profiler, see
 * src/ui/render-count.tsx). First render: from opening a graph by its link in the editor already loaded (the
 * default graph shown) to the nodes in view drawn; then one node dragged and the pane panned, frame by frame.
 */

/** A grid of n nodes in chains of 10: random embedding -> normalize -> ...; ids prefixed so each open is new. */
function bigGraph(n: number, prefix: string) {
  const nodes: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const col = i % 10,
      row = Math.floor(i / 10);
    nodes.push(
      col === 0
        ? {
            id: `${prefix}${i}`,
            type: 'embedding/random',
            params: { seed: i, dim: 8 },
            ui: { x: col * 260, y: row * 200 },
          }
        : {
            id: `${prefix}${i}`,
            type: 'embedding/normalize',
            inputs: { in: `${prefix}${i - 1}.out` },
            ui: { x: col * 260, y: row * 200 },
          },
    );
  }
  return { format: 'unclip-studio/graph', version: 1, meta: { title: `${n} nodes` }, nodes };
}

function linkOf(doc: unknown): string {
  const b = deflateSync(strToU8(JSON.stringify(doc)), { level: 9 });
  return `#graph=${Buffer.from(b).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

/** Frame intervals (ms) recorded by requestAnimationFrame while `action` runs. */
async function frames(page: Page, action: () => Promise<void>): Promise<number[]> {
  // strings, so the bundler's helpers (__name) do not leak into the page
  await page.evaluate(`(() => {
    window.__frames = []; window.__rec = true;
    const tick = (t) => { window.__frames.push(t); if (window.__rec) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  })()`);
  await action();
  const ts = (await page.evaluate('(() => { window.__rec = false; return window.__frames; })()')) as number[];
  return ts.slice(1).map((t, i) => t - ts[i]!);
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const median = (xs: number[]) => pct(xs, 0.5);
/**
 * rAF timestamps come a whole number of vsyncs apart (16.7, 33.3 ms, ...) give or take a little jitter: an interval
 * under 20 ms is the next vsync, a frame on time.
 */
const onTime = (xs: number[]) => (100 * xs.filter((x) => x < 20).length) / xs.length;

/** Opens `doc` by its link in the loaded editor: ms from the hash set to the nodes in view drawn (painted). */
async function openTime(
  page: Page,
  doc: unknown,
  marker: string,
): Promise<{ ms: number; validated: number; inDom: number }> {
  const { ms, validated } = (await page.evaluate(`new Promise((resolve) => {
    const check = () => {
      if (document.querySelector('.canvas')?.dataset.view === 'set' &&
          document.querySelector('.gnode[data-node-id="${marker}"]')) {
        obs.disconnect();
        // after the frame that draws them: a task queued from requestAnimationFrame runs once it painted
        // (and when the worker had validated it: the rest is the editor's)
        requestAnimationFrame(() => setTimeout(() => resolve({
          ms: performance.now() - t0,
          validated: performance.getEntriesByName('studio:validated').pop().startTime - t0,
        }), 0));
      }
    };
    const obs = new MutationObserver(check);
    obs.observe(document, { subtree: true, childList: true, attributes: true });
    const t0 = performance.now();
    location.hash = ${JSON.stringify(linkOf(doc))};
  })`)) as { ms: number; validated: number };
  return { ms, validated, inDom: await page.locator('.gnode').count() };
}

type Renders = Record<string, number>;
const renders = (page: Page) => page.evaluate('window.__studioRenders.read()') as Promise<Renders>;

/** Drags the node `id` by its title, 60 pointer moves: frame intervals and what rendered meanwhile. */
async function drag(page: Page, id: string) {
  const node = page.locator(`.react-flow__node[data-id="${id}"]`);
  const title = (await node.locator('.gnode-title').boundingBox())!;
  const before = (await node.boundingBox())!;
  const [gx, gy] = [title.x + title.width / 3, title.y + title.height / 2];
  await page.evaluate('window.__studioRenders.reset()');
  const intervals = await frames(page, async () => {
    await page.mouse.move(gx, gy);
    await page.mouse.down();
    for (let i = 0; i < 60; i++) await page.mouse.move(gx + i * 4, gy + i * 2);
    await page.mouse.up();
  });
  const after = (await node.boundingBox())!;
  if (after.x - before.x < 200) throw new Error(`the drag did not move ${id} (${before.x} -> ${after.x})`);
  const counts = await renders(page);
  const of = (kind: string) => Object.keys(counts).filter((k) => k.startsWith(`${kind}:`));
  return { intervals, nodes: of('node'), edges: of('edge') };
}

/** Pans the pane from its bottom right corner, 60 pointer moves. */
async function pan(page: Page): Promise<number[]> {
  const pane = (await page.locator('.react-flow__pane').boundingBox())!;
  const [x0, y0] = [pane.x + pane.width - 40, pane.y + pane.height - 40];
  return frames(page, async () => {
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    for (let i = 0; i < 60; i++) await page.mouse.move(x0 - i * 8, y0 - i * 4);
    await page.mouse.up();
  });
}

export async function benchEditor(json = process.argv.includes('--json')): Promise<void> {
  console.log('\n== editor in headless Chromium (profiling build): generated graphs opened by link, same run ==');
  execFileSync('npx', ['vite', 'build', '--mode', 'profile', '--logLevel', 'warn'], { stdio: 'inherit' });
  const server = await startServer({ outDir: 'dist-profile' });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url);
    await page.waitForSelector('.canvas[data-ready=yes][data-view=set]');
    // the editor settled: its start-up work done (the worker opens the default graph's models as the page opens;
    // a graph opened meanwhile waits for its validation), one graph opened and dropped first (the code warm)
    await page.waitForTimeout(3000);
    await openTime(page, bigGraph(50, 'warm'), 'warm0');
    const sizes = [50, 500, 1000];
    const opens = new Map<number, Array<{ ms: number; validated: number; inDom: number }>>(sizes.map((n) => [n, []]));
    // three opens of each size in turn (each a new graph: its own ids), the median reported
    for (let rep = 0; rep < 3; rep++)
      for (const n of sizes) opens.get(n)!.push(await openTime(page, bigGraph(n, `r${rep}n`), `r${rep}n0`));
    const rows = [];
    for (const n of sizes) {
      await openTime(page, bigGraph(n, `d${n}n`), `d${n}n0`);
      const dragged = await drag(page, `d${n}n0`);
      const panned = await pan(page);
      // zoomed out to the whole graph (the fit view button): every node in view, drawn as a plain box
      await page.locator('.react-flow__controls-fitview').click();
      await page.waitForTimeout(600);
      // a big graph far out is drawn on one canvas (FarOverview), which says how many boxes it drew
      const overview = page.getByTestId('far-overview');
      const inView = (await overview.count())
        ? `${await overview.getAttribute('data-drawn')} on the overview canvas`
        : `${await page.locator('.gnode').count()} in the DOM`;
      const pannedAll = await pan(page);
      const first = opens.get(n)!;
      rows.push({ n, first, dragged, panned, pannedAll, inView });
    }
    const f = (xs: number[]) =>
      `${median(xs).toFixed(1)} / ${pct(xs, 0.95).toFixed(1)} ms, ${onTime(xs).toFixed(0)}% on time`;
    console.log('Frame intervals from requestAnimationFrame: median / p95, share within one 60 Hz vsync.');
    console.log(
      '| nodes | first render (median of 3; the three [of which validated in the worker]) | nodes drawn | drag | ' +
        're-rendered by the drag | pan | pan, whole graph in view (nodes drawn) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const r of rows)
      console.log(
        `| ${r.n} | ${median(r.first.map((o) => o.ms)).toFixed(0)} ms ` +
          `(${r.first.map((o) => `${o.ms.toFixed(0)} [${o.validated.toFixed(0)}]`).join(', ')}) ` +
          `| ${r.first[0]!.inDom} | ${f(r.dragged.intervals)} | ${r.dragged.nodes.length} nodes, ` +
          `${r.dragged.edges.length} wires (${[...r.dragged.nodes, ...r.dragged.edges].join(' ')}) | ` +
          `${f(r.panned)} | ${f(r.pannedAll)} (${r.inView}) |`,
      );
    const big = rows.find((r) => r.n === 1000)!;
    const result = {
      first_render_ms: Object.fromEntries(
        rows.filter((r) => r.n >= 500).map((r) => [String(r.n), Math.round(median(r.first.map((o) => o.ms)))]),
      ),
      drag_vsync_pct: { '1000': Math.round(10 * Math.min(onTime(big.dragged.intervals), onTime(big.panned))) / 10 },
      drag_rerenders: { nodes: big.dragged.nodes.length, edges: big.dragged.edges.length },
      pan_whole_graph_vsync_pct: { '1000': Math.round(10 * onTime(big.pannedAll)) / 10 },
    };
    if (json) console.log(JSON.stringify(result));
  } finally {
    await browser.close();
    await server.close();
  }
}
