import type { NodeInfo } from '../engine/api';

/**
 * The editor's searches (the node palette, the Examples menu): what was typed is looked for in a title first, then
 * in the other texts of an item, and the best matches come first, so Enter (which takes the first) takes the one
 * named.
 */

/** Lower case, accents and DALL·E's middle dot dropped: "dalle" finds "DALL·E sample". */
function fold(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f·]/g, '')
    .toLowerCase();
}

const words = (s: string) =>
  fold(s)
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

/** Every query word starts one of the words. */
const startsWords = (query: string[], hay: string[]) => query.every((q) => hay.some((w) => w.startsWith(q)));

/** Every word of the query (split at spaces) is in one of the texts. */
export function containsQuery(texts: string[], query: string): boolean {
  const hay = fold(texts.join(' '));
  return fold(query)
    .split(/\s+/)
    .every((w) => hay.includes(w));
}

/**
 * How well a title matches the query, lower first; null when it does not: the title itself (0), the title starting
 * with the query (1); every word of the query a word of the title before its parenthesis ("dVAE decode" for
 * "decode": 2), starting one there ("decoder's": 3) or anywhere in the title (4); the query inside the title (5).
 * An empty query matches every title (0).
 */
export function titleRank(titleText: string, query: string): number | null {
  const q = fold(query).trim().replace(/\s+/g, ' ');
  if (!q) return 0;
  const title = fold(titleText);
  if (title === q) return 0;
  if (title.startsWith(q)) return 1;
  const qWords = words(q);
  const head = words(titleText.replace(/\(.*$/, ''));
  if (qWords.length && qWords.every((w) => head.includes(w))) return 2;
  if (qWords.length && startsWords(qWords, head)) return 3;
  if (qWords.length && startsWords(qWords, words(titleText))) return 4;
  return q.split(' ').every((w) => title.includes(w)) ? 5 : null;
}

/** The rank past every title's: for matches in an item's other texts (6, 7, ... in the order they are given). */
export const AFTER_TITLE = 6;

/**
 * A title's rank, else the first of the other texts (in order) that holds the query: AFTER_TITLE for the first,
 * one more for each next; null when none does.
 */
export function searchRank(title: string, others: string[][], query: string): number | null {
  const rank = titleRank(title, query);
  if (rank !== null) return rank;
  const at = others.findIndex((texts) => containsQuery(texts, query));
  return at < 0 ? null : AFTER_TITLE + at;
}

/** The items that match, best first; equal ranks keep their order (the palette's registry order, the names'). */
export function rankByQuery<T>(items: readonly T[], rank: (item: T) => number | null): T[] {
  return items
    .map((item, i) => ({ item, i, rank: rank(item) }))
    .filter((r): r is { item: T; i: number; rank: number } => r.rank !== null)
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((r) => r.item);
}

/** What the palette searches in a node type. */
export type Searchable = Pick<NodeInfo, 'title' | 'type' | 'family' | 'description' | 'inputs' | 'outputs'>;

/**
 * How well a node type matches what was typed in the palette (lower first, null: no match): its title decides
 * first (titleRank), then its type ("clip/text-encode"), then its family, description and port types. So "decode"
 * finds Decode first, and Inpaint, whose title says "decoder" in its parenthesis, after dVAE decode.
 */
export function paletteRank(info: Searchable, query: string): number | null {
  return searchRank(
    info.title,
    [
      [info.type],
      [info.family, info.description, ...Object.values(info.outputs), ...Object.values(info.inputs).map((i) => i.type)],
    ],
    query,
  );
}
