import { clearShift, drawnSize, estimatedSize, type Size } from './placement';
import { parseGraph } from '../graph/validate';
import { subgraphName, subgraphNamesOf } from '../graph/subgraph';
import type { GraphDocument, GraphNode } from '../graph/document';
import { CURRENT_VERSION, GRAPH_FORMAT } from '../graph/document';
import { serializeGraph } from '../graph/validate';
import { cloneNodes } from './graph-edits';
import { cancelRun, runGraph } from './run';
import { selectCatalog, selectScope, useEditor } from './store';
import { scopeDraft, usedSubgraphs } from './scope';
import { mergeDefinitions, retypeNodes, wouldIncludeItself } from './subgraph-edits';

/** The selected nodes as a graph document (what copy puts on the clipboard; Duplicate keeps "$in." wires). */
export function selectionAsGraph(keepSubgraphInputs = false): GraphDocument | null {
  const state = useEditor.getState();
  const nodes = selectScope(state).nodes.filter((n) => state.selection.includes(n.id));
  if (!nodes.length) return null;
  // the definitions of copied subgraph nodes travel with them
  const subgraphs = usedSubgraphs(state.doc, subgraphNamesOf(nodes));
  const copies = structuredClone(nodes);
  // wires from a subgraph's inputs do not travel (the copy may land outside the subgraph)
  if (!keepSubgraphInputs)
    for (const n of copies)
      for (const [port, ref] of Object.entries(n.inputs ?? {})) if (ref.startsWith('$in.')) delete n.inputs![port];
  return {
    format: GRAPH_FORMAT,
    version: CURRENT_VERSION,
    nodes: copies,
    ...(Object.keys(subgraphs).length ? { subgraphs: structuredClone(subgraphs) } : {}),
  };
}

/** Pastes graph JSON text (validated by the catalog's rules for the pasted nodes alone). */
export async function pasteGraphText(
  text: string,
  validate: (t: string) => Promise<GraphDocument | null>,
  at?: { x: number; y: number },
): Promise<void> {
  const pasted = await validate(text);
  if (!pasted || pasted.nodes.length === 0) return;
  const { view } = useEditor.getState();
  const doc = selectScope(useEditor.getState());
  const loop = wouldIncludeItself(useEditor.getState().doc, view, [
    ...subgraphNamesOf(pasted.nodes),
    ...Object.keys(pasted.subgraphs ?? {}),
  ]);
  if (loop) {
    useEditor.getState().notify(`cannot paste here: subgraph "${loop}" would include itself`, 'error');
    return;
  }
  // the pasted nodes' top-left corner lands at the cursor (without one, beside the originals)
  const minX = Math.min(...pasted.nodes.map((n) => n.ui?.x ?? 0)),
    minY = Math.min(...pasted.nodes.map((n) => n.ui?.y ?? 0));
  const [dx, dy] = at ? [Math.round(at.x - minX), Math.round(at.y - minY)] : [40, 40];
  const catalog = selectCatalog(useEditor.getState());
  const copies = shiftClear(cloneNodes(doc, pasted.nodes, dx, dy, true), (n) =>
    estimatedSize(catalog.get(n.type), n.params),
  );
  useEditor.getState().change(`paste ${copies.length} nodes`, (d) => {
    // subgraph definitions come along: an equal one is shared, a different one of the same name renamed
    retypeNodes(copies, mergeDefinitions(d, pasted.subgraphs));
    scopeDraft(d, view).nodes.push(...copies);
  });
  useEditor.getState().select(copies.map((n) => n.id));
  useEditor.getState().notify(`pasted ${copies.length} node${copies.length > 1 ? 's' : ''}`);
}

/** New nodes moved, as one group, to the nearest spot clear of the nodes on the canvas. */
function shiftClear(nodes: GraphNode[], sizeOf: (n: GraphNode) => Size): GraphNode[] {
  const { dx, dy } = clearShift(nodes, sizeOf);
  if (!dx && !dy) return nodes;
  for (const n of nodes) n.ui = { ...(n.ui ?? { x: 0, y: 0 }), x: (n.ui?.x ?? 0) + dx, y: (n.ui?.y ?? 0) + dy };
  return nodes;
}

export function duplicateSelection(): void {
  const g = selectionAsGraph(true);
  if (!g) return;
  const { view } = useEditor.getState();
  const clones = cloneNodes(selectScope(useEditor.getState()), g.nodes, 40, 40, true);
  // a copy is the size of its original (cloneNodes keeps the order)
  const original = new Map(clones.map((c, i) => [c.id, g.nodes[i]!.id]));
  const catalog = selectCatalog(useEditor.getState());
  const copies = shiftClear(clones, (n) => drawnSize(original.get(n.id) ?? '') ?? estimatedSize(catalog.get(n.type)));
  useEditor.getState().change(`duplicate ${copies.length} nodes`, (d) => {
    scopeDraft(d, view).nodes.push(...copies);
  });
  useEditor.getState().select(copies.map((n) => n.id));
}

export function bypassSelection(): void {
  const { selection, view } = useEditor.getState();
  if (!selection.length) return;
  useEditor.getState().change(`bypass ${selection.join(', ')}`, (d) => {
    for (const n of scopeDraft(d, view).nodes)
      if (selection.includes(n.id) && !subgraphName(n.type)) {
        if (n.bypass) delete n.bypass;
        else n.bypass = true;
      }
  });
}

export { parseGraph, serializeGraph, runGraph, cancelRun };
