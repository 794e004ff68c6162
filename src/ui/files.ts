import type { GraphIssue } from '../graph/errors';
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import type { GraphDocument } from '../graph/document';
import { serializeGraph } from '../graph/validate';
import { externalReferences } from '../graph/references';
import { extractGraph, isPng, PNG_GRAPH_KEYWORD } from '../graph/png-graph';
import { getEngine, trackOpening } from './engine-client';
import { useEditor } from './store';
import { showModelNeeds, withModelLock } from './model-need';
import { pasteGraphText } from './shortcuts';
import { insertDefinitions } from './subgraph-edits';
import { docCatalog } from './scope';
import { own } from '../graph/catalog';
import { flushEdits, recordVersion } from './versions';
import { fileSlug } from './file-names';
import { fromBase64Url, toBase64Url } from '../host/base64';

/** Example graphs shipped in graphs/ (and the study's, in graphs/study/), by file name ("study/paths"). */
const exampleFiles = import.meta.glob(['../../graphs/*.json', '../../graphs/study/*.json'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;
export const EXAMPLES: Array<{ name: string; text: string; title: string; description: string }> = Object.entries(
  exampleFiles,
)
  .map(([path, text]) => {
    const meta = (JSON.parse(text) as { meta?: { title?: string; description?: string } }).meta ?? {};
    return {
      name: path.replace(/^.*\/graphs\//, '').replace(/\.json$/, ''),
      text,
      title: meta.title ?? path,
      description: meta.description ?? '',
    };
  })
  .sort((a, b) => a.name.localeCompare(b.name));

/** The source named when the start-up reopens the work of the last visit. */
export const AUTOSAVE_SOURCE = 'the autosave';

/** Validates text in the worker and, only if sound, replaces the document; otherwise shows every issue. */
export function openGraphText(text: string, source: string, opts: { undoable?: boolean } = {}): Promise<boolean> {
  return trackOpening(openGraphTextNow(text, source, opts));
}

async function openGraphTextNow(text: string, source: string, opts: { undoable?: boolean }): Promise<boolean> {
  const r = await getEngine().validateGraph(text);
  performance.mark('studio:validated');
  if (!r.ok) {
    useEditor.setState({ loadIssues: { source, issues: r.issues } });
    return false;
  }
  // opening over a graph is undoable, and the graph it replaced is kept in Recent (and as a version if its
  // last edits had not settled); the graph opened is a version too, the autosave reopened one only if it differs
  const reopened = source === AUTOSAVE_SOURCE;
  if (!reopened) void flushEdits();
  useEditor.getState().replaceDoc(r.graph, opts.undoable === false ? undefined : `open ${source}`);
  void recordVersion(useEditor.getState().doc, reopened ? 'edit' : 'open', source);
  holdReferences(r.graph, source);
  notePlaceholders(r.placeholders, source);
  void showModelNeeds(useEditor.getState().doc);
  return true;
}

/** Says that a graph opened with placeholders (nodes this product cannot run), naming the first ones. */
function notePlaceholders(placeholders: GraphIssue[], source: string): void {
  const ids = [...new Set(placeholders.map((p) => p.nodeId).filter((id): id is string => id !== undefined))];
  if (!ids.length) return;
  const named =
    ids
      .slice(0, 3)
      .map((id) => `"${id}"`)
      .join(', ') + (ids.length > 3 ? ` and ${ids.length - 3} more` : '');
  useEditor
    .getState()
    .notify(
      `${source} opened with ${ids.length} placeholder${ids.length > 1 ? 's' : ''} (${named}): kept as in the ` +
        'file, runs that need them fail',
      'error',
    );
}

/** Whether a param of a node type names a file or URL (its schema says `reference`). */
export function isReferenceParam(type: string, param: string, doc = useEditor.getState().doc): boolean {
  // the graph's subgraph types too: an exposed param of an instance can name a file or URL
  const p = own(docCatalog(useEditor.getState().catalog, doc).get(type)?.params, param);
  return p?.kind === 'string' && (p as { reference?: boolean }).reference === true;
}

/**
 * Lists a graph's external references (files, URLs outside the app) for the user to allow; the
 * engine worker fetches none of them before that. Adds to what is already held (a paste).
 */
export function holdReferences(doc: GraphDocument, source: string): void {
  const refs = externalReferences(doc, (type, param) => isReferenceParam(type, param, doc));
  if (!refs.length) return;
  const held = useEditor.getState().heldRefs;
  useEditor.setState({
    heldRefs: { source: held ? `${held.source} and ${source}` : source, refs: [...(held?.refs ?? []), ...refs] },
  });
}

/** The user allowed the held references: the worker may fetch them now. */
export async function allowHeldReferences(): Promise<void> {
  const held = useEditor.getState().heldRefs;
  if (!held) return;
  await getEngine().allowReferences(held.refs.map((r) => r.value));
  useEditor.setState({ heldRefs: null });
}

/** The graph text of a file: JSON, or the graph inside a PNG the product wrote; null (issues shown) if none. */
async function graphTextOfFile(file: File): Promise<{ text: string; source: string } | null> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (!isPng(bytes)) return { text: new TextDecoder().decode(bytes), source: file.name };
  let text: string | null;
  try {
    text = extractGraph(bytes);
  } catch (e) {
    useEditor.setState({ loadIssues: { source: file.name, issues: [{ message: (e as Error).message }] } });
    return null;
  }
  if (text === null) {
    useEditor.setState({
      loadIssues: {
        source: file.name,
        issues: [{ message: `is a PNG that carries no graph (no ${PNG_GRAPH_KEYWORD} chunk)` }],
      },
    });
    return null;
  }
  return { text, source: `${file.name} (the graph in the picture)` };
}

/** Opens a graph file, or the graph inside a PNG the product wrote (validated like any file). */
export function openGraphFile(file: File): Promise<boolean> {
  // tracked from the first byte read: a Run pressed meanwhile runs this file's graph
  return trackOpening(
    (async () => {
      const got = await graphTextOfFile(file);
      return got ? openGraphText(got.text, got.source) : false;
    })(),
  );
}

/**
 * Inserts a graph file's nodes into the graph shown (a saved subgraph becomes a node of its type):
 * validated like any file, its subgraph definitions merged, one undoable edit.
 */
export async function insertGraphFile(file: File, at?: { x: number; y: number }): Promise<boolean> {
  const got = await graphTextOfFile(file);
  if (!got) return false;
  const r = await getEngine().validateGraph(got.text);
  if (!r.ok) {
    useEditor.setState({ loadIssues: { source: got.source, issues: r.issues } });
    return false;
  }
  holdReferences(r.graph, got.source);
  notePlaceholders(r.placeholders, got.source);
  if (r.graph.nodes.length === 0 && r.graph.subgraphs && Object.keys(r.graph.subgraphs).length) {
    const ids = insertDefinitions(r.graph.subgraphs, at ?? { x: 0, y: 0 });
    useEditor.getState().notify(`inserted ${ids.join(', ')}: double-click to see inside`);
  } else await pasteGraphText(got.text, async () => r.graph, at);
  return true;
}

export async function downloadGraph(shown: GraphDocument): Promise<void> {
  // saved with the models it was made with (its model lock)
  const doc = await withModelLock(shown);
  void recordVersion(doc, 'save');
  const blob = new Blob([serializeGraph(doc)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${fileSlug(doc.meta?.title ?? '') || 'graph'}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/**
 * Longest share link offered. Chromium takes 2 MB URLs, but chat apps, mail clients and many servers
 * cut links far shorter; past this the graph goes out as a file instead.
 */
export const MAX_SHARE_LINK = 32_000;

/** A link carrying the graph deflated (fflate) in the URL hash. */
export function shareLink(doc: GraphDocument): string {
  const packed = toBase64Url(deflateSync(strToU8(serializeGraph(doc)), { level: 9 }));
  return `${location.origin}${location.pathname}#graph=${packed}`;
}

/** The graph text in a share link's hash, or null. */
export function graphFromHash(hash: string): string | null {
  const m = /^#graph=([A-Za-z0-9_-]+)$/.exec(hash);
  if (!m) return null;
  try {
    return strFromU8(inflateSync(fromBase64Url(m[1]!)));
  } catch {
    return '{"error": "the link is damaged"}';
  }
}
