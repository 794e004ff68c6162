import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CURRENT_VERSION, emptyGraph, GRAPH_FORMAT, type GraphDocument } from '../../src/graph/document';
import { HistoryStore } from '../../src/ui/history-db';
import { useEditor } from '../../src/ui/store';
import {
  flushEdits,
  loadVersions,
  recordVersion,
  resetVersions,
  savedWork,
  SETTLE_MS,
  useVersions,
  versionStore,
  versionText,
  versionsWritten,
  watchEdits,
} from '../../src/ui/versions';

const graph = (text: string, title = 'Prompt'): GraphDocument => ({
  format: GRAPH_FORMAT,
  version: CURRENT_VERSION,
  meta: { title },
  nodes: [{ id: 'prompt', type: 'text/prompt', params: { text }, ui: { x: 0, y: 0 } }],
});
const summaries = () => useVersions.getState().versions.map((v) => v.summary);
const setPrompt = (text: string) =>
  useEditor.getState().change('set prompt.text', (d) => {
    d.nodes[0]!.params = { text };
  });

let n = 0;
beforeEach(() => {
  resetVersions();
  versionStore(new HistoryStore(`versions-test-${++n}`));
  useEditor.getState().replaceDoc(emptyGraph());
});

describe('versions of the graph', () => {
  it('keeps an opened graph, then each change with a summary from the version before, never a copy', async () => {
    useEditor.getState().replaceDoc(graph('a red circle'));
    await recordVersion(useEditor.getState().doc, 'open', 'prompt.json');
    setPrompt('a blue square');
    await recordVersion(useEditor.getState().doc, 'edit');
    await recordVersion(useEditor.getState().doc, 'save'); // unchanged: no new version
    expect(summaries()).toEqual(['prompt.text "a red circle" -> "a blue square"', 'opened prompt.json (1 node)']);
    const [newest, oldest] = useVersions.getState().versions;
    expect(JSON.parse((await versionText(oldest!.id))!)).toEqual(graph('a red circle'));
    expect(newest!.cause).toBe('edit');
  });

  it('keeps the edited graph once edits settle: a burst of edits is one version', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    vi.stubGlobal('window', new EventTarget()); // where the page's pagehide is heard
    const stop = watchEdits();
    useEditor.getState().replaceDoc(graph('one'));
    await recordVersion(useEditor.getState().doc, 'open', 'one.json');
    setPrompt('two');
    vi.advanceTimersByTime(SETTLE_MS / 2);
    setPrompt('three');
    vi.advanceTimersByTime(SETTLE_MS - 1);
    await versionsWritten();
    expect(summaries()).toEqual(['opened one.json (1 node)']);
    vi.advanceTimersByTime(1);
    await versionsWritten();
    expect(summaries()).toEqual(['prompt.text "one" -> "three"', 'opened one.json (1 node)']);
    // edits not settled are kept before the graph is replaced
    setPrompt('four');
    await flushEdits();
    expect(summaries()[0]).toBe('prompt.text "three" -> "four"');
    stop();
  });

  it('survives a reload: a fresh start reads the list, and the summary compares with the stored newest', async () => {
    await recordVersion(graph('kept'), 'open', 'kept.json');
    resetVersions(); // a reload: nothing in memory, the same database
    await loadVersions();
    expect(summaries()).toEqual(['opened kept.json (1 node)']);
    await recordVersion(graph('kept, then edited'), 'edit');
    expect(summaries()[0]).toBe('prompt.text "kept" -> "kept, then edited"');
    // without a working copy in localStorage, the start-up reopens the newest version
    expect(JSON.parse((await savedWork())!)).toEqual(graph('kept, then edited'));
  });

  it('keeps the last 50', async () => {
    for (let i = 0; i < 53; i++) void recordVersion(graph(`v${i}`), 'edit');
    await versionsWritten();
    await loadVersions();
    expect(useVersions.getState().versions.length).toBe(50);
    expect(summaries()[0]).toBe('prompt.text "v51" -> "v52"');
  });

  it('a restore is one undoable step, also over an empty graph', () => {
    useEditor.getState().replaceDoc(emptyGraph(), 'new graph');
    useEditor.getState().replaceDoc(graph('restored'), 'restore the version of 12:00', { restore: true });
    expect(useEditor.getState().doc.nodes.length).toBe(1);
    expect(useEditor.getState().past.at(-1)!.label).toBe('restore the version of 12:00');
    useEditor.getState().undo();
    expect(useEditor.getState().doc.nodes.length).toBe(0);
  });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});
