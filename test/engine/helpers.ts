import { defineNode, type InputsOf, type NodeDefinition, type RunContext } from '../../src/node-api/define';
import { NodeError } from '../../src/graph/errors';
import { boolean, integer, number, type ParamSchema, type ParamsOf } from '../../src/graph/params';
import { createRegistry } from '../../nodes/index';
import { Engine } from '../../src/engine/scheduler';
import { nodeServices } from '../../src/host/node-services';
import type { NodeEvent } from '../../src/engine/events';

/**
 * Test-only node types that count their runs, fail on demand, or take time; with `load`, the engine has that
 * graph loaded.
 */
export function testNodes(load?: unknown) {
  const runs = new Map<string, number>();
  const count = (id: string) => runs.set(id, (runs.get(id) ?? 0) + 1);
  let active = 0;
  let maxActive = 0;
  /** test/<name>: a Number from Number inputs, its run counted before `value` runs. */
  const numberNode = <const I extends Record<string, 'Number'>, const P extends Record<string, ParamSchema>>(
    name: string,
    description: string,
    ports: { inputs: I; params: P },
    value: (inputs: InputsOf<I>, params: ParamsOf<P>, ctx: RunContext) => number | Promise<number>,
  ) =>
    defineNode({
      type: `test/${name}`,
      version: 1,
      title: name[0]!.toUpperCase() + name.slice(1),
      description,
      ...ports,
      outputs: { value: 'Number' },
      run: (inputs, params, ctx) => {
        count(ctx.nodeId);
        const v = value(inputs, params, ctx);
        return typeof v === 'number' ? { value: v } : v.then((w) => ({ value: w }));
      },
    });
  const defs: NodeDefinition[] = [
    numberNode(
      'const',
      'a number',
      { inputs: {}, params: { value: number({ min: -1e9, max: 1e9, default: 0 }) } },
      (_, { value }) => value,
    ),
    numberNode(
      'add',
      'x + k',
      {
        inputs: { x: 'Number' },
        params: { k: number({ min: -1e9, max: 1e9, default: 1 }), fail: boolean({ default: false }) },
      },
      ({ x }, { k, fail }, ctx) => {
        if (fail) throw new NodeError(ctx.nodeId, 'asked to fail', 'params.fail');
        return x + k;
      },
    ),
    numberNode('sum', 'a + b', { inputs: { a: 'Number', b: 'Number' }, params: {} }, ({ a, b }) => a + b),
    numberNode(
      'slow',
      'waits steps x ms, reporting progress',
      {
        inputs: { x: 'Number' },
        params: { steps: integer({ min: 1, max: 1000, default: 5 }), ms: integer({ min: 0, max: 10000, default: 20 }) },
      },
      async ({ x }, { steps, ms }, ctx) => {
        active++;
        maxActive = Math.max(maxActive, active);
        try {
          for (let i = 0; i < steps; i++) {
            ctx.throwIfAborted();
            await new Promise((r) => setTimeout(r, ms));
            ctx.progress((i + 1) / steps, { step: i + 1, steps });
          }
          return x;
        } finally {
          active--;
        }
      },
    ),
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
  if (load !== undefined) engine.load(load);
  return { engine, registry, runs, events, onEvent: (e: NodeEvent) => events.push(e), maxActive: () => maxActive };
}

export function graph(nodes: unknown[]) {
  return { format: 'unclip-studio/graph', version: 1, nodes };
}
