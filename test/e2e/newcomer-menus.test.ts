import { readdirSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { serveEditorPages, snap } from './harness';

const openEditor = serveEditorPages();

// the examples as the menu lists them: graphs/*.json and graphs/study/*.json, by name
const graphs = new URL('../../graphs/', import.meta.url);
const examples = ['', 'study/']
  .flatMap((sub) =>
    readdirSync(new URL(sub, graphs))
      .filter((f) => f.endsWith('.json'))
      .map((f) => {
        const name = sub + f.replace(/\.json$/, '');
        const meta = (JSON.parse(readFileSync(new URL(`${name}.json`, graphs), 'utf8')) as { meta: Meta }).meta;
        return { name, title: meta.title, description: meta.description ?? '' };
      }),
  )
  .sort((a, b) => a.name.localeCompare(b.name));
interface Meta {
  title: string;
  description?: string;
}
/** What the search should keep: every word of the query in the title, the description or the name. */
const expected = (query: string) =>
  examples
    .filter((e) =>
      query
        .toLowerCase()
        .split(/\s+/)
        .every((w) => `${e.title} ${e.description} ${e.name}`.toLowerCase().includes(w)),
    )
    .map((e) => e.name);

const menu = (p: Page) => p.locator('.examples-menu .menu-list');
const rows = (p: Page) => p.locator('.examples-menu li[data-example]');
const shownTitle = (p: Page) => p.locator('.toolbar .title').textContent();
const titleOf = (name: string) => examples.find((e) => e.name === name)!.title;
/** Waits for the graph titled so to be shown (opening is asynchronous: the worker validates it first). */
const opened = (p: Page, title: string) =>
  p.waitForFunction((t) => document.querySelector('.toolbar .title')?.textContent === t, title);

async function openMenu(p: Page): Promise<void> {
  await p.getByRole('button', { name: /Examples/ }).click();
  await menu(p).waitFor();
}

describe("a newcomer's menus", () => {
  it('the palette adds Decode for "decode" and Enter, not Inpaint', async () => {
    const p = await openEditor();
    const count = (type: string) => p.locator(`.gnode[data-type="${type}"]`).count();
    const [decodes, inpaints] = [await count('diffusion/decode'), await count('diffusion/inpaint')];
    await p.mouse.move(700, 450);
    await p.locator('.react-flow__pane').click({ position: { x: 600, y: 40 } });
    await p.keyboard.press('Space');
    await p.waitForSelector('.palette input');
    await p.keyboard.type('decode');
    expect(await p.locator('.palette li[data-type]').first().getAttribute('data-type')).toBe('diffusion/decode');
    await p.keyboard.press('Enter');
    await p.waitForSelector('.palette', { state: 'detached' });
    await p.waitForFunction(
      (n) => document.querySelectorAll('.gnode[data-type="diffusion/decode"]').length === n,
      decodes + 1,
    );
    expect(await count('diffusion/inpaint')).toBe(inpaints);
    await p.context().close();
  });

  it('the Examples menu searches as one types, Enter opens the first match and the arrows move', async () => {
    const p = await openEditor();
    await openMenu(p);
    // the search field has the focus: typing filters at once
    expect(await p.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('search examples');
    expect(await rows(p).count()).toBe(examples.length);
    await p.keyboard.type('classif');
    const kept = expected('classif');
    expect(kept.length).toBeGreaterThan(1); // a description says "classifier-free" too
    expect(kept.length).toBeLessThan(examples.length);
    const shown = () => rows(p).evaluateAll((li) => li.map((l) => l.getAttribute('data-example')!));
    expect([...(await shown())].sort()).toEqual(kept);
    // the title that names it comes first
    expect((await shown())[0]).toBe('zero-shot-classify');
    await snap(p, 'examples-search');
    await p.keyboard.press('Enter');
    await opened(p, titleOf('zero-shot-classify'));
    expect(await menu(p).count()).toBe(0);
    // a second match, reached with the arrow
    await openMenu(p);
    await p.keyboard.type('text to image');
    const several = await shown();
    expect([...several].sort()).toEqual(expected('text to image'));
    expect(several.length).toBeGreaterThan(1);
    await p.keyboard.press('ArrowDown');
    await p.keyboard.press('Enter');
    await opened(p, titleOf(several[1]!));
    expect(await menu(p).count()).toBe(0);
    // nothing matches: said, and Enter opens nothing
    await openMenu(p);
    await p.keyboard.type('no such example');
    expect(await rows(p).count()).toBe(0);
    await p.keyboard.press('Enter');
    expect(await shownTitle(p)).toBe(titleOf(several[1]!));
    await p.context().close();
  });

  it('the Examples menu closes on Escape, on a click outside and when the shortcuts open', async () => {
    const p = await openEditor();
    const title = await shownTitle(p);
    await openMenu(p);
    await p.keyboard.press('Escape');
    expect(await menu(p).count()).toBe(0);
    // also with the focus out of the search field (as after a click in the list)
    await openMenu(p);
    await p.locator('.examples-menu input').evaluate((i: HTMLInputElement) => i.blur());
    await p.keyboard.press('Escape');
    expect(await menu(p).count()).toBe(0);
    await openMenu(p);
    // on the canvas, beside the menu
    const box = (await menu(p).boundingBox())!;
    await p.mouse.click(box.x + box.width + 80, box.y + 300);
    expect(await menu(p).count()).toBe(0);
    // from the keyboard: out of the search field, then ? opens the shortcuts; the menu is not left behind them
    await openMenu(p);
    await p.keyboard.press('Tab');
    await p.keyboard.press('?');
    await p.waitForSelector('[role=dialog][aria-label="Keyboard shortcuts"]');
    expect(await menu(p).count()).toBe(0);
    // and the other way round: the menu closes the shortcuts
    await openMenu(p);
    expect(await p.locator('[role=dialog][aria-label="Keyboard shortcuts"]').count()).toBe(0);
    await p.keyboard.press('Escape');
    expect(await menu(p).count()).toBe(0);
    expect(await shownTitle(p)).toBe(title);
    await p.context().close();
  });

  it('every example in the menu shows its thumbnail', async () => {
    const p = await openEditor();
    await openMenu(p);
    const imgs = p.locator('.examples-menu li[data-example] img');
    expect(await imgs.count()).toBe(examples.length);
    await p.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('.examples-menu li img')].every((i) => i.complete),
    );
    const sizes = await imgs.evaluateAll((list) =>
      (list as HTMLImageElement[]).map((i) => [i.closest('li')!.getAttribute('data-example'), i.naturalWidth]),
    );
    expect(sizes.filter(([, w]) => !w)).toEqual([]);
    await snap(p, 'examples-thumbnails');
    await p.context().close();
  });
});
