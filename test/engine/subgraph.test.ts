import { describe, expect, it } from 'vitest';
import { GraphError, type GraphIssue } from '../../src/graph/errors';
import { parseGraph, serializeGraph } from '../../src/graph/validate';
import { MAX_EXPANDED_NODES } from '../../src/graph/subgraph';
import { CURRENT_VERSION } from '../../src/graph/document';
import { testNodes } from './helpers';

/** add2: x -> (x + k1) + k2, with k2 exposed as "boost". */
const add2 = {
  title: 'Add twice',
  inputs: { x: { type: 'Number' } },
  outputs: { y: 'second.value' },
  params: { boost: { node: 'second', param: 'k' } },
  nodes: [
    { id: 'first', type: 'test/add', params: { k: 1 }, inputs: { x: '$in.x' } },
    { id: 'second', type: 'test/add', params: { k: 10 }, inputs: { x: 'first.value' } },
  ],
};

function doc(nodes: unknown[], subgraphs: Record<string, unknown> = { add2 }) {
  return { format: 'unclip-studio/graph', version: 2, nodes, subgraphs };
}

const grouped = doc([
  { id: 'src', type: 'test/const', params: { value: 5 } },
  { id: 'g', type: 'subgraph/add2', inputs: { x: 'src.value' } },
  { id: 'h', type: 'subgraph/add2', params: { boost: 100 }, inputs: { x: 'g.y' } },
  { id: 'out', type: 'test/add', params: { k: 0 }, inputs: { x: 'h.y' } },
]);

const line = (i: GraphIssue) =>
  `${i.placeholder ? 'placeholder ' : ''}${i.subgraph ?? ''}|${i.nodeId ?? ''}|${i.field ?? ''}|${i.message}`;
/** Why a graph is refused; or, when it opens, why its placeholders cannot run ("placeholder ..."). */
const issuesOf = (input: unknown) => {
  const t = testNodes();
  try {
    return t.engine.loadWithPlaceholders(input).placeholders.map(line);
  } catch (e) {
    if (!(e instanceof GraphError)) throw e;
    return e.issues.map(line);
  }
};

describe('subgraphs', () => {
  it('run like the nodes they group, an exposed param overriding the inner value per instance', async () => {
    const t = testNodes(grouped);
    const r = await t.engine.run();
    expect(r.ok).toBe(true);
    // g: 5 + 1 + 10 = 16; h: 16 + 1 + 100 = 117
    expect(t.engine.outputsOf('g')!.y).toBe(16);
    expect(t.engine.outputsOf('out')!.value).toBe(117);
    // inner nodes run under "<instance>/<id>" and can be inspected
    expect([...t.runs.keys()].sort()).toEqual(['g/first', 'g/second', 'h/first', 'h/second', 'out', 'src']);
    expect(t.engine.outputsOf('h/second')!.value).toBe(117);
  });

  it('an exposed param set on one instance re-runs only that instance and what is downstream', async () => {
    const t = testNodes(grouped);
    await t.engine.run();
    t.runs.clear();
    t.engine.setParam('h', 'boost', 1000);
    await t.engine.run();
    expect([...t.runs.keys()].sort()).toEqual(['h/second', 'out']);
    expect(t.engine.outputsOf('out')!.value).toBe(1017);
    // the loaded document keeps the value (it is what a saved PNG carries)
    expect(t.engine.graph!.nodes.find((n) => n.id === 'h')!.params).toEqual({ boost: 1000 });
    expect(() => t.engine.setParam('h', 'nope', 1)).toThrow(/unknown param of subgraph\/add2/);
    expect(() => t.engine.setParam('h', 'boost', 'x')).toThrow(/must be a number/);
    expect(() => t.engine.setParam('h/first', 'k', 3)).toThrow(/inside subgraph instance "h"/);
  });

  it('editing inside a definition re-runs only the inner nodes that depend on the edit', async () => {
    const t = testNodes(grouped);
    await t.engine.run();
    t.runs.clear();
    const edited = structuredClone(grouped);
    (edited.subgraphs.add2 as typeof add2).nodes[1]!.params.k = 20; // "second": overridden in h, not in g
    t.engine.load(edited);
    await t.engine.run();
    expect([...t.runs.keys()].sort()).toEqual(['g/second', 'h/first', 'h/second', 'out']);
    expect(t.engine.outputsOf('out')!.value).toBe(5 + 1 + 20 + 1 + 100);
    // the instance's own key carries the definition's hash: a layout change keeps it, a port change does not
    const before = t.engine.keyOf('h');
    const moved = structuredClone(edited);
    (moved.subgraphs.add2 as typeof add2 & { ui?: unknown }).ui = { in: { x: 1, y: 2 } };
    t.engine.load(moved);
    await t.engine.run();
    expect(t.engine.keyOf('h')).toBe(before);
  });

  it('a change to a side branch inside a definition re-runs only that branch', async () => {
    const t = testNodes();
    const withSide = (k: number) =>
      doc(
        [
          { id: 'src', type: 'test/const', params: { value: 1 } },
          { id: 'g', type: 'subgraph/s', inputs: { x: 'src.value' } },
          { id: 'out', type: 'test/add', inputs: { x: 'g.y' } },
        ],
        {
          s: {
            inputs: { x: { type: 'Number' } },
            outputs: { y: 'main.value' },
            nodes: [
              { id: 'main', type: 'test/add', inputs: { x: '$in.x' } },
              { id: 'side', type: 'test/add', params: { k }, inputs: { x: '$in.x' } },
            ],
          },
        },
      );
    t.engine.load(withSide(1));
    await t.engine.run();
    t.runs.clear();
    t.engine.load(withSide(2));
    await t.engine.run();
    expect([...t.runs.keys()]).toEqual(['g/side']);
  });

  it('names from Object.prototype are refused as params, ports and outputs, with GraphErrors', () => {
    const sub = (extra: Record<string, unknown>) => ({
      inputs: { x: { type: 'Number' } },
      outputs: { y: 'a.value' },
      nodes: [{ id: 'a', type: 'test/add', inputs: { x: '$in.x' } }],
      ...extra,
    });
    const src = { id: 'src', type: 'test/const' };
    expect(
      issuesOf(
        doc([src, { id: 'g', type: 'subgraph/s', params: { p: 1 }, inputs: { x: 'src.value' } }], {
          s: sub({ params: { p: { node: 'a', param: 'constructor' } } }),
        }),
      ),
    ).toContain('s||params.p|node "a" (test/add) has no param "constructor"');
    expect(
      issuesOf(
        doc([src, { id: 'g', type: 'subgraph/s', inputs: { x: 'src.value' } }], {
          s: sub({ outputs: { y: 'a.constructor' } }),
        }),
      ),
    ).toContain('s||outputs.y|"a.constructor" is not an output of a node in the subgraph');
    expect(issuesOf(doc([{ id: 'c', type: 'test/const', params: { toString: 1 } }], {}))[0]).toMatch(
      /^placeholder \|c\|params\.toString\|unknown param of test\/const/,
    );
    expect(
      issuesOf(
        doc([src, { id: 'g', type: 'subgraph/s', inputs: { x: 'src.value' } }], {
          s: sub({ nodes: [{ id: 'a', type: 'test/add', inputs: { x: '$in.hasOwnProperty' } }] }),
        }),
      ),
    ).toContain('s|a|inputs.x|the subgraph has no input "hasOwnProperty" (it has x)');
  });

  it('nest: an instance inside a definition, its exposed param reached from the outside', async () => {
    const t = testNodes(
      doc(
        [
          { id: 'src', type: 'test/const', params: { value: 1 } },
          { id: 'q', type: 'subgraph/quad', params: { inner: 7 }, inputs: { x: 'src.value' } },
        ],
        {
          add2,
          quad: {
            inputs: { x: { type: 'Number' } },
            outputs: { y: 'b.y' },
            params: { inner: { node: 'a', param: 'boost' } },
            nodes: [
              { id: 'a', type: 'subgraph/add2', inputs: { x: '$in.x' } },
              { id: 'b', type: 'subgraph/add2', inputs: { x: 'a.y' } },
            ],
          },
        },
      ),
    );
    const r = await t.engine.run();
    expect(r.ok).toBe(true);
    expect(t.engine.outputsOf('q')!.y).toBe(1 + 1 + 7 + 1 + 10);
    expect(t.runs.has('q/a/second')).toBe(true);
  });

  it('an error inside names the inner node, and the instance says which one failed', async () => {
    const t = testNodes();
    const g = structuredClone(grouped);
    (g.nodes[1] as { params?: unknown }).params = {};
    (g.subgraphs.add2 as typeof add2).nodes[0]!.params = { k: 1, fail: true } as never;
    t.engine.load(g);
    const r = await t.engine.run();
    expect(r.ok).toBe(false);
    expect(r.nodes['g/first']).toMatchObject({ status: 'error', message: 'asked to fail', field: 'params.fail' });
    expect(r.nodes.g!.message).toBe('not run: upstream node "g/second" failed');
  });

  it('two instances with equal inputs and params compute their shared inner nodes once in a run', async () => {
    const t = testNodes(
      doc([
        { id: 'src', type: 'test/const', params: { value: 2 } },
        { id: 'a', type: 'subgraph/add2', inputs: { x: 'src.value' } },
        { id: 'b', type: 'subgraph/add2', params: { boost: 50 }, inputs: { x: 'src.value' } },
        { id: 'sum', type: 'test/sum', inputs: { a: 'a.y', b: 'b.y' } },
      ]),
    );
    const r = await t.engine.run({ onEvent: t.onEvent });
    expect(t.engine.outputsOf('sum')!.value).toBe(2 + 1 + 10 + (2 + 1 + 50));
    // "first" is the same computation in both (equal keys): one of them runs, the other is served from it
    expect([t.runs.has('a/first'), t.runs.has('b/first')].filter(Boolean)).toHaveLength(1);
    expect(t.runs.has('a/second') && t.runs.has('b/second')).toBe(true);
    expect(r.fromCache).toBe(1);
  });

  it('version-1 files migrate to the current version and save with their definitions', () => {
    const t = testNodes();
    const v1 = { format: 'unclip-studio/graph', version: 1, nodes: [{ id: 'a', type: 'test/const' }] };
    expect(t.engine.load(v1).version).toBe(CURRENT_VERSION);
    const parsed = parseGraph(grouped, t.registry);
    const text = serializeGraph(parsed);
    expect(JSON.parse(text).subgraphs.add2.nodes).toHaveLength(2);
    expect(parseGraph(text, t.registry)).toEqual(parsed);
  });

  it('a definition that includes itself, directly or not, is refused naming the chain', () => {
    const loop = (to: string) => ({
      inputs: { x: { type: 'Number' } },
      outputs: { y: 'n.y' },
      nodes: [{ id: 'n', type: `subgraph/${to}`, inputs: { x: '$in.x' } }],
    });
    expect(issuesOf(doc([], { a: loop('a') }))).toEqual(['a|||subgraph "a" includes itself: "a" -> "a"']);
    expect(issuesOf(doc([], { a: loop('b'), b: loop('c'), c: loop('a') }))).toEqual([
      'a|||subgraph "a" includes itself: "a" -> "b" -> "c" -> "a"',
    ]);
  });

  it('refuses broken definitions and instances, naming the subgraph, node and field', () => {
    const bad = {
      inputs: { x: { type: 'Number' }, t: { type: 'Banana' } },
      outputs: { y: 'second.nothing', z: 'ghost.value' },
      params: { p: { node: 'first', param: 'zz' }, q: { node: 'ghost', param: 'k' } },
      nodes: [
        { id: 'first', type: 'test/add', inputs: { x: '$in.nope' } },
        { id: 'second', type: 'test/add', inputs: { x: 'first.value' } },
      ],
    };
    expect(issuesOf(doc([], { bad })).sort()).toEqual(
      [
        'bad||inputs.t.type|unknown port type "Banana"',
        'bad|first|inputs.x|the subgraph has no input "nope" (it has x)',
        'bad||outputs.y|"second.nothing" is not an output of a node in the subgraph',
        'bad||outputs.z|"ghost.value" is not an output of a node in the subgraph',
        'bad||params.p|node "first" (test/add) has no param "zz"',
        'bad||params.q|exposes a param of node "ghost", which is not in the subgraph',
      ].sort(),
    );
    expect(
      issuesOf(
        doc([
          { id: 'n', type: 'test/nan' },
          { id: 'g', type: 'subgraph/add2', inputs: { x: 'n.out' }, params: { boost: 'big' } },
          { id: 'm', type: 'subgraph/missing' },
          { id: 'b', type: 'subgraph/add2', bypass: true, inputs: { x: 'g.y' } },
          { id: 'c', type: 'test/add', inputs: { x: '$in.x' } },
          { id: 'd', type: 'test/add', inputs: { x: 'g/first.value' } },
        ]),
      ).sort(),
    ).toEqual(
      [
        '|g|inputs.x|type mismatch: an Embedding output cannot feed a Number input (it accepts Number)',
        '|g|params.boost|must be a number (got "big")',
        '|b|bypass|a subgraph cannot be bypassed (bypass nodes inside it)',
        '|c|inputs.x|"$in." refers to a subgraph\'s inputs: only nodes inside a subgraph may use it',
        '|d|inputs.x|"g/first.value" is not a "node.port" reference',
      ].sort(),
    );
    // an instance's definition is in the same file: an unknown param or port on it is an error, not a placeholder
    expect(
      issuesOf(
        doc([
          { id: 'n', type: 'test/nan' },
          { id: 'g', type: 'subgraph/add2', params: { bogus: 1 } },
        ]),
      ),
    ).toEqual([
      '|g|params.bogus|unknown param of subgraph/add2 (it has boost)',
      '|g|inputs.x|required input (Number) is not connected',
    ]);
    // an instance of a definition the graph lacks opens as a placeholder
    expect(issuesOf(doc([{ id: 'm', type: 'subgraph/missing' }]))).toEqual([
      'placeholder |m|type|unknown node type "subgraph/missing" (the graph defines no subgraph "missing")',
    ]);
    // a required input left open on an instance is an error; an input feeding only optional ports is not
    expect(issuesOf(doc([{ id: 'g', type: 'subgraph/add2' }]))).toEqual([
      '|g|inputs.x|required input (Number) is not connected',
    ]);
  });

  it('refuses a document whose definitions would expand past the node limit (nested fan-out)', () => {
    const subgraphs: Record<string, unknown> = {
      l0: { outputs: { v: 'c.value' }, nodes: [{ id: 'c', type: 'test/const' }] },
    };
    for (let i = 1; i <= 6; i++)
      subgraphs[`l${i}`] = {
        outputs: { v: 'n0.v' },
        nodes: Array.from({ length: 10 }, (_, k) => ({ id: `n${k}`, type: `subgraph/l${i - 1}` })),
      };
    const issues = issuesOf(doc([{ id: 'top', type: 'subgraph/l6' }], subgraphs));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`inlined the graph has \\d+ nodes \\(at most ${MAX_EXPANDED_NODES}\\)`));
  });
});
