import type { z } from 'zod';
import { own, type NodeCatalog, type NodeSpec } from './catalog';
import { graphSchema, NODE_ID_PATTERN, parsePortRef, type GraphDocument, type GraphNode } from './document';
import { describeValue, GraphError, quoteValue, type GraphIssue } from './errors';
import { migrate, migrateNodes } from './migrate';
import { checkParam } from './params';
import { connectionRefusal, type PortType } from './ports';
import { INPUT_REF, subgraphName, subgraphSpecs } from './subgraph';

/** A key from a file named in a message: cut, so a 5 MB key is not echoed whole. */
export function keyName(key: string): string {
  return key.length <= 64 ? key : `${key.slice(0, 64)}…`;
}

/** A zod path as a field ("nodes.3.params.steps"), each key cut; undefined when empty. */
function fieldOf(path: string[]): string | undefined {
  return path.map(keyName).join('.') || undefined;
}

function unknownFields(keys: string[]): string {
  const listed = keys.slice(0, 5).map((k) => quoteValue(k, 40));
  const more = keys.length > 5 ? ` and ${keys.length - 5} more` : '';
  return `unknown field${keys.length > 1 ? 's' : ''} ${listed.join(', ')}${more}`;
}

function zodIssues(error: z.ZodError, raw: Record<string, unknown>): GraphIssue[] {
  const nodes = Array.isArray(raw.nodes) ? raw.nodes : [];
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    if (path[0] === 'nodes' && path.length >= 2) {
      const index = Number(path[1]);
      const node = nodes[index] as { id?: unknown } | undefined;
      // an id that failed its pattern may be anything (5 MB of markup): the node is named by position then
      const nodeId = node && typeof node.id === 'string' && NODE_ID_PATTERN.test(node.id) ? node.id : `#${index}`;
      const message = issue.code === 'unrecognized_keys' ? unknownFields(issue.keys) : issue.message;
      return { nodeId, field: fieldOf(path.slice(2)), message };
    }
    if (issue.code === 'unrecognized_keys') return { field: fieldOf(path), message: unknownFields(issue.keys) };
    return { field: fieldOf(path), message: issue.message };
  });
}

/** "unknown param of embedding/slerp (it has t)". */
function unknownOf(what: string, spec: { type: string }, has: Record<string, unknown>): string {
  return `unknown ${what} of ${spec.type} (it has ${Object.keys(has).join(', ') || 'none'})`;
}

/** What a placeholder check needs of a node type: names only (the editor's catalog has no validators). */
export type PlaceholderSpec = Pick<NodeSpec, 'type' | 'version'> & {
  inputs: Record<string, unknown>;
  params: Record<string, unknown>;
};

/**
 * Why a node opens as a placeholder (empty when it does not): an unknown type, a version from a
 * newer product, or params and input ports its type does not have. Names only: wires and values
 * are checked elsewhere. Shared by the loader and the editor, so both say the same.
 */
export function placeholderReasons(node: GraphNode, spec: PlaceholderSpec | undefined): GraphIssue[] {
  const id = node.id;
  if (!spec) {
    const name = subgraphName(node.type);
    const message = name
      ? `unknown node type ${quoteValue(node.type)} (the graph defines no subgraph ${quoteValue(name)})`
      : `unknown node type ${quoteValue(node.type)}`;
    return [{ nodeId: id, field: 'type', message, placeholder: true }];
  }
  if ((node.version ?? 1) > spec.version)
    return [
      {
        nodeId: id,
        field: 'version',
        message:
          `${spec.type} version ${node.version} was saved by a newer unclip-studio (this one knows up to ` +
          `version ${spec.version})`,
        placeholder: true,
      },
    ];
  // a subgraph instance's definition is in the same file: an unknown param or port there is an error (checkNode)
  if (subgraphName(node.type)) return [];
  const out: GraphIssue[] = [];
  for (const name of Object.keys(node.params ?? {}))
    if (!own(spec.params, name))
      out.push({
        nodeId: id,
        field: `params.${keyName(name)}`,
        message: unknownOf('param', spec, spec.params),
        placeholder: true,
      });
  for (const port of Object.keys(node.inputs ?? {}))
    if (!own(spec.inputs, port))
      out.push({
        nodeId: id,
        field: `inputs.${keyName(port)}`,
        message: unknownOf('input port', spec, spec.inputs),
        placeholder: true,
      });
  return out;
}

function checkNode(
  node: GraphNode,
  spec: NodeSpec,
  byId: Map<string, GraphNode>,
  catalog: NodeCatalog,
  issues: GraphIssue[],
  subgraphInputs: Record<string, PortType> | null,
): void {
  const id = node.id;
  // an unknown param or port (a newer product's, or a type's older ports): the node opens as a placeholder,
  // kept as in the file, and only its wires are checked
  const reasons = placeholderReasons(node, spec);
  if (reasons.length) {
    issues.push(...reasons);
    checkWires(node, byId, issues);
    return;
  }
  if (node.bypass && subgraphName(node.type))
    issues.push({ nodeId: id, field: 'bypass', message: 'a subgraph cannot be bypassed (bypass nodes inside it)' });
  for (const [name, value] of Object.entries(node.params ?? {})) {
    const schema = own(spec.params, name);
    if (!schema) {
      // only a subgraph instance gets here (elsewhere an unknown param makes a placeholder): its definition is in
      // the same file, so an unknown param is a broken file, not a newer product's node
      issues.push({ nodeId: id, field: `params.${keyName(name)}`, message: unknownOf('param', spec, spec.params) });
      continue;
    }
    const error = checkParam(schema, value);
    if (error) issues.push({ nodeId: id, field: `params.${name}`, message: `${error} (got ${describeValue(value)})` });
  }
  const inputs = node.inputs ?? {};
  for (const [port, ref] of Object.entries(inputs)) {
    const input = own(spec.inputs, port);
    if (!input) {
      issues.push({
        nodeId: id,
        field: `inputs.${keyName(port)}`,
        message: unknownOf('input port', spec, spec.inputs),
      });
      continue;
    }
    const fromInput = INPUT_REF.exec(ref);
    if (fromInput) {
      const type = own(subgraphInputs ?? undefined, fromInput[1]!);
      if (!subgraphInputs)
        issues.push({
          nodeId: id,
          field: `inputs.${port}`,
          message: `"$in." refers to a subgraph's inputs: only nodes inside a subgraph may use it`,
        });
      else if (!type)
        issues.push({
          nodeId: id,
          field: `inputs.${port}`,
          message:
            `the subgraph has no input "${fromInput[1]}" ` +
            `(it has ${Object.keys(subgraphInputs).join(', ') || 'none'})`,
        });
      else {
        const refusal = connectionRefusal(type, input.type);
        if (refusal) issues.push({ nodeId: id, field: `inputs.${port}`, message: `type mismatch: ${refusal}` });
      }
      continue;
    }
    const parsed = parsePortRef(ref);
    if (!parsed || parsed.nodeId.includes('/')) {
      issues.push({
        nodeId: id,
        field: `inputs.${port}`,
        message: `${quoteValue(ref)} is not a "node.port" reference`,
      });
      continue;
    }
    const source = byId.get(parsed.nodeId);
    if (!source) {
      issues.push({
        nodeId: id,
        field: `inputs.${port}`,
        message: `refers to node "${parsed.nodeId}", which does not exist`,
      });
      continue;
    }
    const sourceSpec = catalog.get(source.type);
    // a placeholder source (reported on it) may have outputs this product's type lacks: its readers wait for it
    if (!sourceSpec || placeholderReasons(source, sourceSpec).length) continue;
    const outType = own(sourceSpec.outputs, parsed.port);
    if (!outType) {
      issues.push({
        nodeId: id,
        field: `inputs.${port}`,
        message:
          `node "${parsed.nodeId}" (${source.type}) has no output "${parsed.port}" (it has ` +
          `${Object.keys(sourceSpec.outputs).join(', ') || 'none'})`,
      });
      continue;
    }
    const refusal = connectionRefusal(outType, input.type);
    if (refusal) issues.push({ nodeId: id, field: `inputs.${port}`, message: `type mismatch: ${refusal}` });
  }
  for (const [port, input] of Object.entries(spec.inputs)) {
    if (!input.optional && !Object.hasOwn(inputs, port)) {
      issues.push({ nodeId: id, field: `inputs.${port}`, message: `required input (${input.type}) is not connected` });
    }
  }
}

/** A placeholder's wires: each a "node.port" or "$in." reference; a node it names must exist. */
function checkWires(node: GraphNode, byId: Map<string, GraphNode>, issues: GraphIssue[]): void {
  for (const [port, ref] of Object.entries(node.inputs ?? {})) {
    if (INPUT_REF.test(ref)) continue;
    const parsed = parsePortRef(ref);
    if (!parsed || parsed.nodeId.includes('/'))
      issues.push({
        nodeId: node.id,
        field: `inputs.${keyName(port)}`,
        message: `${quoteValue(ref)} is not a "node.port" reference`,
      });
    else if (!byId.has(parsed.nodeId))
      issues.push({
        nodeId: node.id,
        field: `inputs.${keyName(port)}`,
        message: `refers to node "${parsed.nodeId}", which does not exist`,
      });
  }
}

/**
 * Why one node cannot run as it stands, or null: the first placeholder issue of its own (an unknown
 * type, a newer version, an unknown param or input port). Its wires are checked elsewhere.
 */
export function placeholderIssue(node: GraphNode, catalog: NodeCatalog): GraphIssue | null {
  return placeholderReasons(node, catalog.get(node.type))[0] ?? null;
}

/** Finds one cycle (as the ids along it), or null. */
export function findCycle(nodes: readonly GraphNode[]): string[] | null {
  const deps = new Map(
    nodes.map((n) => [
      n.id,
      Object.values(n.inputs ?? {})
        .map((r) => parsePortRef(r)?.nodeId)
        .filter((x): x is string => !!x),
    ]),
  );
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 2 || !deps.has(id)) return null;
    if (state.get(id) === 1) return stack.slice(stack.indexOf(id)).concat(id);
    state.set(id, 1);
    stack.push(id);
    for (const d of deps.get(id)!) {
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(id, 2);
    return null;
  };
  for (const n of nodes) {
    const c = visit(n.id);
    if (c) return c.reverse();
  }
  return null;
}

/** Every issue of a list of nodes against a catalog; inside a subgraph, `subgraphInputs` types its "$in." refs. */
export function checkNodes(
  nodes: readonly GraphNode[],
  catalog: NodeCatalog,
  subgraphInputs: Record<string, PortType> | null = null,
): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const byId = new Map<string, GraphNode>();
  for (const node of nodes) {
    if (byId.has(node.id)) issues.push({ nodeId: node.id, field: 'id', message: 'duplicate node id' });
    else byId.set(node.id, node);
  }
  for (const node of nodes) {
    const spec = catalog.get(node.type);
    if (!spec || (node.version ?? 1) > spec.version) {
      // a placeholder: kept as in the file; only its wires are checked (they must name nodes of the graph)
      issues.push(...placeholderReasons(node, spec));
      checkWires(node, byId, issues);
      continue;
    }
    checkNode(node, spec, byId, catalog, issues, subgraphInputs);
  }
  const cycle = findCycle(nodes);
  if (cycle) issues.push({ nodeId: cycle[0], message: `cycle: ${cycle.map((c) => `"${c}"`).join(' -> ')}` });
  return issues;
}

/** The catalog with a document's subgraph types added, and the definitions' issues. */
export function documentCatalog(
  doc: Pick<GraphDocument, 'nodes' | 'subgraphs'>,
  catalog: NodeCatalog,
): { catalog: NodeCatalog; issues: GraphIssue[] } {
  if (!doc.subgraphs || !Object.keys(doc.subgraphs).length) return { catalog, issues: [] };
  const { specs, issues } = subgraphSpecs(doc, catalog, (nodes, c, inputs) => checkNodes(nodes, c, inputs));
  return { catalog: new Map([...catalog, ...specs]), issues };
}

/** Every issue of a document against a catalog (empty when it is sound). */
export function validateGraph(doc: GraphDocument, catalog: NodeCatalog): GraphIssue[] {
  const { catalog: full, issues } = documentCatalog(doc, catalog);
  // a definition that could not be checked (a cycle, too big) is reported once, not on each instance
  const unchecked = (type: string) => {
    const name = subgraphName(type);
    return name !== null && Object.hasOwn(doc.subgraphs ?? {}, name) && !full.has(type);
  };
  const top = checkNodes(doc.nodes, full).filter(
    (i) => !(i.field === 'type' && unchecked(doc.nodes.find((n) => n.id === i.nodeId)?.type ?? '')),
  );
  return [...issues, ...top];
}

/**
 * Parses and validates a graph (JSON text or a parsed value). Returns a new
 * document; throws GraphError listing every issue. Never mutates its input.
 */
export function parseGraph(input: string | unknown, catalog: NodeCatalog): GraphDocument {
  return loadGraph(input, catalog).doc;
}

/**
 * Parses, migrates and validates a graph (JSON text or a parsed value): the document, and the
 * issues of the nodes that open as placeholders (they fail only the runs that need them). Throws
 * GraphError listing every other issue. Never mutates its input.
 */
export function loadGraph(
  input: string | unknown,
  catalog: NodeCatalog,
): { doc: GraphDocument; placeholders: GraphIssue[] } {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (e) {
      throw new GraphError([{ message: `not valid JSON: ${(e as Error).message}` }]);
    }
  }
  const migrated = migrate(raw);
  if ('issues' in migrated) throw new GraphError(migrated.issues);
  const parsed = graphSchema.safeParse(migrated.doc);
  if (!parsed.success) throw new GraphError(zodIssues(parsed.error, migrated.doc));
  const doc = structuredClone(parsed.data);
  migrateNodes(doc, documentCatalog(doc, catalog).catalog);
  const issues = validateGraph(doc, catalog);
  const errors = issues.filter((i) => !i.placeholder);
  if (errors.length) throw new GraphError(errors);
  // a placeholder is kept exactly as in the file (no version recorded, no migration applied)
  for (const issue of issues) {
    const scope = issue.subgraph === undefined ? doc.nodes : doc.subgraphs?.[issue.subgraph]?.nodes;
    const was = (
      issue.subgraph === undefined ? parsed.data.nodes : parsed.data.subgraphs?.[issue.subgraph]?.nodes
    )?.find((n) => n.id === issue.nodeId);
    const at = scope?.findIndex((n) => n.id === issue.nodeId) ?? -1;
    if (was && at >= 0) scope![at] = structuredClone(was);
  }
  return { doc, placeholders: issues };
}

/** Canonical JSON text of a document (stable key order in nodes, two-space indent). */
export function serializeGraph(doc: GraphDocument): string {
  const node = (n: GraphNode) => ({
    id: n.id,
    type: n.type,
    ...(n.version !== undefined ? { version: n.version } : {}),
    ...(n.params && Object.keys(n.params).length ? { params: n.params } : {}),
    ...(n.inputs && Object.keys(n.inputs).length ? { inputs: n.inputs } : {}),
    ...(n.bypass ? { bypass: true } : {}),
    ...(n.ui ? { ui: n.ui } : {}),
  });
  const subgraphs =
    doc.subgraphs && Object.keys(doc.subgraphs).length
      ? {
          subgraphs: Object.fromEntries(
            Object.entries(doc.subgraphs).map(([name, def]) => [name, { ...def, nodes: def.nodes.map(node) }]),
          ),
        }
      : {};
  return (
    JSON.stringify(
      {
        format: doc.format,
        version: doc.version,
        ...(doc.meta ? { meta: doc.meta } : {}),
        nodes: doc.nodes.map(node),
        ...(doc.models?.length ? { models: doc.models } : {}),
        ...subgraphs,
      },
      null,
      2,
    ) + '\n'
  );
}
