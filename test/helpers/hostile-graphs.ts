import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { createRegistry } from '../../nodes/index';

/**
 * Hostile graph documents: the example graphs with hostile changes at random places, or something else entirely.
 * Shared by the parser fuzz in Node (test/graph/fuzz.test.ts) and the editor fuzz in Chromium
 * (test/e2e/hostile.test.ts, scripts/fuzz-editor.ts), which feed the same documents to every entry point.
 */
const types = [...createRegistry().keys()];
const dir = new URL('../../graphs/', import.meta.url);
export const examples = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Record<string, unknown>);

export const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', ''),
  // into subgraph definitions (graphs/subgraphs.json)
  fc.constantFrom('subgraphs', 'unclip-stack', 'nodes', 'inputs', 'outputs', 'params', 'type'),
  fc.string({ maxLength: 12 }),
);

export const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
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
export const hostileDoc: fc.Arbitrary<unknown> = fc.oneof(
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

const markup = fc.constantFrom(
  '<img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '</script><script>alert(1)</script>',
  '<svg onload=alert(1)>',
  '{{constructor.constructor("alert(1)")()}}',
);

/**
 * An example with one existing leaf (a title, a label, a param, a wire, a coordinate) replaced, so that many still
 * open: markup, other strings, numbers and booleans where the file had something else.
 */
export const nearValidDoc: fc.Arbitrary<unknown> = fc
  .record({
    example: fc.constantFrom(...examples),
    steps: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
    value: fc.oneof(markup, fc.string({ maxLength: 20 }), fc.integer({ min: -2, max: 100 }), fc.boolean()),
  })
  .map(({ example, steps, value }) => {
    const doc = structuredClone(example);
    let at: Record<string, unknown> = doc;
    for (const step of steps) {
      const keys = Object.keys(at);
      if (!keys.length) break;
      const key = keys[step % keys.length]!;
      const next = at[key];
      if (typeof next !== 'object' || next === null) {
        at[key] = value;
        break;
      }
      at = next as Record<string, unknown>;
    }
    return doc as unknown;
  });

/** A document as the text a file, link, paste or PNG carries (what cannot be written as JSON: a damaged file). */
export function documentText(doc: unknown): string {
  try {
    return JSON.stringify(doc) ?? 'undefined';
  } catch {
    return '{';
  }
}

/** `count` hostile documents as text, half of them near valid, the same ones for the same seed. */
export function hostileTexts(count: number, seed: number): string[] {
  return fc.sample(fc.oneof(hostileDoc, nearValidDoc), { numRuns: count, seed }).map(documentText);
}
