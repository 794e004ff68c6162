import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { extractGraph } from '../../src/graph/png-graph';
import { ARTIFACTS, reloadEditor, runToSummary, serveEditorPages, snap } from './harness';

const openEditor = serveEditorPages();

const rows = (p: Page) => p.locator('[data-testid=runs] li');
const summaries = (p: Page) => p.locator('[data-testid=runs] li [data-testid=run-summary-line]').allTextContents();
const seedField = (p: Page) => p.locator('.gnode[data-node-id=seed] input[data-param=value]');

/** Waits until the Runs list has `n` rows, each thumbnail drawn. */
async function runRows(p: Page, n: number): Promise<void> {
  await p.waitForFunction(
    (k) => {
      const items = [...document.querySelectorAll('[data-testid=runs] li')];
      return (
        items.length === k &&
        items.every((li) => {
          const img = li.querySelector<HTMLImageElement>('img.run-thumb');
          return img !== null && img.complete && img.naturalWidth > 0;
        })
      );
    },
    n,
    { timeout: 20_000 },
  );
}

/** What the history database holds per run, in bytes (its own count, and what IndexedDB was given). */
function storedRuns(p: Page): Promise<Array<{ bytes: number; pictures: number; thumbs: number; pngs: number }>> {
  return p.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('unclip-studio-history');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['runs', 'run-pictures']);
          const runs = tx.objectStore('runs').getAll();
          const pics = tx.objectStore('run-pictures').getAll();
          tx.oncomplete = () => {
            type Run = { id: number; bytes: number; pictures: Array<{ thumb: Uint8Array }> };
            type Pic = { run: number; png: Uint8Array };
            resolve(
              (runs.result as Run[]).map((r) => ({
                bytes: r.bytes,
                pictures: r.pictures.length,
                thumbs: r.pictures.reduce((s, x) => s + x.thumb.byteLength, 0),
                pngs: (pics.result as Pic[]).filter((x) => x.run === r.id).reduce((s, x) => s + x.png.byteLength, 0),
              })),
            );
            db.close();
          };
        };
      }),
  );
}

describe('the history of runs', () => {
  it('keeps runs with their pictures across a reload, restores, compares, saves and evicts them', async () => {
    const p = await openEditor();
    await runToSummary(p, 150_000);
    await seedField(p).fill('8');
    await seedField(p).press('Enter');
    await runToSummary(p, 150_000);

    // two rows, newest first: the second run says the seed changed
    await p.getByTestId('history-toggle').click();
    await p.getByTestId('history-tab-runs').click();
    await runRows(p, 2);
    const kept = await summaries(p);
    expect(kept[0]).toBe('seed.value: 7 -> 8');
    expect(kept[1]).toMatch(/^first run kept \(11 nodes\)$/);
    expect(await p.getByTestId('runs-storage').textContent()).toMatch(/^kept 2 runs, [\d.]+ [kM]B of 200 MB$/);
    // the picture kept is the graph's result (the final upsampler's), not the decoder's trajectory on the way
    expect(await rows(p).nth(0).locator('img.run-thumb').getAttribute('alt')).toBe('image.image #0');

    // history's storage per run of the default graph
    const stored = await storedRuns(p);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'run-history-bytes.json'), JSON.stringify(stored, null, 2));
    console.log('history storage per run (default graph):', JSON.stringify(stored));
    expect(stored.every((r) => r.pictures >= 1 && r.pngs > 0 && r.bytes >= r.pngs + r.thumbs)).toBe(true);
    await snap(p, 'run-history-two-runs');

    // a reload: the rows are still there, with their thumbnails
    await reloadEditor(p);
    await p.getByTestId('history-toggle').click();
    await runRows(p, 2);
    expect(await summaries(p)).toEqual(kept);

    // a click on the first run's picture brings its graph back (seed 7), one undoable step
    await rows(p).nth(1).locator('.run-open').click();
    await p.waitForFunction(
      () =>
        document.querySelector<HTMLInputElement>('.gnode[data-node-id=seed] input[data-param=value]')?.value === '7',
    );
    expect(await p.getByRole('button', { name: 'Undo' }).getAttribute('title')).toMatch(/^undo restore the run of/);

    // Save PNG from a run: the picture carries the graph that made it
    const [download] = await Promise.all([
      p.waitForEvent('download'),
      rows(p).nth(0).getByTestId('save-run-png').click(),
    ]);
    const png = new Uint8Array(readFileSync((await download.path())!));
    const carried = JSON.parse(extractGraph(png)!) as { nodes: Array<{ id: string; params?: { value?: number } }> };
    expect(carried.nodes.find((n) => n.id === 'seed')?.params?.value).toBe(8);

    // compare the two: side by side, a wipe with its slider, and a difference that is not empty
    await rows(p).nth(0).getByTestId('compare-tick').check();
    await rows(p).nth(1).getByTestId('compare-tick').check();
    await p.getByTestId('compare-runs').click();
    await p.waitForSelector('[data-testid=compare-stats]');
    expect(await p.locator('[data-testid=compare] img').count()).toBe(4);
    await p.getByTestId('compare-slider').fill('20');
    expect(await p.getByTestId('compare-wipe-top').evaluate((e) => (e as HTMLElement).style.clipPath)).toBe(
      'inset(0px 80% 0px 0px)',
    );
    const lit = await p.getByTestId('compare-diff').evaluate((c) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! + d[i + 1]! + d[i + 2]! > 0) n++;
      return n;
    });
    expect(lit).toBeGreaterThan(0);
    expect(await p.getByTestId('compare-stats').textContent()).toMatch(/mean \|Δ\| [\d.]+, max [1-9]\d*/);
    await snap(p, 'run-history-compare');
    await p.keyboard.press('Escape');
    await p.waitForSelector('[data-testid=compare]', { state: 'detached' });

    // a tiny budget: the oldest run is evicted (the newest always stays), and the panel says so
    await p.getByTestId('runs-budget').fill('0.001');
    await p.getByTestId('runs-budget').press('Enter');
    await runRows(p, 1);
    expect(await summaries(p)).toEqual([kept[0]]);
    expect(await p.getByTestId('runs-storage').textContent()).toMatch(/^kept 1 run, .+ of 1\.0 kB; 1 oldest evicted$/);
    await snap(p, 'run-history-evicted');
    await p.context().close();
  }, 420_000);
});
