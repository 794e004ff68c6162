import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { graphDoc, openFile, saved, serveEditorPages, snap } from './harness';

const openEditor = serveEditorPages();

/** Drags a wire from one port to another, as a user would. */
async function dragPort(p: Page, from: string, to: string): Promise<void> {
  const a = await p.locator(from).boundingBox();
  const b = await p.locator(to).boundingBox();
  await p.mouse.move(a!.x + a!.width / 2, a!.y + a!.height / 2);
  await p.mouse.down();
  await p.mouse.move((a!.x + b!.x) / 2, (a!.y + b!.y) / 2, { steps: 5 });
  await p.mouse.move(b!.x + b!.width / 2, b!.y + b!.height / 2, { steps: 5 });
  await p.mouse.up();
}

/** Types a prompt in the default graph's Prompt node and runs up to the prior (Ctrl+Enter commits the text). */
async function typePromptAndRun(p: Page, text: string): Promise<void> {
  const box = p.locator('.gnode[data-node-id=prompt] textarea[data-param=text]');
  await box.fill(text);
  await box.blur();
  await p.locator('.gnode[data-node-id=prior] [aria-label="run up to prior"]').click();
}

/**
 * Points across an element that the page draws something else at: each must hit the element itself (or what is
 * inside it), never another node drawn over it.
 */
function coveredPoints(p: Page, selector: string): Promise<string[]> {
  return p.locator(selector).evaluate((el) => {
    const r = el.getBoundingClientRect();
    const out: string[] = [];
    for (const fx of [0.1, 0.5, 0.9])
      for (const fy of [0.2, 0.5, 0.8]) {
        const x = r.left + r.width * fx,
          y = r.top + r.height * fy;
        const hit = document.elementFromPoint(x, y);
        if (!hit || !(el === hit || el.contains(hit)))
          out.push(`${Math.round(x)},${Math.round(y)}: ${hit?.closest('.react-flow__node')?.getAttribute('data-id')}`);
      }
    return out;
  });
}

/** Drags the canvas by (dx, dy) from a point of the empty pane, as a user moves the view. */
async function panBy(p: Page, dx: number, dy: number): Promise<void> {
  const at = await p.evaluate(() => {
    for (let y = 120; y < 860; y += 20)
      for (let x = 340; x < 1000; x += 20)
        if (document.elementFromPoint(x, y)?.classList.contains('react-flow__pane')) return { x, y };
    return null;
  });
  await p.mouse.move(at!.x, at!.y);
  await p.mouse.down();
  await p.mouse.move(at!.x + dx / 2, at!.y + dy / 2, { steps: 5 });
  await p.mouse.move(at!.x + dx, at!.y + dy, { steps: 5 });
  await p.mouse.up();
}

/** Whether two nodes' boxes overlap on screen (the message's node grew into its neighbour). */
async function overlaps(p: Page, a: string, b: string): Promise<boolean> {
  const x = (await p.locator(`.react-flow__node[data-id=${a}]`).boundingBox())!;
  const y = (await p.locator(`.react-flow__node[data-id=${b}]`).boundingBox())!;
  return x.x < y.x + y.width && y.x < x.x + x.width && x.y < y.y + y.height && y.y < x.y + x.height;
}

describe('a natural prompt in the default graph', () => {
  it('is read as the canonical caption, shown on the Prompt, never under another node', async () => {
    const p = await openEditor();
    await typePromptAndRun(p, 'a red circle to the left of a blue square');
    const readAs = p.locator('.gnode[data-node-id=prompt] [data-testid=read-as]');
    await readAs.waitFor({ timeout: 120_000 });
    expect(await readAs.textContent()).toBe(
      'read as: a red circle left of a blue square ("to the left of" -> "left of")',
    );
    await p.waitForSelector('.gnode[data-node-id=prior] .status-done', { timeout: 120_000 });
    expect(await p.locator('.gnode[data-node-id=prompt] [data-testid=origin-warning]').count()).toBe(0);
    // the Prompt sits at the foot of the screen: the view moved up to read its message
    await panBy(p, 0, -300);
    expect(await coveredPoints(p, '.gnode[data-node-id=prompt] [data-testid=read-as]')).toEqual([]);
    await snap(p, 'prompt-read-as');
    await p.context().close();
  });

  it('offers a fix for a word still unknown: one click applies it, Undo reverts it; the message on top', async () => {
    const p = await openEditor();
    const typed = 'a red cirlce to the left of a blue square';
    await typePromptAndRun(p, typed);
    const warning = p.locator('.gnode[data-node-id=prompt] [data-testid=origin-warning]');
    await warning.waitFor({ timeout: 120_000 });
    expect(await warning.textContent()).toMatch(/unknown word "cirlce"/);
    await panBy(p, 0, -300);
    // the message makes the Prompt grow into the Seed node below it: drawn above it, nothing covers the message
    expect(await overlaps(p, 'prompt', 'seed')).toBe(true);
    expect(await coveredPoints(p, '.gnode[data-node-id=prompt] [data-testid=origin-warning]')).toEqual([]);
    const fix = p.locator('.gnode[data-node-id=prompt] [data-testid=caption-fix]');
    expect(await fix.textContent()).toBe('Use “a red circle left of a blue square”');
    expect(await coveredPoints(p, '.gnode[data-node-id=prompt] [data-testid=caption-fix]')).toEqual([]);
    await snap(p, 'prompt-unknown-word-fix');
    await fix.click();
    const box = p.locator('.gnode[data-node-id=prompt] textarea[data-param=text]');
    await p.waitForFunction(
      () =>
        (document.querySelector('.gnode[data-node-id=prompt] textarea') as HTMLTextAreaElement | null)?.value ===
        'a red circle left of a blue square',
    );
    expect((await saved(p)).nodes.find((n) => n.id === 'prompt')!.params!.text).toBe(
      'a red circle left of a blue square',
    );
    expect(await p.getByRole('button', { name: 'Undo' }).getAttribute('title')).toBe('undo fix prompt.text');
    await p.getByRole('button', { name: 'Undo' }).click();
    await p.waitForFunction(
      (t) =>
        (document.querySelector('.gnode[data-node-id=prompt] textarea') as HTMLTextAreaElement | null)?.value === t,
      typed,
    );
    expect(await box.inputValue()).toBe(typed);
    await p.context().close();
  });
});

describe('model loaders', () => {
  /** The ids of a loader's list, by group: what the wire takes first. */
  const listed = (p: Page, node: string) =>
    p.locator(`.gnode[data-node-id=${node}] select[data-model-list=model]`).evaluate((s) =>
      [...s.querySelectorAll('optgroup')].map((g) => ({
        label: g.label,
        ids: [...g.querySelectorAll('option')].map((o) => o.value),
      })),
    );

  it('list the models of the manifest, those the wire needs first, and say when an id is not in it', async () => {
    const p = await openEditor();
    const up = await listed(p, 'upsampler_model');
    expect(up[0]).toEqual({
      label: 'what the wire takes (upsampler)',
      ids: ['mini-unclip-upsampler', 'mini-unclip-upsampler256'],
    });
    expect(up[1]!.ids).not.toContain('mini-unclip-upsampler');
    expect(await p.locator('.gnode[data-node-id=upsampler_model] select[data-model-list=model]').inputValue()).toBe(
      'mini-unclip-upsampler',
    );
    expect(
      await p.locator('.gnode[data-node-id=upsampler_model] option[value=mini-unclip-upsampler256]').textContent(),
    ).toBe('mini-unclip-upsampler256: mini-unCLIP second upsampler (64x64 -> 256x256)');
    expect((await listed(p, 'prior_model'))[0]!.ids).toEqual(['mini-unclip-prior']);
    expect((await listed(p, 'clip'))[0]!.ids).toEqual(['mini-clip']);
    // a loader whose model is not what its wire takes says so
    await p
      .locator('.gnode[data-node-id=upsampler_model] select[data-model-list=model]')
      .selectOption('mini-unclip-decoder');
    await p.waitForSelector('.gnode[data-node-id=upsampler_model] [data-testid=model-mismatch]');
    expect(await p.locator('.gnode[data-node-id=upsampler_model] [data-testid=model-mismatch]').textContent()).toBe(
      'a decoder; the wire takes upsampler: pick one above',
    );
    // picking from the list sets the id (one edit)
    await p
      .locator('.gnode[data-node-id=upsampler_model] select[data-model-list=model]')
      .selectOption('mini-unclip-upsampler256');
    await p.waitForFunction(() =>
      document.querySelector('.toolbar [aria-label=Undo]')?.getAttribute('title')?.includes('upsampler_model.model'),
    );
    // another id may be typed; it says it is not in the manifest
    await p
      .locator('.gnode[data-node-id=prior_model] select[data-model-list=model]')
      .selectOption({ label: 'another id (type it)…' });
    const input = p.locator('.gnode[data-node-id=prior_model] input[data-param=model]');
    await input.fill('my-own-prior');
    await input.press('Enter');
    await p.waitForSelector('.gnode[data-node-id=prior_model] [data-testid=model-unlisted]');
    expect(await p.locator('.gnode[data-node-id=prior_model] [data-testid=model-unlisted]').textContent()).toBe(
      '“my-own-prior” is not in the manifest',
    );
    const doc = await saved(p);
    expect(doc.nodes.find((n) => n.id === 'prior_model')!.params!.model).toBe('my-own-prior');
    expect(doc.nodes.find((n) => n.id === 'upsampler_model')!.params!.model).toBe('mini-unclip-upsampler256');
    await snap(p, 'loader-model-lists');
    await p.context().close();
  });

  it("mark the decoder's clip input required once text is wired", async () => {
    const p = await openEditor();
    await openFile(
      p,
      'decoder.json',
      JSON.stringify(
        graphDoc('Decoder', [
          { id: 'prompt', type: 'text/prompt', params: { text: 'a red circle' }, ui: { x: 0, y: 0 } },
          { id: 'dm', type: 'diffusion/load-model', params: { model: 'mini-unclip-decoder' }, ui: { x: 0, y: 220 } },
          { id: 'decoder', type: 'diffusion/decode', inputs: { decoder: 'dm.model' }, ui: { x: 380, y: 0 } },
        ]),
      ),
    );
    await p.waitForFunction(
      () =>
        document.querySelector('.toolbar .title')?.textContent === 'Decoder' &&
        document.querySelector('.gnode[data-node-id=dm]') !== null,
    );
    const marker = '.gnode[data-node-id=decoder] [data-required-when=clip]';
    expect(await p.locator(marker).count()).toBe(0);
    // the decoder's model loader lists decoders first
    expect((await listed(p, 'dm'))[0]!.ids).toEqual(['mini-unclip-decoder', 'mini-unclip-inpaint-decoder']);
    expect(await p.locator('.gnode[data-node-id=dm] [data-testid=model-mismatch]').count()).toBe(0);
    await dragPort(
      p,
      '.react-flow__handle[data-nodeid=prompt][data-handleid=text].source',
      '.react-flow__handle[data-nodeid=decoder][data-handleid=text].target',
    );
    await p.waitForSelector(marker);
    expect(await p.locator(marker).textContent()).toBe('*');
    expect(
      await p.locator(marker).locator('xpath=ancestor::div[contains(@class,"port")][1]').getAttribute('title'),
    ).toBe(
      'Model (required once text is wired: the CLIP model encodes the caption): the CLIP model (encodes the caption)',
    );
    // run without it: the decoder says what is missing and why
    await p.locator('.gnode[data-node-id=decoder] [aria-label="run up to decoder"]').click();
    await p.waitForSelector('.gnode[data-node-id=decoder] .status-error', { timeout: 120_000 });
    expect(await p.locator('.gnode[data-node-id=decoder] .status-error .error-text').textContent()).toBe(
      'inputs.clip: a Model is required here once "text" is wired: the CLIP model encodes the caption',
    );
    await p.context().close();
  });
});
