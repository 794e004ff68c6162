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
const drawn: Record<string, { height: number; dots: number[] }> = {
  prior: { height: 343, dots: [40, 60, 80, 99, 40, 60] },
  decoder: { height: 645, dots: [58, 77, 97, 117, 136, 156, 175, 58, 77] },
  up64: { height: 271, dots: [40, 60, 80, 99, 119, 40] },
  seed: { height: 107, dots: [40] },
  prompt: { height: 124, dots: [40] },
};

describe('a node estimated from its definition (big graphs cull the nodes out of view from the first frame)', () => {
  for (const [id, real] of Object.entries(drawn))
    it(`${id}: its port dots where Chromium draws them, and never shorter than drawn`, () => {
      const node = doc.nodes.find((n) => n.id === id)!;
      const guess = estimateNode(node, catalog.get(node.type));
      const dots = guess.handles.map((h) => h.y + h.height! / 2);
      expect(dots.length).toBe(real.dots.length);
      dots.forEach((y, i) => expect(Math.abs(y - real.dots[i]!)).toBeLessThanOrEqual(2));
      expect(guess.measured.height).toBeGreaterThanOrEqual(real.height);
      // inputs on the left edge, outputs on the right
      for (const h of guess.handles) expect(h.x + h.width! / 2).toBe(h.type === 'target' ? 0 : guess.measured.width);
    });
});
