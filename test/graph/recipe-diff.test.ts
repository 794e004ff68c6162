import { describe, expect, it } from 'vitest';
import { CURRENT_VERSION, type GraphDocument } from '../../src/graph/document';
import type { Provenance } from '../../src/graph/provenance';
import { diffRecipes, formatRecipeDiff, type Recipe } from '../../src/graph/recipe-diff';

const graph = (nodes: object[], subgraphs?: object): GraphDocument =>
  ({
    format: 'unclip-studio/graph',
    version: CURRENT_VERSION,
    nodes,
    ...(subgraphs ? { subgraphs } : {}),
  }) as GraphDocument;

const base = graph([
  { id: 'clip', type: 'clip/load-model', params: { model: 'mini-clip' }, ui: { x: 0, y: 0 } },
  { id: 'seed', type: 'value/int', params: { value: 5 } },
  { id: 'rank', type: 'rank/clip-rank', params: { k: 2 }, inputs: { model: 'clip.model' } },
]);

const provenance: Provenance = {
  format: 'unclip-studio/provenance',
  version: 1,
  product: { name: 'unclip-studio', version: '0.3.0' },
  runtime: { name: 'onnxruntime-web', version: '1.30.0' },
  backends: ['wasm'],
  models: [{ id: 'mini-clip-text', sha256: 'a'.repeat(64), bytes: 2_513_723, source: '', backend: 'wasm' }],
  picture: { node: 'rank', port: 'top', index: 0 },
};

const texts = (a: Recipe, b: Recipe, defaults?: Record<string, Record<string, number | string>>) =>
  diffRecipes(a, b, defaults ? { defaultsOf: (t) => defaults[t] } : {}).changes.map((c) => `${c.section} ${c.text}`);

describe('what differs between two recipes', () => {
  it('finds nothing between a recipe and itself, and ignores where nodes sit on the canvas', () => {
    const moved = structuredClone(base);
    moved.nodes[0]!.ui = { x: 500, y: 9 };
    const diff = diffRecipes({ graph: base, provenance }, { graph: moved, provenance });
    expect(diff).toEqual({ changes: [], notes: [] });
    expect(formatRecipeDiff(diff)).toEqual(['the recipes are the same']);
  });

  it('names each changed param with its node, a -> b, and counts a left-out param as its default', () => {
    const b = structuredClone(base);
    b.nodes[1]!.params = { value: 6 };
    b.nodes[2]!.params = {}; // k left out: its default, 2, is what a had
    expect(
      texts({ graph: base, provenance: null }, { graph: b, provenance: null }, { 'rank/clip-rank': { k: 2 } }),
    ).toEqual(['params seed.value: 5 -> 6']);
    // without defaults a left-out param reads as nothing
    expect(texts({ graph: base, provenance: null }, { graph: b, provenance: null })).toContain(
      'params rank.k: 2 -> nothing',
    );
  });

  it('quotes a long or hostile value briefly, never whole', () => {
    const b = structuredClone(base);
    b.nodes[0]!.params = { model: 'x'.repeat(100_000) };
    const [line] = texts({ graph: base, provenance: null }, { graph: b, provenance: null });
    expect(line).toMatch(/^params clip\.model: "mini-clip" -> "x{60}…" \(100000 characters\)$/);
  });

  it('lists nodes added and removed, a changed type, wires and bypass', () => {
    const b = graph([
      { id: 'clip', type: 'clip/load-model', params: { model: 'mini-clip' } },
      { id: 'clip2', type: 'clip/load-model', params: { model: 'mini-clip' } },
      { id: 'seed', type: 'value/float', params: { value: 5 } },
      { id: 'rank', type: 'rank/clip-rank', params: { k: 2 }, inputs: { model: 'clip2.model', extra: 'seed.value' } },
      { id: 'up', type: 'diffusion/upsample', bypass: true },
    ]);
    const a = graph([...base.nodes, { id: 'up', type: 'diffusion/upsample' }, { id: 'gone', type: 'text/prompt' }]);
    expect(texts({ graph: a, provenance: null }, { graph: b, provenance: null })).toEqual([
      'nodes - gone (text/prompt)',
      'nodes + clip2 (clip/load-model)',
      'nodes seed type: value/int -> value/float',
      'nodes up bypass: off -> on',
      'wires rank.model: clip.model -> clip2.model',
      'wires rank.extra: (none) -> seed.value',
    ]);
  });

  it("compares a node's fields a newer document adds (its version), naming them briefly", () => {
    const b = structuredClone(base);
    (b.nodes[2] as Record<string, unknown>).version = 2;
    expect(texts({ graph: base, provenance: null }, { graph: b, provenance: null })).toEqual([
      'nodes rank version: nothing -> 2',
    ]);
  });

  it('diffs inside subgraph definitions, and names definitions added or removed', () => {
    const def = (guidance: number) => ({
      inputs: {},
      outputs: { image: 'dec.image' },
      nodes: [{ id: 'dec', type: 'diffusion/decode', params: { guidance } }],
    });
    const a = graph(base.nodes, { stack: def(3), old: def(1) });
    const b = graph(base.nodes, { stack: { ...def(4), outputs: { picture: 'dec.image' } }, fresh: def(1) });
    expect(texts({ graph: a, provenance: null }, { graph: b, provenance: null })).toEqual([
      'params stack: dec.guidance: 3 -> 4',
      'subgraphs stack: its outputs differ',
      'subgraphs - old',
      'subgraphs + fresh',
    ]);
  });

  it('names models by id with their sha256 cut short, sizes, backends, versions and the picture', () => {
    const b: Provenance = {
      ...provenance,
      product: { name: 'unclip-studio', version: '0.4.0' },
      runtime: { name: 'onnxruntime-node', version: '1.31.0' },
      backends: ['cpu'],
      models: [
        { id: 'mini-clip-text', sha256: 'c'.repeat(64), bytes: 2_600_000, source: '', backend: 'cpu' },
        { id: 'mini-clip-image', sha256: 'd'.repeat(64), bytes: 3_000_000, source: 'models/manifest.json' },
      ],
      picture: { node: 'rank', port: 'top', index: 1 },
    };
    expect(texts({ graph: base, provenance }, { graph: base, provenance: b })).toEqual([
      'models + mini-clip-image (from "models/manifest.json") sha256 dddddddddddd…',
      'models mini-clip-text sha256: aaaaaaaaaaaa… -> cccccccccccc…',
      'models mini-clip-text size: 2.5 MB -> 2.6 MB',
      'versions unclip-studio: 0.3.0 -> 0.4.0',
      'versions onnxruntime: onnxruntime-web 1.30.0 -> onnxruntime-node 1.31.0',
      'backend WASM -> native CPU',
      'backend mini-clip-text ran on WASM -> native CPU',
      'picture rank.top #0 -> rank.top #1',
    ]);
  });

  it('compares the graphs alone when a side has no provenance, and says so', () => {
    const diff = diffRecipes(
      { graph: base, provenance },
      { graph: base, provenance: null },
      { names: ['a.png', 'b.json'] },
    );
    expect(diff.changes).toEqual([]);
    expect(diff.notes).toEqual(['b.json carries no provenance: models, versions and backends are not compared']);
    expect(formatRecipeDiff(diff)).toEqual([
      '  note: b.json carries no provenance: models, versions and backends are not compared',
      'the recipes are the same',
    ]);
    expect(diffRecipes({ graph: null, provenance }, { graph: base, provenance }).notes).toEqual([
      'a carries no graph: the graphs are not compared',
    ]);
  });

  it('formats one line per change with its section, then counts by section', () => {
    const b = structuredClone(base);
    b.nodes[1]!.params = { value: 7 };
    const lines = formatRecipeDiff(
      diffRecipes({ graph: base, provenance }, { graph: b, provenance: { ...provenance, backends: ['webgpu'] } }),
    );
    expect(lines).toEqual([
      '  params    seed.value: 5 -> 7',
      '  backend   WASM -> WebGPU',
      'the recipes differ: 1 in params, 1 in backend',
    ]);
  });
});
