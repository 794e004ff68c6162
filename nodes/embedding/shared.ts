import { defineNode, type RunContext } from '../../src/node-api/define';
import { NodeError, number } from '../../src/node-api';
import { float32, type Float32Tensor } from '../../src/tensor/tensor';

/** Broadcasts a single row against a batch so [1, D] pairs with [N, D]; names the port on a mismatch. */
export function pairRows(
  ctx: RunContext,
  a: Float32Tensor,
  b: Float32Tensor,
  names: [string, string],
): [Float32Tensor, Float32Tensor] {
  const [na, da] = a.shape as [number, number];
  const [nb, db] = b.shape as [number, number];
  if (da !== db)
    throw new NodeError(
      ctx.nodeId,
      `embeddings differ in dimension: "${names[0]}" is ${da}, "${names[1]}" is ${db}`,
      `inputs.${names[1]}`,
    );
  if (na === nb) return [a, b];
  const repeat = (t: Float32Tensor, n: number) => {
    const out = new Float32Array(n * da);
    for (let i = 0; i < n; i++) out.set(t.data, i * da);
    return float32([n, da], out);
  };
  if (na === 1) return [repeat(a, nb), b];
  if (nb === 1) return [a, repeat(b, na)];
  throw new NodeError(
    ctx.nodeId,
    `batch sizes differ: "${names[0]}" has ${na}, "${names[1]}" has ${nb}`,
    `inputs.${names[1]}`,
  );
}

/**
 * A node that blends two embeddings by t in [0, 1] (lerp, slerp): a batch against one row broadcasts, and `t` is
 * its only param, so the two differ only in how they blend.
 */
export function blendNode(
  type: string,
  title: string,
  description: string,
  blend: (a: Float32Tensor, b: Float32Tensor, t: number) => Float32Tensor,
) {
  return defineNode({
    type,
    version: 1,
    title,
    description,
    inputs: { a: 'Embedding', b: 'Embedding' },
    outputs: { out: 'Embedding' },
    params: { t: number({ min: 0, max: 1, step: 0.01, default: 0.5, label: 't' }) },
    run: ({ a, b }, { t }, ctx) => {
      const [x, y] = pairRows(ctx, a, b, ['a', 'b']);
      return { out: blend(x, y, t) };
    },
  });
}
