import { deflateSync, strToU8 } from 'fflate';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { launchBrowser, startServer } from '../test/e2e/harness';

/** A grid of n nodes in chains of 10: random embedding -> normalize -> ... */
function bigGraph(n: number) {
  const nodes: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const col = i % 10,
      row = Math.floor(i / 10);
    nodes.push(
      col === 0
        ? { id: `n${i}`, type: 'embedding/random', params: { seed: i, dim: 8 }, ui: { x: col * 260, y: row * 200 } }
        : {
            id: `n${i}`,
            type: 'embedding/normalize',
            inputs: { in: `n${i - 1}.out` },
            ui: { x: col * 260, y: row * 200 },
          },
    );
  }
  return { format: 'unclip-studio/graph', version: 1, meta: { title: `${n} nodes` }, nodes };
}

function hashOf(doc: unknown): string {
  const b = deflateSync(strToU8(JSON.stringify(doc)), { level: 9 });
  return Buffer.from(b).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Frame intervals (ms) recorded by requestAnimationFrame while `action` runs. */
async function frames(page: Page, action: () => Promise<void>): Promise<number[]> {
  // a string, so the bundler's helpers (__name) do not leak into the page
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

async function measure(page: Page, url: string, n: number) {
  const t0 = Date.now();
  // the moment the graph's nodes are first painted, taken in the page (polling from here would add its own latency)
  await page.addInitScript(`(() => {
    const check = () => {
      if (window.__firstRender === undefined && document.querySelector('.canvas[data-ready=yes] .gnode'))
        requestAnimationFrame(() => { window.__firstRender = performance.now(); });
    };
    new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
  })()`);
  await page.goto(`${url}#graph=${hashOf(bigGraph(n))}`);
  await page.waitForFunction('window.__firstRender !== undefined');
  const firstRender = (await page.evaluate('window.__firstRender')) as number;
  const marks = (await page.evaluate(() =>
    performance.getEntriesByType('mark').map((m) => `${m.name.replace('studio:', '')} ${m.startTime.toFixed(0)}`),
  )) as string[];
  console.log(
    `${n} nodes, start-up marks (ms since navigation): ${marks.join(', ')}, painted ${firstRender.toFixed(0)}`,
  );
  const wall = Date.now() - t0;
  const rendered = await page.locator('.gnode').count();
  // grab the middle of the first node's title: zoomed out to fit 500 nodes a node is ~20 px wide,
  // and a grab beside it would pan the canvas instead of dragging the node
  const node = page.locator('.react-flow__node').first();
  const title = (await node.locator('.gnode-title').boundingBox())!;
  const before = (await node.boundingBox())!;
  const gx = title.x + title.width / 2,
    gy = title.y + title.height / 2;
  const drag = await frames(page, async () => {
    await page.mouse.move(gx, gy);
    await page.mouse.down();
    for (let i = 0; i < 60; i++) await page.mouse.move(gx + i * 4, gy + i * 2);
    await page.mouse.up();
  });
  const after = (await node.boundingBox())!;
  if (after.x - before.x < 200) throw new Error(`the drag did not move the node (${before.x} -> ${after.x})`);
  const pane = (await page.locator('.react-flow__pane').boundingBox())!;
  const pan = await frames(page, async () => {
    await page.mouse.move(pane.x + pane.width - 60, pane.y + pane.height - 60);
    await page.mouse.down();
    for (let i = 0; i < 60; i++)
      await page.mouse.move(pane.x + pane.width - 60 - i * 6, pane.y + pane.height - 60 - i * 3);
    await page.mouse.up();
  });
  return { n, firstRender, wall, rendered, drag, pan };
}

export async function benchEditor(): Promise<void> {
  console.log('\n== editor in headless Chromium: generated graphs, same run ==');
  if (!existsSync('dist/index.html') || !existsSync('dist/ort'))
    execFileSync('npm', ['run', 'build', '--', '--logLevel', 'warn'], { stdio: 'inherit' });
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const rows = [];
    for (const n of [50, 500, 1000]) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      rows.push(await measure(page, server.url, n));
      await page.close();
    }
    console.log(
      'Frame intervals from requestAnimationFrame: median / p95 ms (median fps; mean fps; share of frames within ' +
        'one 60 Hz vsync)',
    );
    console.log('| nodes | first render (performance.now at ready) | drag | pan | nodes in the DOM |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const r of rows) {
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const f = (xs: number[]) =>
        `${pct(xs, 0.5).toFixed(1)} / ${pct(xs, 0.95).toFixed(1)} (${(1000 / pct(xs, 0.5)).toFixed(0)}; ` +
        `${(1000 / mean(xs)).toFixed(0)}; ${((100 * xs.filter((x) => x < 20).length) / xs.length).toFixed(0)}%)`;
      console.log(`| ${r.n} | ${r.firstRender.toFixed(0)} ms | ${f(r.drag)} | ${f(r.pan)} | ${r.rendered} |`);
    }
    const [small, big] = rows;
    console.log(
      `ratio 500/50: first render ${(big!.firstRender / small!.firstRender).toFixed(2)}x, drag median frame ` +
        `${(pct(big!.drag, 0.5) / pct(small!.drag, 0.5)).toFixed(2)}x, pan median frame ` +
        `${(pct(big!.pan, 0.5) / pct(small!.pan, 0.5)).toFixed(2)}x`,
    );
  } finally {
    await browser.close();
    await server.close();
  }
}
