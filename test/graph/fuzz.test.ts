import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { createEngineApi } from '../../src/engine/api';
import { nodeServices } from '../../src/host/node-services';
import { GraphError } from '../../src/graph/errors';
import { parseGraph } from '../../src/graph/validate';
import { JobFailure, loadJob } from '../../src/queue/job';
import { documentText, hostileDoc, hostileKey, hostileValue } from '../helpers/hostile-graphs';

/**
 * Hostile graph documents against every entry point's parser: the loader behind files, links,
 * pastes and PNGs (`parseGraph`, the engine's `validateGraph`/`loadGraph`) and the queue's
 * payload check (`loadJob`). Each must answer with a document or a GraphError/JobFailure: no
 * other exception, no hang, no change to Object.prototype.
 */
const registry = createRegistry();

function prototypeKeys(): string[] {
  return [...Object.getOwnPropertyNames(Object.prototype), ...Object.getOwnPropertyNames(Array.prototype)].sort();
}

describe('hostile graph documents', () => {
  it('10,000 documents: the loader answers each with a document or a GraphError, fast, and pollutes nothing', () => {
    const before = prototypeKeys();
    let slowest = 0;
    fc.assert(
      fc.property(hostileDoc, fc.boolean(), (doc, asText) => {
        const input = asText ? documentText(doc) : doc;
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
        graph: hostileDoc.map((d) => (d === undefined ? '' : documentText(d))),
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
