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

describe('a graph made with a model that is not the one here', () => {
  it('opens with its loader naming the model it needs; Locate... refuses another file; the one here runs', async () => {
    const doc = JSON.parse(readFileSync(new URL('../../graphs/zero-shot-classify.json', import.meta.url), 'utf8')) as {
      meta: { title: string };
      models: Array<{ id: string; sha256: string; bytes: number }>;
    };
    doc.meta.title = 'Made with another CLIP';
    const other = 'c'.repeat(64);
    const text = doc.models.find((m) => m.id === 'mini-clip-text')!;
    text.sha256 = other;
    const p = await openEditor();
    await openFile(p, 'other-clip.json', JSON.stringify(doc));
    await p.waitForFunction(() => document.querySelector('.toolbar .title')?.textContent === 'Made with another CLIP');
    // before any run, the loader says what the graph needs and what is here
    const need = p.locator('.gnode[data-node-id=clip] [data-testid=model-need]');
    await need.waitFor();
    expect(await need.textContent()).toMatch(
      /needs mini-clip-text \(.* MB, bundled\)sha256 cccccccccccccccc…here: sha256/,
    );
    // a file whose sha256 is not the one the graph needs is refused, saying so
    await p.setInputFiles(
      '.gnode[data-node-id=clip] [data-testid=locate-model-file]',
      new URL('../../public/models/mini-unclip-upsampler.onnx', import.meta.url).pathname,
    );
    await expect
      .poll(() => p.locator('[data-testid=notice]').textContent())
      .toMatch(/not a model the graph was made with/);
    await snap(p, 'model-need');
    // a run fails at the loader, naming both hashes
    expect(await runToSummary(p, 60_000)).toMatch(/failed/);
    const failed = p.locator('.gnode[data-node-id=clip] [data-status=error] .error-text');
    expect(await failed.textContent()).toBe('params.model: the model here is not the one the graph was made with');
    expect(await failed.getAttribute('title')).toMatch(new RegExp(`made with model "mini-clip-text" sha256 ${other}`));
    // use the model here: the lock follows it (one undoable edit), and the graph runs
    await p.getByRole('button', { name: 'Use the model here' }).click();
    await p.waitForSelector(
      '.gnode[data-node-id=clip] [data-status=done], .gnode[data-node-id=clip] [data-status=cached]',
    );
    expect(await runToSummary(p, 60_000)).not.toMatch(/failed/);
    const back = await saved<{ models: Array<{ id: string; sha256: string }> }>(p);
    expect(back.models.find((m) => m.id === 'mini-clip-text')!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(back.models.find((m) => m.id === 'mini-clip-text')!.sha256).not.toBe(other);
    await p.context().close();
  });
});
