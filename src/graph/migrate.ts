import { own, type NodeCatalog } from './catalog';
import {
  CURRENT_VERSION,
  GRAPH_FORMAT,
  parsePortRef,
  type GraphDocument,
  type GraphNode,
  type SubgraphDef,
} from './document';
import { describeValue, type GraphIssue } from './errors';

/**
 * Migrations from version n to n + 1, applied in order to older documents.
 * Version 2 added subgraph definitions (`subgraphs`), optional: a version-1 document is a valid
 * version-2 document without them. Version 3 added each node's type `version` (absent: 1, what
 * every node type was until then) and the model lock (`models`), both optional.
 * Node types migrate their own params and ports (`migrations` in a node's definition: migrateNodes).
 */
const MIGRATIONS: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>> = {
  2: (doc) => doc,
  3: (doc) => doc,
};

/** Brings a raw document to the current version, or reports why it cannot. */
export function migrate(raw: unknown): { doc: Record<string, unknown> } | { issues: GraphIssue[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { issues: [{ message: 'a graph file must hold a JSON object' }] };
  }
  let doc = raw as Record<string, unknown>;
  if (doc.format !== GRAPH_FORMAT) {
    return { issues: [{ field: 'format', message: `must be "${GRAPH_FORMAT}", got ${describeValue(doc.format)}` }] };
  }
  const version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { issues: [{ field: 'version', message: `must be a positive integer, got ${describeValue(version)}` }] };
  }
  if (version > CURRENT_VERSION) {
    return {
      issues: [
        {
          field: 'version',
          message: `version ${version} was made by a newer unclip-studio (this one reads up to ${CURRENT_VERSION})`,
        },
      ],
    };
  }
  for (let v = version; v < CURRENT_VERSION; v++) {
    const step = MIGRATIONS[v + 1];
    if (!step) return { issues: [{ field: 'version', message: `no migration from version ${v}` }] };
    doc = { ...step(doc), version: v + 1 };
  }
  return { doc };
}

/**
 * Brings one scope's nodes (the graph's, or a subgraph's) to their types' versions, in place; a
 * subgraph definition's outputs and exposed params follow renamed outputs and params.
 */
function migrateScope(nodes: GraphNode[], catalog: NodeCatalog, def?: SubgraphDef): void {
  const renamed = new Map<string, Record<string, string>>();
  const renamedParams = new Map<string, Record<string, string>>();
  for (const node of nodes) {
    const spec = catalog.get(node.type);
    if (!spec || spec.type.startsWith('subgraph/')) continue;
    const saved = node.version ?? 1;
    if (saved > spec.version) continue; // from a newer product: a placeholder says so (validate)
    let current = { params: { ...node.params }, inputs: { ...node.inputs } };
    for (let v = saved + 1; v <= spec.version; v++) {
      const step = own(spec.migrations, String(v));
      if (!step) continue;
      const { outputs, renamedParams: moved, ...next } = step(current);
      current = next;
      if (outputs) renamed.set(node.id, { ...renamed.get(node.id), ...outputs });
      if (moved) renamedParams.set(node.id, { ...renamedParams.get(node.id), ...moved });
    }
    if (saved < spec.version) {
      node.params = current.params;
      node.inputs = current.inputs;
      if (!Object.keys(node.params).length) delete node.params;
      if (!Object.keys(node.inputs).length) delete node.inputs;
    }
    node.version = spec.version;
  }
  const follow = (ref: string): string => {
    const r = parsePortRef(ref);
    const to = r && own(renamed.get(r.nodeId), r.port);
    return to ? `${r.nodeId}.${to}` : ref;
  };
  if (renamed.size)
    for (const node of nodes)
      for (const [port, ref] of Object.entries(node.inputs ?? {})) node.inputs![port] = follow(ref);
  if (!def) return;
  for (const [name, ref] of Object.entries(def.outputs ?? {})) def.outputs![name] = follow(ref);
  for (const exposed of Object.values(def.params ?? {})) {
    const to = own(renamedParams.get(exposed.node), exposed.param);
    if (to) exposed.param = to;
  }
}

/**
 * Brings every node of a (schema-checked, owned) document to its type's current version, in place:
 * each node type's own migrations upgrade its params and wires (as tldraw and InvokeAI version
 * each shape or node). A node saved by a newer product keeps its version and opens as a placeholder.
 */
export function migrateNodes(doc: Pick<GraphDocument, 'nodes' | 'subgraphs'>, catalog: NodeCatalog): void {
  migrateScope(doc.nodes, catalog);
  for (const def of Object.values(doc.subgraphs ?? {})) migrateScope(def.nodes, catalog, def);
}
