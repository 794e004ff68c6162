import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { extractSweep } from '../../src/engine/sweep';
import { extractGraph } from '../../src/graph/png-graph';
import { graphDoc, openFile, saved, selectNode, serveEditorPages, snap } from './harness';

const openEditor = serveEditorPages();

/** A light text-to-image graph whose prompt is encoded by a node of its own (text_emb), upstream of seed, decoder. */
const GRAPH = graphDoc('Sweep: a prompt encoded once', [
  { id: 'clip', type: 'clip/load-model', params: { model: 'mini-clip' }, ui: { x: 0, y: 0 } },
  { id: 'decoder_model', type: 'diffusion/load-model', params: { model: 'mini-unclip-decoder' }, ui: { x: 0, y: 220 } },
  { id: 'prompt', type: 'text/prompt', params: { text: 'a large red circle' }, ui: { x: 0, y: 440 } },
  { id: 'seed', type: 'value/seed', params: { value: 1 }, ui: { x: 0, y: 640 } },
  {
    id: 'text_emb',
    type: 'clip/text-encode',
    inputs: { model: 'clip.model', text: 'prompt.text' },
    ui: { x: 320, y: 300 },
  },
  {
    id: 'decoder',
    type: 'diffusion/decode',
    params: { steps: 6, guidance: 2 },
    inputs: { decoder: 'decoder_model.model', clip: 'clip.model', embedding: 'text_emb.embedding', seed: 'seed.value' },
    ui: { x: 640, y: 300 },
  },
]);

const files = mkdtempSync(join(tmpdir(), 'e2e-sweep-'));
const cells = (p: Page) => p.getByTestId('sweep-cell');
const statuses = (p: Page) => cells(p).evaluateAll((cs) => cs.map((c) => c.getAttribute('data-status')));

/** Opens the graph and the Sweep panel, and types one axis per `[param, values]`. */
async function sweepOf(p: Page, axes: Array<[string, string]>): Promise<void> {
  await openFile(p, 'sweep.json', JSON.stringify(GRAPH));
  await p.waitForSelector('.gnode[data-node-id=text_emb]');
  if (
    !(await p
      .getByTestId('sweep')
      .isVisible()
      .catch(() => false))
  )
    await p.getByTestId('sweep-toggle').click();
  for (const [i, [param, values]] of axes.entries()) {
    await p.getByTestId('sweep-add').click();
    await p.getByLabel(`axis ${i + 1} param`).selectOption(param);
    await p.getByLabel(`axis ${i + 1} values`).fill(values);
  }
}

const finished = (p: Page, timeout = 120_000) =>
  p.waitForSelector('[data-testid=sweep-progress][data-state=finished]', { timeout });

describe('sweeps in the editor', () => {
  it('a sweep of 6 runs fills a labelled grid, encodes the prompt once, saves a PNG that reopens', async () => {
    const p = await openEditor();
    await sweepOf(p, [
      ['seed.value', '1..2'],
      ['decoder.guidance', '1,99'],
    ]);
    // a bad value is named with its node and param before anything runs
    await expect
      .poll(() => p.getByTestId('sweep-errors').textContent())
      .toMatch(/decoder\.guidance: "99" is outside 0\.\.20/);
    expect(await p.getByTestId('sweep-run').isDisabled()).toBe(true);
    // the second axis' values from a picked text file, one a line
    const values = join(files, 'guidance.txt');
    writeFileSync(values, '1\n2\n4\n');
    await p.getByTestId('sweep-values-file').nth(1).setInputFiles(values);
    await expect.poll(() => p.getByTestId('sweep-count').textContent()).toBe('6 runs');
    expect(await p.getByTestId('sweep-errors').count()).toBe(0);
    await p.getByTestId('sweep-run').click();
    // the grid fills in cell by cell
    await p.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid=sweep-cell]')].some((c) => c.getAttribute('data-status') === 'done'),
    );
    await finished(p);
    await snap(p, 'sweep-grid');
    expect(await statuses(p)).toEqual(Array(6).fill('done'));
    expect(await p.locator('[data-testid=sweep-cell] canvas').count()).toBe(6);
    expect(await p.getByTestId('sweep-row-title').textContent()).toContain('seed.value');
    expect(await p.getByTestId('sweep-col-title').textContent()).toBe('decoder.guidance');
    expect(await p.getByTestId('sweep-col').allTextContents()).toEqual(['1', '2', '4']);
    expect(await p.getByTestId('sweep-row').allTextContents()).toEqual(['1', '2']);
    // the memo cache across the runs: the prompt encoded by the first run only, the decoder run by every one
    const ran = await cells(p).evaluateAll((cs) => cs.map((c) => (c.getAttribute('data-ran') ?? '').split(',')));
    const cached = await cells(p).evaluateAll((cs) => cs.map((c) => (c.getAttribute('data-cached') ?? '').split(',')));
    expect(ran.filter((r) => r.includes('text_emb'))).toHaveLength(1);
    expect(ran[0]).toContain('text_emb');
    for (let i = 1; i < 6; i++) expect(cached[i]).toContain('text_emb');
    expect(ran.every((r) => r.includes('decoder'))).toBe(true);

    // each point is a run in the History panel, with what changed from the run before
    await p.getByTestId('history-toggle').click();
    await p.getByTestId('history-tab-runs').click();
    await expect.poll(() => p.getByTestId('run-summary-line').count()).toBeGreaterThanOrEqual(6);
    expect((await p.getByTestId('run-summary-line').allTextContents()).join(' ')).toMatch(/guidance/);
    await p.getByTestId('history-toggle').click();

    // Save PNG: one picture carrying the graph and the sweep
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByTestId('sweep-save').click()]);
    expect(download.suggestedFilename()).toBe('sweep-a-prompt-encoded-once-sweep.png');
    const png = new Uint8Array(readFileSync((await download.path())!));
    expect(extractSweep(png)?.map((a) => [a.nodeId, a.param, a.values])).toEqual([
      ['seed', 'value', ['1', '2']],
      ['decoder', 'guidance', ['1', '2', '4']],
    ]);
    expect(JSON.parse(extractGraph(png)!).nodes.map((n: { id: string }) => n.id)).toContain('text_emb');

    // a cell's params into the graph: the last cell is seed 2, guidance 4
    await cells(p).nth(5).click();
    const g = await saved(p);
    expect(g.nodes.find((n) => n.id === 'seed')!.params!.value).toBe(2);
    expect(g.nodes.find((n) => n.id === 'decoder')!.params!.guidance).toBe(4);

    // the grid PNG reopens: its graph shown, its axes back in the panel
    await p.setInputFiles('[data-testid=sweep-open]', (await download.path())!);
    await expect.poll(() => p.getByTestId('sweep-count').textContent()).toBe('6 runs');
    expect(await p.getByLabel('axis 2 values').inputValue()).toBe('1,2,4');
    expect(await cells(p).count()).toBe(0);

    // the inspector's "sweep a param": a param of the selected node becomes a new axis
    await selectNode(p, 'decoder', '[data-testid=sweep-this]');
    await p.getByTestId('sweep-this').selectOption('eta');
    expect(await p.getByLabel('axis 3 param').inputValue()).toBe('decoder.eta');
  });

  it('Cancel mid-sweep stops the run in hand: it and the cells after it say cancelled', async () => {
    const p = await openEditor();
    // three quick runs, then three of 400 steps: Cancel lands inside the fourth
    await sweepOf(p, [
      ['decoder.steps', '4,400'],
      ['seed.value', '1..3'],
    ]);
    await expect.poll(() => p.getByTestId('sweep-count').textContent()).toBe('6 runs');
    await p.getByTestId('sweep-run').click();
    await p.waitForFunction(() => {
      const c = document.querySelectorAll('[data-testid=sweep-cell]')[3];
      return c?.getAttribute('data-status') === 'running' && /decoder \d+\/400/.test(c.textContent ?? '');
    });
    const t0 = Date.now();
    await p.getByTestId('sweep-cancel').click();
    await finished(p, 30_000);
    // within the run: 400 steps take far longer than this
    expect(Date.now() - t0).toBeLessThan(10_000);
    await snap(p, 'sweep-cancelled');
    expect(await statuses(p)).toEqual(['done', 'done', 'done', 'cancelled', 'cancelled', 'cancelled']);
    expect(await p.getByTestId('sweep-progress').textContent()).toContain('cancelled');
    // the cancelled cells are in the saved grid too, and the editor's Run is free again
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByTestId('sweep-save').click()]);
    expect(extractSweep(new Uint8Array(readFileSync((await download.path())!)))).toHaveLength(2);
    expect(await p.getByTestId('run').isDisabled()).toBe(false);
  });
});
