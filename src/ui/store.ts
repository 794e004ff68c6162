import type { GraphReference } from '../graph/references';
import { rememberRecent } from './recent';
import type { Draft } from 'immer';
import { create } from 'zustand';
import type { NodeInfo } from '../engine/api';
import type { NodeEvent, RunResult } from '../engine/events';
import { emptyGraph, type GraphDocument, type GraphNode } from '../graph/document';
import type { GraphIssue } from '../graph/errors';
import { edit, HISTORY_LIMIT, mergeEdits, redoEdit, undoEdit, type Edit } from './history';
import { docCatalog, scopeOf, validView, type ViewFrame } from './scope';
import { BACKENDS, type Backend } from '../engine/backend';
import { briefText } from '../graph/errors';

/** What the editor keeps of a node's latest events. */
export type NodeRunState = Omit<NodeEvent, 'runId' | 'nodeId'> & {
  /** The node's first picture after a run, drawn on the node (as ComfyUI's preview nodes do). */
  thumb?: import('../engine/events').ImagePreview;
  /** A problem with what was typed here, found by a node downstream (an unknown word). */
  warning?: string;
  /** How a node downstream read what was typed here (the canonical caption a word-level model read). */
  note?: string;
};

export interface EditorState {
  doc: GraphDocument;
  catalog: Map<string, NodeInfo>;
  selection: string[];
  run: Record<string, NodeRunState>;
  lastRun: RunResult | null;
  running: boolean;
  runOnChange: boolean;
  /** Where the models run (kept across visits): auto, WASM or WebGPU. */
  backend: Backend;
  past: Edit[];
  future: Edit[];
  loadIssues: { source: string; issues: GraphIssue[] } | null;
  /** A shared graph's files and URLs, not fetched until the user allows them. */
  heldRefs: { source: string; refs: GraphReference[] } | null;
  notice: { text: string; kind: 'info' | 'error' } | null;
  /** Bumped after each run so views re-read outputs. */
  runCounter: number;
  /** Bumped once a run's thumbnails are on its nodes (the nodes have their final sizes). */
  runShown: number;
  /** The port being dragged from, to highlight compatible ports. */
  connecting: { nodeId: string; port: string; side: 'source' | 'target'; type: string } | null;
  palette: { x: number; y: number; flowX: number; flowY: number; from?: EditorState['connecting'] } | null;
  helpOpen: boolean;
  /** The subgraphs entered, outermost first (empty: the graph itself). */
  view: ViewFrame[];
  /** Shows the inside of a subgraph instance (or, with a depth, goes back out to that frame). */
  enter(frame: ViewFrame): void;
  leaveTo(depth: number): void;
  /** Bumped whenever a whole graph is opened (the canvas then shows it at a readable zoom). */
  opened: number;

  setCatalog(nodes: NodeInfo[]): void;
  /** Applies an undoable edit to the document. */
  change(label: string, recipe: (doc: Draft<GraphDocument>) => void): void;
  /**
   * Replaces the graph and clears run state; with a label the replacement is one undoable edit (New, Open,
   * Examples), an empty graph replaced too (Undo after New then Open brings the empty graph back), and the graph
   * replaced goes to Recent. Without one (the start-up) history starts afresh. A restored version (`restore`)
   * stays out of Recent: the graph it replaced is a version already.
   */
  replaceDoc(doc: GraphDocument, label?: string, opts?: { restore?: boolean }): void;
  undo(): void;
  redo(): void;
  select(ids: string[]): void;
  setRunState(nodeId: string, s: NodeRunState): void;
  resetRunState(ids: string[]): void;
  notify(text: string, kind?: 'info' | 'error'): void;
}

export const BACKEND_KEY = 'unclip-studio:backend';
function storedBackend(): Backend {
  try {
    const b = localStorage.getItem(BACKEND_KEY);
    return BACKENDS.includes(b as Backend) ? (b as Backend) : 'auto';
  } catch {
    return 'auto';
  }
}

export const useEditor = create<EditorState>((set, get) => ({
  doc: emptyGraph(),
  catalog: new Map(),
  selection: [],
  run: {},
  lastRun: null,
  running: false,
  runOnChange: false,
  backend: storedBackend(),
  past: [],
  future: [],
  loadIssues: null,
  heldRefs: null,
  notice: null,
  runCounter: 0,
  runShown: 0,
  connecting: null,
  palette: null,
  helpOpen: false,
  opened: 0,
  view: [],
  enter: (frame) => set((s) => ({ view: [...s.view, frame], selection: [], opened: s.opened + 1 })),
  leaveTo: (depth) =>
    set((s) => ({
      view: s.view.slice(0, depth),
      // the instance that was entered is selected on the way out
      selection: s.view[depth] ? [s.view[depth].instance] : [],
      opened: s.opened + 1,
    })),

  setCatalog: (nodes) => set({ catalog: new Map(nodes.map((n) => [n.type, n])) }),
  change: (label, recipe) => {
    const [doc, e] = edit(get().doc, label, recipe);
    if (!e) return;
    e.at = Date.now();
    set((s) => {
      const last = s.past[s.past.length - 1];
      // the same field edited again within 2 s (typing): one undo step
      if (last && last.label === label && label.startsWith('set ') && last.at && e.at! - last.at < 2000) {
        return { doc, past: [...s.past.slice(0, -1), mergeEdits(last, e)], future: [], view: validView(doc, s.view) };
      }
      return { doc, past: [...s.past.slice(-HISTORY_LIMIT + 1), e], future: [], view: validView(doc, s.view) };
    });
  },
  replaceDoc: (doc, label, opts) => {
    const old = get().doc;
    const reset = {
      run: {},
      lastRun: null,
      selection: [],
      loadIssues: null,
      heldRefs: null,
      opened: get().opened + 1,
      view: [],
    };
    if (!label) {
      set({ doc, past: [], future: [], ...reset });
      return;
    }
    // an empty graph replaced by the same one (New twice): no step that changes nothing, the history kept
    if (old.nodes.length === 0 && doc.nodes.length === 0 && JSON.stringify(old) === JSON.stringify(doc)) {
      set({ ...reset });
      return;
    }
    if (!opts?.restore) rememberRecent(old);
    // the whole document replaced in one edit: Undo brings the old graph back
    const [next, e] = edit(old, label, (() => doc) as unknown as (d: unknown) => void);
    set((s) => ({ doc: next, past: e ? [...s.past.slice(-HISTORY_LIMIT + 1), e] : s.past, future: [], ...reset }));
  },
  undo: () => {
    const { past, doc } = get();
    const e = past[past.length - 1];
    if (!e) return;
    const next = undoEdit(doc, e);
    set((s) => ({ doc: next, past: s.past.slice(0, -1), future: [e, ...s.future], view: validView(next, s.view) }));
  },
  redo: () => {
    const { future, doc } = get();
    const e = future[0];
    if (!e) return;
    const next = redoEdit(doc, e);
    set((s) => ({ doc: next, future: s.future.slice(1), past: [...s.past, e], view: validView(next, s.view) }));
  },
  select: (ids) => set({ selection: ids }),
  setRunState: (nodeId, st) => {
    // what a node says is cut like every message (a value quoted whole would make the node a page tall)
    const cut = {
      ...st,
      ...(st.message ? { message: briefText(st.message) } : {}),
      ...(st.warning ? { warning: briefText(st.warning) } : {}),
    };
    set((s) => ({ run: { ...s.run, [nodeId]: { ...s.run[nodeId], ...cut } } }));
  },
  resetRunState: (ids) =>
    set((s) => {
      const run = { ...s.run };
      for (const id of ids) delete run[id];
      return { run };
    }),
  notify: (full, kind = 'info') => {
    const text = briefText(full);
    set({ notice: { text, kind } });
    setTimeout(
      () => {
        if (get().notice?.text === text) set({ notice: null });
      },
      kind === 'error' ? 6000 : 3000,
    );
  },
}));

const indexes = new WeakMap<readonly GraphNode[], Map<string, GraphNode>>();

/** A node by id through an index built once per document version (selectors run for every node on every change). */
export function nodeById(doc: { nodes: GraphNode[] }, id: string): GraphNode | undefined {
  let index = indexes.get(doc.nodes);
  if (!index) {
    index = new Map(doc.nodes.map((n) => [n.id, n]));
    indexes.set(doc.nodes, index);
  }
  return index.get(id);
}

/** A fresh id for a node of a type: "slerp", "slerp_2", ... */
export function freshId(doc: { nodes: GraphNode[] }, type: string, taken = new Set<string>()): string {
  const base = (type.split('/').pop() ?? 'node').replace(/[^A-Za-z0-9_]/g, '_').replace(/^[^A-Za-z_]/, 'n');
  const used = new Set([...doc.nodes.map((n) => n.id), ...taken]);
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** The nodes of the scope the canvas shows (the graph, or the subgraph entered). */
export const selectScope = (s: EditorState) => scopeOf(s.doc, s.view);
/** Node types with the document's subgraph types. */
export const selectCatalog = (s: EditorState) => docCatalog(s.catalog, s.doc);
