import { defineNode, type NodeDefinition } from '../../src/node-api/define';
import { NodeError } from '../../src/graph/errors';
import { boolean, integer, number } from '../../src/graph/params';
import { createRegistry } from '../../nodes/index';
import { Engine } from '../../src/engine/scheduler';
import { nodeServices } from '../../src/host/node-services';
import type { NodeEvent } from '../../src/engine/events';

/** Test-only node types that count their runs, fail on demand, or take time. */
export function testNodes() {
  const runs = new Map<string, number>();
  const count = (id: string) => runs.set(id, (runs.get(id) ?? 0) + 1);
  let active = 0;
  let maxActive = 0;
  const defs: NodeDefinition[] = [
    defineNode({
      type: 'test/const',
      version: 1,
      title: 'Const',
      description: 'a number',
      inputs: {},
      outputs: { value: 'Number' },
      params: { value: number({ min: -1e9, max: 1e9, default: 0 }) },
      run: (_, { value }, ctx) => {
        count(ctx.nodeId);
        return { value };
      },
    }),
    defineNode({
      type: 'test/add',
      version: 1,
      title: 'Add',
      description: 'x + k',
      inputs: { x: 'Number' },
      outputs: { value: 'Number' },
      params: { k: number({ min: -1e9, max: 1e9, default: 1 }), fail: boolean({ default: false }) },
      run: ({ x }, { k, fail }, ctx) => {
        count(ctx.nodeId);
        if (fail) throw new NodeError(ctx.nodeId, 'asked to fail', 'params.fail');
        return { value: x + k };
      },
    }),
    defineNode({
      type: 'test/sum',
      version: 1,
      title: 'Sum',
      description: 'a + b',
      inputs: { a: 'Number', b: 'Number' },
      outputs: { value: 'Number' },
      params: {},
      run: ({ a, b }, _, ctx) => {
        count(ctx.nodeId);
        return { value: a + b };
      },
    }),
    defineNode({
      type: 'test/slow',
      version: 1,
      title: 'Slow',
      description: 'waits steps x ms, reporting progress',
      inputs: { x: 'Number' },
      outputs: { value: 'Number' },
      params: { steps: integer({ min: 1, max: 1000, default: 5 }), ms: integer({ min: 0, max: 10000, default: 20 }) },
      run: async ({ x }, { steps, ms }, ctx) => {
        count(ctx.nodeId);
        active++;
        maxActive = Math.max(maxActive, active);
        try {
          for (let i = 0; i < steps; i++) {
            ctx.throwIfAborted();
            await new Promise((r) => setTimeout(r, ms));
            ctx.progress((i + 1) / steps, { step: i + 1, steps });
          }
          return { value: x };
        } finally {
          active--;
        }
      },
    }),
    defineNode({
      type: 'test/nan',
      version: 1,
      title: 'NaN',
      description: 'emits a NaN embedding',
      inputs: {},
      outputs: { out: 'Embedding' },
      params: {},
      run: () => ({ out: { dtype: 'float32', shape: [1, 3], data: Float32Array.of(1, NaN, 2) } }),
    }),
  ];
  const registry = createRegistry(defs);
  const events: NodeEvent[] = [];
  const engine = new Engine(registry, nodeServices());
  return { engine, registry, runs, events, onEvent: (e: NodeEvent) => events.push(e), maxActive: () => maxActive };
}

export function graph(nodes: unknown[]) {
  return { format: 'unclip-studio/graph', version: 1, nodes };
}
