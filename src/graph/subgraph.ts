/**
 * Subgraphs: a named group of nodes kept in the document (`subgraphs`), used as a node of type
 * `subgraph/<name>`. Its inputs feed inner ports through refs "$in.<input>", its outputs name inner
 * ports, and it exposes chosen inner params as params of its own. Definitions may use other
 * definitions (not themselves, directly or not). The engine runs a graph with subgraphs by
 * flattening it: an instance "g" becomes its inner nodes "g/<id>" plus one pass-through node "g"
 * whose outputs are the inner outputs, so memo keys stay per node and an edit inside a definition
 * re-runs only what depends on it.
 */
import { own, type NodeSpec } from './catalog';
import { parsePortRef, type GraphDocument, type GraphNode, type SubgraphDef } from './document';
import type { GraphIssue } from './errors';
import type { ParamValue } from './params';
import { isPortType, type PortType } from './ports';

export const SUBGRAPH_PREFIX = 'subgraph/';
/** Inner refs to a subgraph's inputs: "$in.<name>". */
export const INPUT_REF = /^\$in\.([A-Za-z_][A-Za-z0-9_]{0,63})$/;
/** Most nodes a graph may expand to with its subgraphs inlined (definitions used in definitions grow fast). */
export const MAX_EXPANDED_NODES = 50_000;
/** Deepest nesting of subgraphs in subgraphs. */
export const MAX_SUBGRAPH_DEPTH = 16;

/** "refine" -> "subgraph/refine": the node type of a definition's instances. */
export function subgraphType(name: string): string {
  return `${SUBGRAPH_PREFIX}${name}`;
}

/** The names of the definitions some nodes are instances of. */
export function subgraphNamesOf(nodes: readonly GraphNode[]): string[] {
  return nodes.map((n) => subgraphName(n.type)).filter((x): x is string => x !== null);
}

/** "subgraph/refine" -> "refine", else null. */
export function subgraphName(type: string): string | null {
  return type.startsWith(SUBGRAPH_PREFIX) ? type.slice(SUBGRAPH_PREFIX.length) : null;
}

/** The minimum of a node type the subgraph checks need (engine specs and the editor's catalog both fit). */
export type SpecLike = Pick<NodeSpec, 'type' | 'title' | 'description' | 'version' | 'inputs' | 'outputs'> & {
  params: Record<string, { default: ParamValue; label?: string }>;
};

/** The names of the definitions a list of nodes uses directly. */
function usedDefinitions(nodes: readonly GraphNode[]): string[] {
  return [...new Set(subgraphNamesOf(nodes))];
}

/** A chain of definitions that includes itself ("a" -> "b" -> "a"), or null. */
export function findSubgraphCycle(subgraphs: Record<string, SubgraphDef>): string[] | null {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === 2 || !Object.hasOwn(subgraphs, name)) return null;
    if (state.get(name) === 1) return stack.slice(stack.indexOf(name)).concat(name);
    state.set(name, 1);
    stack.push(name);
    for (const used of usedDefinitions(subgraphs[name]!.nodes)) {
      const c = visit(used);
      if (c) return c;
    }
    stack.pop();
    state.set(name, 2);
    return null;
  };
  for (const name of Object.keys(subgraphs)) {
    const c = visit(name);
    if (c) return c;
  }
  return null;
}

/** Definitions in an order where each comes after those it uses (assumes no cycle). */
function dependencyOrder(subgraphs: Record<string, SubgraphDef>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || !Object.hasOwn(subgraphs, name)) return;
    seen.add(name);
    usedDefinitions(subgraphs[name]!.nodes).forEach(visit);
    out.push(name);
  };
  Object.keys(subgraphs).forEach(visit);
  return out;
}

/** Nodes each definition expands to, inlined (to refuse a document that would blow up). */
function expandedSizes(subgraphs: Record<string, SubgraphDef>, order: string[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const name of order) {
    let n = 0;
    for (const node of subgraphs[name]!.nodes) {
      const inner = subgraphName(node.type);
      n += 1 + (inner ? (sizes.get(inner) ?? 0) : 0);
    }
    sizes.set(name, Math.min(n, Number.MAX_SAFE_INTEGER));
  }
  return sizes;
}

/**
 * Node specs for a document's subgraph types, with every issue of the definitions (each names the
 * subgraph, and the inner node and field). `checkNodes` validates a list of nodes against a catalog
 * (the validator's own check, passed in so this module does not depend on it).
 */
export function subgraphSpecs<S extends SpecLike>(
  doc: Pick<GraphDocument, 'subgraphs' | 'nodes'>,
  catalog: ReadonlyMap<string, S>,
  checkNodes: (
    nodes: readonly GraphNode[],
    catalog: ReadonlyMap<string, S>,
    inputs: Record<string, PortType>,
  ) => GraphIssue[],
): { specs: Map<string, S>; issues: GraphIssue[] } {
  const subgraphs = doc.subgraphs ?? {};
  const specs = new Map<string, S>();
  const issues: GraphIssue[] = [];
  const cycle = findSubgraphCycle(subgraphs);
  if (cycle) {
    issues.push({
      subgraph: cycle[0],
      message: `subgraph "${cycle[0]}" includes itself: ${cycle.map((c) => `"${c}"`).join(' -> ')}`,
    });
    return { specs, issues };
  }
  const order = dependencyOrder(subgraphs);
  const sizes = expandedSizes(subgraphs, order);
  const depth = new Map<string, number>();
  for (const name of order) {
    const used = usedDefinitions(subgraphs[name]!.nodes);
    depth.set(name, 1 + Math.max(0, ...used.map((u) => depth.get(u) ?? 0)));
  }
  let total = doc.nodes.length;
  for (const n of doc.nodes) {
    const inner = subgraphName(n.type);
    if (inner) total += sizes.get(inner) ?? 0;
  }
  if (total > MAX_EXPANDED_NODES) {
    issues.push({ message: `with its subgraphs inlined the graph has ${total} nodes (at most ${MAX_EXPANDED_NODES})` });
    return { specs, issues };
  }
  const merged = new Map<string, S>(catalog);
  for (const name of order) {
    const def = subgraphs[name]!;
    const at = (field?: string, nodeId?: string) => ({ subgraph: name, ...(nodeId ? { nodeId } : {}), field });
    if ((depth.get(name) ?? 0) > MAX_SUBGRAPH_DEPTH) {
      issues.push({ ...at(), message: `subgraphs nest ${depth.get(name)} deep (at most ${MAX_SUBGRAPH_DEPTH})` });
      continue;
    }
    const inputTypes: Record<string, PortType> = {};
    for (const [input, decl] of Object.entries(def.inputs ?? {})) {
      if (isPortType(decl.type)) inputTypes[input] = decl.type;
      else issues.push({ ...at(`inputs.${input}.type`), message: `unknown port type "${decl.type.slice(0, 40)}"` });
    }
    const inner = checkNodes(def.nodes, merged, inputTypes);
    issues.push(...inner.map((i) => ({ ...i, subgraph: name })));
    const byId = new Map(def.nodes.map((n) => [n.id, n]));
    // an input is optional when every inner port it feeds is
    const fed = new Map<string, boolean>();
    for (const n of def.nodes) {
      const spec = merged.get(n.type);
      for (const [port, ref] of Object.entries(n.inputs ?? {})) {
        const m = INPUT_REF.exec(ref);
        if (!m) continue;
        // an input is required as soon as one port it feeds is
        fed.set(m[1]!, (fed.get(m[1]!) ?? true) && !!own(spec?.inputs, port)?.optional);
      }
    }
    const inputs: NodeSpec['inputs'] = {};
    for (const [input, type] of Object.entries(inputTypes)) {
      const decl = def.inputs![input]!;
      inputs[input] = {
        type,
        optional: fed.get(input) ?? true,
        ...(decl.description ? { description: decl.description } : {}),
      };
    }
    const outputs: Record<string, PortType> = {};
    for (const [output, ref] of Object.entries(def.outputs ?? {})) {
      const r = parsePortRef(ref);
      const source = r && byId.get(r.nodeId);
      const type = source && own(merged.get(source.type)?.outputs, r.port);
      if (!type) {
        issues.push({
          ...at(`outputs.${output}`),
          message: r
            ? `"${ref}" is not an output of a node in the subgraph`
            : `"${ref}" is not a "node.port" reference`,
        });
        continue;
      }
      outputs[output] = type;
    }
    const params: Record<string, unknown> = {};
    for (const [param, exposed] of Object.entries(def.params ?? {})) {
      const node = byId.get(exposed.node);
      const schema = node && own(merged.get(node.type)?.params, exposed.param);
      if (!node || !schema) {
        issues.push({
          ...at(`params.${param}`),
          message: node
            ? `node "${exposed.node}" (${node.type}) has no param "${exposed.param}"`
            : `exposes a param of node "${exposed.node}", which is not in the subgraph`,
        });
        continue;
      }
      params[param] = {
        ...schema,
        default: own(node.params, exposed.param) ?? schema.default,
        label: exposed.label ?? schema.label ?? param,
      };
    }
    const spec = {
      type: subgraphType(name),
      version: 1,
      title: def.title ?? name,
      description: def.description ?? `a subgraph of ${def.nodes.length} node${def.nodes.length === 1 ? '' : 's'}`,
      inputs,
      outputs,
      params,
    } as unknown as S;
    specs.set(spec.type, spec);
    merged.set(spec.type, spec);
  }
  return { specs, issues };
}

/** What the engine needs of one instance after flattening. */
export interface FlatInstance {
  /** The flat id of the instance ("g" or "outer/g"). */
  id: string;
  name: string;
  /** Exposed param -> the flat id of the inner node it sets, and that node's param. */
  params: Record<string, { nodeId: string; param: string }>;
}

/**
 * Inlines every subgraph instance. Assumes a validated document. Instances become pass-through
 * nodes of their own type fed by the inner outputs; inner ids are "<instance>/<id>" (a "/" never
 * appears in a saved id, so they cannot collide with the graph's own nodes).
 */
export function flattenGraph(doc: Pick<GraphDocument, 'nodes' | 'subgraphs'>): {
  nodes: GraphNode[];
  instances: Map<string, FlatInstance>;
} {
  const subgraphs = doc.subgraphs ?? {};
  const nodes: GraphNode[] = [];
  const instances = new Map<string, FlatInstance>();
  const expand = (
    list: readonly GraphNode[],
    prefix: string,
    outer: Record<string, string | undefined>,
    overrides: Map<string, Record<string, ParamValue>>,
  ) => {
    const resolve = (ref: string): string | undefined => {
      const m = INPUT_REF.exec(ref);
      return m ? outer[m[1]!] : `${prefix}${ref}`;
    };
    for (const n of list) {
      const id = `${prefix}${n.id}`;
      const inputs: Record<string, string> = {};
      for (const [port, ref] of Object.entries(n.inputs ?? {})) {
        const r = resolve(ref);
        if (r !== undefined) inputs[port] = r;
      }
      const params = { ...n.params, ...overrides.get(n.id) };
      const name = subgraphName(n.type);
      const def = name !== null && Object.hasOwn(subgraphs, name) ? subgraphs[name]! : undefined;
      if (!def) {
        // a plain node, or an instance of a definition the graph lacks (a placeholder: it stays one node)
        nodes.push({ ...n, id, inputs, params });
        continue;
      }
      const innerOverrides = new Map<string, Record<string, ParamValue>>();
      const exposed: FlatInstance['params'] = {};
      for (const [param, e] of Object.entries(def.params ?? {})) {
        exposed[param] = { nodeId: `${id}/${e.node}`, param: e.param };
        const v = params[param];
        if (v !== undefined) innerOverrides.set(e.node, { ...innerOverrides.get(e.node), [e.param]: v });
      }
      instances.set(id, { id, name: name!, params: exposed });
      expand(def.nodes, `${id}/`, inputs, innerOverrides);
      const through: Record<string, string> = {};
      for (const [output, ref] of Object.entries(def.outputs ?? {})) through[output] = `${id}/${ref}`;
      nodes.push({ id, type: n.type, params, inputs: through, ...(n.ui ? { ui: n.ui } : {}) });
    }
  };
  expand(doc.nodes, '', {}, new Map());
  return { nodes, instances };
}

/** Every node of a document, its subgraphs' nodes included (ids "<subgraph>/<id>" for those). */
export function allNodes(doc: Pick<GraphDocument, 'nodes' | 'subgraphs'>): Array<GraphNode & { subgraph?: string }> {
  const out: Array<GraphNode & { subgraph?: string }> = [...doc.nodes];
  for (const [name, def] of Object.entries(doc.subgraphs ?? {}))
    for (const n of def.nodes) out.push({ ...n, id: `${name}/${n.id}`, subgraph: name });
  return out;
}
