import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { makeMiniClipFolder } from '../../scripts/published-clip';
import { openFile, runToSummary, saved, serveEditorPages, snap } from './harness';

/**
 * Model folders in the editor: a published-layout CLIP folder picked with Folder… beside the loader's manifest field
 * (through the webkitdirectory input: headless Chromium has showDirectoryPicker, but Playwright cannot answer its
 * dialog, so the page is given none and the fallback is what runs), a folder dropped on the canvas and on a loader
 * (a drop event whose DataTransfer items give directory entries as Chromium's webkitGetAsEntry does: Playwright
 * cannot drag a real folder from the desktop), and a saved graph naming a folder that is not in this browser.
 */
const openEditor = serveEditorPages();
const MINI = makeMiniClipFolder();

/** A copy of the mini-CLIP folder named `name` (the name a reference takes), edited by `edit`. */
function folderCopy(name: string, edit: (dir: string) => void = () => undefined): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'model-folder-')), name);
  cpSync(MINI, dir, { recursive: true });
  edit(dir);
  return dir;
}

/** A page with no folder picker: the Folder… button falls back to the webkitdirectory input. */
async function editorWithoutPicker(): Promise<Page> {
  const p = await openEditor();
  await p.context().addInitScript(() => {
    Object.defineProperty(window, 'showDirectoryPicker', { value: undefined, configurable: true });
  });
  await p.reload();
  await p.waitForSelector('.canvas[data-ready=yes]');
  return p;
}

async function openZeroShot(p: Page, graph?: object): Promise<void> {
  const text =
    graph === undefined
      ? (await import('node:fs')).readFileSync(new URL('../../graphs/zero-shot-classify.json', import.meta.url), 'utf8')
      : JSON.stringify(graph);
  await openFile(p, 'zero-shot.json', text);
  await p.waitForSelector('.gnode[data-node-id=classify]');
}

/** Clicks the loader's Folder… and answers the file chooser with a folder. */
async function pickFolder(p: Page, nodeId: string, dir: string): Promise<void> {
  const [chooser] = await Promise.all([
    p.waitForEvent('filechooser'),
    p.locator(`.gnode[data-node-id=${nodeId}] [data-testid=model-folder]`).click(),
  ]);
  await chooser.setFiles(dir);
}

const manifestOf = (p: Page, nodeId: string) =>
  p.locator(`.gnode[data-node-id=${nodeId}] input[data-param=manifest]`).inputValue();

/** Waits for a loader's manifest field to show a value (a folder is bound after the worker took it). */
const manifestShows = (p: Page, nodeId: string, value: string) =>
  p.waitForFunction(
    ({ nodeId, value }) =>
      (document.querySelector(`.gnode[data-node-id=${nodeId}] input[data-param=manifest]`) as HTMLInputElement)
        ?.value === value,
    { nodeId, value },
  );

/** The classifier's probabilities, read from the page's engine. */
const probabilities = (p: Page) =>
  p.evaluate(async () => {
    type Engine = { tensor(n: string, port: string, path: string): Promise<{ data: Float32Array }> };
    const e = (window as unknown as { unclipStudio: { engine: Engine } }).unclipStudio.engine;
    return Array.from((await e.tensor('classify', 'probabilities', 'values')).data);
  });

const nodeText = (p: Page, id: string) => p.locator(`.gnode[data-node-id=${id}]`).textContent();

describe('a model folder picked in the editor', () => {
  it('runs the zero-shot graph with a CLIP folder picked with Folder…, as with the bundled models', async () => {
    const p = await editorWithoutPicker();
    await openZeroShot(p);
    await runToSummary(p, 60_000);
    await p.waitForSelector('.gnode[data-node-id=classify] .status-done');
    const bundled = await probabilities(p);

    await pickFolder(p, 'clip', MINI);
    await p.waitForFunction(
      () =>
        (document.querySelector('.gnode[data-node-id=clip] input[data-param=manifest]') as HTMLInputElement)?.value ===
        'folder://mini-clip/',
    );
    expect(await p.locator('.notice').textContent()).toMatch(/clip reads the folder mini-clip \(\d+ files, a CLIP/);
    await runToSummary(p, 60_000);
    await p.waitForSelector('.gnode[data-node-id=classify] .status-done');
    expect(await p.locator('.gnode[data-node-id=clip] .status-error').count()).toBe(0);
    // the same ONNX files through the folder's path: the same probabilities, bit for bit
    expect(await probabilities(p)).toEqual(bundled);
    expect(bundled.indexOf(Math.max(...bundled))).toBe(0); // "red circle" for the red circle
    await snap(p, 'model-folder-picked');

    // the saved graph names the folder and locks its models' hashes
    const doc = await saved<{ models?: Array<{ id: string; source: string; sha256: string }> }>(p);
    expect(doc.models?.filter((m) => m.source === 'folder://mini-clip/').map((m) => m.id)).toEqual([
      'mini-clip-image',
      'mini-clip-text',
    ]);

    // in another browser (a fresh context: no folder picked there) the graph says which folder to pick again
    const q = await editorWithoutPicker();
    await openZeroShot(q, doc);
    await q.waitForSelector('[data-testid=held-refs]');
    expect(await q.getByTestId('held-refs').textContent()).toContain('folder://mini-clip/');
    await q.getByTestId('allow-refs').click();
    await runToSummary(q, 60_000);
    await q.waitForSelector('.gnode[data-node-id=clip] .status-error');
    expect(await nodeText(q, 'clip')).toMatch(/pick the folder mini-clip again/);
    await snap(q, 'model-folder-missing');

    // picked again, though under another name on disk: it takes the graph's name, and the lock compares it
    const spoiled = folderCopy('downloaded-clip', (dir) => {
      // one unknown protobuf field (number 1000, varint 1) after the model: the same graph, another sha256
      appendFileSync(join(dir, 'onnx/text_model.onnx'), Buffer.from([0xc0, 0x3e, 0x01]));
    });
    await pickFolder(q, 'clip', spoiled);
    await q.waitForSelector('[data-testid=notice]:has-text("clip reads the folder mini-clip ")');
    expect(await manifestOf(q, 'clip')).toBe('folder://mini-clip/');
    await runToSummary(q, 60_000);
    await q.waitForSelector('.gnode[data-node-id=clip] .status-error');
    expect(await nodeText(q, 'clip')).toMatch(/the model here is not the one the graph was made with/);
    expect(await q.locator('.gnode[data-node-id=clip] .error-text').getAttribute('title')).toMatch(
      /the graph was made with model "mini-clip-text" sha256 [0-9a-f]{64} .*; the model here is sha256 [0-9a-f]{64}/,
    );

    // the right folder picked now: a folder other than the one held under that name takes a name of its own (a
    // model opened from the first is never taken for it), and the graph runs with it
    await pickFolder(q, 'clip', folderCopy('mini-clip'));
    await manifestShows(q, 'clip', 'folder://mini-clip-2/');
    await runToSummary(q, 60_000);
    await q.waitForSelector('.gnode[data-node-id=classify] .status-done');
    expect(await probabilities(q)).toEqual(bundled);
    await p.context().close();
    await q.context().close();
  });
});

/**
 * Drops a folder on the element at `selector`: a drop event whose DataTransfer items give a directory entry (the
 * entries API Chromium gives for a folder dragged from the desktop) over the folder's real files, which the page
 * read through a webkitdirectory input of its own.
 */
async function dropFolder(p: Page, dir: string, selector: string): Promise<void> {
  await p.evaluate(() => {
    const input = document.createElement('input');
    input.type = 'file';
    input.webkitdirectory = true;
    input.id = 'test-drop-source';
    input.hidden = true;
    document.body.append(input);
  });
  await p.setInputFiles('#test-drop-source', dir);
  const files = readdirSync(dir, { recursive: true }).filter((f) => statSync(join(dir, String(f))).isFile());
  expect(files.length).toBeGreaterThan(0);
  await p.evaluate(
    ({ selector, root }) => {
      const input = document.getElementById('test-drop-source') as HTMLInputElement;
      const files = Array.from(input.files!);
      input.remove();
      type Entry = { name: string; isDirectory: boolean; isFile: boolean };
      const fileEntry = (file: File) => ({
        name: file.name,
        isDirectory: false,
        isFile: true,
        file: (ok: (f: File) => void) => ok(file),
      });
      const dirEntry = (name: string, prefix: string): Entry => {
        const here = files.filter((f) => f.webkitRelativePath.startsWith(prefix));
        const children = new Map<string, Entry>();
        for (const f of here) {
          const rest = f.webkitRelativePath.slice(prefix.length);
          const [first, ...more] = rest.split('/');
          if (!more.length) children.set(first!, fileEntry(f));
          else if (!children.has(first!)) children.set(first!, dirEntry(first!, `${prefix}${first}/`));
        }
        let given = false;
        return {
          name,
          isDirectory: true,
          isFile: false,
          createReader: () => ({
            readEntries: (ok: (e: Entry[]) => void) => {
              ok(given ? [] : [...children.values()]);
              given = true;
            },
          }),
        } as Entry;
      };
      const entry = dirEntry(root, `${root}/`);
      const proto = DataTransferItem.prototype as unknown as Record<string, unknown>;
      proto.webkitGetAsEntry = () => entry;
      delete proto.getAsFileSystemHandle;
      const dt = new DataTransfer();
      dt.items.add(files[0]!);
      const target = document.querySelector(selector)!;
      const box = target.getBoundingClientRect();
      const at = { clientX: box.left + box.width / 2, clientY: box.top + Math.min(20, box.height / 2) };
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true, ...at }));
    },
    { selector, root: relative(join(dir, '..'), dir) },
  );
}

describe('a model folder dropped on the editor', () => {
  it('adds a CLIP loader bound to it where dropped on the canvas, and sets a loader it is dropped on', async () => {
    const p = await editorWithoutPicker();
    await openZeroShot(p);
    const before = await p.locator('.gnode').count();
    await dropFolder(p, folderCopy('dropped-clip'), '.canvas .react-flow__pane');
    await p.waitForSelector('.gnode[data-node-id=load_model]');
    expect(await p.locator('.gnode').count()).toBe(before + 1);
    expect(await p.locator('.gnode[data-node-id=load_model]').getAttribute('data-type')).toBe('clip/load-model');
    expect(await manifestOf(p, 'load_model')).toBe('folder://dropped-clip/');
    await snap(p, 'model-folder-dropped');

    // on the graph's own loader: its manifest is set, and the graph runs with the folder
    await dropFolder(p, folderCopy('mini-clip'), '.gnode[data-node-id=clip] .gnode-params');
    await p.waitForFunction(
      () =>
        (document.querySelector('.gnode[data-node-id=clip] input[data-param=manifest]') as HTMLInputElement)?.value ===
        'folder://mini-clip/',
    );
    await runToSummary(p, 60_000);
    await p.waitForSelector('.gnode[data-node-id=classify] .status-done');

    // a folder of no known layout: a notice naming what it lacks, and no node
    const count = await p.locator('.gnode').count();
    const notModel = join(mkdtempSync(join(tmpdir(), 'model-folder-')), 'holiday-photos');
    mkdirSync(notModel);
    appendFileSync(join(notModel, 'beach.txt'), 'sand');
    await dropFolder(p, notModel, '.canvas .react-flow__pane');
    await p.waitForSelector('.notice');
    expect(await p.locator('.notice').textContent()).toMatch(/"holiday-photos" is not a CLIP .*lacks config\.json/);
    expect(await p.locator('.gnode').count()).toBe(count);
    await p.context().close();
  });
});

/**
 * Copies a folder on disk into the page's origin-private file system (OPFS) and returns nothing: the page's
 * `window.testFolder` is then a real FileSystemDirectoryHandle over it, what showDirectoryPicker gives.
 */
async function folderInOpfs(p: Page, dir: string, name: string): Promise<void> {
  await p.evaluate(() => {
    const input = document.createElement('input');
    input.type = 'file';
    input.webkitdirectory = true;
    input.id = 'test-opfs-source';
    input.hidden = true;
    document.body.append(input);
  });
  await p.setInputFiles('#test-opfs-source', dir);
  await p.evaluate(async (name) => {
    const input = document.getElementById('test-opfs-source') as HTMLInputElement;
    const root = await navigator.storage.getDirectory();
    const folder = await root.getDirectoryHandle(name, { create: true });
    for (const file of Array.from(input.files!)) {
      const parts = file.webkitRelativePath.split('/').slice(1);
      let at = folder;
      for (const part of parts.slice(0, -1)) at = await at.getDirectoryHandle(part, { create: true });
      const w = await (await at.getFileHandle(parts[parts.length - 1]!, { create: true })).createWritable();
      await w.write(file);
      await w.close();
    }
    input.remove();
    (window as unknown as { testFolder: FileSystemDirectoryHandle }).testFolder = folder;
  }, name);
}

describe('a model folder picked with the folder picker', () => {
  it('reads the folder through its handle, and finds it again after a reload (the handle in IndexedDB)', async () => {
    // Playwright cannot answer showDirectoryPicker's dialog: the page's picker gives a real directory handle (over
    // a copy of the folder in the origin-private file system, where the browser never asks for permission)
    const p = await openEditor();
    await openZeroShot(p);
    await folderInOpfs(p, MINI, 'mini-clip');
    await p.evaluate(() => {
      const w = window as unknown as { testFolder: FileSystemDirectoryHandle; showDirectoryPicker: unknown };
      w.showDirectoryPicker = () => Promise.resolve(w.testFolder);
    });
    await p.locator('.gnode[data-node-id=clip] [data-testid=model-folder]').click();
    await p.waitForFunction(
      () =>
        (document.querySelector('.gnode[data-node-id=clip] input[data-param=manifest]') as HTMLInputElement)?.value ===
        'folder://mini-clip/',
    );
    await runToSummary(p, 60_000);
    await p.waitForSelector('.gnode[data-node-id=classify] .status-done');
    const picked = await probabilities(p);
    expect(picked.indexOf(Math.max(...picked))).toBe(0);

    // a reload: the autosave reopens the graph, and the kept handle is handed to the new worker before it opens
    await p.reload();
    await p.waitForSelector('.canvas[data-ready=yes]');
    expect(await manifestOf(p, 'clip')).toBe('folder://mini-clip/');
    expect(
      await p.evaluate(() =>
        (
          window as unknown as { unclipStudio: { engine: { modelFolders(): Promise<string[]> } } }
        ).unclipStudio.engine.modelFolders(),
      ),
    ).toEqual(['mini-clip']);
    // the autosave's references are held like any graph's until allowed
    if (await p.getByTestId('held-refs').count()) await p.getByTestId('allow-refs').click();
    await runToSummary(p, 60_000);
    await p.waitForSelector('.gnode[data-node-id=classify] .status-done');
    expect(await probabilities(p)).toEqual(picked);
    await p.context().close();
  });
});

describe('a diffusers folder dropped on the canvas', () => {
  it('adds a diffusion loader naming the folder and its model', async () => {
    const p = await editorWithoutPicker();
    await openZeroShot(p);
    // the layout is told by the files' names (their contents are read when the loader runs)
    const dir = join(mkdtempSync(join(tmpdir(), 'model-folder-')), 'tiny-unet');
    for (const f of ['unet/config.json', 'unet/model.onnx', 'scheduler/scheduler_config.json']) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      appendFileSync(join(dir, f), '{}');
    }
    await dropFolder(p, dir, '.canvas .react-flow__pane');
    await p.waitForSelector('.gnode[data-node-id=load_model]');
    expect(await p.locator('.gnode[data-node-id=load_model]').getAttribute('data-type')).toBe('diffusion/load-model');
    expect(await manifestOf(p, 'load_model')).toBe('folder://tiny-unet/');
    expect(await p.locator('.gnode[data-node-id=load_model] input[data-param=model]').inputValue()).toBe('tiny-unet');
    await p.context().close();
  });
});
