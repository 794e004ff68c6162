import { readFileSync } from 'node:fs';
import { deflateSync, strToU8 } from 'fflate';
import type { Page } from 'playwright-core';
import { embedGraph } from '../../src/graph/png-graph';

/**
 * The editor's entry points for a graph, driven in Chromium with hostile documents (test/helpers/hostile-graphs.ts):
 * a paste on the canvas, a JSON file dropped on it, a share link (the hash of the open editor changed), and a PNG
 * carrying the graph opened with Open…. Used by test/e2e/hostile.test.ts (a few hundred each) and
 * scripts/fuzz-editor.ts (10,000 each).
 */
export const ENTRY_POINTS = ['paste', 'drop', 'link', 'png'] as const;
export type EntryPoint = (typeof ENTRY_POINTS)[number];

export interface FuzzResult {
  documents: number;
  /** Documents the editor did not take (refused with a reason, or a paste that was not a graph). */
  refused: number;
  /** Documents that opened (or pasted): each undone afterwards, back to the graph open before. */
  accepted: number;
  /** What went wrong, one sentence each (empty when all is well). */
  failures: string[];
  /** The longest a document took from its entry to the editor settled and a frame drawn, in ms. */
  slowestMs: number;
  totalMs: number;
}

function base64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The hash of a share link carrying `text`, as the editor's Share link writes it (src/ui/files.ts). */
export function linkHash(text: string): string {
  return `#graph=${base64Url(deflateSync(strToU8(text), { level: 9 }))}`;
}

const picture = readFileSync(new URL('../../public/examples/red-circle.png', import.meta.url));

/** A PNG the product could have written, carrying `text` as its graph (base64). */
export function pngCarrying(text: string): string {
  return Buffer.from(embedGraph(picture, text)).toString('base64');
}

/** What one entry point is given for a document's text. */
export function payloadFor(entry: EntryPoint, text: string): string {
  if (entry === 'link') return linkHash(text);
  if (entry === 'png') return pngCarrying(text);
  return text;
}

/**
 * Feeds documents to one entry point of the editor open in `page`, each once the previous one settled. After a
 * document the editor did not take, the graph must be the very one open before (the same object in the store);
 * a document it took is undone and the graph must read as before. Page errors are the caller's to collect.
 */
export async function fuzzEntryPoint(page: Page, entry: EntryPoint, texts: string[]): Promise<FuzzResult> {
  const payloads = texts.map((t) => payloadFor(entry, t));
  return page.evaluate(
    async ({ entry, payloads }) => {
      interface Store {
        getState(): { doc: object; loadIssues: object | null; notice: { text: string } | null; undo(): void };
      }
      const studio = (window as unknown as { unclipStudio: { editor: Store; settled(): Promise<unknown> } })
        .unclipStudio;
      const store = studio.editor;
      const read = () => JSON.stringify(store.getState().doc);
      const base = read();
      const frame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));
      const result = { documents: payloads.length, refused: 0, accepted: 0, failures: [] as string[], slowestMs: 0 };
      const started = performance.now();
      for (const [i, payload] of payloads.entries()) {
        const before = store.getState();
        const t = performance.now();
        if (entry === 'paste') {
          const data = new DataTransfer();
          data.setData('text/plain', payload);
          document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }));
        } else if (entry === 'drop') {
          const data = new DataTransfer();
          data.items.add(new File([payload], 'dropped.json', { type: 'application/json' }));
          const drop = new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true });
          document.querySelector('.canvas')!.dispatchEvent(drop);
        } else if (entry === 'png') {
          const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
          const data = new DataTransfer();
          data.items.add(new File([bytes], 'picture.png', { type: 'image/png' }));
          const input = document.querySelector<HTMLInputElement>('[data-testid=open-file]')!;
          input.files = data.files;
          input.dispatchEvent(new Event('change', { bubbles: true }));
        } else {
          // a fresh hash each time: the same link twice in a row is no change
          history.replaceState(null, '', '#');
          const changed = new Promise((r) => addEventListener('hashchange', r, { once: true }));
          location.hash = payload;
          await changed;
        }
        await studio.settled();
        await frame();
        result.slowestMs = Math.max(result.slowestMs, performance.now() - t);
        const after = store.getState();
        const refusedNow =
          (after.loadIssues !== before.loadIssues && after.loadIssues !== null) ||
          (after.notice !== before.notice && !!after.notice?.text.startsWith('cannot paste'));
        if (after.doc === before.doc) {
          result.refused++;
          continue;
        }
        if (refusedNow) result.failures.push(`document ${i}: refused, yet the graph open changed`);
        result.accepted++;
        after.undo();
        await frame();
        if (read() !== base) {
          result.failures.push(`document ${i}: taken, and undoing it did not bring back the graph open before`);
          break;
        }
      }
      history.replaceState(null, '', '#');
      return { ...result, totalMs: performance.now() - started };
    },
    { entry, payloads },
  );
}
