import { cancelRun, runGraph } from './run';
import { bypassSelection, duplicateSelection } from './shortcuts';
import { selectScope, useEditor } from './store';
import { groupSelected, ungroupSelected } from './subgraph-panel';
import { toggleHistory } from './versions';
import { layoutScope, type Size } from './layout';

/** What an action may reach besides the store: the canvas view and where the pointer is. */
export interface KeyContext {
  fitView(): void;
  /** Opens the palette at the pointer. */
  openPalette(): void;
  /** A node's size as drawn (undefined before it is measured). */
  nodeSize(id: string): Size | undefined;
}

/** One key combination: `mod` is Ctrl or Cmd; `shift` left out matches either. */
interface Combo {
  keys: string[];
  mod?: boolean;
  shift?: boolean;
}

/**
 * One user action, declared once: the help dialog lists every action (its keys as shown and what it does), and the
 * editor's key handler runs the ones with combos. Help-only rows (mouse gestures) have no combos.
 */
export interface Action {
  id: string;
  keys: string;
  description: string;
  combos?: Combo[];
  /** Runs before React Flow sees the key (capture phase): Ctrl+Enter would toggle the focused node's selection. */
  capture?: boolean;
  /** Also while typing in a field (Escape closes what is open). */
  whileTyping?: boolean;
  run?(ctx: KeyContext): void;
}

const state = () => useEditor.getState();

export const KEYMAP: readonly Action[] = [
  {
    id: 'palette',
    keys: 'Space or Tab',
    description: 'add a node (palette at the cursor); double-click the canvas too',
    combos: [{ keys: [' ', 'Tab'], mod: false }],
    run: (ctx) => ctx.openPalette(),
  },
  {
    id: 'wire-to-new',
    keys: 'drag from a port to empty canvas',
    description: 'add a node that accepts it, already wired',
  },
  {
    id: 'run',
    keys: 'Ctrl+Enter',
    description: 'run the graph',
    combos: [{ keys: ['Enter'], mod: true }],
    capture: true,
    run: () => void runGraph(),
  },
  {
    id: 'escape',
    keys: 'Escape',
    description: 'cancel the run / close a panel',
    combos: [{ keys: ['Escape'] }],
    whileTyping: true,
    run: () => {
      const s = state();
      if (s.palette || s.helpOpen) useEditor.setState({ palette: null, helpOpen: false });
      else if (s.running) void cancelRun();
    },
  },
  { id: 'delete', keys: 'Delete / Backspace', description: 'delete the selection' },
  {
    id: 'duplicate',
    keys: 'Ctrl+D',
    description: 'duplicate the selection',
    combos: [{ keys: ['d'], mod: true }],
    run: duplicateSelection,
  },
  { id: 'copy-paste', keys: 'Ctrl+C / Ctrl+V', description: 'copy / paste nodes (as graph JSON, also between tabs)' },
  {
    id: 'undo',
    keys: 'Ctrl+Z',
    description: 'undo',
    combos: [{ keys: ['z'], mod: true, shift: false }],
    run: () => state().undo(),
  },
  {
    id: 'redo',
    keys: 'Ctrl+Shift+Z or Ctrl+Y',
    description: 'redo',
    combos: [
      { keys: ['z'], mod: true, shift: true },
      { keys: ['y'], mod: true },
    ],
    run: () => state().redo(),
  },
  {
    id: 'select-all',
    keys: 'Ctrl+A',
    description: 'select all',
    combos: [{ keys: ['a'], mod: true }],
    run: () => {
      const s = state();
      s.select(selectScope(s).nodes.map((n) => n.id));
    },
  },
  {
    id: 'group',
    keys: 'Ctrl+G',
    description: 'group the selection as a subgraph',
    combos: [{ keys: ['g'], mod: true, shift: false }],
    run: groupSelected,
  },
  {
    id: 'ungroup',
    keys: 'Ctrl+Shift+G',
    description: 'ungroup a subgraph node',
    combos: [{ keys: ['g'], mod: true, shift: true }],
    run: ungroupSelected,
  },
  {
    id: 'enter-subgraph',
    keys: 'double-click a subgraph node',
    description: 'go inside it (the breadcrumb at the top left goes back out)',
  },
  {
    id: 'bypass',
    keys: 'B',
    description: 'bypass the selected nodes',
    combos: [{ keys: ['b'], mod: false }],
    run: bypassSelection,
  },
  {
    id: 'fit',
    keys: 'F',
    description: 'fit the view',
    combos: [{ keys: ['f'], mod: false }],
    run: (ctx) => ctx.fitView(),
  },
  {
    id: 'layout',
    keys: 'L',
    description: 'lay out in columns by what feeds what (the selection, or all); one undo step',
    combos: [{ keys: ['l'], mod: false }],
    run: (ctx) => {
      layoutScope(ctx.nodeSize);
      ctx.fitView();
    },
  },
  {
    id: 'history',
    keys: 'H',
    description: 'show or hide the History panel (runs and versions of the graph, restorable)',
    combos: [{ keys: ['h'], mod: false }],
    run: toggleHistory,
  },
  {
    id: 'help',
    keys: '?',
    description: 'this help',
    combos: [{ keys: ['?'] }],
    run: () => useEditor.setState({ helpOpen: !state().helpOpen }),
  },
];

function matches(c: Combo, e: KeyboardEvent): boolean {
  const mod = e.ctrlKey || e.metaKey;
  if (c.mod !== undefined && c.mod !== mod) return false;
  if (c.mod === undefined && mod && c.keys.every((k) => k.length === 1 && /[a-z]/i.test(k))) return false;
  if (c.shift !== undefined && c.shift !== e.shiftKey) return false;
  return c.keys.some((k) => (k.length === 1 ? k.toLowerCase() === e.key.toLowerCase() : k === e.key));
}

/** The action a key event runs in this phase, if any. */
export function actionFor(e: KeyboardEvent, phase: 'capture' | 'bubble', typing: boolean): Action | undefined {
  return KEYMAP.find(
    (a) =>
      a.run &&
      !!a.capture === (phase === 'capture') &&
      (!typing || a.whileTyping) &&
      a.combos?.some((c) => matches(c, e)),
  );
}
