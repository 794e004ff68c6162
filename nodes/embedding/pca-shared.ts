import type { RunContext } from '../../src/node-api/define';
import { NodeError } from '../../src/node-api';
import type { PcaBasis } from '../../src/tensor/pca';
import type { Float32Tensor } from '../../src/tensor/tensor';

/** Checks k and the dimension against a basis; 0 means every component. */
export function resolveK(ctx: RunContext, basis: PcaBasis, x: Float32Tensor | null, k: number): number {
  const available = basis.components.shape[0]!;
  const dim = basis.mean.shape[0]!;
  if (x && x.shape[1] !== dim)
    throw new NodeError(ctx.nodeId, `the basis is ${dim}-dimensional, the embeddings are ${x.shape[1]}`, 'inputs.in');
  const kk = k || available;
  if (kk > available) throw new NodeError(ctx.nodeId, `k = ${k} but the basis has ${available} components`, 'params.k');
  return kk;
}
