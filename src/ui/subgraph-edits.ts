import type { Draft } from 'immer';
import { parsePortRef, type GraphDocument, type GraphNode, type SubgraphDef } from '../graph/document';
import { INPUT_REF, subgraphName, subgraphType } from '../graph/subgraph';
import type { PortType } from '../graph/ports';
import { currentDef, docCatalog, scopeDraft, scopeOf, usedSubgraphs, type ViewFrame } from './scope';
import { freshId, useEditor } from './store';

/** A name not yet used by a definition: "group", "group_2", ... */
export function freshSubgraphName(doc: GraphDocument, base: string, taken = new Set<string>()): string {
  const clean = base.replace(/[^A-Za-z0-9_-]/g, '_').replace(/^[^A-Za-z_]/, 'g') || 'group';
  const used = (n: string) => Object.hasOwn(doc.subgraphs ?? {}, n) || taken.has(n);
  if (!used(clean)) return clean;
  for (let i = 2; ; i++) if (!used(`${clean}_${i}`)) return `${clean}_${i}`;
}

const uniqueName = (wanted: string, taken: Set<string>) => {
  let name = wanted;
  for (let i = 2; taken.has(name); i++) name = `${wanted}_${i}`;
  taken.add(name);
  return name;
};

/**
 * Groups nodes of the current scope into a new subgraph and puts one instance in their place:
 * every edge that crossed the selection becomes a port of it (one input per outside source, one
 * output per inside port read outside, and no other; a group nothing reads gives its last nodes'
 * first outputs). One undoable edit. Returns the instance id, or a reason.
 */
export function groupSelection(ids: string[]): { id: string } | { refusal: string } {
  const { doc, view, catalog: base } = useEditor.getState();
  const scope = scopeOf(doc, view);
  const picked = scope.nodes.filter((n) => ids.includes(n.id));
  if (!picked.length) return { refusal: 'select the nodes to group first' };
  const inside = new Set(picked.map((n) => n.id));
  const catalog = docCatalog(base, doc);
  const outerDef = currentDef(doc, view);
  const typeOfRef = (ref: string): PortType | undefined => {
    const m = INPUT_REF.exec(ref);
    if (m) return outerDef?.inputs?.[m[1]!]?.type as PortType | undefined;
    const r = parsePortRef(ref);
    const src = r && scope.nodes.find((n) => n.id === r.nodeId);
    return src ? catalog.get(src.type)?.outputs[r.port] : undefined;
  };
  // inputs: one per outside source
  const inputNames = new Set<string>();
  const inputOf = new Map<string, string>();
  const inputs: NonNullable<SubgraphDef['inputs']> = {};
  const instanceInputs: Record<string, string> = {};
  for (const n of picked)
    for (const [port, ref] of Object.entries(n.inputs ?? {})) {
      const r = parsePortRef(ref);
      if ((r && inside.has(r.nodeId)) || inputOf.has(ref)) continue;
      const type = typeOfRef(ref) ?? catalog.get(n.type)?.inputs[port]?.type;
      if (!type) continue;
      const name = uniqueName(port, inputNames);
      inputOf.set(ref, name);
      inputs[name] = { type };
      instanceInputs[name] = ref;
    }
  // outputs: one per inside port that something outside reads
  const outputNames = new Set<string>();
  const outputOf = new Map<string, string>();
  const outputs: Record<string, string> = {};
  const readers = [
    ...scope.nodes.filter((n) => !inside.has(n.id)).flatMap((n) => Object.values(n.inputs ?? {})),
    ...Object.values(outerDef?.outputs ?? {}),
  ];
  for (const ref of readers) {
    const r = parsePortRef(ref);
    if (!r || !inside.has(r.nodeId) || outputOf.has(ref)) continue;
    const name = uniqueName(r.port, outputNames);
    outputOf.set(ref, name);
    outputs[name] = ref;
  }
  if (!Object.keys(outputs).length) {
    // the group ends the graph: its result is the first output of each of its last nodes (those no grouped node
    // reads), so it still shows its picture; a side output (a decoder's trajectory) only if wired by hand later
    const read = new Set(picked.flatMap((n) => Object.values(n.inputs ?? {})).map((ref) => parsePortRef(ref)?.nodeId));
    for (const n of picked) {
      const first = Object.keys(catalog.get(n.type)?.outputs ?? {})[0];
      if (first && !read.has(n.id)) outputs[uniqueName(first, outputNames)] = `${n.id}.${first}`;
    }
  }
  const xs = picked.map((n) => n.ui?.x ?? 0),
    ys = picked.map((n) => n.ui?.y ?? 0);
  const [minX, minY, maxX] = [Math.min(...xs), Math.min(...ys), Math.max(...xs)];
  const nodes: GraphNode[] = picked.map((n) => {
    const copy = structuredClone(n);
    for (const [port, ref] of Object.entries(copy.inputs ?? {}))
      if (inputOf.has(ref)) copy.inputs![port] = `$in.${inputOf.get(ref)}`;
    copy.ui = { ...(copy.ui ?? { x: 0, y: 0 }), x: (n.ui?.x ?? 0) - minX + 320, y: (n.ui?.y ?? 0) - minY };
    return copy;
  });
  const name = freshSubgraphName(doc, 'group');
  const id = freshId(scope, name);
  const def: SubgraphDef = {
    title: `Group of ${picked.length}`,
    inputs,
    outputs,
    params: {},
    nodes,
    ui: { in: { x: 0, y: 0 }, out: { x: maxX - minX + 700, y: 0 } },
  };
  useEditor.getState().change(`group ${picked.length} nodes as ${name}`, (d) => {
    d.subgraphs = { ...d.subgraphs, [name]: def };
    const s = scopeDraft(d, view);
    s.nodes = s.nodes.filter((n) => !inside.has(n.id));
    for (const n of s.nodes)
      for (const [port, ref] of Object.entries(n.inputs ?? {}))
        if (outputOf.has(ref)) n.inputs![port] = `${id}.${outputOf.get(ref)}`;
    const outer = view.length ? d.subgraphs[view[view.length - 1]!.name] : undefined;
    if (outer?.outputs)
      for (const [o, ref] of Object.entries(outer.outputs))
        if (outputOf.has(ref)) outer.outputs[o] = `${id}.${outputOf.get(ref)}`;
    // params the outer subgraph exposes from grouped nodes: exposed on the group, and from there
    if (outer?.params)
      for (const [p, e] of Object.entries(outer.params))
        if (inside.has(e.node)) {
          const inner = uniqueName(p, new Set(Object.keys(d.subgraphs[name]!.params ?? {})));
          d.subgraphs[name]!.params = { ...d.subgraphs[name]!.params, [inner]: { node: e.node, param: e.param } };
          outer.params[p] = { node: id, param: inner };
        }
    s.nodes.push({
      id,
      type: subgraphType(name),
      ...(Object.keys(instanceInputs).length ? { inputs: instanceInputs } : {}),
      ui: { x: minX, y: minY },
    });
  });
  useEditor.getState().select([id]);
  return { id };
}

/** Replaces an instance by a copy of its definition's nodes (exposed values written into them). */
export function ungroup(instanceId: string): string | null {
  const { doc, view } = useEditor.getState();
  const scope = scopeOf(doc, view);
  const inst = scope.nodes.find((n) => n.id === instanceId);
  const name = inst && subgraphName(inst.type);
  const def = name ? doc.subgraphs?.[name] : undefined;
  if (!inst || !name || !def) return 'select one subgraph node to ungroup';
  const idMap = new Map<string, string>();
  const taken = new Set<string>();
  for (const n of def.nodes) {
    const fresh = scope.nodes.some((x) => x.id === n.id && x.id !== instanceId) || taken.has(n.id);
    const id = fresh ? freshId(scope, n.id, taken) : n.id;
    taken.add(id);
    idMap.set(n.id, id);
  }
  const minX = Math.min(...def.nodes.map((n) => n.ui?.x ?? 0)),
    minY = Math.min(...def.nodes.map((n) => n.ui?.y ?? 0));
  const copies = def.nodes.map((n) => {
    const copy = structuredClone(n);
    copy.id = idMap.get(n.id)!;
    const inputs: Record<string, string> = {};
    for (const [port, ref] of Object.entries(n.inputs ?? {})) {
      const m = INPUT_REF.exec(ref);
      const r = parsePortRef(ref);
      if (m) {
        if (inst.inputs?.[m[1]!]) inputs[port] = inst.inputs[m[1]!]!;
      } else if (r) inputs[port] = `${idMap.get(r.nodeId)}.${r.port}`;
    }
    if (Object.keys(inputs).length) copy.inputs = inputs;
    else delete copy.inputs;
    for (const [param, e] of Object.entries(def.params ?? {}))
      if (e.node === n.id && inst.params?.[param] !== undefined)
        copy.params = { ...copy.params, [e.param]: inst.params[param]! };
    copy.ui = {
      ...(copy.ui ?? { x: 0, y: 0 }),
      x: (inst.ui?.x ?? 0) + (n.ui?.x ?? 0) - minX,
      y: (inst.ui?.y ?? 0) + (n.ui?.y ?? 0) - minY,
    };
    return copy;
  });
  const mapOut = (ref: string) => {
    const r = parsePortRef(ref);
    if (!r || r.nodeId !== instanceId) return ref;
    const inner = def.outputs?.[r.port];
    const ir = inner ? parsePortRef(inner) : null;
    return ir ? `${idMap.get(ir.nodeId)}.${ir.port}` : null;
  };
  useEditor.getState().change(`ungroup ${instanceId}`, (d) => {
    const s = scopeDraft(d, view);
    s.nodes = s.nodes.filter((n) => n.id !== instanceId);
    for (const n of s.nodes)
      for (const [port, ref] of Object.entries(n.inputs ?? {})) {
        const m = mapOut(ref);
        if (m === null) delete n.inputs![port];
        else n.inputs![port] = m;
      }
    const outer = view.length ? d.subgraphs?.[view[view.length - 1]!.name] : undefined;
    if (outer?.outputs)
      for (const [o, ref] of Object.entries(outer.outputs)) {
        const m = mapOut(ref);
        if (m === null) delete outer.outputs[o];
        else outer.outputs[o] = m;
      }
    // params the outer subgraph exposed from the instance now come from the node inside it
    if (outer?.params)
      for (const [p, e] of Object.entries(outer.params))
        if (e.node === instanceId) {
          const target = def.params?.[e.param];
          if (target && idMap.has(target.node))
            outer.params[p] = { node: idMap.get(target.node)!, param: target.param };
          else delete outer.params[p];
        }
    s.nodes.push(...copies);
    // a definition no instance uses any more goes with its last instance
    if (d.subgraphs && !isUsed(d as GraphDocument, name)) delete d.subgraphs[name];
  });
  useEditor.getState().select(copies.map((n) => n.id));
  return null;
}

function isUsed(doc: GraphDocument, name: string): boolean {
  const type = subgraphType(name);
  return (
    doc.nodes.some((n) => n.type === type) ||
    Object.values(doc.subgraphs ?? {}).some((def) => def.nodes.some((n) => n.type === type))
  );
}

/** Shows (or hides) a param of a node inside the subgraph being edited as a param of its instances. */
export function toggleExposed(view: readonly ViewFrame[], nodeId: string, param: string): void {
  const frame = view[view.length - 1];
  if (!frame) return;
  const def = useEditor.getState().doc.subgraphs?.[frame.name];
  if (!def) return;
  const current = Object.entries(def.params ?? {}).find(([, e]) => e.node === nodeId && e.param === param)?.[0];
  useEditor.getState().change(`${current ? 'hide' : 'expose'} ${nodeId}.${param} on ${frame.name}`, (d) => {
    const target = d.subgraphs![frame.name]!;
    const params = { ...target.params };
    if (current) delete params[current];
    else params[uniqueName(param, new Set(Object.keys(params)))] = { node: nodeId, param };
    target.params = params;
    // instances forget the value of a param no longer shown on them
    if (current) dropInstanceParams(d, frame.name, [current]);
  });
}

/**
 * Adds definitions from another document (a paste, an inserted file) to a draft: the same name with
 * the same content is shared, a different one is renamed. Returns the renames for the incoming nodes.
 */
export function mergeDefinitions(
  d: Draft<GraphDocument>,
  incoming: Record<string, SubgraphDef> | undefined,
): Map<string, string> {
  const renames = new Map<string, string>();
  if (!incoming) return renames;
  const existing = d.subgraphs ?? {};
  // names kept first (new ones, and equal definitions), so a fresh name never takes one of them
  const taken = new Set<string>();
  for (const name of Object.keys(incoming)) {
    const same = Object.hasOwn(existing, name) && JSON.stringify(existing[name]) === JSON.stringify(incoming[name]);
    if (!Object.hasOwn(existing, name) || same) {
      renames.set(name, name);
      taken.add(name);
    }
  }
  for (const name of Object.keys(incoming))
    if (!renames.has(name)) {
      const fresh = freshSubgraphName(d as GraphDocument, name, new Set([...taken, ...Object.keys(incoming)]));
      renames.set(name, fresh);
      taken.add(fresh);
    }
  const add: Record<string, SubgraphDef> = {};
  for (const [name, def] of Object.entries(incoming)) {
    const copy = structuredClone(def);
    retypeNodes(copy.nodes, renames);
    add[renames.get(name)!] = copy;
  }
  d.subgraphs = { ...existing, ...add };
  return renames;
}

/** Gives nodes the renamed subgraph types. */
export function retypeNodes(nodes: GraphNode[], renames: Map<string, string>): void {
  for (const n of nodes) {
    const inner = subgraphName(n.type);
    if (inner && renames.has(inner)) n.type = subgraphType(renames.get(inner)!);
  }
}

/**
 * A subgraph as a file: a graph with no nodes of its own and the definitions it needs; Insert puts a
 * node of its type in another graph (a graph of an unwired instance would not validate).
 */
export function subgraphFile(doc: GraphDocument, name: string): GraphDocument {
  return {
    format: doc.format,
    version: doc.version,
    meta: {
      title: doc.subgraphs?.[name]?.title ?? name,
      description: `the subgraph "${name}": Insert it into a graph`,
    },
    nodes: [],
    subgraphs: usedSubgraphs(doc, [name]),
  };
}

/** Adds a file's definitions to the graph and one node of each definition no other one uses. */
export function insertDefinitions(incoming: Record<string, SubgraphDef>, at: { x: number; y: number }): string[] {
  const { view } = useEditor.getState();
  const inner = new Set(
    Object.values(incoming).flatMap((d) => d.nodes.map((n) => subgraphName(n.type)).filter(Boolean)),
  );
  const roots = Object.keys(incoming).filter((n) => !inner.has(n));
  const ids: string[] = [];
  const loop = wouldIncludeItself(useEditor.getState().doc, view, Object.keys(incoming));
  if (loop) {
    useEditor.getState().notify(`cannot insert here: subgraph "${loop}" would include itself`, 'error');
    return ids;
  }
  useEditor.getState().change(`insert subgraph ${roots.join(', ')}`, (d) => {
    const renames = mergeDefinitions(d, incoming);
    const s = scopeDraft(d, view);
    roots.forEach((root, i) => {
      const name = renames.get(root) ?? root;
      const id = freshId(s as { nodes: GraphNode[] }, name);
      ids.push(id);
      s.nodes.push({ id, type: subgraphType(name), ui: { x: Math.round(at.x), y: Math.round(at.y + 200 * i) } });
    });
  });
  useEditor.getState().select(ids);
  return ids;
}

/** Every node list of a draft document: the graph's and each definition's. */
function allLists(d: Draft<GraphDocument>): Array<Draft<GraphNode>[]> {
  return [d.nodes, ...Object.values(d.subgraphs ?? {}).map((s) => s.nodes)];
}

/** Removes params a definition no longer exposes from every node of its type. */
export function dropInstanceParams(d: Draft<GraphDocument>, name: string, params: string[]): void {
  if (!params.length) return;
  for (const list of allLists(d))
    for (const n of list) if (n.type === subgraphType(name) && n.params) for (const p of params) delete n.params[p];
}

/** Unwires what read outputs a definition no longer has. */
export function dropOutputReaders(d: Draft<GraphDocument>, name: string, outputs: string[]): void {
  if (!outputs.length) return;
  for (const list of allLists(d)) {
    const instances = new Set(list.filter((n) => n.type === subgraphType(name)).map((n) => n.id));
    for (const n of list)
      for (const [port, ref] of Object.entries(n.inputs ?? {})) {
        const r = parsePortRef(ref);
        if (r && instances.has(r.nodeId) && outputs.includes(r.port)) delete n.inputs![port];
      }
  }
}

/** Whether adding instances of these definitions inside the ones in view would make one include itself. */
export function wouldIncludeItself(doc: GraphDocument, view: readonly ViewFrame[], names: string[]): string | null {
  if (!view.length) return null;
  const open = new Set(view.map((f) => f.name));
  return [...names, ...Object.keys(usedSubgraphs(doc, names))].find((n) => open.has(n)) ?? null;
}
