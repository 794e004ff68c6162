import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { saved, type SavedGraph, serveEditorPages } from './harness';

const openEditor = serveEditorPages();

type Saved = SavedGraph & { subgraphs?: Record<string, unknown> };

const title = (p: Page, id: string) => p.locator(`.gnode[data-node-id="${id}"] .gnode-name`);

/** Pastes text as the browser does on Ctrl+V (a paste event carrying it). */
const paste = (p: Page, text: string) =>
  p.evaluate((t) => {
    const dt = new DataTransfer();
    dt.setData('text/plain', t);
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
  }, text);

/** Clicks empty canvas (so keys go to the canvas, not a field) and presses Ctrl+Z once. */
async function undoOnce(p: Page): Promise<void> {
  await p.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await p.keyboard.press('Control+z');
}

describe('one user action is one undo step', () => {
  it('a paste of several nodes, a group and an ungroup are each undone by one Ctrl+Z', async () => {
    const p = await openEditor('caption-similarity');
    const original = await saved<Saved>(p);
    // paste three wired nodes: one Ctrl+Z takes all three away
    const three = {
      format: 'unclip-studio/graph',
      version: 1,
      nodes: [
        { id: 'pa', type: 'text/prompt', params: { text: 'a blue square' }, ui: { x: 0, y: 0 } },
        { id: 'pb', type: 'text/prompt', params: { text: 'a red circle' }, ui: { x: 0, y: 200 } },
        { id: 'pc', type: 'text/prompt', params: { text: 'a green cross' }, ui: { x: 0, y: 400 } },
      ],
    };
    const before = await p.locator('.gnode').count();
    await p.mouse.move(700, 600);
    await paste(p, JSON.stringify(three));
    await p.waitForFunction((n) => document.querySelectorAll('.gnode').length === n + 3, before);
    expect(await p.getByRole('button', { name: 'Undo' }).getAttribute('title')).toBe('undo paste 3 nodes');
    await undoOnce(p);
    await p.waitForFunction((n) => document.querySelectorAll('.gnode').length === n, before);
    expect(await saved<Saved>(p)).toEqual(original);
    // group two nodes: one Ctrl+Z ungroups
    await title(p, 'red').click();
    await title(p, 'img_red').click({ modifiers: ['Shift'] });
    await p.keyboard.press('Control+g');
    await p.waitForSelector('.gnode.subgraph[data-node-id=group]');
    const grouped = await saved<Saved>(p);
    await undoOnce(p);
    await p.waitForSelector('.gnode[data-node-id=red]');
    expect(await saved<Saved>(p)).toEqual(original);
    // redo the group, then ungroup it: one Ctrl+Z brings the group back
    await p.keyboard.press('Control+Shift+z');
    await p.waitForSelector('.gnode.subgraph[data-node-id=group]');
    expect(await saved<Saved>(p)).toEqual(grouped);
    await title(p, 'group').click();
    await p.keyboard.press('Control+Shift+g');
    await p.waitForSelector('.gnode[data-node-id=red]');
    await undoOnce(p);
    await p.waitForSelector('.gnode.subgraph[data-node-id=group]');
    expect(await saved<Saved>(p)).toEqual(grouped);
    await p.context().close();
  });
});
