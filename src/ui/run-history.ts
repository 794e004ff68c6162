import { encode as encodePng } from 'fast-png';
import { create } from 'zustand';
import type { RunResult } from '../engine/events';
import type { GraphDocument } from '../graph/document';
import type { ParamValue } from '../graph/params';
import { serializeGraph } from '../graph/validate';
import { getEngine } from './engine-client';
import { imageFileName } from './file-names';
import { HistoryStore, type RunEntry, type RunPictureMeta } from './history-db';
import { describeRun } from './run-record';
import { finalNode } from './reveal';
import { docCatalog } from './scope';
import { useEditor } from './store';

/**
 * The history of runs: every run of the editor that finished a node (all of it, or part: failed or cancelled)
 * keeps the graph that ran, what changed from the run before, and its final pictures (thumbnails, and full PNGs
 * carrying their graph) in the History panel's store (history-db.ts), under a size budget the user sets.
 * Recording reads the pictures through the engine API (the same calls the editor makes, whichever engine runs),
 * so a run is kept the same way from this browser's worker or from a server.
 */

/** Default size budget of the runs kept: 200 MB. */
export const DEFAULT_RUNS_BUDGET = 200e6;
/** At most this many pictures of a run are kept (a batch of 64 keeps its first 8). */
export const MAX_PICTURES = 8;
/** Thumbnails are at most this many pixels a side. */
export const THUMB_SIDE = 64;
const BUDGET_KEY = 'unclip-studio:runs:budget';
const EVICTED_KEY = 'unclip-studio:runs:evicted';
const TAB_KEY = 'unclip-studio:history-tab';

/** A run as the panel lists it (with its thumbnails; its full pictures stay in the store). */
export type RunMeta = RunEntry & { id: number };
export type HistoryTab = 'runs' | 'versions';

interface RunsState {
  tab: HistoryTab;
  runs: RunMeta[];
  /** The runs ticked for comparing (at most two, the latest ticked last). */
  selected: number[];
  /** The two runs shown side by side (older first), or null. */
  comparing: [RunMeta, RunMeta] | null;
  budget: number;
  /** Runs the budget has evicted so far (kept across visits). */
  evicted: number;
  /** Why runs are not being kept (IndexedDB unavailable or full), or null. */
  problem: string | null;
}

function stored(key: string, fallback: string): string {
  try {
    return localStorage.getItem(key) ?? fallback;
  } catch {
    return fallback;
  }
}
function store(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    /* private mode: kept for this visit */
  }
}

const storedBudget = Number(stored(BUDGET_KEY, String(DEFAULT_RUNS_BUDGET)));
export const useRuns = create<RunsState>(() => ({
  tab: stored(TAB_KEY, 'runs') === 'versions' ? 'versions' : 'runs',
  runs: [],
  selected: [],
  comparing: null,
  budget: Number.isFinite(storedBudget) && storedBudget > 0 ? storedBudget : DEFAULT_RUNS_BUDGET,
  evicted: Number(stored(EVICTED_KEY, '0')) || 0,
  problem: null,
}));

let db: HistoryStore | null = null;
/** The store runs go to (a test may give its own). */
export function runStore(given?: HistoryStore): HistoryStore {
  if (given) db = given;
  return (db ??= new HistoryStore());
}

/** Writes happen one after another, in the order they were asked for. */
let queue: Promise<void> = Promise.resolve();
function enqueue(task: () => Promise<void>): Promise<void> {
  queue = queue.then(task).catch((e: unknown) => {
    useRuns.setState({ problem: `runs are not kept: ${(e as Error)?.message ?? String(e)}` });
  });
  return queue;
}

export function setHistoryTab(tab: HistoryTab): void {
  useRuns.setState({ tab });
  store(TAB_KEY, tab);
  if (tab === 'runs') void loadRuns();
}

/** Reads the list of runs into the panel's state. */
export function loadRuns(): Promise<void> {
  return enqueue(refresh);
}

async function refresh(): Promise<void> {
  const runs = (await runStore().list('runs')) as RunMeta[];
  const ids = new Set(runs.map((r) => r.id));
  useRuns.setState((s) => ({ runs, problem: null, selected: s.selected.filter((id) => ids.has(id)) }));
}

function addEvicted(n: number): void {
  if (!n) return;
  const evicted = useRuns.getState().evicted + n;
  useRuns.setState({ evicted });
  store(EVICTED_KEY, String(evicted));
}

/** Sets the size budget (bytes) and evicts the oldest runs past it now. */
export function setRunsBudget(bytes: number): Promise<void> {
  if (!Number.isFinite(bytes) || bytes <= 0) return Promise.resolve();
  useRuns.setState({ budget: bytes });
  store(BUDGET_KEY, String(bytes));
  return enqueue(async () => {
    addEvicted(await runStore().evictRuns(bytes));
    await refresh();
  });
}

/** What a run to keep is: the graph that ran and the engine's result; its pictures are read from the engine. */
export interface RunToRecord {
  /** The graph that ran (for a sweep's run: with its values set). */
  doc: GraphDocument;
  result: RunResult;
}

/**
 * The outputs a run is kept by: of each node that finished, its first Image output (the picture the canvas draws
 * on it) where no other node reads it: the results, not the steps on the way (a decoder's trajectory is not one).
 * The node a run is for (reveal.ts) comes first.
 */
function finalPictures(doc: GraphDocument, result: RunResult): Array<{ node: string; port: string }> {
  const catalog = docCatalog(useEditor.getState().catalog, doc);
  const read = new Set<string>();
  for (const n of doc.nodes) for (const ref of Object.values(n.inputs ?? {})) read.add(ref);
  const ran = (id: string) => ['done', 'cached'].includes(result.nodes[id]?.status ?? '');
  const out: Array<{ node: string; port: string }> = [];
  for (const n of doc.nodes) {
    const port = Object.entries(catalog.get(n.type)?.outputs ?? {}).find(([, t]) => t === 'Image')?.[0];
    if (port && ran(n.id) && !read.has(`${n.id}.${port}`)) out.push({ node: n.id, port });
  }
  const first = finalNode(doc.nodes, (type) => catalog.get(type)?.outputs, ran);
  return [...out.filter((o) => o.node === first), ...out.filter((o) => o.node !== first)];
}

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

/**
 * Keeps a run in the history: reads its final pictures from the engine (call it before the engine runs another
 * graph), compares its graph with the newest run kept, and stores it, evicting the oldest runs past the budget.
 * A run where no node finished is not kept. Never throws: a problem is shown in the panel. Resolves to the id
 * kept, or null. Sweeps call it once per run.
 */
export async function recordRun({ doc, result }: RunToRecord): Promise<number | null> {
  if (!Object.values(result.nodes).some((r) => r.status === 'done' || r.status === 'cached')) return null;
  try {
    const engine = getEngine();
    const pictures: RunPictureMeta[] = [];
    const pngs: Uint8Array[] = [];
    let backend = '';
    for (const { node, port } of finalPictures(doc, result)) {
      const shape = (await engine.summaries(node)).find((s) => s.port === port)?.shape;
      const [n = 1, height = 0, width = 0] = shape ?? [];
      for (let index = 0; index < n && pictures.length < MAX_PICTURES; index++) {
        const [png, thumb] = await Promise.all([
          engine.imagePng(node, port, index),
          engine.imagePreview(node, port, index, THUMB_SIDE),
        ]);
        const small = encodePng({ width: thumb.width, height: thumb.height, data: thumb.rgba, channels: 4 });
        pictures.push({ node, port, index, width, height, thumb: small });
        pngs.push(png);
      }
      if (!backend) backend = (await engine.provenance(node, port, 0))?.backends.join('+') ?? '';
    }
    const text = serializeGraph(doc);
    let kept: number | null = null;
    await enqueue(async () => {
      const before = await runStore().latest('runs');
      const { summary, changes } = describeRun(
        before ? { graph: JSON.parse(before.text) as GraphDocument, backend: before.backend } : null,
        { graph: doc, backend },
        defaultsOf(doc),
      );
      const entry: RunEntry = {
        at: Date.now(),
        bytes: 0,
        summary,
        changes,
        text,
        title: doc.meta?.title ?? 'Untitled',
        ms: Math.round(result.ms),
        backend,
        partial: result.cancelled || result.failed > 0,
        pictures,
      };
      entry.bytes =
        utf8Bytes(JSON.stringify({ ...entry, pictures: pictures.map(({ thumb: _, ...p }) => p) })) +
        pictures.reduce((sum, p) => sum + p.thumb.byteLength, 0) +
        pngs.reduce((sum, p) => sum + p.byteLength, 0);
      const { id, evicted } = await runStore().addRun(entry, pngs, useRuns.getState().budget);
      kept = id;
      addEvicted(evicted);
      await refresh();
    });
    return kept;
  } catch (e) {
    useRuns.setState({ problem: `runs are not kept: ${(e as Error)?.message ?? String(e)}` });
    return null;
  }
}

/** Each node type's param defaults, from the catalog (a param left out equals its default). */
function defaultsOf(doc: GraphDocument): (type: string) => Record<string, ParamValue> | undefined {
  const catalog = docCatalog(useEditor.getState().catalog, doc);
  return (type) => {
    const params = catalog.get(type)?.params;
    return params && Object.fromEntries(Object.entries(params).map(([k, p]) => [k, p.default as ParamValue]));
  };
}

/** Resolves once the runs asked to be kept so far are written. */
export function runsWritten(): Promise<void> {
  return queue;
}

/** The full pictures of a run (PNGs carrying their graph). */
export function runPictures(id: number): Promise<Uint8Array[]> {
  return runStore().runPictures(id);
}

/** Downloads a run's picture as the PNG it was kept as, carrying the graph that made it. */
export async function saveRunPng(r: RunMeta, index = 0): Promise<void> {
  const png = (await runPictures(r.id))[index];
  const pic = r.pictures[index];
  if (!png || !pic) return useEditor.getState().notify(`the run kept no picture ${index + 1}`, 'error');
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([png as BlobPart], { type: 'image/png' }));
  a.download = imageFileName(r.title, pic.node, pic.port, pic.port);
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** Ticks or unticks a run for comparing; a third tick drops the oldest ticked. */
export function toggleSelected(id: number): void {
  useRuns.setState((s) => ({
    selected: s.selected.includes(id) ? s.selected.filter((x) => x !== id) : [...s.selected, id].slice(-2),
  }));
}

/** Shows the two ticked runs side by side, older first. */
export function compareSelected(): void {
  const { runs, selected } = useRuns.getState();
  const two = runs.filter((r) => selected.includes(r.id)).sort((a, b) => a.at - b.at);
  if (two.length === 2) useRuns.setState({ comparing: [two[0]!, two[1]!] });
}

export function pinRun(r: RunMeta, pinned: boolean): Promise<void> {
  return enqueue(async () => {
    await runStore().pinRun(r.id, pinned);
    if (!pinned) addEvicted(await runStore().evictRuns(useRuns.getState().budget));
    await refresh();
  });
}

export function deleteRun(r: RunMeta): Promise<void> {
  return enqueue(async () => {
    await runStore().deleteRun(r.id);
    await refresh();
  });
}
