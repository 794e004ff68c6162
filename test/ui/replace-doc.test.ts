import { beforeEach, describe, expect, it } from 'vitest';
import { CURRENT_VERSION, emptyGraph, GRAPH_FORMAT, type GraphDocument } from '../../src/graph/document';
import { useEditor } from '../../src/ui/store';

const graph = (title: string): GraphDocument => ({
  format: GRAPH_FORMAT,
  version: CURRENT_VERSION,
  meta: { title },
  nodes: [{ id: 'prompt', type: 'text/prompt', params: { text: title }, ui: { x: 0, y: 0 } }],
});
const state = () => useEditor.getState();

beforeEach(() => state().replaceDoc(graph('start-up')));

describe('replacing the whole graph', () => {
  it('starts history afresh without a label (the start-up), so there is nothing to undo', () => {
    expect(state().past).toEqual([]);
    expect(state().doc.meta?.title).toBe('start-up');
  });

  it('New then Open is undone step by step: back to the empty graph New made, then to the graph before', () => {
    state().replaceDoc(emptyGraph(), 'new graph');
    state().replaceDoc(graph('opened'), 'open opened.json');
    expect(state().past.map((e) => e.label)).toEqual(['new graph', 'open opened.json']);
    state().undo();
    expect(state().doc).toEqual(emptyGraph());
    state().undo();
    expect(state().doc.meta?.title).toBe('start-up');
    state().redo();
    state().redo();
    expect(state().doc.meta?.title).toBe('opened');
  });

  it('keeps the history of a graph emptied by hand when another one is opened over it', () => {
    state().change('delete prompt', (d) => {
      d.nodes = [];
    });
    state().replaceDoc(graph('opened'), 'open opened.json');
    state().undo();
    expect(state().doc.nodes).toEqual([]);
    state().undo();
    expect(state().doc.meta?.title).toBe('start-up');
  });

  it('adds no step for New over the same empty graph, and keeps the steps before it', () => {
    state().replaceDoc(emptyGraph(), 'new graph');
    state().replaceDoc(emptyGraph(), 'new graph');
    expect(state().past.map((e) => e.label)).toEqual(['new graph']);
  });
});
