import { decode, encode } from 'fast-png';
import { zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { embedGraph, extractGraph, MAX_PNG_GRAPH_BYTES, PngGraphError } from '../../src/graph/png-graph';

const picture = encode({
  width: 2,
  height: 2,
  data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]),
  channels: 3,
  depth: 8,
});

describe('the graph inside a PNG', () => {
  it('round-trips UTF-8 graph text, leaves the picture as it was, and replaces an earlier graph', () => {
    const graph = JSON.stringify({
      format: 'unclip-studio/graph',
      version: 1,
      meta: { title: 'DALL·E 2 ✓' },
      nodes: [],
    });
    const png = embedGraph(picture, graph);
    expect(extractGraph(png)).toBe(graph);
    expect(Array.from(decode(png).data)).toEqual(Array.from(decode(picture).data));
    const again = embedGraph(png, '{"second":true}');
    expect(extractGraph(again)).toBe('{"second":true}');
    expect(again.length).toBeLessThan(png.length + 40); // one graph chunk, not two
    expect(extractGraph(picture)).toBeNull();
  });

  it('refuses a corrupt chunk, a truncated file, a non-PNG, and a small chunk that inflates past the limit', () => {
    const png = embedGraph(picture, '{"a":1}');
    const flipped = png.slice();
    flipped[png.length - 20]! ^= 0xff; // inside the graph chunk
    expect(() => extractGraph(flipped)).toThrow(PngGraphError);
    expect(() => extractGraph(png.subarray(0, png.length - 25))).toThrow(/truncated/);
    expect(() => extractGraph(new TextEncoder().encode('{"format":"x"}'))).toThrow(/not a PNG/);
    // a bomb: 5 MB of spaces compress to a few kB
    const bombText = ' '.repeat(MAX_PNG_GRAPH_BYTES + 1_000_000);
    expect(zlibSync(new TextEncoder().encode(bombText)).length).toBeLessThan(20_000);
    expect(() => extractGraph(embedGraph(picture, bombText))).toThrow(/inflates to over/);
  });
});
