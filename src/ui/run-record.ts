import { SUMMARY_MAX } from '../graph/change-summary';
import type { GraphDocument } from '../graph/document';
import type { ParamValue } from '../graph/params';
import { diffRecipes, type ChangeSection } from '../graph/recipe-diff';
import { quoteValue } from '../tensor/quote';
import { formatBytes } from '../tensor/bytes';

/**
 * The pure parts of the history of runs (run-history.ts): what changed from one run to the next, which runs a
 * size budget evicts, and the line that says what the history holds. No IndexedDB, no React: tested in Node.
 */

/** What a run is compared by: the graph that ran and where its models ran. */
export interface RunRecipe {
  graph: GraphDocument;
  /** "wasm", "webgpu", "cuda"... ('' when unknown). */
  backend: string;
}

/** The sections of a recipe diff that a run's summary names (layout and the picture chosen are not recipes). */
const RUN_SECTIONS: ChangeSection[] = ['params', 'nodes', 'wires', 'subgraphs', 'models'];

/**
 * Every change from the run before to this one, one line each: params (`seed.value: 7 -> 8`), nodes added or
 * removed (`+ up64 (diffusion/upsample)`), wires, subgraph definitions, the model lock, and the backend. Where a
 * node's param is left out on one side, its default (from `defaultsOf`) stands for it. Moving nodes is no change.
 */
export function runChanges(
  before: RunRecipe,
  after: RunRecipe,
  defaultsOf?: (type: string) => Readonly<Record<string, ParamValue>> | undefined,
): string[] {
  const diff = diffRecipes(
    { graph: before.graph, provenance: null },
    { graph: after.graph, provenance: null },
    {
      defaultsOf,
    },
  );
  const lines = diff.changes.filter((c) => RUN_SECTIONS.includes(c.section)).map((c) => c.text);
  if (before.backend && after.backend && before.backend !== after.backend)
    lines.push(`backend: ${before.backend} -> ${after.backend}`);
  return lines;
}

/** The one line a run's row shows: its changes joined and cut to SUMMARY_MAX, saying how many it leaves out. */
export function runSummary(changes: readonly string[] | null, nodes: number): string {
  if (changes === null) return `first run kept (${nodes} node${nodes === 1 ? '' : 's'})`;
  if (!changes.length) return 'same graph as the run before';
  let line = '';
  for (let i = 0; i < changes.length; i++) {
    const next = line ? `${line}; ${changes[i]}` : changes[i]!;
    const rest = changes.length - i - 1;
    const tail = rest ? `; +${rest} more` : '';
    if (next.length + tail.length > SUMMARY_MAX) {
      if (!line) return `${next.slice(0, SUMMARY_MAX - tail.length - 1)}…${tail}`;
      return `${line}; +${changes.length - i} more`;
    }
    line = next;
  }
  return line;
}

/**
 * What a run's row says of it against the run kept before it: its changes, or that it is the first run kept, or
 * that it ran another graph (no node in common: a list of every node would say less).
 */
export function describeRun(
  before: RunRecipe | null,
  after: RunRecipe,
  defaultsOf?: (type: string) => Readonly<Record<string, ParamValue>> | undefined,
): { summary: string; changes: string[] } {
  const nodes = after.graph.nodes.length;
  if (!before) return { summary: runSummary(null, nodes), changes: [] };
  const ids = new Set(before.graph.nodes.map((n) => n.id));
  if (!after.graph.nodes.some((n) => ids.has(n.id))) {
    const title = after.graph.meta?.title ? `${quoteValue(after.graph.meta.title, 40)} ` : '';
    return { summary: `another graph: ${title}(${nodes} node${nodes === 1 ? '' : 's'})`, changes: [] };
  }
  const changes = runChanges(before, after, defaultsOf);
  return { summary: runSummary(changes, nodes), changes };
}

/** What eviction needs of a run. */
export interface Evictable {
  id: number;
  bytes: number;
  pinned?: boolean;
}

/**
 * The runs a size budget evicts, given newest first: the oldest unpinned ones, one at a time, until what is kept
 * fits. The newest run is always kept (a run larger than the budget still shows), and pinned runs always are, even
 * where they alone exceed the budget.
 */
export function planEviction(newestFirst: readonly Evictable[], budget: number): number[] {
  let total = newestFirst.reduce((sum, r) => sum + r.bytes, 0);
  const drop: number[] = [];
  for (let i = newestFirst.length - 1; i >= 1 && total > budget; i--) {
    const r = newestFirst[i]!;
    if (r.pinned) continue;
    drop.push(r.id);
    total -= r.bytes;
  }
  return drop;
}

/** What the history holds, in one line: "kept 34 runs, 48 MB of 200 MB; 3 oldest evicted". */
export function storageLine(runs: number, bytes: number, budget: number, evicted: number): string {
  const kept = `kept ${runs} run${runs === 1 ? '' : 's'}, ${formatBytes(bytes)} of ${formatBytes(budget)}`;
  return evicted ? `${kept}; ${evicted} oldest evicted` : kept;
}
