import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { paste, reloadEditor, saved, type SavedGraph, selectNode, serveEditorPages, snap } from './harness';

const openEditor = serveEditorPages();

type Saved = SavedGraph & { subgraphs?: Record<string, unknown> };

const title = (p: Page, id: string) => p.locator(`.gnode[data-node-id="${id}"] .gnode-name`);

type Placed = { id: string; ui?: { x: number; y: number } };
const sameSpot = (a: Placed, b: Placed) => a.ui?.x === b.ui?.x && a.ui?.y === b.ui?.y;

/** Clicks empty canvas (so keys go to the canvas, not a field) and presses Ctrl+Z once. */
async function undoOnce(p: Page): Promise<void> {
  await p.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await p.keyboard.press('Control+z');
}

describe('one user action is one undo step', () => {
  it('a paste of several nodes, a group, an ungroup and a layout are each undone by one Ctrl+Z', async () => {
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
    // a layout (L) moves every node, and one Ctrl+Z puts them all back
    await p.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await p.keyboard.press('l');
    await expect
      .poll(() => p.getByRole('button', { name: 'Undo' }).getAttribute('title'))
      .toMatch(/^undo lay out \d+ nodes$/);
    await snap(p, 'layout');
    const laidOut = await saved<Saved>(p);
    expect(laidOut.nodes.filter((n, i) => !sameSpot(n, grouped.nodes[i]!)).length).toBeGreaterThan(1);
    await undoOnce(p);
    expect(await saved<Saved>(p)).toEqual(grouped);
    await p.context().close();
  });
});

/** The Versions list's summaries, newest first. */
const versionSummaries = (p: Page) => p.locator('[data-testid=versions] li .summary').allTextContents();

/** Waits until the Versions list has `n` entries (edits are kept once they settle, 2 s after the last). */
async function versionCount(p: Page, n: number): Promise<void> {
  await p.waitForFunction((k) => document.querySelectorAll('[data-testid=versions] li').length === k, n, {
    timeout: 10_000,
  });
}

describe('versions of the graph', () => {
  it('keeps edits as versions across a reload, and restoring one brings its graph back in one undo step', async () => {
    const p = await openEditor('caption-similarity');
    const original = await saved<Saved>(p);
    // the History panel opens on H (the toolbar's History button too)
    await p.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await p.keyboard.press('h');
    await p.waitForSelector('[data-testid=history]');
    await p.getByTestId('history-tab-versions').click();
    // the default example at start-up, then caption-similarity from the Examples menu
    await versionCount(p, 2);
    expect((await versionSummaries(p))[0]).toMatch(/^opened caption-similarity\.json \(\d+ nodes\)$/);
    const caption = p.locator('.gnode[data-node-id=red] input[data-param=caption]');
    await caption.fill('a small green cross');
    await caption.press('Enter');
    await versionCount(p, 3);
    await selectNode(p, 'picture_names');
    await p.keyboard.press('Delete');
    await versionCount(p, 4);
    const summaries = await versionSummaries(p);
    expect(summaries[0]).toMatch(/^-1 node \(picture_names\)/);
    expect(summaries[1]).toBe('red.caption "a large red circle" -> "a small green cross"');
    await snap(p, 'history-versions');
    // a reload: the list is still there, with its summaries
    await reloadEditor(p);
    await p.getByTestId('history-toggle').click();
    await versionCount(p, 4);
    expect(await versionSummaries(p)).toEqual(summaries);
    expect(await p.locator('.gnode[data-node-id=picture_names]').count()).toBe(0);
    // restore the version with the new caption: its graph comes back, and the restore is a version itself
    await p.locator('[data-testid=versions] li').nth(1).getByTestId('restore').click();
    await p.waitForSelector('.gnode[data-node-id=picture_names]');
    const restored = await saved<Saved>(p);
    const expected = structuredClone(original);
    expected.nodes.find((n) => n.id === 'red')!.params!.caption = 'a small green cross';
    expect(restored).toEqual(expected);
    await versionCount(p, 5);
    expect((await versionSummaries(p))[0]).toMatch(
      /^restored the version of .+ \(red\.caption "a large red circle" -> "a small green cross"\)$/,
    );
    expect(await p.getByRole('button', { name: 'Undo' }).getAttribute('title')).toMatch(/^undo restore the version/);
    // one Ctrl+Z: the graph the restore replaced
    await undoOnce(p);
    await p.waitForFunction(() => !document.querySelector('.gnode[data-node-id=picture_names]'));
    expect(await p.locator('.gnode[data-node-id=red] input[data-param=caption]').inputValue()).toBe(
      'a small green cross',
    );
    await snap(p, 'history-restored-undone');
    await p.context().close();
  });
});
