import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { runToSummary, saved, type SavedGraph, serveEditorPages, snap } from './harness';

const tmp = mkdtempSync(join(tmpdir(), 'e2e-subgraph-'));
const openEditor = serveEditorPages();

type Saved = SavedGraph & {
  subgraphs?: Record<
    string,
    {
      nodes: Array<{ id: string; inputs?: Record<string, string> }>;
      inputs?: Record<string, { type: string }>;
      outputs?: Record<string, string>;
      params?: Record<string, { node: string; param: string }>;
    }
  >;
};

const title = (p: Page, id: string) => p.locator(`.gnode[data-node-id="${id}"] .gnode-name`);

/** A double-click where the node is (a locator's dblclick may scroll React Flow's pane first). */
async function dblclickNode(p: Page, id: string): Promise<void> {
  const box = (await title(p, id).boundingBox())!;
  await p.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2);
}

describe('subgraphs in the editor', () => {
  it('runs the example; double-click enters an instance and shows its inner run; the breadcrumb leaves', async () => {
    const p = await openEditor('subgraphs');
    // the instance shows the params its definition exposes
    expect(await p.locator('.gnode[data-node-id=low] [data-param=guidance]').count()).toBeGreaterThan(0);
    expect(await title(p, 'low').textContent()).toBe('unCLIP stack');
    expect(await runToSummary(p, 180_000)).toMatch(/^done in/);
    await p.waitForSelector('.gnode[data-node-id=image] [data-testid=thumb] canvas');
    await dblclickNode(p, 'low');
    await p.waitForSelector('[data-testid=breadcrumb]');
    expect(await p.getByTestId('breadcrumb').textContent()).toMatch(/low \(unCLIP stack\)/);
    // inside: the definition's nodes, the Inputs and Outputs nodes, and the run of this instance
    await p.waitForSelector('.gnode[data-node-id=decoder]');
    expect(await p.locator('.gnode.sgio').count()).toBe(2);
    expect(await p.locator('.gnode[data-node-id=decoder] .status').getAttribute('data-status')).toMatch(/done|cached/);
    expect(await p.locator('.gnode[data-node-id=decoder] [data-exposed=guidance]').count()).toBe(1);
    // the inspector shows the inner node's outputs of this instance
    await title(p, 'upsampler').click();
    await p.waitForSelector('.inspector canvas.pixelated');
    await snap(p, 'subgraph-inside');
    await p.locator('[data-testid=breadcrumb] .crumb').first().click();
    await p.waitForSelector('.gnode[data-node-id=high]');
    expect(await p.getByTestId('breadcrumb').count()).toBe(0);
    expect(await p.locator('.gnode[data-node-id=low]').getAttribute('class')).toMatch(/selected/);
    await p.context().close();
  });

  it('groups (Ctrl+G), exposes a param, ungroups, undoes, and saves and inserts the subgraph elsewhere', async () => {
    const p = await openEditor('caption-similarity');
    await title(p, 'red').click();
    await title(p, 'img_red').click({ modifiers: ['Shift'] });
    await p.keyboard.press('Control+g');
    await p.waitForSelector('.gnode.subgraph[data-node-id=group]');
    expect(await p.locator('.gnode[data-node-id=red]').count()).toBe(0);
    let doc = await saved<Saved>(p);
    const group = doc.subgraphs!.group!;
    expect(group.nodes.map((n) => n.id).sort()).toEqual(['img_red', 'red']);
    expect(group.inputs).toEqual({ model: { type: 'Model' } });
    expect(group.outputs).toEqual({ embedding: 'img_red.embedding' });
    expect(group.nodes.find((n) => n.id === 'img_red')!.inputs).toEqual({ model: '$in.model', image: 'red.image' });
    expect(doc.nodes.find((n) => n.id === 'group')!.inputs).toEqual({ model: 'clip.model' });
    expect(doc.nodes.find((n) => n.id === 'images')!.inputs!.a).toBe('group.embedding');
    // the grouped graph runs
    expect(await runToSummary(p, 120_000)).toMatch(/^done in/);
    // inside, expose the scene's caption: the group node gets a caption field that sets it
    await dblclickNode(p, 'group');
    await title(p, 'red').click();
    await p.locator('.inspector [data-expose=caption]').check();
    await p.locator('[data-testid=breadcrumb] .crumb').first().click();
    const caption = p.locator('.gnode[data-node-id=group] [data-param=caption]');
    await caption.waitFor();
    expect(await caption.inputValue()).toBe('a large red circle');
    await caption.fill('a large green circle');
    await caption.blur();
    await p.waitForTimeout(800);
    doc = await saved<Saved>(p);
    expect(doc.subgraphs!.group!.params).toEqual({ caption: { node: 'red', param: 'caption' } });
    expect(doc.nodes.find((n) => n.id === 'group')!.params).toEqual({ caption: 'a large green circle' });
    // the subgraph gets a title, shown on its node
    await title(p, 'group').click();
    await p.getByTestId('subgraph-title').fill('Red scene encoder');
    await p.getByTestId('subgraph-title').press('Enter');
    await expect.poll(() => title(p, 'group').textContent()).toBe('Red scene encoder');
    // save the subgraph as a file
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByTestId('save-subgraph').click()]);
    const file = join(tmp, 'group.subgraph.json');
    writeFileSync(file, readFileSync((await download.path())!));
    // ungroup: the nodes come back with the exposed value written in; Undo brings the group back
    await p.keyboard.press('Control+Shift+g');
    await p.waitForSelector('.gnode[data-node-id=red]');
    doc = await saved<Saved>(p);
    expect(doc.subgraphs ?? {}).toEqual({});
    expect(doc.nodes.find((n) => n.id === 'red')!.params!.caption).toBe('a large green circle');
    expect(doc.nodes.find((n) => n.id === 'img_red')!.inputs).toEqual({ model: 'clip.model', image: 'red.image' });
    expect(doc.nodes.find((n) => n.id === 'images')!.inputs!.a).toBe('img_red.embedding');
    await p.keyboard.press('Control+z');
    await p.waitForSelector('.gnode[data-node-id=group]');
    // in a new graph, Insert the saved subgraph: it is a node type there, and the palette offers it
    await p.getByRole('button', { name: 'New', exact: true }).click();
    await p.setInputFiles('[data-testid=insert-file]', file);
    await p.waitForSelector('.gnode.subgraph[data-node-id=group]');
    doc = await saved<Saved>(p);
    expect(doc.nodes.map((n) => n.type)).toEqual(['subgraph/group']);
    expect(Object.keys(doc.subgraphs!)).toEqual(['group']);
    await p.locator('.react-flow__pane').click({ position: { x: 600, y: 600 } });
    await p.keyboard.press('Space');
    await p.locator('.palette input').fill('group');
    expect(await p.locator('.palette li[data-type="subgraph/group"]').count()).toBe(1);
    await snap(p, 'subgraph-inserted');
    await p.context().close();
  });

  it('a file whose subgraph includes itself is refused naming the chain, and the open graph stays', async () => {
    const p = await openEditor('caption-similarity');
    const loop = (to: string) => ({
      outputs: { y: 'n.y' },
      nodes: [{ id: 'n', type: `subgraph/${to}` }],
    });
    const bad = join(tmp, 'loop.json');
    writeFileSync(
      bad,
      JSON.stringify({
        format: 'unclip-studio/graph',
        version: 2,
        nodes: [{ id: 'top', type: 'subgraph/a' }],
        subgraphs: { a: loop('b'), b: loop('a') },
      }),
    );
    await p.setInputFiles('[data-testid=open-file]', bad);
    await p.waitForSelector('[data-testid=load-issues]');
    expect(await p.getByTestId('load-issues').textContent()).toMatch(/subgraph "a" includes itself: "a" -> "b" -> "a"/);
    expect(await p.locator('.gnode[data-node-id=clip]').count()).toBe(1);
    await p.context().close();
  });
});
