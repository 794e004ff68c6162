import { decode, encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { embedGraph, embedText, extractGraph } from '../../src/graph/png-graph';
import {
  embedProvenance,
  MAX_PNG_PROVENANCE_BYTES,
  PNG_PROVENANCE_KEYWORD,
  readProvenance,
  serializeProvenance,
  type Provenance,
} from '../../src/graph/provenance';

const picture = encode({
  width: 2,
  height: 2,
  data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]),
  channels: 3,
  depth: 8,
});

export const record: Provenance = {
  format: 'unclip-studio/provenance',
  version: 1,
  product: { name: 'unclip-studio', version: '0.3.0' },
  runtime: { name: 'onnxruntime-web', version: '1.30.0' },
  backends: ['wasm'],
  models: [
    { id: 'mini-clip-text', sha256: 'a'.repeat(64), bytes: 2_513_723, source: '', backend: 'wasm' },
    { id: 'mini-clip-image', sha256: 'b'.repeat(64), bytes: 3_095_066, source: '', backend: 'wasm' },
  ],
  picture: { node: 'rank', port: 'top', index: 0 },
};

/** A PNG whose provenance chunk holds this text as it is (a hostile writer's). */
const withText = (text: string) => embedText(embedGraph(picture, '{"g":1}'), PNG_PROVENANCE_KEYWORD, text);

describe('the provenance chunk beside the graph', () => {
  it('round-trips a record beside the graph, leaving the picture and the graph as they were', () => {
    const png = embedProvenance(embedGraph(picture, '{"g":1}'), record);
    const read = readProvenance(png);
    expect(read.notice).toBeUndefined();
    // canonical: models sorted by id, so one recipe always writes the same bytes
    expect(read.provenance!.models.map((m) => m.id)).toEqual(['mini-clip-image', 'mini-clip-text']);
    expect(read.provenance).toEqual({ ...record, models: [record.models[1], record.models[0]] });
    expect(extractGraph(png)).toBe('{"g":1}');
    expect(Array.from(decode(png).data)).toEqual(Array.from(decode(picture).data));
    const again = embedProvenance(png, { ...record, backends: ['cpu'] });
    expect(readProvenance(again).provenance!.backends).toEqual(['cpu']);
    expect(again.length).toBeLessThan(png.length + 20); // replaced, not added
    expect(serializeProvenance(record)).toBe(serializeProvenance({ ...record, models: [...record.models].reverse() }));
  });

  it('is absent without a notice from a PNG that carries none (written before provenance, or by another tool)', () => {
    expect(readProvenance(embedGraph(picture, '{"g":1}'))).toEqual({ provenance: null });
    expect(readProvenance(picture)).toEqual({ provenance: null });
  });

  it('ignores a hostile chunk with a notice, never a throw: corrupt, a bomb, not JSON, a newer version', () => {
    const good = embedProvenance(picture, record);
    const flipped = good.slice();
    flipped[good.length - 20]! ^= 0xff;
    expect(readProvenance(flipped)).toEqual({ provenance: null, notice: expect.stringMatching(/CRC mismatch/) });
    const bomb = withText(' '.repeat(MAX_PNG_PROVENANCE_BYTES + 10));
    expect(readProvenance(bomb).notice).toMatch(/provenance inflates to over 65536 bytes/);
    expect(readProvenance(withText('{"format": nope')).notice).toBe('its provenance is not valid JSON');
    const newer = readProvenance(withText(JSON.stringify({ ...record, version: 7, whatever: [1] })));
    expect(newer).toEqual({ provenance: null, notice: expect.stringMatching(/version 7, from a newer product/) });
    expect(readProvenance(new TextEncoder().encode('not a png')).notice).toMatch(/not a PNG/);
  });

  it('checks every field, naming each briefly: nothing hostile is quoted whole, and deep nesting is refused', () => {
    const huge = 'x'.repeat(20_000);
    const bad = {
      ...record,
      product: { name: 'unclip-studio', version: huge },
      models: [{ ...record.models[0], sha256: 'zz', [huge]: 1 }],
      backends: ['quantum'],
    };
    const read = readProvenance(withText(JSON.stringify(bad)));
    expect(read.provenance).toBeNull();
    expect(read.notice).toMatch(/^its provenance is invalid: /);
    expect(read.notice).toMatch(/product\.version: /);
    expect(read.notice).toMatch(/models\.0\.sha256: must be 64 lowercase hex digits/);
    expect(read.notice).toMatch(/backends\.0: /);
    expect(read.notice).toMatch(/unknown field "x{40}…" \(20000 characters\)/);
    expect(read.notice!.length).toBeLessThan(1_000);
    // a 20,000-deep array where a record belongs: refused by its type, never walked into
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const nested = readProvenance(withText(`{"format":"unclip-studio/provenance","version":1,"models":${deep}}`));
    expect(nested.provenance).toBeNull();
    expect(nested.notice).toMatch(/invalid/);
    expect(readProvenance(withText('[]')).notice).toMatch(/invalid/);
    expect(readProvenance(withText('null')).notice).toMatch(/invalid/);
  });

  it('refuses ids, paths and sizes out of bounds', () => {
    const cases: Array<[Partial<Provenance>, RegExp]> = [
      [{ picture: { node: '../etc', port: 'image', index: 0 } }, /picture\.node/],
      [{ picture: { node: 'a', port: 'image', index: -1 } }, /picture\.index/],
      [{ models: [{ ...record.models[0]!, bytes: 1.5 }] }, /models\.0\.bytes/],
      [{ models: [{ ...record.models[0]!, id: 'Has Spaces' }] }, /models\.0\.id: must be a model id/],
      [{ runtime: { name: 'onnxruntime-web', version: '1.30.0; rm -rf /' } }, /runtime\.version/],
    ];
    for (const [change, message] of cases)
      expect(readProvenance(withText(JSON.stringify({ ...record, ...change }))).notice).toMatch(message);
  });
});
