/**
 * Issue 44, a newcomer's first ten minutes: the first picture in view, bounded banners, no stale outputs after
 * New, nothing overlapping at 1400x900, new nodes placed clear of others.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { graphDoc, openExample, openFile, paste, runToSummary, selectNode, serveEditorPages, snap } from './harness';

const open = serveEditorPages();

interface Rect {
  id?: string;
  x: number;
  y: number;
  r: number;
  b: number;
}
const rects = (p: Page, selector: string): Promise<Rect[]> =>
  p.evaluate(
    (s) =>
      [...document.querySelectorAll(s)].map((e) => {
        const r = e.getBoundingClientRect();
        return { id: (e as HTMLElement).dataset.id, x: r.x, y: r.y, r: r.right, b: r.bottom };
      }),
    selector,
  );
const rect = async (p: Page, selector: string) => (await rects(p, selector))[0]!;
const overlap = (a: Rect, b: Rect) => a.x < b.r && a.r > b.x && a.y < b.b && a.b > b.y;
const inside = (a: Rect, b: Rect) => a.x >= b.x && a.r <= b.r && a.y >= b.y && a.b <= b.b;
/** Pairs of nodes drawn over each other. */
async function overlappingNodes(p: Page): Promise<string[]> {
  const nodes = await rects(p, '.react-flow__node');
  const pairs: string[] = [];
  for (const [i, a] of nodes.entries())
    for (const b of nodes.slice(i + 1)) if (overlap(a, b)) pairs.push(`${a.id} / ${b.id}`);
  return pairs;
}

describe('the first run', () => {
  it('ends with its final picture in view, uncovered, and in the inspector; the toolbar keeps its status', async () => {
    const p = await open();
    // before: the default graph opens from its left edge, its final node out of view
    const canvas = await rect(p, '.canvas');
    expect(inside(await rect(p, '.react-flow__node[data-id="image"]'), canvas)).toBe(false);
    expect(await runToSummary(p, 170_000)).toMatch(/^done/);
    await p.waitForSelector('.react-flow__node[data-id="image"].selected');
    await p.waitForSelector('.inspector .port-view[data-port="image"] canvas');
    // the view moves (animated) until the node with its picture is wholly in the canvas
    await expect
      .poll(async () => inside(await rect(p, '.react-flow__node[data-id="image"]'), canvas), { timeout: 5000 })
      .toBe(true);
    const thumb = await rect(p, '.react-flow__node[data-id="image"] [data-testid=thumb] canvas');
    const hit = await p.evaluate(
      ([x, y]) => document.elementFromPoint(x!, y!)?.closest('.react-flow__node')?.getAttribute('data-id'),
      [(thumb.x + thumb.r) / 2, (thumb.y + thumb.b) / 2],
    );
    expect(hit).toBe('image');
    // nothing over the canvas but the zoom buttons: the overview map is in the side column
    expect(overlap(await rect(p, '[data-testid=minimap]'), canvas)).toBe(false);
    // the toolbar is one row at 1400 px, its status whole
    const bar = await p.evaluate(() => {
      const t = document.querySelector('.toolbar')!;
      const s = document.querySelector('[data-testid=run-summary]')!;
      return {
        scroll: t.scrollWidth,
        width: t.clientWidth,
        height: t.clientHeight,
        cut: s.scrollWidth > s.clientWidth,
        items: [...t.children]
          .map((c) => `${c.textContent!.slice(0, 12)}:${c.getBoundingClientRect().width}`)
          .join(' '),
      };
    });
    expect(bar.scroll).toBeLessThanOrEqual(bar.width);
    expect(bar.height, bar.items).toBeLessThan(50);
    expect(bar.cut).toBe(false);
    await snap(p, 'first-run-in-view');
  });
});

describe('messages are bounded', () => {
  it('a refused file with a 5.7 MB value and 300 problems: the banner stays short, Dismiss in reach', async () => {
    const p = await open();
    const huge = 'x'.repeat(5_700_000);
    const nodes = [
      { id: 'p', type: 'text/prompt', params: { text: huge } },
      ...Array.from({ length: 300 }, (_, i) => ({ id: `n${i}`, type: 'value/seed', params: { value: `seed ${i}` } })),
    ];
    await openFile(p, 'huge.json', JSON.stringify(graphDoc('huge', nodes)));
    await p.waitForSelector('[data-testid=load-issues]');
    const banner = await rect(p, '[data-testid=load-issues]');
    expect(banner.b - banner.y).toBeLessThanOrEqual(900 * 0.3 + 1);
    const text = (await p.getByTestId('load-issues').textContent())!;
    expect(text.length).toBeLessThan(3000);
    expect(text).toMatch(/5700000 characters/);
    expect(text).toMatch(/and \d+ more/);
    const canvas = await rect(p, '.canvas');
    expect(canvas.b - canvas.y).toBeGreaterThan(500);
    await p.getByRole('button', { name: 'Dismiss' }).click();
    await p.waitForSelector('[data-testid=load-issues]', { state: 'detached' });
    // a pasted graph with such a value: the notice quotes a short excerpt
    await paste(p, JSON.stringify(graphDoc('huge', [{ id: 'p', type: 'text/prompt', params: { text: huge } }])));
    await p.waitForSelector('[data-testid=notice]');
    const notice = (await p.getByTestId('notice').textContent())!;
    expect(notice).toMatch(/cannot paste/);
    expect(notice.length).toBeLessThan(600);
  });
});

describe('results belong to a graph', () => {
  it('after New, a new Prompt (the same id as the old one) shows no output until it runs', async () => {
    const p = await open();
    await selectNode(p, 'prompt');
    await runToSummary(p, 170_000);
    await p.waitForSelector('.inspector .text-values');
    await p.getByRole('button', { name: 'New', exact: true }).click();
    await p.waitForSelector('[data-testid=empty-hint]');
    await p.mouse.move(500, 400);
    await p.keyboard.press('Space');
    await p.keyboard.type('prompt');
    await p.keyboard.press('Enter');
    await p.waitForSelector('.react-flow__node[data-id="prompt"]');
    await selectNode(p, 'prompt');
    await p.waitForSelector('.inspector h3');
    expect(await p.locator('.inspector').textContent()).toMatch(/No outputs yet/);
    expect(await p.locator('.inspector .text-values').count()).toBe(0);
    // and once it runs, its own text
    await p.locator('.react-flow__node[data-id="prompt"] textarea').fill('a small blue square');
    await runToSummary(p, 60_000);
    await p.waitForSelector('.inspector .text-values');
    expect(await p.locator('.inspector .text-values').textContent()).toBe('a small blue square');
  });
});

describe('nothing overlaps at 1400x900', () => {
  it('every example opens with no node over another, over the zoom buttons, or under a panel', async () => {
    const p = await open();
    const examples = readdirSync(new URL('../../graphs', import.meta.url))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5));
    expect(examples.length).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const name of examples) {
      await openExample(p, name);
      const canvas = await rect(p, '.canvas');
      const controls = await rect(p, '.react-flow__controls');
      for (const pair of await overlappingNodes(p)) problems.push(`${name}: ${pair}`);
      for (const n of await rects(p, '.react-flow__node'))
        if (overlap(n, controls)) problems.push(`${name}: ${n.id} under the zoom buttons`);
      if (overlap(await rect(p, '[data-testid=minimap]'), canvas)) problems.push(`${name}: the map is over the canvas`);
    }
    expect(problems).toEqual([]);
  });

  it('a node added, pasted or duplicated where others are lands clear of them', async () => {
    const p = await open();
    const decoder = await rect(p, '.react-flow__node[data-id="decoder"]');
    // the palette opened with the pointer over the decoder
    await p.mouse.move((decoder.x + decoder.r) / 2, decoder.y + 40);
    await p.keyboard.press('Space');
    await p.keyboard.type('seed');
    await p.keyboard.press('Enter');
    await p.waitForSelector('.react-flow__node[data-id="seed_2"]');
    await p.waitForTimeout(200);
    expect(await overlappingNodes(p)).toEqual([]);
    // duplicated (Ctrl+D): beside, not over, the original
    await selectNode(p, 'prior');
    await p.keyboard.press('Control+d');
    await p.waitForSelector('.react-flow__node[data-id="prior_2"]');
    await p.waitForTimeout(200);
    expect(await overlappingNodes(p)).toEqual([]);
    // pasted at the pointer over the Load CLIP node
    const clip = await rect(p, '.react-flow__node[data-id="clip"]');
    await p.mouse.move(clip.x + 30, clip.y + 30);
    const example = readFileSync(new URL('../../graphs/zero-shot-classify.json', import.meta.url), 'utf8');
    await paste(p, example);
    await p.waitForSelector('.react-flow__node[data-id="classify"]');
    await p.waitForTimeout(200);
    expect(await overlappingNodes(p)).toEqual([]);
  });
});
