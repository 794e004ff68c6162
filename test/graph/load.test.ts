import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { GraphError, type GraphIssue } from '../../src/graph/errors';
import { parseGraph, serializeGraph } from '../../src/graph/validate';
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
const issue = (nodeId: string, field: string, message: RegExp) =>
  expect.objectContaining({ nodeId, field, message: expect.stringMatching(message) });

function issuesOf(doc: unknown): GraphIssue[] {
  try {
    parseGraph(doc, registry);
  } catch (e) {
    expect(e).toBeInstanceOf(GraphError);
    return (e as GraphError).issues;
  }
  throw new Error('expected the graph to be refused');
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

  it('names an unknown node type with the node id', () => {
    const doc = base();
    doc.nodes.push({ id: 'x', type: 'clip/teleport' });
    expect(issuesOf(doc)).toContainEqual({ nodeId: 'x', field: 'type', message: 'unknown node type "clip/teleport"' });
  });

  it('names an unknown input port and a missing required one', () => {
    const doc = base();
    doc.nodes[2] = { id: 'mix', type: 'embedding/slerp', inputs: { a: 'a.out', c: 'b.out' } };
    const issues = issuesOf(doc);
    expect(issues).toContainEqual(issue('mix', 'inputs.c', /unknown input port/));
    expect(issues).toContainEqual(issue('mix', 'inputs.b', /required input/));
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

  it('refuses a param out of range, of the wrong type, or unknown', () => {
    const doc = base();
    doc.nodes[2] = { id: 'mix', type: 'embedding/slerp', params: { t: 3 }, inputs: { a: 'a.out', b: 'b.out' } };
    doc.nodes[0] = { id: 'a', type: 'embedding/random', params: { seed: 'one', dim: 8, colour: 'red' } };
    const issues = issuesOf(doc);
    expect(issues).toContainEqual(issue('mix', 'params.t', /between 0 and 1 \(got 3\)/));
    expect(issues).toContainEqual(issue('a', 'params.seed', /must be a number/));
    expect(issues).toContainEqual(issue('a', 'params.colour', /unknown param/));
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
    expect(issuesOf(bad)[0]).toMatchObject({ nodeId: '<img src=x>', field: 'id' });
  });

  it('reports every issue at once', () => {
    const doc = base();
    doc.nodes.push({ id: 'x', type: 'nope' }, { id: 'y', type: 'embedding/slerp', params: { t: -1 } });
    expect(issuesOf(doc).length).toBeGreaterThanOrEqual(4);
  });

  it('a file that fails to load changes nothing in the engine', () => {
    const engine = new Engine(registry, nodeServices());
    const good = engine.load(base());
    const bad = base();
    bad.nodes.push({ id: 'x', type: 'nope' });
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
