import { describeValue, quoteValue } from '../tensor/quote';
import type { GraphDocument, GraphNode } from './document';

/** The longest summary line: the History panel shows one line per version. */
export const SUMMARY_MAX = 160;
/** Characters of a value shown in a summary ("a red circle" -> "a blue square"). */
const VALUE_MAX = 24;
/** Ids named in one part before "…". */
const IDS_SHOWN = 3;

/**
 * What changed from one graph to the next, in one line for a version list:
 * `red.caption "a red circle" -> "a blue square"; +2 nodes (decoder, up64); wired prior.embedding -> decoder.embedding`
 * Values are quoted short (describeValue); the line is cut to SUMMARY_MAX with how many changes it leaves out.
 * Without a graph before, it says what the graph holds.
 */
export function summarizeChange(before: GraphDocument | null, after: GraphDocument): string {
  if (!before) return `${plural(after.nodes.length, 'node')}${titleOf(after)}`;
  const parts: string[] = [];
  const [t0, t1] = [before.meta?.title ?? '', after.meta?.title ?? ''];
  if (t0 !== t1) parts.push(`title ${quoteValue(t0, VALUE_MAX)} -> ${quoteValue(t1, VALUE_MAX)}`);
  parts.push(...nodeChanges(before.nodes, after.nodes, ''));
  const [s0, s1] = [before.subgraphs ?? {}, after.subgraphs ?? {}];
  const added = Object.keys(s1).filter((n) => !Object.hasOwn(s0, n));
  const removed = Object.keys(s0).filter((n) => !Object.hasOwn(s1, n));
  if (added.length) parts.push(`+${plural(added.length, 'subgraph')} (${names(added)})`);
  if (removed.length) parts.push(`-${plural(removed.length, 'subgraph')} (${names(removed)})`);
  for (const name of Object.keys(s1))
    if (Object.hasOwn(s0, name)) {
      const [d0, d1] = [s0[name]!, s1[name]!];
      const inner = nodeChanges(d0.nodes, d1.nodes, `${name}/`);
      if (!inner.length && !sameValue(d0, d1)) inner.push(`subgraph ${name}'s ports or params`);
      parts.push(...inner);
    }
  if (!parts.length && (before.meta?.description ?? '') !== (after.meta?.description ?? '')) parts.push('description');
  return joinParts(parts.length ? parts : ['layout or details']);
}

/** The changes between two node lists (a graph's, or one subgraph definition's, named with `prefix`). */
function nodeChanges(before: readonly GraphNode[], after: readonly GraphNode[], prefix: string): string[] {
  const old = new Map(before.map((n) => [n.id, n]));
  const now = new Map(after.map((n) => [n.id, n]));
  const added = after.filter((n) => !old.has(n.id)).map((n) => prefix + n.id);
  const removed = before.filter((n) => !now.has(n.id)).map((n) => prefix + n.id);
  const parts: string[] = [];
  if (added.length) parts.push(`+${plural(added.length, 'node')} (${names(added)})`);
  if (removed.length) parts.push(`-${plural(removed.length, 'node')} (${names(removed)})`);
  const params: string[] = [];
  const wires: string[] = [];
  const moved: string[] = [];
  const bypass: string[] = [];
  for (const b of after) {
    const a = old.get(b.id);
    if (!a) continue;
    const id = prefix + b.id;
    if (a.type !== b.type)
      params.push(`${id} type ${quoteValue(a.type, VALUE_MAX)} -> ${quoteValue(b.type, VALUE_MAX)}`);
    for (const key of union(a.params, b.params)) {
      const [x, y] = [a.params?.[key], b.params?.[key]];
      if (!sameValue(x, y))
        params.push(`${id}.${key} ${describeValue(x, VALUE_MAX)} -> ${describeValue(y, VALUE_MAX)}`);
    }
    for (const port of union(a.inputs, b.inputs)) {
      const [x, y] = [a.inputs?.[port], b.inputs?.[port]];
      if (x === y) continue;
      // refs are validated port references ("node.port"), short by the document's rules
      wires.push(
        y === undefined ? `unwired ${id}.${port} (was ${prefix}${x})` : `wired ${prefix}${y} -> ${id}.${port}`,
      );
    }
    if (!!a.bypass !== !!b.bypass) bypass.push(`${b.bypass ? 'bypassed' : 'enabled'} ${id}`);
    if ((a.ui?.x ?? 0) !== (b.ui?.x ?? 0) || (a.ui?.y ?? 0) !== (b.ui?.y ?? 0)) moved.push(id);
  }
  parts.push(...params, ...wires, ...bypass);
  if (moved.length) parts.push(moved.length === 1 ? `moved ${moved[0]}` : `moved ${moved.length} nodes`);
  return parts;
}

/** Parts joined with "; ", cut to SUMMARY_MAX, saying how many more there were. */
function joinParts(parts: string[]): string {
  let line = '';
  for (let i = 0; i < parts.length; i++) {
    const next = line ? `${line}; ${parts[i]}` : parts[i]!;
    const rest = parts.length - i - 1;
    const tail = rest ? `; +${rest} more` : '';
    if (next.length + tail.length > SUMMARY_MAX) {
      if (!line) return `${next.slice(0, SUMMARY_MAX - tail.length - 1)}…${tail}`;
      return `${line}; +${parts.length - i} more`;
    }
    line = next;
  }
  return line;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const names = (ids: string[]) => ids.slice(0, IDS_SHOWN).join(', ') + (ids.length > IDS_SHOWN ? ', …' : '');
const titleOf = (doc: GraphDocument) => (doc.meta?.title ? ` (${quoteValue(doc.meta.title, 40)})` : '');

function union(a: object | undefined, b: object | undefined): string[] {
  return [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])];
}

/** Deep equality without serializing (a value nested past `depth` counts as different). */
export function sameValue(a: unknown, b: unknown, depth = 32): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || depth <= 0) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a),
    kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && sameValue((a as Record<string, unknown>)[k], rb[k], depth - 1));
}
