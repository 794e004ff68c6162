import { describe, expect, it } from 'vitest';
import { CURRENT_VERSION, GRAPH_FORMAT, type GraphDocument, type GraphNode } from '../../src/graph/document';
import { SUMMARY_MAX, sameValue, summarizeChange } from '../../src/graph/change-summary';

const graph = (nodes: GraphNode[], extra: Partial<GraphDocument> = {}): GraphDocument => ({
  format: GRAPH_FORMAT,
  version: CURRENT_VERSION,
  nodes,
  ...extra,
});
const prompt: GraphNode = { id: 'prompt', type: 'text/prompt', params: { text: 'a red circle' }, ui: { x: 0, y: 0 } };
const prior: GraphNode = { id: 'prior', type: 'unclip/prior', inputs: { text: 'prompt.text' }, ui: { x: 300, y: 0 } };
const decoder: GraphNode = { id: 'decoder', type: 'unclip/decoder', ui: { x: 600, y: 0 } };
const up64: GraphNode = { id: 'up64', type: 'diffusion/upsample', ui: { x: 900, y: 0 } };

describe('summarizeChange', () => {
  it('names a changed param with its old and new values, quoted', () => {
    const after = graph([{ ...prompt, params: { text: 'a blue square' } }]);
    expect(summarizeChange(graph([prompt]), after)).toBe('prompt.text "a red circle" -> "a blue square"');
  });

  it('counts and names added and removed nodes', () => {
    expect(summarizeChange(graph([prompt]), graph([prompt, decoder, up64]))).toBe('+2 nodes (decoder, up64)');
    expect(summarizeChange(graph([prompt, decoder]), graph([prompt]))).toBe('-1 node (decoder)');
  });

  it('names wires made and cut', () => {
    const wired = graph([prompt, prior, { ...decoder, inputs: { embedding: 'prior.embedding' } }]);
    expect(summarizeChange(graph([prompt, prior, decoder]), wired)).toBe('wired prior.embedding -> decoder.embedding');
    expect(summarizeChange(wired, graph([prompt, prior, decoder]))).toBe(
      'unwired decoder.embedding (was prior.embedding)',
    );
  });

  it('says moved, bypassed, a new title and changes inside a subgraph', () => {
    const moved = graph([
      { ...prompt, ui: { x: 50, y: 0 } },
      { ...prior, ui: { x: 10, y: 10 } },
    ]);
    expect(summarizeChange(graph([prompt, prior]), moved)).toBe('moved 2 nodes');
    expect(summarizeChange(graph([prompt]), graph([{ ...prompt, bypass: true }]))).toBe('bypassed prompt');
    expect(summarizeChange(graph([prompt], { meta: { title: 'A' } }), graph([prompt], { meta: { title: 'B' } }))).toBe(
      'title "A" -> "B"',
    );
    const sub = (text: string) => graph([], { subgraphs: { g: { nodes: [{ ...prompt, params: { text } }] } } });
    expect(summarizeChange(sub('x'), sub('y'))).toBe('g/prompt.text "x" -> "y"');
    expect(summarizeChange(graph([]), sub('x'))).toBe('+1 subgraph (g)');
  });

  it('cuts a long value and keeps the line within its limit, saying how many changes it leaves out', () => {
    const huge = 'x'.repeat(5_000_000);
    const line = summarizeChange(graph([prompt]), graph([{ ...prompt, params: { text: huge } }]));
    expect(line).toMatch(/^prompt\.text "a red circle" -> "x{24}…" \(5000000 characters\)$/);
    const many = Array.from({ length: 40 }, (_, i) => ({ ...prompt, id: `p${i}`, params: { text: `v${i}` } }));
    const changed = many.map((n) => ({ ...n, params: { text: `${n.params.text} changed` } }));
    const cut = summarizeChange(graph(many), graph(changed));
    expect(cut.length).toBeLessThanOrEqual(SUMMARY_MAX);
    expect(cut).toMatch(/^p0\.text "v0" -> "v0 changed"; .*; \+\d+ more$/);
  });

  it('describes a first version by what it holds', () => {
    expect(summarizeChange(null, graph([prompt, decoder], { meta: { title: 'Text to image' } }))).toBe(
      '2 nodes ("Text to image")',
    );
  });
});

describe('sameValue', () => {
  it('compares nested values without serializing them, and gives up past its depth', () => {
    expect(sameValue({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] })).toBe(true);
    expect(sameValue({ a: [1] }, { a: [2] })).toBe(false);
    const nest = () => {
      let deep: unknown = 1;
      for (let i = 0; i < 5000; i++) deep = [deep];
      return deep;
    };
    const deep = nest();
    expect(sameValue(deep, deep)).toBe(true); // the same object
    expect(sameValue(deep, nest())).toBe(false); // equal, but past the depth: no stack overflow, counted different
  });
});
