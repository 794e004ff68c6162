import { defineNode } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import { float32 } from '../../src/tensor/tensor';

export default defineNode({
  type: 'embedding/concat',
  version: 1,
  title: 'Stack embeddings',
  description: 'Stacks up to four batches of embeddings into one [N, D]',
  inputs: {
    a: 'Embedding',
    b: { type: 'Embedding', optional: true },
    c: { type: 'Embedding', optional: true },
    d: { type: 'Embedding', optional: true },
  },
  outputs: { out: 'Embedding' },
  params: {},
  run: (inputs, _, ctx) => {
    const parts = (['a', 'b', 'c', 'd'] as const).flatMap((k) => (inputs[k] ? [[k, inputs[k]] as const] : []));
    const dim = inputs.a.shape[1]!;
    for (const [k, t] of parts)
      if (t.shape[1] !== dim)
        throw new NodeError(ctx.nodeId, `"${k}" is ${t.shape[1]}-dimensional, "a" is ${dim}`, `inputs.${k}`);
    const n = parts.reduce((s, [, t]) => s + t.shape[0]!, 0);
    const out = new Float32Array(n * dim);
    let off = 0;
    for (const [, t] of parts) {
      out.set(t.data, off);
      off += t.data.length;
    }
    return { out: float32([n, dim], out) };
  },
});
