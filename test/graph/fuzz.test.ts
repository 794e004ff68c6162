import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { createEngineApi } from '../../src/engine/api';
import { nodeServices } from '../../src/host/node-services';
import { GraphError } from '../../src/graph/errors';
import { parseGraph } from '../../src/graph/validate';
import { JobFailure, loadJob } from '../../src/queue/job';

/**
 * Hostile graph documents against every entry point's parser: the loader behind files, links,
 * pastes and PNGs (`parseGraph`, the engine's `validateGraph`/`loadGraph`) and the queue's
 * payload check (`loadJob`). Each must answer with a document or a GraphError/JobFailure: no
 * other exception, no hang, no change to Object.prototype.
 */
const registry = createRegistry();
const types = [...registry.keys()];
const dir = new URL('../../graphs/', import.meta.url);
const examples = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Record<string, unknown>);

const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', ''),
  // into subgraph definitions (graphs/subgraphs.json)
  fc.constantFrom('subgraphs', 'unclip-stack', 'nodes', 'inputs', 'outputs', 'params', 'type'),
  fc.string({ maxLength: 12 }),
);
const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(
      null,
      undefined,
      Number.NaN,
      Infinity,
      -Infinity,
      -0,
      2 ** 53,
      -1,
      1e308,
      true,
      '',
      '__proto__',
      'a.b',
      'x'.repeat(20_000),
    ),
    fc.string({ maxLength: 40 }),
    fc.double(),
    fc.integer(),
    fc.constantFrom(...types),
    fc.constantFrom('text.text', 'clip.model', 'a.', '.b', 'missing.out', '$in.text', '$in.', 'low/prior.embedding'),
    fc.constantFrom('subgraph/unclip-stack', 'subgraph/', 'subgraph/__proto__'),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A valid example with hostile changes at random places, or something else entirely. */
const hostileDoc = fc.oneof(
  fc
    .record({
      example: fc.constantFrom(...examples),
      edits: fc.array(
        fc.tuple(fc.array(fc.oneof(hostileKey, fc.nat(12)), { minLength: 1, maxLength: 6 }), hostileValue),
        { minLength: 1, maxLength: 5 },
      ),
    })
    .map(({ example, edits }) => {
      const doc = structuredClone(example);
      for (const [path, value] of edits) {
        let at: Record<string, unknown> = doc;
        for (const key of path.slice(0, -1)) {
          // own keys only: walking into "__proto__" would pollute the prototype from the test itself
          if (!Object.prototype.hasOwnProperty.call(at, String(key))) break;
          const next = at[String(key)];
          if (typeof next !== 'object' || next === null) break;
          at = next as Record<string, unknown>;
        }
        Object.defineProperty(at, String(path[path.length - 1]), {
          value,
          enumerable: true,
          configurable: true,
          writable: true,
        });
      }
      return doc as unknown;
    }),
  hostileValue,
  fc
    .integer({ min: 1, max: 20_000 })
    .map(
      (depth) =>
        JSON.parse(
          `{"format":"unclip-studio/graph","version":1,"meta":${'['.repeat(depth)}${']'.repeat(depth)},"nodes":[]}`,
        ) as unknown,
    ),
);

function prototypeKeys(): string[] {
  return [...Object.getOwnPropertyNames(Object.prototype), ...Object.getOwnPropertyNames(Array.prototype)].sort();
}

describe('hostile graph documents', () => {
  it('10,000 documents: the loader answers each with a document or a GraphError, fast, and pollutes nothing', () => {
    const before = prototypeKeys();
    let slowest = 0;
    fc.assert(
      fc.property(hostileDoc, fc.boolean(), (doc, asText) => {
        let input: unknown = doc;
        if (asText) {
          try {
            input = JSON.stringify(doc) ?? 'undefined';
          } catch {
            input = '{';
          }
        }
        const t = performance.now();
        try {
          parseGraph(input, registry);
        } catch (e) {
          if (!(e instanceof GraphError))
            throw new Error(`not a GraphError: ${(e as Error)?.name}: ${(e as Error)?.message}`);
        }
        slowest = Math.max(slowest, performance.now() - t);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 10_000, seed: 20261126 },
    );
    expect(prototypeKeys()).toEqual(before);
    expect(slowest).toBeLessThan(2000);
  });

  it('2,000 queue payloads: loadJob answers each with a key or a JobFailure', async () => {
    const api = createEngineApi(registry, nodeServices());
    const catalog = new Map(api.catalog().map((n) => [n.type, n]));
    const payload = fc.oneof(
      fc.record({
        graph: hostileDoc.map((d) => {
          try {
            return JSON.stringify(d) ?? '';
          } catch {
            return '{';
          }
        }),
        params: fc.dictionary(
          fc.oneof(hostileKey, fc.constantFrom('prompt.text', 'seed.value', 'clip.model')),
          fc.oneof(fc.string({ maxLength: 30 }), hostileValue),
          { maxKeys: 3 },
        ),
      }),
      hostileValue,
    );
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        try {
          await loadJob(api, catalog, p);
        } catch (e) {
          if (!(e instanceof JobFailure))
            throw new Error(`not a JobFailure: ${(e as Error)?.name}: ${(e as Error)?.message}`);
        }
      }),
      { numRuns: 2_000, seed: 20261126 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
