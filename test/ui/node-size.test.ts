import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../nodes/index';
import { createEngineApi } from '../../src/engine/api';
import type { GraphDocument } from '../../src/graph/document';
import { nodeServices } from '../../src/host/node-services';
import { estimateNode } from '../../src/ui/node-size';

const catalog = new Map(
  createEngineApi(createRegistry(), nodeServices())
    .catalog()
    .map((i) => [i.type, i]),
);
const doc = JSON.parse(
  readFileSync(new URL('../../graphs/text-to-image.json', import.meta.url), 'utf8'),
) as GraphDocument;

/**
 * The default graph's nodes as Chromium draws them at 1400x900 (measured with playwright: height, and each port
 * dot's centre below the node's top, inputs then outputs).
 */
const drawn: Record<string, { width: number; height: number; dots: number[] }> = {
  prior: { width: 237, height: 343, dots: [40, 60, 80, 99, 40, 60] },
  decoder: { width: 280, height: 645, dots: [58, 77, 97, 117, 136, 156, 175, 58, 77] },
  up64: { width: 242, height: 271, dots: [40, 60, 80, 99, 119, 40] },
  seed: { width: 190, height: 107, dots: [40] },
  prompt: { width: 190, height: 124, dots: [40] },
};

describe('a node estimated from its definition (big graphs cull the nodes out of view from the first frame)', () => {
  for (const [id, real] of Object.entries(drawn))
    it(`${id}: its port dots where Chromium draws them, its box no smaller than drawn, its height within 10%`, () => {
      const node = doc.nodes.find((n) => n.id === id)!;
      const guess = estimateNode(node, catalog.get(node.type));
      const dots = guess.handles.map((h) => h.y + h.height! / 2);
      expect(dots.length).toBe(real.dots.length);
      dots.forEach((y, i) => expect(Math.abs(y - real.dots[i]!)).toBeLessThanOrEqual(2));
      expect(guess.measured.height).toBeGreaterThanOrEqual(real.height);
      expect(guess.measured.height).toBeLessThanOrEqual(real.height * 1.1);
      expect(guess.measured.width).toBeGreaterThanOrEqual(real.width);
      // inputs on the left edge, outputs on the right
      for (const h of guess.handles) expect(h.x + h.width! / 2).toBe(h.type === 'target' ? 0 : guess.measured.width);
    });

  it('an unknown type has the ports a placeholder draws: its wired inputs and the outputs read from it', () => {
    const gone = { id: 'g', type: 'old/removed', inputs: { a: 'x.out', b: 'y.out' } };
    const guess = estimateNode(gone, undefined, ['picture']);
    expect(guess.handles.map((h) => `${h.type}:${h.id}`)).toEqual(['target:a', 'target:b', 'source:picture']);
  });

  it('a node without params is about as wide as its title (190 px at least); each param adds its row', () => {
    const normalize = { id: 'n', type: 'embedding/normalize' };
    expect(estimateNode(normalize, catalog.get(normalize.type)).measured.width).toBe(190);
    const random = { id: 'r', type: 'embedding/random', params: { seed: 1, dim: 8 } };
    const tall = estimateNode(random, catalog.get(random.type)).measured.height;
    expect(tall).toBeGreaterThan(estimateNode(normalize, catalog.get(normalize.type)).measured.height + 100);
  });
});
