import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { decode } from 'fast-png';
import type { Page } from 'playwright-core';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  canvasSize,
  graphDoc,
  openExample,
  openFile,
  reloadEditor,
  runToSummary,
  saved,
  selectNode,
  serveEditorPages,
  snap,
  summaryText,
  paste,
} from './harness';

let page: Page;
const openEditor = serveEditorPages();

async function dragPort(p: Page, from: string, to: string): Promise<void> {
  const a = await p.locator(from).boundingBox();
  const b = await p.locator(to).boundingBox();
  await p.mouse.move(a!.x + a!.width / 2, a!.y + a!.height / 2);
  await p.mouse.down();
  await p.mouse.move((a!.x + b!.x) / 2, (a!.y + b!.y) / 2, { steps: 5 });
  await p.mouse.move(b!.x + b!.width / 2, b!.y + b!.height / 2, { steps: 5 });
  await p.mouse.up();
}

describe('the editor in Chromium', () => {
  beforeEach(async () => {
    page = await openEditor('caption-similarity');
  });

  it('opens the default example and runs it to an output shown in the inspector', async () => {
    await snap(page, 'default-graph');
    expect(await page.locator('.gnode').count()).toBeGreaterThan(5);
    expect(await runToSummary(page)).toMatch(/^done in \d+ ms · \d+ run · 0 cached/);
    expect(await page.locator('.status-done').count()).toBe(await page.locator('.gnode').count());
    await selectNode(page, 'similarity', '.inspector .matrix');
    expect(await page.locator('.inspector .matrix td').count()).toBe(16);
    await selectNode(page, 'red', '.inspector canvas.pixelated');
    await snap(page, 'ran-inspecting-image');
    // a second run comes from the cache
    await page.getByTestId('run').click();
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=run-summary]')?.textContent?.includes(' 0 run'),
    );
    await page.context().close();
  });

  it('refuses a connection the types forbid, saying why', async () => {
    await dragPort(
      page,
      '.react-flow__handle[data-nodeid=captions][data-handleid=text].source',
      '.react-flow__handle[data-nodeid=images][data-handleid=d].target',
    );
    await page.waitForSelector('[data-testid=notice]');
    expect(await page.getByTestId('notice').textContent()).toMatch(
      /connection refused: a Text output cannot feed an Embedding input/,
    );
    await snap(page, 'connection-refused');
    // output to output: said plainly, not "unknown port"
    await dragPort(
      page,
      '.react-flow__handle[data-nodeid=captions][data-handleid=text].source',
      '.react-flow__handle[data-nodeid=img_red][data-handleid=embedding].source',
    );
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=notice]')?.textContent?.includes('two outputs'),
    );
    expect(await page.getByTestId('notice').textContent()).toBe(
      'connection refused: two outputs cannot be connected (drag from an output to an input)',
    );
    const doc = await saved(page);
    expect(doc.nodes.find((n) => n.id === 'images')!.inputs!.d).toBe('img_pink.embedding'); // unchanged
    // an allowed connection is made, and replaces the old edge of that input
    await dragPort(
      page,
      '.react-flow__handle[data-nodeid=img_red][data-handleid=embedding].source',
      '.react-flow__handle[data-nodeid=images][data-handleid=d].target',
    );
    const after = await saved(page);
    expect(after.nodes.find((n) => n.id === 'images')!.inputs!.d).toBe('img_red.embedding');
    await page.context().close();
  });

  it('undo and redo restore the exact graph', async () => {
    const original = await saved(page);
    const prompt = page.locator('.gnode[data-node-id=red] input[data-param=caption]');
    await prompt.fill('a small green cross');
    await prompt.press('Enter');
    await selectNode(page, 'picture_names');
    await page.keyboard.press('Delete');
    await page.waitForFunction(() => !document.querySelector('.gnode[data-node-id=picture_names]'));
    const edited = await saved(page);
    expect(edited.nodes.length).toBe(original.nodes.length - 1);
    await snap(page, 'edited');
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    expect(await saved(page)).toEqual(original);
    await page.keyboard.press('Control+Shift+z');
    await page.keyboard.press('Control+Shift+z');
    expect(await saved(page)).toEqual(edited);
    await page.context().close();
  });

  it('save then open round-trips the graph', async () => {
    const before = await saved(page);
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('.gnode').length === 0);
    await openFile(page, 'roundtrip.json', JSON.stringify(before));
    await page.waitForFunction(() => document.querySelectorAll('.gnode').length > 0);
    expect(await saved(page)).toEqual(before);
    await page.context().close();
  });

  it('a broken file shows every error, each naming its node, and keeps the current graph', async () => {
    const before = await saved(page);
    await openFile(
      page,
      'broken.json',
      JSON.stringify(
        graphDoc('<img src=x onerror="window.__pwned=1">', [
          { id: 'a', type: 'embedding/normalize', inputs: { in: 'b.out' } },
          { id: 'b', type: 'embedding/normalize', inputs: { in: 'a.out' } },
          { id: 'c', type: 'embedding/normalize', inputs: { in: 'ghost.out' } },
          { id: 'd', type: 'embedding/slerp', params: { t: 5 }, inputs: { a: 'a.out', b: 'a.out' } },
        ]),
      ),
    );
    await page.waitForSelector('[data-testid=load-issues]');
    const text = await page.getByTestId('load-issues').textContent();
    expect(text).toMatch(/broken\.json was not opened/);
    expect(text).toMatch(/node "c" inputs\.in: refers to node "ghost", which does not exist/);
    expect(text).toMatch(/node "d" params\.t: must be between 0 and 1/);
    expect(text).toMatch(/cycle: .*"a".*"b"/);
    await snap(page, 'broken-file');
    expect(await saved(page)).toEqual(before);
    // text from a file is shown as text, never as HTML
    await openFile(page, 'title.json', JSON.stringify(graphDoc('<img src=x onerror="window.__pwned=1">', [])));
    await page.waitForFunction(() => document.querySelector('.toolbar .title')?.textContent?.includes('<img'));
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('.toolbar .title img').count()).toBe(0);
    await page.context().close();
  });

  it('autosave survives a reload', async () => {
    const caption = page.locator('.gnode[data-node-id=blue] input[data-param=caption]');
    await caption.fill('a small purple cross');
    await caption.press('Enter');
    await page.waitForTimeout(600);
    await reloadEditor(page);
    await expect
      .poll(() => page.locator('.gnode[data-node-id=blue] input[data-param=caption]').inputValue())
      .toBe('a small purple cross');
    await snap(page, 'after-reload');
    await page.context().close();
  });

  it('dragging from a port onto empty canvas offers only compatible nodes and wires the one chosen', async () => {
    const from = (await page
      .locator('.react-flow__handle[data-nodeid=text_emb][data-handleid=embedding].source')
      .boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + 120, from.y - 140, { steps: 8 });
    await page.mouse.up();
    await page.waitForSelector('.palette li[data-type]');
    const offered = await page
      .locator('.palette li[data-type]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-type')));
    expect(offered).toContain('embedding/slerp');
    expect(offered).toContain('diffusion/decode'); // a text embedding decoded as if it were an image embedding
    expect(offered).not.toContain('text/prompt');
    expect(offered).not.toContain('world/render-scene');
    await snap(page, 'palette-from-port');
    await page.keyboard.type('normalize');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.gnode[data-type="embedding/normalize"]');
    const doc = await saved(page);
    expect(doc.nodes.find((n) => n.id === 'normalize')!.inputs).toEqual({ in: 'text_emb.embedding' });
    await page.context().close();
  });

  it(
    'the overview map draws the graph and a click in it moves ' +
      'the view there; dragging a node moves it, not the view',
    async () => {
      const map = page.locator('.minimap canvas');
      const box = (await map.boundingBox())!;
      // the map drew node boxes (not only its background)
      const colours = await map.evaluate((c: HTMLCanvasElement) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const seen = new Set<string>();
        for (let i = 0; i < d.length; i += 4) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
        return seen.size;
      });
      expect(colours).toBeGreaterThan(2);
      const viewport = () => page.locator('.react-flow__viewport').evaluate((e) => getComputedStyle(e).transform);
      const before = await viewport();
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await expect.poll(viewport).not.toBe(before);
      // a node dragged by its title follows the pointer (React Flow starts the drag at the first move past
      // its threshold, so the first of the 6 steps is not part of it); the view stays put
      const moved = await viewport();
      // a node wholly in the canvas (where the map's click put the view is not the test's concern)
      const visible = await page.evaluate(() => {
        const c = document.querySelector('.canvas')!.getBoundingClientRect();
        const inside = [...document.querySelectorAll('.react-flow__node')].find((n) => {
          const r = n.getBoundingClientRect();
          return r.left > c.left + 80 && r.right < c.right - 80 && r.top > c.top + 40 && r.bottom < c.bottom;
        });
        return (inside as HTMLElement | undefined)?.dataset.id;
      });
      expect(visible).toBeDefined();
      const node = page.locator(`.react-flow__node[data-id="${visible}"]`);
      const title = (await node.locator('.gnode-title').boundingBox())!;
      const at = (await node.boundingBox())!;
      await page.mouse.move(title.x + title.width / 2, title.y + title.height / 2);
      await page.mouse.down();
      // (to the left: at a readable zoom the node sits near the pane's right edge, where a drag would auto-pan)
      await page.mouse.move(title.x + title.width / 2 - 60, title.y + title.height / 2 + 30, { steps: 6 });
      await page.mouse.up();
      const after = (await node.boundingBox())!;
      expect(at.x - after.x).toBeGreaterThanOrEqual(45);
      expect(at.x - after.x).toBeLessThanOrEqual(61);
      expect(after.y - at.y).toBeGreaterThanOrEqual(22);
      expect(after.y - at.y).toBeLessThanOrEqual(31);
      expect(await viewport()).toBe(moved);
      expect(await page.evaluate(() => window.getSelection()?.toString() ?? '')).toBe('');
      await page.context().close();
    },
  );

  it(
    'a share link opens the same graph elsewhere; a ' + 'graph too large for a link is saved as a file instead',
    async () => {
      await page.getByRole('button', { name: 'Share link' }).click();
      await expect.poll(() => page.url()).toMatch(/#graph=[A-Za-z0-9_-]+$/);
      const original = await saved(page);
      const other = await page.context().newPage();
      await other.goto(page.url());
      await other.waitForSelector('.canvas[data-ready=yes]');
      await other.waitForSelector('.gnode');
      expect(await saved(other)).toEqual(original);
      await other.close();

      // 600 prompts of random text: deflated and base64-encoded, far past the link limit
      let x = 2463534242; // xorshift32
      const noise = () =>
        Array.from({ length: 80 }, () => {
          x ^= x << 13;
          x >>>= 0;
          x ^= x >>> 17;
          x ^= x << 5;
          x >>>= 0;
          return 'abcdefghijklmnopqrstuvwxyz '[x % 27];
        }).join('');
      const big = graphDoc(
        'big',
        Array.from({ length: 600 }, (_, i) => ({
          id: `p${i}`,
          type: 'text/prompt',
          params: { text: noise() },
          ui: { x: (i % 20) * 300, y: Math.floor(i / 20) * 200 },
        })),
      );
      await openFile(page, 'big.json', JSON.stringify(big));
      await page.waitForFunction(
        () => document.querySelectorAll('.react-flow__node').length > 0 && document.title.length >= 0,
      );
      await expect.poll(() => page.locator('.toolbar .title').textContent()).toMatch(/big/);
      const urlBefore = page.url();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Share link' }).click(),
      ]);
      const file = JSON.parse(readFileSync((await download.path())!, 'utf8'));
      expect(file.nodes).toHaveLength(600);
      expect(await page.getByTestId('notice').textContent()).toMatch(/kB link .* saved it as a file/);
      expect(page.url()).toBe(urlBefore);
      await page.context().close();
    },
  );

  it('adds a node from the palette, filtered by typing', async () => {
    await page.mouse.move(700, 450);
    await page.locator('.react-flow__pane').click({ position: { x: 600, y: 40 } });
    await page.keyboard.press('Space');
    await page.waitForSelector('.palette input');
    await page.keyboard.type('slerp');
    expect(await page.locator('.palette li[data-type]').first().getAttribute('data-type')).toBe('embedding/slerp');
    expect(await page.locator('.palette li[data-type]').count()).toBeLessThan(5);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.gnode[data-type="embedding/slerp"]');
    await snap(page, 'palette-added');
    await page.context().close();
  });
});

describe('the default graph', () => {
  it('is text-to-image; it runs to a 256x256 picture and the decoder shows live previews on the way', async () => {
    const p = await openEditor();
    expect(await p.locator('.toolbar .title').textContent()).toBe('Text to image (unCLIP)');
    // the decoder's seed is wired: its param says the input wins instead of showing a stale 0
    expect(await p.locator('.gnode[data-node-id=decoder] [data-param-overridden=seed]').textContent()).toMatch(
      /from the wired input \(seed\.value\)/,
    );
    expect(await p.locator('.gnode[data-node-id=decoder] input[data-param=seed]').count()).toBe(0);
    await snap(p, 'text-to-image-loaded');
    await p.getByTestId('run').click();
    await p.waitForSelector('.gnode[data-node-id=decoder] .status-running canvas', { timeout: 120_000 });
    await snap(p, 'decoder-live-preview');
    expect(await summaryText(p, 180_000)).toMatch(/^done in/);
    // the picture shows on its node (a cheap thumbnail: 64 px at most), the 64x64 stage's on its own
    await p.waitForSelector('.gnode[data-node-id=image] [data-testid=thumb] canvas');
    expect(await canvasSize(p, '.gnode[data-node-id=image] [data-testid=thumb] canvas')).toEqual([64, 64]);
    await p.waitForSelector('.gnode[data-node-id=up64] [data-testid=thumb] canvas');
    // the inspector shows it at true pixels, fitted to the panel (256x256 at 1x), and zooms without smoothing
    await selectNode(p, 'image', '.inspector canvas.pixelated');
    expect(await canvasSize(p, '.inspector canvas.pixelated')).toEqual([256, 256]);
    const shown = () =>
      p
        .locator('.inspector canvas.pixelated')
        .first()
        .evaluate((c) => c.getBoundingClientRect().width);
    expect(await shown()).toBe(256);
    expect(await p.locator('.inspector .zoom').textContent()).toMatch(/1x \(fit\) · 256x256/);
    await p.getByTestId('zoom').fill('2');
    expect(await shown()).toBe(512);
    await selectNode(p, 'up64', '.inspector canvas.pixelated');
    expect(await canvasSize(p, '.inspector canvas.pixelated')).toEqual([64, 64]);
    await selectNode(p, 'image', '.inspector canvas.pixelated');
    // ... and saves it as a 256x256 PNG
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByTestId('save-image').click()]);
    const png = readFileSync((await download.path())!);
    expect(Array.from(png.subarray(1, 4))).toEqual([80, 78, 71]); // "PNG"
    expect(png.readUInt32BE(16)).toBe(256);
    // the saved picture carries its graph: opened over another graph, it brings the pipeline back
    await openExample(p, 'caption-similarity');
    await p.setInputFiles('[data-testid=open-file]', (await download.path())!);
    await p.waitForFunction(() => document.querySelector('.toolbar .title')?.textContent === 'Text to image (unCLIP)');
    expect(await p.locator('.gnode[data-node-id=decoder]').count()).toBe(1);
    // the same graph: run, every node comes from the cache (results belong to the graph, shown once it ran)
    expect(await runToSummary(p, 60_000)).toMatch(/· 0 run · 11 cached/);
    await selectNode(p, 'decoder', '.inspector .filmstrip canvas');
    expect(await p.locator('.inspector .filmstrip canvas').count()).toBe(25);
    await snap(p, 'text-to-image-done');
    await p.context().close();
  });

  it('opens at a zoom where node text reads at 11 px or more with its first node in view; F fits it all', async () => {
    const p = await openEditor();
    const zoom = () =>
      p.locator('.react-flow__viewport').evaluate((e) => new DOMMatrix(getComputedStyle(e).transform).a);
    await expect.poll(zoom).toBeGreaterThan(0.5);
    await p.waitForTimeout(200);
    const z = await zoom();
    // what the eye gets: CSS size times the canvas zoom
    const px = async (sel: string) =>
      (await p
        .locator(sel)
        .first()
        .evaluate((e) => parseFloat(getComputedStyle(e).fontSize))) * z;
    expect(await px('.gnode-name')).toBeGreaterThanOrEqual(11.5);
    expect(await px('.gnode-params')).toBeGreaterThanOrEqual(11.5);
    expect(await px('.param-label')).toBeGreaterThanOrEqual(10.5);
    expect(await px('.gnode-id')).toBeGreaterThanOrEqual(9.5);
    const pane = (await p.locator('.react-flow').boundingBox())!;
    const prompt = (await p.locator('.react-flow__node[data-id=prompt]').boundingBox())!;
    expect(prompt.x).toBeGreaterThanOrEqual(pane.x);
    expect(prompt.y).toBeGreaterThanOrEqual(pane.y);
    expect(prompt.x + prompt.width).toBeLessThanOrEqual(pane.x + pane.width);
    await snap(p, 'default-graph-readable');
    await p.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await p.keyboard.press('f');
    await expect.poll(zoom).toBeLessThan(z);
    await p.context().close();
  });
});

describe('work is not lost', () => {
  it('New and Examples are undoable, and the graphs they replaced are kept under Recent across a reload', async () => {
    const p = await openEditor('zero-shot-classify');
    await p.locator('.gnode[data-node-id=labels] textarea').fill('red circle\nblue square');
    await p.locator('.gnode[data-node-id=labels] textarea').blur();
    await p.getByRole('button', { name: 'New' }).click();
    await p.waitForFunction(() => document.querySelectorAll('.gnode').length === 0);
    expect(await p.getByTestId('empty-hint').textContent()).toMatch(
      /press Space or double-click to add a node.*Examples/,
    );
    await p.getByRole('button', { name: 'Undo' }).click();
    await p.waitForSelector('[data-testid=empty-hint]', { state: 'detached' });
    await p.waitForSelector('.gnode[data-node-id=labels]');
    expect(await p.locator('.gnode[data-node-id=labels] textarea').inputValue()).toBe('red circle\nblue square');
    // an example over it, then a reload: the edited graph is in Recent
    await openExample(p, 'caption-similarity');
    await p.waitForTimeout(400); // autosave
    await reloadEditor(p);
    await p.getByRole('button', { name: /Examples/ }).click();
    const recent = p.locator('.menu-list li[data-recent]');
    expect(await recent.count()).toBeGreaterThanOrEqual(1);
    await p.locator('.menu-list li[data-recent]', { hasText: 'Zero-shot' }).first().click();
    await p.waitForSelector('.gnode[data-node-id=labels]');
    expect(await p.locator('.gnode[data-node-id=labels] textarea').inputValue()).toBe('red circle\nblue square');
    await p.context().close();
  });
});

describe('fields', () => {
  it(
    'keep what is typed without a blur (a reload brings it ' +
      'back), and Ctrl+Enter in a field runs the graph with it',
    async () => {
      const p = await openEditor('zero-shot-classify');
      const labels = p.locator('.gnode[data-node-id=labels] textarea');
      await labels.click();
      await labels.fill('red circle\ngreen cross');
      await p.waitForTimeout(1200); // typed, never blurred: committed and autosaved
      await reloadEditor(p);
      await p.waitForSelector('.gnode[data-node-id=labels]');
      expect(await p.locator('.gnode[data-node-id=labels] textarea').inputValue()).toBe('red circle\ngreen cross');
      const field = p.locator('.gnode[data-node-id=labels] textarea');
      await field.click();
      await field.press('End');
      await field.type('\nblue square');
      await field.press('Control+Enter');
      await p.waitForSelector('[data-testid=run-summary]', { timeout: 60_000 });
      await selectNode(p, 'classify', '.inspector .bars .bar-row');
      expect(await p.locator('.inspector .bars .bar-row').count()).toBe(3); // the run saw the third label
      // Ctrl+Enter on the canvas runs and keeps the selection: the inspector stays on the node watched
      await field.fill('red circle');
      await selectNode(p, 'classify');
      await p.keyboard.press('Control+Enter');
      await p.waitForFunction(() => document.querySelectorAll('.inspector .bars .bar-row').length === 1, undefined, {
        timeout: 60_000,
      });
      expect(await p.locator('.inspector h3 small').textContent()).toBe('classify');
      expect(await p.locator('.gnode[data-node-id=classify]').getAttribute('class')).toMatch(/selected/);
      await p.context().close();
    },
  );
});

describe('paste', () => {
  it('puts nodes at the cursor, says it pasted, and refuses an invalid graph naming the problem', async () => {
    const p = await openEditor('zero-shot-classify');
    const before = await p.locator('.gnode').count();
    const pane = (await p.locator('.react-flow__pane').boundingBox())!;
    const at = { x: pane.x + pane.width * 0.7, y: pane.y + pane.height * 0.75 };
    await p.mouse.move(at.x, at.y);
    const one = {
      format: 'unclip-studio/graph',
      version: 1,
      nodes: [{ id: 'note', type: 'text/prompt', params: { text: 'a blue square' }, ui: { x: 5000, y: 5000 } }],
    };
    await paste(p, JSON.stringify(one));
    await p.waitForFunction((n) => document.querySelectorAll('.gnode').length === n + 1, before);
    expect(await p.getByTestId('notice').textContent()).toBe('pasted 1 node');
    const box = (await p.locator('.react-flow__node[data-id=note]').boundingBox())!;
    expect(Math.abs(box.x - at.x)).toBeLessThan(3);
    expect(Math.abs(box.y - at.y)).toBeLessThan(3);
    // a bad param is refused by the same validator as a file, and nothing is added
    const bad = { ...one, nodes: [{ ...one.nodes[0], id: 'bad', type: 'value/seed', params: { value: -5 } }] };
    await paste(p, JSON.stringify(bad));
    await p.waitForFunction(() =>
      document.querySelector('[data-testid=notice]')?.textContent?.startsWith('cannot paste'),
    );
    expect(await p.getByTestId('notice').textContent()).toMatch(/cannot paste: 1 problem: node "bad" params\.value/);
    expect(await p.locator('.gnode').count()).toBe(before + 1);
    await p.context().close();
  });
});

describe('the inspector', () => {
  it(
    'draws a large matrix as a heat map with a legend, ' + 'and embeddings with row labels, a legend and PCA axes',
    async () => {
      const colours = ['red', 'green', 'blue', 'yellow', 'purple'],
        shapes = ['circle', 'square', 'triangle', 'cross'];
      const captions = colours.flatMap((c) => shapes.map((sh) => `a ${c} ${sh}`)); // 20 captions: a 20 x 20 matrix
      const graph = graphDoc('Big matrix', [
        { id: 'clip', type: 'clip/load-model', params: { model: 'mini-clip' }, ui: { x: 0, y: 0 } },
        { id: 'captions', type: 'text/lines', params: { text: captions.join('\n') }, ui: { x: 0, y: 160 } },
        {
          id: 'enc',
          type: 'clip/text-encode',
          inputs: { model: 'clip.model', text: 'captions.text' },
          ui: { x: 360, y: 0 },
        },
        {
          id: 'sim',
          type: 'embedding/cosine-matrix',
          inputs: { a: 'enc.embedding', rowLabels: 'captions.text', columnLabels: 'captions.text' },
          ui: { x: 720, y: 0 },
        },
      ]);
      const p = await openEditor();
      await openFile(p, 'big.json', JSON.stringify(graph));
      await runToSummary(p, 60_000);
      await selectNode(p, 'sim', '.inspector [data-testid=matrix-canvas]');
      expect(await p.locator('.inspector table.matrix').count()).toBe(0);
      const canvas = p.locator('.inspector [data-testid=matrix-canvas]');
      const box = (await canvas.boundingBox())!;
      await p.mouse.move(box.x + box.width * 0.5 + 2, box.y + 2);
      await p.waitForFunction(() =>
        document.querySelector('.inspector .heat-canvas .hint')?.textContent?.includes(': '),
      );
      expect(await p.locator('.inspector .heat-canvas .hint').textContent()).toMatch(
        /20 x 20 · a red circle x a [a-z]+ [a-z]+: -?[01]\.\d{3}/,
      );
      expect(await p.locator('.inspector [data-testid=heat-legend]').count()).toBe(1);
      await selectNode(p, 'enc', '.inspector .strip-label');
      // rows, the PCA points and the cosine matrix are named by the captions that made them
      expect(await p.locator('.inspector .strip-label').first().textContent()).toBe('a red circle');
      // strips and the cosine matrix
      expect(await p.locator('.inspector [data-testid=heat-legend]').count()).toBeGreaterThanOrEqual(2);
      expect(await p.locator('.inspector .scatter .axes text').allTextContents()).toEqual(['PC1', 'PC2']);
      expect(await p.locator('.inspector .scatter > g:not(.axes) text').allTextContents()).toContain('a purple cross');
      await snap(p, 'inspector-big-matrix');
      await p.context().close();
    },
  );
});

describe('the examples', () => {
  it('lay out their nodes without overlaps, with every node title shown whole', async () => {
    const names = [
      ...readdirSync(new URL('../../graphs/', import.meta.url)).filter((f) => f.endsWith('.json')),
      ...readdirSync(new URL('../../graphs/study/', import.meta.url))
        .filter((f) => f.endsWith('.json'))
        .map((f) => `study/${f}`),
    ].map((f) => f.replace(/\.json$/, ''));
    const p = await openEditor();
    const overlaps: string[] = [],
      cut: string[] = [];
    for (const name of names) {
      await openExample(p, name);
      await p.waitForFunction(() =>
        [...document.querySelectorAll('.react-flow__node')].every((n) => (n as HTMLElement).offsetHeight > 0),
      );
      const boxes = await p
        .locator('.react-flow__node')
        .evaluateAll((nodes) =>
          nodes.map((n) => ({ id: n.getAttribute('data-id')!, r: n.getBoundingClientRect().toJSON() as DOMRect })),
        );
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!.r,
            b = boxes[j]!.r;
          if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
            overlaps.push(`${name}: ${boxes[i]!.id} / ${boxes[j]!.id}`);
        }
      // every title is shown whole (it wraps rather than being cut off)
      cut.push(
        ...(
          await p
            .locator('.gnode-name')
            .evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent ?? ''))
        ).map((t) => `${name}: ${t}`),
      );
    }
    expect(overlaps).toEqual([]);
    expect(cut).toEqual([]);
    await p.context().close();
  });
});

describe('the same bits in the browser and in Node', () => {
  it('a seeded decoder graph gives the same picture, byte for byte, in Chromium and in Node', async () => {
    const doc = graphDoc('Bits', [
      { id: 'clip', type: 'clip/load-model', params: { model: 'mini-clip' }, ui: { x: 0, y: 0 } },
      {
        id: 'decoder_model',
        type: 'diffusion/load-model',
        params: { model: 'mini-unclip-decoder' },
        ui: { x: 0, y: 200 },
      },
      {
        id: 'prompt',
        type: 'text/prompt',
        params: { text: 'a large blue square on a white background' },
        ui: { x: 0, y: 360 },
      },
      { id: 'noise', type: 'diffusion/noise', params: { seed: 11 }, ui: { x: 0, y: 560 } },
      {
        id: 'image',
        type: 'diffusion/decode',
        params: { steps: 6, guidance: 3, eta: 0.5, seed: 5 },
        inputs: { decoder: 'decoder_model.model', clip: 'clip.model', text: 'prompt.text', noise: 'noise.latent' },
        ui: { x: 380, y: 200 },
      },
    ]);
    const { createEngineApi } = await import('../../src/engine/api');
    const { createRegistry } = await import('../../nodes/index');
    const { nodeServices } = await import('../../src/host/node-services');
    const { createModelRuntime } = await import('../../src/models/runtime/runtime-node');
    const api = createEngineApi(createRegistry(), nodeServices({ models: await createModelRuntime() }));
    expect(api.loadGraph(JSON.stringify(doc)).ok).toBe(true);
    const r = await api.run();
    expect(r.ok, JSON.stringify(r.nodes)).toBe(true);
    const inNode = decode(api.imagePng('image', 'image', 0, false)).data;

    const p = await openEditor();
    await openFile(p, 'bits.json', JSON.stringify(doc));
    await runToSummary(p, 60_000);
    await selectNode(p, 'image');
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByTestId('save-image').click()]);
    const inBrowser = decode(readFileSync((await download.path())!)).data;
    expect(inBrowser.length).toBe(32 * 32 * 3);
    expect(Buffer.from(inBrowser).equals(Buffer.from(inNode))).toBe(true);
    await p.context().close();
  });
});

describe('CLIP-guided drawing in the editor', () => {
  it(
    'runs the clip-draw example: a live preview on the node, then the similarity curve and the filmstrip in the ' +
      'inspector',
    async () => {
      const p = await openEditor('clip-draw');
      expect(await p.locator('.toolbar .title').textContent()).toBe('CLIP draw (search against CLIP)');
      await p.getByTestId('run').click();
      await p.waitForSelector('.gnode[data-node-id=image] .status-running canvas', { timeout: 120_000 });
      expect(await summaryText(p, 180_000)).toMatch(/^done in/);
      await selectNode(p, 'image', '.inspector .curve svg polyline');
      expect(await p.locator('.inspector .curve svg polyline').count()).toBe(2);
      expect(await p.locator('.inspector .curve .legend').textContent()).toMatch(
        /best so far: 0\.\d{3}.*population mean: -?0\.\d{3}/,
      );
      expect(await p.locator('.inspector [data-port=filmstrip] .filmstrip canvas').count()).toBe(8);
      // the run summary stays on the toolbar's one line; the zoom buttons are dark in the dark theme
      expect((await p.locator('.toolbar').boundingBox())!.height).toBeLessThan(50);
      const zoomBg = await p
        .locator('.react-flow__controls-button')
        .first()
        .evaluate((b) => getComputedStyle(b).backgroundColor);
      expect(zoomBg).not.toBe('rgb(255, 255, 255)');
      expect(await p.locator('.inspector [data-port=primitives] li').first().textContent()).toMatch(/^background #/);
      await snap(p, 'clip-draw-done');
      await p.context().close();
    },
  );
});

describe("CLIP search in the decoder's noise in the editor", () => {
  it('runs the clip-latent example to a searched 32x32 sample beside the plain one, with its curve', async () => {
    const p = await openEditor('clip-latent');
    expect(await runToSummary(p, 240_000)).toMatch(/^done in/);
    await selectNode(p, 'search', '.inspector .curve svg polyline');
    expect(await canvasSize(p, '.inspector [data-port=image] canvas.pixelated')).toEqual([32, 32]);
    await selectNode(p, 'reader_verdict', '.inspector [data-port=reading] li');
    expect(await p.locator('.inspector [data-port=reading] li').count()).toBe(2);
    await p.context().close();
  });
});

describe('an unknown word', () => {
  it('is shown on the Prompt node where it was typed, as well as on the model node that found it', async () => {
    const graph = graphDoc('Dragon', [
      { id: 'clip', type: 'clip/load-model', params: { model: 'mini-clip' }, ui: { x: 0, y: 0 } },
      { id: 'prompt', type: 'text/prompt', params: { text: 'a red dragon' }, ui: { x: 0, y: 180 } },
      {
        id: 'enc',
        type: 'clip/text-encode',
        inputs: { model: 'clip.model', text: 'prompt.text' },
        ui: { x: 360, y: 0 },
      },
    ]);
    const p = await openEditor();
    await openFile(p, 'dragon.json', JSON.stringify(graph));
    await p.getByTestId('run').click();
    await p.waitForSelector('.gnode[data-node-id=prompt] [data-testid=origin-warning]', { timeout: 60_000 });
    expect(await p.locator('.gnode[data-node-id=prompt] [data-testid=origin-warning]').textContent()).toMatch(
      /^params\.text: unknown word "dragon".*knows \d+ words.*\(found by enc\)$/,
    );
    expect(await p.locator('.gnode[data-node-id=enc] .status-error').count()).toBe(1);
    // fixed and re-run: the warning goes
    await p
      .locator('.gnode[data-node-id=prompt] textarea, .gnode[data-node-id=prompt] input')
      .first()
      .fill('a red circle');
    await p.keyboard.press('Control+Enter');
    await p.waitForSelector('.gnode[data-node-id=enc] .status-done', { timeout: 60_000 });
    expect(await p.locator('.gnode[data-node-id=prompt] [data-testid=origin-warning]').count()).toBe(0);
    await p.context().close();
  });
});

describe('DALL·E in the editor', () => {
  it(
    'runs the DALL·E example: partial grids stream onto the sampler, the inspector draws code grids, code use and ' +
      'top-5 codes',
    async () => {
      const p = await openEditor('dalle');
      await p.getByTestId('run').click();
      await p.waitForSelector('.gnode[data-node-id=samples] .status-running canvas', { timeout: 120_000 });
      expect(await summaryText(p, 240_000)).toMatch(/^done in/);
      await selectNode(p, 'samples', '.inspector [data-port=codes] svg.code-grid');
      expect(await p.locator('.inspector [data-port=codes] svg.code-grid').count()).toBe(8);
      expect(await p.locator('.inspector [data-port=codes] svg.code-grid rect').first().getAttribute('fill')).toMatch(
        /^hsl\(/,
      );
      expect(await p.locator('.inspector [data-port=codes] [data-testid=codes-used]').textContent()).toMatch(
        /^\d+ of 512 codes used$/,
      );
      expect(await p.locator('.inspector [data-port=codes] svg.code-histogram rect').count()).toBeGreaterThan(8);
      // top-5: a heat map with a row per grid position; hovering a cell names the position's likeliest codes
      const top5 = p.locator('.inspector [data-port=top5] [data-testid=matrix-canvas]');
      await top5.hover({ position: { x: 1, y: 1 } }); // scrolled into view in the inspector first
      await p.waitForFunction(() =>
        document.querySelector('.inspector [data-port=top5] .heat-canvas .hint')?.textContent?.includes('r0 c0'),
      );
      expect(await p.locator('.inspector [data-port=top5] .heat-canvas .hint').textContent()).toMatch(
        /64 x 5 · r0 c0: #\d+ #\d+ #\d+ #\d+ #\d+ x 1st: [01]\.\d{3}/,
      );
      await selectNode(p, 'decoded', '.inspector [data-port=image] canvas.pixelated');
      expect(await p.locator('.inspector [data-port=image] canvas.pixelated').count()).toBe(8);
      expect(await p.locator('.inspector [data-port=codes] svg.code-grid').count()).toBe(8);
      await selectNode(p, 'up64', '.inspector [data-port=image] canvas.pixelated');
      expect(await canvasSize(p, '.inspector [data-port=image] canvas.pixelated')).toEqual([64, 64]);
      await selectNode(p, 'image', '.inspector [data-port=image] canvas.pixelated');
      expect(await canvasSize(p, '.inspector [data-port=image] canvas.pixelated')).toEqual([256, 256]);
      await snap(p, 'dalle-done');
      await p.context().close();
    },
  );
});

describe("a shared graph's files and URLs", () => {
  it('are held until the user allows them: nothing is fetched before, the node says why it waits', async () => {
    const png = readFileSync(new URL('../../public/examples/red-circle.png', import.meta.url));
    let hits = 0;
    const other = createServer((_, res) => {
      hits++;
      res.writeHead(200, {
        'content-type': 'image/png',
        'access-control-allow-origin': '*',
        'cross-origin-resource-policy': 'cross-origin',
      });
      res.end(png);
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(other.address() as { port: number }).port}/picture.png`;
    const graph = JSON.parse(readFileSync(new URL('../../graphs/zero-shot-classify.json', import.meta.url), 'utf8'));
    graph.nodes.find((n: { id: string }) => n.id === 'image').params.src = url;
    const p = await openEditor();
    await openFile(p, 'shared.json', JSON.stringify(graph));
    await p.waitForSelector('[data-testid=held-refs]');
    expect(await p.getByTestId('held-refs').textContent()).toContain(url);
    await runToSummary(p);
    expect(await p.locator('.gnode[data-node-id=image]').textContent()).toMatch(
      /is held: allow this graph's references/,
    );
    expect(hits).toBe(0);
    await snap(p, 'references-held');
    await p.getByTestId('allow-refs').click();
    await p.waitForSelector('[data-testid=held-refs]', { state: 'detached' });
    await p.getByTestId('run').click();
    await p.waitForSelector('.gnode[data-node-id=classify] .status-done', { timeout: 60_000 });
    expect(hits).toBe(1);
    await p.context().close();
    other.close();
  });
});
