import type { GraphDocument } from './document';
import { allNodes } from './subgraph';

/** A file or URL a graph's node would read. */
export interface GraphReference {
  nodeId: string;
  param: string;
  value: string;
}

/**
 * True for a reference to the app's own files (a relative path inside the app, like
 * "examples/red-circle.png" or "models/manifest.json") or a data: URL (its bytes are in the
 * graph; nothing is fetched). Anything else (another origin, an absolute path, a way up by "..")
 * is external.
 */
export function isBundledReference(value: string): boolean {
  const v = value.trim();
  if (v === '' || /^data:/i.test(v)) return true;
  if (/^[a-z][a-z0-9+.-]*:/i.test(v) || v.startsWith('/') || v.startsWith('\\')) return false;
  return !v.split(/[/\\]/).some((seg) => seg === '..') && !/%2e%2e|%2f|%5c/i.test(v);
}

/** The external references of a graph: values of params its node types mark as references. */
export function externalReferences(
  doc: GraphDocument,
  isReference: (type: string, param: string) => boolean,
): GraphReference[] {
  const out: GraphReference[] = [];
  // nodes inside subgraph definitions too (ids "<subgraph>/<id>")
  for (const n of allNodes(doc)) {
    for (const [param, value] of Object.entries(n.params ?? {})) {
      if (typeof value === 'string' && isReference(n.type, param) && !isBundledReference(value))
        out.push({ nodeId: n.id, param, value });
    }
  }
  return out;
}
