import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { graphDoc, openExample, openFile, runToSummary, saved, type SavedGraph, serveEditorPages } from './harness';

// The smaller things a first-time user tripped over (issue 44, item 9), each as the user met it.
const openEditor = serveEditorPages();

type Saved = SavedGraph & { subgraphs?: Record<string, { outputs?: Record<string, string> }> };

const nodeCount = (p: Page) => p.locator('.react-flow__node').count();
/** The editor's store (main.tsx hands it to automation), for selections that do not depend on where nodes are. */
const select = (p: Page, ids: string[]) =>
  p.evaluate(
    (ids) =>
      (
        window as unknown as { unclipStudio: { editor: { getState(): { select(ids: string[]): void } } } }
      ).unclipStudio.editor
        .getState()
        .select(ids),
    ids,
  );
/** Console errors and page errors from now on (React Flow's errors are console errors in every build). */
function errorsOf(p: Page): string[] {
  const errors: string[] = [];
  p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  p.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

describe('a newcomer’s smaller stumbles', () => {
  it('Undo after New then Open brings the empty graph back, and another Undo the graph before', async () => {
    const p = await openEditor();
    await p.getByRole('button', { name: 'New', exact: true }).click();
    await p.waitForSelector('[data-testid=empty-hint]');
    const prompt = { id: 'prompt', type: 'text/prompt', params: { text: 'a red circle' }, ui: { x: 0, y: 0 } };
    await openFile(p, 'one-prompt.json', JSON.stringify(graphDoc('One prompt', [prompt])));
    await p.waitForSelector('.gnode[data-node-id=prompt]');
    const undo = p.getByRole('button', { name: 'Undo' });
    expect(await undo.isEnabled()).toBe(true);
    expect(await undo.getAttribute('title')).toMatch(/^undo open one-prompt\.json/);
    await undo.click();
    await p.waitForSelector('[data-testid=empty-hint]');
    expect(await nodeCount(p)).toBe(0);
    await undo.click();
    await p.waitForSelector('.gnode[data-node-id=decoder]');
    await p.context().close();
  });

  it('Save image names the file from the graph title and the node, no word twice', async () => {
    const p = await openEditor();
    const image = {
      id: 'image',
      type: 'world/render-scene',
      params: { caption: 'a large red circle on a white background' },
      ui: { x: 0, y: 0 },
    };
    await openFile(p, 'scene.json', JSON.stringify(graphDoc('Text to image (unCLIP)', [image])));
    await p.waitForSelector('.gnode[data-node-id=image]');
    expect(await runToSummary(p, 120_000)).toMatch(/^done in/);
    await p.locator('.gnode[data-node-id=image] .gnode-name').click();
    const save = p.locator('.inspector [data-testid=save-image]');
    await save.waitFor();
    const [download] = await Promise.all([p.waitForEvent('download'), save.click()]);
    // it was "image-image.png"
    expect(download.suggestedFilename()).toBe('text-to-image.png');
    await p.context().close();
  });

  it('a group exposes only what is read outside it (or, ending the graph, its result) and opens fitted', async () => {
    const p = await openEditor();
    // the middle of the default graph: the upsampler outside reads the decoder's picture, nothing else
    await select(p, ['prior', 'decoder']);
    await p.keyboard.press('Control+g');
    await p.waitForSelector('.gnode.subgraph[data-node-id=group]');
    let doc = await saved<Saved>(p);
    expect(doc.subgraphs!.group!.outputs).toEqual({ image: 'decoder.image' });
    await p.keyboard.press('Control+z');
    await p.waitForSelector('.gnode[data-node-id=prior]');
    // the end of it: nothing outside reads the group, so it gives its picture and not the decoder's trajectory
    await select(p, ['decoder', 'up64', 'image']);
    await p.keyboard.press('Control+g');
    await p.waitForSelector('.gnode.subgraph[data-node-id=group]');
    doc = await saved<Saved>(p);
    expect(doc.subgraphs!.group!.outputs).toEqual({ image: 'image.image' });
    // inside, every node is on the screen (the Outputs node was past the right edge)
    await p.getByTestId('open-subgraph').click();
    await p.waitForSelector('[data-testid=breadcrumb]');
    await p.waitForSelector('.canvas[data-view=set]');
    expect(await nodeCount(p)).toBe(5);
    expect(await nodesOutsidePane(p)).toEqual([]);
    // so is the inside of the example's subgraph (seven nodes and its Inputs and Outputs)
    await openExample(p, 'subgraphs');
    await select(p, ['low']);
    await p.getByTestId('open-subgraph').click();
    await p.waitForSelector('[data-testid=breadcrumb]');
    await p.waitForSelector('.canvas[data-view=set]');
    expect(await nodeCount(p)).toBe(9);
    expect(await nodesOutsidePane(p)).toEqual([]);
    await p.context().close();
  });

  it('ungrouping, and an example over a graph with the same node ids, draw every wire with no error', async () => {
    const p = await openEditor();
    const errors = errorsOf(p);
    await select(p, ['prior', 'decoder']);
    await p.keyboard.press('Control+g');
    await p.waitForSelector('.gnode.subgraph[data-node-id=group]');
    await p.keyboard.press('Control+Shift+g');
    await p.waitForSelector('.gnode[data-node-id=prior]');
    await allWiresDrawn(p);
    // an ungrouped node that takes the id of its group ("upsampler" inside an instance named "upsampler"), and
    // the group back over it on Undo: the wires were looked up among the other node's handles (error 008)
    const example = readFileSync(new URL('../../graphs/subgraphs.json', import.meta.url), 'utf8');
    const renamed = example.replace(/"low"/g, '"upsampler"').replace(/"low\./g, '"upsampler.');
    await openFile(p, 'renamed.json', renamed);
    await p.waitForSelector('.gnode.subgraph[data-node-id=upsampler]');
    await select(p, ['upsampler']);
    await p.keyboard.press('Control+Shift+g');
    await p.waitForSelector('.gnode[data-node-id=upsampler_model]');
    await allWiresDrawn(p);
    // and the other way: Undo brings the group back over the node that had its id
    await p.keyboard.press('Control+z');
    await p.waitForSelector('.gnode.subgraph[data-node-id=upsampler]');
    await allWiresDrawn(p);
    await p.keyboard.press('Control+y');
    await p.waitForSelector('.gnode[data-node-id=upsampler_model]');
    await allWiresDrawn(p);
    // the same with whole graphs: the default graph's "image" (an upsampler) replaced by DALL·E's
    await openExample(p, 'text-to-image');
    await openExample(p, 'dalle');
    await allWiresDrawn(p);
    expect(errors).toEqual([]);
    await p.context().close();
  });

  it('shows no empty-graph hint while the first graph is being opened, only that it is being opened', async () => {
    const first = await openEditor();
    const context = await first
      .context()
      .browser()!
      .newContext({ viewport: { width: 1400, height: 900 } });
    await first.context().close();
    await context.addInitScript(() => {
      const seen = { hint: false, loading: false };
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver(() => {
        if (document.querySelector('.react-flow__node')) return; // the default graph is drawn
        if (document.querySelector('[data-testid=empty-hint]')) seen.hint = true;
        if (document.querySelector('[data-testid=canvas-loading]')) seen.loading = true;
      }).observe(document, { childList: true, subtree: true });
    });
    const p = await context.newPage();
    await p.goto(new URL('/', first.url()).href);
    await p.waitForSelector('.canvas[data-ready=yes]');
    await p.waitForSelector('.gnode[data-node-id=decoder]');
    expect(await p.evaluate(() => (window as unknown as { seen: object }).seen)).toEqual({
      hint: false,
      loading: true,
    });
    expect(await p.locator('[data-testid=canvas-loading]').count()).toBe(0);
    await context.close();
  });
});

/** The ids of the nodes drawn (partly) outside the canvas. */
function nodesOutsidePane(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const pane = document.querySelector('.react-flow')!.getBoundingClientRect();
    return [...document.querySelectorAll<HTMLElement>('.react-flow__node')]
      .filter((n) => {
        const r = n.getBoundingClientRect();
        return r.left < pane.left || r.top < pane.top || r.right > pane.right || r.bottom > pane.bottom;
      })
      .map((n) => n.dataset.id ?? '?');
  });
}

/** Waits until every wire of the graph shown is drawn (React Flow leaves out one it cannot place). */
async function allWiresDrawn(p: Page): Promise<void> {
  await p.waitForFunction(() => {
    type Doc = { nodes: Array<{ inputs?: Record<string, string> }> };
    const { doc } = (
      window as unknown as { unclipStudio: { editor: { getState(): { doc: Doc } } } }
    ).unclipStudio.editor.getState();
    const wires = doc.nodes.flatMap((n) => Object.values(n.inputs ?? {})).length;
    const drawn = [...document.querySelectorAll('.react-flow__edge path')].filter((e) => e.getAttribute('d'));
    return wires > 0 && drawn.length >= wires && document.querySelectorAll('.react-flow__edge').length === wires;
  });
}
