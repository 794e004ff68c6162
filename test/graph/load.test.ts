import { describe, expect, it } from 'vitest';
import { defineNode } from '../../src/node-api/define';
import { number } from '../../src/node-api';
import { createRegistry } from '../../nodes/index';
import { GraphError, type GraphIssue } from '../../src/graph/errors';
import { loadGraph, parseGraph, serializeGraph } from '../../src/graph/validate';
import { Engine } from '../../src/engine/scheduler';
import { nodeServices } from '../../src/host/node-services';

const registry = createRegistry();
const base = () => ({
  format: 'unclip-studio/graph',
  version: 1,
  nodes: [
    { id: 'a', type: 'embedding/random', params: { seed: 1, dim: 8 } },
    { id: 'b', type: 'embedding/random', params: { seed: 2, dim: 8 } },
    { id: 'mix', type: 'embedding/slerp', params: { t: 0.5 }, inputs: { a: 'a.out', b: 'b.out' } },
  ] as Array<Record<string, unknown>>,
});

/** What issuesOf holds for an issue of this node and field whose message matches. */
const issue = (nodeId: string, field: string, message: RegExp, placeholder?: true) =>
  expect.objectContaining({
    nodeId,
    field,
    message: expect.stringMatching(message),
    ...(placeholder && { placeholder }),
  });

/** Why a graph is refused; or, when it opens, the issues of its placeholders (flagged `placeholder`). */
function issuesOf(doc: unknown): GraphIssue[] {
  let placeholders: GraphIssue[];
  try {
    placeholders = loadGraph(doc, registry).placeholders;
  } catch (e) {
    expect(e).toBeInstanceOf(GraphError);
    return (e as GraphError).issues;
  }
  if (!placeholders.length) throw new Error('expected the graph to be refused or to hold placeholders');
  return placeholders;
}

describe('loading graph JSON v1', () => {
  it('accepts a sound graph and round-trips it through serialize', () => {
    const doc = parseGraph(base(), registry);
    expect(parseGraph(serializeGraph(doc), registry)).toEqual(doc);
  });

  it('refuses text that is not JSON', () => {
    expect(issuesOf('{ nodes: ')[0]!.message).toMatch(/not valid JSON/);
  });

  it('refuses a wrong format tag and a newer version, naming the field', () => {
    expect(issuesOf({ ...base(), format: 'comfy' })[0]).toMatchObject({ field: 'format' });
    expect(issuesOf({ ...base(), version: 9 })[0]!.message).toMatch(/newer unclip-studio/);
  });

  it('names a hostile value briefly: a 5,000-deep version, a 5 MB param (no stack overflow, no echo)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 5_000; i++) deep = [deep];
    expect(issuesOf({ ...base(), version: deep })[0]).toEqual({
      field: 'version',
      message: 'must be a positive integer, got an array (1 item)',
    });
    expect(issuesOf({ ...base(), format: { a: deep } })[0]!.message).toBe(
      'must be "unclip-studio/graph", got an object',
    );
    const doc = base();
    doc.nodes[0]!.params = { seed: 'x'.repeat(5_000_000), dim: 8 };
    const message = issuesOf(doc).find((i) => i.field === 'params.seed')!.message;
    expect(message.length).toBeLessThan(200);
    expect(message).toMatch(/5000000 characters/);
  });

  it('opens an unknown node type as a placeholder, naming it with the node id', () => {
    const doc = base();
    doc.nodes.push({ id: 'x', type: 'clip/teleport' });
    expect(issuesOf(doc)).toEqual([
      { nodeId: 'x', field: 'type', message: 'unknown node type "clip/teleport"', placeholder: true },
    ]);
  });

  it('names a missing required input; an unknown input port makes the node a placeholder instead', () => {
    const doc = base();
    doc.nodes[2] = { id: 'mix', type: 'embedding/slerp', inputs: { a: 'a.out' } };
    expect(issuesOf(doc)).toEqual([issue('mix', 'inputs.b', /required input/)]);
    doc.nodes[2] = { id: 'mix', type: 'embedding/slerp', inputs: { a: 'a.out', c: 'b.out' } };
    expect(issuesOf(doc)).toEqual([
      issue('mix', 'inputs.c', /unknown input port of embedding\/slerp \(it has a, b\)/, true),
    ]);
  });

  it('names a dangling reference: a missing node and a missing output port', () => {
    const doc = base();
    doc.nodes[2] = { id: 'mix', type: 'embedding/slerp', inputs: { a: 'ghost.out', b: 'b.nope' } };
    const issues = issuesOf(doc);
    expect(issues).toContainEqual(issue('mix', 'inputs.a', /"ghost", which does not exist/));
    expect(issues).toContainEqual(issue('mix', 'inputs.b', /has no output "nope"/));
  });

  it('refuses a type mismatch, naming both types', () => {
    const doc = base();
    doc.nodes.push({ id: 'p', type: 'text/prompt' });
    doc.nodes[2] = { id: 'mix', type: 'embedding/slerp', inputs: { a: 'p.text', b: 'b.out' } };
    expect(issuesOf(doc)).toContainEqual(
      issue('mix', 'inputs.a', /type mismatch: a Text output cannot feed an Embedding input/),
    );
  });

  it('names every node on a cycle', () => {
    const doc = base();
    doc.nodes = [
      { id: 'x', type: 'embedding/normalize', inputs: { in: 'z.out' } },
      { id: 'y', type: 'embedding/normalize', inputs: { in: 'x.out' } },
      { id: 'z', type: 'embedding/normalize', inputs: { in: 'y.out' } },
    ];
    const cycle = issuesOf(doc).find((i) => i.message.startsWith('cycle'))!;
    expect(cycle.message).toMatch(/"x"/);
    expect(cycle.message).toMatch(/"y"/);
    expect(cycle.message).toMatch(/"z"/);
  });

  it('refuses a param out of range or of the wrong type; an unknown one makes a placeholder', () => {
    const doc = base();
    doc.nodes[2] = { id: 'mix', type: 'embedding/slerp', params: { t: 3 }, inputs: { a: 'a.out', b: 'b.out' } };
    doc.nodes[0] = { id: 'a', type: 'embedding/random', params: { seed: 'one', dim: 8 } };
    const issues = issuesOf(doc);
    expect(issues).toContainEqual(issue('mix', 'params.t', /between 0 and 1 \(got 3\)/));
    expect(issues).toContainEqual(issue('a', 'params.seed', /must be a number/));
    const unknown = base();
    unknown.nodes[0] = { id: 'a', type: 'embedding/random', params: { seed: 'one', dim: 8, colour: 'red' } };
    expect(issuesOf(unknown)).toEqual([issue('a', 'params.colour', /unknown param/, true)]);
  });

  it('refuses unknown fields at the top level and in a node', () => {
    const top = issuesOf({ ...base(), extra: 1 });
    expect(top[0]!.message).toMatch(/unknown field "extra"/);
    const doc = base();
    doc.nodes[0] = { id: 'a', type: 'embedding/random', colour: 'red' };
    expect(issuesOf(doc)).toContainEqual(
      expect.objectContaining({ nodeId: 'a', message: expect.stringMatching(/unknown field "colour"/) }),
    );
  });

  it('refuses duplicate ids and malformed ids', () => {
    const doc = base();
    doc.nodes.push({ id: 'a', type: 'embedding/random' });
    expect(issuesOf(doc)).toContainEqual(
      expect.objectContaining({ nodeId: 'a', field: 'id', message: 'duplicate node id' }),
    );
    const bad = base();
    bad.nodes[0] = { id: '<img src=x>', type: 'embedding/random' };
    // an id that fails its pattern may be anything (5 MB of markup): the node is named by its position
    expect(issuesOf(bad)[0]).toMatchObject({ nodeId: '#0', field: 'id' });
    bad.nodes[0] = { id: 'x'.repeat(5_000_000), type: 'embedding/random', ['y'.repeat(1_000_000)]: 1 };
    const issues = issuesOf(bad);
    expect(issues.every((i) => (i.nodeId ?? '').length < 100 && i.message.length < 300)).toBe(true);
  });

  it('reports every issue at once', () => {
    const doc = base();
    doc.nodes.push(
      { id: 'x', type: 'embedding/slerp', inputs: { a: 'ghost.out' } },
      { id: 'y', type: 'embedding/slerp', params: { t: -1 } },
    );
    expect(issuesOf(doc).length).toBeGreaterThanOrEqual(4);
  });

  it('a file that fails to load changes nothing in the engine', () => {
    const engine = new Engine(registry, nodeServices());
    const good = engine.load(base());
    const bad = base();
    bad.nodes.push({ id: 'x', type: 'nope', inputs: { in: 'ghost.out' } });
    expect(() => engine.load(bad)).toThrow(GraphError);
    expect(engine.graph).toBe(good);
    expect(engine.graph!.nodes.map((n) => n.id)).toEqual(['a', 'b', 'mix']);
  });

  it('does not mutate the value it is given', () => {
    const doc = base();
    const copy = structuredClone(doc);
    parseGraph(doc, registry);
    expect(doc).toEqual(copy);
  });
});

describe('placeholders: a node this product cannot run opens, kept as in the file', () => {
  const withStrangers = () => {
    const doc = base();
    doc.version = 3;
    doc.nodes.push(
      // a type from elsewhere, with markup and odd values, wired to the graph both ways
      {
        id: 'k',
        type: 'comfy/KSampler',
        params: { cfg: 7.5, name: '<img src=x onerror=alert(1)>' },
        inputs: { m: 'mix.out' },
      },
      { id: 'after', type: 'embedding/normalize', inputs: { in: 'k.LATENT' } },
      // a known type saved by a newer product, and one with a param this product does not know
      { id: 'new', type: 'embedding/normalize', version: 9, inputs: { in: 'a.out' } },
      { id: 'odd', type: 'embedding/normalize', params: { strength: 2 }, inputs: { in: 'b.out' } },
      // reading an output the newer version has and this one lacks: it waits for the placeholder
      { id: 'reader', type: 'embedding/normalize', inputs: { in: 'new.unit' } },
    );
    return doc;
  };

  it('names each placeholder and why; saving writes each one back exactly as it was loaded', () => {
    const doc = withStrangers();
    const { doc: loaded, placeholders } = loadGraph(doc, registry);
    expect(placeholders.map((p) => `${p.nodeId} ${p.field}: ${p.message}`)).toEqual([
      'k type: unknown node type "comfy/KSampler"',
      'new version: embedding/normalize version 9 was saved by a newer unclip-studio (this one knows up to version 1)',
      'odd params.strength: unknown param of embedding/normalize (it has none)',
    ]);
    const saved = JSON.parse(serializeGraph(loaded)) as { nodes: Array<{ id: string }> };
    for (const id of ['k', 'new', 'odd'])
      expect(saved.nodes.find((n) => n.id === id)).toEqual(doc.nodes.find((n) => n.id === id));
    // a node this product knows records its type's version
    expect(saved.nodes.find((n) => n.id === 'after')).toEqual({
      ...doc.nodes.find((n) => n.id === 'after'),
      version: 1,
    });
  });

  it('a run that needs a placeholder fails naming it; the rest of the graph runs', async () => {
    const engine = new Engine(registry, nodeServices());
    engine.load(withStrangers());
    const all = await engine.run();
    expect(all.nodes.k).toMatchObject({
      status: 'error',
      field: 'type',
      message: 'cannot run: unknown node type "comfy/KSampler" (it opened as a placeholder)',
    });
    expect(all.nodes.after!.message).toBe('not run: upstream node "k" failed');
    expect(all.nodes.new).toMatchObject({ status: 'error', field: 'version' });
    expect(all.nodes.odd).toMatchObject({ status: 'error', field: 'params.strength' });
    expect(all.nodes.reader!.message).toBe('not run: upstream node "new" failed');
    expect(all.nodes.mix!.status).toBe('done');
    const some = await engine.run({ targets: ['mix'] });
    expect(some.ok).toBe(true);
    expect(() => engine.setParam('k', 'cfg', 2)).toThrow(/placeholder/);
  });

  it('a placeholder whose wire names a missing node still refuses the graph', () => {
    const doc = base();
    doc.nodes.push({ id: 'k', type: 'comfy/KSampler', inputs: { m: 'ghost.out' } });
    expect(issuesOf(doc)).toEqual([issue('k', 'inputs.m', /"ghost", which does not exist/)]);
  });
});

describe('node versions and migrations', () => {
  // a node type at version 3: 2 renamed its param `amount` to `t`, 3 renamed its output `result` to `out`
  const mix = defineNode({
    type: 'test/mix',
    version: 3,
    migrations: {
      2: ({ params: { amount, ...params }, inputs }) => ({
        params: amount === undefined ? params : { ...params, t: amount },
        inputs,
        renamedParams: { amount: 't' },
      }),
      3: (node) => ({ ...node, outputs: { result: 'out' } }),
    },
    title: 'Mix',
    description: 'a test node',
    inputs: { a: 'Embedding', b: 'Embedding' },
    outputs: { out: 'Embedding' },
    params: { t: number({ min: 0, max: 1, default: 0.5 }) },
    run: ({ a }) => ({ out: a }),
  });
  const withMix = createRegistry([mix]);
  const old = (version?: number, params: Record<string, unknown> = { amount: 0.25 }) => ({
    format: 'unclip-studio/graph',
    version: 2,
    nodes: [
      { id: 'a', type: 'embedding/random', params: { dim: 8 } },
      { id: 'm', type: 'test/mix', ...(version ? { version } : {}), params, inputs: { a: 'a.out', b: 'a.out' } },
      { id: 'n', type: 'embedding/normalize', inputs: { in: version === 3 ? 'm.out' : 'm.result' } },
    ],
  });

  it('upgrades an older node step by step: params renamed, the wires reading a renamed output follow', () => {
    for (const version of [undefined, 1]) {
      const doc = parseGraph(old(version), withMix);
      expect(doc.nodes[1]).toMatchObject({ version: 3, params: { t: 0.25 } });
      expect(doc.nodes[1]!.params).not.toHaveProperty('amount');
      expect(doc.nodes[2]!.inputs).toEqual({ in: 'm.out' });
    }
    const two = parseGraph(old(2, { t: 0.75 }), withMix);
    expect(two.nodes[1]!.params).toEqual({ t: 0.75 });
    expect(two.nodes[2]!.inputs).toEqual({ in: 'm.out' });
    // the current version is taken as it is
    expect(parseGraph(old(3, { t: 0.1 }), withMix).nodes[1]!.params).toEqual({ t: 0.1 });
  });

  it("inside a subgraph: the definition's exposed params and outputs follow what its nodes renamed", () => {
    const doc = {
      format: 'unclip-studio/graph',
      version: 2,
      nodes: [
        { id: 'a', type: 'embedding/random', params: { dim: 8 } },
        { id: 'g', type: 'subgraph/blend', params: { how: 0.75 }, inputs: { x: 'a.out' } },
      ],
      subgraphs: {
        blend: {
          inputs: { x: { type: 'Embedding' } },
          outputs: { y: 'm.result' },
          params: { how: { node: 'm', param: 'amount' } },
          nodes: [{ id: 'm', type: 'test/mix', params: { amount: 0.25 }, inputs: { a: '$in.x', b: '$in.x' } }],
        },
      },
    };
    const loaded = parseGraph(doc, withMix);
    const def = loaded.subgraphs!.blend!;
    expect(def.nodes[0]).toMatchObject({ version: 3, params: { t: 0.25 } });
    expect(def.outputs).toEqual({ y: 'm.out' });
    expect(def.params).toEqual({ how: { node: 'm', param: 't' } });
    expect(loaded.nodes[1]!.params).toEqual({ how: 0.75 });
  });

  it('a node from a newer product opens as a placeholder saying so, and is not migrated', () => {
    const newer = old(4, { t: 0.5, sharpness: 2 });
    const { doc, placeholders } = loadGraph({ ...newer, nodes: newer.nodes.slice(0, 2) }, withMix);
    expect(placeholders).toEqual([
      issue(
        'm',
        'version',
        /test\/mix version 4 was saved by a newer unclip-studio \(this one knows up to version 3\)/,
        true,
      ),
    ]);
    expect(doc.nodes[1]).toEqual(newer.nodes[1]);
  });

  it('a document from a newer product is refused saying so, without guessing', () => {
    expect(issuesOf({ ...base(), version: 4 })).toEqual([
      { field: 'version', message: 'version 4 was made by a newer unclip-studio (this one reads up to 3)' },
    ]);
  });
});
