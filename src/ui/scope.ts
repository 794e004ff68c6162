import type { Draft } from 'immer';
import type { NodeInfo } from '../engine/api';
import type { GraphDocument, GraphNode, SubgraphDef } from '../graph/document';
import { own } from '../graph/catalog';
import { subgraphNamesOf, subgraphSpecs, subgraphType } from '../graph/subgraph';

/**
 * Where the canvas is: the graph itself, or inside a subgraph entered through one of its instances
 * (a breadcrumb of frames). Edits apply to the nodes of the current scope: the document's, or the
 * definition's (every instance of it changes).
 */
export interface ViewFrame {
  /** The definition shown. */
  name: string;
  /** The instance it was entered through (its inner nodes' run states are "<instance>/<id>"). */
  instance: string;
}

export interface Scope {
  nodes: GraphNode[];
}

/** The pseudo-nodes drawn inside a subgraph: its inputs (as outputs) and its outputs (as inputs). */
export const IN_NODE = '$in';
export const OUT_NODE = '$out';
/** The handle that adds a new input or output when a wire is dropped on it. */
export const NEW_PORT = '__new';

export function currentDef(doc: GraphDocument, view: readonly ViewFrame[]): SubgraphDef | undefined {
  const frame = view[view.length - 1];
  return frame ? doc.subgraphs?.[frame.name] : undefined;
}

/** The nodes the canvas shows and edits. */
export function scopeOf(doc: GraphDocument, view: readonly ViewFrame[]): Scope {
  return currentDef(doc, view) ?? doc;
}

/** The same, in an edit's draft. */
export function scopeDraft(d: Draft<GraphDocument>, view: readonly ViewFrame[]): Draft<Scope> {
  const frame = view[view.length - 1];
  return (frame && d.subgraphs?.[frame.name]) || d;
}

/** The engine's id of a node of the current scope ("low/decoder" inside instance "low"). */
export function flatId(view: readonly ViewFrame[], id: string): string {
  return [...view.map((f) => f.instance), id].join('/');
}

/** The frames that still exist after an edit (an undo can remove the subgraph being shown). */
export function validView(doc: GraphDocument, view: readonly ViewFrame[]): ViewFrame[] {
  const out: ViewFrame[] = [];
  let nodes = doc.nodes;
  for (const f of view) {
    const inst = nodes.find((n) => n.id === f.instance);
    const def = doc.subgraphs?.[f.name];
    if (!inst || inst.type !== subgraphType(f.name) || !def) break;
    out.push(f);
    nodes = def.nodes;
  }
  return out.length === view.length ? (view as ViewFrame[]) : out;
}

const catalogs = new WeakMap<object, { base: Map<string, NodeInfo>; catalog: Map<string, NodeInfo> }>();

/** The worker's node types plus the document's subgraph types (their ports and exposed params). */
export function docCatalog(base: Map<string, NodeInfo>, doc: GraphDocument): Map<string, NodeInfo> {
  const subgraphs = doc.subgraphs;
  if (!subgraphs || !Object.keys(subgraphs).length) return base;
  const hit = catalogs.get(subgraphs);
  if (hit && hit.base === base) return hit.catalog;
  const { specs } = subgraphSpecs({ nodes: [], subgraphs }, base, () => []);
  const catalog = new Map(base);
  for (const [type, spec] of specs) catalog.set(type, { ...spec, family: 'subgraph' });
  catalogs.set(subgraphs, { base, catalog });
  return catalog;
}

/** Definitions of these names, and those they use, as far as the document has them. */
export function usedSubgraphs(doc: GraphDocument, names: Iterable<string>): Record<string, SubgraphDef> {
  const out: Record<string, SubgraphDef> = {};
  const visit = (list: Iterable<string>) => {
    for (const name of list) {
      const def = own(doc.subgraphs, name);
      if (def && !Object.hasOwn(out, name)) {
        out[name] = def;
        visit(subgraphNamesOf(def.nodes));
      }
    }
  };
  visit(names);
  return out;
}
