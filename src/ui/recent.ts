import type { GraphDocument } from '../graph/document';
import { serializeGraph } from '../graph/validate';

export const RECENT_KEY = 'unclip-studio:recent:v1';
const KEEP = 8;

export interface RecentGraph {
  title: string;
  savedAt: number;
  text: string;
}

/** Graphs that New, Open or an example replaced, newest first (kept in the browser, 8 at most). */
export function recentGraphs(): RecentGraph[] {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]') as unknown;
    return Array.isArray(list)
      ? list.filter((r): r is RecentGraph => typeof r?.text === 'string' && typeof r?.title === 'string')
      : [];
  } catch {
    return [];
  }
}

/** Keeps a graph that is about to be replaced (the same text twice is kept once). */
export function rememberRecent(doc: GraphDocument): void {
  if (typeof localStorage === 'undefined' || doc.nodes.length === 0) return;
  const text = serializeGraph(doc);
  const list = [
    { title: doc.meta?.title ?? 'Untitled', savedAt: Date.now(), text },
    ...recentGraphs().filter((r) => r.text !== text),
  ].slice(0, KEEP);
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(list));
  } catch {
    // storage full: keep what fits
    localStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, 2)));
  }
}
