import { deflateSync, strToU8 } from 'fflate';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { familyColor } from '../../src/ui/colors';
import { saved, serveEditorPages, snap } from './harness';

const openEditor = serveEditorPages();
type Placed = { nodes: Array<{ id: string; ui?: { x: number; y: number } }> };

/** n nodes in chains of 10 (random embedding -> normalize -> ...), 260 x 200 apart. */
function chains(n: number) {
  return {
    format: 'unclip-studio/graph',
    version: 1,
    meta: { title: `${n} nodes` },
    nodes: Array.from({ length: n }, (_, i) => ({
      id: `n${i}`,
      ...(i % 10 === 0
        ? { type: 'embedding/random', params: { seed: i, dim: 8 } }
        : { type: 'embedding/normalize', inputs: { in: `n${i - 1}.out` } }),
      ui: { x: (i % 10) * 260, y: Math.floor(i / 10) * 200 },
    })),
  };
}

/**
 * Opens a graph by its share link in the editor already loaded (the hash changes, no reload): how many nodes were
 * put in the DOM while it opened, up to two frames after its view was set.
 */
async function openLink(p: Page, doc: unknown): Promise<number> {
  const packed = Buffer.from(deflateSync(strToU8(JSON.stringify(doc)), { level: 9 }))
    .toString('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  await p.evaluate((hash) => {
    const w = window as unknown as { __added: number; __count: MutationObserver };
    w.__added = 0;
    w.__count = new MutationObserver((records) => {
      for (const r of records)
        for (const n of r.addedNodes)
          if (n instanceof HTMLElement && n.classList.contains('react-flow__node')) w.__added++;
    });
    w.__count.observe(document.querySelector('.react-flow__nodes')!, { childList: true });
    location.hash = hash;
  }, `#graph=${packed}`);
  await p.waitForSelector('.react-flow__node[data-id="n0"]');
  await p.waitForSelector('.canvas[data-view=set]');
  return p.evaluate(
    () =>
      new Promise<number>((resolve) =>
        requestAnimationFrame(() =>
          requestAnimationFrame(() => {
            const w = window as unknown as { __added: number; __count: MutationObserver };
            w.__count.disconnect();
            resolve(w.__added);
          }),
        ),
      ),
  );
}

/** Screen points where a wire starts and ends, and the centres of the port dots it should join. */
async function wireEnds(p: Page, from: string, to: string, port = 'in') {
  return p.evaluate(
    ({ from, to, port }) => {
      const path = document.querySelector<SVGPathElement>(`.react-flow__edge[data-id="${to}.${port}"] path`)!;
      const m = path.getScreenCTM()!;
      const a = path.getPointAtLength(0).matrixTransform(m);
      const b = path.getPointAtLength(path.getTotalLength()).matrixTransform(m);
      const centre = (sel: string) => {
        const r = document.querySelector(sel)!.getBoundingClientRect();
        return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
      };
      return {
        start: { x: a.x, y: a.y },
        end: { x: b.x, y: b.y },
        out: centre(`.react-flow__node[data-id="${from}"] .react-flow__handle.source[data-handleid="out"]`),
        in: centre(`.react-flow__node[data-id="${to}"] .react-flow__handle.target[data-handleid="${port}"]`),
      };
    },
    { from, to, port },
  );
}

/** Waits until the wire from `from` to `to` starts and ends on the port dots it joins (within 8 px of centre). */
async function expectJoined(p: Page, from: string, to: string): Promise<void> {
  const gap = async () => {
    const w = await wireEnds(p, from, to);
    return Math.max(
      Math.hypot(w.start.x - w.out.x, w.start.y - w.out.y),
      Math.hypot(w.end.x - w.in.x, w.end.y - w.in.y),
    );
  };
  await expect.poll(gap, { timeout: 3000 }).toBeLessThan(8);
}

describe('a 1,000-node graph in the editor', () => {
  it('draws only the nodes in view, wires on their ports; drags a node; pans; fits whole on one canvas', async () => {
    const p = await openEditor();
    const added = await openLink(p, chains(1000));
    // the nodes in view are drawn and nothing else: none was rendered just to be measured (React Flow rendered
    // every node once without a size it knew)
    expect(added).toBeLessThan(80);
    const drawn = await p.locator('.gnode').count();
    expect(drawn).toBeGreaterThan(5);
    expect(drawn).toBeLessThan(80);
    const pane = (await p.locator('.react-flow__pane').boundingBox())!;
    for (const box of await p
      .locator('.react-flow__node')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect))) {
      expect(box.x + box.width).toBeGreaterThan(pane.x);
      expect(box.x).toBeLessThan(pane.x + pane.width);
      expect(box.y + box.height).toBeGreaterThan(pane.y);
      expect(box.y).toBeLessThan(pane.y + pane.height);
    }
    await expectJoined(p, 'n0', 'n1');
    await snap(p, 'big-graph-opened');

    // a node dragged moves, and is saved where it was dropped; its wires follow
    const zoom = () =>
      p.locator('.react-flow__viewport').evaluate((e) => new DOMMatrix(getComputedStyle(e).transform).a);
    const z = await zoom();
    const node = p.locator('.react-flow__node[data-id="n2"]');
    const before = (await node.boundingBox())!;
    const title = (await node.locator('.gnode-title').boundingBox())!;
    await p.mouse.move(title.x + 20, title.y + title.height / 2);
    await p.mouse.down();
    await p.mouse.move(title.x + 80, title.y + title.height / 2 + 90, { steps: 8 });
    await p.mouse.up();
    // saved where it is drawn (React Flow starts the drag a step in, so not all of the 60 x 90 px)
    await expect
      .poll(async () => (await saved<Placed>(p)).nodes.find((n) => n.id === 'n2')?.ui?.y ?? 0)
      .toBeGreaterThan(50);
    const moved = (await saved<Placed>(p)).nodes.find((n) => n.id === 'n2')!.ui!;
    const after = (await node.boundingBox())!;
    expect(Math.abs(after.x - before.x - (moved.x - 520) * z)).toBeLessThan(2);
    expect(Math.abs(after.y - before.y - moved.y * z)).toBeLessThan(2);
    expect(moved.x).toBeGreaterThan(540);
    await expectJoined(p, 'n1', 'n2');
    await expectJoined(p, 'n2', 'n3');

    // panned, nodes come into view drawn and measured: their wires join their ports too
    const start = { x: pane.x + pane.width - 40, y: pane.y + pane.height - 40 };
    await p.mouse.move(start.x, start.y);
    await p.mouse.down();
    await p.mouse.move(start.x - 400, start.y - 700, { steps: 10 });
    await p.mouse.up();
    const later = await p.locator('.react-flow__node').evaluateAll((els) => els.map((e) => e.dataset.id!));
    // a node drawn only since the pan (rows from 6 on were out of view) whose wire's source is drawn too
    const fresh = later
      .map((id) => Number(id.slice(1)))
      .filter((i) => i >= 60 && i % 10 !== 0 && later.includes(`n${i - 1}`));
    expect(fresh.length).toBeGreaterThan(0);
    await expectJoined(p, `n${fresh[0]! - 1}`, `n${fresh[0]}`);

    // F fits the whole graph (its nodes were never drawn): far out it is drawn on one canvas, every node a box in
    // its family's colour, React Flow's nodes hidden
    await p.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await p.keyboard.press('f');
    await expect.poll(zoom).toBeLessThan(0.2);
    const overview = p.getByTestId('far-overview');
    await expect.poll(() => overview.getAttribute('data-drawn')).toBe('1000');
    expect(await p.locator('.react-flow__node').first().isVisible()).toBe(false);
    const pixel = await p.evaluate(() => {
      const m = new DOMMatrix(getComputedStyle(document.querySelector('.react-flow__viewport')!).transform);
      const c = document.querySelector<HTMLCanvasElement>('[data-testid=far-overview]')!;
      const d = c
        .getContext('2d')!
        .getImageData((Math.round(m.e) + 2) * devicePixelRatio, Math.round(m.f) * devicePixelRatio, 1, 1).data;
      return `#${[d[0], d[1], d[2]].map((v) => v!.toString(16).padStart(2, '0')).join('')}`;
    });
    expect(pixel).toBe(familyColor('embedding').toLowerCase());
    await snap(p, 'big-graph-fit');
    // a click on a box selects its node and zooms in on it: the nodes are back, the overview gone
    const target = await p.evaluate(() => {
      const m = new DOMMatrix(getComputedStyle(document.querySelector('.react-flow__viewport')!).transform);
      const r = document.querySelector('.react-flow')!.getBoundingClientRect();
      // n505: row 50, column 5, at (1300, 10000) in the graph; a point inside its box
      return { x: r.x + m.e + (1300 + 60) * m.a, y: r.y + m.f + (10000 + 30) * m.a };
    });
    await p.mouse.click(target.x, target.y);
    await expect.poll(() => overview.count()).toBe(0);
    await expect.poll(zoom).toBeGreaterThan(0.85);
    const chosen = p.locator('.react-flow__node[data-id="n505"]');
    await expect.poll(() => chosen.isVisible()).toBe(true);
    expect(await chosen.locator('.gnode').getAttribute('class')).toMatch(/selected/);
    const box = (await chosen.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(pane.x);
    expect(box.x + box.width).toBeLessThanOrEqual(pane.x + pane.width);

    await p.context().close();
  });
});
