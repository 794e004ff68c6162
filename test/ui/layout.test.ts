import { describe, expect, it } from 'vitest';
import type { GraphNode } from '../../src/graph/document';
import { layeredLayout } from '../../src/ui/layout';

const node = (id: string, x: number, y: number, inputs?: Record<string, string>): GraphNode => ({
  id,
  type: 't',
  ui: { x, y },
  ...(inputs ? { inputs } : {}),
});

describe('layeredLayout', () => {
  it('puts each node one column right of the deepest node it reads, columns stacked in their order', () => {
    const nodes = [
      node('decoder', 0, 0, { embedding: 'prior.embedding', text: 'prompt.text' }),
      node('prior', 50, 500, { text: 'prompt.text' }),
      node('prompt', 900, 100),
      node('seed', 900, 0),
    ];
    const at = layeredLayout(nodes, () => ({ width: 200, height: 100 }));
    expect(Object.fromEntries(at)).toEqual({
      seed: { x: 0, y: 0 },
      prompt: { x: 0, y: 140 },
      prior: { x: 280, y: 0 },
      decoder: { x: 560, y: 0 },
    });
  });

  it('ignores wires from outside the nodes laid out, and sizes nodes not yet measured', () => {
    const at = layeredLayout([node('a', 10, 20, { x: 'outside.y' }), node('b', 0, 0, { in: '$in.text' })]);
    expect(Object.fromEntries(at)).toEqual({ b: { x: 0, y: 0 }, a: { x: 0, y: 200 } });
  });
});
