/**
 * What differs between two pictures' recipes: the graphs (params per node, nodes added or removed, wires,
 * subgraph definitions, the model lock) and, where both pictures carry provenance, the models, the product's and
 * onnxruntime's versions and the backends. Pure: the CLI's `graph diff` and `run x.png` print what this returns.
 *
 * The graphs come validated (parseGraph), so ids, port references and sizes are bounded; values are still quoted
 * briefly (describeValue), and nothing is ever serialized into a line whole.
 */
import { describeValue, quoteValue } from '../tensor/quote';
import type { GraphDocument, GraphNode } from './document';
import type { ParamValue } from './params';
import { BACKEND_NAMES, type Provenance, type ProvenanceModel } from './provenance';

/** One side of a diff: a graph (null for a PNG with no graph) and its provenance (null where there is none). */
export interface Recipe {
  graph: GraphDocument | null;
  provenance: Provenance | null;
}

export type ChangeSection = 'params' | 'nodes' | 'wires' | 'subgraphs' | 'models' | 'versions' | 'backend' | 'picture';

export interface RecipeChange {
  section: ChangeSection;
  /** One line for a user: what it is, then `a -> b`. */
  text: string;
}

export interface RecipeDiff {
  changes: RecipeChange[];
  /** What could not be compared, and why (a side without provenance, say). */
  notes: string[];
}

export interface DiffOptions {
  /** Each node type's param defaults, so a param left out on one side and set to its default on the other agrees. */
  defaultsOf?: (type: string) => Readonly<Record<string, ParamValue>> | undefined;
  /** How the two sides are named in notes (default "a" and "b"). */
  names?: [string, string];
}

/** Fields of a node that are not its recipe: where it sits on the canvas. */
const NOT_RECIPE = new Set(['id', 'ui', 'type', 'params', 'inputs', 'bypass']);

/** An id as printed: validated ids are short; anything else is quoted and cut. */
const name = (s: string) => (/^[A-Za-z0-9_./-]{1,100}$/.test(s) ? s : quoteValue(s, 40));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const shortHash = (h: string) => `${h.slice(0, 12)}…`;

function diffNodes(
  a: readonly GraphNode[],
  b: readonly GraphNode[],
  where: string,
  opts: DiffOptions,
  out: RecipeChange[],
): void {
  const inA = new Map(a.map((n) => [n.id, n]));
  const inB = new Map(b.map((n) => [n.id, n]));
  for (const n of a)
    if (!inB.has(n.id)) out.push({ section: 'nodes', text: `${where}- ${name(n.id)} (${name(n.type)})` });
  for (const n of b)
    if (!inA.has(n.id)) out.push({ section: 'nodes', text: `${where}+ ${name(n.id)} (${name(n.type)})` });
  for (const na of a) {
    const nb = inB.get(na.id);
    if (!nb) continue;
    const id = `${where}${name(na.id)}`;
    if (na.type !== nb.type) {
      out.push({ section: 'nodes', text: `${id} type: ${name(na.type)} -> ${name(nb.type)}` });
      continue; // another type's params and wires are not comparable one by one
    }
    const defaults = opts.defaultsOf?.(na.type) ?? {};
    const pa = { ...defaults, ...na.params };
    const pb = { ...defaults, ...nb.params };
    for (const key of union(Object.keys(pa), Object.keys(pb))) {
      const va = Object.hasOwn(pa, key) ? pa[key] : undefined;
      const vb = Object.hasOwn(pb, key) ? pb[key] : undefined;
      if (va !== vb)
        out.push({ section: 'params', text: `${id}.${name(key)}: ${describeValue(va)} -> ${describeValue(vb)}` });
    }
    const ia = na.inputs ?? {};
    const ib = nb.inputs ?? {};
    for (const port of union(Object.keys(ia), Object.keys(ib))) {
      const ra = Object.hasOwn(ia, port) ? name(ia[port]!) : '(none)';
      const rb = Object.hasOwn(ib, port) ? name(ib[port]!) : '(none)';
      if (ra !== rb) out.push({ section: 'wires', text: `${id}.${name(port)}: ${ra} -> ${rb}` });
    }
    if (!!na.bypass !== !!nb.bypass)
      out.push({ section: 'nodes', text: `${id} bypass: ${na.bypass ? 'on' : 'off'} -> ${nb.bypass ? 'on' : 'off'}` });
    // fields a newer document may add to a node (its version, say): compared, named, quoted briefly
    const extraA = na as Record<string, unknown>;
    const extraB = nb as Record<string, unknown>;
    for (const key of union(Object.keys(extraA), Object.keys(extraB)))
      if (!NOT_RECIPE.has(key) && !same(extraA[key], extraB[key]))
        out.push({
          section: 'nodes',
          text: `${id} ${name(key)}: ${describeValue(extraA[key])} -> ${describeValue(extraB[key])}`,
        });
  }
}

function union(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])];
}

function diffGraphs(a: GraphDocument, b: GraphDocument, opts: DiffOptions, out: RecipeChange[]): void {
  diffNodes(a.nodes, b.nodes, '', opts, out);
  const sa = a.subgraphs ?? {};
  const sb = b.subgraphs ?? {};
  for (const key of union(Object.keys(sa), Object.keys(sb))) {
    const da = Object.hasOwn(sa, key) ? sa[key] : undefined;
    const db = Object.hasOwn(sb, key) ? sb[key] : undefined;
    if (!da || !db) {
      out.push({ section: 'subgraphs', text: `${da ? '-' : '+'} ${name(key)}` });
      continue;
    }
    for (const part of ['inputs', 'outputs', 'params'] as const)
      if (!same(da[part] ?? {}, db[part] ?? {}))
        out.push({ section: 'subgraphs', text: `${name(key)}: its ${part} differ` });
    diffNodes(da.nodes, db.nodes, `${name(key)}: `, opts, out);
  }
  // the graph's model lock, where the document has one: compared like provenance's models
  const lockA = (a as { models?: unknown }).models;
  const lockB = (b as { models?: unknown }).models;
  if (Array.isArray(lockA) && Array.isArray(lockB))
    diffModels(lockA as ProvenanceModel[], lockB as ProvenanceModel[], 'lock ', out);
  else if (Array.isArray(lockA) !== Array.isArray(lockB))
    out.push({ section: 'models', text: `lock: ${lockA ? 'present' : 'none'} -> ${lockB ? 'present' : 'none'}` });
}

const MB = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e6 ? 3 : 1)} MB`;
const backendName = (b: string | undefined) =>
  b === undefined ? '(not run)' : ((BACKEND_NAMES as Record<string, string | undefined>)[b] ?? name(b));

function diffModels(
  a: readonly ProvenanceModel[],
  b: readonly ProvenanceModel[],
  prefix: string,
  out: RecipeChange[],
): void {
  const keyOf = (m: ProvenanceModel) => `${m.source}\n${m.id}`;
  const label = (m: ProvenanceModel) =>
    `${prefix}${name(m.id)}${m.source ? ` (from ${quoteValue(m.source, 60)})` : ''}`;
  const inA = new Map(a.map((m) => [keyOf(m), m]));
  const inB = new Map(b.map((m) => [keyOf(m), m]));
  for (const m of a)
    if (!inB.has(keyOf(m))) out.push({ section: 'models', text: `- ${label(m)} sha256 ${shortHash(m.sha256)}` });
  for (const m of b)
    if (!inA.has(keyOf(m))) out.push({ section: 'models', text: `+ ${label(m)} sha256 ${shortHash(m.sha256)}` });
  for (const ma of a) {
    const mb = inB.get(keyOf(ma));
    if (!mb) continue;
    if (ma.sha256 !== mb.sha256)
      out.push({ section: 'models', text: `${label(ma)} sha256: ${shortHash(ma.sha256)} -> ${shortHash(mb.sha256)}` });
    if (ma.bytes !== mb.bytes)
      out.push({ section: 'models', text: `${label(ma)} size: ${MB(ma.bytes)} -> ${MB(mb.bytes)}` });
    if (ma.backend !== mb.backend)
      out.push({
        section: 'backend',
        text: `${label(ma)} ran on ${backendName(ma.backend)} -> ${backendName(mb.backend)}`,
      });
  }
}

function diffProvenance(a: Provenance, b: Provenance, out: RecipeChange[]): void {
  if (a.product.version !== b.product.version)
    out.push({ section: 'versions', text: `unclip-studio: ${a.product.version} -> ${b.product.version}` });
  const rt = (r: Provenance['runtime']) => (r ? `${r.name} ${r.version}` : '(no models)');
  if (!same(a.runtime, b.runtime))
    out.push({ section: 'versions', text: `onnxruntime: ${rt(a.runtime)} -> ${rt(b.runtime)}` });
  const bk = (list: readonly string[]) => (list.length ? list.map(backendName).join(' + ') : '(none)');
  if (!same(a.backends, b.backends)) out.push({ section: 'backend', text: `${bk(a.backends)} -> ${bk(b.backends)}` });
  diffModels(a.models, b.models, '', out);
  const pic = (p: Provenance['picture']) => (p ? `${name(p.node)}.${name(p.port)} #${p.index}` : '(unnamed)');
  if (!same(a.picture, b.picture)) out.push({ section: 'picture', text: `${pic(a.picture)} -> ${pic(b.picture)}` });
}

/** Every difference between two recipes, in a stable order: graph first, then models, versions and backends. */
export function diffRecipes(a: Recipe, b: Recipe, opts: DiffOptions = {}): RecipeDiff {
  const [nameA, nameB] = opts.names ?? ['a', 'b'];
  const changes: RecipeChange[] = [];
  const notes: string[] = [];
  if (a.graph && b.graph) diffGraphs(a.graph, b.graph, opts, changes);
  else if (a.graph || b.graph) notes.push(`${a.graph ? nameB : nameA} carries no graph: the graphs are not compared`);
  if (a.provenance && b.provenance) diffProvenance(a.provenance, b.provenance, changes);
  else if (a.provenance || b.provenance)
    notes.push(`${a.provenance ? nameB : nameA} carries no provenance: models, versions and backends are not compared`);
  else notes.push('neither carries provenance: models, versions and backends are not compared');
  const order: ChangeSection[] = ['params', 'nodes', 'wires', 'subgraphs', 'models', 'versions', 'backend', 'picture'];
  changes.sort((x, y) => order.indexOf(x.section) - order.indexOf(y.section));
  return { changes, notes };
}

/** The diff as lines: one per change, its section in a column, then a summary line. */
export function formatRecipeDiff(diff: RecipeDiff): string[] {
  const lines = diff.changes.map((c) => `  ${c.section.padEnd(9)} ${c.text}`);
  for (const n of diff.notes) lines.push(`  note: ${n}`);
  if (diff.changes.length === 0) lines.push('the recipes are the same');
  else {
    const counts = new Map<string, number>();
    for (const c of diff.changes) counts.set(c.section, (counts.get(c.section) ?? 0) + 1);
    lines.push(`the recipes differ: ${[...counts].map(([s, n]) => `${n} in ${s}`).join(', ')}`);
  }
  return lines;
}
