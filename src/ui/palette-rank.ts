import type { NodeInfo } from '../engine/api';

/** What the palette searches in a node type. */
export type Searchable = Pick<NodeInfo, 'title' | 'type' | 'family' | 'description' | 'inputs' | 'outputs'>;

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

/** Whether a node type matches the query anywhere: title, type, family, description or port types. */
export function matchesQuery(info: Searchable, query: string): boolean {
  const hay = fold(
    [
      info.title,
      info.type,
      info.family,
      info.description,
      ...Object.values(info.outputs),
      ...Object.values(info.inputs).map((i) => i.type),
    ].join(' '),
  );
  return fold(query)
    .split(/\s+/)
    .every((w) => hay.includes(w));
}

/**
 * How well a node type matches what was typed in the palette, lower first; null when it does not match. The title
 * decides before anything else: the title itself (0), the title starting with the query (1); every word of the query a
 * word of the title before its parenthesis ("dVAE decode": 2), starting one there ("decoder's": 3) or anywhere in the
 * title (4); the query inside the title (5); then the type ("clip/text-encode": 6), then the family, description and
 * port types (7). So "decode" finds Decode first, and Inpaint, whose title says "decoder" in its parenthesis, after.
 */
export function paletteRank(info: Searchable, query: string): number | null {
  const q = fold(query).trim().replace(/\s+/g, ' ');
  if (!q) return 0;
  const title = fold(info.title);
  if (title === q) return 0;
  if (title.startsWith(q)) return 1;
  const qWords = words(q);
  const head = words(info.title.replace(/\(.*$/, ''));
  if (qWords.length && qWords.every((w) => head.includes(w))) return 2;
  if (qWords.length && startsWords(qWords, head)) return 3;
  if (qWords.length && startsWords(qWords, words(info.title))) return 4;
  const spaced = q.split(' ');
  if (spaced.every((w) => title.includes(w))) return 5;
  if (spaced.every((w) => fold(info.type).includes(w))) return 6;
  return matchesQuery(info, q) ? 7 : null;
}

/** The items that match the query, best first; equal ranks keep their order (the registry's palette order). */
export function rankByQuery<T>(items: readonly T[], info: (item: T) => Searchable, query: string): T[] {
  return items
    .map((item, i) => ({ item, i, rank: paletteRank(info(item), query) }))
    .filter((r): r is { item: T; i: number; rank: number } => r.rank !== null)
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((r) => r.item);
}
