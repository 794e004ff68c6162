import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openFile, runToSummary, saved, serveEditorPages, snap, type SavedGraph } from './harness';

const openEditor = serveEditorPages();

type Node = SavedGraph['nodes'][number] & { version?: number; ui?: { x: number; y: number } };

describe('a graph holding nodes this product cannot run', () => {
  it('opens with placeholders that say why, runs the rest, and saves them back exactly as they were', async () => {
    const doc = JSON.parse(readFileSync(new URL('../../graphs/text-to-image.json', import.meta.url), 'utf8')) as {
      meta: { title: string };
      nodes: Node[];
    };
    doc.meta.title = 'With strangers';
    const strangers: Node[] = [
      // a node type from elsewhere, wired both ways, markup in its params
      {
        id: 'sampler',
        type: 'comfy/KSampler',
        params: { cfg: 7.5, sampler_name: '<img src=x onerror="window.__pwned=1">' },
        inputs: { model: 'decoder_model.model' },
        ui: { x: 1400, y: 0 },
      } as Node,
      { id: 'after', type: 'embedding/normalize', version: 1, inputs: { in: 'sampler.LATENT' }, ui: { x: 1800, y: 0 } },
      // a known type with a param this product does not know
      {
        id: 'odd',
        type: 'text/prompt',
        params: { text: 'a red circle', weight: 2 },
        ui: { x: 1400, y: 400 },
      } as Node,
    ];
    doc.nodes.push(...strangers);
    const errors: string[] = [];
    const p = await openEditor();
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await openFile(p, 'strangers.json', JSON.stringify(doc));
    await p.waitForFunction(() => document.querySelector('.toolbar .title')?.textContent === 'With strangers');
    await p.waitForSelector('[data-testid=placeholder]');
    expect(await p.locator('[data-testid=placeholder]').count()).toBe(2);
    const reasons = await p.locator('[data-testid=placeholder-reason]').allTextContents();
    expect(reasons).toEqual([
      'type: unknown node type "comfy/KSampler"',
      'params.weight: unknown param of text/prompt (it has text)',
    ]);
    // its params are shown as text, never as markup; its wires are drawn
    const sampler = p.locator('.gnode[data-node-id=sampler]');
    expect(await sampler.textContent()).toContain('<img src=x onerror="window.__pwned=1">');
    expect(await sampler.locator('img').count()).toBe(0);
    // both of its wires are drawn (the one into it and the one out of it)
    for (const edge of ['sampler.model', 'after.in']) await p.waitForSelector(`[data-testid="rf__edge-${edge}"]`);
    await expect.poll(() => p.locator('.notice').textContent()).toMatch(/opened with 2 placeholders/);
    // a run: the placeholders fail naming themselves, what reads them is not run, the picture is made
    const summary = await runToSummary(p, 120_000);
    expect(summary).toMatch(/failed/);
    await p.waitForSelector('.gnode[data-node-id=image] [data-status=done]');
    expect(await sampler.locator('[data-status=error]').textContent()).toMatch(
      /type: cannot run: unknown node type "comfy\/KSampler" \(it opened as a placeholder\)/,
    );
    expect(await p.locator('.gnode[data-node-id=after] [data-status=error]').textContent()).toMatch(
      /upstream node "sampler" failed/,
    );
    await snap(p, 'placeholders');
    const back = await saved<{ nodes: Node[] }>(p);
    for (const s of strangers) expect(back.nodes.find((n) => n.id === s.id)).toEqual(s);
    expect(await p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(errors).toEqual([]);
    await p.context().close();
  });
});
