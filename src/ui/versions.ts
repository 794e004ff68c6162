import { create } from 'zustand';
import { SUMMARY_MAX, summarizeChange } from '../graph/change-summary';
import type { GraphDocument } from '../graph/document';
import { serializeGraph } from '../graph/validate';
import { HistoryStore, type VersionCause, type VersionEntry } from './history-db';
import { useEditor } from './store';

/**
 * Versions of the graph: its saved states, kept in the History panel's store (history-db.ts) across reloads.
 * A saved state is every explicit Save, Open (a file, a link, Examples, Recent), New and restore, and the edited
 * graph once edits settle (SETTLE_MS without a change). A version is never a copy of the one before it.
 * The working copy (the autosave the editor reopens) is written 250 ms after each change, synchronously to
 * localStorage so a reload right after an edit loses nothing; when it cannot be written (a graph too large for
 * localStorage) the editor reopens the newest version instead.
 */

export const SETTLE_MS = 2000;
export const AUTOSAVE_KEY = 'unclip-studio:autosave:v1';
const WORKING_COPY_MS = 250;

/** A version as the panel lists it (its graph stays in the store until restored). */
export type VersionMeta = Omit<VersionEntry, 'text'> & { id: number };

interface VersionsState {
  /** Whether the History panel is shown. */
  open: boolean;
  versions: VersionMeta[];
  /** Why versions are not being kept (IndexedDB unavailable or full), or null. */
  problem: string | null;
}

export const useVersions = create<VersionsState>(() => ({ open: false, versions: [], problem: null }));

let store: HistoryStore | null = null;
/** The store versions go to (a test may give its own). */
export function versionStore(given?: HistoryStore): HistoryStore {
  if (given) store = given;
  return (store ??= new HistoryStore());
}

/** The newest version's graph (what the next version's summary compares against); undefined until loaded. */
let latest: { text: string; doc: GraphDocument } | null | undefined;
/** Writes happen one after another, in the order they were asked for. */
let queue: Promise<void> = Promise.resolve();
let settleTimer: ReturnType<typeof setTimeout> | undefined;

/** Forgets what was loaded (a test's fresh start). */
export function resetVersions(): void {
  latest = undefined;
  queue = Promise.resolve();
  clearTimeout(settleTimer);
  settleTimer = undefined;
  useVersions.setState({ versions: [], problem: null });
}

/** Shows or hides the History panel (H), reading the list afresh: another tab may have added versions. */
export function toggleHistory(): void {
  const open = !useVersions.getState().open;
  useVersions.setState({ open });
  if (open) void loadVersions();
}

/** Reads the list of versions into the panel's state. */
export function loadVersions(): Promise<void> {
  return enqueue(refresh);
}

async function refresh(): Promise<void> {
  const all = await versionStore().list('versions');
  useVersions.setState({ versions: all.map(({ text: _, ...meta }) => meta as VersionMeta), problem: null });
}

function enqueue(task: () => Promise<void>): Promise<void> {
  queue = queue.then(task).catch((e: unknown) => {
    useVersions.setState({ problem: `versions are not kept: ${(e as Error)?.message ?? String(e)}` });
  });
  return queue;
}

const cut = (line: string) => (line.length > SUMMARY_MAX ? `${line.slice(0, SUMMARY_MAX - 1)}…` : line);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Keeps `doc` as a version (unless it equals the newest one). `what` names what was opened or restored. A version
 * of the graph being edited stands for its pending settled edit.
 */
export function recordVersion(doc: GraphDocument, cause: VersionCause, what = ''): Promise<void> {
  if (doc === useEditor.getState().doc) {
    clearTimeout(settleTimer);
    settleTimer = undefined;
  }
  return enqueue(async () => {
    if (latest === undefined) {
      const newest = await versionStore().latest('versions');
      latest = newest ? { text: newest.text, doc: JSON.parse(newest.text) as GraphDocument } : null;
    }
    const text = serializeGraph(doc);
    if (latest?.text === text) return;
    const change = summarizeChange(latest?.doc ?? null, doc);
    const summary = {
      edit: change,
      save: `saved: ${change}`,
      open: `opened ${what} (${plural(doc.nodes.length, 'node')})`,
      new: 'new graph',
      restore: `restored ${what}`,
    }[cause];
    await versionStore().add('versions', {
      at: Date.now(),
      bytes: text.length * 2,
      cause,
      summary: cut(summary),
      title: doc.meta?.title ?? 'Untitled',
      nodes: doc.nodes.length,
      text,
    });
    latest = { text, doc };
    await refresh();
  });
}

/** Resolves once the versions asked for so far are written. */
export function versionsWritten(): Promise<void> {
  return queue;
}

/** Keeps the graph being edited as a version now if its edits have not settled yet (before it is replaced). */
export function flushEdits(): Promise<void> {
  if (settleTimer === undefined) return queue;
  return recordVersion(useEditor.getState().doc, 'edit');
}

/** The graph a version holds, as saved. */
export async function versionText(id: number): Promise<string | undefined> {
  return (await versionStore().get('versions', id))?.text;
}

/** The graph to reopen at start-up: the working copy, else the newest version, else null. */
export async function savedWork(): Promise<string | null> {
  try {
    const copy = localStorage.getItem(AUTOSAVE_KEY);
    if (copy) return copy;
  } catch {
    /* storage off: try the versions */
  }
  try {
    return (await versionStore().latest('versions'))?.text ?? null;
  } catch {
    return null;
  }
}

function writeWorkingCopy(doc: GraphDocument): void {
  try {
    localStorage.setItem(AUTOSAVE_KEY, serializeGraph(doc));
  } catch {
    // too large for localStorage: the start-up opens the newest version, which must not be an older copy
    try {
      localStorage.removeItem(AUTOSAVE_KEY);
    } catch {
      /* storage off */
    }
  }
}

/**
 * Watches the edited graph: the working copy 250 ms after each change, a version once edits settle, both
 * written at once when the page goes away. Returns the unsubscribe.
 */
export function watchEdits(): () => void {
  let copyTimer: ReturnType<typeof setTimeout> | undefined;
  const unsubscribe = useEditor.subscribe((s, prev) => {
    if (s.doc === prev.doc) return;
    clearTimeout(copyTimer);
    copyTimer = setTimeout(() => {
      copyTimer = undefined;
      writeWorkingCopy(useEditor.getState().doc);
    }, WORKING_COPY_MS);
    clearTimeout(settleTimer);
    settleTimer = setTimeout(() => {
      settleTimer = undefined;
      void recordVersion(useEditor.getState().doc, 'edit');
    }, SETTLE_MS);
  });
  const onHide = () => {
    if (copyTimer === undefined) return;
    clearTimeout(copyTimer);
    writeWorkingCopy(useEditor.getState().doc);
    void flushEdits();
  };
  window.addEventListener('pagehide', onHide);
  return () => {
    unsubscribe();
    clearTimeout(copyTimer);
    window.removeEventListener('pagehide', onHide);
  };
}
